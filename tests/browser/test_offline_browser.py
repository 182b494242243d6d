"""Without signal, on a 360 px phone with JavaScript on: lessons opened stay readable, a sale
with a photo and a mentor's visit are kept on the phone, shown as waiting, and reach the server
exactly once when the connection returns; a second person on the same phone neither sends nor
loses the first one's waiting entries."""

import io
from urllib.parse import urlsplit

from flask import request, request_started
from PIL import Image
from sqlalchemy import select

from lms.db import db
from lms.models import FollowUpVisit, PracticeRecord, User
from tests.browser.conftest import log_in, open_page, screenshot

WAIT = 15_000  # ms: a worker's install, a sync


def jpeg(width=2400, height=1800) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "orange").save(out, "JPEG", quality=95)
    return out.getvalue()


def wait_kept(page, path: str) -> None:
    page.wait_for_function(
        "(path) => caches.open('pages').then(c => c.match(path)).then(Boolean)",
        arg=path,
        timeout=WAIT,
    )


def kept_text(page, path: str) -> str:
    return page.evaluate(
        "(path) => caches.open('pages').then(c => c.match(path)).then(r => r.text())", path
    )


def name(app, phone: str) -> str:
    with app.app_context():
        return db.session.scalar(select(User.name).where(User.phone == phone))


def waiting_on_phone(page) -> list[dict]:
    return page.evaluate(
        "() => idbKeyval.values(idbKeyval.createStore('lms-offline', 'entries'))"
        ".then(list => list.map(e => ({uuid: e.uuid, user_id: e.user_id, state: e.state})))"
    )


def records(app, product: str) -> list[PracticeRecord]:
    with app.app_context():
        return db.session.scalars(
            select(PracticeRecord).where(PracticeRecord.product == product)
        ).all()


def user_id(app, phone: str) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.phone == phone))


def fill_sale(page, product: str, quantity: str, unit: str, amount: str) -> None:
    page.fill("input[name=product]", product)
    page.fill("input[name=quantity]", quantity)
    page.fill("input[name=unit]", unit)
    page.fill("input[name=amount]", amount)


def start(page, base: str, phone: str) -> None:
    log_in(page, base, phone)
    page.wait_for_function("() => navigator.serviceWorker.ready.then(() => true)", timeout=WAIT)
    page.reload()  # now under the worker


def test_a_trainee_reads_a_lesson_and_logs_a_sale_with_a_photo_offline(app, live_server, browser):
    page = open_page(browser, js=True)
    start(page, live_server, "13900000002")
    page.click("text=继续学习")
    lesson_url, title = page.url, page.locator("h1").inner_text()
    ahead = page.locator('meta[name="lms-keep"]').get_attribute("content").split()
    assert ahead  # the rest of the course (up to 5 lessons), kept for reading offline
    for path in ahead:
        wait_kept(page, path)
    page.goto(f"{live_server}/learn/")
    home_keeps = page.locator('meta[name="lms-keep"]').get_attribute("content").split()
    assert "/learn/practice/new?kind=sale" in home_keeps
    for path in home_keeps:  # every page the home keeps is in, so none is fetched meanwhile
        wait_kept(page, path)

    # A return visit to a lesson downloads the lesson's HTML and nothing else.
    asked = []

    def record(sender, **extra):
        asked.append(request.path)

    request_started.connect(record, app)
    try:
        page.goto(lesson_url)
        page.wait_for_function("() => !document.querySelector('#sync-status').hidden")
    finally:
        request_started.disconnect(record, app)
    assert asked == [urlsplit(lesson_url).path]

    page.context.set_offline(True)
    page.goto(lesson_url)
    assert page.locator("h1").inner_text() == title  # the lesson opens without a network
    assert page.locator("#offline-copy").is_visible()
    page.goto(f"{live_server}/learn/courses")  # never opened: the offline page, in Chinese
    assert page.locator("h1").inner_text() == "没有网络"

    page.goto(f"{live_server}/learn/practice/new?kind=sale")
    fill_sale(page, "离线土鸡蛋", "30", "个", "45")
    page.set_input_files(
        "input[name=photo]", {"name": "egg.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}
    )
    page.click("main button[type=submit]")
    page.wait_for_url("**/pending?saved=*")
    entry = page.locator("#pending li.entry")
    entry.wait_for(timeout=WAIT)
    assert "离线土鸡蛋" in entry.inner_text() and "待上传" in entry.inner_text()
    assert "待上传 1 条" in page.locator("#sync-status").inner_text()
    screenshot(page, "offline-pending-360")
    assert records(app, "离线土鸡蛋") == []

    page.context.set_offline(False)  # the 'online' event sends it
    page.wait_for_function(
        "() => document.querySelectorAll('#pending li.entry').length === 0", timeout=WAIT
    )
    assert "没有待上传的记录" in page.locator("#sync-status").inner_text()
    page.reload()  # and again: still one
    page.wait_for_function("() => !document.querySelector('#sync-status').hidden", timeout=WAIT)
    (record,) = records(app, "离线土鸡蛋")
    assert (record.amount_fen, record.quantity) == (4500, 30)
    assert record.photo is not None
    with app.app_context():
        from lms.services import files

        with Image.open(files.folder("practice") / record.photo) as photo:
            assert max(photo.size) <= 1280  # shrunk on the phone before it was sent
    page.context.close()


def test_a_mentor_logs_a_visit_offline_and_it_arrives_once(app, live_server, browser):
    page = open_page(browser, js=True)
    start(page, live_server, "13800000002")
    first = page.locator(".who-line a").first
    trainee_name, trainee_path = first.inner_text(), first.get_attribute("href")
    wait_kept(page, f"{trainee_path}/visits/new")
    with app.app_context():
        before = db.session.scalar(select(db.func.count()).select_from(FollowUpVisit))

    page.context.set_offline(True)
    page.goto(f"{live_server}{trainee_path}")
    assert trainee_name in page.locator("main").inner_text()  # the file, kept
    page.goto(f"{live_server}{trainee_path}/visits/new")
    for fieldset in page.locator("fieldset").all():
        fieldset.locator("label.choice").first.click()
    page.fill("textarea[name=actions]", "离线约定：拍5张照片")
    page.click("main button[type=submit]")
    page.wait_for_url("**/pending?saved=*")
    page.locator("#pending li.entry").wait_for(timeout=WAIT)
    assert trainee_name in page.locator("#pending li.entry").inner_text()

    page.context.set_offline(False)
    page.wait_for_function(
        "() => document.querySelectorAll('#pending li.entry').length === 0", timeout=WAIT
    )
    page.locator("button.upload").evaluate("b => b.click()")  # the button again: nothing more
    with app.app_context():
        visits = db.session.scalars(
            select(FollowUpVisit).where(FollowUpVisit.actions == "离线约定：拍5张照片")
        ).all()
        assert len(visits) == 1
        assert db.session.scalar(select(db.func.count()).select_from(FollowUpVisit)) == before + 1
    page.context.close()


def test_another_person_on_the_same_phone_neither_sends_nor_loses_the_first_ones_entries(
    app, live_server, browser
):
    first, second = "13900000002", "13900000003"
    page = open_page(browser, js=True)
    start(page, live_server, first)
    page.goto(f"{live_server}/learn/")
    wait_kept(page, "/learn/practice/new?kind=sale")
    page.context.set_offline(True)
    page.goto(f"{live_server}/learn/practice/new?kind=sale")
    fill_sale(page, "第一个人的蜂蜜", "2", "瓶", "120")
    page.click("main button[type=submit]")
    page.wait_for_url("**/pending?saved=*")

    # The phone is handed over: the first person's session is gone, the second logs in online.
    page.context.clear_cookies()
    page.context.set_offline(False)
    start(page, live_server, second)
    page.goto(f"{live_server}/learn/")
    wait_kept(page, "/learn/practice/new?kind=sale")
    copy = kept_text(page, "/learn/practice/new?kind=sale")  # the first person's copy is gone
    assert name(app, second) in copy and name(app, first) not in copy
    page.goto(f"{live_server}/pending")
    page.locator("#pending .others").wait_for(timeout=WAIT)
    assert "另有 1 条" in page.locator("#pending .others").inner_text()
    waiting = waiting_on_phone(page)
    assert [(e["user_id"], e["state"]) for e in waiting] == [(user_id(app, first), "waiting")]
    assert records(app, "第一个人的蜂蜜") == []

    page.goto(f"{live_server}/learn/")
    page.click("header button:has-text('退出')")  # logout drops what was kept of their pages
    page.wait_for_url("**/login*")
    assert page.evaluate("() => caches.has('pages')") is False
    log_in(page, live_server, first)
    page.wait_for_function(
        "() => document.querySelector('#sync-status').textContent.includes('没有待上传')",
        timeout=WAIT,
    )
    (record,) = records(app, "第一个人的蜂蜜")
    assert record.trainee_id == user_id(app, first)
    assert waiting_on_phone(page) == []
    page.context.close()


def test_a_sale_whose_connection_drops_mid_send_arrives_once_later(app, live_server, browser):
    """Signal that comes and goes: the phone says it is online, the post never arrives. The copy
    kept on the phone is synced on the next page, once; a post that did arrive is not doubled."""
    page = open_page(browser, js=True)
    start(page, live_server, "13900000002")

    def drop(route):
        if route.request.method == "POST":
            route.abort("internetdisconnected")
        else:
            route.continue_()

    page.route("**/learn/practice/new?kind=sale", drop)
    page.goto(f"{live_server}/learn/practice/new?kind=sale")
    fill_sale(page, "断网的核桃", "5", "斤", "60")
    with page.expect_event("requestfailed", lambda r: r.method == "POST", timeout=WAIT):
        page.click("main button[type=submit]")  # the copy is kept first, then the post is lost
    page.unroute("**/learn/practice/new?kind=sale")
    assert records(app, "断网的核桃") == []

    page.goto(f"{live_server}/learn/")  # signal again: the kept copy goes up
    page.wait_for_function(
        "() => document.querySelector('#sync-status').textContent.includes('没有待上传')",
        timeout=WAIT,
    )
    assert len(records(app, "断网的核桃")) == 1

    page.goto(f"{live_server}/learn/practice/new?kind=sale")  # a post that arrives is not doubled
    fill_sale(page, "有网的核桃", "5", "斤", "60")
    page.click("main button[type=submit]")
    page.wait_for_url("**/learn/practice#r*")
    page.wait_for_function(
        "() => document.querySelector('#sync-status').textContent.includes('没有待上传')",
        timeout=WAIT,
    )
    assert len(records(app, "有网的核桃")) == 1
    assert waiting_on_phone(page) == []
    page.goto(
        f"{live_server}/learn/practice/new?kind=sale"
    )  # a refused form comes back: no copy waits
    page.fill("input[name=product]", "没填钱的核桃")
    page.click("main button[type=submit]")
    page.locator("p.error").first.wait_for()
    page.wait_for_function("() => !document.querySelector('#sync-status').hidden")
    page.wait_for_timeout(300)
    assert waiting_on_phone(page) == []
    page.context.close()


def test_an_entry_the_server_refuses_is_opened_fixed_and_then_arrives(app, live_server, browser):
    page = open_page(browser, js=True)
    start(page, live_server, "13900000002")
    page.goto(f"{live_server}/learn/")
    wait_kept(page, "/learn/practice/new?kind=sale")
    page.context.set_offline(True)
    page.goto(f"{live_server}/learn/practice/new?kind=sale")
    fill_sale(page, "写错钱的板栗", "3", "斤", "三十")
    page.click("main button[type=submit]")
    page.wait_for_url("**/pending?saved=*")
    page.context.set_offline(False)
    entry = page.locator("#pending li.entry.rejected")
    entry.wait_for(timeout=WAIT)
    assert "要修改" in entry.inner_text() and "金额只能填数字" in entry.inner_text()

    entry.locator("a:has-text('打开修改')").click()
    page.locator("form[data-offline] p.error").wait_for(timeout=WAIT)
    assert page.input_value("input[name=product]") == "写错钱的板栗"
    assert "金额只能填数字" in page.locator("form[data-offline]").inner_text()
    page.fill("input[name=amount]", "30")
    page.click("main button[type=submit]")
    page.wait_for_url("**/pending?saved=*")
    page.wait_for_function(  # the list starts empty until the script fills it: wait for the sync
        "() => document.querySelector('#sync-status').textContent.includes('没有待上传')",
        timeout=WAIT,
    )
    assert page.locator("#pending li.entry").count() == 0
    (record,) = records(app, "写错钱的板栗")
    assert record.amount_fen == 3000
    page.context.close()


def test_a_listing_with_only_a_screenshot_logged_offline_arrives_with_it(app, live_server, browser):
    """A kind's own form, kept for offline use; its screenshot, sent after the record, counts
    as the listing's evidence in place of a link (issue 13)."""
    page = open_page(browser, js=True)
    start(page, live_server, "13900000002")
    page.goto(f"{live_server}/learn/")
    wait_kept(page, "/learn/practice/new?kind=product_listing")
    page.context.set_offline(True)
    page.goto(f"{live_server}/learn/practice/new?kind=product_listing")
    assert page.locator("input[name=amount]").count() == 0  # a listing asks no amount
    page.fill("input[name=product]", "离线上架的蜂蜜")
    page.set_input_files(
        "input[name=photo]", {"name": "shot.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}
    )
    page.click("main button[type=submit]")
    page.wait_for_url("**/pending?saved=*")
    page.context.set_offline(False)
    page.wait_for_function(
        "() => document.querySelector('#sync-status').textContent.includes('没有待上传')",
        timeout=WAIT,
    )
    (record,) = records(app, "离线上架的蜂蜜")
    assert record.kind == "product_listing" and record.link is None and record.photo is not None
    assert record.amount_fen is None
    page.context.close()

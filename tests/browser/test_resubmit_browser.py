"""Back + save again in a real browser, JavaScript off and on: the page asks before storing the
same sale or visit twice, and nothing typed (the photo included) is lost on the way."""

import pytest
from PIL import Image
from sqlalchemy import select

from lms.db import db
from lms.models import FollowUpVisit, PracticeRecord, User
from tests.browser.conftest import log_in, open_page, screenshot
from tests.conftest import count_rows


@pytest.fixture(params=[False, True], ids=["js-off", "js-on"])
def any_phone(browser, request):
    page = open_page(browser, js=request.param)
    page.js = request.param
    yield page
    page.context.close()


def user_id(app, phone: str) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.phone == phone))


def fill_sale(page, photo: str | None = None) -> None:
    page.fill("input[name=product]", "土鸡蛋")
    page.fill("input[name=quantity]", "30")
    page.fill("input[name=unit]", "个")
    page.fill("input[name=amount]", "45.50")
    if photo:
        page.set_input_files("input[name=photo]", photo)


def test_back_and_save_again_asks_before_storing_the_same_sale_twice(
    app, live_server, any_phone, tmp_path
):
    page = any_phone
    photo = tmp_path / "receipt.png"
    Image.new("RGB", (64, 48), "green").save(photo)
    log_in(page, live_server, "13900000003")
    trainee = user_id(app, "13900000003")
    before = count_rows(app, PracticeRecord, trainee_id=trainee)
    page.goto(f"{live_server}/learn/practice/new?kind=sale")
    fill_sale(page)
    page.click("button:has-text('保存')")
    assert "记好了" in page.locator(".flash.success").inner_text()
    assert count_rows(app, PracticeRecord, trainee_id=trainee) == before + 1

    page.go_back()  # the form again, as the browser kept or refetched it
    fill_sale(page, photo=str(photo))
    page.click("button:has-text('保存')")
    question = page.locator(".ask")
    assert "你已经记过一笔一模一样的" in question.inner_text()
    assert "刚才选的照片已经收到了" in page.content()  # the photo is kept for the next tap
    assert count_rows(app, PracticeRecord, trainee_id=trainee) == before + 1
    screenshot(page, f"trainee-same-sale-question-{'js' if page.js else 'nojs'}")
    question.locator("text=对，不用再记").click()
    assert page.url.split("#")[0].endswith("/learn/practice")
    assert count_rows(app, PracticeRecord, trainee_id=trainee) == before + 1

    # The same content once more, and this time it really is another sale: the trainee says
    # so, and it is stored with the photo kept from the first try.
    page.goto(f"{live_server}/learn/practice/new?kind=sale")
    fill_sale(page, photo=str(photo))
    page.click("button:has-text('保存')")
    page.click("button:has-text('不是，这是另一笔，也记上')")
    assert "记好了" in page.locator(".flash.success").inner_text()
    assert count_rows(app, PracticeRecord, trainee_id=trainee) == before + 2
    with app.app_context():
        newest = db.session.scalars(
            select(PracticeRecord)
            .where(PracticeRecord.trainee_id == trainee)
            .order_by(PracticeRecord.id.desc())
        ).first()
        assert newest.photo is not None


def test_back_and_save_again_asks_before_storing_the_same_visit_twice(app, live_server, any_phone):
    page = any_phone
    log_in(page, live_server, "13800000002")
    trainee = user_id(app, "13900000001")
    before = count_rows(app, FollowUpVisit, trainee_id=trainee)
    page.goto(f"{live_server}/mentor/trainees/{trainee}/visits/new")

    def fill():
        page.check("input[name=mode][value=phone]")
        for dimension in (
            "tool_use",
            "info_analysis",
            "online_coordination",
            "resource_innovation",
        ):
            page.check(f"input[name=level_{dimension}][value=with_help]")

    fill()
    page.click("button:has-text('保存回访记录')")
    assert "回访记录已保存。" in page.locator(".flash.success").inner_text()
    page.go_back()
    fill()
    page.click("button:has-text('保存回访记录')")
    assert "是按了“返回”又保存了一次吗？" in page.locator(".ask").inner_text()
    page.click("text=对，不用再记")
    assert count_rows(app, FollowUpVisit, trainee_id=trainee) == before + 1

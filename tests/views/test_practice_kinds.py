"""Each kind of practice record asks only what fits it (issue 13), through the real stack: the
form, offline sync, the mentor's and the lead's pages, the personal-data export."""

import io
import re
import uuid as uuids
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from lms.clock import local_today
from lms.db import db
from lms.models import PracticeRecord, RecordStatus, Role
from lms.services import personal_data
from tests.conftest import form_errors
from tests.factories import (
    assign,
    enroll,
    kind_form,
    make_cohort,
    make_programme,
    make_record,
    make_user,
)

TODAY = local_today()
NOW = datetime.now(UTC).isoformat(timespec="seconds")

# The table, written out here rather than read from KIND_FORMS, so a change to what a
# kind asks is a change to this test too. Every kind also asks date, channel, note and photo.
ASKED = {
    "sale": {"product", "quantity", "unit", "amount"},
    "livestream": {"minutes", "viewers", "orders", "amount"},
    "short_video": {"link", "viewers"},
    "shop_opened": {"link"},
    "product_listing": {"link", "product"},
    "taught_others": {"people"},
    "cooperative_work": {"people", "product", "amount"},
}
EVERY_KIND = {"happened_on", "channel", "note", "photo"}
HIDDEN = {"csrf_token", "uuid", "version", "staged_photo", "kind"}


@pytest.fixture
def people(app, mini_curriculum):
    with app.app_context():
        lead, mentor = make_user(Role.LEAD), make_user(Role.MENTOR)
        trainee = make_user(name="刘春梅")
        programme = make_programme(lead)
        cohort = make_cohort(programme, starts_on=TODAY - timedelta(days=20))
        enroll(trainee, cohort)
        assign(mentor, cohort=cohort, starts_on=TODAY - timedelta(days=20))
        db.session.commit()
        return {"lead": lead, "mentor": mentor, "trainee": trainee, "programme": programme}


@pytest.fixture
def me(people, login):
    return login(people["trainee"])


def records(app, **where):
    with app.app_context():
        query = select(PracticeRecord)
        for name, value in where.items():
            query = query.where(getattr(PracticeRecord, name) == value)
        return db.session.scalars(query).all()


def field_names(html: str) -> set[str]:
    form = html[html.index('<form method="post" enctype') :]
    form = form[: form.index("</form>")]
    return set(re.findall(r'name="([a-z_]+)"', form)) - HIDDEN - {"another", "remove_photo"}


def jpeg(colour="red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, "JPEG")
    return out.getvalue()


def entry(data, **fields):
    return (
        {"uuid": str(uuids.uuid4()), "kind": "practice_record", "client_time": NOW}
        | {"data": data}
        | fields
    )


def send(client, *entries):
    response = client.post("/api/v1/sync", json={"entries": list(entries)})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["results"]


# --- the form asks only the kind's fields ----------------------------------------------------


@pytest.mark.parametrize("kind", sorted(ASKED))
def test_each_kinds_form_asks_only_its_own_fields_and_stores_them(app, me, kind):
    page = me.get(f"/learn/practice/new?kind={kind}").get_data(as_text=True)
    assert field_names(page) == ASKED[kind] | EVERY_KIND
    assert f'name="kind" type="hidden" value="{kind}"' in page
    response = me.post(f"/learn/practice/new?kind={kind}", data=kind_form(kind))
    assert response.status_code == 302, form_errors(response.get_data(as_text=True))
    (record,) = records(app)
    assert record.kind == kind
    for name in ("minutes", "viewers", "orders", "people", "link"):
        expected = kind_form(kind).get(name)
        stored = getattr(record, name)
        assert (str(stored) if stored is not None else None) == (expected or None), name
    if "amount" not in ASKED[kind] or not kind_form(kind)["amount"]:
        assert record.amount_fen is None
    if "quantity" not in ASKED[kind]:
        assert record.quantity is None and record.unit == ""


def test_the_kind_is_chosen_first_with_plain_links_and_a_task_preselects_it(app, me):
    page = me.get("/learn/practice/new").get_data(as_text=True)
    assert '<form method="post" enctype' not in page  # no fields before the kind
    for kind in ASKED:
        assert f'href="/learn/practice/new?kind={kind}"' in page
    task = me.get("/learn/practice/new?task=selling-first-sale").get_data(as_text=True)
    assert field_names(task) == ASKED["sale"] | EVERY_KIND
    assert 'href="/learn/practice/new?kind=livestream&amp;task=selling-first-sale"' in task


def test_a_listing_with_only_a_link_is_accepted_and_shown_with_its_product_and_link(app, me):
    data = kind_form("product_listing")
    assert me.post("/learn/practice/new", data=data).status_code == 302
    (record,) = records(app)
    assert record.link == data["link"] and record.amount_fen is None and record.quantity is None
    page = me.get("/learn/practice").get_data(as_text=True)
    item = page[page.index(f'id="r{record.id}"') :][:1200]
    assert "猕猴桃" in item and "链接：mobile.yangkeduo.com" in item
    assert f'href="{data["link"]}"' in item and "¥" not in item


@pytest.mark.parametrize(
    "shared",
    [
        "7.43 复制打开抖音，看看【刘春梅的作品】土鸡蛋上新 https://v.douyin.com/iRNBho6u/ 01/07",
        "【刘春梅的作品】https://v.douyin.com/iRNBho6u/复制此链接，打开抖音搜索",
        "https://v.douyin.com/iRNBho6u/",
    ],
)
def test_a_link_inside_an_apps_share_text_is_taken_out_of_it(app, me, shared):
    response = me.post("/learn/practice/new", data=kind_form("short_video", link=shared))
    assert response.status_code == 302
    (record,) = records(app)
    assert record.link == "https://v.douyin.com/iRNBho6u/"


def test_a_listing_needs_a_link_or_a_screenshot_and_a_screenshot_alone_will_do(app, me):
    response = me.post("/learn/practice/new", data=kind_form("product_listing", link=""))
    assert response.status_code == 422
    assert form_errors(response.get_data(as_text=True)) == [
        "链接或截图至少一个：请粘贴链接，或在下面拍一张截图。"
    ]
    assert records(app) == []
    data = kind_form("product_listing", link="", photo=(io.BytesIO(jpeg()), "screen.jpg"))
    response = me.post("/learn/practice/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    (record,) = records(app)
    assert record.photo and record.link is None
    # Editing it keeps the screenshot as its evidence; removing the screenshot needs the link.
    edit = kind_form("product_listing", link="", uuid=record.uuid, version="1", remove_photo="y")
    response = me.post(f"/learn/practice/{record.id}/edit", data=edit)
    assert response.status_code == 422
    edit.pop("remove_photo")
    assert me.post(f"/learn/practice/{record.id}/edit", data=edit).status_code == 302


# --- refused fields and bad values: the same rule for the form and the phone -----------------

REFUSED = [
    ("product_listing", {"amount": "45"}, {"amount": "上架记录不用填金额。"}),
    ("product_listing", {"quantity": "3"}, {"quantity": "上架记录不用填数量。"}),
    ("livestream", {"product": "土鸡蛋"}, {"product": "直播记录不用填商品。"}),
    ("sale", {"link": "https://v.douyin.com/x/"}, {"link": "销售记录不用填链接。"}),
    ("short_video", {"unit": "斤"}, {"unit": "短视频记录不用填单位。"}),
    ("taught_others", {"minutes": "30"}, {"minutes": "带教记录不用填直播时长。"}),
    ("shop_opened", {"viewers": "9"}, {"viewers": "开店记录不用填观看人数。"}),
    ("cooperative_work", {"orders": "2"}, {"orders": "合作记录不用填订单数。"}),
    ("livestream", {"minutes": "-5"}, {"minutes": "直播时长不能是负数。"}),
    ("livestream", {"minutes": "0"}, {"minutes": "直播时长要大于0。"}),
    ("livestream", {"minutes": "1441"}, {"minutes": "直播时长太大了，请检查是不是多打了0。"}),
    ("livestream", {"viewers": "9" * 40}, {"viewers": "观看人数太大了，请检查是不是多打了0。"}),
    ("livestream", {"orders": "2.5"}, {"orders": "订单数只能填整数，比如 2。"}),
    ("livestream", {"orders": "三"}, {"orders": "订单数只能填整数，比如 2。"}),
    ("livestream", {"viewers": "٣٥"}, {"viewers": "观看人数只能填整数，比如 2。"}),  # Arabic-Indic
    ("livestream", {"viewers": "3²"}, {"viewers": "观看人数只能填整数，比如 2。"}),
    ("livestream", {"viewers": "1e3"}, {"viewers": "观看人数只能填整数，比如 2。"}),
    ("livestream", {"minutes": ""}, {"minutes": "请填写直播了多少分钟。"}),
    ("taught_others", {"people": "0"}, {"people": "人数要大于0。"}),
    ("taught_others", {"people": "NaN"}, {"people": "人数只能填整数，比如 3。"}),
    ("cooperative_work", {"people": ""}, {"people": "请填写人数。"}),
    (
        "short_video",
        {"link": "javascript:alert(1)"},
        {"link": "链接要以 http:// 或 https:// 开头，请从 App 里“复制链接”再粘贴。"},
    ),
    (
        "shop_opened",
        {"link": "ftp://example.com/shop"},
        {"link": "链接要以 http:// 或 https:// 开头，请从 App 里“复制链接”再粘贴。"},
    ),
    (
        "shop_opened",
        {"link": "https://weidian.com/" + "a" * 500},
        {"link": "链接太长了（最多500个字符），可以改拍一张截图。"},
    ),
    (
        "product_listing",
        {"link": "https://:80/x"},
        {"link": "这个链接看不懂，请从 App 里“复制链接”再粘贴。"},
    ),
]


@pytest.mark.parametrize(("kind", "overrides", "errors"), REFUSED)
def test_what_a_kind_does_not_ask_and_bad_values_are_refused_by_the_form_and_store_nothing(
    app, me, kind, overrides, errors
):
    response = me.post(f"/learn/practice/new?kind={kind}", data=kind_form(kind, **overrides))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert form_errors(page) == list(errors.values())
    assert "你填的内容都还在" in page
    for name, value in kind_form(kind).items():  # what was typed is kept
        if name in ASKED[kind] and name not in overrides and value and name != "note":
            assert f'value="{value}"' in page
    assert records(app) == []


@pytest.mark.parametrize(("kind", "overrides", "errors"), REFUSED)
def test_the_phone_meets_the_same_rule_and_nothing_is_stored(app, me, kind, overrides, errors):
    (answer,) = send(me, entry(kind_form(kind, **overrides)))
    assert answer["status"] == "rejected" and answer["errors"] == errors
    assert records(app) == []


def test_editing_an_existing_record_of_a_refused_field_changes_nothing(app, me, people):
    with app.app_context():
        record = make_record(
            people["trainee"],
            kind="livestream",
            amount_fen=None,
            quantity=None,
            unit="",
            product="",
            minutes=45,
            viewers=20,
            orders=1,
        )
        db.session.commit()
    edit = kind_form("livestream", product="土鸡蛋", uuid=record.uuid, version="1")
    response = me.post(f"/learn/practice/{record.id}/edit", data=edit)
    assert response.status_code == 422
    assert "直播记录不用填商品。" in form_errors(response.get_data(as_text=True))
    (stored,) = records(app)
    assert (stored.minutes, stored.viewers, stored.orders, stored.version) == (45, 20, 1, 1)


def test_changing_a_records_kind_on_edit_asks_the_new_kinds_fields_and_clears_the_old(app, me):
    assert me.post("/learn/practice/new", data=kind_form("sale")).status_code == 302
    (record,) = records(app)
    page = me.get(f"/learn/practice/{record.id}/edit").get_data(as_text=True)
    assert field_names(page) == ASKED["sale"] | EVERY_KIND
    switch = f'href="/learn/practice/{record.id}/edit?kind=product_listing"'
    assert switch in page
    page = me.get(f"/learn/practice/{record.id}/edit?kind=product_listing").get_data(as_text=True)
    assert field_names(page) == ASKED["product_listing"] | EVERY_KIND
    assert 'value="土鸡蛋"' in page  # the product carries over
    edit = kind_form("product_listing", product="土鸡蛋", uuid=record.uuid, version="1")
    assert me.post(f"/learn/practice/{record.id}/edit", data=edit).status_code == 302
    (stored,) = records(app)
    assert stored.kind == "product_listing" and stored.link == edit["link"]
    assert stored.amount_fen is None and stored.quantity is None and stored.unit == ""


# --- resends ---------------------------------------------------------------------------------


def test_a_resend_is_a_duplicate_and_other_content_an_edit_or_a_conflict(app, me):
    first = entry(kind_form("livestream"))
    (created,) = send(me, first)
    assert created["status"] == "created"
    (again,) = send(me, first)
    assert again["status"] == "duplicate" and again["version"] == created["version"]
    # Only a new field differs: not a duplicate — an edit of the version it was based on …
    more = first | {"data": kind_form("livestream", viewers="40"), "base_version": 1}
    (updated,) = send(me, more)
    assert updated["status"] == "updated" and updated["version"] == 2
    # … and the old content based on the old version again is a conflict: nothing overwritten.
    (conflict,) = send(me, first | {"data": kind_form("livestream", orders="9")})
    assert conflict["status"] == "conflict" and conflict["version"] == 2
    (stored,) = records(app)
    assert (stored.viewers, stored.orders) == (40, 3)


def test_the_form_sent_twice_stores_one_record_of_its_kind(app, me):
    data = kind_form("taught_others", uuid=str(uuids.uuid4()))
    assert me.post("/learn/practice/new", data=data).status_code == 302
    assert me.post("/learn/practice/new", data=data).status_code == 302
    assert len(records(app)) == 1
    # Back and save again with a fresh form: asked before storing the same content twice.
    response = me.post("/learn/practice/new", data=data | {"uuid": str(uuids.uuid4())})
    assert response.status_code == 409 and "教会2人" in response.get_data(as_text=True)


def test_a_screenshot_on_its_way_from_the_phone_counts_for_a_listing(app, me):
    data = kind_form("product_listing", link="")
    (rejected,) = send(me, entry(data))
    assert rejected["errors"] == {"link": "链接或截图至少一个：请粘贴链接，或在下面拍一张截图。"}
    first = entry(data | {"photo_follows": "1"})
    (created,) = send(me, first)
    assert created["status"] == "created"
    response = me.post(
        f"/api/v1/sync/photos/{first['uuid']}",
        data={"photo": (io.BytesIO(jpeg()), "p.jpg")},
        content_type="multipart/form-data",
    )
    assert response.get_json()["status"] == "updated"
    (again,) = send(me, first)
    assert again["status"] == "duplicate"
    (record,) = records(app)
    assert record.photo and record.link is None


# --- every page that shows a record shows its kind's fields ----------------------------------


def test_mentor_and_lead_pages_show_each_kinds_own_fields(app, people, login):
    with app.app_context():
        trainee = people["trainee"]
        live = make_record(
            trainee,
            kind="livestream",
            happened_on=TODAY,
            amount_fen=None,
            quantity=None,
            unit="",
            product="",
            minutes=90,
            viewers=120,
            orders=7,
        )
        listing = make_record(
            trainee,
            kind="product_listing",
            happened_on=TODAY,
            amount_fen=None,
            quantity=None,
            unit="",
            product="猕猴桃",
            link="https://mobile.yangkeduo.com/goods.html?id=1",
        )
        taught = make_record(
            trainee,
            kind="taught_others",
            happened_on=TODAY,
            status="verified",
            amount_fen=None,
            quantity=None,
            unit="",
            product="",
            people=3,
        )
        db.session.commit()
    mentor = login(people["mentor"])
    for url in ("/mentor/", f"/mentor/trainees/{people['trainee'].id}"):
        page = mentor.get(url).get_data(as_text=True)
        assert "直播90分钟 · 最多120人在看 · 7单" in page, url
        assert '猕猴桃 · <a href="https://mobile.yangkeduo.com/goods.html?id=1"' in page, url
        assert "¥50.00" not in page  # the factory's default amount is nowhere
    assert "教会3人" in mentor.get(f"/mentor/trainees/{people['trainee'].id}").get_data(
        as_text=True
    )
    page = mentor.get(f"/mentor/records/{listing.id}/reject").get_data(as_text=True)
    assert "商品上架/发布 · 猕猴桃 · " in page and "链接：mobile.yangkeduo.com" in page
    # The mentor decides on a version the trainee has since changed: shown the new values.
    trainee_client = login(people["trainee"], target=app.test_client())
    edit = kind_form("livestream", minutes="95", uuid=live.uuid, version="1")
    assert trainee_client.post(f"/learn/practice/{live.id}/edit", data=edit).status_code == 302
    response = mentor.post(f"/mentor/records/{live.id}/verify", data={"version": "1"})
    assert response.status_code == 409
    assert "直播95分钟 · 最多35人在看 · 3单 · <strong>¥120.00</strong>" in response.get_data(
        as_text=True
    )
    home = trainee_client.get("/learn/").get_data(as_text=True)
    assert "直播 · 直播95分钟" in home
    lead = login(people["lead"], target=app.test_client())
    report = lead.get(
        f"/lead/programmes/{people['programme'].id}/trainees/{people['trainee'].id}/report"
    ).get_data(as_text=True)
    assert "核实的其他实践" in report and "教会3人" in report
    assert taught.id  # verified, so on the report; the others wait for the mentor


def test_sales_figures_still_count_sales_only(app, me, people):
    with app.app_context():
        make_record(people["trainee"], happened_on=TODAY, amount_fen=1000)
        make_record(people["trainee"], kind="livestream", happened_on=TODAY, amount_fen=7000)
        make_record(people["trainee"], kind="cooperative_work", happened_on=TODAY, amount_fen=900)
        db.session.commit()
    page = me.get("/learn/practice").get_data(as_text=True)
    row = re.search(r'<td class="num">(\d+)</td><td class="num"><strong>(.*?)</strong>', page)
    assert row.groups() == ("1", "¥10.00")


def test_the_personal_data_export_carries_the_kinds_fields_and_erasure_drops_the_link(app, people):
    with app.app_context():
        make_record(
            people["trainee"],
            kind="shop_opened",
            amount_fen=None,
            quantity=None,
            unit="",
            product="",
            link="https://weidian.com/?userid=1700000",
        )
        make_record(people["trainee"], kind="livestream", minutes=30, viewers=8, orders=0)
        db.session.commit()
        trainee = db.session.merge(people["trainee"])
        exported = personal_data.gather(trainee)["practice_records"]
        assert {r["link"] for r in exported} == {"https://weidian.com/?userid=1700000", None}
        assert {(r["minutes"], r["viewers"], r["orders"]) for r in exported} >= {(30, 8, 0)}
        personal_data.erase(db.session.merge(people["lead"]), trainee)
        db.session.commit()
        assert db.session.scalar(select(func.count()).where(PracticeRecord.link.is_not(None))) == 0
        assert RecordStatus.SELF_REPORTED in set(db.session.scalars(select(PracticeRecord.status)))

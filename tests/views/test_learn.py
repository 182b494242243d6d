"""The trainee's path through the real app: lessons, quizzes, completion, practice records."""

import gc
import gzip
import io
import re
import shutil
import warnings
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from lms.clock import local_today
from lms.db import db
from lms.models import (
    CourseCompletion,
    LessonProgress,
    PracticeRecord,
    QuizAttempt,
    QuizItem,
    RecordStatus,
)
from tests.conftest import form_errors
from tests.factories import enroll, make_cohort, make_programme, make_record, make_user, sale_form


@pytest.fixture
def trainee(app, mini_curriculum):
    with app.app_context():
        user = make_user(name="王秀兰")
        user.profile.baseline_rung = 1
        db.session.commit()
        return user


@pytest.fixture
def me(trainee, login):
    return login(trainee)


def quiz_form(app, course_slug: str, answers: dict[str, list[int]], uuid: str | None = None):
    """answers: '<lesson-slug>/<quiz-slug>' → chosen option indexes."""
    with app.app_context():
        rows = db.session.execute(select(QuizItem.id, QuizItem.slug, QuizItem.lesson_id)).all()
        from lms.models import Lesson

        slugs = dict(db.session.execute(select(Lesson.id, Lesson.slug)).all())
    data = {"uuid": uuid} if uuid else {}
    for item_id, slug, lesson_id in rows:
        key = f"{slugs[lesson_id]}/{slug}"
        if key in answers:
            data[f"q{item_id}"] = [str(v) for v in answers[key]]
    return data


def count(model, **where):
    query = select(func.count()).select_from(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return db.session.scalar(query)


def test_home_shows_ladder_next_step_and_continue(app, me, trainee):
    with app.app_context():
        programme = make_programme()
        enroll(db.session.merge(trainee), make_cohort(programme, starts_on=local_today()))
        db.session.commit()
    page = me.get("/learn/").get_data(as_text=True)
    due = local_today() + timedelta(days=14)
    year = f"{due.year}年" if due.year != local_today().year else ""
    assert f"导师下次回访：{year}{due.month}月{due.day}日前后" in page
    assert "你在这里" in page and "升到第3级「三」还需要：" in page
    assert 'href="/learn/courses/basics">学完《手机入门》并通过小测验</a>' in page
    assert 'href="/learn/lessons/basics-charge"' in page  # continue learning
    assert "记一笔销售" in page


def make_user_committed(app, name):
    with app.app_context():
        user = make_user(name=name)
        db.session.commit()
        return user


def test_read_lessons_fail_then_pass_the_quiz_and_complete_the_course(app, me, trainee, login):
    lesson = me.get("/learn/lessons/basics-charge").get_data(as_text=True)
    assert "把充电器插到插座上" in lesson and 'loading="lazy"' in lesson
    image = me.get("/learn/img/basics/charger.png")
    assert image.status_code == 200 and image.mimetype == "image/png"
    image.close()
    response = me.post("/learn/lessons/basics-charge/learned")
    assert response.headers["Location"] == "/learn/lessons/basics-wifi"

    quiz = me.get("/learn/courses/basics/quiz").get_data(as_text=True)
    assert "共3题，答对50%就通过。" in quiz
    # Unanswered questions: a clear message, nothing stored, what was chosen is kept.
    partial = quiz_form(app, "basics", {"basics-charge/q1": [1]})
    response = me.post("/learn/courses/basics/quiz", data=partial)
    assert response.status_code == 422
    assert form_errors(response.get_data(as_text=True)) == [
        "第2题还没有选答案。",
        "第3题还没有选答案。",
    ]
    assert 'value="1" checked' in response.get_data(as_text=True)
    with app.app_context():
        assert count(QuizAttempt) == 0

    wrong = quiz_form(
        app, "basics", {"basics-charge/q1": [0], "basics-charge/q2": [0], "basics-wifi/q1": [0, 1]}
    )
    page = me.post("/learn/courses/basics/quiz", data=wrong).get_data(as_text=True)
    assert "还差一点" in page and "33 分" in page and "通过要 50 分" in page
    assert "插上充电器就好。" in page  # explanations shown after submitting
    assert "正确答案：B. 充电" in page

    right = quiz_form(
        app,
        "basics",
        {"basics-charge/q1": [1], "basics-charge/q2": [1], "basics-wifi/q1": [0, 1]},
        uuid="5b0e9a52-2f0c-4a49-9d53-0d2b6c1a7e02",
    )
    page = me.post("/learn/courses/basics/quiz", data=right).get_data(as_text=True)
    assert "通过了！" in page and "100 分" in page
    assert "测验通过了。把每一课都点“学会了”" in page  # one lesson still to learn
    # The same attempt sent twice (a flaky connection) is stored once; the same attempt with
    # other answers (back, change, submit) is not a silent overwrite: it is refused, and a
    # fresh quiz is offered.
    me.post("/learn/courses/basics/quiz", data=right)
    changed = me.post("/learn/courses/basics/quiz", data={**right, **{k: ["0"] for k in wrong}})
    assert changed.status_code == 409 and "这份答卷已经交过了" in changed.get_data(as_text=True)
    # The same uuid from another trainee's phone: refused with a message, nothing stored.
    other = login(make_user_committed(app, "别人"), target=app.test_client())
    taken = other.post("/learn/courses/basics/quiz", data=right)
    assert taken.status_code == 409 and "表单编号不对" in taken.get_data(as_text=True)
    with app.app_context():
        attempts = db.session.scalars(select(QuizAttempt).order_by(QuizAttempt.id)).all()
        assert [(a.percent, a.passed) for a in attempts] == [(33, False), (100, True)]
        assert count(CourseCompletion) == 0

    me.post("/learn/lessons/basics-wifi/learned")
    with app.app_context():
        assert count(CourseCompletion, trainee_id=trainee.id) == 1
        assert count(LessonProgress, trainee_id=trainee.id) == 2
    course = me.get("/learn/courses/basics").get_data(as_text=True)
    assert "已完成" in course and "小测验最好成绩 100 分" in course
    home = me.get("/learn/").get_data(as_text=True)
    assert "已学完《手机入门》" in home


def test_prerequisites_are_respected(app, me):
    response = me.get("/learn/lessons/selling-first-post")
    assert response.status_code == 302 and response.headers["Location"] == "/learn/courses/selling"
    page = me.get("/learn/courses/selling").get_data(as_text=True)
    assert "这门课要先学完：" in page and "请先学完《手机入门》，再学这门课。" in page
    me.post("/learn/lessons/selling-first-post/learned")
    with app.app_context():
        assert count(LessonProgress) == 0
    courses = me.get("/learn/courses").get_data(as_text=True)
    assert "先学前面的课" in courses


def test_a_prerequisite_added_later_never_locks_a_course_already_started(app, me, trainee):
    """A curricula import that gives a course a new prerequisite locks it for those who have
    not started it, not for a trainee halfway through it."""
    from lms.models import Course
    from lms.models.curriculum import course_prerequisites

    with app.app_context():
        basics = db.session.scalar(select(Course).where(Course.slug == "basics"))
        db.session.execute(course_prerequisites.delete())  # selling is open to begin with
        db.session.commit()
    assert me.post("/learn/lessons/selling-first-post/learned").status_code == 302
    with app.app_context():
        selling = db.session.scalar(select(Course).where(Course.slug == "selling"))
        db.session.execute(
            course_prerequisites.insert().values(course_id=selling.id, prerequisite_id=basics.id)
        )
        db.session.commit()
    page = me.get("/learn/courses/selling").get_data(as_text=True)
    assert "这门课要先学完：" not in page
    assert me.get("/learn/lessons/selling-first-post").status_code == 200  # locked: a redirect
    with app.app_context():
        assert count(LessonProgress, trainee_id=trainee.id) == 1


def release_test_client_upload_buffers() -> None:
    """Werkzeug's test client spools a large multipart body to a temporary file it never closes;
    collect it here, quietly, rather than let the warning surface in a later test."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


def jpeg_with_exif(size=(3000, 2000)) -> bytes:
    image = Image.new("RGB", size, (120, 180, 90))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=70)
    return out.getvalue()


def sale(**overrides):
    uuid = "6f1c2d3e-0000-4000-8000-000000000001"
    return sale_form(**{"uuid": uuid, "amount": "45.5", "note": "", **overrides})


def test_log_a_sale_with_a_photo_edit_it_and_see_monthly_totals(app, me, trainee):
    data = sale(photo=(io.BytesIO(jpeg_with_exif()), "IMG_0001.jpg"))
    response = me.post("/learn/practice/new", data=data, content_type="multipart/form-data")
    release_test_client_upload_buffers()
    assert response.status_code == 302
    with app.app_context():
        record = db.session.scalar(select(PracticeRecord))
        assert record.amount_fen == 4550 and record.status is RecordStatus.SELF_REPORTED
        assert str(record.quantity) == "30.00" and record.trainee_id == trainee.id
        photo = me.get(f"/learn/practice/{record.id}/photo")
        assert photo.status_code == 200
        with Image.open(io.BytesIO(photo.data)) as stored:
            assert stored.format == "JPEG" and max(stored.size) == 1280
            assert not stored.getexif()  # metadata stripped
        photo.close()
    # Sent again (the phone did not see the answer): recognised by its uuid, stored once.
    me.post("/learn/practice/new", data=sale())
    with app.app_context():
        assert count(PracticeRecord) == 1

    edit = sale(amount="128.50", quantity="2.5", unit="箱", uuid=record.uuid, version="1")
    assert me.post(f"/learn/practice/{record.id}/edit", data=edit).status_code == 302
    page = me.get("/learn/practice").get_data(as_text=True)
    today = local_today()
    assert f"{today.year}年{today.month}月" in page
    assert "<strong>¥128.50</strong>" in page and "2.5箱" in page

    with app.app_context():
        make_record(db.session.merge(trainee), happened_on=today, amount_fen=100000)
        make_record(db.session.merge(trainee), happened_on=today, amount_fen=999, status="rejected")
        make_record(
            db.session.merge(trainee), kind="livestream", happened_on=today, amount_fen=None
        )
        db.session.commit()
    page = me.get("/learn/practice").get_data(as_text=True)
    row = re.search(
        r"<td>\d+年\d+月</td><td class=\"num\">(\d+)</td><td class=\"num\">"
        r"<strong>(.*?)</strong>",
        page,
    )
    assert row.groups() == ("2", "¥1,128.50")


@pytest.mark.parametrize(
    ("overrides", "field_errors"),
    [
        ({"happened_on": (local_today() + timedelta(days=1)).isoformat()}, ["日期不能晚于今天。"]),
        ({"amount": "-5"}, ["金额不能是负数。"]),
        ({"channel": "fax"}, ["请选择在哪里卖的或发的。"]),
        ({"amount": "1000000.01"}, ["一笔超过 ¥1,000,000，请检查是不是多打了0。"]),
        ({"amount": "十块"}, ["金额只能填数字，比如 128.50。"]),
        ({"product": "  "}, ["请填写卖了什么（或发布了什么商品）。"]),
        ({"quantity": "0"}, ["数量要大于0。"]),
        (
            {"photo": (io.BytesIO(b"%PDF-1.4 not a photo"), "receipt.pdf")},
            ["只能上传照片（JPG、PNG 或 WebP 格式）。"],
        ),
        (
            {"photo": (io.BytesIO(b"\xff\xd8" + b"0" * (2 * 1024 * 1024)), "big.jpg")},
            ["照片太大了（最大 2 MB）。请换一张，或用手机拍小一点。"],
        ),
        (
            {"amount": "", "product": ""},
            ["请填写卖了什么（或发布了什么商品）。", "请填写收了多少钱。"],
        ),
    ],
)
def test_bad_input_is_explained_next_to_the_field_keeps_what_was_typed_and_stores_nothing(
    app, me, overrides, field_errors
):
    data = sale(**overrides)
    response = me.post("/learn/practice/new", data=data, content_type="multipart/form-data")
    release_test_client_upload_buffers()
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert form_errors(page) == field_errors
    assert "你填的内容都还在" in page
    for name in ("product", "amount", "quantity"):
        if data[name].strip():
            assert f'value="{data[name]}"' in page
    with app.app_context():
        assert count(PracticeRecord) == 0


@pytest.mark.parametrize(
    ("channel", "shown"),
    [("wechat_channels", "视频号"), ("wechat_shop", "微信小店"), ("market_stall", "线下集市摆摊")],
)
def test_a_sale_on_wechat_channels_a_wechat_shop_or_a_market_stall(app, me, channel, shown):
    form = me.get("/learn/practice/new?kind=sale").get_data(as_text=True)
    assert f'<option value="{channel}">{shown}</option>' in form
    assert me.post("/learn/practice/new", data=sale(channel=channel)).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(PracticeRecord.channel)) == channel
    assert shown in me.get("/learn/practice").get_data(as_text=True)


def test_practice_task_links_to_the_record_it_asks_for(app, me, trainee):
    with app.app_context():
        from lms.models import Course
        from lms.services import learning

        user = db.session.merge(trainee)
        basics = db.session.scalar(select(Course).where(Course.slug == "basics"))
        for lesson in basics.lessons:
            learning.mark_learned(user, lesson)
        learning.submit_quiz(
            user, basics, {i.id: set(i.answer) for i in learning.quiz_items(basics)}
        )
        db.session.commit()
    lesson = me.get("/learn/lessons/selling-first-post").get_data(as_text=True)
    assert "实践任务：卖出第一单" in lesson
    assert 'href="/learn/practice/new?task=selling-first-sale"' in lesson
    form = me.get("/learn/practice/new?task=selling-first-sale").get_data(as_text=True)
    assert "实践任务：卖出第一单" in form
    me.post("/learn/practice/new?task=selling-first-sale", data=sale())
    with app.app_context():
        record = db.session.scalar(select(PracticeRecord))
        assert record.task.slug == "selling-first-sale"


def test_verified_records_are_locked_for_the_trainee(app, me, trainee):
    with app.app_context():
        record = make_record(db.session.merge(trainee), status="verified")
        db.session.commit()
    assert me.post(f"/learn/practice/{record.id}/edit", data=sale()).status_code == 302
    assert me.post(f"/learn/practice/{record.id}/delete").status_code == 302
    with app.app_context():
        stored = db.session.get(PracticeRecord, record.id)
        assert stored.amount_fen == 5000 and stored.status is RecordStatus.VERIFIED


def test_a_rejected_record_goes_back_for_review_when_edited(app, me, trainee):
    with app.app_context():
        record = make_record(
            db.session.merge(trainee), status="rejected", reject_reason="金额对不上"
        )
        db.session.commit()
    page = me.get(f"/learn/practice/{record.id}/edit").get_data(as_text=True)
    assert "导师没有通过这条记录：金额对不上" in page and 'value="50.00"' in page
    me.post(f"/learn/practice/{record.id}/edit", data=sale(uuid=record.uuid, version="1"))
    with app.app_context():
        assert db.session.get(PracticeRecord, record.id).status is RecordStatus.SELF_REPORTED


def test_a_trainee_cannot_see_or_change_another_trainees_records(app, me):
    with app.app_context():
        other = make_user(name="别人")
        record = make_record(other, photo="x.jpg")
        db.session.commit()
    for method, url in [
        ("get", f"/learn/practice/{record.id}/edit"),
        ("post", f"/learn/practice/{record.id}/edit"),
        ("post", f"/learn/practice/{record.id}/delete"),
        ("get", f"/learn/practice/{record.id}/photo"),
    ]:
        assert getattr(me, method)(url, data=sale()).status_code == 404, url
    assert "土鸡蛋" not in me.get("/learn/practice").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(PracticeRecord, record.id).amount_fen == 5000


def test_delete_own_record(app, me, trainee):
    with app.app_context():
        record = make_record(db.session.merge(trainee), product="腊肉")
        db.session.commit()
    assert "腊肉" in me.get("/learn/practice").get_data(as_text=True)
    # A form showing an older version deletes nothing.
    me.post(f"/learn/practice/{record.id}/delete", data={"version": "0"})
    with app.app_context():
        assert db.session.get(PracticeRecord, record.id).status is RecordStatus.SELF_REPORTED
    response = me.post(f"/learn/practice/{record.id}/delete", data={"version": "1"})
    assert response.status_code == 302
    page = me.get("/learn/practice").get_data(as_text=True)
    assert "已删除。" in page and "腊肉" not in page
    # A second tap finds it deleted and says so; the row stays as a tombstone for its uuid.
    again = me.post(
        f"/learn/practice/{record.id}/delete", data={"version": "1"}, follow_redirects=True
    )
    assert again.status_code == 200 and "已删除。" in again.get_data(as_text=True)
    assert me.get(f"/learn/practice/{record.id}/edit").status_code == 404
    with app.app_context():
        assert db.session.get(PracticeRecord, record.id).status is RecordStatus.DELETED


def test_trainee_pages_run_a_fixed_number_of_queries(app, me, trainee, count_queries):
    def counts():
        return [
            count_queries(lambda url=url: me.get(url))[1]
            for url in (
                "/learn/",
                "/learn/courses",
                "/learn/courses/basics",
                "/learn/lessons/basics-charge",
                "/learn/courses/basics/quiz",
                "/learn/practice",
            )
        ]

    with app.app_context():
        make_record(db.session.merge(trainee))
        db.session.commit()
    few = counts()
    with app.app_context():
        user = db.session.merge(trainee)
        for day in range(40):
            make_record(user, happened_on=local_today() - timedelta(days=day * 3))
        db.session.commit()
    assert counts() == few


def test_lesson_pictures_stay_inside_the_curriculum(me):
    assert me.get("/learn/img/../ladder.yaml").status_code == 404
    assert me.get("/learn/img/basics/../course.yaml").status_code == 404
    assert me.get("/learn/img/Basics!/charger.png").status_code == 404


def _mini_tree(tmp_path):
    """A copy of the test curricula, to edit."""
    from tests.conftest import MINI_CURRICULUM

    root = tmp_path / "curricula"
    shutil.copytree(MINI_CURRICULUM, root)
    return root


def _use_tree(app, monkeypatch, root) -> None:
    """Import `root` and serve its files, as `flask curricula import` would."""
    from lms.services import curricula

    monkeypatch.setitem(app.config, "CURRICULA_PATH", str(root))
    with app.app_context():
        curricula.import_tree(root)
        db.session.commit()


def test_a_lesson_figure_drawn_as_svg_is_lazy_and_runs_nothing_opened_on_its_own(
    app, me, tmp_path, monkeypatch
):
    root = _mini_tree(tmp_path)
    body = root / "courses" / "basics" / "basics-charge.md"
    body.write_text(
        body.read_text(encoding="utf-8").replace("(img/charger.png)", "(img/charger.svg)"),
        encoding="utf-8",
    )
    rects = "".join(f'<rect x="{i}" width="5" height="5"/>' for i in range(100))
    (root / "courses" / "basics" / "img" / "charger.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><title>充电</title>'
        f"{rects}</svg>",
        encoding="utf-8",
    )
    _use_tree(app, monkeypatch, root)
    page = me.get("/learn/lessons/basics-charge").get_data(as_text=True)
    assert 'src="/learn/img/basics/charger.svg"' in page
    assert 'loading="lazy"' in page
    figure = me.get("/learn/img/basics/charger.svg")
    assert figure.status_code == 200
    assert figure.mimetype == "image/svg+xml"
    assert figure.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"  # FIGURE_CSP
    assert b"<title>" in figure.get_data()
    figure.close()
    packed = me.get("/learn/img/basics/charger.svg", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"  # figures are text: sent compressed
    assert b"<title>" in gzip.decompress(packed.get_data())
    again = me.get(
        "/learn/img/basics/charger.svg",
        headers={"Accept-Encoding": "gzip", "If-None-Match": packed.headers["ETag"]},
    )
    assert again.status_code == 304  # a phone that has it downloads nothing


def test_a_lesson_with_a_recording_offers_it_and_serves_it_from_the_curriculum(
    app, me, tmp_path, monkeypatch
):
    root = _mini_tree(tmp_path)
    course = root / "courses" / "basics" / "course.yaml"
    text = course.read_text(encoding="utf-8")
    course.write_text(
        text.replace("    minutes: 10\n", "    minutes: 10\n    audio: audio/charge.opus\n", 1),
        encoding="utf-8",
    )
    (root / "courses" / "basics" / "audio").mkdir()
    (root / "courses" / "basics" / "audio" / "charge.opus").write_bytes(b"OggS" + bytes(300))
    _use_tree(app, monkeypatch, root)
    page = me.get("/learn/lessons/basics-charge").get_data(as_text=True)
    assert '<audio controls preload="none" src="/learn/audio/basics/charge.opus">' in page
    assert "听老师读这一课" in page
    assert "<audio" not in me.get("/learn/lessons/basics-wifi").get_data(as_text=True)
    heard = me.get("/learn/audio/basics/charge.opus")
    assert heard.status_code == 200 and heard.mimetype == "audio/ogg"
    assert heard.data.startswith(b"OggS")
    heard.close()
    for outside in ("basics/../course.yaml", "basics/charge.mp3", "Basics!/charge.opus"):
        assert me.get(f"/learn/audio/{outside}").status_code == 404


def test_the_tracks_recommended_courses_come_first_on_the_course_list(app, me, trainee):
    def section(page):
        found = re.search(
            r"<h2>卖鸡蛋方向推荐的课</h2>\s*<ul class=\"courses\">(.*?)</ul>", page, re.S
        )
        return found and re.findall(r'href="/learn/courses/([\w-]+)"', found.group(1))

    assert section(me.get("/learn/courses").get_data(as_text=True)) is None
    with app.app_context():
        from lms.models import Track

        db.session.merge(trainee).profile.track = db.session.scalar(
            select(Track).where(Track.slug == "eggs")
        )
        db.session.commit()
    assert section(me.get("/learn/courses").get_data(as_text=True)) == ["basics"]

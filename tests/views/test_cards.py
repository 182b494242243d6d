"""The platform cards' pages through the real app: every logged-in role reads them, a trainee
gives consent first, an unknown or archived card is 404, a lesson's card link opens its card."""

import gzip
import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import select, update

from lms.clock import utcnow
from lms.db import db
from lms.models import PlatformCard, Role
from tests.factories import make_user

VOID = {"meta", "link", "input", "br", "hr", "img", "source", "path", "circle", "rect", "line"}


class _Balance(HTMLParser):
    """Every element closed in order, ids unique: enough to catch a template's broken markup."""

    def __init__(self):
        super().__init__()
        self.open: list[str] = []
        self.ids: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.ids += [v for k, v in attrs if k == "id"]
        if tag not in VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.ids += [v for k, v in attrs if k == "id"]

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.open or self.open[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.open[-1] if self.open else None}>")
        else:
            self.open.pop()


def assert_valid(html: str) -> None:
    assert html.startswith("<!doctype html>")
    checker = _Balance()
    checker.feed(html)
    assert checker.errors == [] and checker.open == []
    assert len(checker.ids) == len(set(checker.ids))


@pytest.fixture
def reader(app, mini_curriculum, login):
    def _reader(role: Role, **options):
        with app.app_context():
            user = make_user(role, **options)
            db.session.commit()
        return login(user)

    return _reader


@pytest.mark.parametrize("role", list(Role))
def test_every_role_reads_the_list_and_each_card(reader, role):
    client = reader(role)
    index = client.get("/learn/cards")
    assert index.status_code == 200
    html = index.get_data(as_text=True)
    assert_valid(html)
    assert html.index('href="/learn/cards/taobao">淘宝') < html.index(
        'href="/learn/cards/wechat-shop">微信小店'
    )
    assert "核对日期：2026年12月3日" in html and "规则会变，以平台应用里为准" in html
    card = client.get("/learn/cards/taobao")
    assert card.status_code == 200
    html = card.get_data(as_text=True)
    assert_valid(html)
    assert '<p class="checked-on">核对日期：2026年12月3日</p>' in html
    assert "规则会变，以平台应用里为准" in html
    assert '<article class="lesson" lang="zh-CN"><h2>开店要什么</h2>' in html
    assert card.headers["Cache-Control"] == "private, no-cache"


def test_an_unknown_or_archived_card_is_404(app, reader):
    client = reader(Role.TRAINEE)
    assert client.get("/learn/cards/meituan").status_code == 404
    assert client.get("/learn/cards/index").status_code == 404
    with app.app_context():
        db.session.execute(
            update(PlatformCard)
            .where(PlatformCard.slug == "wechat-shop")
            .values(archived_at=utcnow())
        )
        db.session.commit()
    assert client.get("/learn/cards/wechat-shop").status_code == 404
    assert "微信小店" not in client.get("/learn/cards").get_data(as_text=True)


def test_login_first_and_a_trainee_gives_consent_first(app, mini_curriculum, client, reader):
    response = client.get("/learn/cards/taobao")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    trainee = reader(Role.TRAINEE, consented=False)
    response = trainee.get("/learn/cards/taobao")
    assert response.status_code == 302 and response.headers["Location"] == "/learn/consent"


def test_a_lessons_card_link_opens_the_card_and_the_course_list_links_the_cards(reader):
    client = reader(Role.TRAINEE)
    courses = client.get("/learn/courses").get_data(as_text=True)
    assert 'href="/learn/cards"' in courses
    with client.application.app_context():
        from lms.models import Course, CourseCompletion, User

        me = db.session.scalar(select(User).where(User.role == Role.TRAINEE))
        basics = db.session.scalar(select(Course).where(Course.slug == "basics"))
        db.session.add(CourseCompletion(trainee_id=me.id, course_id=basics.id))
        db.session.commit()
    lesson = client.get("/learn/lessons/selling-first-post").get_data(as_text=True)
    link = re.search(r'<a href="([^"]+)" rel="noopener noreferrer">淘宝的规则卡</a>', lesson)
    assert link and link[1] == "/learn/cards/taobao"
    assert client.get(link[1]).status_code == 200


def test_the_way_back_and_the_interface_in_english(reader):
    mentor = reader(Role.MENTOR)
    assert 'href="/mentor/"' in mentor.get("/learn/cards").get_data(as_text=True)
    mentor.post("/locale", data={"locale": "en"})
    html = mentor.get("/learn/cards/taobao").get_data(as_text=True)
    assert "Checked on: December 3, 2026" in html
    assert "Rules change: what the platform's app says comes first." in html
    assert '<article class="lesson" lang="zh-CN"><h2>开店要什么</h2>' in html  # Chinese only


def test_a_card_page_is_within_the_trainee_page_budget(reader):
    client = reader(Role.TRAINEE)
    headers = {"Accept-Encoding": "gzip"}
    page = client.get("/learn/cards/taobao", headers=headers)
    html = gzip.decompress(page.data).decode()
    css = client.get(re.search(r'href="(/static/css/[^"]+)"', html)[1], headers=headers)
    scripts = [
        client.get(url, headers=headers).data
        for url in re.findall(r'<script src="(/static/js/[^"]+)"', html)
    ]
    assert len(page.data) + len(css.data) + sum(map(len, scripts)) <= 50 * 1024

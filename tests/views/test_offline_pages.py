"""The installable app: manifest, icons, favicon, the service worker at the site root, the
offline page and the waiting list — the same for everyone, with nothing personal in them — and
the pages a phone is asked to keep, scoped like the pages themselves."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from lms.clock import local_today
from lms.db import db
from lms.models import Lesson, Role
from tests.factories import assign, enroll, make_cohort, make_programme, make_user, visit_form

ROOT = Path(__file__).resolve().parents[2]
TODAY = local_today()


def test_the_manifest_installs_the_app_with_a_chinese_name_and_icons(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200 and response.mimetype == "application/manifest+json"
    manifest = response.get_json()
    assert manifest["name"] == "乡村电商学堂" and manifest["lang"] == "zh-CN"
    assert (manifest["display"], manifest["start_url"], manifest["scope"]) == (
        "standalone",
        "/",
        "/",
    )
    assert manifest["theme_color"] == "#2f7d32"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    assert any(icon.get("purpose") == "maskable" for icon in manifest["icons"])
    for icon in manifest["icons"]:
        image = client.get(icon["src"])
        assert image.status_code == 200 and image.mimetype == "image/png"
    favicon = client.get("/favicon.ico")
    assert favicon.status_code == 200 and favicon.data[:4] == b"\x00\x00\x01\x00"
    page = client.get("/login").get_data(as_text=True)
    assert 'rel="manifest" href="/manifest.webmanifest"' in page and 'rel="icon"' in page


def test_the_worker_is_served_from_the_root_and_names_only_files_of_this_server(client):
    response = client.get("/sw.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert "no-cache" in response.headers["Cache-Control"]
    worker = response.get_data(as_text=True)
    shell = re.search(r"const SHELL_URLS = (\[.*?\]);", worker)[1]
    for url in re.findall(r'"([^"]+)"', shell):
        assert url.startswith("/"), url  # nothing from outside the server
        assert client.get(url).status_code == 200, url
    assert re.search(r"/static/js/offline\.[0-9a-f]{10}\.js", shell)
    assert "http://" not in worker and "https://" not in worker


def test_no_script_loads_anything_from_outside_the_server():
    for path in (ROOT / "static" / "js").rglob("*.js"):
        code = re.sub(r"/\*.*?\*/", "", path.read_text(encoding="utf-8"), flags=re.S)
        assert not re.search(r"https?://", code), path
    worker = (ROOT / "templates" / "offline" / "sw.js").read_text(encoding="utf-8")
    assert "importScripts" not in worker


@pytest.fixture
def people(app, mini_curriculum):
    with app.app_context():
        mentor, other_mentor = make_user(Role.MENTOR, name="张导师"), make_user(Role.MENTOR)
        mine, theirs = make_user(name="刘春梅"), make_user(name="王小红")
        programme = make_programme(make_user(Role.LEAD))
        cohort = make_cohort(programme, starts_on=TODAY - timedelta(days=10))
        other_cohort = make_cohort(programme, name="二期", starts_on=TODAY - timedelta(days=10))
        enroll(mine, cohort)
        enroll(theirs, other_cohort)
        assign(mentor, cohort=cohort, starts_on=TODAY - timedelta(days=10))
        assign(other_mentor, cohort=other_cohort, starts_on=TODAY - timedelta(days=10))
        db.session.commit()
        return {"mentor": mentor, "mine": mine, "theirs": theirs}


def kept(html: str) -> list[str]:
    found = re.search(r'<meta name="lms-keep" content="([^"]*)">', html)
    return found[1].split() if found else []


def test_the_offline_page_and_the_waiting_list_hold_nothing_personal(app, people, login):
    client = login(people["mentor"])
    for path in ("/offline", "/pending"):
        response = client.get(path)
        page = response.get_data(as_text=True)
        assert response.status_code == 200 and re.search(r"[\u4e00-\u9fff]", page)
        assert "张导师" not in page and "data-user" not in page and "data-shell" in page
    home = client.get("/mentor/").get_data(as_text=True)
    assert f'data-user="{people["mentor"].id}"' in home and 'id="sync-status"' in home


def test_a_mentor_keeps_the_files_and_visit_forms_of_their_own_trainees_only(app, people, login):
    client = login(people["mentor"])
    paths = kept(client.get("/mentor/").get_data(as_text=True))
    mine, theirs = people["mine"].id, people["theirs"].id
    assert paths == [f"/mentor/trainees/{mine}", f"/mentor/trainees/{mine}/visits/new"]
    assert all(client.get(path).status_code == 200 for path in paths)
    form = client.get(f"/mentor/trainees/{mine}/visits/new").get_data(as_text=True)
    assert 'data-offline="visit"' in form and f"&#34;trainee_id&#34;: &#34;{mine}&#34;" in form
    assert f"/mentor/trainees/{theirs}" not in " ".join(paths)


def test_a_page_kept_in_the_background_leaves_the_message_for_the_page_being_opened(
    app, people, login
):
    """After "回访记录已保存。" the worker may be keeping the trainee's file while the browser
    follows the redirect to it: the kept copy must not take the message."""
    client = login(people["mentor"])
    mine = people["mine"].id
    response = client.post(f"/mentor/trainees/{mine}/visits/new", data=visit_form())
    assert response.status_code == 302
    kept_copy = client.get(f"/mentor/trainees/{mine}", headers={"X-LMS-Keep": "1"})
    assert "回访记录已保存。" not in kept_copy.get_data(as_text=True)
    opened = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "回访记录已保存。" in opened


def test_a_lesson_keeps_the_next_lessons_of_its_course_and_the_home_the_practice_form(
    app, people, login
):
    client = login(people["mine"])
    with app.app_context():
        lessons = db.session.scalars(select(Lesson).order_by(Lesson.course_id, Lesson.position))
        first, *rest = [x for x in lessons if x.course.slug == "basics"]
        slugs = [x.slug for x in rest]
    page = client.get(f"/learn/lessons/{first.slug}").get_data(as_text=True)
    assert kept(page) == [f"/learn/lessons/{slug}" for slug in slugs][:5]
    home = kept(client.get("/learn/").get_data(as_text=True))
    assert "/learn/practice/new" in home and "/learn/practice" in home
    assert "/learn/practice/new?kind=sale" in home  # each kind's own form, too
    assert "/learn/practice/new?kind=product_listing" in home
    form = client.get("/learn/practice/new?kind=sale").get_data(as_text=True)
    assert 'data-offline="practice_record"' in form
    edit_forms = client.get("/learn/practice").get_data(as_text=True)
    assert "data-offline" not in edit_forms  # only new entries are made offline

"""Every response carries the security headers and the caching contract of DESIGN §5."""

import io
import re

import pytest
from PIL import Image

from lms.db import db
from lms.models import Role
from lms.security import CSP
from tests.factories import make_user


@pytest.fixture
def admin(app, login):
    with app.app_context():
        user = make_user(Role.ADMIN)
        trainee = make_user(name="学员甲")
        db.session.commit()
    return login(user), trainee


def test_every_page_has_the_security_headers(client):
    for response in (client.get("/login"), client.get("/nope"), client.get("/healthz")):
        headers = response.headers
        assert headers["Content-Security-Policy"] == CSP
        assert "frame-ancestors 'none'" in CSP and "script-src 'self'" in CSP
        assert "'unsafe-inline'" not in CSP
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "same-origin"


def test_personal_pages_are_private_and_one_time_passwords_are_never_stored(app, admin):
    client, trainee = admin
    assert client.get("/admin/users").headers["Cache-Control"] == "private, no-cache"
    shown = client.post(f"/admin/users/{trainee.id}/reset-password")
    assert re.search(r"\d{8}", shown.get_data(as_text=True))
    assert shown.headers["Cache-Control"] == "no-store"


def test_static_files_are_immutable_and_photos_private(app, login, mini_curriculum):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    css = re.search(r'href="(/static/css/app\.[0-9a-f]{10}\.css)"', page)[1]
    cached = client.get(css).headers["Cache-Control"]
    assert "immutable" in cached and "max-age=31536000" in cached
    with app.app_context():
        trainee = make_user()
        db.session.commit()
    me = login(trainee, target=app.test_client())
    out = io.BytesIO()
    Image.new("RGB", (20, 20), "red").save(out, "PNG")
    me.post(
        "/learn/practice/new",
        data={
            "kind": "sale",
            "happened_on": "2026-11-30",
            "channel": "wechat_group",
            "product": "蛋",
            "quantity": "1",
            "unit": "个",
            "amount": "5",
            "photo": (io.BytesIO(out.getvalue()), "p.png"),
        },
        content_type="multipart/form-data",
    )
    listing = me.get("/learn/practice").get_data(as_text=True)
    photo_url = re.search(r'href="(/learn/practice/\d+/photo)"', listing)[1]
    photo = me.get(photo_url)
    assert photo.status_code == 200 and photo.headers["Cache-Control"] == "private, no-cache"
    photo.close()


def test_no_template_has_an_inline_style_or_script():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "templates"
    for path in root.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\sstyle=", text), path
        # scripts come from static/; a data block (type="application/json") runs nothing
        assert not re.search(r'<script(?![^>]*\s(src=|type="application/json"))', text), path
        assert not re.search(r"\son[a-z]+=", text), path

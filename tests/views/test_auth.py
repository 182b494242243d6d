"""Logging in and out through the real pages."""

from contextlib import contextmanager

from lms.db import db
from lms.models import Role
from lms.services import accounts
from tests.conftest import form_errors
from tests.factories import PASSWORD, make_user


def test_login_lands_each_role_on_its_home(app, client):
    with app.app_context():
        users = {role: make_user(role) for role in Role}
        db.session.commit()
    homes = {
        Role.TRAINEE: "/learn/",
        Role.MENTOR: "/mentor/",
        Role.LEAD: "/lead/",
        Role.ADMIN: "/admin/",
    }
    for role, user in users.items():
        c = app.test_client()
        response = c.post("/login", data={"phone": user.phone, "password": PASSWORD})
        assert response.status_code == 302
        assert response.headers["Location"] == homes[role]
        page = c.get(homes[role], follow_redirects=True)
        assert page.status_code == 200
        assert user.name in page.get_data(as_text=True)


def test_wrong_password_is_refused_with_a_message(app, client):
    with app.app_context():
        user = make_user()
        db.session.commit()
    response = client.post("/login", data={"phone": user.phone, "password": "wrong"})
    assert response.status_code == 401
    assert form_errors(response.get_data(as_text=True)) == ["手机号或密码不对，请再试一次。"]
    assert user.phone in response.get_data(as_text=True)  # what was typed is kept
    assert client.get("/learn/").status_code == 302


def test_five_failures_lock_the_account_across_requests(app, client):
    with app.app_context():
        user = make_user()
        db.session.commit()
    for _ in range(4):
        assert client.post("/login", data={"phone": user.phone, "password": "x"}).status_code == 401
    response = client.post("/login", data={"phone": user.phone, "password": "x"})
    assert response.status_code == 429
    assert "账号已锁定。请15分钟后再试" in response.get_data(as_text=True)
    # The lock is in the database: a fresh client with the right password is refused too.
    other = app.test_client()
    assert other.post("/login", data={"phone": user.phone, "password": PASSWORD}).status_code == 429


@contextmanager
def csrf_on(app):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        yield
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_a_form_post_without_csrf_token_is_rejected(app, client):
    with app.app_context():
        user = make_user()
        db.session.commit()
    with csrf_on(app):
        response = client.post("/login", data={"phone": user.phone, "password": PASSWORD})
        assert response.status_code == 400
        page = client.get("/login").get_data(as_text=True)
        token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        response = client.post(
            "/login", data={"phone": user.phone, "password": PASSWORD, "csrf_token": token}
        )
        assert response.status_code == 302


def test_logout_ends_every_session_of_the_user(app, login):
    with app.app_context():
        user = make_user()
        db.session.commit()
    phone_a, phone_b = app.test_client(), app.test_client()
    login(user, target=phone_a)
    login(user, target=phone_b)
    assert phone_b.get("/learn/").status_code == 200
    assert phone_a.post("/logout").status_code == 302
    assert phone_a.get("/learn/").status_code == 302
    assert phone_b.get("/learn/").status_code == 302  # the other phone is logged out too


def test_password_change_keeps_this_session_and_ends_the_others(app, login):
    with app.app_context():
        user = make_user()
        db.session.commit()
    mine, other = app.test_client(), app.test_client()
    login(user, target=mine)
    login(user, target=other)
    response = mine.post(
        "/password",
        data={"current": PASSWORD, "password": "new-secret-1", "confirm": "new-secret-1"},
    )
    assert response.status_code == 302
    assert mine.get("/learn/").status_code == 200
    assert other.get("/learn/").status_code == 302
    fresh = app.test_client()
    assert (
        fresh.post("/login", data={"phone": user.phone, "password": "new-secret-1"}).status_code
        == 302
    )


def test_password_change_errors_are_shown_next_to_the_field(app, login):
    with app.app_context():
        user = make_user()
        db.session.commit()
    c = login(user)
    response = c.post(
        "/password",
        data={"current": "wrong", "password": "new-secret-1", "confirm": "new-secret-1"},
    )
    assert response.status_code == 422
    assert form_errors(response.get_data(as_text=True)) == ["当前密码不对。"]
    response = c.post(
        "/password", data={"current": PASSWORD, "password": "short", "confirm": "other"}
    )
    assert set(form_errors(response.get_data(as_text=True))) == {
        "密码至少要8位。",
        "两次输入的新密码不一样。",
    }


def test_deactivation_ends_sessions(app, login):
    with app.app_context():
        user = make_user()
        admin = make_user(Role.ADMIN)
        db.session.commit()
    c = login(user)
    with app.app_context():
        accounts.set_active(db.session.merge(admin), db.session.merge(user), False)
        db.session.commit()
    assert c.get("/learn/").status_code == 302
    assert (
        app.test_client()
        .post("/login", data={"phone": user.phone, "password": PASSWORD})
        .status_code
        == 401
    )


def test_next_is_followed_only_to_same_site_paths(app, client):
    with app.app_context():
        user = make_user(Role.ADMIN)
        db.session.commit()
    for target, expected in [
        ("/admin/users?role=mentor", "/admin/users?role=mentor"),
        ("https://evil.example/", "/admin/"),
        ("//evil.example/", "/admin/"),
        ("/\\evil.example", "/admin/"),
        ("javascript:alert(1)", "/admin/"),
    ]:
        c = app.test_client()
        response = c.post(
            "/login", data={"phone": user.phone, "password": PASSWORD, "next": target}
        )
        assert response.headers["Location"] == expected, target


def test_protected_page_redirects_to_login_with_next(client):
    response = client.get("/admin/users?role=lead")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/admin/users?role%3Dlead"


def test_session_cookie_is_httponly_samesite_and_long_lived(app, client):
    with app.app_context():
        user = make_user()
        db.session.commit()
    response = client.post("/login", data={"phone": user.phone, "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie


def test_request_size_is_limited(client):
    response = client.post("/login", data={"phone": "x" * (9 * 1024 * 1024)})
    assert response.status_code == 413


def test_english_is_available(app, client):
    with app.app_context():
        user = make_user(Role.MENTOR)
        db.session.commit()
    assert "登录" in client.get("/login").get_data(as_text=True)
    client.post("/locale", data={"locale": "en", "next": "/login"})
    assert "Log in" in client.get("/login").get_data(as_text=True)
    client.post("/login", data={"phone": user.phone, "password": PASSWORD})
    page = client.get("/mentor/").get_data(as_text=True)
    assert "<h1>My trainees</h1>" in page

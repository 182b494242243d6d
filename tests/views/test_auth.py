"""Logging in and out through the real pages."""

import re
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


def attempt(client, phone, password="wrong", address="10.0.0.1"):
    return client.post(
        "/login",
        data={"phone": phone, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def test_failures_are_throttled_per_client_and_never_lock_the_account(app, client):
    with app.app_context():
        user = make_user()
        db.session.commit()
    # An attacker at one address: five failures a minute for this phone, then 429 in Chinese.
    for _ in range(5):
        assert attempt(client, user.phone).status_code == 401
    blocked = attempt(client, user.phone)
    assert blocked.status_code == 429
    assert re.search(r"尝试次数太多了，请[12]分钟后再试", blocked.get_data(as_text=True))
    assert attempt(client, user.phone, PASSWORD).status_code == 429  # from that address
    # The real user, elsewhere, is not locked out.
    assert attempt(app.test_client(), user.phone, PASSWORD, "10.0.0.2").status_code == 302


def test_unknown_and_known_phones_are_throttled_alike(app, client):
    with app.app_context():
        user = make_user()
        db.session.commit()
    for phone in (user.phone, "13999999999"):
        statuses = [
            attempt(app.test_client(), phone, address="10.0.0.3").status_code for _ in range(6)
        ]
        assert statuses == [401] * 5 + [429], phone


def test_a_classroom_behind_one_address_can_all_log_in(app):
    with app.app_context():
        trainees = [make_user(name=f"学员{i}") for i in range(40)]
        db.session.commit()
    for trainee in trainees:  # one typo each, then the right password
        phone = app.test_client()
        assert attempt(phone, trainee.phone, "typo", "10.0.0.9").status_code == 401
        assert attempt(phone, trainee.phone, PASSWORD, "10.0.0.9").status_code == 302


def test_one_client_guessing_many_phones_is_stopped(app):
    client = app.test_client()
    statuses = [
        attempt(client, f"1390000{n:04d}", address="10.0.0.7").status_code for n in range(61)
    ]
    assert statuses[:60] == [401] * 60 and statuses[60] == 429


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
    fresh = app.test_client()
    wrong = fresh.post("/login", data={"phone": user.phone, "password": "wrong"})
    assert wrong.status_code == 401 and "停用" not in wrong.get_data(as_text=True)
    right = fresh.post("/login", data={"phone": user.phone, "password": PASSWORD})
    assert right.status_code == 403 and "这个账号已停用" in right.get_data(as_text=True)
    assert fresh.get("/learn/").status_code == 302  # still not logged in


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

"""Every route against every role: allowed, redirected to login (the API: 401), or 403."""

import pytest

from lms.db import db
from lms.models import Role
from tests.factories import make_user

PUBLIC = {"auth.login", "auth.index", "auth.set_locale", "auth.privacy", "healthz", "static"}
# The installable app: the same for everyone, no personal data (lms.offline).
PUBLIC |= {"manifest", "service_worker", "favicon", "offline", "pending"}
# Routes that any logged-in user may use.
ANY_USER = {"auth.logout", "auth.change_password"}
BLUEPRINT_ROLES = {
    "learn": {Role.TRAINEE},
    "cards": set(Role),  # the platform cards: trainees read them, mentors teach with them
    "mentor": {Role.MENTOR},
    "lead": {Role.LEAD, Role.ADMIN},
    "admin": {Role.ADMIN},
    "api": set(Role),  # each entry of a sync is then checked against the user's role
}
ENDPOINT_ROLES = {"api.sync_photo": {Role.TRAINEE}}


def protected_routes(app):
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC:
            continue
        values = {arg: 0 for arg in rule.arguments}  # filled in with a real id by the test
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((rule.endpoint, method, rule.rule, values))
    return routes


def allowed_roles(endpoint: str) -> set[Role]:
    if endpoint in ANY_USER:
        return set(Role)
    if endpoint in ENDPOINT_ROLES:
        return ENDPOINT_ROLES[endpoint]
    blueprint = endpoint.split(".")[0]
    assert blueprint in BLUEPRINT_ROLES, f"{endpoint}: add its blueprint to this test"
    return BLUEPRINT_ROLES[blueprint]


def test_every_route_is_classified(app):
    for endpoint, *_ in protected_routes(app):
        allowed_roles(endpoint)


@pytest.mark.parametrize("role", [None, *Role])
def test_every_protected_route_for_every_role(app, role):
    with app.app_context():
        user = make_user(role) if role else None
        other = make_user(Role.TRAINEE)  # the object that routes with an id act on
        db.session.commit()
    client = app.test_client()
    if user:
        client.post("/login", data={"phone": user.phone, "password": "correct-horse"})
    for endpoint, method, rule, values in protected_routes(app):
        with app.test_request_context():
            from flask import url_for

            url = url_for(endpoint, **{arg: other.id for arg in values})
        response = client.open(url, method=method)
        where = f"{method} {rule} as {role}"
        if role is None and endpoint.startswith("api."):  # JSON: no redirect to a page
            assert response.status_code == 401, where
            assert response.get_json()["error"]["code"] == "login_required", where
        elif role is None:
            assert response.status_code == 302, where
            assert response.headers["Location"].startswith("/login"), where
        elif role in allowed_roles(endpoint):
            # (a trainee who withdrew consent on the way is asked for it again: not a refusal)
            body = response.get_json(silent=True) or {}
            consent = body.get("error", {}).get("code") == "consent_required"
            assert response.status_code != 403 or consent, where
            assert not response.headers.get("Location", "").startswith("/login?next="), where
        else:
            assert response.status_code == 403, where
        if user:  # some routes (logout, a reset of one's own password) end the session
            client.post("/login", data={"phone": user.phone, "password": "correct-horse"})

"""Phone numbers, password hashing and logging in, through the accounts service."""

import pytest
from argon2 import PasswordHasher

from lms.db import db
from lms.errors import ValidationError
from lms.models import AuditEvent, Role, User
from lms.services import accounts
from tests.factories import PASSWORD, make_user


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13912345678", "13912345678"),
        ("139 1234 5678", "13912345678"),
        ("139-1234-5678", "13912345678"),
        ("+86 139 1234 5678", "13912345678"),
        ("008613912345678", "13912345678"),
        ("8613912345678", "13912345678"),
    ],
)
def test_phone_numbers_are_normalised(ctx, raw, expected):
    assert accounts.normalise_phone(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "请填写手机号。"),
        ("1391234567a", "手机号只能包含数字。"),
        ("1391234567", "手机号应为11位数字，你填了10位。"),
        ("139123456789", "手机号应为11位数字，你填了12位。"),
        ("12912345678", "这不是有效的大陆手机号，应以13至19开头。"),
        ("01012345678", "这不是有效的大陆手机号，应以13至19开头。"),
    ],
)
def test_bad_phone_numbers_get_a_clear_message(ctx, raw, message):
    with pytest.raises(ValidationError) as error:
        accounts.normalise_phone(raw)
    assert error.value.errors == {"phone": message}


def test_create_user_validates_every_field_and_writes_nothing(ctx):
    with pytest.raises(ValidationError) as error:
        accounts.create_user(None, accounts.NewUser("123", " ", Role.MENTOR, "short"))
    assert set(error.value.errors) == {"phone", "name", "password"}
    assert db.session.scalar(db.select(db.func.count(User.id))) == 0


def test_create_user_refuses_a_duplicate_phone(ctx):
    make_user(phone="13911112222")
    with pytest.raises(ValidationError) as error:
        accounts.create_user(
            None, accounts.NewUser("139 1111 2222", "甲", Role.TRAINEE, "12345678")
        )
    assert error.value.errors == {"phone": "这个手机号已经注册过了。"}


def test_create_trainee_gets_a_profile_and_an_audit_event(ctx):
    admin = make_user(Role.ADMIN)
    user = accounts.create_user(
        admin, accounts.NewUser("13911112222", "王秀兰", Role.TRAINEE, "12345678")
    )
    assert user.profile is not None
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "user.created"))
    assert (event.actor_id, event.target_id) == (admin.id, user.id)


def test_passwords_are_hashed_with_argon2id(ctx):
    user = make_user()
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_failures_never_lock_the_account(ctx):
    user = make_user()
    for _ in range(50):
        with pytest.raises(accounts.BadCredentials):
            accounts.authenticate(user.phone, "wrong")
    assert accounts.authenticate(user.phone, PASSWORD) == user  # throttling is per client


def test_a_very_long_password_is_refused_without_hashing_it(ctx):
    user = make_user()
    with pytest.raises(accounts.BadCredentials):
        accounts.authenticate(user.phone, PASSWORD + "x" * 1_000_000)


def test_unknown_phones_and_wrong_passwords_get_the_same_answer(ctx):
    make_user(phone="13911112222", is_active=False)
    for phone, password in (
        ("13911112222", "wrong"),  # a deactivated account, wrong password: nothing told
        ("13999999999", PASSWORD),
        ("not a phone", PASSWORD),
    ):
        with pytest.raises(accounts.BadCredentials):
            accounts.authenticate(phone, password)
    # Only the right password learns that the account is deactivated.
    with pytest.raises(accounts.AccountInactive):
        accounts.authenticate("13911112222", PASSWORD)


def test_login_rehashes_when_parameters_change(app, ctx):
    user = make_user()
    old_hash = user.password_hash
    app.config["ARGON2_TIME_COST"] = 2
    try:
        accounts.authenticate(user.phone, PASSWORD)
    finally:
        app.config["ARGON2_TIME_COST"] = 1
    assert user.password_hash != old_hash
    assert PasswordHasher().check_needs_rehash(user.password_hash)  # t=2 is not the default
    assert "t=2" in user.password_hash


def test_production_hash_parameters_meet_owasp(app):
    from lms.config import Config

    # OWASP ASVS 5 / cheat sheet minimum for argon2id: 19 MiB memory, 2 iterations.
    assert Config.ARGON2_MEMORY_COST >= 19 * 1024 and Config.ARGON2_TIME_COST >= 2

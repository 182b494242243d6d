"""Accounts: phone numbers, password hashing, login, and account administration.

Services flush, never commit; the caller owns the transaction.
"""

import contextlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from lms.clock import utcnow
from lms.db import db
from lms.errors import LmsError, ValidationError
from lms.inputs import fold_fullwidth
from lms.models import Role, TraineeProfile, User
from lms.services import audit

# Mainland mobile numbers: 11 digits, starting 13–19.
_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128


def normalise_phone(raw: str) -> str:
    """Return the 11-digit mobile number in `raw`, or raise ValidationError.

    Accepts spaces, dashes, full-width digits and a +86 / 0086 / 86 prefix, as people type
    them. Digits of other scripts are refused: they would make look-alike accounts.
    """
    digits = re.sub(r"[\s\-()]", "", fold_fullwidth((raw or "")[:40]))
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix) :]
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    if not digits:
        raise ValidationError({"phone": _("请填写手机号。")})
    if not (digits.isascii() and digits.isdigit()):
        raise ValidationError({"phone": _("手机号只能包含数字。")})
    if len(digits) != 11:
        raise ValidationError({"phone": _("手机号应为11位数字，你填了%(n)d位。", n=len(digits))})
    if not _MOBILE.match(digits):
        raise ValidationError({"phone": _("这不是有效的大陆手机号，应以13至19开头。")})
    return digits


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError({"password": _("密码至少要%(n)d位。", n=MIN_PASSWORD_LENGTH)})
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationError({"password": _("密码太长了，最多%(n)d位。", n=MAX_PASSWORD_LENGTH)})


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(
        time_cost=cfg["ARGON2_TIME_COST"],
        memory_cost=cfg["ARGON2_MEMORY_COST"],
        parallelism=cfg["ARGON2_PARALLELISM"],
    )


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def generate_password() -> str:
    """A temporary password that is easy to read out and type on a phone: 8 digits."""
    return "".join(secrets.choice("23456789") for _ in range(8))


class BadCredentials(LmsError):
    pass


class AccountInactive(LmsError):
    """The password was right, but the account is deactivated."""


def authenticate(phone: str, password: str, *, now: datetime | None = None) -> User:
    """Return the active user with these credentials.

    Raises BadCredentials — the same, in the same time, for an unknown phone and a wrong
    password — and AccountInactive only after a correct password, so neither tells a stranger
    who has an account. Repeated failures are throttled per client (lms.auth.throttle), never by
    locking the account, which anyone could do to anyone. Flushes the rehash, never commits.
    """
    now = now or utcnow()
    hasher = _hasher()
    password = password or ""
    try:
        phone = normalise_phone(phone)
    except ValidationError:
        phone = None
    user = db.session.scalar(select(User).where(User.phone == phone)) if phone else None
    if user is None or len(password) > MAX_PASSWORD_LENGTH:
        # Spend the same time as a real check so response time does not reveal who exists.
        _verify_dummy(hasher, password[:MAX_PASSWORD_LENGTH])
        raise BadCredentials()
    try:
        hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise BadCredentials() from None
    if not user.is_active:
        raise AccountInactive()
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    user.last_login_at = now
    db.session.flush()
    return user


_DUMMY_HASH: dict[str, str] = {}


def _verify_dummy(hasher: PasswordHasher, password: str) -> None:
    key = f"{hasher.time_cost}:{hasher.memory_cost}:{hasher.parallelism}"
    if key not in _DUMMY_HASH:
        _DUMMY_HASH[key] = hasher.hash("not-a-real-password")
    with contextlib.suppress(VerificationError):
        hasher.verify(_DUMMY_HASH[key], password)


@dataclass
class NewUser:
    phone: str
    name: str
    role: Role
    password: str


def create_user(actor: User | None, data: NewUser) -> User:
    """Create an account (and an empty trainee profile for trainees). Raises ValidationError."""
    errors: dict[str, str] = {}
    try:
        phone = normalise_phone(data.phone)
    except ValidationError as e:
        errors.update(e.errors)
        phone = ""
    name = (data.name or "").strip()
    if not name:
        errors["name"] = _("请填写姓名。")
    elif len(name) > 50:
        errors["name"] = _("姓名太长了，最多50个字。")
    try:
        check_password_strength(data.password)
    except ValidationError as e:
        errors.update(e.errors)
    if phone and db.session.scalar(select(User.id).where(User.phone == phone)):
        errors["phone"] = _("这个手机号已经注册过了。")
    if errors:
        raise ValidationError(errors)
    user = User(phone=phone, name=name, role=data.role, password_hash=hash_password(data.password))
    db.session.add(user)
    if data.role is Role.TRAINEE:
        user.profile = TraineeProfile()
    db.session.flush()
    audit.record(actor, "user.created", user, role=str(data.role), phone=user.masked_phone)
    return user


def change_password(user: User, current: str, new: str) -> None:
    """The user changes their own password; every other session of theirs ends."""
    try:
        _hasher().verify(user.password_hash, current)
    except (VerificationError, InvalidHashError):
        raise ValidationError({"current": _("当前密码不对。")}) from None
    check_password_strength(new)
    user.password_hash = hash_password(new)
    user.rotate_session_token()
    audit.record(user, "user.password_changed", user)
    db.session.flush()


def reset_password(actor: User, user: User) -> str:
    """Give `user` a new temporary password, returned once to show; ends their sessions."""
    password = generate_password()
    user.password_hash = hash_password(password)
    user.rotate_session_token()
    audit.record(actor, "user.password_reset", user)
    db.session.flush()
    return password


def set_active(actor: User, user: User, active: bool) -> None:
    """Deactivate (ending every session) or reactivate an account."""
    if actor.id == user.id and not active:
        raise ValidationError({"user": _("不能停用你自己的账号。")})
    user.is_active = active
    if not active:
        user.rotate_session_token()
    audit.record(actor, "user.activated" if active else "user.deactivated", user)
    db.session.flush()


def log_out(user: User) -> None:
    """End every session of the user (a shared phone may have been used elsewhere too)."""
    user.rotate_session_token()
    db.session.flush()

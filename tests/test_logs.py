"""Logs hold no phone numbers, names or password hashes."""

import logging

import pytest
from sqlalchemy import select, text

from lms.db import db
from lms.logs import redact
from lms.models import User
from tests.factories import make_user


def test_redact_masks_phones_and_hashes_and_nothing_else():
    line = "login 13912345678 hash $argon2id$v=19$m=19456,t=2,p=1$abc$def id 20261201123456"
    assert redact(line) == "login 139******** hash [password hash] id 20261201123456"
    detail = "null value\nDETAIL:  Failing row contains (1, 王秀兰, trainee).\nnext"
    assert redact(detail) == "null value\nDETAIL: [hidden: it may quote personal data]\nnext"


def test_sql_parameters_and_errors_never_reach_the_log(app, caplog):
    with app.app_context():
        user = make_user(name="王秀兰", phone="13912345678")
        password_hash = user.password_hash
        db.session.commit()
        engine_log = logging.getLogger("sqlalchemy.engine.Engine")
        engine_log.setLevel(logging.INFO)
        try:
            with caplog.at_level(logging.INFO):
                db.session.scalar(select(User).where(User.phone == "13912345678"))
                with pytest.raises(Exception) as failed:  # a unique key: the error quotes values
                    db.session.execute(
                        text(
                            "INSERT INTO users (phone, name, role, password_hash) "
                            "VALUES (:p, :n, 'trainee', :h)"
                        ),
                        {"p": "13912345678", "n": "王秀兰", "h": password_hash},
                    )
                db.session.rollback()
                logging.getLogger("lms").error("it failed", exc_info=failed.value)
        finally:
            engine_log.setLevel(logging.WARNING)
    logged = caplog.text
    assert "SELECT" in logged and "it failed" in logged  # the log was written …
    assert "13912345678" not in logged and "王秀兰" not in logged  # … without the person
    assert password_hash not in logged and "$argon2" not in logged

"""Logs hold no personal data: SQL parameters are never logged (the engine's hide_parameters),
and every log record — ours, SQLAlchemy's, Werkzeug's, gunicorn's — has phone numbers and
password hashes masked before any handler sees it, tracebacks included."""

import logging
import re

PHONE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
PASSWORD_HASH = re.compile(r"\$argon2[a-z]{0,2}\$[^\s'\"]+")
# PostgreSQL's error DETAIL quotes the row or the key that failed: names, phones, anything.
DATABASE_DETAIL = re.compile(r"^(\s*DETAIL:).*$", re.MULTILINE)


def redact(text: str) -> str:
    text = DATABASE_DETAIL.sub(r"\1 [hidden: it may quote personal data]", text)
    return PASSWORD_HASH.sub("[password hash]", PHONE.sub(lambda m: m[0][:3] + "********", text))


def install_redaction() -> None:
    """Wrap the process's log record factory once (idempotent)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "redacts", False):
        return

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed call: keep what logging would show
            message = str(record.msg)
        record.msg, record.args = redact(message), ()
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return record

    factory.redacts = True
    logging.setLogRecordFactory(factory)

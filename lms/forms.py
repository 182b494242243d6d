"""Forms shared by every area."""

from flask_wtf import FlaskForm


class ConfirmForm(FlaskForm):
    """A bare form for POST buttons: the CSRF token only."""


def read_upload(upload) -> bytes | None:
    """The bytes of an uploaded file (a FileField's data), closed after reading; None when no
    file was chosen."""
    if not upload or not getattr(upload, "filename", ""):
        return None
    try:
        return upload.read()
    finally:
        upload.close()


def posted_version(text: str | None) -> int:
    """The version a form carried back (a hidden field); 0, which no row has, when it is
    missing or not a plain number, so a tampered form is treated as stale, never trusted."""
    text = (text or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else 0

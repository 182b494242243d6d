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

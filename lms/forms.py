"""Forms shared by every area."""

from flask_wtf import FlaskForm


class ConfirmForm(FlaskForm):
    """A bare form for POST buttons: the CSRF token only."""

"""StrEnums whose members carry a label in the user's language."""

from enum import StrEnum

from flask_babel import get_locale

# (locale, enum, value) → label: the catalogues are fixed. The enum is part of the key: members
# of two enums with one value ("shop_opened") are equal strings.
_SHOWN: dict[tuple[str, type, str], str] = {}


class Labelled(StrEnum):
    """Subclasses set `labels` (member → lazy_gettext string) right after their class body, so
    every enum shows itself to people the same way: `member.label`."""

    @property
    def label(self) -> str:
        # A page shows hundreds of labels (a caseload, a trainee's file); each translated once
        # per locale and process, not looked up again through Flask-Babel every time.
        key = (str(get_locale()), type(self), self.value)
        if key not in _SHOWN:
            _SHOWN[key] = str(type(self).labels[self])
        return _SHOWN[key]

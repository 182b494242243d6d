"""StrEnums whose members carry a label in the user's language."""

from enum import StrEnum


class Labelled(StrEnum):
    """Subclasses set `labels` (member → lazy_gettext string) right after their class body, so
    every enum shows itself to people the same way: `member.label`."""

    @property
    def label(self) -> str:
        return str(type(self).labels[self])

"""Tracks (分类培训, seed 003 §4.2): by product (fresh produce, processed food, handicraft) or
by role (livestream helper, customer service and packing, service-station keeper), as imported
from `curricula/tracks.yaml`. A track puts its courses first and may, per rung, name the route it
normally takes and add or replace courses; a trainee has at most one (TraineeProfile.track_id).
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lms.db import db, str_enum
from lms.models.curriculum import Bilingual, Versioned
from lms.models.labelled import Labelled


class TrackKind(Labelled):
    PRODUCT = "product"
    ROLE = "role"


TrackKind.labels = {TrackKind.PRODUCT: _l("按产品"), TrackKind.ROLE: _l("按岗位")}


class Track(Versioned, Bilingual, db.Model):
    __tablename__ = "tracks"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[TrackKind] = mapped_column(str_enum(TrackKind))
    position: Mapped[int]
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(150))
    description_zh: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    recommends: Mapped[list[int]] = mapped_column(JSON, default=list)  # course ids, in order
    # Rung level (as text: JSON keys) → {"route": slug, "add": [course id], "replace":
    # [[course id, course id instead]]}, each part optional.
    rungs: Mapped[dict[str, dict]] = mapped_column(JSON, default=dict)

    def route_for(self, level: int) -> str | None:
        return self.rungs.get(str(level), {}).get("route")

    def adjust(self, level: int, course_ids: list[int]) -> list[int]:
        """The courses a rung asks of this track's trainees instead of `course_ids`."""
        change = self.rungs.get(str(level), {})
        instead = {old: new for old, new in change.get("replace", [])}
        out: list[int] = []
        for course_id in [*(instead.get(c, c) for c in course_ids), *change.get("add", [])]:
            if course_id not in out:
                out.append(course_id)
        return out

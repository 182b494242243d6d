"""A trainee's track (分类培训): which one they follow, set at enrolment or by their mentor.
Services flush, never commit."""

from flask_babel import gettext as _
from sqlalchemy import select

from lms.db import db
from lms.errors import StaleVersion, ValidationError
from lms.models import Track, User
from lms.services import audit


def current_tracks() -> list[Track]:
    """The tracks a trainee may be given, in the file's order."""
    return list(
        db.session.scalars(
            select(Track).where(Track.archived_at.is_(None)).order_by(Track.position)
        )
    )


def track_by_slug(slug: str | None) -> Track | None:
    """The current track named `slug`; None for empty. Raises ValidationError (field "track")
    for any other value, however long or strange."""
    slug = (slug or "").strip()
    if not slug:
        return None
    track = db.session.scalar(
        select(Track).where(Track.slug == slug[:80], Track.archived_at.is_(None))
    )
    if track is None or len(slug) > 80:
        raise ValidationError({"track": _("没有这个培训方向，请从列表里选。")})
    return track


def set_track(actor: User, trainee: User, slug: str | None, *, version: int | None = None) -> bool:
    """Give the trainee the track `slug` (empty: none). Returns whether it changed. `version`
    is the profile's version the actor saw: StaleVersion when it changed since. Raises
    ValidationError for an unknown track. Writes an AuditEvent."""
    track = track_by_slug(slug)
    profile = trainee.profile
    if version is not None and version != profile.version:
        raise StaleVersion()
    new_id = track.id if track else None
    if profile.track_id == new_id:
        return False
    old = profile.track_id
    profile.track_id = new_id
    audit.record(actor, "trainee.track", trainee, old=old, new=new_id)
    db.session.flush()
    return True

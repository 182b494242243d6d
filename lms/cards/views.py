"""The list of platform cards and each card. Server-rendered, no JavaScript; a trainee who has
not given consent is asked for it first, as on every other learn page."""

from flask import abort, redirect, render_template, url_for
from sqlalchemy import select

from lms.db import db
from lms.models import PlatformCard, Role
from lms.permissions import acting_user, home_endpoint
from lms.services import consent as consents
from lms.services import learning

from . import bp


@bp.before_request
def _trainees_give_consent_first():
    me = acting_user()
    if me.role is Role.TRAINEE and consents.current_consent(me) is None:
        return redirect(url_for("learn.consent"))
    return None


def _back() -> str:
    """Where the way back leads: a trainee's course list, anyone else's home."""
    me = acting_user()
    return url_for("learn.courses" if me.role is Role.TRAINEE else home_endpoint(me))


@bp.get("")
def index():
    cards = db.session.scalars(
        select(PlatformCard)
        .where(PlatformCard.archived_at.is_(None))
        .order_by(PlatformCard.position)
    ).all()
    return render_template("cards/index.html", cards=cards, back=_back())


@bp.get("/<slug>")
def card(slug: str):
    card = learning.current(PlatformCard, slug) or abort(404)
    return render_template("cards/card.html", card=card)

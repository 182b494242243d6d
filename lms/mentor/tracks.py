"""The trainee's track, changed by their mentor on the trainee's file."""

from flask import flash, redirect, url_for
from flask_babel import gettext as _

from lms.db import db
from lms.errors import StaleVersion, ValidationError
from lms.forms import posted_version
from lms.permissions import acting_user, get_assigned_trainee_or_404
from lms.services import tracks

from . import bp
from .forms import TrackForm


@bp.post("/trainees/<id:trainee_id>/track")
def set_track(trainee_id: int):
    trainee = get_assigned_trainee_or_404(acting_user(), trainee_id)  # 404: others' trainees
    form = TrackForm()
    if not form.validate_on_submit():
        flash(_("表单已过期，请再试一次。"), "error")
        return redirect(url_for("mentor.trainee", trainee_id=trainee.id)), 303
    try:
        changed = tracks.set_track(
            acting_user(),
            trainee,
            form.track.data,
            version=posted_version(form.version.data),
        )
    except ValidationError as e:
        db.session.rollback()
        flash(e.errors["track"], "error")
        return redirect(url_for("mentor.trainee", trainee_id=trainee.id)), 303
    except StaleVersion:
        db.session.rollback()
        flash(_("这位学员的资料刚被修改过，请看一下再选。"), "error")
        return redirect(url_for("mentor.trainee", trainee_id=trainee.id)), 303
    db.session.commit()
    if changed:
        flash(_("培训方向已保存。"), "success")
    return redirect(url_for("mentor.trainee", trainee_id=trainee.id, _anchor="track")), 303

"""The programme lead's pages: programmes, cohorts, mentors and trainees.

Every route loads its programme, cohort or trainee through the lead's own programmes (an admin
sees all): anything else is a 404. Dashboards, exports and rosters live in the sibling modules
dashboard.py and roster.py, on this same blueprint.
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from wtforms.fields.choices import SelectChoice

from lms.auth.views import safe_next
from lms.clock import local_today
from lms.db import db
from lms.errors import ValidationError
from lms.forms import ConfirmForm
from lms.models import Cohort, Enrollment, MentorAssignment, Programme, Role, User
from lms.permissions import (
    acting_user,
    assignment_is_current,
    get_cohort_or_404,
    get_programme_or_404,
    get_programme_trainee_or_404,
    programmes_visible_to,
)
from lms.services import programmes as setup
from lms.services.programmes import SCHEDULE_FIELDS

from . import bp
from .forms import AssignForm, CohortForm, MoveForm, ProgrammeForm


@bp.get("/")
def home():
    visible = programmes_visible_to(acting_user()).subquery()
    rows = db.session.execute(
        select(
            Programme,
            select(func.count(Cohort.id))
            .where(Cohort.programme_id == Programme.id)
            .scalar_subquery()
            .label("cohorts"),
            select(func.count(Enrollment.id))
            .join(Cohort, Cohort.id == Enrollment.cohort_id)
            .where(Cohort.programme_id == Programme.id, Enrollment.left_on.is_(None))
            .scalar_subquery()
            .label("trainees"),
        )
        .where(Programme.id.in_(select(visible.c.id)))
        .order_by(Programme.name)
    ).all()
    return render_template("lead/home.html", rows=rows)


def _offer_users(field, role: Role) -> None:
    """Fill a select field with the active users of one role, by name."""
    users = db.session.scalars(
        select(User).where(User.role == role, User.is_active).order_by(User.name)
    )
    field.choices = [SelectChoice(u.id, u.name) for u in users]


def _programme_input(form: ProgrammeForm) -> setup.ProgrammeInput:
    return setup.ProgrammeInput(
        name=form.name.data or "",
        organisation=form.organisation.data or "",
        description=form.description.data or "",
        villages=form.villages.data or "",
        schedule={f: getattr(form, f).data for f in SCHEDULE_FIELDS},
    )


@bp.route("/programmes/new", methods=["GET", "POST"])
def new_programme():
    form = ProgrammeForm()
    _offer_users(form.lead_id, Role.LEAD)
    if request.method == "GET":
        for field in SCHEDULE_FIELDS:
            getattr(form, field).data = Programme.__table__.c[field].default.arg
        return render_template("lead/programme_form.html", form=form, programme=None)
    lead = acting_user()
    if lead.role is Role.ADMIN:  # an admin creates a programme for a lead
        lead = db.session.get(User, form.lead_id.data or 0)
        if lead is None or lead.role is not Role.LEAD:
            form.lead_id.errors = [_("请选择项目负责人。")]
            return render_template("lead/programme_form.html", form=form, programme=None), 422
    try:
        programme = setup.save_programme(acting_user(), _programme_input(form), lead=lead)
    except ValidationError as e:
        db.session.rollback()
        e.attach_to(form)
        return render_template("lead/programme_form.html", form=form, programme=None), 422
    db.session.commit()
    flash(_("培训项目已创建。"), "success")
    return redirect(url_for("lead.programme", programme_id=programme.id))


@bp.route("/programmes/<id:programme_id>/settings", methods=["GET", "POST"])
def programme_settings(programme_id: int):
    programme = get_programme_or_404(acting_user(), programme_id)
    form = ProgrammeForm(obj=programme if request.method == "GET" else None)
    _offer_users(form.lead_id, Role.LEAD)
    if request.method == "GET":
        form.villages.data = "\n".join(programme.villages)
        return render_template("lead/programme_form.html", form=form, programme=programme)
    try:
        setup.save_programme(acting_user(), _programme_input(form), programme)
    except ValidationError as e:
        db.session.rollback()
        e.attach_to(form)
        return render_template("lead/programme_form.html", form=form, programme=programme), 422
    db.session.commit()
    flash(_("项目设置已保存。"), "success")
    return redirect(url_for("lead.programme", programme_id=programme.id))


@bp.get("/programmes/<id:programme_id>")
def programme(programme_id: int):
    programme = get_programme_or_404(acting_user(), programme_id)
    counts = dict(
        db.session.execute(
            select(Enrollment.cohort_id, func.count(Enrollment.id))
            .join(Cohort, Cohort.id == Enrollment.cohort_id)
            .where(Cohort.programme_id == programme.id, Enrollment.left_on.is_(None))
            .group_by(Enrollment.cohort_id)
        ).all()
    )
    assignments = db.session.execute(
        select(MentorAssignment, User.name)
        .join(User, User.id == MentorAssignment.mentor_id)
        .where(
            MentorAssignment.programme_id == programme.id,
            MentorAssignment.cohort_id.is_not(None),
            assignment_is_current(local_today()),
        )
    ).all()
    mentors_by_cohort: dict[int, list[tuple[MentorAssignment, str]]] = {}
    for assignment, name in assignments:
        mentors_by_cohort.setdefault(assignment.cohort_id, []).append((assignment, name))
    return render_template(
        "lead/programme.html",
        programme=programme,
        counts=counts,
        mentors_by_cohort=mentors_by_cohort,
        form=ConfirmForm(),
    )


def _cohort_input(form: CohortForm) -> setup.CohortInput:
    return setup.CohortInput(
        name=form.name.data or "",
        site=form.site.data or "",
        township=form.township.data or "",
        village=form.village.data or "",
        starts_on=form.starts_on.data or "",
        ends_on=form.ends_on.data or "",
    )


@bp.route("/programmes/<id:programme_id>/cohorts/new", methods=["GET", "POST"])
def new_cohort(programme_id: int):
    programme = get_programme_or_404(acting_user(), programme_id)
    form = CohortForm()
    if request.method == "GET":
        return render_template("lead/cohort_form.html", form=form, programme=programme)
    try:
        setup.save_cohort(acting_user(), programme, _cohort_input(form))
    except ValidationError as e:
        db.session.rollback()
        e.attach_to(form)
        return render_template("lead/cohort_form.html", form=form, programme=programme), 422
    db.session.commit()
    flash(_("培训班已创建。"), "success")
    return redirect(url_for("lead.programme", programme_id=programme.id))


@bp.route("/cohorts/<id:cohort_id>/edit", methods=["GET", "POST"])
def edit_cohort(cohort_id: int):
    cohort = get_cohort_or_404(acting_user(), cohort_id)
    form = CohortForm()
    if request.method == "GET":
        form.process(obj=cohort)
        form.starts_on.data = cohort.starts_on.isoformat()
        form.ends_on.data = cohort.ends_on.isoformat() if cohort.ends_on else ""
        return render_template(
            "lead/cohort_form.html", form=form, programme=cohort.programme, cohort=cohort
        )
    try:
        setup.save_cohort(acting_user(), cohort.programme, _cohort_input(form), cohort)
    except ValidationError as e:
        db.session.rollback()
        e.attach_to(form)
        return render_template(
            "lead/cohort_form.html", form=form, programme=cohort.programme, cohort=cohort
        ), 422
    db.session.commit()
    flash(_("培训班已保存。"), "success")
    return redirect(url_for("lead.programme", programme_id=cohort.programme_id))


@bp.post("/cohorts/<id:cohort_id>/close")
def close_cohort(cohort_id: int):
    cohort = get_cohort_or_404(acting_user(), cohort_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    setup.close_cohort(acting_user(), cohort)
    db.session.commit()
    flash(_("培训班「%(name)s」已结束。", name=cohort.name), "success")
    return redirect(url_for("lead.programme", programme_id=cohort.programme_id))


@bp.route("/cohorts/<id:cohort_id>/mentor", methods=["GET", "POST"])
def assign_cohort_mentor(cohort_id: int):
    cohort = get_cohort_or_404(acting_user(), cohort_id)
    form = AssignForm()
    _offer_users(form.mentor_id, Role.MENTOR)
    if request.method == "POST":
        try:
            setup.assign_mentor(
                acting_user(),
                db.session.get(User, form.mentor_id.data or 0),
                cohort.programme,
                cohort=cohort,
            )
        except ValidationError as e:
            e.attach_to(form)
        else:
            db.session.commit()
            flash(_("已分配导师。"), "success")
            return redirect(url_for("lead.programme", programme_id=cohort.programme_id))
    return render_template(
        "lead/assign.html", form=form, cohort=cohort, trainee=None, programme=cohort.programme
    ), 422 if form.errors else 200


@bp.post("/assignments/<id:assignment_id>/end")
def end_assignment(assignment_id: int):
    assignment = db.session.get(MentorAssignment, assignment_id) or abort(404)
    programme = get_programme_or_404(acting_user(), assignment.programme_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    setup.end_assignment(acting_user(), assignment)
    db.session.commit()
    flash(_("已结束这项导师分配。"), "success")
    return redirect(
        safe_next(request.form.get("back")) or url_for("lead.programme", programme_id=programme.id)
    )


@bp.route("/programmes/<id:programme_id>/trainees/<id:trainee_id>/mentor", methods=["GET", "POST"])
def assign_trainee_mentor(programme_id: int, trainee_id: int):
    programme = get_programme_or_404(acting_user(), programme_id)
    trainee = get_programme_trainee_or_404(acting_user(), programme, trainee_id)
    form = AssignForm()
    _offer_users(form.mentor_id, Role.MENTOR)
    if request.method == "POST":
        try:
            setup.assign_mentor(
                acting_user(),
                db.session.get(User, form.mentor_id.data or 0),
                programme,
                trainee=trainee,
            )
        except ValidationError as e:
            e.attach_to(form)
        else:
            db.session.commit()
            flash(_("已为 %(name)s 分配导师。", name=trainee.name), "success")
            return redirect(
                url_for("lead.report", programme_id=programme.id, trainee_id=trainee.id)
            )
    return render_template(
        "lead/assign.html", form=form, cohort=None, trainee=trainee, programme=programme
    ), 422 if form.errors else 200


@bp.route("/programmes/<id:programme_id>/trainees/<id:trainee_id>/move", methods=["GET", "POST"])
def move_trainee(programme_id: int, trainee_id: int):
    programme = get_programme_or_404(acting_user(), programme_id)
    trainee = get_programme_trainee_or_404(acting_user(), programme, trainee_id)
    form = MoveForm()
    form.cohort_id.choices = [
        SelectChoice(c.id, c.name) for c in programme.cohorts if not c.is_closed
    ]
    if request.method == "POST":
        target = db.session.get(Cohort, form.cohort_id.data or 0)
        if target is None or target.programme_id != programme.id:
            form.cohort_id.errors = [_("请选择一个培训班。")]
        else:
            try:
                setup.move_trainee(acting_user(), trainee, target)
            except ValidationError as e:
                e.attach_to(form)
            else:
                db.session.commit()
                flash(
                    _("已把 %(name)s 调到「%(cohort)s」。", name=trainee.name, cohort=target.name),
                    "success",
                )
                return redirect(
                    url_for("lead.report", programme_id=programme.id, trainee_id=trainee.id)
                )
    return render_template("lead/move.html", form=form, trainee=trainee, programme=programme), (
        422 if form.errors else 200
    )

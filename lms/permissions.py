"""Who may do what: role guards for blueprints, can_* predicates and query scoping.

Every blueprint calls `guard_blueprint(bp, roles)` once; every query a mentor or lead runs goes
through a scoping helper here, so "what may this user see" is written in one place.
"""

from datetime import date

from flask import Blueprint, abort, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import Select, and_, or_, select

from lms.clock import local_today
from lms.db import db
from lms.models import Cohort, Enrollment, Job, MentorAssignment, Programme, Role, User

HOME_ENDPOINTS = {
    Role.TRAINEE: "learn.home",
    Role.MENTOR: "mentor.home",
    Role.LEAD: "lead.home",
    Role.ADMIN: "admin.home",
}


def acting_user() -> User:
    """The logged-in user as a plain model object (services and audit records need the object,
    not Flask-Login's proxy)."""
    return current_user._get_current_object()


def home_endpoint(user: User) -> str:
    return HOME_ENDPOINTS[user.role]


def guard_blueprint(bp: Blueprint, *roles: Role) -> None:
    """Every route of `bp` needs a logged-in user with one of `roles`: login first, else 403."""

    @bp.before_request
    def _check_role():
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        if current_user.role not in roles:
            abort(403)
        return None


def programmes_visible_to(user: User) -> Select:
    """Programmes a lead owns; every programme for an admin."""
    query = select(Programme)
    if user.role is Role.ADMIN:
        return query
    if user.role is Role.LEAD:
        return query.where(Programme.lead_id == user.id)
    return query.where(False)


def can_manage_programme(user: User, programme: Programme) -> bool:
    return user.role is Role.ADMIN or (user.role is Role.LEAD and programme.lead_id == user.id)


def assignment_is_current(today: date):
    """The SQL condition of an assignment in force on `today` (its end date is exclusive)."""
    return and_(
        MentorAssignment.starts_on <= today,
        or_(MentorAssignment.ends_on.is_(None), MentorAssignment.ends_on > today),
    )


def assigned_trainee_ids(mentor: User, *, today: date | None = None) -> Select:
    """Ids of trainees a mentor follows today: through an assignment in force, to a cohort they
    are enrolled in, or to them directly while they are enrolled in the assignment's programme."""
    today = today or local_today()
    current = and_(MentorAssignment.mentor_id == mentor.id, assignment_is_current(today))
    enrolled = select(Enrollment.trainee_id).where(Enrollment.left_on.is_(None))
    direct = (
        enrolled.join(Cohort, Cohort.id == Enrollment.cohort_id)
        .join(
            MentorAssignment,
            and_(
                MentorAssignment.trainee_id == Enrollment.trainee_id,
                MentorAssignment.programme_id == Cohort.programme_id,
            ),
        )
        .where(current)
    )
    via_cohort = enrolled.join(
        MentorAssignment, MentorAssignment.cohort_id == Enrollment.cohort_id
    ).where(current)
    return direct.union(via_cohort)


def is_assigned(mentor: User, trainee_id: int, *, today: date | None = None) -> bool:
    ids = assigned_trainee_ids(mentor, today=today).subquery()
    return db.session.scalar(select(ids.c[0]).where(ids.c[0] == trainee_id)) is not None


def get_assigned_trainee_or_404(mentor: User, trainee_id: int) -> User:
    """The trainee, if the mentor follows them today; 404 otherwise (never reveal others)."""
    trainee = db.session.get(User, trainee_id)
    if trainee is None or trainee.role is not Role.TRAINEE or not is_assigned(mentor, trainee_id):
        abort(404)
    return trainee


def get_programme_or_404(user: User, programme_id: int) -> Programme:
    """A programme the lead owns (any, for an admin); 404 otherwise."""
    programme = db.session.get(Programme, programme_id)
    if programme is None or not can_manage_programme(user, programme):
        abort(404)
    return programme


def get_cohort_or_404(user: User, cohort_id: int) -> Cohort:
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None or not can_manage_programme(user, cohort.programme):
        abort(404)
    return cohort


def get_programme_trainee_or_404(user: User, programme: Programme, trainee_id: int) -> User:
    """A trainee enrolled (now or before) in a cohort of `programme`; 404 otherwise."""
    enrolled = db.session.scalar(
        select(Enrollment.id)
        .join(Cohort, Cohort.id == Enrollment.cohort_id)
        .where(Enrollment.trainee_id == trainee_id, Cohort.programme_id == programme.id)
        .limit(1)
    )
    trainee = db.session.get(User, trainee_id) if enrolled else None
    if trainee is None or trainee.role is not Role.TRAINEE:
        abort(404)
    return trainee


def can_see_job(user: User, job: Job) -> bool:
    """A background job's page: whoever started it, or an admin."""
    return user.role is Role.ADMIN or job.owner_id == user.id


def can_take_job_file(user: User, job: Job) -> bool:
    """What a job keeps (an export, initial passwords) is for the one who started it alone."""
    return job.owner_id == user.id


def get_job_or_404(user: User, programme: Programme, job_id: int) -> Job:
    """A job of `programme` (which the caller has already checked `user` manages) that `user`
    may see; 404 otherwise."""
    job = db.session.get(Job, job_id)
    if job is None or job.programme_id != programme.id or not can_see_job(user, job):
        abort(404)
    return job

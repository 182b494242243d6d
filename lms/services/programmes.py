"""Setting up programmes: programmes, cohorts, mentor assignments, moving trainees.

Services flush, never commit; bad input raises ValidationError with per-field messages.
Every change is audited.
"""

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from lms.clock import local_today
from lms.db import db
from lms.errors import ValidationError
from lms.inputs import checked_date, checked_text
from lms.models import Cohort, Enrollment, MentorAssignment, Programme, Role, User
from lms.permissions import assignment_is_current
from lms.services import audit

MAX_VILLAGES = 500
SCHEDULE_FIELDS = {
    "followup_after_course_days": (1, 60),
    "followup_after_first_sale_days": (1, 60),
    "followup_early_every_days": (1, 60),
    "followup_early_period_days": (0, 365),
    "followup_later_every_days": (1, 180),
    "followup_window_before_days": (0, 30),
    "followup_window_after_days": (0, 30),
}


def cohort_names(programme_id: int) -> dict[int, str]:
    """Each cohort of the programme, id → name, in the order they start: what a filter or a
    list shows, without loading thousands of cohorts as objects."""
    return dict(
        db.session.execute(
            select(Cohort.id, Cohort.name)
            .where(Cohort.programme_id == programme_id)
            .order_by(Cohort.starts_on, Cohort.id)
        ).all()
    )


def parse_villages(text: str) -> list[str]:
    """One village per line (or separated by commas), without duplicates, in the given order."""
    seen: list[str] = []
    for part in (
        (text or "").replace("，", "\n").replace(",", "\n").replace("、", "\n").splitlines()
    ):
        name = part.strip()
        if name and name not in seen:
            seen.append(name)
    return seen


@dataclass
class ProgrammeInput:
    name: str
    organisation: str = ""
    description: str = ""
    villages: str = ""
    schedule: dict[str, int | None] | None = None


def save_programme(
    actor: User,
    data: ProgrammeInput,
    programme: Programme | None = None,
    *,
    lead: User | None = None,
) -> Programme:
    """Create a programme (owned by `lead`, by default the actor) or update one."""
    errors: dict[str, str] = {}
    name = (data.name or "").strip()
    if not name:
        errors["name"] = _("请填写项目名称。")
    elif len(name) > 100:
        errors["name"] = _("项目名称最多100个字。")
    else:
        clash = db.session.scalar(select(Programme.id).where(Programme.name == name))
        if clash and (programme is None or clash != programme.id):
            errors["name"] = _("已经有同名的培训项目了。")
    organisation = checked_text(data.organisation, errors, "organisation", 100)
    description = checked_text(data.description, errors, "description", 2000)
    villages = parse_villages(data.villages)
    if len(villages) > MAX_VILLAGES:
        errors["villages"] = _("村太多了，一个项目最多%(n)d个村。", n=MAX_VILLAGES)
    elif any(len(v) > 50 for v in villages):
        errors["villages"] = _("村名太长了，每个最多50个字。")
    schedule = {}
    for field, (low, high) in SCHEDULE_FIELDS.items():
        value = (data.schedule or {}).get(field)
        if value is None and data.schedule is not None:
            errors[field] = _("请填写天数。")
        elif value is not None and not low <= value <= high:
            errors[field] = _("请填%(low)d到%(high)d之间的天数。", low=low, high=high)
        elif value is not None:
            schedule[field] = value
    if errors:
        raise ValidationError(errors)
    created = programme is None
    if created:
        owner = lead or actor
        programme = Programme(name=name, lead_id=owner.id if owner.role is Role.LEAD else None)
        db.session.add(programme)
    programme.name = name
    programme.organisation, programme.description = organisation, description
    programme.villages = villages
    for field, value in schedule.items():
        setattr(programme, field, value)
    db.session.flush()
    audit.record(actor, "programme.created" if created else "programme.updated", programme)
    return programme


@dataclass
class CohortInput:
    name: str
    site: str = ""
    township: str = ""
    village: str = ""
    starts_on: date | str | None = None  # as the date fields sent them, or dates
    ends_on: date | str | None = None


def save_cohort(
    actor: User, programme: Programme, data: CohortInput, cohort: Cohort | None = None
) -> Cohort:
    errors: dict[str, str] = {}
    name = checked_text(data.name, errors, "name", 100)
    site = checked_text(data.site, errors, "site", 100)
    township = checked_text(data.township, errors, "township", 50)
    village = checked_text(data.village, errors, "village", 50)
    if not name:
        errors["name"] = _("请填写培训班名称。")
    elif "name" not in errors:
        clash = db.session.scalar(
            select(Cohort.id).where(Cohort.programme_id == programme.id, Cohort.name == name)
        )
        if clash and (cohort is None or clash != cohort.id):
            errors["name"] = _("这个项目里已经有同名的培训班了。")
    starts_on = checked_date(data.starts_on, errors, "starts_on", required=_("请填写开班日期。"))
    ends_on = checked_date(data.ends_on, errors, "ends_on")
    if ends_on and starts_on and ends_on < starts_on:
        errors["ends_on"] = _("结束日期不能早于开班日期。")
    if errors:
        raise ValidationError(errors)
    created = cohort is None
    if created:
        cohort = Cohort(programme_id=programme.id, name=name, starts_on=starts_on)
        db.session.add(cohort)
    cohort.name, cohort.starts_on, cohort.ends_on = name, starts_on, ends_on
    cohort.site, cohort.township, cohort.village = site, township, village
    if cohort.village and cohort.village not in programme.villages:
        programme.villages = [*programme.villages, cohort.village]
    db.session.flush()
    audit.record(actor, "cohort.created" if created else "cohort.updated", cohort)
    return cohort


def close_cohort(actor: User, cohort: Cohort, *, today: date | None = None) -> None:
    cohort.closed_on = today or local_today()
    audit.record(actor, "cohort.closed", cohort)
    db.session.flush()


def assign_mentor(
    actor: User,
    mentor: User | None,
    programme: Programme,
    *,
    cohort: Cohort | None = None,
    trainee: User | None = None,
    today: date | None = None,
) -> MentorAssignment:
    """Assign a mentor, for `programme`, to a whole cohort of it or to one of its trainees,
    from today (the caller has checked the trainee belongs to the programme)."""
    if mentor is None or mentor.role is not Role.MENTOR or not mentor.is_active:
        raise ValidationError({"mentor_id": _("请选择一位驻点导师。")})
    if cohort is not None and cohort.programme_id != programme.id:
        raise ValueError("the cohort belongs to another programme")
    today = today or local_today()
    same = db.session.scalar(_twins_of(mentor.id, programme.id, cohort, trainee, today).limit(1))
    if same is not None:  # assigned already (a double tap, or back + submit): nothing new
        return same
    assignment = MentorAssignment(
        programme_id=programme.id,
        mentor_id=mentor.id,
        cohort_id=cohort.id if cohort else None,
        trainee_id=trainee.id if trainee else None,
        starts_on=today,
    )
    db.session.add(assignment)
    db.session.flush()
    audit.record(
        actor,
        "mentor.assigned",
        assignment,
        mentor_id=mentor.id,
        cohort_id=assignment.cohort_id,
        trainee_id=assignment.trainee_id,
    )
    return assignment


def _twins_of(mentor_id, programme_id, cohort, trainee, today):
    """Current assignments of this mentor to this cohort or trainee, for this programme."""
    return select(MentorAssignment).where(
        MentorAssignment.mentor_id == mentor_id,
        MentorAssignment.programme_id == programme_id,
        MentorAssignment.cohort_id == cohort.id if cohort else MentorAssignment.cohort_id.is_(None),
        MentorAssignment.trainee_id == trainee.id
        if trainee
        else MentorAssignment.trainee_id.is_(None),
        assignment_is_current(today),
    )


def end_assignment(actor: User, assignment: MentorAssignment, *, today: date | None = None) -> None:
    """End an assignment now: ends_on is exclusive, so the mentor loses access today. A twin
    (the same assignment made twice at once) ends with it."""
    today = today or local_today()
    twins = db.session.scalars(
        _twins_of(
            assignment.mentor_id,
            assignment.programme_id,
            assignment.cohort,
            assignment.trainee,
            today,
        )
    ).all()
    for each in {assignment, *twins}:
        each.ends_on = max(today, each.starts_on)
        audit.record(actor, "mentor.unassigned", each)
    db.session.flush()


def current_enrolments(trainee: User) -> list[tuple[Enrollment, Cohort]]:
    """The trainee's enrolments not left, with their cohorts, oldest first (one per programme
    they are in)."""
    return [
        (enrolment, cohort)
        for enrolment, cohort in db.session.execute(
            select(Enrollment, Cohort)
            .join(Cohort, Cohort.id == Enrollment.cohort_id)
            .where(Enrollment.trainee_id == trainee.id, Enrollment.left_on.is_(None))
            .order_by(Enrollment.enrolled_on, Enrollment.id)
        ).all()
    ]


def move_trainee(
    actor: User, trainee: User, target: Cohort, *, today: date | None = None
) -> Enrollment:
    """Move a trainee into another cohort of the same programme: their current enrolment in
    that programme ends today, a new one starts (enrolments in other programmes stay)."""
    today = today or local_today()
    if target.is_closed:
        raise ValidationError({"cohort_id": _("这个培训班已经结束，不能再加人。")})
    current = [e for e, c in current_enrolments(trainee) if c.programme_id == target.programme_id]
    if any(e.cohort_id == target.id for e in current):
        raise ValidationError({"cohort_id": _("学员已经在这个培训班里了。")})
    for enrolment in current:
        enrolment.left_on = today
    db.session.flush()
    existing = db.session.scalar(
        select(Enrollment).where(
            Enrollment.trainee_id == trainee.id, Enrollment.cohort_id == target.id
        )
    )
    if existing:  # back to a cohort they were in before
        existing.left_on, enrolment = None, existing
    else:
        enrolment = Enrollment(cohort_id=target.id, trainee_id=trainee.id, enrolled_on=today)
        db.session.add(enrolment)
    db.session.flush()
    audit.record(
        actor,
        "trainee.moved",
        enrolment,
        trainee_id=trainee.id,
        from_cohorts=[e.cohort_id for e in current],
        to_cohort=target.id,
    )
    return enrolment


def enrol_trainee(
    actor: User, trainee: User, cohort: Cohort, *, confirmed: bool, today: date | None = None
) -> Enrollment:
    """An admin enrols a trainee in a cohort, from today: the one way a person who already
    belongs to another programme joins this one (a roster never does it). Both programmes'
    leads and mentors will see them, so it needs `confirmed` then; each programme counts their
    records from their enrolment in it. Audited. Raises ValidationError."""
    today = today or local_today()
    if trainee.role is not Role.TRAINEE:
        raise ValidationError({"cohort_id": _("只有学员可以加入培训班。")})
    if cohort.is_closed:
        raise ValidationError({"cohort_id": _("这个培训班已经结束，不能再加人。")})
    current = current_enrolments(trainee)
    same = [c for _e, c in current if c.programme_id == cohort.programme_id]
    if same:
        raise ValidationError(
            {"cohort_id": _("已在这个项目的培训班「%(c)s」，换班请用“调班”。", c=same[0].name)}
        )
    elsewhere = sorted({c.programme_id for _e, c in current})
    if elsewhere and not confirmed:
        raise ValidationError({"confirm": _("这位学员已在别的项目里：请勾选确认。")})
    enrolment = db.session.scalar(
        select(Enrollment).where(
            Enrollment.trainee_id == trainee.id, Enrollment.cohort_id == cohort.id
        )
    )
    if enrolment is None:
        enrolment = Enrollment(cohort_id=cohort.id, trainee_id=trainee.id, enrolled_on=today)
        db.session.add(enrolment)
    else:  # back into a cohort they left
        enrolment.left_on, enrolment.enrolled_on = None, today
    db.session.flush()
    audit.record(
        actor,
        "trainee.enrolled",
        enrolment,
        trainee_id=trainee.id,
        programme_id=cohort.programme_id,
        cohort_id=cohort.id,
        also_in_programmes=elsewhere,
    )
    return enrolment

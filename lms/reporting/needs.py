"""Who needs someone today: the lead's 需要跟进 list, read from trainee_facts in SQL.

A trainee of the programme (current enrolment, active account) is on the list when, as of today:

* **overdue**: a follow-up window has closed without a visit (lms.services.schedule);
* **stalled**: no learning or practice activity for more than 30 days, counted from their
  first enrolment in the programme when there has been none (lms.services.caseload);
* **waiting**: practice records are waiting for a mentor to verify them.

Most urgent first: overdue before waiting before stalled, and within each the longest first.
The count on the dashboard and this list are the same select.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import case, func, or_, select

from lms.db import db
from lms.models import Enrollment, MentorAssignment, TraineeFacts, User
from lms.permissions import assigned_trainee_ids, assignment_is_current
from lms.services.caseload import STALLED_AFTER_DAYS
from lms.services.schedule import DueReason

REASONS = ("overdue", "waiting", "stalled")
F = TraineeFacts


def conditions(today: date) -> dict[str, object]:
    """Each reason as a SQL condition on trainee_facts."""
    quiet_since = func.coalesce(F.last_activity_on, F.enrolled_on)
    return {
        "overdue": F.closes_on < today,
        "waiting": F.pending_count > 0,
        "stalled": quiet_since < today - timedelta(days=STALLED_AFTER_DAYS),
    }


def scoped(
    programme_id: int,
    today: date,
    *columns,
    why: str | None = None,
    mentor: User | None = None,
    cohort_id: int | None = None,
    village: str | None = None,
):
    """A select of `columns` (default: the trainee id) over the trainees on the list (or, with
    `why`, those with that reason)."""
    found = conditions(today)
    query = (
        select(*(columns or (F.trainee_id,)))
        .select_from(F)
        .where(F.programme_id == programme_id, F.active.is_(True))
        .where(found[why] if why in found else or_(*found.values()))
    )
    if mentor is not None:
        query = query.where(F.trainee_id.in_(assigned_trainee_ids(mentor, today=today)))
    if cohort_id:
        query = query.where(F.cohort_id == cohort_id)
    if village:
        query = query.where(F.village == village)
    return query


def count(programme_id: int, today: date, **filters) -> int:
    return db.session.scalar(
        select(func.count()).select_from(scoped(programme_id, today, **filters).subquery())
    )


def counts(programme_id: int, today: date) -> dict[str | None, int]:
    """How many are on the list (None) and how many for each reason, in one query."""
    found = conditions(today)
    sums = [func.count()] + [func.sum(case((found[why], 1), else_=0)) for why in REASONS]
    row = db.session.execute(scoped(programme_id, today, *sums)).one()
    return dict(zip((None, *REASONS), (n or 0 for n in row), strict=True))


@dataclass
class Row:
    trainee_id: int
    name: str
    phone: str
    village: str
    cohort_id: int | None
    facts: TraineeFacts
    today: date
    mentors: list[tuple[int, str, int]]  # (id, name, how many trainees they follow today)

    @property
    def reasons(self) -> list[str]:
        """Why, in words, most urgent first."""
        f, words = self.facts, []
        if f.closes_on and f.closes_on < self.today:
            days = (self.today - f.closes_on).days
            words.append(_("逾期 %(days)d 天未回访", days=days) + self.due_reason_words)
        if f.pending_count:
            days = (self.today - f.pending_since).days if f.pending_since else 0
            words.append(_("%(n)d 条记录等待核实 %(days)d 天", n=f.pending_count, days=days))
        quiet = f.last_activity_on or f.enrolled_on
        if quiet and (self.today - quiet).days > STALLED_AFTER_DAYS:
            days = (self.today - quiet).days
            words.append(
                _("%(days)d 天没有学习或实践", days=days)
                if f.last_activity_on
                else _("入学 %(days)d 天还没有开始学习或实践", days=days)
            )
        return words

    @property
    def due_reason_words(self) -> str:
        """ "（定期回访）": which follow-up is late."""
        return f"（{DueReason(self.facts.due_reason).label}）" if self.facts.due_reason else ""


def urgency(today: date):
    """ORDER BY terms: overdue (oldest window first), then waiting (oldest record first), then
    stalled (quiet longest first)."""
    found = conditions(today)
    first = case((found["overdue"], 0), (found["waiting"], 1), else_=2)
    when = case(
        (found["overdue"], F.closes_on),
        (found["waiting"], F.pending_since),
        else_=func.coalesce(F.last_activity_on, F.enrolled_on),
    )
    return first, when


def page(programme_id: int, today: date, *, offset: int, limit: int | None, **filters) -> list[Row]:
    """One page of the list, most urgent first (all of it when `limit` is None)."""
    chosen = scoped(programme_id, today, **filters).order_by(*urgency(today), F.trainee_id)
    chosen = chosen.offset(offset).limit(limit).subquery()  # the page first, then its people
    found = db.session.execute(
        select(F, User.name, User.phone)
        .join(chosen, chosen.c.trainee_id == F.trainee_id)
        .join(User, User.id == F.trainee_id)
        .order_by(*urgency(today), F.trainee_id)
    ).all()
    mentors = mentors_of([f for f, *_ in found], programme_id, today)
    return [
        Row(
            f.trainee_id,
            name,
            phone,
            f.village,
            f.cohort_id,
            f,
            today,
            mentors.get(f.trainee_id, []),
        )
        for f, name, phone in found
    ]


def mentors_of(facts: list[TraineeFacts], programme_id: int, today: date) -> dict[int, list]:
    """Each trainee's mentors today, with each mentor's load (trainees they follow today)."""
    if not facts:
        return {}
    current = assignment_is_current(today)
    by_trainee: dict[int, set[int]] = {}
    trainee_ids = [f.trainee_id for f in facts]
    cohort_of = {f.trainee_id: f.cohort_id for f in facts}
    for mentor_id, trainee_id, cohort_id in db.session.execute(
        select(MentorAssignment.mentor_id, MentorAssignment.trainee_id, MentorAssignment.cohort_id)
        .where(MentorAssignment.programme_id == programme_id, current)
        .where(
            or_(
                MentorAssignment.trainee_id.in_(trainee_ids),
                MentorAssignment.cohort_id.in_({c for c in cohort_of.values() if c}),
            )
        )
    ).all():
        for t in (
            [trainee_id] if trainee_id else [t for t, c in cohort_of.items() if c == cohort_id]
        ):
            by_trainee.setdefault(t, set()).add(mentor_id)
    mentor_ids = set().union(*by_trainee.values()) if by_trainee else set()
    loads = mentor_loads(programme_id, today, mentor_ids)
    names = dict(
        db.session.execute(select(User.id, User.name).where(User.id.in_(mentor_ids))).all()
    )
    return {t: sorted((m, names[m], loads.get(m, 0)) for m in ms) for t, ms in by_trainee.items()}


def mentor_loads(programme_id: int, today: date, mentor_ids=None) -> dict[int, int]:
    """How many trainees of the programme each mentor follows today (directly or by cohort)."""
    current = assignment_is_current(today)
    direct = (
        select(MentorAssignment.mentor_id, F.trainee_id)
        .join(F, F.trainee_id == MentorAssignment.trainee_id)
        .where(MentorAssignment.programme_id == programme_id, F.programme_id == programme_id)
    )
    via_cohort = (
        select(MentorAssignment.mentor_id, Enrollment.trainee_id)
        .join(Enrollment, Enrollment.cohort_id == MentorAssignment.cohort_id)
        .where(MentorAssignment.programme_id == programme_id, Enrollment.left_on.is_(None))
    )
    if mentor_ids is not None:
        direct = direct.where(MentorAssignment.mentor_id.in_(mentor_ids))
        via_cohort = via_cohort.where(MentorAssignment.mentor_id.in_(mentor_ids))
    both = direct.where(current).union(via_cohort.where(current)).subquery()
    return dict(
        db.session.execute(select(both.c.mentor_id, func.count()).group_by(both.c.mentor_id)).all()
    )

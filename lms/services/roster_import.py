"""Roster import, the writing half: all rows or none, each change audited (the checking half,
and the rules, are in lms.services.roster).

Services flush, never commit.
"""

from dataclasses import dataclass

from sqlalchemy import select

from lms.db import db, flush_versioned
from lms.errors import LmsError
from lms.models import (
    Cohort,
    Enrollment,
    Gender,
    HouseholdCategory,
    Programme,
    Role,
    Track,
    TraineeProfile,
    User,
)
from lms.services import audit, consent
from lms.services.accounts import generate_password, hash_password
from lms.services.roster import DEFAULTS, PROFILE_FIELDS, RosterPreview, RosterRow, preview


class RosterInvalid(LmsError):
    def __init__(self, result: RosterPreview):
        super().__init__("roster has problems")
        self.preview = result


class PreviewChanged(LmsError):
    """What the file would do is no longer what the lead confirmed: show the new preview."""

    def __init__(self, result: RosterPreview):
        super().__init__("the preview changed")
        self.preview = result


class NamesNotConfirmed(LmsError):
    """Rows that would rename an existing trainee were not confirmed one by one."""

    def __init__(self, result: RosterPreview, lines: list[int]):
        super().__init__(f"unconfirmed renames on lines {lines}")
        self.preview = result
        self.lines = lines


@dataclass
class ImportResult:
    created: list[tuple[User, str]]  # (trainee, initial password): shown once
    updated: int
    unchanged: int


def check(
    programme: Programme,
    filename: str,
    data: bytes,
    *,
    digest: str | None = None,
    confirmed: set[int] = frozenset(),
) -> RosterPreview:
    """The preview, if it is what the lead confirmed; raises RosterInvalid, PreviewChanged or
    NamesNotConfirmed (see `import_roster`) otherwise. Reads only."""
    result = preview(programme, filename, data)
    if not result.ok:
        raise RosterInvalid(result)
    if digest is not None and digest != result.digest:
        raise PreviewChanged(result)
    unconfirmed = [r.line for r in result.rows if r.needs_confirmation and r.line not in confirmed]
    if unconfirmed:
        raise NamesNotConfirmed(result, unconfirmed)
    return result


def new_password() -> tuple[str, str]:
    """An initial password and its hash (the slow part of importing a new trainee)."""
    password = generate_password()
    return password, hash_password(password)


def import_roster(
    actor: User,
    programme: Programme,
    filename: str,
    data: bytes,
    *,
    digest: str | None = None,
    confirmed: set[int] = frozenset(),
    passwords: dict[str, tuple[str, str]] | None = None,
) -> ImportResult:
    """Write every row, or nothing when any row has a problem (RosterInvalid).

    `digest` is the preview the lead confirmed (PreviewChanged if the file would now do
    something else); `confirmed` the lines whose rename the lead ticked (NamesNotConfirmed for
    any other rename). Updates change only the fields the file gives, each audited old → new;
    a profile changed by someone else meanwhile raises StaleVersion. `passwords` may hold new
    trainees' (password, hash) by phone, made beforehand (`new_password`) by a job that keeps
    the hashing out of this transaction. Flushes, never commits.
    """
    result = check(programme, filename, data, digest=digest, confirmed=confirmed)
    passwords = passwords or {}
    created, updated, unchanged = [], 0, 0
    for row in result.rows:
        if row.action == "new":
            made = passwords.get(row.values["phone"])
            created.append(_create(actor, row, made or new_password()))
        elif row.action == "update":
            _update(actor, row)
            updated += 1
        else:
            unchanged += 1
    flush_versioned()
    audit.record(
        actor,
        "roster.imported",
        programme,
        file=filename,
        created=len(created),
        updated=updated,
        unchanged=unchanged,
    )
    return ImportResult(created, updated, unchanged)


def _create(actor: User, row: RosterRow, password: tuple[str, str]) -> tuple[User, str]:
    v = row.values
    plain, hashed = password
    user = User(phone=v["phone"], name=v["name"], role=Role.TRAINEE, password_hash=hashed)
    profile = {name: v.get(name, DEFAULTS.get(name)) for name in PROFILE_FIELDS}
    user.profile = TraineeProfile(**profile)
    db.session.add(user)
    db.session.flush()
    consent.record_roster_consent(actor, user, v.get("guardian", ""))
    cohort = v["cohort"]  # a new person has no enrolment yet: no need to look for one
    db.session.add(
        Enrollment(cohort_id=cohort.id, trainee_id=user.id, enrolled_on=cohort.starts_on)
    )
    return user, plain


def _update(actor: User, row: RosterRow) -> None:
    user = row.existing
    if user.profile is None:
        user.profile = TraineeProfile(**DEFAULTS)
    for change in row.changes:
        if change.field == "name":
            user.name = change.new
        elif change.field != "cohort":
            setattr(user.profile, change.field, change.new)
    if row.reenrol:
        _enrol(user, row.values["cohort"])
    audit.record(
        actor,
        "trainee.updated_by_roster",
        user,
        line=row.line,
        changes={c.field: [_plain(c.old), _plain(c.new)] for c in row.changes},
    )


def _enrol(user: User, cohort: Cohort) -> None:
    """Into `cohort` from its start (back in, if they were in it before)."""
    enrolment = db.session.scalar(
        select(Enrollment).where(
            Enrollment.trainee_id == user.id, Enrollment.cohort_id == cohort.id
        )
    )
    if enrolment is None:
        db.session.add(
            Enrollment(cohort_id=cohort.id, trainee_id=user.id, enrolled_on=cohort.starts_on)
        )
    else:
        enrolment.left_on = None


def _plain(value):
    if isinstance(value, Cohort):
        return value.name
    if isinstance(value, Track):
        return value.slug
    return value.value if isinstance(value, HouseholdCategory | Gender) else value

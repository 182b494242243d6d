"""People: user accounts with a role, and the trainee's profile."""

import secrets
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.clock import utcnow
from lms.db import db, str_enum
from lms.models.labelled import Labelled


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class Role(Labelled):
    TRAINEE = "trainee"
    MENTOR = "mentor"
    LEAD = "lead"
    ADMIN = "admin"


ROLE_LABELS = {
    Role.TRAINEE: _l("学员"),
    Role.MENTOR: _l("驻点导师"),
    Role.LEAD: _l("项目负责人"),
    Role.ADMIN: _l("管理员"),
}
Role.labels = ROLE_LABELS


class Gender(Labelled):
    FEMALE = "female"
    MALE = "male"


Gender.labels = {Gender.FEMALE: _l("女"), Gender.MALE: _l("男")}


class HouseholdCategory(Labelled):
    ORDINARY = "ordinary"  # 普通农户
    FORMERLY_POOR = "formerly_poor"  # 脱贫户
    MONITORED = "monitored"  # 监测户
    DEMONSTRATION = "demonstration"  # 示范户


HOUSEHOLD_LABELS = {
    HouseholdCategory.ORDINARY: _l("普通农户"),
    HouseholdCategory.FORMERLY_POOR: _l("脱贫户"),
    HouseholdCategory.MONITORED: _l("监测户"),
    HouseholdCategory.DEMONSTRATION: _l("示范户"),
}
HouseholdCategory.labels = HOUSEHOLD_LABELS


class User(UserMixin, db.Model):
    """Anyone who logs in. The mainland mobile number is the login; no national ID is stored."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(11), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    role: Mapped[Role] = mapped_column(str_enum(Role), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str | None] = mapped_column(String(10))
    # Rotated on logout, password change and deactivation: every older session stops working.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    last_login_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    erased_at: Mapped[datetime | None]  # personal data erased (lms.services.personal_data)

    profile: Mapped["TraineeProfile | None"] = relationship(back_populates="user")

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    def rotate_session_token(self) -> None:
        self.session_token = new_session_token()

    @property
    def masked_phone(self) -> str:
        return f"{self.phone[:3]}****{self.phone[-4:]}"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class TraineeProfile(db.Model):
    """What a programme needs to know about a trainee (DESIGN §4), and nothing more."""

    __tablename__ = "trainee_profiles"
    __table_args__ = (
        CheckConstraint("baseline_rung BETWEEN 0 AND 6", name="baseline_rung_range"),
        CheckConstraint("baseline_monthly_income_fen >= 0", name="baseline_income_nonnegative"),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    village: Mapped[str] = mapped_column(String(100), default="")
    gender: Mapped[Gender | None] = mapped_column(str_enum(Gender, 10))
    birth_year: Mapped[int | None]
    household_category: Mapped[HouseholdCategory] = mapped_column(
        str_enum(HouseholdCategory), default=HouseholdCategory.ORDINARY
    )
    baseline_rung: Mapped[int] = mapped_column(default=0)
    baseline_monthly_income_fen: Mapped[int] = mapped_column(default=0)
    main_products: Mapped[str] = mapped_column(String(200), default="")
    # The track (分类培训) they follow: set at enrolment or by their mentor; None: no track.
    track_id: Mapped[int | None] = mapped_column(ForeignKey("tracks.id"))
    # Leads (roster imports) and admins change profiles: see PracticeRecord.version.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    user: Mapped[User] = relationship(back_populates="profile")
    track: Mapped["Track | None"] = relationship()  # noqa: F821 (lms.models.tracks)

    __mapper_args__ = {"version_id_col": version}


class ConsentGiver(Labelled):
    TRAINEE = "trainee"  # on their own phone, after reading the notice
    ROSTER = "roster"  # on paper, confirmed by the lead who imported the roster


ConsentGiver.labels = {
    ConsentGiver.TRAINEE: _l("学员本人在手机上同意"),
    ConsentGiver.ROSTER: _l("纸面签字，负责人导入时确认"),
}


class ConsentRecord(db.Model):
    """A trainee's consent to the programme's notice (PIPL), with the notice version they were
    shown and, for a minor, their guardian. Withdrawn consent stays on record."""

    __tablename__ = "consent_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    trainee_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    notice_version: Mapped[str] = mapped_column(String(20))
    given_by: Mapped[ConsentGiver] = mapped_column(str_enum(ConsentGiver))
    given_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    guardian_name: Mapped[str] = mapped_column(String(50), default="")
    withdrawn_at: Mapped[datetime | None]

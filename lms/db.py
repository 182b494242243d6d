"""The SQLAlchemy handle: typed declarative base with a constraint naming convention."""

import uuid
from enum import StrEnum

from flask_babel import gettext as _
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Enum, MetaData
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.orm.exc import StaleDataError

from lms.errors import StaleVersion, ValidationError

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Objects stay readable after the request's single commit (no reload query per attribute).
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})


def str_enum(enum_cls, length: int = 20) -> Enum:
    """A StrEnum column stored as its plain string value (no CREATE TYPE, readable in SQL)."""
    return Enum(
        enum_cls,
        native_enum=False,
        length=length,
        values_callable=lambda cls: [member.value for member in cls],
        validate_strings=True,
    )


def new_uuid() -> str:
    return str(uuid.uuid4())


def client_uuid(text: str | None) -> str:
    """The uuid a form or a phone made for a write, in canonical form; a new one when none was
    sent. Raises ValidationError (field "uuid") for anything that is not a uuid."""
    text = (text or "").strip()
    if not text:
        return new_uuid()
    try:
        return str(uuid.UUID(text[:40]))
    except ValueError:
        raise ValidationError({"uuid": _("这张表单已经失效了，请重新打开再填一次。")}) from None


class Written(StrEnum):
    """What a write keyed by a client uuid did (DESIGN §5 "Identity of a write")."""

    CREATED = "created"
    DUPLICATE = "duplicate"  # the same uuid with the same payload: nothing written
    UPDATED = "updated"  # the same uuid with another payload: an edit of what was stored


def insert_once(model, values: dict, *keys: str) -> bool:
    """INSERT … ON CONFLICT (keys) DO NOTHING, on SQLite and PostgreSQL alike; True when this
    call stored the row. A concurrent transaction inserting the same keys makes it wait for that
    one, then do nothing, so a race never ends in an IntegrityError."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(model)
        .values(**values)
        .on_conflict_do_nothing(index_elements=list(keys))
        .returning(*model.__table__.primary_key.columns)  # no row back: nothing was inserted
    )
    stored = db.session.connection().execute(statement).first() is not None
    if stored and "trainee_id" in values:  # the ORM's flush hook does not see this INSERT
        from lms.reporting.facts import touch

        touch(values["trainee_id"])
    return stored


def flush_versioned() -> None:
    """Flush, turning a stale versioned UPDATE or DELETE (someone else wrote first) into
    StaleVersion. The caller rolls back."""
    try:
        db.session.flush()
    except StaleDataError:
        raise StaleVersion() from None

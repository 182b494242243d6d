"""The SQLAlchemy handle: typed declarative base with a constraint naming convention."""

import uuid

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Enum, MetaData
from sqlalchemy.orm import DeclarativeBase

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

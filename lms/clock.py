"""Time helpers: UTC in the database, Asia/Shanghai for people."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    """Naive UTC now, the form every datetime column stores."""
    return datetime.now(UTC).replace(tzinfo=None)


def local_today() -> date:
    """Today's date in China, the date people mean when they say "today"."""
    return datetime.now(LOCAL_TZ).date()


def to_local(value: datetime) -> datetime:
    """A stored naive-UTC datetime as an aware Asia/Shanghai datetime."""
    return value.replace(tzinfo=UTC).astimezone(LOCAL_TZ)

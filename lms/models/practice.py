"""Practice records: the real sales, livestreams, videos, listings and shops trainees report."""

from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.clock import utcnow
from lms.db import db, new_uuid, str_enum
from lms.models.curriculum import PracticeKind, PracticeTask
from lms.models.labelled import Labelled
from lms.models.people import User


class Channel(Labelled):
    WECHAT_MOMENTS = "wechat_moments"
    WECHAT_GROUP = "wechat_group"
    WECHAT_CHANNELS = "wechat_channels"  # 视频号
    WECHAT_SHOP = "wechat_shop"  # 微信小店
    DOUYIN = "douyin"
    KUAISHOU = "kuaishou"
    TAOBAO = "taobao"
    PINDUODUO = "pinduoduo"
    COMMUNITY_GROUP_BUYING = "community_group_buying"
    MARKET_STALL = "market_stall"  # a stall at the village or town market
    OTHER = "other"


CHANNEL_LABELS = {
    Channel.WECHAT_MOMENTS: _l("微信朋友圈"),
    Channel.WECHAT_GROUP: _l("微信群"),
    Channel.WECHAT_CHANNELS: _l("视频号"),
    Channel.WECHAT_SHOP: _l("微信小店"),
    Channel.DOUYIN: _l("抖音"),
    Channel.KUAISHOU: _l("快手"),
    Channel.TAOBAO: _l("淘宝"),
    Channel.PINDUODUO: _l("拼多多"),
    Channel.COMMUNITY_GROUP_BUYING: _l("社区团购"),
    Channel.MARKET_STALL: _l("线下集市摆摊"),
    Channel.OTHER: _l("其他"),
}
Channel.labels = CHANNEL_LABELS


class RecordStatus(Labelled):
    SELF_REPORTED = "self_reported"
    VERIFIED = "verified"
    REJECTED = "rejected"
    # Deleted by the trainee: kept so a re-sent uuid is recognised, never shown or counted; its
    # photo is swept a day later (lms.services.files).
    DELETED = "deleted"


STATUS_LABELS = {
    RecordStatus.SELF_REPORTED: _l("待导师核实"),
    RecordStatus.VERIFIED: _l("导师已核实"),
    RecordStatus.REJECTED: _l("未通过核实"),
    RecordStatus.DELETED: _l("已删除"),
}
# The records that exist for people: every status but deleted.
LIVE_STATUSES = (RecordStatus.SELF_REPORTED, RecordStatus.VERIFIED, RecordStatus.REJECTED)
RecordStatus.labels = STATUS_LABELS


class PracticeRecord(db.Model):
    """A real sale, livestream, video, listing or shop a trainee made after training."""

    __tablename__ = "practice_records"
    __table_args__ = (
        CheckConstraint("amount_fen IS NULL OR amount_fen >= 0", name="amount_nonnegative"),
        CheckConstraint("quantity IS NULL OR quantity > 0", name="quantity_positive"),
        # What the other kinds ask (lms.models.practice_kinds); the service holds the upper bounds.
        CheckConstraint("minutes IS NULL OR minutes > 0", name="minutes_positive"),
        CheckConstraint("viewers IS NULL OR viewers >= 0", name="viewers_nonnegative"),
        CheckConstraint("orders IS NULL OR orders >= 0", name="orders_nonnegative"),
        CheckConstraint("people IS NULL OR people > 0", name="people_positive"),
        # Indicators look up a trainee's records by date range.
        Index("ix_practice_records_trainee_day", "trainee_id", "happened_on"),
        # Verified records over a period, read from the index alone (the dashboards' biggest
        # scans: sales, and mentor attention); the read side states `status = 'verified'`
        # literally so that both databases use it.
        Index(
            "ix_practice_records_verified",
            "happened_on",
            "trainee_id",
            "kind",
            "amount_fen",
            "reviewed_at",
            postgresql_where=text("status = 'verified'"),
            sqlite_where=text("status = 'verified'"),
        ),
        # Records verified after a period's end, taken back out of its monthly rollups.
        Index(
            "ix_practice_records_verified_reviewed",
            "reviewed_at",
            "trainee_id",
            "kind",
            postgresql_where=text("status = 'verified'"),
            sqlite_where=text("status = 'verified'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)  # idempotent sync
    trainee_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("practice_tasks.id"), index=True)
    kind: Mapped[PracticeKind] = mapped_column(str_enum(PracticeKind))
    happened_on: Mapped[date] = mapped_column(index=True)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, 30))
    product: Mapped[str] = mapped_column(String(100))
    quantity: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    unit: Mapped[str] = mapped_column(String(10), default="")
    amount_fen: Mapped[int | None]  # money is integer fen
    link: Mapped[str | None] = mapped_column(String(500))  # a video, shop or listing (http/https)
    minutes: Mapped[int | None]  # how long a livestream ran
    viewers: Mapped[int | None]  # a livestream's most viewers at once; a short video's views
    orders: Mapped[int | None]  # orders taken in a livestream
    people: Mapped[int | None]  # people taught, or farmers brought in
    note: Mapped[str] = mapped_column(Text, default="")
    photo: Mapped[str | None] = mapped_column(String(80))  # file name under UPLOAD_FOLDER/practice
    status: Mapped[RecordStatus] = mapped_column(
        str_enum(RecordStatus), default=RecordStatus.SELF_REPORTED, index=True
    )
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None]
    reject_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Trainee and mentor both change a record: every UPDATE states the version it read, and a
    # stale one changes nothing (StaleDataError). Forms carry the version their author saw.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    trainee: Mapped[User] = relationship(foreign_keys=[trainee_id])
    task: Mapped[PracticeTask | None] = relationship()
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_locked(self) -> bool:
        """Verified records belong to the evidence trail: the trainee can no longer change them."""
        return self.status is RecordStatus.VERIFIED

"""SQLAlchemy 2 models. Instants are stored as UTC; business dates as plain dates.

Only portable column types are used so the same schema runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


ROLES = ("staff", "manager", "bod", "admin")


class Department(Base):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class CatalogVersion(Base):
    """One row whose number goes up whenever a brand or store is added, changed or deactivated,
    so a process can keep the store list in memory and know when to read it again."""

    __tablename__ = "catalog_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)


class Brand(Base):
    __tablename__ = "brands"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Store(Base):
    __tablename__ = "stores"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    platform: Mapped[str] = mapped_column(String(32))
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    brand: Mapped[Brand] = relationship(lazy="joined")


class Member(Base):
    __tablename__ = "members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    username: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    locale: Mapped[str] = mapped_column(String(8), default="vi")
    reachable: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    joined_at: Mapped[datetime] = mapped_column(UtcDateTime)
    invite_id: Mapped[int | None] = mapped_column(ForeignKey("invites.id", use_alter=True))

    department: Mapped[Department | None] = relationship(lazy="joined")


class MemberStore(Base):
    __tablename__ = "member_stores"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), primary_key=True)


class Invite(Base):
    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    store_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    used_by_telegram_id: Mapped[int | None] = mapped_column(BigInteger)


class Report(Base):
    """One filled form for a subject (a store, or a member for person-level forms) and a date.

    The current values live in ``daily_values``; every confirmed change is in ``value_revisions``.
    """

    __tablename__ = "reports"
    __table_args__ = (
        UniqueConstraint("subject_key", "business_date", "form"),
        Index("ix_reports_campaign", "campaign_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_key: Mapped[str] = mapped_column(String(64))  # "store:<id>" or "member:<id>"
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    form: Mapped[str] = mapped_column(String(64))
    business_date: Mapped[date] = mapped_column(Date)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    # The campaign a person-level output was tagged to in the report form (``campaigns.id``;
    # no foreign key, so that SQLite adds and drops the column without rebuilding the table).
    campaign_id: Mapped[int | None] = mapped_column(Integer)


class Campaign(Base):
    """A sales campaign: stores and brands (codes) over a date range, a budget, targets per
    metric and owners ("@username" or a Telegram id). ``source``: org | plan | chat."""

    __tablename__ = "campaigns"
    __table_args__ = (Index("ix_campaigns_dates", "end_date", "start_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    store_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    brand_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    budget: Mapped[float | None] = mapped_column(Float)
    targets: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    owners: Mapped[list[str]] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class DailyValue(Base):
    __tablename__ = "daily_values"
    __table_args__ = (
        UniqueConstraint("report_id", "metric"),
        # Both cover the KPI reads without touching the table: sums per subject over a date
        # range (a store, a brand), and sums per day over many subjects (all stores).
        Index("ix_daily_values_date_metric", "business_date", "metric", "subject_key", "value"),
        Index("ix_daily_values_subject_date", "subject_key", "business_date", "metric", "value"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    subject_key: Mapped[str] = mapped_column(String(64))
    business_date: Mapped[date] = mapped_column(Date)
    metric: Mapped[str] = mapped_column(String(64))
    value: Mapped[float] = mapped_column(Float)


class ValueRevision(Base):
    __tablename__ = "value_revisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    revision: Mapped[int] = mapped_column(Integer)
    metric: Mapped[str] = mapped_column(String(64))
    old_value: Mapped[float | None] = mapped_column(Float)
    new_value: Mapped[float | None] = mapped_column(Float)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    source: Mapped[str] = mapped_column(String(64))  # chat | import:<format> | api:<token>
    source_detail: Mapped[str | None] = mapped_column(String(300))  # file name sha256:<hex>


class Plan(Base):
    __tablename__ = "plans"
    __table_args__ = (UniqueConstraint("store_id", "metric", "month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    metric: Mapped[str] = mapped_column(String(64))
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    target: Mapped[float] = mapped_column(Float)
    day_weights: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))


class JobRun(Base):
    """The truth of "did this job run for this period": unique (job, period)."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(16), default="running")
    detail: Mapped[str | None] = mapped_column(Text)


class OutboxMessage(Base):
    """A proactive message, written in the transaction that decided to send it."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_pending", "status", "priority", "not_before"),
        Index("ix_outbox_expiry", "status", "expires_at"),
        Index("ix_outbox_subject", "subject", "chat_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(32))
    priority: Mapped[int] = mapped_column(Integer, default=50)  # lower is sent first
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    # pending, sent, failed, expired (stale, never sent) or superseded (replaced unsent)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    # Not worth sending after this (None: never stale); see ``bot.domain.outbox.Lifetime``.
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # What the message is about (e.g. "alert:12"): a newer one to the chat replaces it unsent.
    subject: Mapped[str | None] = mapped_column(String(100))
    # Calls already made for a message sent as several (a long text, a caption's rest).
    parts_sent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class FsmRecord(Base):
    """aiogram FSM state and data per storage key, so forms survive restarts."""

    __tablename__ = "fsm_state"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    state: Mapped[str | None] = mapped_column(String(255))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PlanRevision(Base):
    """Every change of a plan target (or its day weights): nothing is silently overwritten."""

    __tablename__ = "plan_revisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    old_target: Mapped[float | None] = mapped_column(Float)
    new_target: Mapped[float] = mapped_column(Float)
    old_day_weights: Mapped[dict[str, float] | None] = mapped_column(JSON)
    new_day_weights: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    source: Mapped[str] = mapped_column(String(16))  # chat | cli


class PersonTarget(Base):
    """A member's own monthly target for a metric (the plan file's ``people`` sheet)."""

    __tablename__ = "person_targets"
    __table_args__ = (UniqueConstraint("member_id", "metric", "month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    metric: Mapped[str] = mapped_column(String(64))
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    target: Mapped[float] = mapped_column(Float)
    day_weights: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))


class PersonTargetRevision(Base):
    """Every change of a personal target, like ``PlanRevision`` for store plans."""

    __tablename__ = "person_target_revisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("person_targets.id", ondelete="CASCADE"))
    old_target: Mapped[float | None] = mapped_column(Float)
    new_target: Mapped[float] = mapped_column(Float)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    source: Mapped[str] = mapped_column(String(16))  # chat | cli


class DayOff(Base):
    """A member's day of leave (`/off`), requested by the member and decided by a manager."""

    __tablename__ = "days_off"
    __table_args__ = (UniqueConstraint("member_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))  # pending | approved | rejected
    reason: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class AlertState(Base):
    """The state of one breach: (rule, subject, period) → open / acknowledged / snoozed / resolved.

    Messages are sent only when ``state`` changes away from ``notified_state`` (hysteresis).
    """

    __tablename__ = "alert_states"
    __table_args__ = (
        UniqueConstraint("rule_id", "subject_key", "period"),
        Index("ix_alert_states_state", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(64))
    subject_key: Mapped[str] = mapped_column(String(64))  # "store:<id>"
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    period: Mapped[str] = mapped_column(String(32))  # "2026-11-21" or "2026-11"
    severity: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))  # open | acknowledged | snoozed | resolved
    notified_state: Mapped[str | None] = mapped_column(String(16))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    snoozed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    escalated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("order_requests.id", use_alter=True))


class OrderRequest(Base):
    """A work request to a department (``kind`` "order", typed by the org file), or a follow-up
    task created from an alert (``kind`` "task", born assigned). The number shown is ``id``."""

    __tablename__ = "order_requests"
    __table_args__ = (
        Index("ix_order_requests_department_status", "department_id", "status"),
        Index("ix_order_requests_assignee_status", "assignee_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="order")  # order | task
    type_code: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    requester_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    status: Mapped[str] = mapped_column(String(16))
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    deadline: Mapped[datetime | None] = mapped_column(UtcDateTime)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alert_states.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)  # optimistic concurrency
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class OrderEvent(Base):
    """One transition of an order request: who, when, from → to, with a note or attachment."""

    __tablename__ = "order_events"
    __table_args__ = (Index("ix_order_events_order", "order_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order_requests.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    attachment: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(UtcDateTime)


class ApiToken(Base):
    """A bearer token of the HTTP API: only the SHA-256 of the token is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(1000))  # all | department:CODE | stores:A,B
    read_only: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ApiIdempotency(Base):
    """The first answer to a request with an ``Idempotency-Key``, replayed for 24 hours."""

    __tablename__ = "api_idempotency"
    __table_args__ = (
        UniqueConstraint("token_id", "key"),
        Index("ix_api_idempotency_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    body_sha256: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ProcessedUpdate(Base):
    """A Telegram update id applied by a webhook worker, kept 24 hours so that a redelivery
    (the worker died before answering 200) is answered and ignored instead of applied twice."""

    __tablename__ = "processed_updates"
    __table_args__ = (Index("ix_processed_updates_at", "processed_at"),)

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    processed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Lease(Base):
    """A named lease held by one process at a time (the outbox sender's leadership): the holder
    renews it; another process takes it over once ``expires_at`` has passed."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    acquired_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)

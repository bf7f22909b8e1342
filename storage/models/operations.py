"""Running the bot: jobs, the outbox, form state, alerts, order requests, API tokens,
processed webhook updates and leases."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UtcDateTime


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

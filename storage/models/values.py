"""Reported values and what is planned against them: reports, values and their revisions,
rollups, plans, personal targets, campaigns, days off."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UtcDateTime


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


class MonthlyRollup(Base):
    """Sum of one metric per subject and month, kept in step with ``daily_values`` in the
    transaction of every write (``storage/repositories/rollups.py``); ``days`` counts the
    values summed. Rebuilt from scratch by ``opsbot db rebuild-rollups``."""

    __tablename__ = "monthly_rollups"

    subject_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM
    metric: Mapped[str] = mapped_column(String(64), primary_key=True)
    total: Mapped[float] = mapped_column(Float)
    days: Mapped[int] = mapped_column(Integer)


class DailyRollup(Base):
    """Sum of one metric per day over the stores of one brand on one platform; ``stores``
    counts the store values summed. Maintained like ``monthly_rollups``."""

    __tablename__ = "daily_rollups"

    business_date: Mapped[date] = mapped_column(Date, primary_key=True)
    metric: Mapped[str] = mapped_column(String(64), primary_key=True)
    brand_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    total: Mapped[float] = mapped_column(Float)
    stores: Mapped[int] = mapped_column(Integer)


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

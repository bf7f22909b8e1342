"""plans revisions, days off, alerts, order requests

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 21:13:38.218316
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


UTC_DATETIME = sa.DateTime(timezone=True)


def _is_sqlite() -> bool:
    return op.get_context().dialect.name == "sqlite"


def task_fk() -> sa.ForeignKeyConstraint:
    # alert_states <-> order_requests reference each other (a task made from an alert).
    return sa.ForeignKeyConstraint(
        ["task_id"], ["order_requests.id"], name=op.f("fk_alert_states_task_id_order_requests")
    )


def upgrade() -> None:
    op.create_table(
        "alert_states",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column("subject_key", sa.String(length=64), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=True),
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("notified_state", sa.String(length=16), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("opened_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.Column("acknowledged_by_id", sa.Integer(), nullable=True),
        sa.Column("acknowledged_at", UTC_DATETIME, nullable=True),
        sa.Column("snoozed_until", UTC_DATETIME, nullable=True),
        sa.Column("resolved_at", UTC_DATETIME, nullable=True),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("escalated_at", UTC_DATETIME, nullable=True),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["acknowledged_by_id"],
            ["members.id"],
            name=op.f("fk_alert_states_acknowledged_by_id_members"),
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_alert_states_store_id_stores")
        ),
        *([task_fk()] if _is_sqlite() else []),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_states")),
        sa.UniqueConstraint(
            "rule_id",
            "subject_key",
            "period",
            name=op.f("uq_alert_states_rule_id_subject_key_period"),
        ),
    )
    with op.batch_alter_table("alert_states", schema=None) as batch_op:
        batch_op.create_index("ix_alert_states_state", ["state"], unique=False)

    op.create_table(
        "days_off",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("requested_at", UTC_DATETIME, nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", UTC_DATETIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["members.id"], name=op.f("fk_days_off_decided_by_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_days_off_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_days_off")),
        sa.UniqueConstraint("member_id", "day", name=op.f("uq_days_off_member_id_day")),
    )
    op.create_table(
        "order_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("type_code", sa.String(length=64), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("requester_id", sa.Integer(), nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("store_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("deadline", UTC_DATETIME, nullable=True),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alert_states.id"], name=op.f("fk_order_requests_alert_id_alert_states")
        ),
        sa.ForeignKeyConstraint(
            ["assignee_id"], ["members.id"], name=op.f("fk_order_requests_assignee_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_order_requests_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["requester_id"], ["members.id"], name=op.f("fk_order_requests_requester_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_order_requests_store_id_stores")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_requests")),
    )
    with op.batch_alter_table("order_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_order_requests_assignee_status", ["assignee_id", "status"], unique=False
        )
        batch_op.create_index(
            "ix_order_requests_department_status", ["department_id", "status"], unique=False
        )
    if not _is_sqlite():
        op.create_foreign_key(
            op.f("fk_alert_states_task_id_order_requests"),
            "alert_states",
            "order_requests",
            ["task_id"],
            ["id"],
        )

    op.create_table(
        "plan_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("old_target", sa.Float(), nullable=True),
        sa.Column("new_target", sa.Float(), nullable=False),
        sa.Column("old_day_weights", sa.JSON(), nullable=True),
        sa.Column("new_day_weights", sa.JSON(), nullable=False),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", UTC_DATETIME, nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["changed_by_id"], ["members.id"], name=op.f("fk_plan_revisions_changed_by_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["plans.id"],
            name=op.f("fk_plan_revisions_plan_id_plans"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_revisions")),
    )
    op.create_table(
        "order_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("attachment", sa.JSON(), nullable=True),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["members.id"], name=op.f("fk_order_events_actor_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["order_requests.id"],
            name=op.f("fk_order_events_order_id_order_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_events")),
    )
    with op.batch_alter_table("order_events", schema=None) as batch_op:
        batch_op.create_index("ix_order_events_order", ["order_id"], unique=False)

    # KPI reads: sums per subject over a date range, answered from the index alone.
    op.create_index(
        "ix_daily_values_subject_date",
        "daily_values",
        ["subject_key", "business_date", "metric", "value"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_daily_values_subject_date", table_name="daily_values")
    # Break the alert_states <-> order_requests cycle before dropping either table.
    if _is_sqlite():
        op.execute("UPDATE alert_states SET task_id = NULL")
    else:
        op.drop_constraint(
            op.f("fk_alert_states_task_id_order_requests"), "alert_states", type_="foreignkey"
        )
    with op.batch_alter_table("order_events", schema=None) as batch_op:
        batch_op.drop_index("ix_order_events_order")

    op.drop_table("order_events")
    op.drop_table("plan_revisions")
    with op.batch_alter_table("order_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_order_requests_department_status")
        batch_op.drop_index("ix_order_requests_assignee_status")

    op.drop_table("order_requests")
    op.drop_table("days_off")
    with op.batch_alter_table("alert_states", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_states_state")

    op.drop_table("alert_states")

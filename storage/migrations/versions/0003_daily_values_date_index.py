"""daily values: a covering (date, metric, subject, value) index for totals across many stores

The (metric, date) index made "all stores" totals per day read every row from the table; with
the date first and the value included, those sums are answered from the index alone.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 18:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index(op.f("ix_daily_values_metric_date"), table_name="daily_values")
    op.create_index(
        op.f("ix_daily_values_date_metric"),
        "daily_values",
        ["business_date", "metric", "subject_key", "value"],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_daily_values_date_metric"), table_name="daily_values")
    op.create_index(
        op.f("ix_daily_values_metric_date"), "daily_values", ["metric", "business_date"]
    )

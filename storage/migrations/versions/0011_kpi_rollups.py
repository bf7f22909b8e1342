"""KPI rollups: monthly sums per subject and metric, daily sums per brand and platform

``monthly_rollups`` and ``daily_rollups`` let the views over hundreds of stores read a few
thousand summed rows instead of every daily value; they are filled here from the values
already stored and then kept in step by every write.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 05:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "monthly_rollups",
        sa.Column("subject_key", sa.String(length=64), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("metric", sa.String(length=64), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("subject_key", "month", "metric", name=op.f("pk_monthly_rollups")),
    )
    op.create_table(
        "daily_rollups",
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("metric", sa.String(length=64), nullable=False),
        sa.Column("brand_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("stores", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "business_date", "metric", "brand_id", "platform", name=op.f("pk_daily_rollups")
        ),
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    month = "to_char(business_date, 'YYYY-MM')" if postgres else "strftime('%Y-%m', business_date)"
    op.execute(
        "INSERT INTO monthly_rollups (subject_key, month, metric, total, days)"
        f" SELECT subject_key, {month}, metric, SUM(value), COUNT(*) FROM daily_values"
        f" GROUP BY subject_key, {month}, metric"
    )
    op.execute(
        "INSERT INTO daily_rollups (business_date, metric, brand_id, platform, total, stores)"
        " SELECT v.business_date, v.metric, s.brand_id, s.platform, SUM(v.value), COUNT(*)"
        " FROM daily_values v JOIN stores s ON v.subject_key = 'store:' || CAST(s.id AS VARCHAR)"
        " GROUP BY v.business_date, v.metric, s.brand_id, s.platform"
    )


def downgrade() -> None:
    op.drop_table("daily_rollups")
    op.drop_table("monthly_rollups")

"""campaigns, and the campaign a report's output is tagged to

``campaigns``: a code, a name, a date range, the stores and brands covered (codes), a budget,
targets per metric and owners; ``source`` says where it was declared (org file, plan file or
chat). ``reports.campaign_id``: the campaign a person-level report was tagged to, if any.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 04:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("store_codes", sa.JSON(), nullable=False),
        sa.Column("brand_codes", sa.JSON(), nullable=False),
        sa.Column("budget", sa.Float(), nullable=True),
        sa.Column("targets", sa.JSON(), nullable=False),
        sa.Column("owners", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["members.id"], name=op.f("fk_campaigns_created_by_id_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
        sa.UniqueConstraint("code", name=op.f("uq_campaigns_code")),
    )
    op.create_index("ix_campaigns_dates", "campaigns", ["end_date", "start_date"])
    # A plain column (no foreign key): SQLite can then add and drop it in place; rebuilding
    # ``reports`` would cascade-delete its values and revisions on the way.
    op.add_column("reports", sa.Column("campaign_id", sa.Integer(), nullable=True))
    op.create_index("ix_reports_campaign", "reports", ["campaign_id"])


def downgrade() -> None:
    op.drop_index("ix_reports_campaign", table_name="reports")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE reports DROP COLUMN campaign_id")  # in place, SQLite >= 3.35
    else:
        op.drop_column("reports", "campaign_id")
    op.drop_index("ix_campaigns_dates", table_name="campaigns")
    op.drop_table("campaigns")

"""personal monthly targets (the plan file's people sheet) and their revisions

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-20 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "person_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=64), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("day_weights", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_person_targets_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["members.id"], name=op.f("fk_person_targets_updated_by_id_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_targets")),
        sa.UniqueConstraint(
            "member_id", "metric", "month", name=op.f("uq_person_targets_member_id_metric_month")
        ),
    )
    op.create_table(
        "person_target_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("old_target", sa.Float(), nullable=True),
        sa.Column("new_target", sa.Float(), nullable=False),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["person_targets.id"],
            name=op.f("fk_person_target_revisions_target_id_person_targets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["changed_by_id"],
            ["members.id"],
            name=op.f("fk_person_target_revisions_changed_by_id_members"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_target_revisions")),
    )


def downgrade() -> None:
    op.drop_table("person_target_revisions")
    op.drop_table("person_targets")

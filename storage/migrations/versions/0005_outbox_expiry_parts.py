"""outbox: expiry, subject and parts sent

``expires_at``: a stale message (a reminder past its deadline and grace window, yesterday's
escalation) is marked expired instead of being sent hours late. ``subject``: a newer message
about the same thing to the same chat replaces an unsent one. ``parts_sent``: a text too long
for one message goes out as several calls; the count survives a restart.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("subject", sa.String(length=100), nullable=True))
        batch_op.add_column(
            sa.Column("parts_sent", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.create_index(batch_op.f("ix_outbox_expiry"), ["status", "expires_at"])
        batch_op.create_index(batch_op.f("ix_outbox_subject"), ["subject", "chat_id"])


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_subject"))
        batch_op.drop_index(batch_op.f("ix_outbox_expiry"))
        batch_op.drop_column("parts_sent")
        batch_op.drop_column("subject")
        batch_op.drop_column("expires_at")

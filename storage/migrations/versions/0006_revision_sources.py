"""value_revisions: where a value came from

``source`` widens to 64 characters: besides ``chat`` it now holds ``import:<format name>``
(``import:shopee_vn``, ``import:tiktok``, a declared format) and ``api:<token name>``.
``source_detail``: for a file import the file name and its SHA-256; empty otherwise.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-15 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("value_revisions", schema=None) as batch_op:
        batch_op.alter_column(
            "source",
            existing_type=sa.String(length=16),
            type_=sa.String(length=64),
            existing_nullable=False,
        )
        batch_op.add_column(sa.Column("source_detail", sa.String(length=300), nullable=True))


def downgrade() -> None:
    # The old column held only the kind of source; keep that part so it fits 16 characters.
    for kind in ("import", "api"):
        op.execute(
            sa.text(
                "UPDATE value_revisions SET source = :kind WHERE source LIKE :pattern"
            ).bindparams(kind=kind, pattern=f"{kind}:%")
        )
    with op.batch_alter_table("value_revisions", schema=None) as batch_op:
        batch_op.drop_column("source_detail")
        batch_op.alter_column(
            "source",
            existing_type=sa.String(length=64),
            type_=sa.String(length=16),
            existing_nullable=False,
        )

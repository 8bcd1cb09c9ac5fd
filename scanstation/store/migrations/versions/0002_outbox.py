"""Outbox: one upload job per signed file.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("idempotency_key", sa.String(64), nullable=False, unique=True),
        sa.Column("output_file_id", sa.String(32)),
        sa.Column("dossier_code", sa.String(64), nullable=False, index=True),
        sa.Column("component_id", sa.String(64), nullable=False),
        sa.Column("document_type", sa.String(64), nullable=False),
        sa.Column("file_name", sa.Text, nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("meta", sa.Text, nullable=False),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("hash_mismatches", sa.Integer, nullable=False),
        sa.Column("error_kind", sa.String(16)),
        sa.Column("last_error", sa.Text),
        sa.Column("next_attempt_at", sa.Float, nullable=False),
        sa.Column("lease_owner", sa.String(128)),
        sa.Column("lease_until", sa.Float),
        sa.Column("remote_id", sa.String(128)),
        sa.Column("remote_offset", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("confirmed_at", sa.Float),
        sa.Column("exported_at", sa.Float),
        sa.Column("purged_at", sa.Float),
        sa.Column("source", sa.String(16), nullable=False),
    )
    op.create_index("ix_outbox_due", "outbox", ["state", "next_attempt_at"])
    op.create_index("ix_outbox_created", "outbox", ["created_at", "id"])   # queue status lists in this order


def downgrade() -> None:
    op.drop_index("ix_outbox_created", "outbox")
    op.drop_index("ix_outbox_due", "outbox")
    op.drop_table("outbox")

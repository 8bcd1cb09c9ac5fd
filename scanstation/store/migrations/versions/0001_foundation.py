"""Foundation: dossiers, pages, output files, audit log.

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "dossier",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("receipt_code", sa.String(64), nullable=False, unique=True),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("profile_id", sa.String(32), nullable=False),
        sa.Column("clerk", sa.String(128), nullable=False),
        sa.Column("station", sa.String(64), nullable=False),
        sa.Column("workdir", sa.Text, nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False, index=True),
    )
    op.create_table(
        "page",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("dossier_id", sa.String(32), sa.ForeignKey("dossier.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("component_id", sa.String(32), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("sheet", sa.Integer, nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("variant", sa.String(16), nullable=False),
        sa.Column("file", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("kept", sa.Boolean, nullable=False),
        sa.Column("excluded_reason", sa.Text),
        sa.Column("captured_at", TS),
        sa.Column("data", sa.Text, nullable=False),
    )
    op.create_table(
        "output_file",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("dossier_id", sa.String(32), sa.ForeignKey("dossier.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("component_id", sa.String(32), nullable=False),
        sa.Column("file_name", sa.Text, nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("data", sa.Text, nullable=False),
    )
    op.create_table(
        "audit_event",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("dossier", sa.String(64)),
        sa.Column("page", sa.String(64)),
        sa.Column("file", sa.Text),
        sa.Column("details", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_audit_dossier", "audit_event", ["dossier"])


def downgrade() -> None:
    op.drop_index("ix_audit_dossier", "audit_event")
    for t in ("audit_event", "output_file", "page", "dossier"):
        op.drop_table(t)

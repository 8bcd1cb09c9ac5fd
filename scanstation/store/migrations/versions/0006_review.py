"""Sampling review (C9): one row per page drawn for review, with the checklist's answers.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "review",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("sample_id", sa.String(32), nullable=False, index=True),
        sa.Column("page_id", sa.String(32), nullable=False, unique=True),
        sa.Column("dossier_id", sa.String(32), nullable=False),
        sa.Column("receipt_code", sa.String(64), nullable=False),
        sa.Column("component_id", sa.String(32), nullable=False),
        sa.Column("clerk", sa.String(128), nullable=False),
        sa.Column("device", sa.String(255), nullable=False),
        sa.Column("file", sa.Text, nullable=False),
        sa.Column("captured_at", sa.DateTime(timezone=True)),
        sa.Column("period_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_to", sa.DateTime(timezone=True), nullable=False),
        sa.Column("legible", sa.Boolean),
        sa.Column("whole_page", sa.Boolean),
        sa.Column("orientation", sa.Boolean),
        sa.Column("colour", sa.Boolean),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("sampled_by", sa.String(128), nullable=False),
        sa.Column("sampled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewer", sa.String(128)),
        sa.Column("reviewed_at", sa.DateTime(timezone=True)),
    )


def downgrade() -> None:
    op.drop_table("review")

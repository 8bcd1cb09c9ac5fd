"""Audit chains per station, keyed: the station on every event, a MAC column, (station, seq) unique.

Events already in the table become station "" (the chain before this version, verified with its
unkeyed digest); each station starts its own keyed chain at seq 1. The table is rebuilt (the primary
key changes from ``seq`` to a surrogate ``id``), which SQLite and PostgreSQL both do the same way.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_COLS = "seq, at, actor, action, dossier, page, file, details, prev_hash, hash"


def upgrade() -> None:
    op.create_table(
        "audit_event_new",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("station", sa.String(64), nullable=False, server_default=""),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("dossier", sa.String(64)),
        sa.Column("page", sa.String(64)),
        sa.Column("file", sa.Text),
        sa.Column("details", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("mac", sa.String(64)),
        sa.UniqueConstraint("station", "seq", name="uq_audit_station_seq"),
    )
    op.execute(f"INSERT INTO audit_event_new (station, {_COLS}, mac) SELECT '', {_COLS}, NULL FROM audit_event "
               "ORDER BY seq")
    op.drop_index("ix_audit_dossier", "audit_event")
    op.drop_table("audit_event")
    op.rename_table("audit_event_new", "audit_event")
    op.create_index("ix_audit_dossier", "audit_event", ["dossier"])


def downgrade() -> None:
    # Only the legacy chain fits the old table (seq was unique over the whole database).
    op.create_table(
        "audit_event_old",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("dossier", sa.String(64)),
        sa.Column("page", sa.String(64)),
        sa.Column("file", sa.Text),
        sa.Column("details", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.execute(f"INSERT INTO audit_event_old ({_COLS}) SELECT {_COLS} FROM audit_event WHERE station = ''")
    op.drop_index("ix_audit_dossier", "audit_event")
    op.drop_table("audit_event")
    op.rename_table("audit_event_old", "audit_event")
    op.create_index("ix_audit_dossier", "audit_event", ["dossier"])

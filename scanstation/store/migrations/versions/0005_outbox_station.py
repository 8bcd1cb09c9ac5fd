"""Upload jobs belong to the station that holds the file (many counters on one PostgreSQL).

Revision ID: 0005
Revises: 0003 (re-pointed to 0004, the per-station audit chain, when both land)
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as b:
        b.add_column(sa.Column("station", sa.String(64), nullable=False, server_default=""))
    # Jobs queued before: the station of their dossier where the database knows it (signed at this counter).
    op.execute("UPDATE outbox SET station = (SELECT MIN(d.station) FROM dossier d WHERE d.receipt_code = "
               "outbox.dossier_code) WHERE EXISTS (SELECT 1 FROM dossier d WHERE d.receipt_code = outbox.dossier_code)")
    # A station's due jobs (the worker's claim) and its queue in order (queue status) on a shared database.
    op.create_index("ix_outbox_station_due", "outbox", ["station", "state", "next_attempt_at"])
    op.create_index("ix_outbox_station_created", "outbox", ["station", "created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_station_created", "outbox")
    op.drop_index("ix_outbox_station_due", "outbox")
    with op.batch_alter_table("outbox") as b:
        b.drop_column("station")

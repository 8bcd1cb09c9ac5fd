"""Upload jobs belong to the station that holds the file (many counters on one PostgreSQL); on PostgreSQL,
a tally of jobs per station and state kept by a trigger, so `queue status` need not count 100,000 rows.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
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
    if op.get_bind().dialect.name == "postgresql":
        _create_tally()


# The tally takes +1/-1 rows, never updates one: counters changing jobs at once never wait for each
# other on a shared row, nor deadlock. Outbox.counts() sums a station's rows and folds them into one
# per state when they grow many (scanstation.sync.outbox.TALLY_FOLD_AT).
_TALLY_FN = """
CREATE OR REPLACE FUNCTION outbox_tally_change() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        IF TG_OP = 'DELETE' OR OLD.state IS DISTINCT FROM NEW.state OR OLD.station IS DISTINCT FROM NEW.station THEN
            INSERT INTO outbox_tally (station, state, n) VALUES (OLD.station, OLD.state, -1);
        ELSE
            RETURN NULL;
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO outbox_tally (station, state, n) VALUES (NEW.station, NEW.state, 1);
    END IF;
    RETURN NULL;
END
$fn$
"""


def _create_tally() -> None:
    op.create_table(
        "outbox_tally",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("station", sa.String(64), nullable=False),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("n", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_outbox_tally_station", "outbox_tally", ["station", "state"])
    op.execute("INSERT INTO outbox_tally (station, state, n) SELECT station, state, count(*) FROM outbox "
               "GROUP BY station, state")
    op.execute(_TALLY_FN)
    op.execute("CREATE TRIGGER outbox_tally_trg AFTER INSERT OR DELETE OR UPDATE OF state, station ON outbox "
               "FOR EACH ROW EXECUTE FUNCTION outbox_tally_change()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS outbox_tally_trg ON outbox")
        op.execute("DROP FUNCTION IF EXISTS outbox_tally_change()")
        op.drop_table("outbox_tally")
    op.drop_index("ix_outbox_station_created", "outbox")
    op.drop_index("ix_outbox_station_due", "outbox")
    with op.batch_alter_table("outbox") as b:
        b.drop_column("station")

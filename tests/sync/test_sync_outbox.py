"""The outbox: enqueue in the caller's transaction, states, retry/cancel, status, migration."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from scanstation.errors import JobNotFound, JobStateError, ValidationError
from scanstation.model import Component, Dossier, Party, PartyKind
from scanstation.store.tables import OutboxRow
from scanstation.sync import JobState, Outbox, enqueue, idempotency_key, queue_files
from scanstation.sync.outbox import lease_holder_dead

SHA = "ab" * 32


def _dossier():
    return Dossier(receipt_code="000.00.00.H00-250101-0002", procedure_code="1.001", procedure_name="Test",
                   applicant=Party(PartyKind.CITIZEN, "Nguyễn Văn A"),
                   components=[Component("Giấy khai sinh", "KS01")])


def test_migration_creates_the_outbox(station):
    cols = {c["name"] for c in inspect(station.store.engine).get_columns("outbox")}
    assert {"idempotency_key", "sha256", "size", "state", "reason", "next_attempt_at"} <= cols


def test_enqueue_joins_the_callers_transaction(station):
    with pytest.raises(RuntimeError), station.store.session() as s:
        enqueue(s, dossier_code="D", path="/x.pdf", sha256=SHA, size=3)
        raise RuntimeError("signing record failed")
    assert Outbox(station.store).counts()["pending"] == 0
    with station.store.session() as s:
        jid, created = enqueue(s, dossier_code="D", path="/x.pdf", sha256=SHA, size=3)
    assert created
    with station.store.session() as s:
        again, created = enqueue(s, dossier_code="D", path="/x.pdf", sha256=SHA, size=3)
    assert again == jid and not created                    # same file, same key: one job
    job = Outbox(station.store).get(jid[:8])
    assert job.state == JobState.PENDING and job.sha256 == SHA and job.size == 3
    assert job.idempotency_key == idempotency_key("", "D", "", SHA)


def test_enqueue_validates(station):
    with station.store.session() as s, pytest.raises(ValidationError):
        enqueue(s, dossier_code="D", path="/x", sha256="nothex", size=1)


def test_queue_files_refuses_all_when_one_is_unsigned(station, make_signed, tmp_path):
    from scanstation.errors import UnsignedFileError

    good = make_signed("g.pdf")
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.7 not signed")

    def verifier(p):
        if p.name == "bad.pdf":
            raise UnsignedFileError("unsigned")

    with pytest.raises(UnsignedFileError):
        queue_files(station.store, [good, bad], dossier_code="D", verifier=verifier)
    assert Outbox(station.store).counts()["pending"] == 0


def test_retry_and_cancel_rules(station):
    ob = Outbox(station.store)
    with station.store.session() as s:
        jid, _ = enqueue(s, dossier_code="D", path="/x.pdf", sha256=SHA, size=3)
    with pytest.raises(JobStateError):
        ob.retry(jid)                                    # pending: nothing to retry
    assert ob.cancel(jid).state == JobState.CANCELLED
    assert ob.retry(jid).state == JobState.PENDING      # a cancelled job can be taken up again
    with station.store.session() as s:
        s.get(OutboxRow, jid).state = JobState.CONFIRMED.value
    with pytest.raises(JobStateError):
        ob.cancel(jid)
    with pytest.raises(JobNotFound):
        ob.get("ffffffff")


def test_status_has_counts_and_every_job(station):
    with station.store.session() as s:
        for i in range(3):
            enqueue(s, dossier_code=f"D{i}", path=f"/x{i}.pdf", sha256=f"{i:064x}", size=i)
    st = Outbox(station.store).status()
    assert st["counts"]["pending"] == 3 and st["total"] == 3
    j = st["jobs"][0]
    assert {"id", "file", "state", "attempts", "next_attempt", "last_error"} <= set(j)


def test_orphaned_upload_of_a_dead_process_is_recovered(station):
    import subprocess
    import sys

    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    import socket

    owner = f"{socket.gethostname()}:{p.pid}:dead"
    assert lease_holder_dead(owner)
    with station.store.session() as s:
        jid, _ = enqueue(s, dossier_code="D", path="/x.pdf", sha256=SHA, size=3)
        row = s.get(OutboxRow, jid)
        row.state, row.lease_owner, row.lease_until = JobState.UPLOADING.value, owner, 9e12
    assert Outbox(station.store).recover_orphans(now=1.0) == 1
    job = Outbox(station.store).get(jid)
    assert job.state == JobState.RETRY and "interrupted" in job.last_error

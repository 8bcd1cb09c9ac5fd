"""Digital identity and reuse against the provincial simulator (a real HTTP server): bad answers never link a
component wrongly; offline says "could not check" and the check can be repeated. Revocation of a file still
in the queue: its job is cancelled and can never be retried."""

from __future__ import annotations

import json
import socket

import pytest

from scanstation.errors import JobStateError, ValidationError, WrongState
from scanstation.sync.simulator import ProvincialSimulator

SECRET = "k"


@pytest.fixture
def sim(tmp_path):
    with ProvincialSimulator(tmp_path / "sim", secret=SECRET) as s:
        yield s


def _session(station, tmp_path, id_number):
    from scanstation.dossier_io import parse_dossier
    from scanstation.flow import new_dossier
    from scanstation.resources import resource

    data = json.loads(resource("demo", "dossier.json").read_text("utf-8"))
    data["applicant"]["id_number"] = id_number
    data["receipt_code"] = f"{data['receipt_code']}-{id_number[-4:]}"
    dossier, _ = parse_dossier(data)
    return new_dossier(station, dossier)


def _client(s, url, timeout=5.0):
    from scanstation.flow.revocation import lookup_client

    return lookup_client(s, endpoint=url, secret=SECRET, timeout_s=timeout)


def test_answer_about_another_identifier_is_not_used(station, tmp_path, sim):
    from scanstation.flow import reuse

    s = _session(station, tmp_path, "079099000002")      # the simulator answers about 079099000003
    ans = reuse.check_identity(s, _client(s, sim.url))
    assert ans.status == "bad_answer" and not ans.papers and "another identifier" in ans.message_en
    assert reuse.proposals(s) == []
    with pytest.raises(WrongState):
        reuse.reuse(s, "VBUQ", "KHO-079099000003-0001")


def test_answer_after_the_timeout_is_could_not_check_and_can_be_repeated(station, tmp_path, sim):
    from scanstation.flow import reuse

    s = _session(station, tmp_path, "079099000004")      # the simulator answers after 3 s
    ans = reuse.check_identity(s, _client(s, sim.url, timeout=1.0))
    assert ans.status == "unavailable" and "Could not check" in ans.message_en and not ans.papers
    with pytest.raises(WrongState):
        reuse.reuse(s, "VBUQ", "KHO-079099000004-0001")
    ans = reuse.check_identity(s, _client(s, sim.url, timeout=10.0))      # the clerk checks again
    assert ans.status == "checked" and [p.document_id for p in ans.papers] == ["KHO-079099000004-0001"]
    assert reuse.reuse(s, "VBUQ", "KHO-079099000004-0001").reused_document_id == "KHO-079099000004-0001"


def test_the_same_document_offered_twice_is_never_linked(station, tmp_path, sim):
    from scanstation.flow import reuse

    s = _session(station, tmp_path, "079099000005")
    ans = reuse.check_identity(s, _client(s, sim.url))
    assert ans.status == "checked" and ans.papers == []
    assert any("more than once" in p for p in ans.problems)
    with pytest.raises(ValidationError):
        reuse.reuse(s, "VBUQ", "KHO-079099000005-0001")


def test_offline_says_could_not_check_and_the_clerk_goes_on(station, tmp_path, sim):
    from scanstation.flow import reuse

    with socket.socket() as sock:                      # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    s = _session(station, tmp_path, "066190001234")
    ans = reuse.check_identity(s, _client(s, dead))
    assert ans.status == "unavailable" and "Could not check" in ans.message_en
    assert reuse.check_identity(s, None).status == "not_configured"    # no endpoint configured at all
    ans = reuse.check_identity(s, _client(s, sim.url))
    assert ans.status == "checked" and ans.has_account
    c = reuse.reuse(s, "VBUQ", "KHO-066190001234-0002")
    assert not c.digitised and c.reused_document_id == "KHO-066190001234-0002"
    with pytest.raises(ValidationError):               # one stored paper, one component
        reuse.reuse(s, "GCS", "KHO-066190001234-0002")
    from scanstation.flow import open_dossier

    again = open_dossier(station, s.dossier.id).dossier.component(c.id)        # persisted
    assert again.reused_document_id == "KHO-066190001234-0002" and not again.digitised


def test_revoking_a_queued_file_cancels_its_job_for_good(station, tmp_path, demo_token, sim):
    from scanstation.flow import open_dossier, revocation
    from scanstation.flow.demo import STAGES, DemoRun
    from scanstation.flow.upload import mark_confirmed, retry
    from scanstation.store.tables import OutputFileRow
    from scanstation.sync import JobState, Outbox, enqueue

    run = DemoRun(station)
    for name, fn in STAGES:
        if name == "queue":
            break
        fn(run)
    s = run.s
    o = s.dossier.outputs[0]
    assert o.state == "queued"
    rv = revocation.revoke(s, o.file_name, "Nhầm hồ sơ", client=revocation.provincial_client(
        s, endpoint=sim.url, secret=SECRET))
    assert rv["provincial_notified"] and not rv["provincial"]["known_file"]
    assert Outbox(station.store).get(o.upload_job).state == JobState.CANCELLED
    with pytest.raises(JobStateError):
        retry(station, o.upload_job)
    with station.store.session() as db, pytest.raises(JobStateError):
        enqueue(db, dossier_code=s.dossier.receipt_code, path=o.path, sha256=o.sha256, size=o.size,
                output_file_id=o.record_id, key="another-key")
    with station.store.session() as db:                # a confirmation that was in flight: it stays revoked
        mark_confirmed(db, station, o.upload_job)
    with station.store.session() as db:
        row = db.get(OutputFileRow, o.record_id)
        assert row.state == "revoked" and json.loads(row.data)["revoked_reason"] == "Nhầm hồ sơ"
    back = open_dossier(station, s.dossier.id).dossier
    kept = next(x for x in back.outputs if x.file_name == o.file_name)
    assert kept.state == "revoked" and kept.revoked_at and kept.path


def test_a_result_waits_for_the_dossier_to_be_signed_and_queued(sample_session):
    from scanstation.flow import results

    with pytest.raises(WrongState) as ei:
        results.add_result(sample_session, name="Giấy khai sinh", code="KQKS")
    assert "signed and queued" in ei.value.message_en
    assert results.result_component(sample_session) is None


def test_reuse_refuses_a_component_with_pages_and_a_result(station, tmp_path, sim):
    from scanstation.flow import reuse
    from scanstation.flow.capture import CaptureAction, scan

    s = _session(station, tmp_path, "066190001234")
    assert reuse.check_identity(s, _client(s, sim.url)).status == "checked"
    vbuq = s.component("VBUQ")
    scan(s, CaptureAction(component_id=vbuq.id, sheets=1, options=("seed=2",)))
    with pytest.raises(WrongState) as ei:
        reuse.reuse(s, "VBUQ", "KHO-066190001234-0002")
    assert "already has scanned pages" in ei.value.message_en
    assert vbuq.digitised and not vbuq.reused_document_id


def test_intake_asks_before_the_dossier_exists_and_keeps_only_an_answer_about_its_applicant(station, tmp_path, sim):
    # The window asks at intake (station-level client, no dossier yet), then keeps the answer with the dossier
    # it saves and records the reuse the clerk ticked; an answer about someone else is never kept or linked.
    from scanstation.flow import reuse
    from scanstation.flow.revocation import lookup_client

    client = lookup_client(station, endpoint=sim.url, secret=SECRET, timeout_s=5.0)
    ans = reuse.ask_identity(client, "cccd", "066190001234")
    client.close()
    assert ans.status == "checked" and ans.has_account
    assert [p.document_id for p in reuse.papers_for(ans, "VBUQ")] == ["KHO-066190001234-0002"]
    assert reuse.papers_for(ans, "GCS") == []                          # the stored GCS is past its validity

    other = _session(station, tmp_path, "079099000001")
    with pytest.raises(ValidationError, match="another identifier"):
        reuse.reuse_at_intake(other, ans, [(other.component("VBUQ").id, "KHO-066190001234-0002")])
    assert reuse.last_answer(other) is None and not other.component("VBUQ").reused_document_id

    s = _session(station, tmp_path, "066190001234")
    vbuq = s.component("VBUQ")
    done = reuse.reuse_at_intake(s, ans, [(vbuq.id, "KHO-066190001234-0002")])
    assert [c.id for c in done] == [vbuq.id] and vbuq.reused_document_id == "KHO-066190001234-0002"
    assert reuse.last_answer(s).check_id == ans.check_id and not vbuq.digitised
    with pytest.raises(ValidationError, match="is a VBUQ, not a GXNHN"):     # never linked to another type
        reuse.reuse_at_intake(s, ans, [(s.component("GXNHN").id, "KHO-066190001234-0002")])


def test_intake_offline_answer_is_kept_and_audited_without_the_number(station, tmp_path):
    from scanstation.flow import reuse
    from scanstation.flow.revocation import lookup_client

    port = socket.socket()
    port.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{port.getsockname()[1]}"
    port.close()                                                     # nothing listens there: offline
    ans = reuse.ask_identity(lookup_client(station, endpoint=url, secret=SECRET, timeout_s=2.0), "cccd",
                             "066190001234")
    assert ans.status == "unavailable" and "Không kiểm tra được" in ans.message_vi
    s = _session(station, tmp_path, "066190001234")
    reuse.reuse_at_intake(s, ans, [])
    assert reuse.last_answer(s).status == "unavailable" and reuse.proposals(s) == []
    ev = [e for e in station.audit.events(dossier=s.dossier.receipt_code) if e.action == "identity.checked"]
    assert len(ev) == 1 and ev[0].details["status"] == "unavailable"
    assert "066190001234" not in json.dumps(ev[0].details, ensure_ascii=False)

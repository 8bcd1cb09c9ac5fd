"""One signature check for every door (issue 14): a throw-away self-signed key named like a clerk is refused
by ``queue add``, by bundle import and just before each upload, now that the station trusts the shipped
Vietnamese anchors by default (it used to trust any signer when no CA was configured)."""

from __future__ import annotations

import json

import pytest

from scanstation.cli import main
from scanstation.errors import UnsignedFileError
from scanstation.flow.upload import build_worker, check_signed_for_queue, pre_upload_check, signature_gate
from scanstation.sync import Outbox, queue_files
from tests.sync.signed_pdf import expired_clerk_signer, self_signed_signer, signed_pdf
from tests.sync.test_sync_bundle_import import make_bundle

CLERK = "Trần Văn Đức"


@pytest.fixture
def forged(tmp_path):
    """A PDF signed by a self-signed certificate in a clerk's name: intact, valid, untrusted."""
    (tmp_path / "forged").mkdir()
    return signed_pdf(tmp_path / "forged" / "GKS.pdf", text="forged",
                      signer=self_signed_signer(tmp_path / "forged-key", CLERK))


def test_the_forged_signature_is_intact_but_reaches_no_anchor(forged):
    from scanstation.flow.trust import station_trust
    from scanstation.signing.verify import verify_file

    rep = verify_file(forged, station_trust())
    s = rep.signatures[0]
    assert s.signer == CLERK and s.intact and s.valid and not s.trusted and s.anchor is None and not rep.ok


def test_queue_add_refuses_a_self_signed_clerk(station, forged, make_signed, capsys):
    good = make_signed("good.pdf")
    rc = main(["queue", "add", "--dossier", "D1", str(good), str(forged)])
    err = capsys.readouterr().err
    assert rc == 2 and "does not chain to a trusted certification authority" in err and CLERK in err, err
    assert Outbox(station.store).jobs() == []                     # all or nothing
    assert main(["queue", "add", "--dossier", "D1", str(good)]) == 0     # the genuine file alone is fine


def test_bundle_import_refuses_a_self_signed_clerk(station, forged, make_signed, tmp_path, capsys):
    good = make_signed("good.pdf").read_bytes()
    bundle = make_bundle(tmp_path / "usb", {"files/good.pdf": good, "files/GKS.pdf": forged.read_bytes()})
    rc = main(["queue", "import", str(bundle), "--json"])
    rep = json.loads(capsys.readouterr().out)
    assert rc == 1 and rep["imported"] == 0 and [r["file"] for r in rep["refused"]] == ["GKS.pdf"]
    assert "does not chain to a trusted certification authority" in rep["refused"][0]["reason"]
    assert Outbox(station.store).jobs() == []


def test_just_before_upload_a_self_signed_clerk_is_held_and_nothing_is_sent(station, fast_settings, forged,
                                                                             make_signed, sim_factory):
    """A job that got in by another door (an older station that trusted any signer, a hand-edited queue):
    the worker the flow builds checks the file again and never sends it."""
    good = make_signed("good.pdf")
    for f in (forged, good):
        queue_files(station.store, [f], dossier_code="D-7", verifier=lambda p: None, station="S1")
    sim = sim_factory()
    rep = build_worker(station, endpoint=sim.url, secret="s3cret").run(until_empty=True, max_seconds=60)
    assert rep.confirmed == 1 and rep.attention == 1
    jobs = {j.file_name: j for j in Outbox(station.store).jobs()}
    held = jobs["GKS.pdf"]
    assert held.state.value == "needs-attention" and held.error_kind == "signature"
    assert "not uploaded" in held.last_error and "does not chain to a trusted" in held.last_error
    assert [f["file_name"] for f in sim.received()["files"]] == ["good.pdf"]


def test_the_one_check_is_what_every_door_uses(station, make_signed, forged):
    good = make_signed("good.pdf")
    for gate in (signature_gate(station.settings), lambda p: pre_upload_check(station.settings)(p, _sha(p), None)):
        gate(good)
        with pytest.raises(UnsignedFileError, match="does not chain"):
            gate(forged)
    # the bytes verified must be the bytes that were queued
    with pytest.raises(UnsignedFileError, match="is not the"):
        check_signed_for_queue(good, expected_sha256="0" * 64)
    # IT staff disable every anchor and add none: nothing is accepted, and the message says why
    from scanstation.flow.trust import station_trust

    fps = [a.fingerprint for a in station_trust(station.settings).anchors if a.role == "root"]
    station.settings.set("signing.trust_disabled", fps, layer="station")
    with pytest.raises(UnsignedFileError, match="no trusted certification authority"):
        check_signed_for_queue(good)


def test_before_upload_certificates_are_judged_as_of_queueing(station, tmp_path):
    """Files queued while the clerk's certificate was valid are not stranded when it expires during days
    offline; checked now, the same file is refused."""
    import datetime as dt

    (tmp_path / "exp").mkdir()
    f = signed_pdf(tmp_path / "exp" / "a.pdf", signer=expired_clerk_signer(tmp_path / "exp-key"))
    with pytest.raises(UnsignedFileError, match="Clerk Whose Certificate Expired' .*was not valid now"):
        check_signed_for_queue(f)
    queued = (dt.datetime.now(dt.UTC) - dt.timedelta(days=3)).timestamp()   # while it was still valid
    pre_upload_check(station.settings)(f, _sha(f), queued)
    with pytest.raises(UnsignedFileError):
        pre_upload_check(station.settings)(f, _sha(f), None)


def _sha(p) -> str:
    from scanstation.fsio import sha256_file

    return sha256_file(p)

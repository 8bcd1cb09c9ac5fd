"""USB import of forged and malformed bundles (issue 14): nothing reaches the queue unless every file
is a regular file of the bundle, intact, and passes the same signature check as `queue add`."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from scanstation.errors import BundleError
from scanstation.store.db import open_store
from scanstation.sync import Outbox, build_worker, idempotency_key, import_bundle, queue_files
from tests.sync.conftest import ROOT, cli_env
from tests.sync.signed_pdf import unsigned_pdf

NAME = "scanstation-bundle-S1-20250101T000000Z"


def verify(path: Path) -> None:
    from scanstation.flow.upload import check_signed_for_queue

    check_signed_for_queue(path)


def entry(rel: str, data: bytes, *, dossier: str = "D-9", component: str = "", key: str | None = None,
          station: str = "S1") -> dict[str, Any]:
    sha = hashlib.sha256(data).hexdigest()
    return {"job_id": "j-" + sha[:8], "idempotency_key": key or idempotency_key(station, dossier, component, sha),
            "dossier_code": dossier, "component_id": component, "document_type": "", "file_name": Path(rel).name,
            "file": rel, "sha256": sha, "size": len(data), "metadata": {}}


def make_bundle(root: Path, files: dict[str, bytes], entries: list[dict] | None = None, *,
                manifest: Any = None, text: str | None = None, raw: bytes | None = None,
                sidecar: str | bool | None = None, name: str = NAME) -> Path:
    """A bundle written by hand, with a manifest whose hashes match whatever the files are."""
    b = root / name
    for rel, data in files.items():
        (b / rel).parent.mkdir(parents=True, exist_ok=True)
        (b / rel).write_bytes(data)
    b.mkdir(parents=True, exist_ok=True)
    if manifest is None:
        manifest = {"format": "scanstation-outbox-bundle", "version": 1, "station": "S1",
                    "created_at": "2025-01-01T00:00:00+00:00",
                    "jobs": entries if entries is not None else [entry(r, d) for r, d in files.items()]}
    text = text if text is not None else json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True)
    raw = raw if raw is not None else text.encode("utf-8")
    (b / "manifest.json").write_bytes(raw)
    if sidecar is None:
        sidecar = hashlib.sha256(raw).hexdigest() + "  manifest.json\n"
    if sidecar is not False:
        (b / "manifest.json.sha256").write_text(sidecar)
    return b


@pytest.fixture
def other(tmp_path):
    """The connected machine's own database."""
    store = open_store(f"sqlite:///{tmp_path / 'other.db'}")
    yield store
    store.dispose()


def _nothing_imported(store, dest: Path) -> None:
    assert Outbox(store).jobs() == []
    assert not dest.exists() or not [p for p in dest.rglob("*") if p.is_file()]


# --- forged files -----------------------------------------------------------------------------------------
def test_an_executable_named_pdf_and_an_unsigned_pdf_are_refused_with_the_whole_bundle(
        make_signed, other, tmp_path):
    good = make_signed("good.pdf").read_bytes()
    dest = tmp_path / "imp"
    for bad, why in ((b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff", "not a readable PDF"),
                     (unsigned_pdf(), "no digital signature")):
        bundle = make_bundle(tmp_path / f"usb-{len(bad)}", {"files/good.pdf": good, "files/a.pdf": bad})
        rep = import_bundle(other, bundle, verifier=verify, dest_root=dest)
        assert rep["imported"] == 0 and [r["file"] for r in rep["refused"]] == ["a.pdf"]
        assert why in rep["refused"][0]["reason"]
        _nothing_imported(other, dest)          # all or nothing: the genuine file was not queued either


def test_the_verifier_sees_the_station_copy_before_anything_is_queued(make_signed, other, tmp_path):
    files = {f"files/{n}.pdf": make_signed(f"{n}.pdf").read_bytes() for n in ("a", "b")}
    bundle = make_bundle(tmp_path / "usb", files)
    seen = []

    def spy(path: Path) -> None:
        assert Outbox(other).jobs() == []                    # checked before anything is queued
        assert tmp_path / "imp" in path.parents              # the copy, not the stick (which can change)
        seen.append(path.read_bytes())

    assert import_bundle(other, bundle, verifier=spy, dest_root=tmp_path / "imp")["imported"] == 2
    assert sorted(seen) == sorted(files.values())


def test_a_manifest_key_is_never_used_a_forged_one_cannot_block_the_genuine_upload(
        station, make_signed, other, sim_factory, tmp_path):
    genuine, forged = make_signed("genuine.pdf"), make_signed("forged.pdf")
    queue_files(station.store, [genuine], dossier_code="D-9", verifier=verify, station="S1")
    stolen = Outbox(station.store).jobs()[0].idempotency_key
    bundle = make_bundle(tmp_path / "usb", {"files/forged.pdf": forged.read_bytes()},
                         [entry("files/forged.pdf", forged.read_bytes(), key=stolen)])
    rep = import_bundle(other, bundle, verifier=verify, dest_root=tmp_path / "imp")
    want = idempotency_key("S1", "D-9", "", hashlib.sha256(forged.read_bytes()).hexdigest())
    assert rep["imported"] == 1
    assert rep["key_mismatches"] == [{"bundle": NAME, "file": "forged.pdf", "manifest_key": stolen, "key": want}]
    assert [j.idempotency_key for j in Outbox(other).jobs()] == [want]

    sim = sim_factory()
    for store in (other, station.store):
        build_worker(station.settings, store, endpoint=sim.url, secret="s3cret").run(until_empty=True,
                                                                                    max_seconds=30)
    assert Outbox(station.store).counts()["confirmed"] == 1 and Outbox(other).counts()["confirmed"] == 1
    assert sorted(f["file_name"] for f in sim.received()["files"]) == ["forged.pdf", "genuine.pdf"]


# --- the manifest ---------------------------------------------------------------------------------------
def test_a_bundle_without_the_manifest_checksum_is_refused(make_signed, other, tmp_path):
    bundle = make_bundle(tmp_path / "usb", {"files/a.pdf": make_signed("a.pdf").read_bytes()}, sidecar=False)
    with pytest.raises(BundleError) as e:
        import_bundle(other, bundle, verifier=verify, dest_root=tmp_path / "imp")
    assert e.value.field == "manifest.json.sha256" and "manifest.json.sha256" in e.value.message_en
    assert "manifest.json.sha256" in e.value.message_vi
    _nothing_imported(other, tmp_path / "imp")


def _manifest(**over: Any) -> dict[str, Any]:
    m = {"format": "scanstation-outbox-bundle", "version": 1, "station": "S1", "jobs": []}
    m.update(over)
    return m


def _malformed(data: bytes) -> list[tuple[str, dict[str, Any]]]:
    e = entry("files/a.pdf", data)
    missing = {k: v for k, v in e.items() if k != "size"}
    return [
        ("manifest.json.sha256", {"sidecar": ""}),
        ("manifest.json.sha256", {"sidecar": "not-a-hash\n"}),
        ("manifest.json", {"text": "{\"jobs\": ["}),
        ("manifest.json", {"raw": b"\xff\xfe{}"}),
        ("(top level)", {"manifest": ["a list"]}),
        ("version", {"manifest": _manifest(version="1", jobs=[e])}),
        ("version", {"manifest": _manifest(version=2, jobs=[e])}),
        ("version", {"manifest": _manifest(version=True, jobs=[e])}),
        ("jobs", {"manifest": _manifest(jobs={"0": e})}),
        ("jobs", {"manifest": {k: v for k, v in _manifest(jobs=[e]).items() if k != "jobs"}}),
        ("jobs[1]", {"manifest": _manifest(jobs=[e, "files/a.pdf"])}),
        ("jobs[0].size", {"manifest": _manifest(jobs=[missing])}),
        ("jobs[0].size", {"manifest": _manifest(jobs=[{**e, "size": "13"}])}),
        ("jobs[0].sha256", {"manifest": _manifest(jobs=[{**e, "sha256": "00"}])}),
        ("jobs[0].dossier_code", {"manifest": _manifest(jobs=[{**e, "dossier_code": 7}])}),
        ("jobs[0].metadata", {"manifest": _manifest(jobs=[{**e, "metadata": []}])}),
        ("jobs[0].file", {"manifest": _manifest(jobs=[{**e, "file": "../a.pdf"}])}),
        ("jobs[0].file", {"manifest": _manifest(jobs=[{**e, "file": "/etc/passwd"}])}),
    ]


@pytest.mark.parametrize("case", range(18))
def test_a_malformed_manifest_is_a_bundle_error_naming_the_field(case, make_signed, other, tmp_path):
    data = make_signed("a.pdf").read_bytes()
    field, how = _malformed(data)[case]
    bundle = make_bundle(tmp_path / "usb", {"files/a.pdf": data}, **how)
    with pytest.raises(BundleError) as e:
        import_bundle(other, bundle, verifier=verify, dest_root=tmp_path / "imp")
    assert e.value.field == field and field in e.value.message_en and field in e.value.message_vi
    _nothing_imported(other, tmp_path / "imp")


def test_malformed_bundles_from_the_cli_exit_2_without_a_traceback(make_signed, tmp_path):
    data = make_signed("a.pdf").read_bytes()
    for i, (field, how) in enumerate(_malformed(data)[:12:2]):
        bundle = make_bundle(tmp_path / f"usb{i}", {"files/a.pdf": data}, **how)
        p = _cli("queue", "import", str(bundle))
        assert p.returncode == 2 and "Traceback" not in p.stderr and field in p.stderr, (field, p.stderr)


# --- files ----------------------------------------------------------------------------------------------
def test_two_entries_with_one_base_name_keep_both_files(make_signed, other, tmp_path):
    a, b = make_signed("x.pdf").read_bytes(), make_signed("y.pdf").read_bytes()
    bundle = make_bundle(tmp_path / "usb", {"files/1/a.pdf": a, "files/2/a.pdf": b})
    assert import_bundle(other, bundle, verifier=verify, dest_root=tmp_path / "imp")["imported"] == 2
    jobs = Outbox(other).jobs()
    assert len({j.path for j in jobs}) == 2
    assert all(hashlib.sha256(Path(j.path).read_bytes()).hexdigest() == j.sha256 for j in jobs)
    # Importing it again queues nothing new and leaves the queued copies untouched.
    again = import_bundle(other, bundle, verifier=verify, dest_root=tmp_path / "imp")
    assert again["already_queued"] == 2 and len(list((tmp_path / "imp").rglob("*.pdf"))) == 2


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX FIFO")
def test_a_fifo_in_the_bundle_is_refused_without_hanging(make_signed, tmp_path):
    good = make_signed("good.pdf").read_bytes()
    bundle = make_bundle(tmp_path / "usb", {"files/good.pdf": good},
                         [entry("files/good.pdf", good), entry("files/pipe.pdf", b"")])
    os.mkfifo(bundle / "files" / "pipe.pdf")
    p = _cli("queue", "import", str(bundle), "--json", timeout=60)
    rep = json.loads(p.stdout)
    assert p.returncode == 1 and rep["imported"] == 0
    assert rep["refused"][0]["file"] == "pipe.pdf" and "not a regular file" in rep["refused"][0]["reason"]
    assert json.loads(_cli("queue", "status", "--json").stdout)["total"] == 0


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="symbolic links")
def test_links_out_of_the_bundle_are_refused(make_signed, other, tmp_path):
    good, outside = make_signed("good.pdf").read_bytes(), make_signed("outside.pdf")
    for i, how in enumerate(("file", "folder", "manifest")):
        bundle = make_bundle(tmp_path / f"usb{i}", {"files/good.pdf": good},
                             [entry("files/good.pdf", good), entry("files/sub/o.pdf", outside.read_bytes())])
        if how == "file":
            (bundle / "files" / "sub").mkdir()
            (bundle / "files" / "sub" / "o.pdf").symlink_to(outside)
        elif how == "folder":
            (bundle / "files" / "sub").symlink_to(outside.parent)
            (outside.parent / "o.pdf").write_bytes(outside.read_bytes())
        else:
            real = tmp_path / f"m{i}.json"
            (bundle / "manifest.json").rename(real)
            (bundle / "manifest.json").symlink_to(real)
            with pytest.raises(BundleError) as e:
                import_bundle(other, bundle, verifier=verify, dest_root=tmp_path / "imp")
            assert e.value.field == "manifest.json" and "not a regular file" in e.value.message_en
            continue
        rep = import_bundle(other, bundle, verifier=verify, dest_root=tmp_path / "imp")
        assert rep["imported"] == 0 and [r["file"] for r in rep["refused"]] == ["o.pdf"], rep
        _nothing_imported(other, tmp_path / "imp")


def test_a_file_over_the_size_limit_is_refused(make_signed, other, tmp_path):
    data = make_signed("big.pdf", padding=50_000).read_bytes()
    bundle = make_bundle(tmp_path / "usb", {"files/big.pdf": data})
    rep = import_bundle(other, bundle, verifier=verify, dest_root=tmp_path / "imp", max_file_bytes=10_000)
    assert rep["imported"] == 0 and "limit" in rep["refused"][0]["reason"]
    _nothing_imported(other, tmp_path / "imp")


def test_a_bad_bundle_in_a_folder_of_bundles_refuses_them_all(make_signed, other, tmp_path):
    good = make_signed("good.pdf").read_bytes()
    make_bundle(tmp_path / "usb", {"files/good.pdf": good}, name=NAME)
    make_bundle(tmp_path / "usb", {"files/u.pdf": unsigned_pdf()}, name=NAME.replace("S1", "S2"))
    rep = import_bundle(other, tmp_path / "usb", verifier=verify, dest_root=tmp_path / "imp")
    assert rep["imported"] == 0 and len(rep["bundles"]) == 2 and [r["file"] for r in rep["refused"]] == ["u.pdf"]
    _nothing_imported(other, tmp_path / "imp")


def test_the_cli_refuses_a_forged_bundle_with_the_queue_add_check(make_signed, tmp_path):
    good = make_signed("good.pdf").read_bytes()
    bundle = make_bundle(tmp_path / "usb", {"files/good.pdf": good, "files/a.pdf": b"MZ" + bytes(11)})
    p = _cli("queue", "import", str(bundle))
    assert p.returncode == 1 and "refused a.pdf" in p.stdout and "nothing imported" in p.stdout, p.stdout
    assert json.loads(_cli("queue", "status", "--json").stdout)["total"] == 0
    (bundle / "files" / "a.pdf").unlink()
    bundle = make_bundle(tmp_path / "usb2", {"files/good.pdf": good})
    assert json.loads(_cli("queue", "import", str(bundle), "--json").stdout)["imported"] == 1


def _cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scanstation", *args], cwd=ROOT, env=cli_env(),
                          capture_output=True, text=True, timeout=timeout)

"""Offline hand-over: export bundle (atomic, disk-full safe) and import with the same idempotency keys.

The forged and malformed bundles (issue 14) are in test_sync_bundle_import.py."""

from __future__ import annotations

import contextlib
import json
import subprocess
from pathlib import Path

import pytest

from scanstation.errors import BundleError, DiskSpaceError
from scanstation.store.db import open_store
from scanstation.sync import (
    JobState,
    Outbox,
    audit_hook,
    build_worker,
    export_bundle,
    import_bundle,
    queue_files,
)


def _verify(path):
    # the check `queue add` and `queue import` use
    from scanstation.flow.upload import check_signed_for_queue

    check_signed_for_queue(path)


def _queue(station, files):
    return queue_files(station.store, files, dossier_code="D-9", verifier=lambda p: None, station="S1",
                       audit=audit_hook(station.audit, "t"))


def test_export_then_import_elsewhere_uploads_once(station, fast_settings, make_signed, sim_factory, tmp_path):
    files = [make_signed(f"e{i}.pdf", padding=10_000) for i in range(3)]
    _queue(station, files)
    rep = export_bundle(station.store, tmp_path / "usb", station="S1")
    bundle = Path(rep["bundle"])
    assert rep["exported"] == 3 and bundle.is_dir() and not list((tmp_path / "usb").glob(".*partial"))
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert {e["sha256"] for e in manifest["jobs"]} == {j.sha256 for j in Outbox(station.store).jobs()}

    # The connected machine: its own database, same keys.
    other = open_store(f"sqlite:///{tmp_path / 'other.db'}")
    got = import_bundle(other, bundle, verifier=_verify, dest_root=tmp_path / "other-imports")
    assert got["imported"] == 3 and not got["refused"]
    assert import_bundle(other, tmp_path / "usb", verifier=_verify,
                         dest_root=tmp_path / "other-imports")["already_queued"] == 3
    assert len(list((tmp_path / "other-imports").rglob("*.pdf"))) == 3    # the second import left no copies
    keys = sorted(j.idempotency_key for j in Outbox(other).jobs())
    assert keys == sorted(j.idempotency_key for j in Outbox(station.store).jobs())

    sim = sim_factory()
    build_worker(station.settings, other, endpoint=sim.url, secret="s3cret").run(until_empty=True, max_seconds=30)
    # The link comes back at the office too: the station uploads the same files — still one copy each.
    build_worker(station.settings, station.store, endpoint=sim.url, secret="s3cret").run(until_empty=True,
                                                                                        max_seconds=30)
    assert len(sim.received()["files"]) == 3
    assert all(f["submissions"] == 2 for f in sim.received()["files"])
    assert Outbox(other).counts()["confirmed"] == 3 and Outbox(station.store).counts()["confirmed"] == 3
    other.dispose()


def test_import_refuses_a_damaged_file_and_a_tampered_manifest(station, make_signed, tmp_path):
    files = [make_signed(f"e{i}.pdf") for i in range(2)]
    _queue(station, files)
    bundle = Path(export_bundle(station.store, tmp_path / "usb")["bundle"])
    victim = sorted((bundle / "files").iterdir())[0]
    data = bytearray(victim.read_bytes())
    data[100] ^= 1
    victim.write_bytes(bytes(data))
    other = open_store(f"sqlite:///{tmp_path / 'other.db'}")
    rep = import_bundle(other, bundle, verifier=_verify, dest_root=tmp_path / "imp")
    # One damaged file refuses the whole bundle: nothing queued, no copy left behind.
    assert rep["imported"] == 0 and len(rep["refused"]) == 1 and "damaged" in rep["refused"][0]["reason"]
    assert Outbox(other).jobs() == [] and not list((tmp_path / "imp").rglob("*.pdf"))
    (bundle / "manifest.json").write_text((bundle / "manifest.json").read_text().replace("D-9", "D-X"))
    with pytest.raises(BundleError):
        import_bundle(other, bundle, verifier=_verify, dest_root=tmp_path / "imp")
    other.dispose()


def test_export_skips_a_file_changed_after_signing(station, make_signed, tmp_path):
    a, b = make_signed("a.pdf"), make_signed("b.pdf")
    _queue(station, [a, b])
    b.write_bytes(b.read_bytes() + b"tampered")
    rep = export_bundle(station.store, tmp_path / "usb")
    assert rep["exported"] == 1 and rep["skipped"][0]["file"] == "b.pdf"
    assert "changed on disk" in rep["skipped"][0]["reason"]


@contextlib.contextmanager
def _small_disk(path: Path, size_kb: int):
    """A real small filesystem (tmpfs) when we may mount one; else the write fails with ENOSPC."""
    path.mkdir(parents=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(path)],
                             capture_output=True).returncode == 0
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", str(path)], check=False)


def test_disk_full_while_writing_the_bundle(station, make_signed, tmp_path, monkeypatch):
    files = [make_signed(f"big{i}.pdf", padding=150_000) for i in range(4)]   # ~600 kB in all
    _queue(station, files)
    with _small_disk(tmp_path / "stick", 400) as mounted:
        if not mounted:   # no permission to mount: make the 3rd file copy fail like a full disk does
            import errno

            import scanstation.sync.bundle as bundle_mod

            real, calls = bundle_mod.atomic_copy, []

            def full(src, dst):
                calls.append(src)
                if len(calls) == 3:
                    raise OSError(errno.ENOSPC, "No space left on device")
                return real(src, dst)

            monkeypatch.setattr(bundle_mod, "atomic_copy", full)
        # Skip the up-front free-space estimate (tested below) so that the copy itself hits the wall,
        # as when something else fills the stick during the export.
        import scanstation.sync.bundle as bundle_mod

        monkeypatch.setattr(bundle_mod, "require_free_space", lambda *a, **k: None)
        with pytest.raises(DiskSpaceError) as e:
            export_bundle(station.store, tmp_path / "stick")
        assert "nothing was exported" in e.value.message_en
        assert list((tmp_path / "stick").iterdir()) == []        # no half bundle left behind
    jobs = Outbox(station.store).jobs()
    assert all(j.state == JobState.PENDING and j.exported_at is None for j in jobs)
    assert all(Path(j.path).exists() for j in jobs)


def test_not_enough_space_is_refused_before_writing(station, make_signed, tmp_path, monkeypatch):
    _queue(station, [make_signed("a.pdf")])
    import scanstation.fsio as fsio

    monkeypatch.setattr(fsio, "free_mb", lambda p: 0.1)
    with pytest.raises(DiskSpaceError):
        export_bundle(station.store, tmp_path / "usb")
    assert not any((tmp_path / "usb").iterdir())

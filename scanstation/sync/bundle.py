"""Offline hand-over: export waiting jobs to a bundle (USB stick), import it on a connected machine.

A bundle is one folder ``scanstation-bundle-<station>-<time>/`` holding ``files/`` and
``manifest.json`` (format version, station, every job with its idempotency key, SHA-256, size and
metadata). It is written under a hidden temporary name and renamed only when every file was copied
and re-read with the right hash, so a full or pulled stick never leaves a bundle that looks whole.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from scanstation import paths
from scanstation.errors import BundleError, DiskSpaceError, StorageError
from scanstation.fsio import atomic_copy, atomic_write_text, fsync_dir, require_free_space, sha256_file
from scanstation.progress import Progress
from scanstation.store.db import Store
from scanstation.store.tables import OutboxRow
from scanstation.sync.outbox import Job, JobState, enqueue
from scanstation.sync.worker import local_file_problem

FORMAT = "scanstation-outbox-bundle"
VERSION = 1
MANIFEST = "manifest.json"


def export_bundle(store: Store, to_dir: Path, *, station: str = "", progress: Progress | None = None,
                  now: float | None = None) -> dict[str, Any]:
    """Copy every job still waiting to upload into a new bundle under ``to_dir``; returns a report.

    Jobs stay in this station's queue: if the link comes back first, the same idempotency key
    makes the server keep one copy whichever machine sends it."""
    progress = progress or Progress()
    now = time.time() if now is None else now
    to_dir = Path(to_dir)
    try:
        to_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise BundleError(f"Cannot create the export folder {to_dir}: {e.strerror}",
                          f"Không tạo được thư mục xuất {to_dir}: {e.strerror}", field="to") from e
    with store.session() as s:
        rows = list(s.scalars(select(OutboxRow).where(OutboxRow.state.in_(
            [JobState.PENDING.value, JobState.RETRY.value, JobState.UPLOADING.value])).order_by(OutboxRow.created_at)))
    jobs = [Job.from_row(r) for r in rows]
    skipped = []
    ok_jobs = []
    for j in jobs:
        problem = local_file_problem(j)
        (skipped.append({"id": j.id, "file": j.file_name, "reason": problem}) if problem else ok_jobs.append(j))
    need_mb = (sum(j.size for j in ok_jobs) + 1024 * 1024) / (1024 * 1024)
    require_free_space(to_dir, need_mb)

    stamp = datetime.fromtimestamp(now, UTC).strftime("%Y%m%dT%H%M%SZ")
    name = f"scanstation-bundle-{_safe(station) or 'station'}-{stamp}"
    final = to_dir / name
    tmp = to_dir / f".{name}.partial"
    if final.exists():
        raise BundleError(f"{final} already exists", f"Đã có {final}", field="to")
    shutil.rmtree(tmp, ignore_errors=True)
    entries = []
    try:
        (tmp / "files").mkdir(parents=True)
        for i, j in enumerate(ok_jobs):
            progress.check("export")
            rel = f"files/{j.id}-{_safe(j.file_name) or 'file.pdf'}"
            digest = atomic_copy(Path(j.path), tmp / rel)
            if digest != j.sha256 or sha256_file(tmp / rel) != j.sha256:
                raise BundleError(f"{j.path} changed while it was being exported", f"Tệp {j.path} thay đổi khi xuất")
            entries.append({"job_id": j.id, "idempotency_key": j.idempotency_key, "dossier_code": j.dossier_code,
                            "component_id": j.component_id, "document_type": j.document_type,
                            "file_name": j.file_name, "file": rel, "sha256": j.sha256, "size": j.size,
                            "metadata": j.metadata})
            progress.report(i + 1, len(ok_jobs), j.file_name)
        manifest = {"format": FORMAT, "version": VERSION, "station": station,
                    "created_at": datetime.fromtimestamp(now, UTC).isoformat(), "jobs": entries}
        text = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True)
        atomic_write_text(tmp / MANIFEST, text)
        atomic_write_text(tmp / (MANIFEST + ".sha256"), hashlib.sha256(text.encode()).hexdigest() + "  manifest.json\n")
        fsync_dir(tmp / "files")
        os.replace(tmp, final)
        fsync_dir(to_dir)
    except DiskSpaceError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise DiskSpaceError(f"Disk full while writing the bundle {final}; nothing was exported (the partial "
                             "copy was removed, the queue is unchanged)",
                             f"Đĩa đầy khi ghi gói {final}; chưa xuất được gì, hàng đợi giữ nguyên") from e
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise _disk_error(final, e) from e
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    with store.session() as s:
        s.execute(update(OutboxRow).where(OutboxRow.id.in_([j.id for j in ok_jobs])).values(exported_at=now))
    return {"bundle": str(final), "exported": len(entries), "bytes": sum(e["size"] for e in entries),
            "skipped": skipped}


def import_bundle(store: Store, bundle: Path, *, station: str = "", progress: Progress | None = None,
                  dest_root: Path | None = None, audit=None, now: float | None = None) -> dict[str, Any]:
    """Check a bundle, copy its files into this station's storage and queue them with their original
    idempotency keys. A damaged file is refused (reported), the others are imported."""
    progress = progress or Progress()
    now = time.time() if now is None else now
    bundle = Path(bundle)
    if not (bundle / MANIFEST).exists():
        found = sorted(p for p in bundle.glob("scanstation-bundle-*") if (p / MANIFEST).exists()) \
            if bundle.is_dir() else []
        if not found:
            raise BundleError(f"{bundle} is not an export bundle (no {MANIFEST})",
                              f"{bundle} không phải gói xuất của trạm (thiếu {MANIFEST})", field="dir")
        reports = [import_bundle(store, b, station=station, progress=progress, dest_root=dest_root, audit=audit,
                                 now=now) for b in found]
        return {"bundles": [r["bundle"] for r in reports],
                "imported": sum(r["imported"] for r in reports),
                "already_queued": sum(r["already_queued"] for r in reports),
                "refused": [x for r in reports for x in r["refused"]]}
    text = (bundle / MANIFEST).read_text("utf-8")
    side = bundle / (MANIFEST + ".sha256")
    if side.exists() and side.read_text().split()[0] != hashlib.sha256(text.encode()).hexdigest():
        raise BundleError(f"{bundle / MANIFEST} was altered after export (its hash differs)",
                          "Tệp kê khai của gói đã bị sửa sau khi xuất", field="dir")
    try:
        manifest = json.loads(text)
    except json.JSONDecodeError as e:
        raise BundleError(f"{bundle / MANIFEST} is not valid JSON: {e}", "Tệp kê khai của gói bị hỏng") from e
    if manifest.get("format") != FORMAT or manifest.get("version", 0) > VERSION:
        raise BundleError(f"{bundle} has an unknown format or a newer version ({manifest.get('version')})",
                          "Gói xuất có định dạng lạ hoặc phiên bản mới hơn", field="dir")
    dest = (dest_root or paths.home() / "imports") / bundle.name
    refused, imported, already = [], 0, 0
    entries = manifest.get("jobs", [])
    for i, e in enumerate(entries):
        progress.check("import")
        src = (bundle / e["file"]).resolve()
        if not src.is_relative_to(bundle.resolve()):
            refused.append({"file": e.get("file_name"), "reason": "path leaves the bundle"})
            continue
        if not src.exists():
            refused.append({"file": e["file_name"], "reason": "missing from the bundle"})
            continue
        target = dest / Path(e["file"]).name
        digest = atomic_copy(src, target)
        if digest != e["sha256"] or target.stat().st_size != e["size"]:
            with contextlib.suppress(OSError):
                target.unlink()
            refused.append({"file": e["file_name"], "reason": f"damaged: SHA-256 {digest[:12]}… differs from the "
                            f"manifest {e['sha256'][:12]}…"})
            continue
        with store.session() as s:
            job_id, created = enqueue(s, dossier_code=e["dossier_code"], path=target, sha256=e["sha256"],
                                      size=e["size"], component_id=e.get("component_id", ""),
                                      document_type=e.get("document_type", ""), file_name=e["file_name"],
                                      metadata=e.get("metadata") or {}, key=e["idempotency_key"],
                                      source="import", now=now)
            if created and audit:
                audit(s, "sync.imported", Job.from_row(s.get(OutboxRow, job_id)),
                      {"job": job_id, "bundle": bundle.name, "sha256": e["sha256"],
                       "idempotency_key": e["idempotency_key"], "from_station": manifest.get("station")})
        imported += created
        already += not created
        progress.report(i + 1, len(entries), e["file_name"])
    return {"bundle": str(bundle), "imported": imported, "already_queued": already, "refused": refused}


def _safe(name: str) -> str:
    keep = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    return keep.strip("._")[:120]


def _disk_error(path: Path, e: OSError) -> StorageError:
    import errno

    if e.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskSpaceError(f"Disk full while writing the bundle {path}; nothing was exported",
                              f"Đĩa đầy khi ghi gói {path}; chưa xuất được gì")
    return BundleError(f"Cannot write the bundle {path}: {e.strerror or e}", f"Không ghi được gói {path}")

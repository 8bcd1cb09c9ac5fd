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
import stat
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from scanstation import paths
from scanstation.errors import BundleError, DiskSpaceError, ScanStationError, StorageError
from scanstation.fsio import atomic_copy, atomic_write_text, fsync_dir, require_free_space, sha256_file
from scanstation.progress import Progress
from scanstation.store.db import Store
from scanstation.store.tables import OutboxRow
from scanstation.sync.outbox import Job, JobState, Outbox, Verifier, enqueue, idempotency_key
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
            [JobState.PENDING.value, JobState.RETRY.value, JobState.UPLOADING.value]),
            *Outbox(store, station).mine_clauses()).order_by(OutboxRow.created_at)))   # shared database: our files only
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


MAX_MANIFEST_BYTES = 16 * 1024 * 1024
MAX_FILE_BYTES = 1024 * 1024 * 1024      # one signed file; a real dossier file is a few MB
_HEX = frozenset("0123456789abcdef")
_REQUIRED: dict[str, type] = {"dossier_code": str, "file_name": str, "file": str, "sha256": str, "size": int}
_OPTIONAL: dict[str, type] = {"job_id": str, "idempotency_key": str, "component_id": str, "document_type": str,
                              "metadata": dict}


@dataclass
class _Staged:
    """One manifest entry copied into this station's storage, hashed and verified there."""

    bundle: str
    entry: dict[str, Any]
    path: Path
    sha256: str
    size: int
    key: str
    from_station: str


def import_bundle(store: Store, bundle: Path, *, verifier: Verifier, station: str = "",
                  progress: Progress | None = None, dest_root: Path | None = None, audit=None,
                  now: float | None = None, max_file_bytes: int = MAX_FILE_BYTES) -> dict[str, Any]:
    """Check a bundle (or every bundle in a folder), copy its files into this station's storage and
    queue them, all in one transaction: one refused file refuses the whole import, nothing is queued.

    - ``manifest.json.sha256`` is required and must match ``manifest.json``, which must follow the
      format exactly (a :class:`BundleError` names the first wrong field);
    - only regular files inside the bundle are read (no FIFO, device or symbolic link), up to
      ``max_file_bytes``; each is copied under a new unique name in ``imports/<bundle>/``, hashed there
      and checked by ``verifier`` (the same signature check as ``queue add``; a ScanStationError it
      raises refuses the file, any other exception aborts the import);
    - the idempotency key is computed here from (exporting station, dossier, component, SHA-256 of the
      copy), never taken from the manifest; a manifest key that disagrees is reported in
      ``key_mismatches`` and not used.

    ``station`` (this station's id) is kept for the callers' symmetry with :func:`export_bundle`.
    """
    progress = progress or Progress()
    now = time.time() if now is None else now
    bundle = Path(bundle)
    bundles = _find_bundles(bundle)
    root = dest_root or paths.home() / "imports"
    staged: list[_Staged] = []
    refused: list[dict[str, Any]] = []
    mismatches: list[dict[str, Any]] = []
    kept: list[Path] = []
    imported = already = 0
    try:
        manifests = [(b, _read_manifest(b)) for b in bundles]      # every manifest checked before any copy
        root.mkdir(parents=True, exist_ok=True)
        require_free_space(root, (sum(min(e["size"], max_file_bytes) for _, m in manifests for e in m["jobs"])
                                  + 1024 * 1024) / (1024 * 1024))
        for b, manifest in manifests:
            from_station = manifest.get("station", "")
            entries = manifest["jobs"]
            dest = root / (_safe(b.name) or "bundle")
            for i, e in enumerate(entries):
                progress.check("import")
                name = e["file_name"]
                try:
                    src_fd = _open_in_bundle(b, e["file"], max_file_bytes)
                except _Refused as r:
                    refused.append({"bundle": b.name, "file": name, "reason": str(r)})
                    continue
                try:
                    target, digest, size = _copy_unique(src_fd, dest, e["file"], max_file_bytes)
                finally:
                    os.close(src_fd)
                if target is None:
                    refused.append({"bundle": b.name, "file": name,
                                    "reason": f"larger than the limit of {max_file_bytes} bytes"})
                    continue
                staged.append(_Staged(b.name, e, target, digest, size, "", from_station))
                if digest != e["sha256"] or size != e["size"]:
                    refused.append({"bundle": b.name, "file": name, "reason": f"damaged: SHA-256 {digest[:12]}… "
                                    f"({size} bytes) differs from the manifest {e['sha256'][:12]}… ({e['size']} bytes)"})
                    continue
                try:
                    verifier(target)
                except ScanStationError as err:
                    refused.append({"bundle": b.name, "file": name, "reason": err.message_en,
                                    "code": err.code})
                    continue
                key = idempotency_key(from_station, e["dossier_code"], e.get("component_id", ""), digest)
                staged[-1].key = key
                given = e.get("idempotency_key")
                if given is not None and given != key:
                    mismatches.append({"bundle": b.name, "file": name, "manifest_key": given, "key": key})
                progress.report(i + 1, len(entries), name)
        if refused:
            return {**_names(bundles), "imported": 0, "already_queued": 0, "refused": refused,
                    "key_mismatches": mismatches}
        with store.session() as s:
            for st in staged:
                e = st.entry
                job_id, created = enqueue(s, dossier_code=e["dossier_code"], path=st.path, sha256=st.sha256,
                                          size=st.size, component_id=e.get("component_id", ""),
                                          document_type=e.get("document_type", ""), file_name=e["file_name"],
                                          metadata=e.get("metadata") or {}, key=st.key, source="import", now=now,
                                          station=station)   # the copy is in this station's storage
                if created:
                    kept.append(st.path)
                    if audit:
                        audit(s, "sync.imported", Job.from_row(s.get(OutboxRow, job_id)),
                              {"job": job_id, "bundle": st.bundle, "sha256": st.sha256, "idempotency_key": st.key,
                               "from_station": st.from_station})
                imported += created
                already += not created
    finally:
        for st in staged:        # copies of refused, duplicate or rolled-back entries
            if st.path not in kept:
                with contextlib.suppress(OSError):
                    st.path.unlink()
    return {**_names(bundles), "imported": imported, "already_queued": already, "refused": [],
            "key_mismatches": mismatches}


class _Refused(Exception):
    """One bundle file that cannot be read as a regular file inside the bundle."""


def _names(bundles: list[Path]) -> dict[str, Any]:
    out: dict[str, Any] = {"bundles": [str(b) for b in bundles]}
    if len(bundles) == 1:
        out["bundle"] = str(bundles[0])
    return out


def _find_bundles(bundle: Path) -> list[Path]:
    if (bundle / MANIFEST).exists() or (bundle / MANIFEST).is_symlink():
        return [bundle]
    found = sorted(p for p in bundle.glob("scanstation-bundle-*")
                   if not p.is_symlink() and p.is_dir() and (p / MANIFEST).exists()) if bundle.is_dir() else []
    if not found:
        raise BundleError(f"{bundle} is not an export bundle (no {MANIFEST})",
                          f"{bundle} không phải gói xuất của trạm (thiếu {MANIFEST})", field="dir")
    return found


def _bad(bundle: Path, field: str, en: str, vi: str) -> BundleError:
    return BundleError(f"{bundle / MANIFEST}: {field} {en}; nothing was imported",
                       f"Tệp kê khai {bundle / MANIFEST}: {field} {vi}; chưa nhập tệp nào", field=field)


def _read_small(bundle: Path, name: str) -> bytes:
    """A bundle's own small file (the manifest or its checksum): a regular file, not a link, bounded."""
    path = bundle / name
    try:
        fd = _open_regular(path)
    except FileNotFoundError as e:
        raise BundleError(f"{bundle} has no {name}: the bundle cannot be checked; nothing was imported",
                          f"Gói {bundle} thiếu tệp {name}, không kiểm tra được; chưa nhập tệp nào",
                          field=name) from e
    except _Refused as e:
        raise BundleError(f"{path} {e}; nothing was imported", f"{path} không phải tệp thường; chưa nhập tệp nào",
                          field=name) from e
    except OSError as e:
        raise BundleError(f"Cannot read {path}: {e.strerror or e}", f"Không đọc được {path}", field=name) from e
    try:
        data = os.read(fd, MAX_MANIFEST_BYTES + 1)
        while len(data) <= MAX_MANIFEST_BYTES and (more := os.read(fd, MAX_MANIFEST_BYTES + 1 - len(data))):
            data += more
    finally:
        os.close(fd)
    if len(data) > MAX_MANIFEST_BYTES:
        raise BundleError(f"{path} is larger than {MAX_MANIFEST_BYTES} bytes", f"{path} quá lớn", field=name)
    return data


def _read_manifest(bundle: Path) -> dict[str, Any]:
    raw = _read_small(bundle, MANIFEST)
    side_name = MANIFEST + ".sha256"
    side = _read_small(bundle, side_name).decode("ascii", "replace").split()
    if not side or len(side[0]) != 64 or not set(side[0].lower()) <= _HEX:
        raise BundleError(f"{bundle / side_name} holds no SHA-256; nothing was imported",
                          f"Tệp {side_name} của gói không chứa mã băm SHA-256; chưa nhập tệp nào", field=side_name)
    if side[0].lower() != hashlib.sha256(raw).hexdigest():
        raise BundleError(f"{bundle / MANIFEST} was altered after export (its hash differs from {side_name}); "
                          "nothing was imported", f"Tệp kê khai {bundle / MANIFEST} đã bị sửa sau khi xuất (mã băm khác {side_name}); "
                          "chưa nhập tệp nào",
                          field=MANIFEST)
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise BundleError(f"{bundle / MANIFEST} is not valid JSON: {e}; nothing was imported",
                          f"Tệp kê khai {bundle / MANIFEST} bị hỏng (không phải JSON hợp lệ); chưa nhập tệp nào",
                          field=MANIFEST) from e
    _check_manifest(bundle, manifest)
    return manifest


def _is(value: Any, kind: type) -> bool:
    return isinstance(value, kind) and not (kind is int and isinstance(value, bool))


def _check_manifest(bundle: Path, m: Any) -> None:
    """The manifest's exact shape; the error names the first field that is wrong."""
    if not isinstance(m, dict):
        raise _bad(bundle, "(top level)", "is not a JSON object", "không phải đối tượng JSON")
    if m.get("format") != FORMAT:
        raise _bad(bundle, "format", f"is {m.get('format')!r}, not {FORMAT!r}", "không đúng định dạng gói xuất")
    if not _is(m.get("version"), int) or m["version"] != VERSION:
        raise _bad(bundle, "version", f"is {m.get('version')!r}; this station reads version {VERSION} (the integer)",
                   f"là {m.get('version')!r}; trạm chỉ đọc được phiên bản {VERSION}")
    if "station" in m and not _is(m["station"], str):
        raise _bad(bundle, "station", "must be a string", "phải là chuỗi ký tự")
    jobs = m.get("jobs")
    if not isinstance(jobs, list):
        raise _bad(bundle, "jobs", f"must be a list, not {type(jobs).__name__ if 'jobs' in m else 'missing'}",
                   "phải là một danh sách" if "jobs" in m else "bị thiếu")
    for i, e in enumerate(jobs):
        where = f"jobs[{i}]"
        if not isinstance(e, dict):
            raise _bad(bundle, where, "must be an object", "phải là một đối tượng")
        for k, kind in (*_REQUIRED.items(), *_OPTIONAL.items()):
            if k not in e:
                if k in _REQUIRED:
                    raise _bad(bundle, f"{where}.{k}", "is missing", "bị thiếu")
                continue
            if not _is(e[k], kind):
                raise _bad(bundle, f"{where}.{k}", f"must be {'an integer' if kind is int else 'a ' + kind.__name__}",
                           "sai kiểu dữ liệu")
        for k in ("dossier_code", "file_name", "file"):
            if not e[k].strip():
                raise _bad(bundle, f"{where}.{k}", "is empty", "bị trống")
        if len(e["sha256"]) != 64 or not set(e["sha256"]) <= _HEX:
            raise _bad(bundle, f"{where}.sha256", "is not a lowercase SHA-256 hex digest", "không phải mã băm SHA-256")
        if e["size"] < 0:
            raise _bad(bundle, f"{where}.size", "is negative", "là số âm")
        rel = e["file"].replace("\\", "/")
        if rel.startswith("/") or ":" in rel or any(part in ("", ".", "..") for part in rel.split("/")):
            raise _bad(bundle, f"{where}.file", f"({e['file']!r}) leaves the bundle or is not a plain relative path",
                       "trỏ ra ngoài gói")


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)


def _open_regular(path: Path) -> int:
    """Open ``path`` for reading only if it is a regular file (never a FIFO, device or link)."""
    st = os.lstat(path)
    if not stat.S_ISREG(st.st_mode):
        raise _Refused("is not a regular file" + (" (a symbolic link)" if stat.S_ISLNK(st.st_mode) else ""))
    fd = os.open(path, _OPEN_FLAGS)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):      # swapped between the check and the open
            raise _Refused("is not a regular file")
    except BaseException:
        os.close(fd)
        raise
    return fd


def _open_in_bundle(bundle: Path, rel: str, limit: int) -> int:
    """An entry's file: every folder on the way a real folder inside the bundle, the file a regular one."""
    parts = rel.replace("\\", "/").split("/")
    here = bundle
    try:
        for part in parts[:-1]:
            here = here / part
            if not stat.S_ISDIR(os.lstat(here).st_mode):
                raise _Refused(f"passes through '{part}', which is not a folder of the bundle (a link or a file)")
        fd = _open_regular(here / parts[-1])
    except FileNotFoundError:
        raise _Refused("missing from the bundle") from None
    except _Refused as e:
        raise _Refused(f"'{rel}' {e}") from None
    except OSError as e:
        raise _Refused(f"cannot be read: {e.strerror or e}") from None
    if os.fstat(fd).st_size > limit:
        os.close(fd)
        raise _Refused(f"larger than the limit of {limit} bytes")
    return fd


def _copy_unique(src_fd: int, dest: Path, rel: str, limit: int) -> tuple[Path | None, str, int]:
    """Copy an open file to a new name in ``dest`` (never over an existing file); returns (path, sha, size),
    path None when the file grew past ``limit`` while being read."""
    dest.mkdir(parents=True, exist_ok=True)
    base = _safe(Path(rel.replace("\\", "/")).name) or "file.pdf"
    stem, dot, ext = base.rpartition(".")
    if not stem:
        stem, dot, ext = base, "", ""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    for n in range(10_000):
        target = dest / (base if n == 0 else f"{stem}-{n}{dot}{ext}")
        try:
            out = os.open(target, flags, 0o600)
            break
        except FileExistsError:
            continue
    else:
        raise BundleError(f"Too many files named {base} in {dest}", f"Quá nhiều tệp tên {base} trong {dest}")
    h, size = hashlib.sha256(), 0
    try:
        with os.fdopen(out, "wb") as f:
            while chunk := os.read(src_fd, 1 << 20):
                size += len(chunk)
                if size > limit:
                    break
                h.update(chunk)
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
    except OSError as e:
        with contextlib.suppress(OSError):
            target.unlink()
        raise _disk_error(target, e) from e
    if size > limit:
        with contextlib.suppress(OSError):
            target.unlink()
        return None, "", size
    fsync_dir(dest)
    return target, h.hexdigest(), size


def _safe(name: str) -> str:
    keep = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    return keep.strip("._")[:120]


def _disk_error(path: Path, e: OSError) -> StorageError:
    import errno

    if e.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskSpaceError(f"Disk full while writing the bundle {path}; nothing was exported",
                              f"Đĩa đầy khi ghi gói {path}; chưa xuất được gì")
    return BundleError(f"Cannot write the bundle {path}: {e.strerror or e}", f"Không ghi được gói {path}")

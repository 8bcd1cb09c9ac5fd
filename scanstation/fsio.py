"""Crash-safe file writes: temp file in the same folder, fsync, rename, fsync the folder."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from scanstation.errors import DiskSpaceError, StorageError


def fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable (no-op where directories cannot be opened, e.g. Windows)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def atomic_write_bytes(path: Path, data: bytes) -> str:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one. Returns SHA-256.

    The file is private to this account (0600 on POSIX, whatever the umask); new folders 0700."""
    path = Path(path)
    path.parent.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        _private(fd)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise _storage_error(path, e) from e
    fsync_dir(path.parent)
    return hashlib.sha256(data).hexdigest()


def atomic_write_text(path: Path, text: str) -> str:
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_copy(src: Path, dst: Path) -> str:
    """Copy ``src`` to ``dst`` atomically; returns the SHA-256 of what was written."""
    dst = Path(dst)
    dst.parent.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dst.name}.", suffix=".tmp", dir=dst.parent)
    h = hashlib.sha256()
    try:
        _private(fd)
        with os.fdopen(fd, "wb") as out, open(src, "rb") as inp:
            while chunk := inp.read(1 << 20):
                h.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, dst)
    except OSError as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise _storage_error(dst, e) from e
    fsync_dir(dst.parent)
    return h.hexdigest()


def _private(fd: int) -> None:
    # mkstemp already creates 0600; say so explicitly so a change of temp-file helper cannot widen it.
    if os.name == "posix":
        os.fchmod(fd, PRIVATE_FILE_MODE)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def free_mb(path: Path) -> float:
    return shutil.disk_usage(path).free / (1024 * 1024)


def require_free_space(path: Path, min_mb: float) -> None:
    """Refuse to start work that writes to ``path`` when less than ``min_mb`` is free."""
    free = free_mb(path)
    if free < min_mb:
        raise DiskSpaceError(
            f"Not enough free disk space in {path}: {free:.0f} MB free, {min_mb:.0f} MB required",
            f"Không đủ dung lượng đĩa trống tại {path}: còn {free:.0f} MB, cần tối thiểu {min_mb:.0f} MB. "
            "Hãy giải phóng dung lượng hoặc báo cán bộ CNTT.",
            free_mb=free, min_mb=min_mb,
        )


def _storage_error(path: Path, e: OSError) -> StorageError:
    import errno

    if e.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskSpaceError(f"Disk full while writing {path}", f"Đĩa đầy khi ghi tệp {path}")
    return StorageError(f"Cannot write {path}: {e.strerror or e}", f"Không ghi được tệp {path}: {e.strerror or e}")

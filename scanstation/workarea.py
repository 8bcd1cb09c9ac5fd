"""A dossier's work folder: page images written atomically and a page journal that survives crashes.

Layout of ``<home>/work/<dossier id>/``::

    dossier.json        the dossier as last saved (atomic)
    journal.jsonl       one JSON line per event, fsync'd: page captured, excluded, restored, ...
    pages/<component>/  page images, named <seq>_s<sheet>_<side>_<variant>.<ext>
    out/                assembled and signed PDFs

The order is the guarantee: a page file is complete on disk before its journal line is written,
and the journal line is on disk before the scanner is asked for the next page. A crash can
therefore leave at most a torn last journal line (ignored) or an image without a line, never a
journal entry without its image.

Two ways to write a page. ``add_page`` takes the whole image and writes it atomically (temp file,
fsync, rename). ``open_page`` streams an image straight to its final name while it is being
encoded (no temp file, no rename, hashed as written) and ``commit()`` makes it durable, then
journals it. A crash mid-stream therefore leaves an *incomplete* file under a page name, so an
image without a journal line is adopted on recovery only when it is provably whole: a PNG must
pass every chunk CRC, end with IEND, and inflate to exactly the size its header announces.
Anything less is listed as ``rejected`` and never becomes a page.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import struct
import threading
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scanstation import paths
from scanstation.errors import JournalError, StorageError
from scanstation.fsio import (
    _storage_error,
    atomic_write_bytes,
    atomic_write_text,
    fsync_dir,
    require_free_space,
    sha256_file,
)
from scanstation.model import Page, PageVariant, Side, to_plain

log = logging.getLogger(__name__)

JOURNAL_VERSION = 1
_NAME = re.compile(r"^(?P<seq>\d{5})_s(?P<sheet>\d{3,})_(?P<side>front|back)_(?P<variant>[a-z_]+)\.(?P<ext>\w+)$")


def page_from_plain(d: dict[str, Any]) -> Page:
    return Page(
        sheet=int(d["sheet"]), side=Side(d["side"]), file=d["file"], sha256=d["sha256"], id=d["id"],
        variant=PageVariant(d.get("variant", "normal")), device=d.get("device", ""),
        dpi=tuple(d.get("dpi") or (0, 0)), mode=d.get("mode", ""), width=d.get("width", 0),
        height=d.get("height", 0),
        captured_at=datetime.fromisoformat(d["captured_at"]) if d.get("captured_at") else None,
        kept=d.get("kept", True), excluded_reason=d.get("excluded_reason"), qc=d.get("qc"),
    )


@dataclass
class Recovered:
    """What replaying a journal gave back: everything about a dossier that must survive a restart."""

    pages: dict[str, list[Page]] = field(default_factory=dict)     # component id -> pages in order
    damaged: list[str] = field(default_factory=list)               # files whose hash no longer matches
    adopted: list[str] = field(default_factory=list)               # images found without a journal line
    rejected: list[str] = field(default_factory=list)              # incomplete images without one (crash mid-write)
    torn_lines: int = 0
    corrupt_lines: list[int] = field(default_factory=list)         # unreadable lines skipped (1-based)
    #: finding id -> {"component", "code", "pages", "by", "reason", "at"} (clerk's overrides)
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: event id -> {"id", "component", "code", "sheet", "message_en", "message_vi", "at", "resolved": {...}|None}
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: component id -> {"pages": [page ids checked], "findings": [...], "pairs": [...], "summary": {...}}
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)
    clerk_restored: set[str] = field(default_factory=set)          # pages the clerk restored by hand
    clerk_excluded: set[str] = field(default_factory=set)          # pages the clerk excluded by hand
    #: page id -> {"deg": clockwise turn that makes it upright, "confidence", "number": printed page number}
    readings: dict[str, dict[str, Any]] = field(default_factory=dict)              # what OCR read off each page


#: Journal operations, each one JSON line ``{"v", "at", "op", ...}``; :meth:`WorkArea.replay` is the one reader.
OPS = ("page", "exclude", "restore", "remove", "replace", "order", "variant", "qc", "checks", "override",
       "event", "event_resolved", "reading", "reinstate")
# "reinstate" {component, page}: an undo puts a removed (or replaced) page back; an "order" follows.
# "exclude"/"restore" with by="undo" carry the clerk's marks as they were: clerk_excluded, clerk_restored.


class WorkArea:
    """The work folder of one dossier. Thread-safe: one lock around the journal."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.pages_dir = self.root / "pages"
        self.out_dir = self.root / "out"
        self.journal_path = self.root / "journal.jsonl"
        self._lock = threading.Lock()
        self._seq: dict[str, int] = {}

    @classmethod
    def for_dossier(cls, dossier_id: str, base: Path | None = None) -> WorkArea:
        wa = cls((base or paths.work_dir()) / dossier_id)
        wa.root.mkdir(parents=True, exist_ok=True)
        return wa

    # --- capture --------------------------------------------------------------------------------
    def check_space(self, min_free_mb: float) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        require_free_space(self.root, min_free_mb)

    def next_seq(self, component_id: str) -> int:
        if component_id not in self._seq:
            d = self.pages_dir / component_id
            existing = [int(m["seq"]) for p in d.glob("*") if (m := _NAME.match(p.name))] if d.exists() else []
            self._seq[component_id] = max(existing, default=0)
        self._seq[component_id] += 1
        return self._seq[component_id]

    def add_page(self, component_id: str, data: bytes, *, ext: str, sheet: int, side: Side | str,
                 variant: PageVariant | str = PageVariant.NORMAL, **facts: Any) -> Page:
        """Write one captured image and journal it. Returns when both are durable on disk."""
        side, variant = Side(side), PageVariant(variant)
        with self._lock:
            seq = self.next_seq(component_id)
            rel = f"pages/{component_id}/{seq:05d}_s{sheet:03d}_{side.value}_{variant.value}.{ext.lstrip('.')}"
            sha = atomic_write_bytes(self.root / rel, data)
            page = Page(sheet=sheet, side=side, file=rel, sha256=sha, variant=variant,
                        captured_at=facts.pop("captured_at", None) or datetime.now(UTC), **facts)
            self._append({"op": "page", "component": component_id, "page": to_plain(page)})
        return page

    def adopt_page_file(self, component_id: str, tmp_file: Path, *, ext: str, sheet: int, side: Side | str,
                        variant: PageVariant | str = PageVariant.NORMAL, **facts: Any) -> Page:
        """Move an image a driver already wrote (in this work area) into place, then journal it."""
        side, variant = Side(side), PageVariant(variant)
        with self._lock:
            seq = self.next_seq(component_id)
            rel = f"pages/{component_id}/{seq:05d}_s{sheet:03d}_{side.value}_{variant.value}.{ext.lstrip('.')}"
            dst = self.root / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            with open(tmp_file, "rb+") as f:
                os.fsync(f.fileno())
            sha = sha256_file(tmp_file)
            os.replace(tmp_file, dst)
            fsync_dir(dst.parent)
            page = Page(sheet=sheet, side=side, file=rel, sha256=sha, variant=variant,
                        captured_at=facts.pop("captured_at", None) or datetime.now(UTC), **facts)
            self._append({"op": "page", "component": component_id, "page": to_plain(page)})
        return page

    def open_page(self, component_id: str, *, ext: str = "png", sheet: int, side: Side | str,
                  variant: PageVariant | str = PageVariant.NORMAL) -> PageFile:
        """Start streaming one image to its final name; ``PageFile.commit()`` makes it durable and journals it.

        Only PNG: recovery can prove a PNG whole (see ``png_is_complete``), which is what makes writing
        in place safe. Use as a context manager: leaving it without ``commit()`` deletes the file.
        """
        if ext.lstrip(".").lower() != "png":
            raise ValueError(f"open_page streams PNG only, not {ext!r} (use add_page)")
        side, variant = Side(side), PageVariant(variant)
        with self._lock:
            seq = self.next_seq(component_id)
            rel = f"pages/{component_id}/{seq:05d}_s{sheet:03d}_{side.value}_{variant.value}.png"
            return PageFile(self, component_id, rel, sheet, side, variant)

    def record(self, op: str, **fields: Any) -> None:
        """Journal a clerk's decision: exclude, restore, remove, replace, order, rotate, qc."""
        with self._lock:
            self._append({"op": op, **fields})

    def _append(self, rec: dict[str, Any]) -> None:
        """Append one line and make it durable. A torn last line (a crash mid-write) is cut back first,
        so a new line never lands on the end of a broken one; a short write is undone and raised."""
        rec = {"v": JOURNAL_VERSION, "at": datetime.now(UTC).isoformat(), **rec}
        line = (json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
        try:
            new = not self.journal_path.exists()
            fd = os.open(self.journal_path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                size = _cut_torn_tail(fd)
                n = _write(fd, line)
                if n != len(line):
                    os.ftruncate(fd, size)       # never leave half a line behind
                    _fdatasync(fd)
                    raise JournalError(f"Short write to the page journal {self.journal_path}: "
                                       f"{n} of {len(line)} bytes (disk full?)",
                                       f"Không ghi đủ nhật ký trang {self.journal_path} (ổ đĩa đầy?)")
                _fdatasync(fd)
            finally:
                os.close(fd)
            if new:
                fsync_dir(self.root)
        except OSError as e:
            raise JournalError(f"Cannot write the page journal {self.journal_path}: {e.strerror}",
                               f"Không ghi được nhật ký trang {self.journal_path}: {e.strerror}") from e

    # --- recovery -------------------------------------------------------------------------------
    def replay(self, *, verify: bool = True, adopt: bool = True) -> Recovered:
        """Rebuild the dossier's state from the journal (and adopt unjournaled images).

        Never fails on a damaged line: a torn last line is counted, an unreadable line in the middle
        is listed in ``corrupt_lines`` and skipped (a whole record written after a torn one is still
        read), so a damaged journal gives back everything up to and around the damage.
        """
        rec = Recovered()
        by_id: dict[str, tuple[str, Page]] = {}
        known_files: set[str] = set()
        try:
            data = self.journal_path.read_bytes() if self.journal_path.exists() else b""
        except OSError as e:
            raise JournalError(f"Cannot read the page journal {self.journal_path}: {e.strerror}",
                               f"Không đọc được nhật ký trang {self.journal_path}") from e
        lines = data.split(b"\n")
        last = max((i for i, raw in enumerate(lines) if raw.strip()), default=-1)
        for i, raw in enumerate(lines):
            if not raw.strip():
                continue
            r = _parse_line(raw)
            if r is None:
                if i == last and not data.endswith(b"\n"):
                    rec.torn_lines += 1          # torn last line from a crash mid-write
                else:
                    rec.corrupt_lines.append(i + 1)
                    log.warning("journal %s line %d is unreadable; skipped", self.journal_path, i + 1)
                continue
            try:
                self._apply(r, rec, by_id, known_files)
            except (KeyError, ValueError, TypeError, IndexError) as e:
                rec.corrupt_lines.append(i + 1)
                log.warning("journal %s line %d cannot be applied (%s); skipped", self.journal_path, i + 1, e)
        if adopt:
            self._adopt_orphans(rec, known_files)
        if verify:
            for pages in rec.pages.values():
                for p in pages:
                    f = self.root / p.file
                    if not f.exists() or sha256_file(f) != p.sha256:
                        rec.damaged.append(p.file)
        return rec

    def _apply(self, r: dict[str, Any], rec: Recovered, by_id: dict[str, tuple[str, Page]],
               known_files: set[str]) -> None:
        op = r.get("op")
        pid = r.get("page")
        if op == "page":
            p = page_from_plain(r["page"])
            rec.pages.setdefault(r["component"], []).append(p)
            by_id[p.id] = (r["component"], p)
            known_files.add(p.file)
        elif op in ("exclude", "restore", "remove", "variant", "qc") and pid in by_id:
            comp, p = by_id[pid]
            if op == "exclude":
                p.kept, p.excluded_reason = False, r.get("reason", "")
                if r.get("by") == "clerk":
                    rec.clerk_excluded.add(pid)
                    rec.clerk_restored.discard(pid)
            elif op == "restore":
                p.kept, p.excluded_reason = True, None
                if r.get("by") == "clerk":
                    rec.clerk_restored.add(pid)
                    rec.clerk_excluded.discard(pid)
            if op in ("exclude", "restore") and r.get("by") == "undo":
                for marks, key in ((rec.clerk_excluded, "clerk_excluded"), (rec.clerk_restored, "clerk_restored")):
                    if r.get(key):
                        marks.add(pid)
                    else:
                        marks.discard(pid)
            elif op == "remove":
                rec.pages[comp] = [q for q in rec.pages[comp] if q.id != p.id]
            elif op == "variant":
                p.variant = PageVariant(r["variant"])
            elif op == "qc":
                p.qc = r.get("result")
        elif op == "replace" and pid in by_id and r.get("by") in by_id:
            comp, old = by_id[pid]
            _, new = by_id[r["by"]]
            lst = [q for q in rec.pages[comp] if q.id != new.id]
            if old.id in [q.id for q in lst]:
                lst[[q.id for q in lst].index(old.id)] = new
            if r.get("keep_state"):                    # a rotation: the clerk's exclusion carries over
                new.kept, new.excluded_reason = old.kept, old.excluded_reason
            rec.pages[comp] = lst
        elif op == "reading" and pid in by_id:
            n = r.get("number")
            rec.readings[pid] = {"deg": int(r.get("deg", 0)) % 360, "confidence": float(r.get("confidence", 0.0)),
                                 "number": int(n) if n is not None else None}
        elif op == "reinstate" and pid in by_id:
            comp, p = by_id[pid]
            lst = rec.pages.setdefault(comp, [])
            if p.id not in [q.id for q in lst]:
                lst.append(p)                      # where it goes: the "order" record that follows
        elif op == "order" and r.get("component") in rec.pages:
            comp = r["component"]
            pos = {pid: i for i, pid in enumerate(r["pages"])}
            rec.pages[comp].sort(key=lambda q: pos.get(q.id, len(pos)))
        elif op == "checks":
            rec.checks[r["component"]] = {"pages": list(r.get("pages", [])), "findings": list(r.get("findings", [])),
                                          "pairs": list(r.get("pairs", [])), "summary": r.get("summary") or {},
                                          "at": r.get("at")}
        elif op == "override":
            rec.overrides[r["finding"]] = {"component": r.get("component"), "code": r.get("code"),
                                           "pages": r.get("pages", []), "by": r.get("by", ""),
                                           "reason": r.get("reason", ""), "at": r.get("at")}
        elif op == "event":
            ev = dict(r["event"])
            ev.setdefault("at", r.get("at"))
            ev["resolved"] = None
            rec.events[ev["id"]] = ev
        elif op == "event_resolved" and r.get("event") in rec.events:
            rec.events[r["event"]]["resolved"] = {"by": r.get("by", ""), "reason": r.get("reason", ""),
                                                  "at": r.get("at")}

    def _adopt_orphans(self, rec: Recovered, known_files: set[str]) -> None:
        if not self.pages_dir.exists():
            return
        for comp_dir in sorted(self.pages_dir.iterdir()):
            if not comp_dir.is_dir():
                continue
            for f in sorted(comp_dir.iterdir()):
                rel = f"pages/{comp_dir.name}/{f.name}"
                m = _NAME.match(f.name)
                if rel in known_files or not m:
                    continue  # journaled, or a temp file of an interrupted write (never complete)
                if m["ext"].lower() == "png" and not png_is_complete(f):
                    rec.rejected.append(rel)   # streamed in place and cut short by a crash: not a page
                    continue
                page = Page(sheet=int(m["sheet"]), side=Side(m["side"]), file=rel, sha256=sha256_file(f),
                            variant=PageVariant(m["variant"]))
                rec.pages.setdefault(comp_dir.name, []).append(page)
                rec.adopted.append(rel)
                self.record("page", component=comp_dir.name, page=to_plain(page), adopted=True)

    # --- dossier document -------------------------------------------------------------------------
    def save_dossier_json(self, plain: dict[str, Any]) -> None:
        atomic_write_text(self.root / "dossier.json", json.dumps(plain, ensure_ascii=False, indent=2))

    def load_dossier_json(self) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads((self.root / "dossier.json").read_text("utf-8"))
            return data
        except (OSError, json.JSONDecodeError) as e:
            raise StorageError(f"Cannot read {self.root / 'dossier.json'}: {e}",
                               f"Không đọc được hồ sơ đang làm dở tại {self.root}") from e


_fdatasync = getattr(os, "fdatasync", os.fsync)   # data and the size; not the mtime (macOS/Windows: fsync)


def _write(fd: int, data: bytes) -> int:
    """Write ``data``, retrying partial writes; returns how many bytes went (fewer only when the OS stops)."""
    done = 0
    view = memoryview(data)
    while done < len(data):
        n = os.write(fd, view[done:])
        if n <= 0:
            break
        done += n
    return done


def _pread(fd: int, n: int, offset: int) -> bytes:
    """os.pread where it exists; a seek and read elsewhere (Windows). Appends ignore the position."""
    if hasattr(os, "pread"):
        return os.pread(fd, n, offset)
    os.lseek(fd, offset, os.SEEK_SET)
    return os.read(fd, n)


def _cut_torn_tail(fd: int) -> int:
    """If the file does not end with a newline (a line torn by a crash), cut it back to the last one.
    Returns the file's size afterwards."""
    size = os.fstat(fd).st_size
    if size == 0 or _pread(fd, 1, size - 1) == b"\n":
        return size
    pos, chunk = size, 4096
    while pos > 0:
        start = max(0, pos - chunk)
        buf = _pread(fd, pos - start, start)
        k = buf.rfind(b"\n")
        if k >= 0:
            new_size = start + k + 1
            break
        pos = start
    else:
        new_size = 0
    log.warning("journal: cutting a torn last line (%d bytes) before appending", size - new_size)
    os.ftruncate(fd, new_size)
    _fdatasync(fd)
    return new_size


def _parse_line(raw: bytes) -> dict[str, Any] | None:
    """One journal line, or None. A line a crash tore and a later write continued (old journals,
    written before torn tails were cut) still yields the whole record at its end."""
    try:
        r = json.loads(raw)
        return r if isinstance(r, dict) else None
    except (json.JSONDecodeError, UnicodeDecodeError):
        pass
    k = raw.rfind(b'{"v":')
    if k > 0:
        try:
            r = json.loads(raw[k:])
            return r if isinstance(r, dict) else None
        except (json.JSONDecodeError, UnicodeDecodeError):
            return None
    return None


class PageFile:
    """One image being written in place (``WorkArea.open_page``): appended, hashed as it goes, then committed.

    Not thread-safe: one writer at a time (the capture's encoder thread).
    """

    def __init__(self, wa: WorkArea, component_id: str, rel: str, sheet: int, side: Side,
                 variant: PageVariant) -> None:
        self.workarea, self.component_id, self.file = wa, component_id, rel
        self.sheet, self.side, self.variant = sheet, side, variant
        self.path = wa.root / rel
        self.size = 0
        self._sha: Any = hashlib.sha256()
        self._name_durable = False
        self._done = False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._f = open(self.path, "xb", buffering=0)  # noqa: SIM115 - closed by commit/abort; a name is used once
        except OSError as e:
            raise _storage_error(self.path, e) from e

    def sync_name(self) -> None:
        """Make the file's name durable now (fsync of its folder), e.g. from a worker while data still arrives."""
        if not self._name_durable:
            fsync_dir(self.path.parent)
            self._name_durable = True

    def write(self, data: bytes | bytearray | memoryview) -> None:
        view = memoryview(data).cast("B")
        if self._sha is not None:
            self._sha.update(view)
        try:
            while view:
                n = self._f.write(view)
                view = view[n:]
                self.size += n
        except OSError as e:
            raise _storage_error(self.path, e) from e

    def patch(self, offset: int, data: bytes) -> None:
        """Overwrite bytes already written (a header whose final value came late); the hash is redone at commit."""
        try:
            self._f.seek(offset)
            self._f.write(data)
            self._f.seek(0, os.SEEK_END)
        except OSError as e:
            raise _storage_error(self.path, e) from e
        self._sha = None

    def commit(self, **facts: Any) -> Page:
        """File data on disk, its name on disk, then the journal line on disk. Returns the journaled page."""
        try:
            _fdatasync(self._f.fileno())
            self._f.close()
        except OSError as e:
            raise _storage_error(self.path, e) from e
        self.sync_name()
        sha = self._sha.hexdigest() if self._sha is not None else sha256_file(self.path)
        page = Page(sheet=self.sheet, side=self.side, file=self.file, sha256=sha, variant=self.variant,
                    captured_at=facts.pop("captured_at", None) or datetime.now(UTC), **facts)
        with self.workarea._lock:
            self.workarea._append({"op": "page", "component": self.component_id, "page": to_plain(page)})
        self._done = True
        return page

    def abort(self) -> None:
        """Drop the unfinished file (an error before commit). Never raises."""
        if self._done:
            return
        self._done = True
        with contextlib.suppress(OSError):
            self._f.close()
        with contextlib.suppress(OSError):
            self.path.unlink()

    def __enter__(self) -> PageFile:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self._done:
            self.abort()


#: PNG colour type -> samples per pixel
_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
_ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))


def _png_raw_size(w: int, h: int, depth: int, colour_type: int, interlace: int) -> int | None:
    """Bytes the IDAT stream inflates to (filter byte + packed samples per row, per Adam7 pass if interlaced)."""
    ch = _PNG_CHANNELS.get(colour_type)
    if ch is None or depth not in (1, 2, 4, 8, 16) or interlace not in (0, 1) or w == 0 or h == 0:
        return None
    bits = ch * depth

    def size(pw: int, ph: int) -> int:
        return ph * (1 + (pw * bits + 7) // 8) if pw and ph else 0

    if interlace == 0:
        return size(w, h)
    return sum(size((w - x0 + dx - 1) // dx, (h - y0 + dy - 1) // dy) for x0, y0, dx, dy in _ADAM7)


def png_is_complete(path: Path) -> bool:
    """True only for a whole PNG: signature, IHDR first, every chunk CRC right, the image data inflating
    (adler32 checked) to exactly the size IHDR announces, IEND last and nothing after it.

    Reads in bounded pieces, so a large page costs a streaming inflate, not its decoded size in memory.
    """
    try:
        with open(path, "rb") as f:
            if f.read(8) != b"\x89PNG\r\n\x1a\n":
                return False
            inflate = zlib.decompressobj()
            expected: int | None = None
            got = 0
            first = True
            while True:
                head = f.read(8)
                if len(head) < 8:
                    return False
                n, kind = struct.unpack(">I4s", head)
                if n > 0x7FFFFFFF:
                    return False
                data = f.read(n)
                crc = f.read(4)
                if len(data) < n or len(crc) < 4 or zlib.crc32(data, zlib.crc32(kind)) != int.from_bytes(crc, "big"):
                    return False
                if first:
                    if kind != b"IHDR" or n != 13:
                        return False
                    w, h, depth, ctype, _comp, _filt, interlace = struct.unpack(">IIBBBBB", data)
                    expected = _png_raw_size(w, h, depth, ctype, interlace)
                    if expected is None:
                        return False
                    first = False
                elif kind == b"IDAT":
                    if inflate.eof:
                        return False
                    buf = data
                    while buf and not inflate.eof:
                        got += len(inflate.decompress(buf, 1 << 20))
                        buf = inflate.unconsumed_tail
                        if expected is None or got > expected:
                            return False
                    if inflate.unused_data:
                        return False
                elif kind == b"IEND":
                    return inflate.eof and got == expected and not f.read(1)
    except (OSError, zlib.error):
        return False

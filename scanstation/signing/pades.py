"""PAdES baseline signatures (ETSI.CAdES.detached, SHA-256) with the station's visible stamps.

One :class:`~scanstation.signing.tokens.TokenSession` (one PIN entry) signs a whole dossier:
:func:`sign_batch`. Every file is signed in memory, verified, and only then written atomically
(fsync) under its final name, so a file that does not verify never exists as "signed". The work
is pipelined: the token thread signs file N (the only stage that talks to the token) while two
writer threads verify and write files N-1 and N-2; results are still reported in input order and
only once written. If the token goes away mid-batch the batch stops with
:class:`TokenRemovedError` carrying what was already written; running the same batch again with a
new session skips the files that are done.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import logging
import time
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from scanstation.errors import (
    NotSignableError,
    ScanStationError,
    SignatureVerificationError,
    SigningError,
    StorageError,
    ValidationError,
)
from scanstation.fsio import atomic_write_bytes
from scanstation.progress import NULL_PROGRESS, Progress
from scanstation.signing import stamps
from scanstation.signing.tokens import TokenSession
from scanstation.signing.trust import TrustStore
from scanstation.signing.verify import FIELD_NAMES, verify_bytes

log = logging.getLogger(__name__)

ROLES = ("clerk", "copy")


@dataclass
class SignOptions:
    role: str = "clerk"
    signer_name: str | None = None         # clerk stamp: the person who scanned (default: certificate CN)
    org_name: str | None = None            # copy stamp: the organisation (required for role "copy")
    scan_time: datetime | None = None      # clerk stamp: time of scanning (default: the PDF's creation date)
    tsa_url: str | None = None             # RFC 3161 timestamp authority; unreachable -> offline
    trust_roots: TrustStore | list[x509.Certificate] = field(default_factory=list)
    stamp_font: str | None = None          # override of the sans font (clerk stamp)
    copy_font: str | None = None           # override of the serif font (copy text)
    reason: str | None = None
    location: str | None = None
    # Times on stamps are Vietnamese legal time (UTC+7, Nghị định 30/2020 asks for the Vietnam time
    # zone) whatever the PC's own zone is set to.
    utc_offset: timedelta = timedelta(hours=7)

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValidationError(f"role must be one of {', '.join(ROLES)}, not '{self.role}'",
                                  f"Vai trò ký không hợp lệ: '{self.role}'", field="role")
        if self.role == "copy" and not (self.org_name or "").strip():
            raise ValidationError("a certified copy (role copy) needs the organisation name",
                                  "Ký sao y cần tên cơ quan, tổ chức", field="org_name")


@dataclass(frozen=True)
class SignedFile:
    source: str
    path: str
    sha256: str
    size: int
    role: str
    field: str
    signer: str
    signed_at: datetime
    page: int
    rect: tuple[int, int, int, int]
    timestamped: bool
    skipped: bool = False           # already signed by an earlier run (resume)
    seconds: float = 0.0            # wall time from the start of its signing to written (files overlap)
    token_seconds: float = 0.0      # of which inside the token's signature call
    cpu_seconds: float = 0.0        # CPU time of the token and writer threads for this file

    def to_dict(self) -> dict:
        return {"source": self.source, "path": self.path, "sha256": self.sha256, "size": self.size,
                "role": self.role, "field": self.field, "signer": self.signer,
                "signed_at": self.signed_at.isoformat(), "page": self.page, "rect": list(self.rect),
                "timestamped": self.timestamped, "skipped": self.skipped}


@dataclass
class BatchResult:
    signed: list[SignedFile] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)        # sources not signed yet (stopped early)
    failed: list[dict[str, Any]] = field(default_factory=list)  # per-file refusals (bad input)
    stopped: ScanStationError | None = None                 # why the batch stopped early, if it did
    tsa_used: bool = False
    tsa_problem: str | None = None

    @property
    def complete(self) -> bool:
        return not self.pending and not self.failed and self.stopped is None

    def to_dict(self) -> dict:
        return {"complete": self.complete, "signed": [s.to_dict() for s in self.signed],
                "pending": self.pending, "failed": self.failed,
                "stopped": self.stopped.to_dict() if self.stopped else None,
                "tsa_used": self.tsa_used, "tsa_problem": self.tsa_problem}


# --- pyHanko glue --------------------------------------------------------------------------------
def _asn1(c: x509.Certificate | bytes) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(c if isinstance(c, bytes) else c.public_bytes(Encoding.DER))


def _station_signer(ts: TokenSession):
    """A pyHanko PKCS#11 signer whose token calls go through the TokenSession (token thread, PIN policy).

    One is made per batch: its certificates are converted once, and the signing-certificate-v2
    attribute (a function of the certificate alone) is built once and reused already encoded;
    asn1crypto re-encoding it for every file cost several milliseconds.
    """
    from asn1crypto import cms
    from pyhanko.sign.attributes import SignedAttributeProviderSpec, SigningCertificateV2Provider
    from pyhanko.sign.general import as_signing_certificate_v2, simple_cms_attribute
    from pyhanko.sign.pkcs11 import PKCS11Signer

    signing_cert = _asn1(ts.cert.der)
    cert_attr_der = simple_cms_attribute("signing_certificate_v2", as_signing_certificate_v2(signing_cert)).dump()

    class _CertAttr(SigningCertificateV2Provider):
        async def get_attribute(self, dry_run: bool = False) -> cms.CMSAttribute:
            return cms.CMSAttribute.load(cert_attr_der)

    class _Spec(SignedAttributeProviderSpec):
        def __init__(self, inner: SignedAttributeProviderSpec) -> None:
            self.inner = inner

        def signed_attr_providers(self, data_digest: bytes, digest_algorithm: str):
            for prov in self.inner.signed_attr_providers(data_digest=data_digest, digest_algorithm=digest_algorithm):
                yield _CertAttr(signing_cert) if type(prov) is SigningCertificateV2Provider else prov

    class _Signer(PKCS11Signer):
        def __init__(self) -> None:
            super().__init__(ts._session, key_id=bytes.fromhex(ts.cert.id_hex),
                             cert_id=bytes.fromhex(ts.cert.id_hex), signing_cert=signing_cert,
                             ca_chain=[_asn1(c) for c in ts.chain], other_certs_to_pull=(),
                             use_raw_mechanism=ts.use_raw_mechanism)
            self._key_handle = ts._key
            self._loaded = True

        def _signed_attr_provider_spec(self, *a: Any, **kw: Any):
            return _Spec(super()._signed_attr_provider_spec(*a, **kw))

        async def ensure_objects_loaded(self) -> None:   # already loaded on the token thread
            return None

        async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
            if dry_run:
                return self.estimate_raw_signature_size_bytes() * b"0"
            spec = self._select_pkcs11_signing_params(digest_algorithm, sign_kwargs={})
            if spec.pre_sign_transform is not None:
                data = spec.pre_sign_transform(data)
            # pyHanko would run this in a worker pool; the station keeps it on the token thread.
            sig = ts._sign_raw(data, spec.sign_kwargs["mechanism"], spec.sign_kwargs.get("mechanism_param"))
            if spec.post_sign_transform is not None:
                sig = spec.post_sign_transform(sig)
            return sig

    return _Signer()


def _pdf_signer(meta, signer, *, style, field_spec, timestamper, signed_at: datetime):
    from pyhanko.sign.signers.pdf_signer import PdfSigner

    class _FixedTimeSigner(PdfSigner):
        """The stamp text and the CMS signing-time attribute show the very same instant."""

        def init_signing_session(self, *a: Any, **kw: Any):
            s = super().init_signing_session(*a, **kw)
            s.system_time = signed_at
            return s

    return _FixedTimeSigner(meta, signer, stamp_style=style, new_field_spec=field_spec, timestamper=timestamper)


def _open_reader(data: bytes, name: str):
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.misc import PdfReadError

    if b"%PDF-" not in data[:1024]:
        raise NotSignableError(f"{name} is not a PDF file", f"Tệp {name} không phải tệp PDF", field="pdf")
    try:
        w = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    except (PdfReadError, ValueError, KeyError, TypeError) as e:
        raise NotSignableError(f"{name} is damaged and cannot be signed: {e}",
                               f"Tệp {name} bị hỏng, không ký được", field="pdf") from e
    if w.prev.encrypted:
        raise NotSignableError(f"{name} is encrypted", f"Tệp {name} đã bị mã hóa, không ký được", field="pdf")
    return w


def _page1_box(w, name: str) -> tuple[float, float, float, float]:
    try:
        page = w.root["/Pages"]
        while "/Kids" in page:
            page = page["/Kids"][0].get_object()
        mb = [float(v) for v in (page.get("/CropBox") or _inherited(page, "/MediaBox"))]
    except (KeyError, IndexError, TypeError) as e:
        raise NotSignableError(f"{name} has no readable first page", f"Tệp {name} không có trang 1 đọc được",
                               field="pdf") from e
    x0, x1 = sorted((mb[0], mb[2]))
    y0, y1 = sorted((mb[1], mb[3]))
    return x0, y0, x1, y1


def _inherited(page, key: str):
    while page is not None:
        if key in page:
            return page[key]
        page = page.get("/Parent")
        page = page.get_object() if page is not None else None
    raise KeyError(key)


def _pdf_creation_time(w) -> datetime | None:
    from pyhanko.pdf_utils.misc import PdfReadError

    try:
        info = w.prev.trailer_view.get("/Info")
        raw = str(info.get_object()["/CreationDate"]) if info is not None else ""
    except (KeyError, PdfReadError, AttributeError):
        return None
    from pyhanko.pdf_utils.generic import parse_pdf_date

    try:
        return parse_pdf_date(raw) if raw else None
    except Exception:  # noqa: BLE001 - an odd date string just means "unknown"
        return None


def _unique_field(w, base: str) -> str:
    from pyhanko.sign.fields import enumerate_sig_fields

    names = {name for name, *_ in enumerate_sig_fields(w.prev, filled_status=None)}
    if base not in names:
        return base
    n = 2
    while f"{base}{n}" in names:
        n += 1
    return f"{base}{n}"


def _reserve(ts: TokenSession, timestamper: Any) -> int:
    """Room for the CMS blob: the certificates it embeds, the signature, attributes, and a
    timestamp token. Fixed up front so pyHanko need not build a dummy signature per file."""
    certs = len(ts.cert.der) + sum(len(c.public_bytes(Encoding.DER)) for c in ts.chain)
    raw = 3072 + certs + (10240 if timestamper is not None else 0)
    return 2 * raw    # pyHanko counts the hex digits of /Contents


# --- one file: signed in memory on the token thread, then verified and written ------------------
class _Signing:
    """What a batch makes once on the token thread: the pyHanko signer and the CMS reservation."""

    def __init__(self, ts: TokenSession, timestamper: Any) -> None:
        self.ts, self.timestamper = ts, timestamper
        self.reserve = _reserve(ts, timestamper)
        self._signer: Any = None

    def signer(self) -> Any:
        if self._signer is None:
            self._signer = _station_signer(self.ts)
        return self._signer


@dataclass
class _Unwritten:
    """A file signed in memory, not yet verified nor written: nothing outside may see it as signed."""

    source: Path
    dst: Path
    data: bytes
    role: str
    field: str
    signer: str
    signed_at: datetime
    rect: tuple[int, int, int, int]
    timestamped: bool
    started: float          # perf_counter() when its signing began
    token_seconds: float
    cpu_seconds: float      # CPU time of the token thread for it


def sign_file(ts: TokenSession, src: str | Path, dst: str | Path, opts: SignOptions,
              *, timestamper: Any = None) -> SignedFile:
    """Sign ``src`` into ``dst`` (may be the same path): signed on the token thread, then verified
    and written atomically on the calling thread. Raises if it does not verify (nothing written)."""
    u = ts.thread.call(_sign_in_memory, _Signing(ts, timestamper), Path(src), Path(dst), opts)
    return _verify_and_write(u, opts.trust_roots)


def _sign_in_memory(ctx: _Signing, src: Path, dst: Path, opts: SignOptions) -> _Unwritten:
    """Token thread: read ``src`` once, stamp it and sign it; the result stays in memory."""
    from pyhanko.sign import fields, signers

    ts = ctx.ts
    t0, c0 = time.perf_counter(), time.thread_time()
    tok0 = ts.stats.token_seconds
    try:
        data = src.read_bytes()
    except OSError as e:
        raise NotSignableError(f"Cannot read {src}: {e.strerror or e}", f"Không đọc được tệp {src}",
                               field="pdf") from e
    w = _open_reader(data, src.name)
    signed_at = datetime.now(timezone(opts.utc_offset)).replace(microsecond=0)
    box = _page1_box(w, src.name)
    if opts.role == "clerk":
        font = stamps.font_for_pdf(stamps.find_font("sans", opts.stamp_font))
        scan_time = opts.scan_time or _pdf_creation_time(w) or signed_at
        spec = stamps.clerk_stamp(opts.signer_name or ts.signer_name, scan_time.astimezone(signed_at.tzinfo),
                                  font=font)
    else:
        font = stamps.font_for_pdf(stamps.find_font("serif", opts.copy_font))
        spec = stamps.copy_stamp(opts.org_name or "", signed_at, font=font)
    rect = stamps.stamp_box(spec, box)
    field_name = _unique_field(w, FIELD_NAMES[opts.role])
    meta = signers.PdfSignatureMetadata(
        field_name=field_name, md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES,
        reason=opts.reason or ("Số hóa hồ sơ" if opts.role == "clerk" else "Sao y bản điện tử"),
        location=opts.location, name=ts.signer_name)
    pdf_signer = _pdf_signer(meta, ctx.signer(), style=stamps.pyhanko_style(spec),
                             field_spec=fields.SigFieldSpec(field_name, on_page=0, box=rect),
                             timestamper=ctx.timestamper, signed_at=signed_at)
    try:
        # in_place: the signature revision is appended to the buffer already holding the input
        # (no second 9 MB copy); large chunks keep pyHanko's copy/digest loops short.
        out = asyncio.run(pdf_signer.async_sign_pdf(w, in_place=True, bytes_reserved=ctx.reserve,
                                                    chunk_size=_CHUNK,
                                                    appearance_text_params={"stamp_text": "\n".join(spec.lines)}))
    except ScanStationError:
        raise
    except Exception as e:  # pyHanko wraps token errors; find ours underneath
        cause = e
        while cause is not None and not isinstance(cause, ScanStationError):
            cause = cause.__cause__ or cause.__context__
        if cause is not None:
            raise cause from e
        raise SigningError(f"Signing {src.name} failed: {e}", f"Ký tệp {src.name} không thành công", field="pdf") from e
    return _Unwritten(source=src, dst=dst, data=out.getvalue(), role=opts.role, field=field_name,
                      signer=ts.signer_name, signed_at=signed_at, rect=rect, timestamped=ctx.timestamper is not None,
                      started=t0, token_seconds=ts.stats.token_seconds - tok0, cpu_seconds=time.thread_time() - c0)


_CHUNK = 1 << 20


def _verify_and_write(u: _Unwritten, trust_roots: TrustStore | list[x509.Certificate]) -> SignedFile:
    """Any thread but the token's: verify the signed bytes, then write them atomically (fsync).

    The check is independent of the signing: the final bytes are parsed again, their signed byte
    ranges hashed again (not the digest the signer computed) and the signature checked against
    that and the trust roots."""
    c0 = time.thread_time()
    rep = verify_bytes(u.data, trust_roots, name=u.dst.name, last_only=True)
    last = rep.signatures[-1] if rep.signatures else None
    if not (rep.ok and last and last.field == u.field):
        problems = "; ".join(rep.problems) or "no signature found"
        raise SignatureVerificationError(f"{u.source.name}: the signed file did not verify ({problems}); not kept",
                                         f"Tệp {u.source.name} sau khi ký không kiểm tra được chữ ký; "
                                         "tệp không được lưu.", field="pdf")
    sha = atomic_write_bytes(u.dst, u.data)
    return SignedFile(source=str(u.source), path=str(u.dst), sha256=sha, size=len(u.data), role=u.role,
                      field=u.field, signer=u.signer, signed_at=u.signed_at, page=1, rect=u.rect,
                      timestamped=u.timestamped, seconds=time.perf_counter() - u.started,
                      token_seconds=u.token_seconds, cpu_seconds=u.cpu_seconds + time.thread_time() - c0)


# --- batches -------------------------------------------------------------------------------------
def _already_done(dst: Path, ts: TokenSession, opts: SignOptions) -> SignedFile | None:
    """A file an earlier (interrupted) run signed: valid, and its last signature is ours for this role."""
    if not dst.is_file():
        return None
    from scanstation.signing.verify import verify_file

    rep = verify_file(dst, opts.trust_roots)
    if not rep.ok or not rep.signatures:
        return None
    last = rep.signatures[-1]
    if last.role != opts.role or last.certificate_serial != ts.cert.serial:
        return None
    return SignedFile(source="", path=str(dst), sha256=rep.sha256, size=rep.size, role=opts.role,
                      field=last.field, signer=last.signer, signed_at=last.signing_time or datetime.now(),
                      page=last.page or 1, rect=tuple(last.rect or (0, 0, 0, 0)),   # type: ignore[arg-type]
                      timestamped=last.timestamp_time is not None, skipped=True)


def make_timestamper(tsa_url: str | None, timeout: float = 5.0) -> tuple[Any, str | None]:
    """(timestamper, problem): an HTTP RFC 3161 client when the TSA answers a probe, else (None, why)."""
    if not tsa_url:
        return None, None
    from pyhanko.sign.timestamps import HTTPTimeStamper

    tsr = HTTPTimeStamper(tsa_url, timeout=timeout)
    try:
        asyncio.run(tsr.async_timestamp(b"\0" * 32, "sha256"))
    except Exception as e:  # noqa: BLE001 - any failure means: sign offline, and say why
        log.warning("timestamp authority %s unreachable, signing offline: %s", tsa_url, e)
        return None, f"{type(e).__name__}: {e}"
    return tsr, None


def sign_batch(ts: TokenSession, items: Sequence[tuple], opts: SignOptions,
               progress: Progress = NULL_PROGRESS) -> BatchResult:
    """Sign every ``(source, destination[, overrides])`` with one logged-in session.

    ``overrides`` is a dict of :class:`SignOptions` fields for that file (e.g. its ``scan_time``).

    Bad input (a PDF that is not ours, a damaged file) is recorded in ``failed`` and the batch
    goes on; a token problem (removed, PIN refused) or a failed write (disk full) stops it, leaving
    that file and the rest in ``pending``. ``signed`` and ``failed`` are in the order of ``items``.

    The work overlaps: while the token thread signs file N in memory, writer threads verify and
    write (atomically, fsync) files N-1 and N-2. A file is listed in ``signed`` only once it is
    verified and written; nothing is left running when this returns or raises.
    """
    res = BatchResult()
    timestamper, res.tsa_problem = make_timestamper(opts.tsa_url)
    res.tsa_used = timestamper is not None
    todo = [(Path(it[0]), Path(it[1]), it[2] if len(it) > 2 else {}) for it in items]   # type: ignore[misc]
    ctx = _Signing(ts, timestamper)
    writers = ThreadPoolExecutor(max_workers=WRITERS, thread_name_prefix=WRITER_THREAD_NAME)
    inflight: deque[tuple[int, Future[SignedFile]]] = deque()    # (index, verify + write), oldest first
    unwritten_at: list[int] = []      # files whose write failed (disk full...): they stay pending
    signing: Future[_Unwritten] | None = None

    def settle(keep: int = 0) -> bool:
        """Record the oldest files being written until ``keep`` remain; False once a write failed."""
        while len(inflight) > keep:
            j, fut = inflight.popleft()
            try:
                res.signed.append(fut.result())
            except SignatureVerificationError as e:
                res.failed.append({"source": str(todo[j][0]), **e.to_dict()})
            except StorageError as e:   # disk full, folder not writable: the batch stops
                res.stopped = res.stopped or e
                unwritten_at.append(j)
        return not unwritten_at

    def stop(at: int, why: ScanStationError | None = None) -> None:
        """End the batch: items from ``at`` on were not signed (files being written are recorded first)."""
        settle()
        res.stopped = res.stopped or why
        res.pending = [str(todo[j][0]) for j in unwritten_at] + [str(t[0]) for t in todo[at:]]

    try:
        for i, (src, dst, overrides) in enumerate(todo):
            o = dataclasses.replace(opts, **overrides) if overrides else opts
            progress.check("signing")
            progress.report(i, len(todo), src.name)
            if any(_touches(todo[j][1], src, dst) for j, _ in inflight) and not settle():
                stop(i)                 # (an item reading or replacing a file still being written waits for it)
                break
            done = _already_done(dst, ts, o) if dst != src else None
            if done is not None:
                if not settle():
                    stop(i)
                    break
                res.signed.append(SignedFile(**{**done.__dict__, "source": str(src)}))
                continue
            signing = ts.thread.submit(_sign_in_memory, ctx, src, dst, o)
            settle(keep=WRITERS - 1)    # meanwhile: record the oldest file being written
            try:
                unwritten = signing.result()
            except (NotSignableError, SignatureVerificationError) as e:
                ok = settle()           # earlier files' results come first
                res.failed.append({"source": str(src), **e.to_dict()})
                if not ok:
                    stop(i + 1)
                    break
                continue
            except SigningError as e:   # token removed, PIN refused, ...: stop, keep what is written
                stop(i, e)
                break
            finally:
                signing = None
            if unwritten_at:            # signed in memory, but the disk failed: dropped, stays pending
                stop(i)
                break
            inflight.append((i, writers.submit(_verify_and_write, unwritten, o.trust_roots)))
            del unwritten
        else:
            if not settle():
                stop(len(todo))
    finally:
        if signing is not None:         # leaving on an error: let the token finish, drop its result
            wait([signing])
        writers.shutdown(wait=True)     # files being written are complete before we return
    progress.report(len(todo), len(todo), "done")
    return res


WRITERS = 2     # files verified/written at once while the token thread signs the next one
WRITER_THREAD_NAME = "scanstation-sign-writer"


def _touches(writing: Path, src: Path, dst: Path) -> bool:
    """Whether an item reading ``src`` / writing ``dst`` depends on the file being written."""
    w = writing.resolve()
    return w in (src.resolve(), dst.resolve())

"""Verify signed PDFs: what the upload queue calls before a file may leave the station.

:func:`verify_file` never raises for a bad file; it returns a :class:`FileReport` whose ``ok`` is
true only when the file is a PDF with at least one signature, every signature is intact,
cryptographically valid and chains to the given trust roots, and the last signature covers the
whole file (nothing appended after it).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import io
import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from scanstation.signing.trust import TrustStore, anchor_of_path, as_store, validation_context

log = logging.getLogger(__name__)

FIELD_NAMES = {"clerk": "ScanStationClerk", "copy": "ScanStationCopy"}


def role_of_field(name: str) -> str:
    for role, base in FIELD_NAMES.items():
        if name == base or (name.startswith(base) and name[len(base):].isdigit()):
            return role
    return "unknown"


@dataclass
class SignatureReport:
    field: str
    role: str
    signer: str = ""
    signer_subject: str = ""
    certificate_serial: str = ""
    issuer: str = ""
    signing_time: datetime | None = None
    timestamp_time: datetime | None = None
    page: int | None = None            # 1-based page of the visible stamp, None if invisible
    rect: list[float] | None = None
    subfilter: str = ""
    digest_algorithm: str = ""
    intact: bool = False
    valid: bool = False
    trusted: bool = False
    coverage: str = ""                 # entire_file | entire_revision | partial
    whole_file: bool = False
    modification: str | None = None    # what later revisions changed (none, form_filling, ...)
    docmdp_ok: bool | None = None
    modification_ok: bool = False      # the changes after this signature are ones its type allows
    modification_en: str = ""          # ... in words a clerk understands
    modification_vi: str = ""
    anchor: dict[str, Any] | None = None   # the trust anchor the signer's chain reached (name, kind, fingerprint)
    chain: list[str] = dataclasses.field(default_factory=list)   # common names, anchor first, signer last
    test: bool = False                 # the chain reached a TEST certification authority (signing.trust_test_ca)
    problem: str | None = None

    def to_dict(self) -> dict:
        d = asdict(self)
        for k in ("signing_time", "timestamp_time"):
            d[k] = d[k].isoformat() if d[k] else None
        return d


@dataclass
class FileReport:
    path: str
    ok: bool = False
    signed: bool = False
    sha256: str = ""
    size: int = 0
    pdfa: dict[str, Any] | None = None       # {"part": 2, "conformance": "B"} from XMP, or None
    signatures: list[SignatureReport] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def test(self) -> bool:
        """Some signature reached a TEST certification authority (trusted only by an IT setting)."""
        return any(s.test for s in self.signatures)

    def to_dict(self) -> dict:
        return {"path": self.path, "ok": self.ok, "test": self.test, "signed": self.signed, "sha256": self.sha256,
                "size": self.size, "pdfa": self.pdfa, "signatures": [s.to_dict() for s in self.signatures],
                "problems": self.problems}


def _asn1(c: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(c.public_bytes(Encoding.DER))


#: What pyHanko's difference analysis may report for revisions after a signature: nothing, validation
#: data, or form filling (a later signature's field and appearance). Anything else is content.
ALLOWED_AFTER_SIGNING = ("none", "lta_updates", "form_filling")

#: The modification level in a clerk's words (English, Vietnamese).
MODIFICATION_WORDS: dict[str, tuple[str, str]] = {
    "none": ("nothing was changed after this signature", "không có thay đổi nào sau chữ ký này"),
    "lta_updates": ("only validation data (certificate status, timestamps) was added after this signature",
                    "sau chữ ký này chỉ bổ sung dữ liệu xác thực (trạng thái chứng thư, dấu thời gian)"),
    "form_filling": ("only later signatures or form fields were added after this signature",
                     "sau chữ ký này chỉ thêm chữ ký khác hoặc trường biểu mẫu"),
    "annotations": ("comments or drawings were added to the pages after this signature; not accepted",
                    "sau chữ ký này có người thêm ghi chú hoặc hình vẽ lên trang; không chấp nhận"),
    "other": ("the pages were changed after this signature (content added or replaced); not accepted",
              "nội dung trang bị thay đổi sau chữ ký này (thêm hoặc thay thế nội dung); không chấp nhận"),
}


def judge_modification(modification: str | None, docmdp_ok: bool | None) -> tuple[bool, str, str]:
    """Whether what changed after a signature is allowed, and that in words (English, Vietnamese)."""
    level = modification or "none"
    en, vi = MODIFICATION_WORDS.get(level, (f"unknown change after this signature ({level}); not accepted",
                                            f"thay đổi không xác định sau chữ ký này ({level}); không chấp nhận"))
    if docmdp_ok is False and level in ALLOWED_AFTER_SIGNING:
        return (False, "the signer did not allow the changes made after this signature; not accepted",
                "người ký không cho phép các thay đổi đã thực hiện sau chữ ký này; không chấp nhận")
    return level in ALLOWED_AFTER_SIGNING and docmdp_ok is not False, en, vi


def verify_file(path: str | Path, trust_roots: TrustStore | list[x509.Certificate] | None = None, *,
                at: datetime | None = None) -> FileReport:
    """Check every signature of the PDF at ``path`` against ``trust_roots`` (see module doc); certificates are
    judged at ``at`` (default: now)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        return FileReport(path=str(path), problems=[f"cannot read file: {e.strerror or e}"])
    rep = verify_bytes(data, trust_roots or [], name=path.name, at=at)
    rep.path = str(path)
    return rep


def verify_bytes(data: bytes, trust_roots: TrustStore | list[x509.Certificate], *, name: str = "",
                 last_only: bool = False, at: datetime | None = None) -> FileReport:
    """Like :func:`verify_file` on bytes. ``last_only`` checks just the newest signature (the signer's
    own check right after signing: the earlier revisions are byte-for-byte what was read)."""
    rep = FileReport(path=name, sha256="" if last_only else hashlib.sha256(data).hexdigest(), size=len(data))
    if b"%PDF-" not in data[:1024]:
        rep.problems.append("not a PDF file")
        return rep
    try:
        _verify_signatures(data, as_store(trust_roots), rep, last_only, at)
    except Exception as e:  # noqa: BLE001 - a broken file is a finding, not a crash
        log.debug("verification of %s failed", name, exc_info=True)
        rep.problems.append(f"unreadable PDF: {type(e).__name__}: {e}")
        return rep
    try:
        _read_layout(data, rep)
    except Exception as e:  # noqa: BLE001
        rep.problems.append(f"cannot read page structure: {type(e).__name__}: {e}")
    rep.signed = bool(rep.signatures)
    if not rep.signed:
        rep.problems.append("no signature")
    for s in rep.signatures:
        if not (s.intact and s.valid):
            rep.problems.append(f"signature {s.field}: {'content changed' if not s.intact else 'invalid'}")
        elif not s.trusted:
            rep.problems.append(f"signature {s.field}: signer not trusted ({s.problem or 'no trust root'})")
        if s.intact and s.valid and not s.modification_ok:
            rep.problems.append(f"signature {s.field}: {s.modification_en}")
    if rep.signatures and not rep.signatures[-1].whole_file:
        rep.problems.append("data appended after the last signature")
    rep.ok = rep.signed and not rep.problems
    return rep


def _verify_signatures(data: bytes, store: TrustStore, rep: FileReport, last_only: bool,
                       at: datetime | None = None) -> None:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import async_validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    r = PdfFileReader(io.BytesIO(data), strict=False)
    vc = validation_context(store, at=at)

    async def run() -> None:
        sigs = r.embedded_signatures
        for sig in sigs[-1:] if last_only else sigs:
            fname = sig.field_name
            s = SignatureReport(field=fname, role=role_of_field(fname))
            with contextlib.suppress(Exception):
                s.subfilter = str(sig.sig_object.get("/SubFilter", "")).lstrip("/")
            _digest_byte_ranges(sig, data)
            try:
                st = await async_validate_pdf_signature(sig, signer_validation_context=vc, skip_diff=last_only)
            except Exception as e:  # noqa: BLE001 - an unparseable signature is a finding
                s.problem = f"{type(e).__name__}: {e}"
                rep.signatures.append(s)
                continue
            cert = st.signing_cert
            s.signer = _cn(cert)
            s.signer_subject = cert.subject.human_friendly
            s.certificate_serial = format(cert.serial_number, "x")
            s.issuer = cert.issuer.human_friendly
            s.signing_time = st.signer_reported_dt
            if st.timestamp_validity is not None:
                s.timestamp_time = st.timestamp_validity.timestamp
            s.digest_algorithm = st.md_algorithm
            s.intact, s.valid, s.trusted = bool(st.intact), bool(st.valid), bool(st.trusted)
            if not s.trusted and st.trust_problem_indic is not None:
                s.problem = st.trust_problem_indic.name
            cov = st.coverage
            s.coverage = {SignatureCoverageLevel.ENTIRE_FILE: "entire_file",
                          SignatureCoverageLevel.ENTIRE_REVISION: "entire_revision"}.get(cov, "partial")
            s.whole_file = cov == SignatureCoverageLevel.ENTIRE_FILE
            ml = st.modification_level
            s.modification = ml.name.lower() if ml is not None else None
            s.docmdp_ok = st.docmdp_ok
            s.modification_ok, s.modification_en, s.modification_vi = judge_modification(s.modification, s.docmdp_ok)
            if s.trusted:
                chain = anchor_of_path(store, st.validation_path)
                s.chain = list(chain.path)
                if chain.anchor is not None:
                    s.anchor = {k: v for k, v in chain.anchor.to_dict().items() if k != "source"}
                    s.test = chain.anchor.test
            rep.signatures.append(s)

    asyncio.run(run())


def _digest_byte_ranges(sig: Any, data: bytes) -> None:
    """Hash the signed byte ranges of ``data`` in one pass (hashlib, GIL released) for pyHanko.

    pyHanko would hash them in 4 KB chunks through a Python loop (~2300 round trips for a 9 MB
    scan, slow while other threads run). This is the same computation -- the /ByteRange read from
    this file, over these bytes, independent of whatever the signer computed -- and pyHanko still
    compares it with the signed message digest. Anything unusual is left to pyHanko.
    """
    cache = getattr(sig, "external_digests", None)
    algo = getattr(sig, "external_md_algorithm", None)
    if not isinstance(cache, dict) or algo not in ("sha256", "sha384", "sha512"):
        return
    try:
        br = [int(v) for v in sig.byte_range]
    except (TypeError, ValueError):
        return
    if len(br) % 2 or any(v < 0 for v in br):
        return
    h = hashlib.new(algo)
    view = memoryview(data)
    for lo, length in zip(br[::2], br[1::2], strict=True):
        h.update(view[lo:lo + length])
    cache[algo] = h.digest()


def _cn(cert: asn1_x509.Certificate) -> str:
    native = cert.subject.native
    return str(native.get("common_name") or cert.subject.human_friendly)


def _read_layout(data: bytes, rep: FileReport) -> None:
    """Stamp page and rectangle of each signature field, and the PDF/A claim of the XMP."""
    import pikepdf

    by_name = {s.field: s for s in rep.signatures}
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for i, page in enumerate(pdf.pages, start=1):
            for annot in page.obj.get("/Annots", []) or []:
                if annot.get("/FT") != "/Sig" and annot.get("/Parent", {}).get("/FT") != "/Sig":
                    continue
                t = annot.get("/T") if "/T" in annot else annot.get("/Parent", {}).get("/T")
                s = by_name.get(str(t)) if t is not None else None
                if s is not None and s.page is None:
                    rect = [float(v) for v in annot.get("/Rect", [])]
                    if len(rect) == 4 and (rect[2] - rect[0]) > 0 and (rect[3] - rect[1]) > 0:
                        s.page, s.rect = i, rect
        try:
            status = pdf.open_metadata().pdfa_status
        except Exception:  # noqa: BLE001 - unreadable XMP: no claim
            status = ""
    if status:
        part = "".join(ch for ch in status if ch.isdigit())
        conf = "".join(ch for ch in status if ch.isalpha())
        rep.pdfa = {"part": int(part) if part else None, "conformance": conf.upper() or None, "claim": status}

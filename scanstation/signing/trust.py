"""The station's trust anchors: the Vietnamese roots it ships, what IT staff add or disable, test CAs.

Three sources, one :class:`TrustStore`:

* **shipped** — ``resources/trust/`` (index ``anchors.json``: file, tree name, root or intermediate,
  SHA-256 fingerprint checked on load). Roots are anchors; intermediates only help build a path (real
  PDFs often embed only the signer's own certificate), so disabling a root disables its tree.
* **configured** — PEM/DER files IT staff list in ``signing.trust_roots`` (or ``--trust`` on a command):
  each certificate is an anchor named by its common name.
* **test** — ``signing.trust_test_ca``: a test CA (the demo's SoftHSM CA) trusted only because a
  setting says so; signatures reaching it are reported as ``test``.

``signing.trust_disabled`` lists SHA-256 fingerprints (hex, colons optional) that are never trusted,
whatever their source.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding

from scanstation.errors import CertificateError
from scanstation.resources import resource

SHIPPED_INDEX = "anchors.json"

KIND_WORDS = {"shipped": ("shipped with the station", "đi kèm phần mềm"),
              "configured": ("added by IT staff", "do cán bộ CNTT thêm"),
              "test": ("TEST certification authority (not valid for real dossiers)",
                       "tổ chức chứng thực THỬ NGHIỆM (không dùng cho hồ sơ thật)")}


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 of the DER certificate, upper-case hex with colons (as issuers publish it)."""
    return cert.fingerprint(hashes.SHA256()).hex(":").upper()


def normalise_fingerprint(fp: str) -> str:
    h = "".join(ch for ch in fp if ch not in ": \t").upper()
    if len(h) != 64 or any(ch not in "0123456789ABCDEF" for ch in h):
        raise CertificateError(f"'{fp}' is not a SHA-256 fingerprint (64 hex digits, colons optional)",
                               f"'{fp}' không phải dấu vân tay SHA-256 (64 chữ số hex)", field="trust")
    return ":".join(h[i:i + 2] for i in range(0, 64, 2))


def _cn(cert: x509.Certificate) -> str:
    from scanstation.signing.certs import common_name

    return common_name(cert.subject)


@dataclass(frozen=True)
class Anchor:
    """One certificate of the trust store."""

    name: str                 # what a clerk reads: "Ban Cơ yếu Chính phủ", "NEAC", or the CA's common name
    subject: str              # the certificate's common name
    fingerprint: str
    role: str                 # root | intermediate
    kind: str                 # shipped | configured | test
    source: str               # the file it came from
    not_after: datetime
    cert: x509.Certificate = field(repr=False, compare=False)

    @property
    def test(self) -> bool:
        return self.kind == "test"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "subject": self.subject, "fingerprint": self.fingerprint, "role": self.role,
                "kind": self.kind, "test": self.test, "source": self.source,
                "not_after": self.not_after.isoformat(), "kind_en": KIND_WORDS[self.kind][0],
                "kind_vi": KIND_WORDS[self.kind][1]}


@dataclass
class TrustStore:
    """What this station trusts: roots (anchors), intermediates (path helpers), and what IT disabled."""

    anchors: list[Anchor] = field(default_factory=list)
    disabled: list[Anchor] = field(default_factory=list)

    @property
    def roots(self) -> list[x509.Certificate]:
        return [a.cert for a in self.anchors if a.role == "root"]

    @property
    def intermediates(self) -> list[x509.Certificate]:
        return [a.cert for a in self.anchors if a.role == "intermediate"]

    def anchor_of(self, cert: x509.Certificate | asn1_x509.Certificate | bytes) -> Anchor | None:
        """The root anchor whose certificate this is (by fingerprint), or None."""
        der = cert if isinstance(cert, bytes) else (cert.dump() if isinstance(cert, asn1_x509.Certificate)
                                                    else cert.public_bytes(Encoding.DER))
        fp = fingerprint(x509.load_der_x509_certificate(der))
        return next((a for a in self.anchors if a.fingerprint == fp and a.role == "root"), None)

    def to_dict(self) -> dict[str, Any]:
        return {"anchors": [a.to_dict() for a in self.anchors], "disabled": [a.to_dict() for a in self.disabled]}


def _read_certs(path: Path) -> list[x509.Certificate]:
    from scanstation.signing.certs import load_trust_roots

    return load_trust_roots([path])


def load_shipped(folder: Path | None = None) -> list[Anchor]:
    """The anchors of a folder laid out like ``resources/trust`` (an ``anchors.json`` index and PEM files).

    A listed file that is missing or whose fingerprint differs from the index is an error: a damaged
    or swapped anchor must stop the station, not be trusted or silently dropped."""
    folder = folder or resource("trust")
    index = folder / SHIPPED_INDEX
    try:
        data = json.loads(index.read_text("utf-8"))
        entries = data["anchors"]
        if not isinstance(entries, list):
            raise TypeError("anchors must be a list")
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise CertificateError(f"Trust anchor index {index} is missing or malformed: {e}",
                               f"Danh mục chứng thư gốc {index} bị thiếu hoặc hỏng", field="trust") from e
    out: list[Anchor] = []
    for i, ent in enumerate(entries):
        if not isinstance(ent, dict) or not all(isinstance(ent.get(k), str) for k in ("file", "anchor", "role",
                                                                                        "sha256")):
            raise CertificateError(f"{index}: entry {i + 1} needs file, anchor, role and sha256",
                                   f"{index}: mục {i + 1} thiếu thông tin", field="trust")
        if ent["role"] not in ("root", "intermediate"):
            raise CertificateError(f"{index}: entry {i + 1}: role must be root or intermediate",
                                   f"{index}: mục {i + 1}: vai trò không hợp lệ", field="trust")
        path = folder / ent["file"]
        certs = _read_certs(path)
        if len(certs) != 1:
            raise CertificateError(f"{path} must hold exactly one certificate", f"{path} phải chứa đúng một chứng thư",
                                   field="trust")
        cert, want = certs[0], normalise_fingerprint(ent["sha256"])
        if fingerprint(cert) != want:
            raise CertificateError(f"Trust anchor {path} does not match its fingerprint in {index} "
                                   f"({fingerprint(cert)} instead of {want}); it is not trusted",
                                   f"Chứng thư gốc {path.name} không khớp dấu vân tay đã đăng ký; không tin cậy",
                                   field="trust")
        out.append(Anchor(name=ent["anchor"], subject=_cn(cert), fingerprint=want, role=ent["role"], kind="shipped",
                          source=str(path), not_after=cert.not_valid_after_utc, cert=cert))
    return out


def _from_files(files: Iterable[str | Path], kind: str) -> list[Anchor]:
    out: list[Anchor] = []
    for f in files:
        for cert in _read_certs(Path(f)):
            name = _cn(cert)
            out.append(Anchor(name=name + (" (test)" if kind == "test" else ""), subject=name,
                              fingerprint=fingerprint(cert), role="root", kind=kind, source=str(f),
                              not_after=cert.not_valid_after_utc, cert=cert))
    return out


def build_trust_store(*, extra_files: Sequence[str | Path] = (), test_files: Sequence[str | Path] = (),
                      disabled: Sequence[str] = (), shipped: bool = True,
                      shipped_dir: Path | None = None) -> TrustStore:
    """The store from the shipped anchors, IT staff's extra files and test CAs, minus disabled fingerprints."""
    off = {normalise_fingerprint(fp) for fp in disabled}
    anchors: list[Anchor] = []
    seen: set[str] = set()
    for a in (load_shipped(shipped_dir) if shipped else []) + _from_files(extra_files, "configured") \
            + _from_files(test_files, "test"):
        if a.fingerprint in seen:
            continue
        seen.add(a.fingerprint)
        anchors.append(a)
    return TrustStore(anchors=[a for a in anchors if a.fingerprint not in off],
                      disabled=[a for a in anchors if a.fingerprint in off])


def as_store(trust: TrustStore | Sequence[x509.Certificate] | None) -> TrustStore:
    """Callers that still pass a plain list of CA certificates: each is a configured root."""
    if isinstance(trust, TrustStore):
        return trust
    anchors = []
    for c in trust or ():
        anchors.append(Anchor(name=_cn(c), subject=_cn(c), fingerprint=fingerprint(c), role="root",
                              kind="configured", source="", not_after=c.not_valid_after_utc, cert=c))
    return TrustStore(anchors=anchors)


@dataclass(frozen=True)
class ChainResult:
    anchor: Anchor | None
    path: tuple[str, ...] = ()          # common names, anchor first, signer last
    problem: str = ""


def validation_context(store: TrustStore, *, at: datetime | None = None,
                       extra_certs: Sequence[x509.Certificate] = ()) -> Any:
    from pyhanko_certvalidator import ValidationContext

    def a1(c: x509.Certificate) -> asn1_x509.Certificate:
        return asn1_x509.Certificate.load(c.public_bytes(Encoding.DER))

    kw: dict[str, Any] = {"moment": at, "best_signature_time": at} if at else {}
    return ValidationContext(trust_roots=[a1(c) for c in store.roots],
                             other_certs=[a1(c) for c in [*store.intermediates, *extra_certs]],
                             allow_fetching=False, revocation_mode="soft-fail", **kw)


def anchor_of_path(store: TrustStore, path: Any) -> ChainResult:
    """Name the anchor a pyHanko validation path ends at."""
    if path is None:
        return ChainResult(None, (), "no path")
    certs = list(path.iter_certs(include_root=True)) if hasattr(path, "iter_certs") else []
    names = tuple(str(c.subject.native.get("common_name") or c.subject.human_friendly) for c in certs)
    anchor = None
    try:
        root = path.trust_anchor.authority.certificate  # a CertTrustAnchor
        anchor = store.anchor_of(root)
    except AttributeError:
        anchor = None
    if anchor is None and certs:
        anchor = store.anchor_of(certs[0])
    return ChainResult(anchor, names)


def chain_to_anchor(cert_der: bytes, store: TrustStore, intermediates: Sequence[x509.Certificate] = (),
                    at: datetime | None = None) -> ChainResult:
    """Build a path from a certificate to the store's anchors; name the anchor, or say why there is none."""
    from pyhanko_certvalidator import CertificateValidator
    from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError

    if not store.roots:
        return ChainResult(None, (), "no trusted certification authority is configured")
    at = at or datetime.now(UTC)
    ctx = validation_context(store, at=at, extra_certs=intermediates)
    v = CertificateValidator(asn1_x509.Certificate.load(cert_der), validation_context=ctx)
    try:
        path = asyncio.run(v.async_validate_path())
    except PathBuildingError:
        return ChainResult(None, (), "does not chain to a trusted certification authority")
    except PathValidationError as e:
        return ChainResult(None, (), f"certificate chain not valid: {e}")
    except (ValueError, TypeError) as e:   # a certificate the validator cannot parse: a finding, not a crash
        return ChainResult(None, (), f"certificate not readable: {type(e).__name__}: {e}")
    return anchor_of_path(store, path)

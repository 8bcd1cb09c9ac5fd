"""Certificates: what a clerk sees about them, and the checks made before anything is signed."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.x509.oid import NameOID

from scanstation.errors import (
    CertificateError,
    CertificateExpiredError,
    CertificateNotYetValidError,
    CertificateUntrustedError,
    CertificateUsageError,
)
from scanstation.signing.trust import ChainResult, TrustStore, anchor_of_path, as_store, validation_context

KEY_USAGE_NAMES = ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
                   "key_agreement", "key_cert_sign", "crl_sign")


@dataclass(frozen=True)
class CertInfo:
    """A certificate as the sign dialog shows it (never holds a key)."""

    id_hex: str                   # CKA_ID of the certificate object on the token
    label: str
    subject: str
    common_name: str
    issuer: str
    serial: str                   # hex
    not_before: datetime
    not_after: datetime
    key_usage: tuple[str, ...]
    extended_key_usage: tuple[str, ...] = ()
    key_type: str = ""            # "RSA 2048", "EC secp256r1" ...
    is_ca: bool = False
    der: bytes = field(default=b"", repr=False, compare=False)
    holder: str = "unknown"       # organisation | person | unknown (holder_kind: from the subject)
    holder_evidence: str = ""     # what in the subject said so (attribute and prefix, never the number)

    @property
    def can_sign(self) -> bool:
        return not self.is_ca and bool({"digital_signature", "content_commitment"} & set(self.key_usage))

    def valid_at(self, at: datetime) -> bool:
        return self.not_before <= at <= self.not_after

    def to_dict(self) -> dict:
        d = asdict(self)
        d.pop("der")
        d["not_before"] = self.not_before.isoformat()
        d["not_after"] = self.not_after.isoformat()
        d["key_usage"] = list(self.key_usage)
        d["extended_key_usage"] = list(self.extended_key_usage)
        d["can_sign"] = self.can_sign
        return d


def common_name(name: x509.Name) -> str:
    cns = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(cns[0].value) if cns else name.rfc4514_string()


def cert_info(cert: x509.Certificate | bytes, *, id_hex: str = "", label: str = "") -> CertInfo:
    if isinstance(cert, bytes | bytearray):
        cert = x509.load_der_x509_certificate(bytes(cert))
    usages: list[str] = []
    try:
        ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
        for n in KEY_USAGE_NAMES:
            if getattr(ku, n):
                usages.append(n)
    except x509.ExtensionNotFound:
        pass
    ekus: list[str] = []
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        ekus = [getattr(o, "_name", None) or o.dotted_string for o in eku]
    except x509.ExtensionNotFound:
        pass
    is_ca = False
    with contextlib.suppress(x509.ExtensionNotFound):
        is_ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    pk = cert.public_key()
    key_type = type(pk).__name__
    if hasattr(pk, "key_size") and hasattr(pk, "public_numbers") and hasattr(pk.public_numbers(), "e"):
        key_type = f"RSA {pk.key_size}"
    elif hasattr(pk, "curve"):
        key_type = f"EC {pk.curve.name}"
    from cryptography.hazmat.primitives.serialization import Encoding

    holder, evidence = holder_kind(cert.subject)
    return CertInfo(id_hex=id_hex, label=label, subject=cert.subject.rfc4514_string(),
                    common_name=common_name(cert.subject), issuer=cert.issuer.rfc4514_string(),
                    serial=format(cert.serial_number, "x"), not_before=cert.not_valid_before_utc,
                    not_after=cert.not_valid_after_utc, key_usage=tuple(usages),
                    extended_key_usage=tuple(ekus), key_type=key_type, is_ca=is_ca,
                    der=cert.public_bytes(Encoding.DER), holder=holder, holder_evidence=evidence)


# Vietnamese CAs (VNPT-CA, Viettel-CA, FPT-CA, BKAV-CA, MISA-CA, NC-CA...) write the holder's identifier
# into the subject as UID (0.9.2342.19200300.100.1.1) attributes, the identifier type as a prefix:
# a person's CMND:/CCCD:/HC: (passport), an organisation's MST: (tax code) or MNS: (budget-unit code
# of a state body). A person working for an organisation carries both (UID=MST:<employer>,
# UID=CCCD:<own number>, CN=<own name>): that certificate is the person's. See docs/counter.md.
PERSON_UID_PREFIXES = ("CMND:", "CCCD:", "HC:", "CMT:", "PASSPORT:", "SDDCN:")
ORG_UID_PREFIXES = ("MST:", "MNS:", "MDV:")


def holder_kind(subject: x509.Name) -> tuple[str, str]:
    """Whether a certificate's subject is an organisation's or a person's, and what said so.

    A personal identifier (CMND/CCCD/passport UID) makes it a person's, whatever else it carries;
    otherwise an organisation identifier (MST/MNS UID) makes it an organisation's; a subject with no
    such UID whose common name is its organisation name (CN = O, as organisation certificates are
    issued) is an organisation's too. Anything else is "unknown".
    """
    uids = [str(a.value).strip().upper() for a in subject.get_attributes_for_oid(NameOID.USER_ID)]
    for u in uids:
        for p in PERSON_UID_PREFIXES:
            if u.startswith(p):
                return "person", f"UID {p}"
    for u in uids:
        for p in ORG_UID_PREFIXES:
            if u.startswith(p):
                return "organisation", f"UID {p}"
    cn = [str(a.value).strip().casefold() for a in subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    org = [str(a.value).strip().casefold() for a in subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)]
    if cn and org and cn[0] == org[0]:
        return "organisation", "CN = O"
    return "unknown", ""


def load_trust_roots(paths: list[str | Path]) -> list[x509.Certificate]:
    """Load PEM/DER CA certificates (a PEM file may hold several)."""
    roots: list[x509.Certificate] = []
    for p in paths:
        p = Path(p)
        try:
            data = p.read_bytes()
        except OSError as e:
            raise CertificateError(f"Cannot read trust root {p}: {e.strerror or e}",
                                   f"Không đọc được chứng thư gốc tin cậy {p}", field="trust") from e
        try:
            if b"-----BEGIN" in data:
                roots.extend(x509.load_pem_x509_certificates(data))
            else:
                roots.append(x509.load_der_x509_certificate(data))
        except ValueError as e:
            raise CertificateError(f"{p} is not a certificate file (PEM or DER)",
                                   f"Tệp {p} không phải chứng thư số (PEM hoặc DER)", field="trust") from e
    return roots


def _fmt(d: datetime) -> str:
    return d.astimezone(UTC).strftime("%d/%m/%Y %H:%M UTC")


def check_signing_certificate(cert: CertInfo, trust_roots: TrustStore | list[x509.Certificate],
                              intermediates: list[x509.Certificate] | None = None,
                              at: datetime | None = None) -> ChainResult:
    """Refuse a certificate that must not sign now: validity, key usage, chain to the trust anchors.
    Returns the chain that was built (which anchor it reached)."""
    at = at or datetime.now(UTC)
    who = cert.common_name
    if at < cert.not_before:
        raise CertificateNotYetValidError(
            f"Certificate of {who} is not valid before {_fmt(cert.not_before)}",
            f"Chứng thư số của {who} chưa có hiệu lực (hiệu lực từ {_fmt(cert.not_before)}). "
            "Hãy kiểm tra đồng hồ máy tính hoặc liên hệ nhà cung cấp chữ ký số.", field="certificate")
    if at > cert.not_after:
        raise CertificateExpiredError(
            f"Certificate of {who} expired on {_fmt(cert.not_after)}",
            f"Chứng thư số của {who} đã hết hạn ngày {_fmt(cert.not_after)}. "
            "Hãy gia hạn chứng thư số với nhà cung cấp.", field="certificate")
    if not cert.can_sign:
        raise CertificateUsageError(
            f"Certificate of {who} does not allow signing (key usage: {', '.join(cert.key_usage) or 'none'})",
            f"Chứng thư số của {who} không được phép dùng để ký số (mục đích sử dụng khóa không phù hợp).",
            field="certificate")
    store = as_store(trust_roots)
    if not store.roots:
        raise CertificateUntrustedError(
            "No trusted certification authority is configured (every anchor is disabled by signing.trust_disabled "
            "and signing.trust_roots is empty)",
            "Chưa cấu hình chứng thư gốc của tổ chức cung cấp dịch vụ chứng thực chữ ký số tin cậy. "
            "Hãy báo cán bộ CNTT.", field="trust")
    return _check_chain(cert, store, intermediates or [], at)


def _check_chain(cert: CertInfo, store: TrustStore, intermediates: list[x509.Certificate],
                 at: datetime) -> ChainResult:
    from pyhanko_certvalidator import CertificateValidator
    from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError

    ctx = validation_context(store, at=at, extra_certs=intermediates)
    validator = CertificateValidator(asn1_x509.Certificate.load(cert.der), validation_context=ctx)
    try:
        path = asyncio.run(validator.async_validate_path())
    except PathBuildingError as e:
        raise CertificateUntrustedError(
            f"Certificate of {cert.common_name} (issuer {cert.issuer}) does not chain to a trusted CA",
            f"Chứng thư số của {cert.common_name} không do tổ chức chứng thực tin cậy cấp "
            f"(nơi cấp: {cert.issuer}).", field="certificate") from e
    except PathValidationError as e:
        raise CertificateUntrustedError(
            f"Certificate chain of {cert.common_name} is not valid: {e}",
            f"Chuỗi chứng thư số của {cert.common_name} không hợp lệ (chứng thư cấp trên hết hạn, "
            "bị thu hồi hoặc sai chữ ký).", field="certificate") from e
    return anchor_of_path(store, path)


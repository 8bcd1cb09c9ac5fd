"""The domain: dossiers, parties, components, pages, output files and audit events, as plain data."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any


class PartyKind(StrEnum):
    CITIZEN = "citizen"
    FOREIGNER = "foreigner"
    ORGANISATION = "organisation"


class IdType(StrEnum):
    CCCD = "cccd"            # căn cước công dân / số định danh cá nhân (12 digits)
    CMND = "cmnd"            # chứng minh nhân dân (old, 9 or 12 digits)
    PASSPORT = "passport"
    TAX_CODE = "tax_code"    # mã số thuế
    ORG_CODE = "org_code"    # mã định danh cơ quan, tổ chức
    NONE = "none"            # no identifier: name + birth date / founding year instead


class DigitisationClass(StrEnum):
    MUST = "must"                    # phải số hóa
    ON_REQUEST = "on_request"        # số hóa theo yêu cầu (có phí)
    NOT_DIGITISED = "not_digitised"  # không số hóa (reason required)


class Side(StrEnum):
    FRONT = "front"
    BACK = "back"


class PageVariant(StrEnum):
    NORMAL = "normal"
    WITH_NOTE = "with_note"          # scanned with the sticky note on
    NOTE_REMOVED = "note_removed"    # the same page scanned again with the note removed


class DossierStatus(StrEnum):
    INTAKE = "intake"
    CAPTURING = "capturing"
    CHECKED = "checked"
    ASSEMBLED = "assembled"
    SIGNED = "signed"
    QUEUED = "queued"
    UPLOADED = "uploaded"
    REVOKED = "revoked"

    @property
    def finished(self) -> bool:
        return self in (DossierStatus.QUEUED, DossierStatus.UPLOADED, DossierStatus.REVOKED)


class SignatureRole(StrEnum):
    CLERK = "clerk"   # the one-stop clerk who scanned (seed 002: top left of page 1)
    COPY = "copy"     # organisation's certified electronic copy, SAO Y (Nghị định 30/2020)


def new_id() -> str:
    return uuid.uuid4().hex


@dataclass
class Party:
    kind: PartyKind
    name: str
    id_type: IdType = IdType.NONE
    id_number: str = ""
    birth_date: date | None = None       # person without identifier
    founding_year: int | None = None     # organisation without identifier

    @property
    def file_identifier(self) -> str:
        """What names this party's files: its identifier, or name + birth date / founding year."""
        if self.id_type != IdType.NONE and self.id_number:
            return self.id_number
        suffix = self.birth_date.strftime("%d%m%Y") if self.birth_date else (str(self.founding_year or ""))
        return f"{self.name}_{suffix}" if suffix else self.name


@dataclass
class DocumentMetadata:
    """The ten fields seed 002 asks for each digitised paper (dữ liệu đặc tả)."""

    document_type_code: str = ""                 # 1. mã loại giấy tờ
    holder_identifier: str = ""                  # 2. số định danh / mã định danh tổ chức
    holder_name: str = ""                        #    ... or name + birth date / founding year
    holder_birth_date: date | None = None
    holder_founding_year: int | None = None
    document_name: str = ""                      # 3. tên giấy tờ
    number_symbol: str = ""                      # 4. số, ký hiệu
    issue_date: date | None = None               # 5. ngày, tháng, năm cấp
    issuing_body: str = ""                       # 6. cơ quan cấp
    summary: str = ""                            # 7. trích yếu nội dung
    valid_until: date | None = None              # 8. thời hạn có hiệu lực (nếu có)
    validity_scope: str = ""                     # 9. phạm vi có hiệu lực (nếu có)
    extra: dict[str, str] = field(default_factory=dict)  # 10. khác theo pháp luật chuyên ngành


@dataclass
class Page:
    """One image file of one side of one sheet."""

    sheet: int
    side: Side
    file: str                                    # path relative to the dossier's work folder
    sha256: str
    id: str = field(default_factory=new_id)
    variant: PageVariant = PageVariant.NORMAL
    device: str = ""
    dpi: tuple[int, int] = (0, 0)
    mode: str = ""                               # PIL mode of the stored image: RGB, L, 1 ...
    width: int = 0
    height: int = 0
    captured_at: datetime | None = None
    kept: bool = True
    excluded_reason: str | None = None           # a dropped page is excluded, never deleted
    qc: dict[str, Any] | None = None


@dataclass
class Component:
    """Thành phần hồ sơ: one paper of the dossier, which becomes one PDF/A file."""

    name: str
    document_type_code: str
    id: str = field(default_factory=new_id)
    digitisation_class: DigitisationClass = DigitisationClass.MUST
    not_digitised_reason: str = ""
    declared_sheets: int = 0
    duplex: bool = True
    metadata: DocumentMetadata = field(default_factory=DocumentMetadata)
    pages: list[Page] = field(default_factory=list)
    role: str = "input"                          # input (the applicant's paper) | result (digitised by the records officer)
    reused_document_id: str = ""                 # not digitised: already held as valid electronic data (this id)

    @property
    def digitised(self) -> bool:
        return self.digitisation_class != DigitisationClass.NOT_DIGITISED

    def kept_pages(self) -> list[Page]:
        return [p for p in self.pages if p.kept]


@dataclass
class SignatureInfo:
    role: SignatureRole
    signer: str
    signed_at: datetime
    field_name: str = ""
    certificate_serial: str = ""


@dataclass
class OutputFile:
    component_id: str
    file_name: str
    sha256: str = ""
    size: int = 0
    signed: bool = False
    signatures: list[SignatureInfo] = field(default_factory=list)
    upload_job: str | None = None
    state: str = "assembled"                     # assembled | signed | queued | uploaded
    path: str = ""                               # where the current file is (work area)
    roles: list[str] = field(default_factory=list)   # signatures on it, in order: clerk, copy
    source_fingerprint: str = ""                 # what it was assembled from (kept pages + metadata)
    record_id: str = ""                          # its output_file row
    revoked_at: str = ""                         # ISO time the file was revoked (hủy hiệu lực); kept, never deleted
    revoked_reason: str = ""


@dataclass
class Dossier:
    receipt_code: str                            # mã hồ sơ
    procedure_code: str                          # mã TTHC
    procedure_name: str
    applicant: Party
    id: str = field(default_factory=new_id)
    authorising_party: Party | None = None       # ủy quyền: the account follows this party
    clerk: str = ""
    station: str = ""
    received_at: datetime | None = None
    profile_id: str = ""
    status: DossierStatus = DossierStatus.INTAKE
    components: list[Component] = field(default_factory=list)
    outputs: list[OutputFile] = field(default_factory=list)

    @property
    def account_party(self) -> Party:
        """Whose account the results go to: the authorising party when there is one."""
        return self.authorising_party or self.applicant

    def component(self, component_id: str) -> Component:
        for c in self.components:
            if c.id == component_id:
                return c
        raise KeyError(component_id)


@dataclass(frozen=True)
class AuditEvent:
    seq: int
    at: datetime
    actor: str
    action: str
    dossier: str | None = None
    page: str | None = None
    file: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    prev_hash: str = ""
    hash: str = ""
    station: str = ""               # the station whose chain holds the event ("" : before per-station chains)
    mac: str | None = None          # HMAC-SHA256 of ``hash`` with the station's audit key (None: legacy)


def to_plain(obj: Any) -> Any:
    """Dataclass -> JSON-ready dict (dates as ISO strings, enums as values, tuples as lists)."""
    if hasattr(obj, "__dataclass_fields__"):
        obj = asdict(obj)
    if isinstance(obj, dict):
        return {k: to_plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_plain(v) for v in obj]
    if isinstance(obj, datetime | date):
        return obj.isoformat()
    if isinstance(obj, StrEnum):
        return obj.value
    return obj

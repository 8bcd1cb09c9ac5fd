"""Compliance profiles: the rules in force, as named data an IT person selects per station."""

from __future__ import annotations

from dataclasses import dataclass

from scanstation.errors import UnknownProfileError


@dataclass(frozen=True)
class ComplianceProfile:
    id: str
    name_en: str
    name_vi: str
    basis: str                            # the regulations this profile follows
    min_dpi: int = 200
    recommended_dpi: int = 300
    map_dpi: int = 300                    # maps and drawings
    colour_required: bool = True
    min_bit_depth: int = 24               # bits per pixel of a colour page
    blank_backs: str = "all-or-none"      # or "drop-each"
    pdfa_part: int = 2
    pdfa_conformance: str = "B"
    ocr_text_layer: bool = False
    file_naming: str = "{identifier}.{doc_type}"   # seed 003; the 2025 profile names by receipt code
    metadata_required: tuple[str, ...] = (
        "document_type_code", "holder", "document_name", "number_symbol", "issue_date", "issuing_body",
    )
    paper_size_tolerance_mm: float = 6.0


DEFAULT_PROFILE_ID = "vn-2019-seeds"

PROFILES: dict[str, ComplianceProfile] = {
    p.id: p for p in (
        ComplianceProfile(
            id=DEFAULT_PROFILE_ID,
            name_en="One-stop digitisation per the provincial guides (ND 61/2018, 107/2021, TT 01/2023, TT 02/2019)",
            name_vi="Số hóa tại Bộ phận Một cửa theo hướng dẫn của tỉnh (NĐ 61/2018, 107/2021, TT 01/2023, TT 02/2019)",
            basis="Seeds 000-004; Thông tư 02/2019/TT-BNV",
        ),
        ComplianceProfile(
            id="vn-2025",
            name_en="2025 rules (TT 05/2025/TT-BNV, ND 118/2025)",
            name_vi="Quy định năm 2025 (TT 05/2025/TT-BNV, NĐ 118/2025)",
            basis="Thông tư 05/2025/TT-BNV; Nghị định 118/2025/NĐ-CP",
            recommended_dpi=300,
            ocr_text_layer=True,
            file_naming="{receipt_code}.{seq}",
        ),
    )
}


def get_profile(profile_id: str) -> ComplianceProfile:
    try:
        return PROFILES[profile_id]
    except KeyError:
        valid = ", ".join(sorted(PROFILES))
        raise UnknownProfileError(
            f"Unknown compliance profile '{profile_id}'; valid profiles: {valid}",
            f"Không có hồ sơ tuân thủ '{profile_id}'; các giá trị hợp lệ: {valid}",
            field="compliance.profile",
        ) from None

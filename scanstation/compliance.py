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
    ocr_text_layer: bool = False          # two-layer PDF/A: image + invisible OCR text (TT 05/2025)
    image_encoding: str = "lossless"      # default pdf.image_encoding: lossless | jpeg | mrc
    enforce_capture_at_assembly: bool = False   # refuse pages below min_dpi / map_dpi / bit depth when assembling
    file_naming: str = "{identifier}.{doc_type}"   # seed 003, the one-stop naming, in both profiles by default
    archive_file_naming: str = "{receipt_code}.{seq}"   # TT 05/2025 archive-package naming, an IT choice
    metadata_required: tuple[str, ...] = (
        "document_type_code", "holder", "document_name", "number_symbol", "issue_date", "issuing_body",
    )
    paper_size_tolerance_mm: float = 6.0


#: The rules in force since 1 July 2025 (two-layer PDF/A): the default for a new station and for a
#: dossier that names no profile. The seeds' profile stays selectable (IT staff may set and lock it).
DEFAULT_PROFILE_ID = "vn-2025"
SEEDS_PROFILE_ID = "vn-2019-seeds"

PROFILES: dict[str, ComplianceProfile] = {
    p.id: p for p in (
        ComplianceProfile(
            id=SEEDS_PROFILE_ID,
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
            image_encoding="mrc",
            enforce_capture_at_assembly=True,
        ),
    )
}


PAGE_BITS = {"RGB": 24, "L": 8, "P": 8, "1": 1, "I;16": 16, "I;16B": 16}   # bits per pixel of a page's mode
COLOUR_MODES = ("RGB",)


def page_violations(profile: ComplianceProfile, mode: str, dpi: tuple[float, float], *,
                    map_or_drawing: bool = False) -> list[tuple[str, str]]:
    """What ``profile`` refuses about one page image at assembly, as (English, Vietnamese) reasons.

    Only a profile with ``enforce_capture_at_assembly`` refuses here (vn-2025); the seeds' profile
    leaves these checks to QC's findings, as before. Maps and drawings need ``map_dpi``.
    """
    if not profile.enforce_capture_at_assembly:
        return []
    out: list[tuple[str, str]] = []
    need = profile.map_dpi if map_or_drawing else profile.min_dpi
    got = min(dpi)
    if got + 0.5 < need:      # 300 dpi stored as 11811 px/m reads back as 299.9994
        what = "a map or drawing" if map_or_drawing else "a page"
        out.append((f"{got:g} dpi is below the {need} dpi the {profile.id} profile requires for {what}",
                    f"độ phân giải {got:g} dpi thấp hơn mức {need} dpi quy định"
                    + (" cho bản đồ, bản vẽ" if map_or_drawing else "")))
    bits = PAGE_BITS.get(mode, 0)
    if profile.colour_required and (mode not in COLOUR_MODES or bits < profile.min_bit_depth):
        out.append((f"{mode} image ({bits}-bit); the {profile.id} profile requires {profile.min_bit_depth}-bit colour",
                    f"ảnh {mode} ({bits} bit); quy định yêu cầu ảnh màu {profile.min_bit_depth} bit"))
    return out


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

"""Technical parameters read from the real image (dpi, colour mode, bit depth, scale) vs the profile."""

from __future__ import annotations

from scanstation.compliance import ComplianceProfile
from scanstation.qc.findings import Finding, Severity, finding
from scanstation.qc.imageio import LoadedPage

COMMON_DPI = (72, 96, 100, 150, 200, 240, 300, 400, 600, 1200)
COLOUR_MODES = {"RGB", "RGBA", "RGBX", "CMYK", "YCbCr", "LAB", "HSV"}
#: a PIL image mode in a clerk's words ("ảnh chế độ L" was jargon)
MODE_WORDS_VI = {"L": "xám (đen trắng nhiều mức)", "LA": "xám", "I;16": "xám 16 bit", "I": "xám", "P": "bảng màu rút gọn",
                 "1": "đen trắng"}
# What the PDF/A assembly embeds as captured (scanstation/pdf/images.py, FORMATS and MODES; the two
# packages may not import each other, tests/qc/test_qc_formats.py checks they agree). Anything else
# QC reports at capture, with the fix, instead of letting ``pdf`` refuse it after signing is prepared.
PDF_FORMATS = ("JPEG", "PNG", "TIFF")
PDF_MODES = ("RGB", "L", "1", "P", "I;16", "I;16B")


def technical_findings(page: LoadedPage, profile: ComplianceProfile, size_mm: tuple[float, float] | None,
                       expected_mm: tuple[float, float] | None) -> list[Finding]:
    out: list[Finding] = []
    n = page.name
    if page.dpi is None:
        est = ""
        est_vi = ""
        if expected_mm:
            # without a dpi the long side was assumed to be the paper's: correct by the sheet found in it
            long_px = max(page.width, page.height)
            if size_mm and size_mm[1] > 0:
                long_px = size_mm[1] * long_px / 297.0
            d = round(long_px / (max(expected_mm) / 25.4))
            common = min(COMMON_DPI, key=lambda c: abs(c - d))
            d = common if abs(common - d) <= 0.05 * common else d
            est, est_vi = f" (about {d} dpi if this is a full page)", f" (khoảng {d} dpi nếu là trang đầy đủ)"
        out.append(finding(
            "DPI_MISSING", Severity.BLOCK,
            f"{n}: the image does not record its resolution{est}; the PDF would have the wrong size",
            f"{n}: ảnh không ghi độ phân giải{est_vi}; tệp PDF sẽ sai kích thước"))
    else:
        dx, dy = page.dpi
        out.extend(_true_resolution(page, profile, size_mm, expected_mm))
        if min(dx, dy) < profile.min_dpi:
            out.append(finding(
                "DPI_TOO_LOW", Severity.BLOCK,
                f"{n}: {min(dx, dy)} dpi is below the required {profile.min_dpi} dpi; rescan",
                f"{n}: độ phân giải {min(dx, dy)} dpi thấp hơn mức tối thiểu {profile.min_dpi} dpi; hãy quét lại",
                overridable=False))
        if abs(dx - dy) > max(1, 0.01 * max(dx, dy)):
            out.append(finding(
                "DPI_UNEQUAL", Severity.WARN,
                f"{n}: horizontal and vertical resolution differ ({dx} x {dy} dpi); the copy is stretched",
                f"{n}: độ phân giải ngang và dọc khác nhau ({dx} x {dy} dpi); bản sao bị méo"))
    if page.mode == "1" or page.bits == 1:
        out.append(finding(
            "BITONAL_IMAGE", Severity.BLOCK,
            f"{n}: black-and-white (1-bit) image: seals, signatures and colours are lost; rescan in colour",
            f"{n}: ảnh đen trắng 1 bit làm mất màu dấu, chữ ký; hãy quét lại ở chế độ màu", overridable=False))
    elif profile.colour_required and page.mode not in COLOUR_MODES and page.format != "raw":
        out.append(finding(
            "COLOUR_REQUIRED", Severity.BLOCK,
            f"{n}: {page.mode} image, but the profile requires {profile.min_bit_depth}-bit colour; rescan in colour",
            f"{n}: ảnh {MODE_WORDS_VI.get(page.mode, 'không phải ảnh màu')}, nhưng quy định yêu cầu ảnh màu; "
            "hãy đặt máy quét chế độ màu và quét lại",
            overridable=False))
    elif page.format == "raw" and profile.colour_required and page.mode != "RGB":
        out.append(finding(
            "COLOUR_REQUIRED", Severity.BLOCK,
            f"{n}: grey frame, but the profile requires colour; set the scanner to colour",
            f"{n}: ảnh xám, nhưng quy định yêu cầu ảnh màu; hãy đặt máy quét chế độ màu", overridable=False))
    if page.bits == 16:
        out.append(finding(
            "BIT_DEPTH_16", Severity.WARN,
            f"{n}: 16 bits per channel: twice the size for no visible gain; scan at 8 bits per channel",
            f"{n}: ảnh 16 bit mỗi kênh làm tệp lớn gấp đôi; nên quét 8 bit mỗi kênh"))
    out.extend(pdf_format_findings(page))
    return out


def _true_resolution(page: LoadedPage, profile: ComplianceProfile, size_mm: tuple[float, float] | None,
                     expected_mm: tuple[float, float] | None) -> list[Finding]:
    """The file's dpi against the page's measured size: a page of the expected paper measured at the
    same scale on both sides, but not at 100 %, was scanned at another resolution than the file says."""
    if not size_mm or not expected_mm or size_mm[1] <= 0 or page.dpi is None:
        return []
    es, el = sorted(expected_mm)
    rs, rl = size_mm[0] / es, size_mm[1] / el
    if abs(rs - rl) > 0.03 * max(rs, rl) or abs((rs + rl) / 2 - 1.0) < 0.08:
        return []
    recorded = min(page.dpi)
    d = round(recorded * (rs + rl) / 2)
    common = min(COMMON_DPI, key=lambda c: abs(c - d))
    d = common if abs(common - d) <= 0.05 * common else d
    low = d < profile.min_dpi
    need_en = f", below the required {profile.min_dpi} dpi" if low else ""
    need_vi = f", thấp hơn mức tối thiểu {profile.min_dpi} dpi" if low else ""
    return [finding(
        "DPI_SUSPECT", Severity.BLOCK if low else Severity.WARN,
        f"{page.name}: the file records {recorded} dpi but the page measures {size_mm[0]:.0f} x {size_mm[1]:.0f} mm; "
        f"if it is a {es:.0f} x {el:.0f} mm sheet, the true resolution is about {d} dpi{need_en}; check the "
        "scanner's resolution and rescan",
        f"{page.name}: tệp ghi {recorded} dpi nhưng trang đo được {size_mm[0]:.0f} x {size_mm[1]:.0f} mm; nếu là tờ "
        f"{es:.0f} x {el:.0f} mm thì độ phân giải thật khoảng {d} dpi{need_vi}; kiểm tra độ phân giải máy quét "
        "và quét lại")]


def pdf_format_findings(page: LoadedPage) -> list[Finding]:
    """One rule with the PDF/A assembly: what it cannot embed faithfully is a block here, with the fix."""
    if page.format == "raw":        # the station encodes raw frames itself (RGB or grey)
        return []
    n = page.name
    out: list[Finding] = []
    if page.format not in PDF_FORMATS:
        out.append(finding(
            "FILE_FORMAT_UNSUPPORTED", Severity.BLOCK,
            f"{n}: a {page.format or 'unknown'} file cannot go into the PDF/A; scan to JPEG, PNG or TIFF",
            f"{n}: tệp {page.format or 'không rõ định dạng'} không đưa được vào PDF/A; hãy quét ra JPEG, PNG hoặc TIFF",
            overridable=False))
    if page.frames > 1:
        out.append(finding(
            "MULTI_PAGE_FILE", Severity.BLOCK,
            f"{n}: the file holds {page.frames} images; scan one page per file",
            f"{n}: tệp chứa {page.frames} ảnh; hãy quét mỗi trang một tệp", overridable=False))
    if "A" in page.mode or "a" in page.mode or page.transparency:
        out.append(finding(
            "ALPHA_CHANNEL", Severity.BLOCK,
            f"{n}: the image has transparency, which PDF/A does not allow and the PDF cannot take as captured; "
            "rescan in colour (RGB) without transparency",
            f"{n}: ảnh có kênh trong suốt, PDF/A không cho phép; hãy quét lại ở chế độ màu RGB không có kênh "
            "trong suốt", overridable=False))
    elif page.mode not in PDF_MODES:
        out.append(finding(
            "COLOUR_MODEL_UNSUPPORTED", Severity.BLOCK,
            f"{n}: the {page.mode} colour model cannot be shown faithfully in the PDF/A (sRGB); rescan in "
            "colour (RGB)",
            f"{n}: hệ màu {page.mode} không hiển thị đúng trong PDF/A (sRGB); hãy quét lại ở chế độ màu RGB",
            overridable=False))
    return out

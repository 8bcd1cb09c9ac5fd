"""Technical parameters read from the real image (dpi, colour mode, bit depth, scale) vs the profile."""

from __future__ import annotations

from scanstation.compliance import ComplianceProfile
from scanstation.qc.findings import Finding, Severity, finding
from scanstation.qc.imageio import LoadedPage

COMMON_DPI = (72, 96, 100, 150, 200, 240, 300, 400, 600, 1200)
COLOUR_MODES = {"RGB", "RGBA", "RGBX", "CMYK", "YCbCr", "LAB", "HSV"}


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
            f"{n}: ảnh chế độ {page.mode}, nhưng quy định yêu cầu ảnh màu {profile.min_bit_depth} bit; hãy quét lại",
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
    if page.mode in ("RGBA", "LA", "PA"):
        out.append(finding(
            "ALPHA_CHANNEL", Severity.WARN,
            f"{n}: the image has a transparency channel, which PDF/A does not allow; it will be flattened",
            f"{n}: ảnh có kênh trong suốt, PDF/A không cho phép; sẽ được làm phẳng"))
    return out

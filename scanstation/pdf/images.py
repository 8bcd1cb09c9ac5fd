"""Checking that an image file can be a page of a PDF/A file, before anything is assembled."""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from scanstation.errors import PageImageError

# Formats img2pdf embeds without decoding: JPEG as DCT, PNG as its own deflate data, G4 TIFF as CCITT.
FORMATS = ("JPEG", "PNG", "TIFF")
# Colour models a PDF/A file with an sRGB output intent can show as captured: colour, grey, black and
# white, palette. CMYK or Lab would need another output intent; a scanner for this counter gives neither.
MODES = ("RGB", "L", "1", "P", "I;16", "I;16B")
MIN_DPI, MAX_DPI = 50.0, 9600.0   # outside this a recorded resolution is a mistake, not a scan


@dataclass(frozen=True)
class PageImage:
    """One image file read, hashed and decoded once; ``data`` is exactly what gets embedded."""

    path: Path
    data: bytes
    sha256: str
    format: str
    mode: str
    width: int
    height: int
    dpi: tuple[float, float]
    embedding: str                 # "as-captured" or "lossless-recompressed" (see docs/pdf.md)
    orientation: int = 1           # EXIF orientation (1 = upright); img2pdf turns the page accordingly

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def page_size_pt(self) -> tuple[float, float]:
        """The page size at 100 % scale, in PDF points (1/72 inch)."""
        return self.width * 72.0 / self.dpi[0], self.height * 72.0 / self.dpi[1]


def _bad(path: Path, en: str, vi: str) -> PageImageError:
    return PageImageError(f"Page image {path}: {en}", f"Ảnh trang {path}: {vi}", field=str(path))


def read_page_image(path: Path) -> PageImage:
    """Read and check one page image; raise :class:`PageImageError` naming the file if it cannot be a page."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise _bad(path, "file does not exist", "không có tệp này") from None
    except IsADirectoryError:
        raise _bad(path, "is a folder, not an image file", "là thư mục, không phải tệp ảnh") from None
    except OSError as e:
        raise _bad(path, f"cannot be read: {e.strerror or e}", f"không đọc được: {e.strerror or e}") from e
    if not data:
        raise _bad(path, "file is empty (0 bytes)", "tệp rỗng (0 byte)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        raise _bad(path, "is not an image (corrupt or unknown format)",
                   "không phải tệp ảnh (hỏng hoặc định dạng không nhận ra)") from None
    except Image.DecompressionBombError as e:
        raise _bad(path, f"is too large to be a page: {e}", "quá lớn, không thể là một trang") from None
    with im:
        fmt = im.format or ""
        if fmt not in FORMATS:
            raise _bad(path, f"is a {fmt or 'unknown'} image; pages must be JPEG, PNG or TIFF",
                       f"là ảnh {fmt or 'không rõ định dạng'}; trang phải là ảnh JPEG, PNG hoặc TIFF")
        if getattr(im, "n_frames", 1) > 1:
            raise _bad(path, f"holds {im.n_frames} images; one page per file",
                       f"chứa {im.n_frames} ảnh; mỗi tệp chỉ được là một trang")
        width, height = im.size
        if width <= 0 or height <= 0:
            raise _bad(path, "has no pixels (zero width or height)", "không có điểm ảnh (rộng hoặc cao bằng 0)")
        if "A" in im.mode or "a" in im.mode or "transparency" in im.info:
            raise _bad(path, "has an alpha channel (transparency), which PDF/A does not allow; "
                             "save the scan without transparency",
                       "có kênh trong suốt (alpha), PDF/A không cho phép; hãy lưu ảnh quét không có kênh alpha")
        if im.mode not in MODES:
            raise _bad(path, f"uses the {im.mode} colour model; pages must be colour (RGB), grey or black and white",
                       f"dùng hệ màu {im.mode}; trang phải là ảnh màu (RGB), ảnh xám hoặc đen trắng")
        dpi = im.info.get("dpi")
        try:
            dpi = (float(dpi[0]), float(dpi[1])) if dpi else None
        except (TypeError, ValueError, IndexError):
            dpi = None
        if not dpi or dpi[0] <= 0 or dpi[1] <= 0:
            raise _bad(path, "records no resolution (dpi); the page size at 100 % scale comes from the "
                             "scanner's real dpi, so an image without one cannot be a page",
                       "không ghi độ phân giải (dpi); kích thước trang 100 % tính từ dpi thật của máy quét, "
                       "nên ảnh không có dpi không thể là một trang")
        if not all(MIN_DPI <= d <= MAX_DPI for d in dpi):
            raise _bad(path, f"records an implausible resolution of {dpi[0]:g} x {dpi[1]:g} dpi",
                       f"ghi độ phân giải bất thường {dpi[0]:g} x {dpi[1]:g} dpi")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                if fmt == "PNG":   # chunk checksums: catches a flipped bit that still decodes
                    with Image.open(io.BytesIO(data)) as again:
                        again.verify()
                if fmt == "JPEG":  # 1/8 scale: libjpeg still reads every entropy-coded block, skips most IDCT
                    im.draft(im.mode, (max(1, width // 8), max(1, height // 8)))
                im.load()          # a truncated or damaged file fails here
                orientation = int(im.getexif().get(0x0112, 1) or 1)
        except Exception as e:     # noqa: BLE001 - PIL raises many types for damaged data
            raise _bad(path, f"is damaged (truncated or corrupt image data: {e})",
                       "bị hỏng (dữ liệu ảnh bị cắt cụt hoặc sai)") from e
        if fmt == "PNG":
            as_captured = not im.info.get("interlace")
        elif fmt == "TIFF":
            as_captured = im.info.get("compression") == "group4"
        else:
            as_captured = True
        mode = im.mode
    return PageImage(path=path, data=data, sha256=hashlib.sha256(data).hexdigest(), format=fmt, mode=mode,
                     width=width, height=height, dpi=dpi,
                     embedding="as-captured" if as_captured else "lossless-recompressed", orientation=orientation)

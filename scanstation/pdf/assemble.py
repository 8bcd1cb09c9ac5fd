"""One component's pages → one PDF/A file: images embedded as captured at 100 % scale, XMP, JSON sidecar."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scanstation import __version__
from scanstation.compliance import ComplianceProfile, page_violations
from scanstation.errors import PageImageError, PdfConformanceError, PdfError
from scanstation.fsio import atomic_write_bytes, atomic_write_text
from scanstation.model import DocumentMetadata, to_plain
from scanstation.pdf import textlayer, xmp
from scanstation.pdf.encode import DEFAULT_JPEG_QUALITY, ENCODINGS, EncodedPage, encode_page, reusable
from scanstation.pdf.images import PageImage, read_page_image
from scanstation.pdf.validate import PdfaCheck, check_pdfa
from scanstation.progress import NULL_PROGRESS, Progress
from scanstation.resources import resource

log = logging.getLogger(__name__)

CREATOR_TOOL = f"scanstation {__version__}"
SIDECAR_FORMAT = "scanstation.pdf-sidecar"
SIDECAR_VERSION = 1
SIDECAR_SUFFIX = ".json"           # appended to the PDF's whole name: X.pdf -> X.pdf.json
_SIZE_TOLERANCE = 0.005            # page size vs. pixels / dpi: rounding of a dpi stored in pixels per metre
_SYSTEM_SRGB = ("/usr/share/color/icc/sRGB.icc", "/usr/share/color/icc/colord/sRGB.icc")


def srgb_profile() -> bytes:
    """The sRGB ICC profile for the output intent: the bundled copy (Debian icc-profiles-free, zlib licence)."""
    for p in (resource("icc", "sRGB.icc"), *map(Path, _SYSTEM_SRGB)):
        with contextlib.suppress(OSError):
            data = p.read_bytes()
            if data[36:40] == b"acsp":
                return data
    raise PdfError("No sRGB ICC profile found (resources/icc/sRGB.icc is missing)",
                   "Không tìm thấy hồ sơ màu sRGB (thiếu tệp resources/icc/sRGB.icc); hãy cài đặt lại phần mềm")


def flavour_of(part: int, conformance: str) -> str:
    """pikepdf's name of a PDF/A level: part 2, conformance B -> '2b'."""
    fl = f"{part}{conformance.lower()}"
    if fl not in ("1b", "2b", "3b"):
        raise PdfError(f"PDF/A-{part}{conformance.upper()} is not supported (use 1B, 2B or 3B)",
                       f"Không hỗ trợ PDF/A-{part}{conformance.upper()} (chỉ hỗ trợ 1B, 2B, 3B)")
    return fl


@dataclass
class AssembledPdf:
    """A PDF/A file in memory, checked, not yet written."""

    data: bytes
    sha256: str
    flavour: str
    pages: list[PageImage]
    check: PdfaCheck
    title: str
    created_at: datetime
    metadata: DocumentMetadata
    context: dict[str, Any] = field(default_factory=dict)
    encoded: list[EncodedPage] = field(default_factory=list)
    ocr_words: list[int | None] = field(default_factory=list)   # None: no OCR data given for the page

    def page_reports(self) -> list[dict[str, Any]]:
        """Per page: the encoding used, its image bytes, any fallback and the text layer's word count."""
        out = []
        for i, page in enumerate(self.pages):
            enc = self.encoded[i] if i < len(self.encoded) else None
            out.append({"number": i + 1, "encoding": enc.encoding if enc else "lossless",
                        "bytes": enc.bytes if enc else page.size, "fallback": enc.fallback if enc else None,
                        "ocr_words": self.ocr_words[i] if i < len(self.ocr_words) else None})
        return out

    def sidecar(self, file_name: str) -> dict[str, Any]:
        """The JSON sidecar: the same metadata as the XMP, and every page's SHA-256 (format: docs/pdf.md)."""
        return {
            "format": SIDECAR_FORMAT, "version": SIDECAR_VERSION,
            "file": file_name, "sha256": self.sha256, "size": len(self.data),
            "pdfa": self.flavour.upper(), "title": self.title, "creator_tool": CREATOR_TOOL,
            "created_at": self.created_at.isoformat(),
            "xmp_namespace": xmp.NS_URI,
            "dossier": {k: self.context.get(k) for k in ("receipt_code", "procedure_code", "procedure_name")},
            "component": {k: self.context.get(k) for k in ("component_id", "component_name")},
            "metadata": to_plain(self.metadata),
            "pages": [{"number": i, "file": p.path.name, "sha256": p.sha256, "size": p.size, "format": p.format,
                       "mode": p.mode, "width_px": p.width, "height_px": p.height,
                       "dpi": [round(p.dpi[0], 3), round(p.dpi[1], 3)],
                       "size_mm": [round(p.width / p.dpi[0] * 25.4, 1), round(p.height / p.dpi[1] * 25.4, 1)],
                       "embedding": p.embedding if self._encoding(i) == "lossless" else "re-encoded",
                       **self._page_extra(i), **self.context.get("page_facts", {}).get(i, {})}
                      for i, p in enumerate(self.pages, 1)],
        }


    def _encoding(self, number: int) -> str:
        return self.encoded[number - 1].encoding if number <= len(self.encoded) else "lossless"

    def _page_extra(self, number: int) -> dict[str, Any]:
        if number > len(self.encoded):
            return {}
        enc = self.encoded[number - 1]
        extra: dict[str, Any] = {"encoding": enc.encoding, "encoded_bytes": enc.bytes, "fallback": enc.fallback}
        if enc.guard:
            extra["fidelity"] = enc.guard
        if enc.masks:
            extra["mrc"] = {"background_px": list(enc.base_px),
                            "ink_colours": [list(m.colour) for m in enc.masks]}
        words = self.ocr_words[number - 1] if number <= len(self.ocr_words) else None
        extra["text_layer"] = words is not None
        extra["ocr_words"] = words or 0
        return extra


def read_pages(images: list[Path], progress: Progress = NULL_PROGRESS) -> list[PageImage]:
    """Read and check every page before anything is built; the first bad one raises, naming its file."""
    if not images:
        raise PdfError("No page images given", "Chưa có ảnh trang nào")
    # Decoding (the check) releases the GIL: pages are read on every core, reported in order, and
    # the first bad page in order is the one named.
    with ThreadPoolExecutor(max_workers=min(len(images), os.cpu_count() or 1)) as ex:
        futs = [ex.submit(read_page_image, p) for p in images]
        pages = []
        try:
            for i, (p, f) in enumerate(zip(images, futs, strict=True)):
                progress.check("PDF assembly")
                progress.report(i, len(images), f"checking {Path(p).name}")
                pages.append(f.result())
        finally:
            for f in futs:
                f.cancel()
    return pages


def _img2pdf(pages: list[PageImage], bases: list[bytes] | None = None) -> bytes:
    import img2pdf

    # Reading EXIF orientation makes img2pdf decode every PNG a second time; ask only when a page has one.
    rotation = img2pdf.Rotation.ifvalid if any(p.orientation != 1 for p in pages) else img2pdf.Rotation.none
    try:
        return img2pdf.convert(bases or [p.data for p in pages], nodate=True, rotation=rotation)
    except Exception as e:   # noqa: BLE001 - img2pdf raises plain Exceptions; find and name the page
        for p in pages:
            try:
                img2pdf.convert(p.data, nodate=True, rotation=img2pdf.Rotation.ifvalid)
            except Exception as e1:   # noqa: BLE001
                raise PageImageError(f"Page image {p.path} cannot be embedded: {e1}",
                                     f"Không nhúng được ảnh trang {p.path}: {e1}", field=str(p.path)) from e1
        raise PdfError(f"img2pdf failed: {e}", f"Lỗi khi ghép ảnh thành PDF: {e}") from e


def _check_scale(pdf, pages: list[PageImage]) -> None:
    """Each page is exactly pixels / dpi: 100 % scale from the image's own resolution."""
    for i, (page, im) in enumerate(zip(pdf.pages, pages, strict=True), 1):
        box = [float(v) for v in page.mediabox]
        w, h = box[2] - box[0], box[3] - box[1]
        ew, eh = im.page_size_pt
        if abs(w - ew) > ew * _SIZE_TOLERANCE or abs(h - eh) > eh * _SIZE_TOLERANCE:
            raise PdfError(f"Page {i} ({im.path}) came out {w:.1f} x {h:.1f} pt, expected {ew:.1f} x {eh:.1f} pt "
                           f"from {im.width} x {im.height} px at {im.dpi[0]:g} x {im.dpi[1]:g} dpi",
                           f"Trang {i} ({im.path}) sai kích thước so với độ phân giải thật của ảnh",
                           field=str(im.path))


def _enforce(profile: ComplianceProfile | None, pages: list[PageImage], map_or_drawing: bool) -> None:
    if profile is None:
        return
    for i, p in enumerate(pages, 1):
        bad = page_violations(profile, p.mode, p.dpi, map_or_drawing=map_or_drawing)
        if bad:
            raise PageImageError(f"Page {i} ({p.path}): {'; '.join(en for en, _ in bad)}",
                                 f"Trang {i} ({p.path}): {'; '.join(vi for _, vi in bad)}; hãy quét lại",
                                 field=str(p.path), code="PDF_PROFILE")


def _draw_encoded(pdf, page, im: PageImage, enc: EncodedPage) -> None:
    """Give a re-encoded page the master's exact size and draw its MRC masks over the background."""
    import pikepdf

    w, h = im.page_size_pt
    page.obj.MediaBox = [0, 0, round(w, 4), round(h, 4)]
    xobjects = page.obj.Resources.XObject
    name = next(iter(xobjects.keys()))
    ops = [f"q {w:.4f} 0 0 {h:.4f} 0 0 cm {name} Do Q"]
    for k, m in enumerate(enc.masks):
        mask = pdf.make_stream(m.g4, Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image, Width=im.width,
                               Height=im.height, ImageMask=True, BitsPerComponent=1,
                               Filter=pikepdf.Name.CCITTFaxDecode,
                               DecodeParms=pikepdf.Dictionary(K=-1, Columns=im.width, Rows=im.height,
                                                              BlackIs1=False))
        xobjects[f"/Ink{k}"] = mask
        r, g, b = (c / 255 for c in m.colour)
        ops.append(f"q {r:.4f} {g:.4f} {b:.4f} rg {w:.4f} 0 0 {h:.4f} 0 0 cm /Ink{k} Do Q")
    page.obj.Contents = pdf.make_stream(("\n".join(ops) + "\n").encode("ascii"))


def build_pdf(images: list[Path], *, metadata: DocumentMetadata | None = None, title: str = "",
              context: dict[str, Any] | None = None, flavour: str = "2b", created_at: datetime | None = None,
              encoding: str = "lossless", jpeg_quality: int = DEFAULT_JPEG_QUALITY,
              ocr: list[Any] | None = None, profile: ComplianceProfile | None = None,
              map_or_drawing: bool = False, progress: Progress = NULL_PROGRESS,
              pre_encoded: list[Any] | None = None) -> AssembledPdf:
    """Assemble the pages into a PDF/A file in memory and validate it; nothing is written.

    ``encoding`` is lossless, jpeg or mrc (each page guarded, falling back when it fails; see
    :mod:`scanstation.pdf.encode`). ``ocr``, if given, has one entry per page: that page's OCR data
    (an object or dict with ``words``, each with ``text`` and a pixel ``box``), or None for a page
    without text (OCR failed or skipped) — it becomes the invisible text layer. ``profile``, if
    given, refuses pages its rules do not allow (vn-2025: below 200 dpi, 300 for maps, not colour).
    ``pre_encoded`` may hold, per page, an encoding made earlier (in the background during the scan);
    it is used only if it was made from this very master with this encoding and quality.
    """
    import pikepdf
    import pikepdf.pdfa as pdfa

    if encoding not in ENCODINGS:
        raise PdfError(f"Unknown image encoding '{encoding}'; use one of {', '.join(ENCODINGS)}",
                       f"Không có kiểu mã hóa ảnh '{encoding}'; chọn một trong {', '.join(ENCODINGS)}",
                       field="pdf.image_encoding")
    if not 1 <= int(jpeg_quality) <= 95:
        raise PdfError(f"JPEG quality {jpeg_quality} is outside 1-95", f"Chất lượng JPEG {jpeg_quality} "
                       "phải trong khoảng 1-95", field="pdf.jpeg_quality")
    if ocr is not None and len(ocr) != len(images):
        raise PdfError(f"OCR data for {len(ocr)} pages given with {len(images)} page images",
                       f"Dữ liệu nhận dạng chữ có {len(ocr)} trang nhưng có {len(images)} ảnh trang", field="ocr")
    metadata = metadata or DocumentMetadata()
    context = dict(context or {})
    created_at = (created_at or datetime.now(UTC)).astimezone().replace(microsecond=0)  # PDF dates have seconds
    title = title or metadata.document_name or (Path(images[0]).stem if images else "")
    pages = read_pages(images, progress)
    _enforce(profile, pages, map_or_drawing)
    encoded: list[EncodedPage] = []
    for i, p in enumerate(pages):
        progress.check("PDF assembly")
        progress.report(i, len(pages), f"encoding {p.path.name} ({encoding})")
        pre = pre_encoded[i] if pre_encoded is not None and i < len(pre_encoded) else None
        if pre is not None and reusable(pre, p, encoding, int(jpeg_quality)):
            encoded.append(pre)
        else:
            encoded.append(encode_page(p, encoding, jpeg_quality=int(jpeg_quality)))
    progress.report(len(pages), len(pages), "assembling")
    raw = _img2pdf(pages, [e.base for e in encoded])
    ocr_words: list[int | None] = [None] * len(pages)
    with pikepdf.open(io.BytesIO(raw)) as pdf:
        font = None
        for i, (page, im, enc) in enumerate(zip(pdf.pages, pages, encoded, strict=True)):
            if enc.encoding != "lossless":
                _draw_encoded(pdf, page, im, enc)
            if ocr is not None and ocr[i] is not None:
                words = textlayer.words_of(ocr[i])
                if words and font is None:
                    font = textlayer.add_font(pdf)
                ocr_words[i] = textlayer.add_text_layer(pdf, page, words, (im.width, im.height), font) \
                    if words else 0
        _check_scale(pdf, pages)
        with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta["dc:title"] = title
            if metadata.summary:
                meta["dc:description"] = metadata.summary
            meta["xmp:CreatorTool"] = CREATOR_TOOL
            meta["xmp:CreateDate"] = created_at.isoformat()
            meta["xmp:ModifyDate"] = created_at.isoformat()
        try:
            pdfa.prepare(pdf, flavour, output_intent=srgb_profile(),
                         output_condition_identifier="sRGB IEC61966-2.1")
        except ValueError as e:
            raise PdfError(f"Cannot prepare PDF/A-{flavour.upper()}: {e}",
                           f"Không chuẩn bị được tệp PDF/A-{flavour.upper()}: {e}") from e
        ctx = {**context, "format_version": xmp.FORMAT_VERSION}
        packet = xmp.insert_into_packet(pdf.Root.Metadata.read_bytes(), xmp.description_xml(metadata, ctx))
        pdf.Root.Metadata = pdf.make_stream(packet, Type=pikepdf.Name.Metadata, Subtype=pikepdf.Name.XML)
        out = io.BytesIO()
        pdf.save(out, **pdfa.resolve_save_kwargs(flavour, deterministic_id=True,
                                                 min_version="1.4" if flavour == "1b" else "1.7"))
    data = out.getvalue()
    progress.check("PDF assembly")
    check = check_pdfa(data, flavour)
    if not check.passed:
        log.error("assembled file failed PDF/A validation: %s", check.summary(50))
        raise PdfConformanceError(f"The assembled file does not conform to PDF/A-{flavour.upper()}; nothing was "
                                  f"written: {check.summary(5)}",
                                  f"Tệp ghép được không đạt chuẩn PDF/A-{flavour.upper()}; chưa ghi tệp nào")
    return AssembledPdf(data=data, sha256=hashlib.sha256(data).hexdigest(), flavour=flavour, pages=pages,
                        check=check, title=title, created_at=created_at, metadata=metadata, context=context,
                        encoded=encoded, ocr_words=ocr_words)


def sidecar_path(pdf_path: Path) -> Path:
    return pdf_path.with_name(pdf_path.name + SIDECAR_SUFFIX)


def write_pdf(assembled: AssembledPdf, path: Path, *, sidecar: bool = True) -> dict[str, Any]:
    """Write the PDF and its sidecar atomically; if the sidecar cannot be written the PDF is removed again."""
    path = Path(path)
    for p in assembled.pages:
        if p.path.resolve() == path.resolve() or (sidecar and p.path.resolve() == sidecar_path(path).resolve()):
            raise PdfError(f"The output {path} would overwrite the page image {p.path}",
                           f"Tệp kết quả {path} sẽ ghi đè lên ảnh trang {p.path}", field="out")
    atomic_write_bytes(path, assembled.data)
    side = None
    if sidecar:
        side = sidecar_path(path)
        try:
            atomic_write_text(side, json.dumps(assembled.sidecar(path.name), ensure_ascii=False, indent=2) + "\n")
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(path)
            raise
    return {"path": str(path), "file_name": path.name, "sha256": assembled.sha256, "size": len(assembled.data),
            "pages": len(assembled.pages), "pdfa": assembled.flavour.upper(),
            "sidecar": str(side) if side else None, "page_reports": assembled.page_reports()}


def assemble_pdf(images: list[Path], out: Path, *, metadata: DocumentMetadata | None = None, title: str = "",
                 context: dict[str, Any] | None = None, flavour: str = "2b", sidecar: bool = True,
                 encoding: str = "lossless", jpeg_quality: int = DEFAULT_JPEG_QUALITY, ocr: list[Any] | None = None,
                 profile: ComplianceProfile | None = None, map_or_drawing: bool = False,
                 progress: Progress = NULL_PROGRESS) -> dict[str, Any]:
    """Build one PDF/A file from page images and write it (and its sidecar) atomically. Returns a plain report.

    The flow's call: ``assemble_pdf(images, out, encoding="mrc", ocr=[ocr_result_or_None, ...],
    profile=profile)``; see :func:`build_pdf` for the arguments.
    """
    assembled = build_pdf(images, metadata=metadata, title=title, context=context, flavour=flavour,
                          encoding=encoding, jpeg_quality=jpeg_quality, ocr=ocr, profile=profile,
                          map_or_drawing=map_or_drawing, progress=progress)
    progress.check("PDF assembly")
    return write_pdf(assembled, out, sidecar=sidecar)

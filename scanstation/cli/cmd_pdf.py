"""PDF/A commands: ``pdf`` (one component from image files) and ``build`` (every component of a dossier JSON)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from scanstation.cli import EXIT_FINDINGS, EXIT_OK, emit
from scanstation.errors import ValidationError

_META_KEYS = ("document_type_code", "holder_identifier", "holder_name", "holder_birth_date", "holder_founding_year",
              "document_name", "number_symbol", "issue_date", "issuing_body", "summary", "valid_until",
              "validity_scope", "extra")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("pdf", help="assemble page images into one PDF/A file (one component)",
                       description="Put the images at 100 %% scale from their own dpi into one PDF/A file (level "
                                   "from the compliance profile), with XMP metadata and a JSON sidecar FILE.pdf.json. "
                                   "The profile gives the defaults: image encoding (lossless = as captured, jpeg, "
                                   "mrc = sharp text mask over a light background, each page checked against its "
                                   "master) and the invisible OCR text layer. Format of META.json: docs/pdf.md.")
    p.add_argument("images", nargs="+", type=Path, metavar="IMAGE", help="page images in page order (JPEG, PNG, TIFF)")
    p.add_argument("--out", type=Path, required=True, metavar="FILE.pdf")
    p.add_argument("--meta", type=Path, metavar="META.json", help="the document's metadata fields (JSON object)")
    p.add_argument("--title", default="", help="document title (default: document_name from META, else the file name)")
    p.add_argument("--no-sidecar", action="store_true", help="do not write FILE.pdf.json")
    p.add_argument("--encoding", choices=("lossless", "jpeg", "mrc"),
                   help="page image encoding (default: setting pdf.image_encoding, else the profile's)")
    p.add_argument("--ocr", action=argparse.BooleanOptionalAction, default=None,
                   help="add the invisible OCR text layer (default: when the profile asks for one)")
    p.add_argument("--profile", metavar="ID", help="compliance profile (default: setting compliance.profile)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_pdf)

    p = sub.add_parser("build", help="assemble every digitised component of a dossier JSON into PDF/A files",
                       description="One PDF/A file (+ sidecar) per digitised component that lists images, named by "
                                   "the dossier's compliance profile. Components not digitised are skipped with their "
                                   "reason. Exit status 1 when a component that must be digitised has no images. "
                                   "Dossier JSON format: docs/pdf.md.")
    p.add_argument("--dossier", type=Path, required=True, metavar="DOSSIER.json")
    p.add_argument("--out", type=Path, required=True, metavar="DIR")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_build)


def _load_meta(path: Path):
    from scanstation.dossier_io import parse_metadata

    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise ValidationError(f"Metadata file {path} does not exist", f"Không có tệp dữ liệu đặc tả {path}",
                              field="meta") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValidationError(f"Metadata file {path} is not valid JSON: {e}",
                              f"Tệp dữ liệu đặc tả {path} không phải JSON hợp lệ", field="meta") from e
    if isinstance(data, dict):
        unknown = sorted(set(data) - set(_META_KEYS))
        if unknown:
            raise ValidationError(f"Metadata file {path}: unknown field(s) {', '.join(unknown)}; known fields: "
                                  f"{', '.join(_META_KEYS)}",
                                  f"Tệp dữ liệu đặc tả {path} có trường không biết: {', '.join(unknown)}",
                                  field=unknown[0])
    return parse_metadata(data, "meta.")


def _ocr_pages(images: list[Path]) -> tuple[list, list[str]]:
    """OCR every page in this process; a page OCR fails on keeps its image and loses only its text."""
    from scanstation.ocr import OcrError, OcrLanguageMissing, engine_for, ocr_page

    engine_for()                   # a missing language file is an error before any page is read
    results, warnings = [], []
    for p in images:
        try:
            results.append(ocr_page(p))
        except OcrLanguageMissing:
            raise
        except OcrError as e:
            results.append(None)
            warnings.append(f"{p}: no text layer ({e.message_en})")
    return results, warnings


def cmd_pdf(args) -> int:
    from scanstation.compliance import get_profile
    from scanstation.config import Settings
    from scanstation.pdf import assemble_pdf, flavour_of, read_page_image

    meta = _load_meta(args.meta) if args.meta else None
    settings = Settings()
    profile = get_profile(args.profile or settings.get("compliance.profile"))
    encoding = args.encoding or settings.get("pdf.image_encoding") or profile.image_encoding
    want_ocr = profile.ocr_text_layer if args.ocr is None else args.ocr
    ocr, warnings = (None, [])
    if want_ocr:
        for p in args.images:      # bad input is refused before minutes of OCR, naming the file
            read_page_image(p)
        ocr, warnings = _ocr_pages(args.images)
    rep = assemble_pdf(args.images, args.out, metadata=meta, title=args.title, sidecar=not args.no_sidecar,
                       flavour=flavour_of(profile.pdfa_part, profile.pdfa_conformance),
                       encoding=encoding, jpeg_quality=settings.get("pdf.jpeg_quality"), ocr=ocr, profile=profile,
                       context={"component_name": args.title or None})
    rep = {**rep, "profile": profile.id, "encoding": encoding, "ocr": bool(want_ocr), "warnings": warnings}
    lines = [f"wrote {rep['path']}: {rep['pages']} pages, {rep['size']} bytes, PDF/A-{rep['pdfa']}, "
             f"sha256 {rep['sha256']}"]
    lines += [f"  page {r['number']}: {r['encoding']}, {r['bytes']} bytes"
              + (f", {r['ocr_words']} words" if r["ocr_words"] is not None else ", no text layer")
              + (f" (fell back from {r['fallback']['from']}: {r['fallback']['reason']})" if r["fallback"] else "")
              for r in rep["page_reports"]]
    lines += [f"warning: {w}" for w in warnings]
    if rep["sidecar"]:
        lines.append(f"sidecar {rep['sidecar']}")
    emit(rep, args.json, "\n".join(lines))
    return EXIT_OK


def cmd_build(args) -> int:
    from scanstation.dossier_io import load_dossier_file
    from scanstation.flow import assemble_dossier

    dossier, images = load_dossier_file(args.dossier)
    rep = assemble_dossier(dossier, images, args.out)
    lines = [f"dossier {rep['receipt_code']}: {len(rep['files'])} PDF/A-{rep['pdfa']} file(s) in {rep['out_dir']}"]
    lines += [f"  {f['file_name']}  {f['pages']} page(s)  {f['component']}  sha256 {f['sha256']}" for f in rep["files"]]
    lines += [f"  skipped {s['component']}: {s['reason']}" for s in rep["skipped"]]
    lines += [f"  left out: {x['reason']}" for x in rep["left_out"]]
    if not rep["complete"]:
        lines.append("INCOMPLETE: a component that must be digitised has no images")
    emit(rep, args.json, "\n".join(lines))
    return EXIT_OK if rep["complete"] else EXIT_FINDINGS

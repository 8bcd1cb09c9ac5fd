"""Every digitised component of a dossier → its PDF/A file, named by the profile; all or nothing."""

from __future__ import annotations

import contextlib
import dataclasses
import os
from pathlib import Path
from typing import Any

from scanstation.compliance import ComplianceProfile
from scanstation.fsio import require_free_space
from scanstation.model import Component, DigitisationClass, Dossier
from scanstation.pdf.assemble import build_pdf, flavour_of, sidecar_path, write_pdf
from scanstation.pdf.naming import dossier_file_names
from scanstation.progress import NULL_PROGRESS, Progress

NAMINGS = ("one-stop", "archive")   # seed 003 <identifier>.<type> (default) | TT 05/2025 <receipt code>.<seq>


class _Slice(Progress):
    """Progress of one component reported as part of the whole dossier (cancel goes to the parent)."""

    def __init__(self, parent: Progress, offset: int, total: int) -> None:
        super().__init__()
        self.parent, self.offset, self.whole = parent, offset, total

    def report(self, done: int, total: int = 0, message: str = "") -> None:
        self.parent.report(self.offset + done, self.whole, message)

    def cancel(self) -> None:
        self.parent.cancel()

    @property
    def cancelled(self) -> bool:
        return self.parent.cancelled

    def check(self, what: str = "operation") -> None:
        self.parent.check(what)


def _skip(c: Component, status: str, reason: str) -> dict[str, Any]:
    return {"component_id": c.id, "component": c.name, "document_type_code": c.document_type_code,
            "class": c.digitisation_class.value, "status": status, "reason": reason}


def assemble_dossier(dossier: Dossier, images: dict[str, list[Path]], out_dir: Path, *,
                     profile: ComplianceProfile, page_facts: dict[str, list[dict[str, Any]]] | None = None,
                     encoding: str | None = None, jpeg_quality: int | None = None,
                     ocr: dict[str, list[Any]] | None = None, map_components: frozenset[str] | set[str] = frozenset(),
                     naming: str = "one-stop", progress: Progress = NULL_PROGRESS,
                     encoded: dict[str, list[Any]] | None = None) -> dict[str, Any]:
    """Build one PDF/A file (and sidecar) per digitised component that has pages, in ``out_dir``.

    ``images`` maps a component id to its kept page images in order. Components that are not
    digitised, or have no pages, are reported in ``skipped`` with the reason; ``complete`` is False
    when a component the dossier must digitise has no pages. If any file fails, the files this
    call already wrote are removed again and the error is raised: a dossier is built whole or not at all.

    ``encoding`` defaults to the profile's; ``ocr`` maps a component id to its pages' OCR data (one
    entry per page, None for a page without text); a profile that asks for a text layer and gets
    none for a component lists ``ocr_text_layer`` in ``left_out``. ``map_components`` are the ids of
    components that are maps or drawings (the profile's ``map_dpi`` applies); ``naming`` is
    ``one-stop`` (the profile's ``file_naming``) or ``archive`` (its ``archive_file_naming``).
    """
    out_dir = Path(out_dir)
    if naming not in NAMINGS:
        raise ValueError(f"naming must be one of {NAMINGS}")
    if naming == "archive":
        profile = dataclasses.replace(profile, file_naming=profile.archive_file_naming)
    encoding = encoding or profile.image_encoding
    ocr = ocr or {}
    flavour = flavour_of(profile.pdfa_part, profile.pdfa_conformance)
    build: list[Component] = []
    skipped: list[dict[str, Any]] = []
    for c in dossier.components:
        if c.digitisation_class == DigitisationClass.NOT_DIGITISED:
            skipped.append(_skip(c, "not_digitised", c.not_digitised_reason))
        elif not images.get(c.id):
            skipped.append(_skip(c, "no_pages", "no kept pages" if c.digitisation_class == DigitisationClass.MUST
                                 else "digitised on request; no pages captured"))
        else:
            build.append(c)
    names = dossier_file_names(dossier, build, profile)
    total = sum(len(images[c.id]) for c in build)
    out_dir.mkdir(parents=True, exist_ok=True)
    if build:   # the files are about the size of their images; refuse before writing if they cannot fit
        need = sum(os.path.getsize(p) for c in build for p in images[c.id] if Path(p).is_file())
        require_free_space(out_dir, need * 1.1 / (1024 * 1024) + 1)
    files: list[dict[str, Any]] = []
    done = 0
    try:
        for c in build:
            progress.check("PDF assembly")
            facts = (page_facts or {}).get(c.id) or []
            context = {"receipt_code": dossier.receipt_code, "procedure_code": dossier.procedure_code,
                       "procedure_name": dossier.procedure_name, "component_id": c.id, "component_name": c.name,
                       "page_facts": dict(enumerate(facts, 1))}
            assembled = build_pdf(images[c.id], metadata=c.metadata, title=c.metadata.document_name or c.name,
                                  context=context, flavour=flavour, encoding=encoding,
                                  **({"jpeg_quality": jpeg_quality} if jpeg_quality else {}),
                                  ocr=ocr.get(c.id), profile=profile, map_or_drawing=c.id in map_components,
                                  progress=_Slice(progress, done, total),
                                  pre_encoded=(encoded or {}).get(c.id))
            rec = write_pdf(assembled, out_dir / names[c.id])
            files.append({"component_id": c.id, "component": c.name, "document_type_code": c.document_type_code,
                          **rec})
            done += len(images[c.id])
            progress.report(done, total, f"wrote {names[c.id]}")
    except BaseException:
        for f in files:
            for p in (Path(f["path"]), sidecar_path(Path(f["path"]))):
                with contextlib.suppress(OSError):
                    p.unlink()
        raise
    left_out = []
    no_text = [f["file_name"] for f, c in zip(files, build, strict=True) if ocr.get(c.id) is None]
    if profile.ocr_text_layer and no_text:
        left_out.append({"feature": "ocr_text_layer", "files": no_text,
                         "reason": "the profile asks for an OCR text layer; no OCR data was given for "
                                   f"{', '.join(no_text)}, so these are image-only PDF/A"})
    return {
        "receipt_code": dossier.receipt_code, "profile": profile.id, "pdfa": flavour.upper(),
        "out_dir": str(out_dir), "files": files, "skipped": skipped, "left_out": left_out,
        "complete": not any(s["status"] == "no_pages" and s["class"] == DigitisationClass.MUST.value
                            for s in skipped),
    }

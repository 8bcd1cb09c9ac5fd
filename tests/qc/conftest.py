"""The labelled QC corpus: generated sheets (scanstation.samplepages and tests/qc/synth.py) plus the
real scanned samples that ship with scikit-image. Built once per test session, at 75 dpi (the
resolution QC works at anyway: a 300 dpi scan is decoded at 1/4 scale), deterministic."""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
import pytest

from scanstation import samplepages as sp
from scanstation.qc.imageio import RawFrame
from scanstation.qc.page import PageChecker, PageContext
from tests.qc import synth

DPI = 75


@dataclass
class Item:
    name: str
    kind: str
    truth_blank: bool | None
    verdict: str = ""
    score: float = 0.0
    notes_truth: list[str] = field(default_factory=list)
    notes_found: list[str] = field(default_factory=list)
    flag_candidate: bool = False       # a page with seals / letterheads / photos and no note


def _check_sheet(ck: PageChecker, front_px: np.ndarray, back_px: np.ndarray, dpi: int = DPI):
    f = ck.analyse(RawFrame(front_px, (dpi, dpi)), key="front")
    b = ck.analyse(RawFrame(back_px, (dpi, dpi)), key="back")
    ck.explain_with_front(b, f)
    return ck.finish(f, PageContext(0, 1, "front")), ck.finish(b, PageContext(1, 1, "back"))


def _skimage_sheets() -> list[tuple[str, np.ndarray, np.ndarray, bool]]:
    """Real scans from scikit-image: page() and text() on an A4 sheet; backs blank with their
    show-through, and a back that *is* the real scan (content)."""
    import skimage.data as skd

    out = []
    for name in ("page", "text"):
        real = getattr(skd, name)()
        c = synth.Canvas(DPI)
        c.paste_gray(real, 15, 40, 180)
        front = synth.scan(c, np.random.default_rng(5), background=(40, 40, 40))
        ghost = cv2.GaussianBlur(cv2.flip(c.img, 1), (3, 3), 0)
        back = synth.Canvas(DPI)
        back.img = (back.img.astype(np.float32) * 0.9 + ghost.astype(np.float32) * 0.1).astype(np.uint8)
        back_img = synth.scan(back, np.random.default_rng(6), background=(40, 40, 40))
        out.append((f"skimage-{name}", front[:, :, ::-1].copy(), back_img[:, :, ::-1].copy(), True))
        up = cv2.resize(real, (real.shape[1] * 3, real.shape[0] * 3), interpolation=cv2.INTER_CUBIC)
        as_back = np.ascontiguousarray(np.stack([up] * 3, -1))
        out.append((f"skimage-{name}-as-back", front[:, :, ::-1].copy(), as_back, False))
    return out


@pytest.fixture(scope="session")
def corpus() -> list[Item]:
    ck = PageChecker("vn-2019-seeds", "A4")
    items: list[Item] = []
    # 1. samplepages sheets: every back kind, with and without a dark scanner border
    for seed in range(60):
        kind = sp.BACK_KINDS[seed % len(sp.BACK_KINDS)]
        border = seed % 3 == 0
        sheet = sp.SheetSpec(
            sp.PageSpec(seed=seed, side="front", dpi=DPI, scanner_border=border, letterhead=seed % 2 == 0,
                        photo=seed % 3 == 1),
            sp.PageSpec(seed=seed, side="back", back_kind=kind, dpi=DPI, scanner_border=border))
        f, b = sp.render_sheet(sheet)
        fr, br = _check_sheet(ck, f.image, b.image)
        items.append(Item(f"sp{seed}-back", kind, b.truth["is_blank"], br.verdict, br.blank["score"]))
        items.append(Item(f"sp{seed}-front", "front", False, fr.verdict, fr.blank["score"],
                          notes_found=[n["color"] for n in fr.sticky_notes], flag_candidate=True))
    # 2. samplepages fronts with a sticky note of every colour
    colours = list(sp.STICKY_COLOURS)
    for seed in range(50):
        col = colours[seed % len(colours)]
        p = sp.front_page(1000 + seed, dpi=DPI, sticky_note=col, letterhead=seed % 2 == 0,
                          photo=seed % 3 == 0, scanner_border=seed % 4 == 0)
        a = ck.analyse(RawFrame(p.image, (DPI, DPI)), key="n")
        r = ck.finish(a, PageContext())
        items.append(Item(f"sp-note{seed}", "note", False, r.verdict, r.blank["score"], [col],
                          [n["color"] for n in r.sticky_notes]))
    # 3. hand-made sheets (other drawing style: Hershey text, other seals, heavy show-through)
    kinds = synth.BACK_BLANK_KINDS + synth.BACK_CONTENT_KINDS
    for k, kind in enumerate(kinds):
        for s in range(3):
            front, back = synth.make_sheet(7000 + 10 * k + s, kind, DPI,
                                           letterhead=("band", "pastel", "logo")[s], photo=s == 1)
            fr, br = _check_sheet(ck, front.rgb(), back.rgb())
            items.append(Item(f"synth-{kind}-{s}", kind, back.blank, br.verdict, br.blank["score"]))
            items.append(Item(f"synth-{kind}-{s}-front", "front", False, fr.verdict, fr.blank["score"],
                              notes_found=[n["color"] for n in fr.sticky_notes], flag_candidate=True))
    for s, col in enumerate(colours * 2):
        with_note, _ = synth.make_note_pair(8000 + s, DPI, col, letterhead=("band", "pastel", None)[s % 3])
        a = ck.analyse(RawFrame(with_note.rgb(), (DPI, DPI)), key="sn")
        r = ck.finish(a, PageContext())
        items.append(Item(f"synth-note-{s}", "note", False, r.verdict, r.blank["score"], [col],
                          [n["color"] for n in r.sticky_notes]))
    # 4. real scans from scikit-image
    for name, front_px, back_px, blank in _skimage_sheets():
        fr, br = _check_sheet(ck, front_px, back_px)
        items.append(Item(name, "skimage", blank, br.verdict, br.blank["score"]))
        items.append(Item(name + "-front", "front", False, fr.verdict, fr.blank["score"],
                          notes_found=[n["color"] for n in fr.sticky_notes], flag_candidate=True))
    return items

"""How SANE backends name things, mapped to the station's vocabulary. Pure data + functions, no libsane.

Backends disagree on names: the duplex feeder is "ADF Duplex" (fujitsu, canon_dr, epsonds, pixma),
"Duplex" (hpaio), "Automatic Document Feeder(left aligned,Duplex)" (brother), or a separate
``adf-mode=Duplex`` option next to ``source=Automatic Document Feeder`` (epson2). Grey can be a dithered
lineart in disguise ("Gray[Error Diffusion]"), which the station must never pick. The tables below
hold the names seen in sane-backends; the matching functions fall back to tolerant token rules so a
backend not listed here still maps sensibly. Unit tests run them over recorded option lists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# SANE option value types and units (sane/sane.h)
TYPE_BOOL, TYPE_INT, TYPE_FIXED, TYPE_STRING, TYPE_BUTTON, TYPE_GROUP = range(6)
UNIT_NONE, UNIT_PIXEL, UNIT_BIT, UNIT_MM, UNIT_DPI, UNIT_PERCENT, UNIT_MICROSECOND = range(7)
CAP_SOFT_SELECT, CAP_INACTIVE = 1, 32

KNOWN_SOURCES: dict[str, tuple[str, ...]] = {
    "flatbed": ("Flatbed", "FlatBed", "Normal", "Document Table", "Platen"),
    "adf": ("Automatic Document Feeder", "ADF", "ADF Front", "Document Feeder", "Auto Document Feeder",
            "Automatic Document Feeder(left aligned)", "Automatic Document Feeder(centrally aligned)",
            "ADF Simplex"),
    "adf-duplex": ("ADF Duplex", "Duplex", "Automatic Document Feeder(left aligned,Duplex)",
                   "Automatic Document Feeder(centrally aligned,Duplex)", "ADF Front+Back", "Duplex ADF"),
}
KNOWN_MODES: dict[str, tuple[str, ...]] = {
    "color": ("Color", "Colour", "24bit Color", "24bit Color[Fast]", "Color24", "RGB", "24 bit Color",
              "True Color"),
    "gray": ("Gray", "Grey", "True Gray", "Grayscale", "Greyscale", "8bit Gray", "256 Gray", "Gray8"),
}
#: resolution option names, first match wins (some backends only offer separate x/y options)
RESOLUTION_OPTIONS = ("resolution", "x-resolution", "scan-resolution")
#: separate duplex switch next to a plain feeder source (epson2)
DUPLEX_SWITCHES: tuple[tuple[str, str], ...] = (("adf-mode", "Duplex"), ("duplex", "true"))
#: how to turn double-feed detection on, per option name (fujitsu, canon_dr, epsonds, kodak)
DOUBLE_FEED_OPTIONS: dict[str, Any] = {
    "df-thickness": True, "df-length": True, "df-action": "Stop", "double-feed-detection": True,
    "double-feed": True, "dfd": True, "df-detect": True,
}
#: driver-side blank-page skipping: forced off whenever present (the station must see every image
#: to count sheets), and refused as a raw option with anything but "off"
BLANK_SKIP_OPTIONS = ("swskip", "blank-page-skip", "skip-blank", "skip-blank-pages", "blank-skip",
                      "hwskip", "blank-page-removal", "auto-blank")
#: options that tell whether paper is in the feeder (read-only sensors)
FEEDER_SENSORS = ("adf-loaded", "page-loaded", "document-loaded", "paper-in-feeder")
GEOMETRY = ("tl-x", "tl-y", "br-x", "br-y")
PAGE_SIZE_OPTIONS = ("page-width", "page-height")


@dataclass(frozen=True)
class SaneOption:
    """One option descriptor, as ``get_options()`` returns it (index, name, title, desc, type, unit,
    size, cap, constraint) reduced to what the mapping needs; recorded lists use the same fields."""

    name: str
    type: int
    unit: int = UNIT_NONE
    cap: int = CAP_SOFT_SELECT
    constraint: Any = None            # None | (min, max, quant) | [values]

    @classmethod
    def from_tuple(cls, t: tuple) -> SaneOption:
        return cls(name=t[1] or "", type=t[4], unit=t[5], cap=t[7], constraint=t[8])

    @property
    def active(self) -> bool:
        return not self.cap & CAP_INACTIVE

    @property
    def settable(self) -> bool:
        return bool(self.cap & CAP_SOFT_SELECT)


def _norm(s: str) -> str:
    return re.sub(r"[^a-z0-9+]+", " ", s.lower()).strip()


def classify_source(value: str) -> str | None:
    """Station source for one backend source name, or None (back-only, film, transparency ...)."""
    for station, names in KNOWN_SOURCES.items():
        if value in names:
            return station
    n = _norm(value)
    if any(w in n for w in ("transparen", "film", "negative", "slide", "tpu")):
        return None
    if "duplex" in n or "front+back" in n.replace(" ", "") or "both" in n.split():
        return "adf-duplex"
    if re.search(r"\bback\b", n) and "front" not in n:
        return None                     # back side only: never what a clerk wants
    if "adf" in n or "feeder" in n or "adt" in n:
        return "adf"
    if "flatbed" in n or "platen" in n or n in ("normal", "document table", "glass"):
        return "flatbed"
    return None


def classify_mode(value: str) -> str | None:
    for station, names in KNOWN_MODES.items():
        if value in names:
            return station
    n = _norm(value)
    if any(w in n for w in ("diffusion", "halftone", "dither", "lineart", "binary", "black white", "mono")):
        return None                     # 1-bit in disguise: never a grey page
    if "colo" in n or "rgb" in n:
        return "color"
    if "gray" in n or "grey" in n:
        return "gray"
    return None


def _prefer(values: list[str]) -> str:
    # "24bit Color" over "24bit Color[Fast]", "True Gray" over "Gray": fewer qualifiers, exact match first
    return sorted(values, key=lambda v: ("fast" in v.lower(), "[" in v, len(v)))[0]


@dataclass
class SaneMapping:
    """The mapping of one device's options to the station's vocabulary."""

    sources: dict[str, str] = field(default_factory=dict)           # station source -> backend value
    duplex_switch: tuple[str, str] | None = None                    # (option, value) for epson2-style duplex
    modes: dict[str, str] = field(default_factory=dict)             # station mode -> backend value
    resolution_option: str | None = None
    resolutions: tuple[int, ...] = ()
    resolution_range: tuple[int, int] | None = None
    depth_option: bool = False
    depths: tuple[int, ...] = ()
    max_area_mm: tuple[float, float] | None = None
    page_size_options: bool = False
    double_feed: dict[str, Any] = field(default_factory=dict)       # option -> value that turns it on
    blank_skip: tuple[str, ...] = ()                                # options to force off
    feeder_sensor: str | None = None
    options: dict[str, SaneOption] = field(default_factory=dict)


COMMON_DPI = (100, 150, 200, 240, 300, 400, 600)


def map_options(opts: list[SaneOption]) -> SaneMapping:
    by_name = {o.name: o for o in opts if o.name and o.type != TYPE_GROUP}
    m = SaneMapping(options=by_name)
    src = by_name.get("source") or by_name.get("scan-source") or by_name.get("doc-source")
    if src and isinstance(src.constraint, list):
        found: dict[str, list[str]] = {}
        for v in src.constraint:
            k = classify_source(str(v))
            if k:
                found.setdefault(k, []).append(str(v))
        m.sources = {k: _prefer(v) for k, v in found.items()}
    elif not src:
        m.sources = {"flatbed": ""}     # no source option: a plain flatbed
    if "adf" in m.sources and "adf-duplex" not in m.sources:
        for name, value in DUPLEX_SWITCHES:
            o = by_name.get(name)
            if o is None:
                continue
            if o.type == TYPE_BOOL:
                m.duplex_switch = (name, "true")
            elif isinstance(o.constraint, list) and value in o.constraint:
                m.duplex_switch = (name, value)
            else:
                continue
            m.sources["adf-duplex"] = m.sources["adf"]
            break
    mode = by_name.get("mode") or by_name.get("scan-mode")
    if mode and isinstance(mode.constraint, list):
        found = {}
        for v in mode.constraint:
            k = classify_mode(str(v))
            if k:
                found.setdefault(k, []).append(str(v))
        m.modes = {k: _prefer(v) for k, v in found.items()}
    for name in RESOLUTION_OPTIONS:
        o = by_name.get(name)
        if o is None:
            continue
        m.resolution_option = name
        c = o.constraint
        if isinstance(c, list):
            m.resolutions = tuple(sorted({int(v) for v in c}))
        elif isinstance(c, tuple):
            lo, hi = int(round(c[0])), int(round(c[1]))
            m.resolution_range = (lo, hi)
            m.resolutions = tuple(d for d in COMMON_DPI if lo <= d <= hi)
        break
    depth = by_name.get("depth")
    if depth is not None:
        m.depth_option = True
        if isinstance(depth.constraint, list):
            m.depths = tuple(int(v) for v in depth.constraint)
    br_x, br_y = by_name.get("br-x"), by_name.get("br-y")
    if br_x and br_y and isinstance(br_x.constraint, tuple) and isinstance(br_y.constraint, tuple):
        m.max_area_mm = (float(br_x.constraint[1]), float(br_y.constraint[1]))
    pw = by_name.get("page-width")
    if pw is not None and isinstance(pw.constraint, tuple):
        m.page_size_options = True
        ph = by_name.get("page-height")
        if ph is not None and isinstance(ph.constraint, tuple):
            # feeders can take longer paper than the flatbed area
            m.max_area_mm = (max(float(pw.constraint[1]), (m.max_area_mm or (0, 0))[0]),
                             max(float(ph.constraint[1]), (m.max_area_mm or (0, 0))[1]))
    for name, value in DOUBLE_FEED_OPTIONS.items():
        o = by_name.get(name)
        if o is None:
            continue
        if o.type == TYPE_BOOL:
            m.double_feed[name] = True
        elif isinstance(o.constraint, list) and value in o.constraint:
            m.double_feed[name] = value
    m.blank_skip = tuple(n for n in BLANK_SKIP_OPTIONS if n in by_name)
    m.feeder_sensor = next((n for n in FEEDER_SENSORS if n in by_name), None)
    return m


def blank_skip_off_value(opt: SaneOption) -> Any:
    """The value that turns a blank-skip option off."""
    if opt.type == TYPE_BOOL:
        return False
    if opt.type in (TYPE_INT, TYPE_FIXED):
        return 0.0 if opt.type == TYPE_FIXED else 0
    if isinstance(opt.constraint, list):
        for v in opt.constraint:
            if _norm(str(v)) in ("off", "none", "disabled", "no", "default"):
                return v
    return None


def is_off(opt: SaneOption, value: str) -> bool:
    v = _norm(value)
    if opt.type == TYPE_BOOL:
        return v in ("false", "no", "off", "0")
    if opt.type in (TYPE_INT, TYPE_FIXED):
        try:
            return float(value) == 0.0
        except ValueError:
            return False
    return v in ("off", "none", "disabled", "no", "default")


def describe_allowed(opt: SaneOption) -> str:
    c = opt.constraint
    if opt.type == TYPE_BOOL:
        return "yes, no"
    if isinstance(c, list):
        return ", ".join(str(v) for v in c)
    if isinstance(c, tuple):
        return f"{c[0]:g}-{c[1]:g}"
    return {TYPE_INT: "a whole number", TYPE_FIXED: "a number", TYPE_STRING: "text"}.get(opt.type, "no value")


def coerce_value(opt: SaneOption, text: str) -> Any:
    """Text from ``--option`` -> the value python-sane expects; ValueError naming what is allowed."""
    allowed = describe_allowed(opt)
    if opt.type == TYPE_BOOL:
        v = text.strip().lower()
        if v in ("1", "true", "yes", "on"):
            return True
        if v in ("0", "false", "no", "off"):
            return False
        raise ValueError(allowed)
    if opt.type in (TYPE_INT, TYPE_FIXED):
        try:
            num: float = float(text)
        except ValueError:
            raise ValueError(allowed) from None
        if opt.type == TYPE_INT:
            if num != int(num):
                raise ValueError(allowed)
            num = int(num)
        c = opt.constraint
        if isinstance(c, tuple) and not c[0] <= num <= c[1]:
            raise ValueError(allowed)
        if isinstance(c, list) and num not in c:
            raise ValueError(allowed)
        return num
    if opt.type == TYPE_STRING:
        c = opt.constraint
        if isinstance(c, list) and text not in c:
            lowered = {str(v).lower(): v for v in c}
            if text.lower() in lowered:
                return lowered[text.lower()]
            raise ValueError(allowed)
        return text
    raise ValueError(allowed)

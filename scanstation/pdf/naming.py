"""File names from the compliance profile's template, made safe on Windows and Linux, unique in a dossier."""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Sequence

from scanstation.compliance import ComplianceProfile
from scanstation.errors import FileNamingError
from scanstation.model import Component, Dossier

# Device names Windows reserves whatever the extension ("CON.pdf", "nul.GCS.pdf" cannot be created).
RESERVED = frozenset({"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
                     | {f"{d}{n}" for d in ("COM", "LPT") for n in (*"123456789", "¹", "²", "³")})
FORBIDDEN = frozenset('<>:"/\\|?*')
MAX_NAME_BYTES = 255          # ext4 and most Linux file systems count UTF-8 bytes; NTFS allows 255 UTF-16 units
SIDECAR_RESERVE = len(".json")  # the sidecar is the PDF's name + ".json" and must fit too
TEMPLATE_FIELDS = ("identifier", "doc_type", "doc_name", "receipt_code", "procedure_code", "seq")


def _clean_char(c: str) -> str:
    if c in FORBIDDEN or unicodedata.category(c) in ("Cc", "Cs", "Co", "Cn"):
        return "_"
    if unicodedata.category(c) == "Cf":   # zero-width and direction marks: invisible, drop them
        return ""
    return c


def _fit(stem: str, tail: str, limit: int) -> str:
    """Shorten ``stem`` (by whole characters) until stem + tail fits in ``limit`` UTF-8 bytes."""
    while stem and len((stem + tail).encode("utf-8")) > limit:
        stem = stem[:-1]
    return stem.rstrip(" .")


def safe_stem(name: str) -> str:
    """A file-name stem that Windows and Linux both accept; Vietnamese letters are kept (NFC)."""
    s = unicodedata.normalize("NFC", name)
    s = "".join(_clean_char(c) for c in s)
    s = re.sub(r"\s+", " ", s)
    s = s.strip(" .")                   # leading dots hide a file on Linux; trailing dots/spaces vanish on Windows
    if not s:
        return "_"
    if s.split(".")[0].rstrip(" ").upper() in RESERVED:
        s = "_" + s
    return s


def safe_file_name(name: str, ext: str = ".pdf", *, suffix: str = "") -> str:
    """``name`` + ``suffix`` + ``ext``, safe and short enough that the sidecar name fits as well."""
    stem = _fit(safe_stem(name), suffix + ext, MAX_NAME_BYTES - SIDECAR_RESERVE) or "_"
    return stem + suffix + ext


def template_values(dossier: Dossier, component: Component, seq: int) -> dict[str, object]:
    return {
        "identifier": dossier.account_party.file_identifier,
        "doc_type": component.document_type_code or component.name,
        "doc_name": component.metadata.document_name or component.name,
        "receipt_code": dossier.receipt_code,
        "procedure_code": dossier.procedure_code,
        "seq": seq,
    }


def render_template(template: str, values: dict[str, object]) -> str:
    for _lit, fld, _spec, _conv in string.Formatter().parse(template):
        if fld is not None and fld.split(".")[0].split("[")[0] not in values:
            raise FileNamingError(
                f"File-name template '{template}' uses '{{{fld}}}'; known fields: {', '.join(TEMPLATE_FIELDS)}",
                f"Mẫu đặt tên tệp '{template}' dùng trường '{{{fld}}}' không có; các trường: "
                f"{', '.join(TEMPLATE_FIELDS)}", field="compliance.file_naming")
    try:
        return template.format(**values)
    except (ValueError, IndexError, AttributeError, KeyError) as e:
        raise FileNamingError(f"File-name template '{template}' is not valid: {e}",
                              f"Mẫu đặt tên tệp '{template}' không hợp lệ: {e}", field="compliance.file_naming") from e


def dossier_file_names(dossier: Dossier, components: Sequence[Component], profile: ComplianceProfile,
                       ext: str = ".pdf") -> dict[str, str]:
    """Component id -> file name for the components that become files, in dossier order.

    ``seq`` counts those components from 1. When two names come out the same (two papers of one
    type, or names equal apart from letter case, which Windows does not tell apart), every one of
    them gets a sequence suffix ``_1``, ``_2`` ... in dossier order.
    """
    stems = [safe_stem(render_template(profile.file_naming, template_values(dossier, c, i)))
             for i, c in enumerate(components, 1)]
    keys = [s.casefold() for s in stems]
    names: dict[str, str] = {}
    taken: set[str] = set()
    counters: dict[str, int] = {}
    dup = {k for k in keys if keys.count(k) > 1}
    plain = {safe_file_name(s, ext).casefold() for s, k in zip(stems, keys) if k not in dup}
    for comp, stem, key in zip(components, stems, keys):
        name = safe_file_name(stem, ext)
        if key in dup or name.casefold() in taken:     # (the second: two long names cut to the same length)
            while True:
                counters[key] = counters.get(key, 0) + 1
                name = safe_file_name(stem, ext, suffix=f"_{counters[key]}")
                if name.casefold() not in taken and name.casefold() not in plain:
                    break
        taken.add(name.casefold())
        names[comp.id] = name
    return names

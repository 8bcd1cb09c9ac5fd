"""PDF/A validation of an assembled file: pikepdf's validator, plus the one construct it does not check.

pikepdf's validator is an allowlist: it approves only what it recognises, and it does not read
PDF/A extension schemas (ISO 19005-2, 6.6.2.3.2), so it reports every property of a namespace
described by one — like the station's ``ssdoc`` namespace — as "not permitted". This module
checks those extension schemas itself (structure, prefix, every used property declared with a
matching value type) and accepts exactly the findings that its check covers. Any other finding
fails the file.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

from scanstation.pdf.xmp import PDFA_EXTENSION, PDFA_PROPERTY, PDFA_SCHEMA, RDF

_XMLNS = re.compile(r'''xmlns:([A-Za-z0-9_.-]+)\s*=\s*(["'])(.*?)\2''', re.DOTALL)
_SIMPLE_TYPES = {
    "Text": re.compile(r".*", re.DOTALL), "ProperName": re.compile(r".*", re.DOTALL),
    "AgentName": re.compile(r".*", re.DOTALL), "URI": re.compile(r"\S*"), "URL": re.compile(r"\S*"),
    "Integer": re.compile(r"[+-]?\d+"), "Real": re.compile(r"[+-]?(\d+\.?\d*|\.\d+)"),
    "Boolean": re.compile(r"True|False"),
    "Date": re.compile(r"\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?"),
}
_EXTENSION_NAMESPACES = {PDFA_EXTENSION, PDFA_SCHEMA, PDFA_PROPERTY}
_EXTENSION_PREFIXES = {PDFA_EXTENSION: "pdfaExtension", PDFA_SCHEMA: "pdfaSchema", PDFA_PROPERTY: "pdfaProperty"}


@dataclass
class PdfaCheck:
    """The verdict on one file. ``findings`` are what fails it; ``covered`` were checked here instead."""

    flavour: str
    findings: list[str] = field(default_factory=list)
    covered: list[str] = field(default_factory=list)
    extension_problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.findings and not self.extension_problems

    def summary(self, limit: int = 10) -> str:
        bad = self.extension_problems + self.findings
        head = f"PDF/A-{self.flavour}: {'pass' if self.passed else 'fail'}"
        return "\n".join([head, *(f"  {b}" for b in bad[:limit])] + ([f"  ... and {len(bad) - limit} more"]
                                                                  if len(bad) > limit else []))


@dataclass
class _Schemas:
    props: dict[str, dict[str, str]] = field(default_factory=dict)    # namespace URI -> property -> type
    prefixes: dict[str, str] = field(default_factory=dict)            # namespace URI -> declared prefix
    problems: list[str] = field(default_factory=list)


def _child_text(el: ElementTree.Element, tag: str) -> str | None:
    c = el.find(tag)
    return None if c is None else (c.text or "").strip()


def _read_schemas(root: ElementTree.Element) -> _Schemas:
    out = _Schemas()
    for container in root.iter(f"{{{PDFA_EXTENSION}}}schemas"):
        bag = container.find(f"{{{RDF}}}Bag")
        if bag is None:
            out.problems.append("pdfaExtension:schemas is not an rdf:Bag")
            continue
        for li in bag.findall(f"{{{RDF}}}li"):
            uri = _child_text(li, f"{{{PDFA_SCHEMA}}}namespaceURI")
            prefix = _child_text(li, f"{{{PDFA_SCHEMA}}}prefix")
            if not _child_text(li, f"{{{PDFA_SCHEMA}}}schema") or not uri or not prefix:
                out.problems.append("an extension schema lacks pdfaSchema:schema, namespaceURI or prefix")
                continue
            seq = li.find(f"{{{PDFA_SCHEMA}}}property/{{{RDF}}}Seq")
            if seq is None:
                out.problems.append(f"extension schema {uri} has no pdfaSchema:property rdf:Seq")
                continue
            props: dict[str, str] = {}
            for p in seq.findall(f"{{{RDF}}}li"):
                name = _child_text(p, f"{{{PDFA_PROPERTY}}}name")
                vtype = _child_text(p, f"{{{PDFA_PROPERTY}}}valueType")
                category = _child_text(p, f"{{{PDFA_PROPERTY}}}category")
                desc = _child_text(p, f"{{{PDFA_PROPERTY}}}description")
                if not name or vtype is None or category is None or desc is None:
                    out.problems.append(f"a property of extension schema {uri} lacks name, valueType, "
                                        "category or description")
                elif vtype not in _SIMPLE_TYPES:
                    out.problems.append(f"property {prefix}:{name} has value type {vtype!r}, which this "
                                        "check does not know")
                elif category not in ("internal", "external"):
                    out.problems.append(f"property {prefix}:{name} has category {category!r}")
                else:
                    props[name] = vtype
            out.props[uri] = props
            out.prefixes[uri] = prefix
    return out


def check_extension_schemas(packet: bytes) -> tuple[_Schemas, list[str]]:
    """Check the packet's extension schemas and every property of the namespaces they describe."""
    try:
        root = ElementTree.fromstring(packet)
    except ElementTree.ParseError as e:
        return _Schemas(), [f"XMP packet is not well-formed: {e}"]
    schemas = _read_schemas(root)
    problems = list(schemas.problems)
    text = packet.decode("utf-8", "replace")
    for prefix, _q, uri in _XMLNS.findall(text):
        if uri in schemas.prefixes and schemas.prefixes[uri] != prefix:
            problems.append(f"namespace {uri} is declared with prefix {prefix!r}, its schema says "
                            f"{schemas.prefixes[uri]!r}")
        if uri in _EXTENSION_PREFIXES and _EXTENSION_PREFIXES[uri] != prefix:
            problems.append(f"namespace {uri} must use the prefix {_EXTENSION_PREFIXES[uri]!r}")
    for desc in root.iter(f"{{{RDF}}}Description"):
        for el in desc:
            uri, _, name = el.tag[1:].partition("}")
            if uri not in schemas.props:
                continue
            vtype = schemas.props[uri].get(name)
            label = f"{schemas.prefixes[uri]}:{name}"
            if vtype is None:
                problems.append(f"XMP property {label} is not described by its extension schema")
            elif len(el) or el.attrib:
                problems.append(f"XMP property {label} should be a simple {vtype} value")
            elif not _SIMPLE_TYPES[vtype].fullmatch(el.text or ""):
                problems.append(f"XMP property {label} value {el.text!r} is not a {vtype}")
    return schemas, problems


def _covered(finding, schemas: _Schemas) -> bool:
    """True if ``finding`` is pikepdf refusing a construct that check_extension_schemas has checked."""
    if not (finding.rule.endswith(":6.6.2.3.1-1") or finding.rule.endswith(":6.7.9-2")):
        return False
    if not finding.where.endswith("(MetadataStream)"):
        return False
    declared_ns = {f"{p}={u}" for u, p in schemas.prefixes.items()}
    declared_ns |= {f"{p}={u}" for u, p in _EXTENSION_PREFIXES.items()}
    declared_props = {"pdfaExtension:schemas"} | {f"{schemas.prefixes[u]}:{n}" for u, ps in schemas.props.items()
                                                   for n in ps}
    m = re.fullmatch(r"XMP namespace (\S+) is not permitted", finding.message)
    if m:
        return m[1] in declared_ns
    m = re.fullmatch(r"XMP property (\S+) is not permitted", finding.message)
    return bool(m) and m[1] in declared_props


def check_pdfa(source: bytes | Path, flavour: str = "2b") -> PdfaCheck:
    """Validate a written PDF (its bytes or its path) as PDF/A of ``flavour`` ('1b', '2b' or '3b')."""
    import pikepdf
    import pikepdf.pdfa as pdfa

    stream = io.BytesIO(source) if isinstance(source, bytes | bytearray) else Path(source)
    report = pdfa.validate_written(stream, flavour)
    result = PdfaCheck(flavour=flavour)
    schemas = _Schemas()
    try:
        with pikepdf.open(io.BytesIO(source) if isinstance(source, bytes | bytearray) else source) as pdf:
            md = pdf.Root.get("/Metadata")
            packet = md.read_bytes() if isinstance(md, pikepdf.Stream) else b""
    except pikepdf.PdfError:
        packet = b""
    if packet:
        schemas, result.extension_problems = check_extension_schemas(packet)
    for f in report.findings:
        (result.covered if _covered(f, schemas) else result.findings).append(str(f))
    return result

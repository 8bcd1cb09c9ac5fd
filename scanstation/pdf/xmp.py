"""The station's XMP namespace: a component's ten metadata fields, with the PDF/A extension schema describing them.

PDF/A allows properties outside the predefined XMP schemas only when the packet also carries an
extension schema (ISO 19005-2, 6.6.2.3.2) naming the namespace, its prefix, and each property's
value type. ``description_xml`` writes both; ``read_station_metadata`` reads them back.
The format is documented in docs/pdf.md; change it only by adding properties or a new version URI.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from xml.etree import ElementTree
from xml.sax.saxutils import escape, quoteattr

from scanstation.model import DocumentMetadata

NS_URI = "https://ns.scanstation.invalid/document/1.0/"
NS_PREFIX = "ssdoc"
SCHEMA_NAME = "Scan station document metadata (du lieu dac ta giay to, seed 002)"

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
PDFA_EXTENSION = "http://www.aiim.org/pdfa/ns/extension/"
PDFA_SCHEMA = "http://www.aiim.org/pdfa/ns/schema#"
PDFA_PROPERTY = "http://www.aiim.org/pdfa/ns/property#"

# (DocumentMetadata field or context key, XMP property name, XMP value type, description)
FIELDS: tuple[tuple[str, str, str, str], ...] = (
    ("document_type_code", "documentTypeCode", "Text", "1. Document type code (ma loai giay to)"),
    ("holder_identifier", "holderIdentifier", "Text",
     "2. Personal identification number or organisation code of the holder"),
    ("holder_name", "holderName", "Text", "2. Holder's full name or organisation name, when there is no identifier"),
    ("holder_birth_date", "holderBirthDate", "Date", "2. Holder's birth date, when there is no identifier"),
    ("holder_founding_year", "holderFoundingYear", "Integer",
     "2. Organisation's founding year, when there is no identifier"),
    ("document_name", "documentName", "Text", "3. Document name (ten giay to)"),
    ("number_symbol", "numberSymbol", "Text", "4. Number and symbol (so, ky hieu)"),
    ("issue_date", "issueDate", "Date", "5. Issue date (ngay, thang, nam cap)"),
    ("issuing_body", "issuingBody", "Text", "6. Issuing body (co quan cap)"),
    ("summary", "summary", "Text", "7. Summary of the content (trich yeu noi dung)"),
    ("valid_until", "validUntil", "Date", "8. End of the validity period, if any (thoi han co hieu luc)"),
    ("validity_scope", "validityScope", "Text", "9. Validity scope, if any (pham vi co hieu luc)"),
    ("extra", "extra", "Text", "10. Other fields of the specialised law, as a JSON object of name to text"),
)
CONTEXT: tuple[tuple[str, str, str, str], ...] = (
    ("receipt_code", "receiptCode", "Text", "Receipt code of the dossier (ma ho so)"),
    ("procedure_code", "procedureCode", "Text", "Code of the administrative procedure (ma thu tuc hanh chinh)"),
    ("component_id", "componentId", "Text", "Station's identifier of the dossier component"),
    ("format_version", "formatVersion", "Integer", "Version of this metadata format (1)"),
)
FORMAT_VERSION = 1


def _values(metadata: DocumentMetadata, context: dict[str, Any]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for key, prop, _t, _d in FIELDS + CONTEXT:
        v = context.get(key) if any(key == c[0] for c in CONTEXT) else getattr(metadata, key)
        if key == "format_version":
            v = FORMAT_VERSION
        if v is None or v == "" or v == {}:
            continue            # an empty field is left out: absent means "not given"
        if isinstance(v, date):
            v = v.isoformat()
        elif isinstance(v, dict):
            v = json.dumps(v, ensure_ascii=False, sort_keys=True)
        out.append((prop, str(v)))
    return out


def description_xml(metadata: DocumentMetadata, context: dict[str, Any]) -> str:
    """Two rdf:Description elements: the extension schema, then the values (to go inside rdf:RDF)."""
    props = "".join(
        '<rdf:li rdf:parseType="Resource">'
        f"<pdfaProperty:name>{name}</pdfaProperty:name>"
        f"<pdfaProperty:valueType>{vtype}</pdfaProperty:valueType>"
        "<pdfaProperty:category>external</pdfaProperty:category>"
        f"<pdfaProperty:description>{escape(desc)}</pdfaProperty:description>"
        "</rdf:li>"
        for _k, name, vtype, desc in FIELDS + CONTEXT)
    schema = (
        f'<rdf:Description rdf:about="" xmlns:pdfaExtension={quoteattr(PDFA_EXTENSION)} '
        f"xmlns:pdfaSchema={quoteattr(PDFA_SCHEMA)} xmlns:pdfaProperty={quoteattr(PDFA_PROPERTY)}>"
        "<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType=\"Resource\">"
        f"<pdfaSchema:schema>{escape(SCHEMA_NAME)}</pdfaSchema:schema>"
        f"<pdfaSchema:namespaceURI>{escape(NS_URI)}</pdfaSchema:namespaceURI>"
        f"<pdfaSchema:prefix>{NS_PREFIX}</pdfaSchema:prefix>"
        f"<pdfaSchema:property><rdf:Seq>{props}</rdf:Seq></pdfaSchema:property>"
        "</rdf:li></rdf:Bag></pdfaExtension:schemas></rdf:Description>\n")
    values = "".join(f"<{NS_PREFIX}:{p}>{escape(v)}</{NS_PREFIX}:{p}>" for p, v in _values(metadata, context))
    data = f'<rdf:Description rdf:about="" xmlns:{NS_PREFIX}={quoteattr(NS_URI)}>{values}</rdf:Description>\n'
    return schema + data


def insert_into_packet(packet: bytes, extra_xml: str) -> bytes:
    """Put ``extra_xml`` at the end of the packet's rdf:RDF (the packet pikepdf wrote, one rdf:RDF)."""
    text = packet.decode("utf-8")
    if text.count("</rdf:RDF>") != 1:
        raise ValueError("XMP packet does not have exactly one rdf:RDF")
    return text.replace("</rdf:RDF>", extra_xml + "</rdf:RDF>").encode("utf-8")


def read_station_metadata(packet: bytes) -> dict[str, Any]:
    """The station's properties in an XMP packet, keyed like DocumentMetadata / the context (plain values)."""
    root = ElementTree.fromstring(packet)
    by_prop = {prop: (key, vtype) for key, prop, vtype, _d in FIELDS + CONTEXT}
    out: dict[str, Any] = {}
    for el in root.iter():
        ns, _, name = str(el.tag)[1:].partition("}")
        if ns != NS_URI or name not in by_prop:
            continue
        key, vtype = by_prop[name]
        text = el.text or ""
        if vtype == "Integer":
            out[key] = int(text)
        elif key == "extra":
            out[key] = json.loads(text)
        else:
            out[key] = text
    return out

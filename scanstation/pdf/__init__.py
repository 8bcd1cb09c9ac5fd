"""PDF/A assembly of one component: page encodings, OCR text layer, XMP metadata, regulated file names."""

from scanstation.pdf.assemble import (
    CREATOR_TOOL,
    AssembledPdf,
    assemble_pdf,
    build_pdf,
    flavour_of,
    sidecar_path,
    srgb_profile,
    write_pdf,
)
from scanstation.pdf.dossier import assemble_dossier
from scanstation.pdf.encode import ENCODINGS, EncodedPage, encode_page
from scanstation.pdf.images import PageImage, read_page_image
from scanstation.pdf.naming import dossier_file_names, safe_file_name, safe_stem
from scanstation.pdf.validate import PdfaCheck, check_pdfa

__all__ = [
    "CREATOR_TOOL", "ENCODINGS", "AssembledPdf", "EncodedPage", "PageImage", "PdfaCheck", "assemble_dossier", "assemble_pdf", "build_pdf",
    "check_pdfa", "dossier_file_names", "encode_page", "flavour_of", "read_page_image", "safe_file_name", "safe_stem",
    "sidecar_path", "srgb_profile", "write_pdf",
]

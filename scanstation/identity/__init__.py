"""The applicant's identity papers read by machine: the chip CCCD's QR code (text from a handheld
reader, or found in a scanned image of the card). Qt-free; the flow calls it (``flow.identity``)."""

from scanstation.identity.cccd import CccdCard, parse_cccd_qr
from scanstation.identity.qrimage import QrDecodeResult, decode_qr_image, find_cccd_in_image

__all__ = ["CccdCard", "QrDecodeResult", "decode_qr_image", "find_cccd_in_image", "parse_cccd_qr"]

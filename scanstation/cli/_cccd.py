"""``scanstation id cccd-qr (IMAGE | --text STRING) [--json]``: the applicant from a chip CCCD's QR code.

Prints the fields (dates ISO); the content is personal data and is never logged. Exit 0 read,
2 not a CCCD QR / not found / bad input (the message names what was wrong, never the data).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scanstation.cli import emit
from scanstation.errors import ValidationError


def cmd_cccd_qr(args: argparse.Namespace) -> int:
    from scanstation.flow.identity import read_card
    from scanstation.identity.cccd import missing_text

    if (args.text is None) == (args.value is None):
        raise ValidationError("id cccd-qr: give a scanned image of the card or --text, one of them",
                              "Cần ảnh quét thẻ hoặc chuỗi mã QR (--text), chỉ một trong hai", field="image")
    if args.text is not None:
        card = read_card(text=sys.stdin.read() if args.text == "-" else args.text)
    else:
        card = read_card(image=Path(args.value))
    data = card.to_dict()
    miss_en, _ = missing_text(card)
    if miss_en:
        sys.stderr.write(f"note: {miss_en}\n")
    emit(data, args.json, "\n".join(f"{k:<14} {v if v is not None else ''}" for k, v in data.items()))
    return 0

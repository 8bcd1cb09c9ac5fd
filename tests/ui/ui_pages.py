"""Page images for GUI tests of the steps after capture (small, real PNGs with a dpi)."""

import io

from PIL import Image, ImageDraw

from scanstation.model import Side


def page_png(label: str, size=(827, 1169), dpi=100) -> bytes:   # A4 at 100 dpi: small files, real paper size
    im = Image.new("RGB", size, "white")
    d = ImageDraw.Draw(im)
    d.rectangle([20, 20, size[0] - 20, 60], outline="black")
    d.text((30, 30), label, fill="black")
    for y in range(100, size[1] - 40, 24):
        d.line([30, y, size[0] - 60, y], fill=(40, 40, 40))
    buf = io.BytesIO()
    im.save(buf, "PNG", dpi=(dpi, dpi))
    return buf.getvalue()


def add_pages(station, dossier, wa, comp, sheets: int):
    for s in range(1, sheets + 1):
        sides = (Side.FRONT, Side.BACK) if comp.duplex else (Side.FRONT,)
        for side in sides:
            p = wa.add_page(comp.id, page_png(f"{comp.name} {s} {side.value}"), ext="png", sheet=s, side=side,
                            dpi=(100, 100), mode="RGB", width=827, height=1169, device="test")
            comp.pages.append(p)
    station.record_pages(dossier, comp, comp.pages)
    station.save_dossier(dossier)


def set_checks(ctx, component, findings, pairs=()):
    """What a component check would have journaled: its findings for the component's current pages."""
    ctx.session.checks[component.id] = {"pages": [p.id for p in component.pages], "findings": list(findings),
                                        "pairs": list(pairs), "summary": {}}

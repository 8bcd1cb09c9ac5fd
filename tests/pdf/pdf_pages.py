"""Drawing test pages: real images in the formats and modes a scanner writes."""

from __future__ import annotations

from PIL import Image, ImageDraw


def draw_page(size: tuple[int, int], mode: str = "RGB", mark: bool = True) -> Image.Image:
    """A page with a red block in its top-left corner (to see orientation) and some 'text' lines."""
    im = Image.new("RGB", size, "white")
    d = ImageDraw.Draw(im)
    w, h = size
    if mark:
        d.rectangle([w // 20, h // 20, w // 5, h // 8], fill=(220, 0, 0))
    for y in range(h // 5, h - h // 10, max(h // 25, 4)):
        d.line([w // 10, y, w - w // 10, y], fill=(20, 20, 60), width=max(1, h // 400))
    if mode == "1":
        return im.convert("L").point(lambda v: 255 if v > 160 else 0).convert("1")
    return im.convert(mode)

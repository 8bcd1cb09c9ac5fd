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


def shot(w, folder, name: str):
    """A screenshot of the window, for a human to look at (the path)."""
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / f"{name}.png"
    assert w.grab().save(str(p))
    return p


def scan_result(qtbot, w, session, reason: str, settle) -> object:
    """The records officer's result typed into the records screen, scanned and checked; whatever still
    blocks and may be overridden is overridden with ``reason`` (the clerk looked). The result component."""
    from scanstation.flow import checking

    r = w.screens["records"]
    r.r_name.setText("Giấy khai sinh")
    r.r_code.setText("KQKS")
    r.r_number.setText("15/2026")
    r.r_date.setText("01/12/2026")
    r.r_issuer.setText("UBND phường Tân Lợi")
    r.scan_btn.click()
    settle(qtbot, w)
    assert "Result scanned and checked" in r.status.text(), r.status.text()
    res = next(c for c in session.dossier.components if c.role == "result")
    for f in [f for f in checking.component_findings(session, res) if f.blocking and f.overridable]:
        checking.override(session, f.id, reason)
    return res


def sign_result(qtbot, w, token: str, settle) -> str:
    """Sign the scanned result with ``token`` (the demo PIN); the status line it leaves."""
    r = w.screens["records"]
    r.r_token.setText(token)
    r.r_pin.setText("123456")
    r.sign_btn.click()
    settle(qtbot, w)
    return r.status.text()


def revoke_result(qtbot, w, row: int, reason: str, settle) -> dict[str, str]:
    """Revoke the file in ``row`` of the records screen with ``reason``; the screen's files and their
    states afterwards. The screen must say the file was revoked and the provincial system told."""
    r = w.screens["records"]
    r.files.selectRow(row)
    r.reason.setText(reason)
    r.revoke_btn.click()
    settle(qtbot, w)
    assert "revoked" in r.status.text() and "was told" in r.status.text(), r.status.text()
    settle(qtbot, w)
    return {r.files.item(i, 0).text(): r.files.item(i, 1).text() for i in range(r.files.rowCount())}


def read_message_box_later(seen: dict[str, str]) -> None:
    """Once a modal message box is up (``app.run()`` blocks in it): note its words in ``seen``, then close it."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    def read_and_close() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(50, read_and_close)
            return
        seen.update(title=box.windowTitle() or box.text(), text=box.text(), info=box.informativeText(),
                    detail=box.detailedText(), name=box.objectName(),
                    buttons=" | ".join(b.text() for b in box.buttons()))
        box.accept()

    QTimer.singleShot(50, read_and_close)

"""The handheld 2D reader at intake: the CCCD's QR arrives as fast typing ending with Enter."""

from PySide6.QtCore import Qt
from sqlalchemy import select

from scanstation.model import IdType, PartyKind
from scanstation.store.tables import AuditEventRow
from tests.ui.ui_keys import type_text

QR = "001099012345|123456789|Nguyễn Văn An|05031999|Nam|Thôn Đông, Xã Tân Lợi, Bình Phước|14082021"


def _burst(qtbot, widget, text):
    widget.setFocus()
    type_text(widget, text)                      # one key event per character, as a reader sends them
    qtbot.keyClick(widget, Qt.Key.Key_Return)


def test_reader_burst_fills_the_applicant_and_audits_without_the_data(make_window, qtbot):
    w = make_window()
    w.show_screen("intake")
    s = w.screens["intake"]
    ed = s.applicant
    _burst(qtbot, ed.number, QR)
    assert ed.number.text() == "001099012345" and ed.name.text() == "Nguyễn Văn An"
    assert ed.id_type.currentData() == IdType.CCCD and ed.kind.currentData() == PartyKind.CITIZEN
    assert ed.birth.date().toPython().isoformat() == "1999-03-05"
    assert "Looks right" in ed.check.text()
    assert "QR" in s.error.text()
    from scanstation.ui.widgets import COLOURS  # news, not an error: not in the error red

    assert COLOURS["ok"] in s.error.text() and COLOURS["error"] not in s.error.text()
    st = w.ctx.station
    qtbot.waitUntil(lambda: bool(_audit(st, "applicant.filled_from_card")), timeout=10000)
    rows = _audit(st, "applicant.filled_from_card")
    assert "001099012345" not in rows[0].details and "Nguyễn" not in rows[0].details
    assert "reader" in rows[0].details


def test_a_qr_that_is_not_a_cccd_leaves_the_form_untouched(make_window, qtbot):
    w = make_window()
    w.show_screen("intake")
    s = w.screens["intake"]
    ed = s.applicant
    ed.name.setText("Trần Thị Bình")
    qtbot.keyClicks(ed.number, "0010", delay=120)        # a person typing
    qtbot.wait(120)
    for bad, words in (("https://dichvucong.gov.vn/x", "web address"),
                       ("00020101021238570010A000000727012700069704360113", "payment"),
                       ("001099012345|1234", "field(s)")):
        _burst(qtbot, ed.number, bad)
        assert ed.number.text() == "0010" and ed.name.text() == "Trần Thị Bình", bad
        assert words in s.error.text(), (bad, s.error.text())
        qtbot.wait(120)
    assert not _audit(w.ctx.station, "applicant.filled_from_card")


def _audit(st, action):
    with st.store.session() as db:
        return list(db.scalars(select(AuditEventRow).where(AuditEventRow.action == action)))

"""The IT staff screen (issue 13): listed only in IT mode; a calibration on the virtual scanner with a
defect lists the failing check (in Vietnamese) with the annotated scan and the history chart; scanner
profiles as a form checked against the compliance profile; sampling review; the gate's warning reaches
the clerk in the capture screen. Screenshots go to $SCANSTATION_SHOTS (default: the test's tmp dir)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scanstation.config import Settings

DEV = "virtual:demo"


@pytest.fixture
def shots(tmp_path) -> Path:
    d = Path(os.environ.get("SCANSTATION_SHOTS", tmp_path / "shots"))
    d.mkdir(parents=True, exist_ok=True)
    return d


def _it_screen(w, qtbot):
    row = list(w.screens).index("it")
    assert w.nav.item(row).isHidden()                          # clerks do not see it
    w.show_screen("it")
    assert w.current_screen() is not w.screens["it"]           # and cannot reach it
    w.screens["settings"].it_btn.setChecked(True)
    assert not w.nav.item(row).isHidden()
    w.show_screen("it")
    assert w.current_screen() is w.screens["it"]
    return w.screens["it"]


def test_a_calibration_with_worn_rollers_shows_the_failing_check_in_vietnamese(make_window, qtbot, shots):
    w = make_window(language="vi")
    it = _it_screen(w, qtbot)
    cal = it.calibration
    qtbot.waitUntil(lambda: cal.device.count() > 0, timeout=10_000)
    cal.device.setEditText(DEV)
    cal.source.setCurrentIndex(cal.source.findData("adf"))
    cal.options.setText("defect=scale-y:-1.5,streak:900/3/-40")
    cal.run()
    qtbot.waitUntil(lambda: cal.result is not None, timeout=60_000)
    res = cal.result
    assert res["verdict"] == "fail" and res["sides"][0]["failed"] == ["scale_y_pct", "streak_delta_L"]
    rows = {cal.checks.item(i, 0).text(): (cal.checks.item(i, 1).text(), cal.checks.item(i, 3).text())
            for i in range(cal.checks.rowCount())}
    value, verdict = rows["Tỉ lệ theo chiều nạp giấy (Y, %)"]
    assert verdict == "Không đạt" and float(value.split()[0]) == pytest.approx(-1.5, abs=0.1)
    assert rows["Vệt kẻ dọc (ΔL*)"][1] == "Không đạt"
    assert rows["Độ nghiêng (độ)"][1] == "Đạt"
    assert cal.verdict.text() == "Kết quả: Không đạt"
    assert "con lăn" in cal.advice.text()                     # what to do, in Vietnamese
    assert cal.image.pixmap() is not None and not cal.image.pixmap().isNull()
    lab, chart = cal.charts["scale_y_pct"]
    assert chart.isVisibleTo(it) and chart.series[0] == [pytest.approx(-1.5, abs=0.1)]
    assert lab.text().startswith("Tỉ lệ theo chiều nạp giấy")
    w.resize(1400, 900)
    qtbot.wait(50)
    assert w.grab().save(str(shots / "it-calibration-vi.png"))

    # a baseline of a failing run is refused, with the reason in Vietnamese
    cal.set_baseline()
    qtbot.waitUntil(lambda: "mốc phải là máy quét" in cal.status.text(), timeout=10_000)
    # after "repair" (no defect) the run passes and can be the baseline; the chart has two points
    cal.options.setText("")
    cal.result = None
    cal.run()
    qtbot.waitUntil(lambda: cal.result is not None, timeout=60_000)
    assert cal.result["verdict"] != "fail" and cal.advice.text() == ""
    assert len(cal.charts["scale_y_pct"][1].series[0]) == 2
    cal.set_baseline()
    qtbot.waitUntil(lambda: "đã được đặt làm mốc" in cal.status.text(), timeout=10_000)

    cal.save_target(shots / "target")
    # background work runs at low priority (tasks.NICENESS): beside other busy programs this takes a while
    qtbot.waitUntil(lambda: "target.pdf" in cal.status.text(), timeout=120_000)
    assert (shots / "target" / "target.pdf").read_bytes()[:5] == b"%PDF-"
    assert (shots / "target" / "target.json").is_file()


def test_scanner_profiles_as_a_form_checked_against_the_compliance_profile(make_window, qtbot, shots):
    w = make_window(language="vi")
    it = _it_screen(w, qtbot)
    it.tabs.setCurrentWidget(it.profiles)
    f = it.profiles
    f.new_profile()
    f.name.setText("a4-150")
    f.device.setEditText(DEV)
    f.source.setCurrentIndex(f.source.findData("adf"))
    f.dpi.setValue(150)
    f.save()
    qtbot.waitUntil(lambda: "Không thể lưu" in f.status.text() or "không đạt" in f.status.text(), timeout=10_000)
    assert "150 dpi" in f.status.text() and Settings().get("scanner.profiles") == {}
    f.dpi.setValue(300)
    f.mode.setCurrentIndex(f.mode.findData("color"))
    f.double_feed.setChecked(False)
    f.locked.setChecked(True)
    f.save()
    qtbot.waitUntil(lambda: f.status.text() == "Đã lưu cấu hình 'a4-150'.", timeout=10_000)
    assert Settings().get("scanner.profiles") == {"a4-150": {
        "device": DEV, "source": "adf", "dpi": 300, "mode": "color", "paper": None,
        "double_feed_detection": False, "options": [], "locked": True}}
    assert [f.list.item(i).text() for i in range(f.list.count())] == ["a4-150"]
    assert w.grab().save(str(shots / "it-profiles-vi.png"))
    f.delete_profile()
    qtbot.waitUntil(lambda: f.status.text() == "Đã xóa cấu hình 'a4-150'.", timeout=10_000)
    assert Settings().get("scanner.profiles") == {}


def test_sampling_review_tab_records_a_failed_check_per_clerk_and_scanner(make_window, qtbot, shots):
    from scanstation.dossier_io import load_dossier_file
    from scanstation.flow import new_dossier, review
    from scanstation.flow.capture import CaptureAction, scan
    from scanstation.resources import resource

    w = make_window(language="vi")
    dossier, _ = load_dossier_file(resource("demo", "dossier.json"))
    dossier.clerk = "Nguyễn Văn A"
    s = new_dossier(w.ctx.station, dossier)
    pages = scan(s, CaptureAction(component_id="GCS", device=DEV)).pages
    it = _it_screen(w, qtbot)
    it.tabs.setCurrentWidget(it.review)
    r = it.review
    r.pct.setValue(100)
    r.sample()
    qtbot.waitUntil(lambda: r.table.rowCount() == len(pages), timeout=10_000)
    r.table.selectRow(0)
    qtbot.waitUntil(lambda: r.preview.pixmap() is not None and not r.preview.pixmap().isNull(), timeout=10_000)
    r.boxes["orientation"].setChecked(False)
    r.note.setText("lộn ngược")
    r.record()
    qtbot.waitUntil(lambda: r.table.item(0, 3).text() == "Không đạt: Đúng chiều", timeout=10_000)
    summary = {(r.summary.item(i, 0).text(), r.summary.item(i, 1).text()): r.summary.item(i, 5).text()
               for i in range(r.summary.rowCount())}
    assert summary == {("Cán bộ", "Nguyễn Văn A"): "1", ("Máy quét", DEV): "1"}
    stored = review.summary(w.ctx.station)
    assert stored["total"]["failed_by_check"]["orientation"] == 1
    assert w.grab().save(str(shots / "it-review-vi.png"))


def test_the_gate_warning_reaches_the_clerk_in_the_capture_screen(make_window, qtbot):
    from scanstation.dossier_io import load_dossier_file
    from scanstation.flow import calibration
    from scanstation.resources import resource

    w = make_window(language="vi")
    w.ctx.settings.set("calibration.required", "warn", layer="station")
    calibration.run(w.ctx.station, DEV, "adf", options=("defect=scale-y:-1.5",))
    d, _ = load_dossier_file(resource("demo", "dossier.json"))
    wa = w.ctx.station.create_dossier(d)
    w.ctx.open_dossier(d, wa)
    w.show_screen("capture")
    cap = w.screens["capture"]
    cap.scan_or_continue()
    qtbot.waitUntil(lambda: w.message_bar.isVisible() and "Cảnh báo: máy quét" in w.message_bar.text.text(),
                    timeout=30_000)
    assert "con lăn" in w.message_bar.text.text() and "scale_y_pct" in w.message_bar.text.text()
    qtbot.waitUntil(lambda: cap.scan_task is None, timeout=30_000)
    assert d.components[0].pages                               # warn mode: the scan went ahead

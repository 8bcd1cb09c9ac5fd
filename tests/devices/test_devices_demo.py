"""The demo's capture stage scans the demo dossier's digitised components from the virtual scanner."""

from __future__ import annotations

from scanstation.flow.demo import DemoRun, stage_capture, stage_intake


def test_demo_capture_puts_pages_on_the_components(station):
    run = DemoRun(station)
    stage_intake(run)
    out = stage_capture(run)
    comps = {c.name: c for c in run.s.dossier.components}
    assert len(comps["Giấy chứng sinh"].pages) == 4          # 2 sheets, duplex
    assert len(comps["Văn bản ủy quyền"].pages) == 6         # 3 sheets, duplex
    assert comps["Giấy xác nhận tình trạng hôn nhân (bản sao)"].pages == []   # not digitised
    assert out["pages"] == 10 and out["dpi"] == 300
    rec = run.s.workarea.replay()
    assert sum(len(v) for v in rec.pages.values()) == 10 and not rec.damaged
    saved = run.s.workarea.load_dossier_json()
    assert sum(len(c["pages"]) for c in saved["components"]) == 10

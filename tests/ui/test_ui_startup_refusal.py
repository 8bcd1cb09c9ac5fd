"""A station that cannot start says why in Vietnamese, in a dialog, with the English for IT: never a traceback."""

from __future__ import annotations

from tests.ui.ui_pages import read_message_box_later


def test_a_database_of_another_version_is_a_clear_refusal_not_a_traceback(qtbot, monkeypatch):
    from scanstation.store.db import SchemaError
    from scanstation.ui import app as app_mod

    def newer(*_a, **_k):
        raise SchemaError("The database sqlite:///x has schema 0099, newer than this station's 0006; update this "
                          "station", "Cơ sở dữ liệu có phiên bản mới hơn phần mềm của trạm; hãy cập nhật phần mềm")

    monkeypatch.setattr(app_mod, "Station", newer)
    seen: dict[str, str] = {}
    read_message_box_later(seen)
    assert app_mod.run() == 2
    assert seen["name"] == "startupRefusal"
    assert "cập nhật phần mềm" in seen["text"]              # the core's own Vietnamese wording
    assert "CNTT" in seen["info"]                            # who to call, in Vietnamese
    assert "SchemaError" in seen["detail"] and "0099" in seen["detail"]

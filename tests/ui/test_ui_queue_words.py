"""The upload queue's "last problem" in Vietnamese: the worker stores its English text; the window words it as the
adapter's Vietnamese message says, and keeps the English in the tooltip for IT staff."""

from scanstation.ui import services
from scanstation.ui.i18n import queue_problem, set_language


def test_queue_problems_are_worded_in_vietnamese(make_window, qtbot):
    w = make_window(language="vi")
    assert queue_problem("Cannot reach http://127.0.0.1:9").startswith("Không kết nối được hệ thống của tỉnh")
    assert "quá chậm" in queue_problem("http://x did not answer within 30 s")
    assert "từ chối" in queue_problem("The provincial system refused the file: HTTP 422 bad metadata")
    assert queue_problem("something new and strange").startswith("Gửi chưa được")     # never English
    assert queue_problem("") == ""
    w.show_screen("queue")
    q = w.screens["queue"]
    job = services.JobView(id="j1", file="066190001234.GCS.pdf", dossier="H49", state="failed-will-retry",
                           attempts=2, next_attempt="10:05", last_error="Cannot reach http://127.0.0.1:9")
    q._loaded([job])
    cell = q.table.item(0, 5)
    assert cell.text().startswith("Không kết nối được") and "127.0.0.1" not in cell.text()
    assert cell.toolTip() == "Cannot reach http://127.0.0.1:9"
    set_language("en")
    assert queue_problem("Cannot reach http://127.0.0.1:9") == "Cannot reach http://127.0.0.1:9"

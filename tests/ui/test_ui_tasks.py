"""The background-task helper: work off the GUI thread, callbacks on it, errors as translated messages."""

import threading

from scanstation.errors import Cancelled, ValidationError
from scanstation.ui.i18n import describe_error, set_language
from scanstation.ui.tasks import TaskManager, UiProgress


def test_work_runs_off_gui_thread_and_callback_comes_back_on_it(qtbot):
    tm = TaskManager()
    gui = threading.get_ident()
    seen = {}

    def work():
        seen["work"] = threading.get_ident()
        return 42

    with qtbot.waitSignal(tm.finished, timeout=5000):
        tm.run(work, on_done=lambda r: seen.update(done=(r, threading.get_ident())))
    qtbot.waitUntil(lambda: "done" in seen)
    assert seen["work"] != gui
    assert seen["done"] == (42, gui)
    tm.shutdown()


def test_token_lane_is_one_thread(qtbot):
    tm = TaskManager()
    threads = []
    for _ in range(5):
        tm.run(lambda: threads.append(threading.get_ident()), lane="token")
    qtbot.waitUntil(lambda: len(threads) == 5)
    assert len(set(threads)) == 1
    tm.shutdown()


def test_unhandled_error_reaches_failed_signal_with_translated_text(qtbot):
    tm = TaskManager()
    got = []
    tm.failed.connect(lambda task, exc: got.append(describe_error(exc)))

    def work():
        raise ValidationError("bad receipt code", "Mã hồ sơ sai", field="receipt_code")

    set_language("vi")
    try:
        tm.run(work)
        qtbot.waitUntil(lambda: bool(got))
        assert got == ["Mã hồ sơ sai"]
    finally:
        set_language("en")
    tm.shutdown()


def test_progress_reaches_gui_and_cancel_stops_the_work(qtbot):
    tm = TaskManager()
    reports, errors = [], []
    started = threading.Event()

    def work(progress):
        i = 0
        while True:
            progress.report(i, 0, f"step {i}")
            started.set()
            progress.check("test")
            i += 1
            threading.Event().wait(0.01)

    prog = UiProgress("long", interval=0)
    prog.listeners.append(lambda d, t, m: reports.append((d, threading.get_ident())))
    task = tm.run(work, progress=prog, on_error=errors.append)
    assert started.wait(5)
    qtbot.waitUntil(lambda: len(reports) > 2)
    task.cancel()
    qtbot.waitUntil(lambda: bool(errors))
    assert isinstance(errors[0], Cancelled)
    assert all(t == threading.get_ident() for _, t in reports)
    tm.shutdown()


def test_unknown_exception_gets_a_generic_actionable_message():
    set_language("en")
    text = describe_error(ZeroDivisionError("x"))
    assert "ZeroDivisionError" in text and "try again" in text

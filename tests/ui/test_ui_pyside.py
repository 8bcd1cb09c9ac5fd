"""Guards against a broken PySide6 release: a Python-side emit must not leak or drop references."""

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    with_arg = Signal(object)
    bare = Signal()


def test_signal_emit_keeps_the_refcount_of_true():
    # PySide6 6.12.0 returned Py_True from emit() without a reference: each emit dropped True's count
    # by one and the station aborted after a few hundred background tasks.
    e = _Emitter()
    e.with_arg.connect(lambda _v: None)
    before = sys.getrefcount(True)
    for _ in range(200):
        e.with_arg.emit(object())
        e.bare.emit()
    assert sys.getrefcount(True) >= before - 5

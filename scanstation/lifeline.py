"""Worker processes die with the station, whatever ends it (a clean exit, SIGTERM at logoff, a crash, SIGKILL).

A worker (QC, SANE, TWAIN) holds the station's files, output pipes and ~160 MB; an orphan lives for
ever and, on the next start, competes with the new station's workers. Every worker process calls
:func:`exit_with_parent` first thing. How it learns that its parent is gone:

* **Linux**: a thread waits on a *pidfd* of the parent (``os.pidfd_open``, Linux 5.3+): it becomes
  readable the moment the parent *process* ends, for any reason. Not ``prctl(PR_SET_PDEATHSIG)``: that
  fires when the parent *thread* that started the worker ends, and the station starts workers from
  short-lived pool threads (the QC pool is warmed up from a task thread), so it would kill healthy
  workers. Where pidfds are missing, the thread polls ``getppid()`` (a reparented child sees it change).
* **macOS/other POSIX**: the ``getppid()`` poll.
* **Windows**: a thread waits on a SYNCHRONIZE handle of the parent process (``WaitForSingleObject``);
  in addition the station puts itself in a *job object* with ``JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE``
  (:func:`kill_children_with_me`), so Windows itself ends every process the station started when the
  station's last handle to the job closes — which happens however the station ends.

The worker leaves with ``os._exit``: no clean-up handlers that could wait on the dead parent.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import sys
import threading
import time

log = logging.getLogger(__name__)

POLL_SECONDS = 0.5
_JOB_HANDLE: int | None = None         # kept open for the station's life (closing it kills the children)


def exit_with_parent(parent_pid: int | None = None, *, exit_code: int = 0) -> threading.Thread | None:
    """In a worker process: exit as soon as ``parent_pid`` is gone (default: the process that started
    this one — multiprocessing's record of it, not ``getppid()``, which already names init when the
    parent died while this worker was still importing).

    Returns the watching thread (a daemon); when the parent is already gone the process exits here."""
    if parent_pid is None:
        import multiprocessing

        starter = multiprocessing.parent_process()
        parent_pid = starter.pid if starter is not None and starter.pid is not None else os.getppid()
    parent = parent_pid
    if sys.platform == "win32":
        target = _windows_waiter(parent, exit_code)
    else:
        target = _posix_waiter(parent, exit_code)
    t = threading.Thread(target=target, name="exit-with-parent", daemon=True)
    t.start()
    return t


def _posix_waiter(parent: int, exit_code: int):
    pidfd: int | None = None
    if hasattr(os, "pidfd_open"):
        try:
            pidfd = os.pidfd_open(parent)
        except ProcessLookupError:
            os._exit(exit_code)                 # the parent died before we could watch it
        except OSError:                         # old kernel, seccomp, container without pidfds
            pidfd = None
    if os.getppid() != parent:                  # gone (and this process reparented) before the watch began
        os._exit(exit_code)

    def wait() -> None:
        if pidfd is not None:
            with contextlib.suppress(OSError, ValueError):
                select.select([pidfd], [], [])  # readable once the parent has ended
                os._exit(exit_code)
        while os.getppid() == parent:
            time.sleep(POLL_SECONDS)
        os._exit(exit_code)

    return wait


def _windows_waiter(parent: int, exit_code: int):   # pragma: no cover - Windows only
    if sys.platform != "win32":
        raise OSError("Windows only")
    import ctypes

    synchronize, infinite = 0x00100000, 0xFFFFFFFF
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    handle = kernel32.OpenProcess(synchronize, False, parent)
    if not handle:
        os._exit(exit_code)                     # no such process any more

    def wait() -> None:
        kernel32.WaitForSingleObject(handle, infinite)
        os._exit(exit_code)

    return wait


def kill_children_with_me() -> bool:
    """In the station's own process, once at start-up: on Windows, put this process in a job object that
    kills every process in it (the workers inherit it) when the station's handle closes, i.e. when the
    station ends in any way. Elsewhere a no-op (the workers watch their parent). True when set up."""
    global _JOB_HANDLE
    if sys.platform != "win32" or _JOB_HANDLE is not None:
        return _JOB_HANDLE is not None
    try:                                        # pragma: no cover - Windows only
        return _windows_job()
    except Exception as e:                      # pragma: no cover - never stop the station for this
        log.warning("could not set up the Windows job object for worker processes: %s", e)
        return False


def _windows_job() -> bool:                     # pragma: no cover - Windows only
    if sys.platform != "win32":
        raise OSError("Windows only")
    import ctypes
    from ctypes import wintypes

    class IoCounters(ctypes.Structure):
        _fields_ = [(n, ctypes.c_ulonglong) for n in ("ReadOperationCount", "WriteOperationCount",
                                                      "OtherOperationCount", "ReadTransferCount",
                                                      "WriteTransferCount", "OtherTransferCount")]

    class BasicLimits(ctypes.Structure):
        _fields_ = [("PerProcessUserTimeLimit", ctypes.c_int64), ("PerJobUserTimeLimit", ctypes.c_int64),
                    ("LimitFlags", wintypes.DWORD), ("MinimumWorkingSetSize", ctypes.c_size_t),
                    ("MaximumWorkingSetSize", ctypes.c_size_t), ("ActiveProcessLimit", wintypes.DWORD),
                    ("Affinity", ctypes.c_size_t), ("PriorityClass", wintypes.DWORD),
                    ("SchedulingClass", wintypes.DWORD)]

    class ExtendedLimits(ctypes.Structure):
        _fields_ = [("BasicLimitInformation", BasicLimits), ("IoInfo", IoCounters),
                    ("ProcessMemoryLimit", ctypes.c_size_t), ("JobMemoryLimit", ctypes.c_size_t),
                    ("PeakProcessMemoryUsed", ctypes.c_size_t), ("PeakJobMemoryUsed", ctypes.c_size_t)]

    global _JOB_HANDLE
    kill_on_job_close, extended_info_class = 0x2000, 9
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    kernel32.CreateJobObjectW.restype = wintypes.HANDLE
    kernel32.GetCurrentProcess.restype = wintypes.HANDLE
    job = kernel32.CreateJobObjectW(None, None)
    if not job:
        raise OSError(ctypes.get_last_error(), "CreateJobObjectW")
    info = ExtendedLimits()
    info.BasicLimitInformation.LimitFlags = kill_on_job_close
    if not kernel32.SetInformationJobObject(job, extended_info_class, ctypes.byref(info), ctypes.sizeof(info)):
        raise OSError(ctypes.get_last_error(), "SetInformationJobObject")
    if not kernel32.AssignProcessToJobObject(job, kernel32.GetCurrentProcess()):
        raise OSError(ctypes.get_last_error(), "AssignProcessToJobObject")
    _JOB_HANDLE = job
    return True

"""QC of one component's images in feed order, in this process: what ``scanstation qc`` runs.

The feed is front, back, front, back ... (``duplex``) or front, front ... ; a page with a sticky note
is expected to be followed by the same page rescanned without it. Side and sheet are assigned as
the pages are read: the image after a note page is the rescan only if it really is the same page.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from scanstation.compliance import ComplianceProfile, get_profile
from scanstation.errors import UnreadableImageError
from scanstation.progress import NULL_PROGRESS, Progress
from scanstation.qc import blank as blank_mod
from scanstation.qc.component import DeviceEvent, QCReport, check_component
from scanstation.qc.imageio import LoadedPage, load_page
from scanstation.qc.page import PageAnalysis, PageChecker, PageContext, PageResult, Source, unreadable_result


def run_batch(sources: list[Source], *, duplex: bool = True, declared_sheets: int | None = None,
              paper: str | None = "A4", profile: ComplianceProfile | str | None = None,
              device_events: list[DeviceEvent] | tuple = (), strict: bool = False,
              progress: Progress = NULL_PROGRESS, read_ahead: bool = True) -> QCReport:
    """Check every image and the component. ``strict``: raise on the first unreadable image;
    ``read_ahead``: decode the next image on a helper thread while this one is checked."""
    prof = profile if isinstance(profile, ComplianceProfile) else get_profile(profile or "vn-2019-seeds")
    checker = PageChecker(prof, paper, cache_size=4)
    names = [Path(src).name if isinstance(src, str | Path) else getattr(src, "name", f"<image {i}>")
             for i, src in enumerate(sources)]
    with _ReadAhead(sources, names, threaded=read_ahead) as ahead:
        return _run(sources, names, ahead, checker, prof, duplex=duplex, declared_sheets=declared_sheets,
                    device_events=device_events, strict=strict, progress=progress)


class _ReadAhead:
    """Decodes the next image on a helper thread while this one is checked (the decode releases the
    interpreter lock): the command's wall time per page tends to the decode's on a free second core,
    and to the same as without it when there is none. The decode alone costs more than the checks,
    so luma and chroma are left to the checking thread (``PageChecker.analyse`` derives them), which has
    time to spare. (Two decoding threads were tried: with the checking thread that is three busy threads on
    two cores, and the command was ~10 % slower.) Errors come out in feed order."""

    def __init__(self, sources: list[Source], names: list[str], threaded: bool = True) -> None:
        self._sources, self._names = sources, names
        self._pool = (ThreadPoolExecutor(max_workers=1, thread_name_prefix="qc-read")
                      if threaded and len(sources) > 1 else None)
        self._next: tuple[int, Future[LoadedPage]] | None = None

    def __enter__(self) -> _ReadAhead:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def load(self, i: int) -> LoadedPage:
        """Image ``i`` decoded (raises UnreadableImageError), with image ``i + 1`` started behind it."""
        fut = self._next[1] if self._next is not None and self._next[0] == i else None
        self._next = None
        if self._pool is not None and i + 1 < len(self._sources):
            self._next = (i + 1, self._pool.submit(load_page, self._sources[i + 1], name=self._names[i + 1],
                                                   derive=False))
        if fut is not None:
            return fut.result()
        return load_page(self._sources[i], name=self._names[i])


def _run(sources: list[Source], names: list[str], ahead: _ReadAhead, checker: PageChecker,
         prof: ComplianceProfile, *, duplex: bool, declared_sheets: int | None,
         device_events: list[DeviceEvent] | tuple, strict: bool, progress: Progress) -> QCReport:
    results: list[PageResult] = []
    analyses: list[PageAnalysis | None] = []
    regular = 0                          # images that are not a note-removed rescan
    last_front: PageAnalysis | None = None
    total = len(sources)
    for i, src in enumerate(sources):
        progress.check("QC")
        progress.report(i, total, f"QC {i + 1}/{total}")
        name = names[i]
        key = f"{i}:{name}"
        try:
            a = checker.analyse(src, key=key, name=name, loaded=ahead.load(i))
        except UnreadableImageError as e:
            if strict:
                raise
            side = ("front" if regular % 2 == 0 else "back") if duplex else "front"
            results.append(unreadable_result(PageContext(i, regular // (2 if duplex else 1) + 1, side), name, e))
            analyses.append(None)
            regular += 1
            continue
        prev = analyses[-1] if analyses else None
        prev_res = results[-1] if results else None
        ctx = None
        relation = None
        if prev is not None and prev.notes and prev_res is not None and prev_res.variant != "note_removed":
            m = checker.compare(prev, a, prefilter=False)
            relation = (m.to_dict() if m else {"same": False, "reason": "not_compared"}) | {
                "of": i - 1, "note_gone": not a.notes}
            if m is not None and m.same:
                ctx = PageContext(i, prev_res.sheet, prev_res.side, "note_removed")
        if ctx is None:
            side = ("front" if regular % 2 == 0 else "back") if duplex else "front"
            ctx = PageContext(i, regular // (2 if duplex else 1) + 1, side)
            regular += 1
        if ctx.side == "back" and last_front is not None:
            checker.explain_with_front(a, last_front)
        r = checker.finish(a, ctx)
        if relation is not None:
            r.same_as_previous = relation
        elif a.blank is not None and a.blank.verdict != blank_mod.BLANK:
            # accidental rescan: the previous image, or (duplex) the previous image of the same side
            for back in (1, 2) if duplex else (1,):
                j = i - back
                if j < 0 or analyses[j] is None or results[j].variant == "note_removed":
                    continue
                m = checker.compare(analyses[j], a)
                if m is not None and m.same:
                    r.same_as_previous = m.to_dict() | {"of": j}
                    break
        if ctx.side == "front":
            last_front = a
        results.append(r)
        analyses.append(a)
        if len(analyses) > 3:
            analyses[-4] = None      # memory stays flat: only the last three are looked at again
    progress.report(total, total, "QC done")
    return check_component(results, duplex=duplex, declared_sheets=declared_sheets, profile=prof,
                           device_events=device_events)

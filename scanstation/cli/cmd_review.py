"""``scanstation review``: the sampling review of digitised pages (C9): draw a sample, record the
checklist's answers for each sampled page, list the results per clerk and per scanner."""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from scanstation.cli import EXIT_OK, emit
from scanstation.errors import ValidationError

_YES = {"yes": True, "y": True, "true": True, "1": True, "no": False, "n": False, "false": False, "0": False}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("review", help="sampling review of digitised pages (C9)",
                       description="Draw a random sample of the pages digitised in a period (setting "
                                   "review.sample_pct), record a checklist for each (legible, whole page, right "
                                   "way up, colour faithful) and list the results per clerk and per scanner. "
                                   "Dates are YYYY-MM-DD, local days in UTC; --to is inclusive.")
    rsub = p.add_subparsers(dest="review_command", metavar="SUBCOMMAND", required=True)

    s = rsub.add_parser("sample", help="draw a random sample of the pages captured in a period")
    _period_args(s, required=True)
    s.add_argument("--pct", type=float, help="share to draw in %% (default: setting review.sample_pct)")
    s.add_argument("--seed", type=int, help="make the draw repeatable")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_sample)

    r = rsub.add_parser("record", help="record the checklist for one sampled page")
    r.add_argument("id", help="the review item id (see 'review list')")
    for key, en, _vi in _checklist():
        r.add_argument(f"--{key.replace('_', '-')}", dest=key, required=True, metavar="yes|no", help=en)
    r.add_argument("--note", default="", help="what was wrong, free text")
    r.add_argument("--json", action="store_true")
    r.set_defaults(func=cmd_record)

    ls = rsub.add_parser("list", help="sampled pages and results per clerk and per scanner")
    _period_args(ls, required=False)
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=cmd_list)


def _checklist() -> tuple[tuple[str, str, str], ...]:
    # the same items as scanstation.flow.review.CHECKLIST (a test holds them equal); importing the flow here
    # would load the database layer for every command
    return (("legible", "legible", ""), ("whole_page", "whole page (nothing cut off)", ""),
            ("orientation", "right way up", ""), ("colour", "colour faithful", ""))


def _period_args(p: argparse.ArgumentParser, *, required: bool) -> None:
    p.add_argument("--from", dest="start", required=required, metavar="YYYY-MM-DD", help="first day of the period")
    p.add_argument("--to", dest="end", required=required, metavar="YYYY-MM-DD", help="last day of the period")


def _day(text: str | None, flag: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"{flag} '{text}': expected a date YYYY-MM-DD",
                              f"{flag} '{text}': cần một ngày dạng YYYY-MM-DD", field=flag) from None


def _period(args: argparse.Namespace) -> tuple[datetime | None, datetime | None]:
    a, b = _day(args.start, "--from"), _day(args.end, "--to")
    start = datetime.combine(a, time(), UTC) if a else None
    end = datetime.combine(b, time(), UTC) + timedelta(days=1) if b else None
    return start, end


def _station() -> Any:
    from scanstation.flow import Station

    return Station()


def cmd_sample(args: argparse.Namespace) -> int:
    from scanstation.flow import review

    start, end = _period(args)
    assert start is not None and end is not None          # both required by the parser
    res = review.sample(_station(), start, end, pct=args.pct, seed=args.seed)
    lines = [f"sample {res['sample_id']}: {len(res['items'])} of {res['population']} page(s) "
             f"({res['pct']:g} %) from {args.start} to {args.end}"]
    for i in res["items"]:
        lines.append(f"  {i['id']}  {i['receipt_code']}  {i['clerk'] or '?'}  {i['device'] or '?'}  {i['file']}")
    emit(res, args.json, "\n".join(lines))
    return EXIT_OK


def cmd_record(args: argparse.Namespace) -> int:
    from scanstation.flow import review

    answers: dict[str, bool] = {}
    for key, _en, _vi in review.CHECKLIST:
        text = str(getattr(args, key)).strip().lower()
        if text not in _YES:
            flag = f"--{key.replace('_', '-')}"
            raise ValidationError(f"{flag} '{text}': answer yes or no", f"{flag} '{text}': trả lời yes hoặc no",
                                  field=flag)
        answers[key] = _YES[text]
    res = review.record(_station(), args.id, answers, args.note)
    emit(res, args.json, f"{res['id']}: {'PASS' if res['passed'] else 'FAIL'}  "
                         + "  ".join(f"{k}={'yes' if v else 'no'}" for k, v in res["answers"].items()))
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    from scanstation.flow import review

    start, end = _period(args)
    res = review.summary(_station(), start, end)
    lines = []
    for i in res["items"]:
        state = "pending" if i["reviewed_at"] is None else "pass" if i["passed"] else "FAIL"
        failed = [k for k, v in i["answers"].items() if v is False]
        lines.append(f"{i['id']}  {state:<7} {i['receipt_code']}  {i['clerk'] or '?'}  {i['device'] or '?'}"
                     + (f"  failed: {', '.join(failed)}" if failed else ""))
    for title, groups in (("per clerk", res["by_clerk"]), ("per scanner", res["by_scanner"])):
        lines.append(title + ":")
        for name, t in groups.items():
            lines.append(f"  {name}: {t['sampled']} sampled, {t['reviewed']} reviewed, {t['passed']} passed, "
                         f"{t['failed']} failed")
    if not res["items"]:
        lines = ["no sampled page in this period"]
    emit(res, args.json, "\n".join(lines))
    return EXIT_OK

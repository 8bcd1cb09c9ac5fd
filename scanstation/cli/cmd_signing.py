"""Signing commands: tokens, sign, verify. The PIN never comes from the command line."""

from __future__ import annotations

import argparse
import getpass
import os
import re
import sys
from datetime import datetime
from pathlib import Path

from scanstation.cli import EXIT_ERROR, EXIT_FINDINGS, emit
from scanstation.errors import PinLockedError, ValidationError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("tokens", help="list PKCS#11 modules, tokens, certificates and PIN status (no PIN asked)")
    p.add_argument("--module", help="PKCS#11 module path (default: token.module setting, then known modules)")
    p.add_argument("--all-modules", action="store_true", help="also show where the station looked")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_tokens)

    # allow_abbrev=False: otherwise "--pin 1234" would be taken as "--pin-env 1234"
    p = sub.add_parser("sign", help="sign PDFs with a USB token (PAdES, visible stamp on page 1)",
                       allow_abbrev=False)
    p.add_argument("pdfs", nargs="+", type=Path, metavar="PDF")
    p.add_argument("--module", help="PKCS#11 module path (default: token.module setting, then known modules)")
    p.add_argument("--token", required=True, help="token label")
    p.add_argument("--key-id", help="CKA_ID of the key/certificate in hex (when the token holds several)")
    p.add_argument("--pin-env", metavar="VAR",
                   help="read the PIN from this environment variable (default: prompt without echo)")
    p.add_argument("--role", choices=("clerk", "copy"), default="clerk",
                   help="clerk: the scanning clerk's signature (top left); copy: certified copy SAO Y (top right)")
    p.add_argument("--signer-name", help="name on the clerk's stamp (default: clerk.name, else the certificate)")
    p.add_argument("--org-name", help="organisation on the SAO Y text (default: station.org_name)")
    p.add_argument("--scan-time", help="time of scanning, ISO 8601 (default: the PDF's creation date)")
    p.add_argument("--trust", action="append", type=Path, metavar="CA.pem",
                   help="also trust this CA certificate (on top of the station's anchors)")
    p.add_argument("--tsa", help="RFC 3161 timestamp URL (default: signing.tsa_url; unreachable: offline)")
    p.add_argument("--out", required=True, type=Path, metavar="DIR")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_sign)

    p = sub.add_parser("verify", help="verify signed PDFs (integrity, trust, coverage, PDF/A claim)")
    p.add_argument("pdfs", nargs="+", type=Path, metavar="PDF")
    p.add_argument("--trust", action="append", type=Path, metavar="CA.pem",
                   help="also trust this CA certificate (on top of the station's anchors)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_verify)


def _settings():
    from scanstation.config import Settings

    return Settings()


def _roots(args, settings):
    """The station's trust store (shipped anchors + signing.trust_roots + test CAs - disabled) plus --trust."""
    from scanstation.flow.trust import station_trust

    return station_trust(settings, extra=[str(t) for t in args.trust or ()])


def _anchor_text(anchor: dict | None) -> str:
    if not anchor:
        return "no trusted anchor"
    return f"{anchor['name']}{' — TEST CA, not valid for real dossiers' if anchor['test'] else ''}"


def _module(args, settings) -> tuple[str | None, bool]:
    """The PKCS#11 module to use and whether IT staff pinned it (token.module, a station-only setting).
    A pinned module is the only one: --module may name it again but not another."""
    from scanstation.errors import TokenModuleError

    pinned = settings.get("token.module") or None
    if pinned and args.module and os.path.normcase(os.path.abspath(args.module)) != os.path.normcase(
            os.path.abspath(pinned)):
        raise TokenModuleError(f"IT staff pinned the PKCS#11 module to {pinned} (setting token.module); "
                               f"--module {args.module} is not allowed on this station",
                               f"Cán bộ CNTT đã chỉ định thư viện PKCS#11 {pinned}; không dùng thư viện khác",
                               field="module")
    return pinned or args.module or None, bool(pinned)


def cmd_tokens(args) -> int:
    from cryptography import x509

    from scanstation.signing import discover_modules, list_tokens
    from scanstation.signing.trust import chain_to_anchor

    st = _settings()
    module, pinned = _module(args, st)
    mods = discover_modules(module, include_missing=args.all_modules, pinned=pinned)
    tokens = list_tokens(module)
    trust = _roots(argparse.Namespace(trust=None), st)
    token_dicts: list[dict] = [t.to_dict() for t in tokens]
    data = {"modules": [m.to_dict() for m in mods], "pinned": module if pinned else None, "tokens": token_dicts}
    lines = [f"module {m.path}: {'ok' if m.loadable else m.reason} ({m.vendor})"
             + (" — pinned by IT staff (token.module)" if m.source == "pinned" else "") for m in mods]
    for t, td in zip(tokens, token_dicts, strict=True):
        w = t.pin.warning()
        lines.append(f"token '{t.label}' serial {t.serial} ({t.manufacturer} {t.model})"
                     + (f" — {w[0]}" if w else ""))
        others = [x509.load_der_x509_certificate(c.der) for c in t.certificates if c.der]
        for c, cd in zip(t.certificates, td["certificates"], strict=True):
            res = chain_to_anchor(c.der, trust, others) if c.der and not c.is_ca else None
            cd["anchor"] = res.anchor.to_dict() if res and res.anchor else None
            cd["chain"] = list(res.path) if res else []
            cd["trust_problem"] = res.problem if res and res.anchor is None else ""
            reach = (_anchor_text(cd["anchor"]) if cd["anchor"] else f"untrusted: {cd['trust_problem']}") if res \
                else "CA certificate"
            lines.append(f"  id {c.id_hex}: {c.common_name} | issuer {c.issuer} | serial {c.serial} | "
                         f"{c.not_before:%d/%m/%Y}–{c.not_after:%d/%m/%Y} | {', '.join(c.key_usage) or '-'} | "
                         f"anchor: {reach}")
    emit(data, args.json, "\n".join(lines) or "no token found")
    return 0


def _read_pin(args, token_label: str, module: str | None) -> str:
    """The PIN from the named environment variable, else a no-echo prompt — after showing the PIN status."""
    from scanstation.signing import list_tokens

    status = next((t.pin for t in list_tokens(module) if t.label == token_label), None)
    if status is not None:
        if status.locked:
            raise PinLockedError(f"The PIN of token '{token_label}' is locked; unlock it with the CA's tool",
                                 status.warning()[1], field="pin")   # type: ignore[index]
        w = status.warning()
        if w:
            sys.stderr.write(f"warning: {w[0]}\n")
    if args.pin_env:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", args.pin_env):
            # never echo it: someone may have typed the PIN itself here
            raise ValidationError("--pin-env takes the NAME of an environment variable holding the PIN",
                                  "--pin-env nhận TÊN biến môi trường chứa mã PIN, không nhận mã PIN",
                                  field="pin_env")
        pin = os.environ.get(args.pin_env)
        if pin is None:
            raise ValidationError(f"environment variable {args.pin_env} is not set",
                                  f"Chưa đặt biến môi trường {args.pin_env} chứa mã PIN", field="pin_env")
        return pin
    if not sys.stdin.isatty():
        raise ValidationError("no PIN: use --pin-env VAR or run in a terminal",
                              "Chưa có mã PIN: dùng --pin-env hoặc chạy trong cửa sổ lệnh", field="pin_env")
    return getpass.getpass(f"PIN for token '{token_label}': ")


def _parse_time(s: str | None) -> datetime | None:
    if not s:
        return None
    try:
        t = datetime.fromisoformat(s)
    except ValueError:
        raise ValidationError(f"--scan-time '{s}' is not an ISO 8601 date-time",
                              f"Thời gian số hóa '{s}' không đúng định dạng ISO 8601", field="scan_time") from None
    return t if t.tzinfo else t.astimezone()


def cmd_sign(args) -> int:
    from scanstation.signing import SignOptions, open_session, sign_batch

    st = _settings()
    module, _pinned = _module(args, st)
    opts = SignOptions(role=args.role, signer_name=args.signer_name or st.get("clerk.name") or None,
                       org_name=args.org_name or st.get("station.org_name"), scan_time=_parse_time(args.scan_time),
                       tsa_url=args.tsa or st.get("signing.tsa_url") or None, trust_roots=_roots(args, st),
                       stamp_font=st.get("signing.stamp_font") or None, copy_font=st.get("signing.copy_font") or None)
    for p in args.pdfs:
        if not p.is_file():
            raise ValidationError(f"{p}: no such file", f"Không có tệp {p}", field="pdf")
    pin = _read_pin(args, args.token, module)
    items = [(p, args.out / p.name) for p in args.pdfs]
    with open_session(module, args.token, pin, key_id=args.key_id, trust_roots=opts.trust_roots) as ts:
        del pin
        res = sign_batch(ts, items, opts)
    lines = [f"{'kept ' if s.skipped else 'signed'} {s.path}  sha256 {s.sha256[:16]}…  by {s.signer}"
             for s in res.signed]
    lines += [f"FAILED {f['source']}: {f['message_en']}" for f in res.failed]
    if res.tsa_problem:
        lines.append(f"warning: timestamp authority unreachable, signed offline ({res.tsa_problem})")
    if res.stopped:
        lines.append(f"STOPPED: {res.stopped.message_en}")
        lines += [f"  not signed yet: {p}" for p in res.pending]
    emit(res.to_dict(), args.json, "\n".join(lines))
    if res.stopped:
        return EXIT_ERROR
    return EXIT_FINDINGS if res.failed else 0


def cmd_verify(args) -> int:
    from scanstation.signing import verify_file

    roots = _roots(args, _settings())
    reports = [verify_file(p, roots) for p in args.pdfs]
    lines = []
    for r in reports:
        pdfa = f"PDF/A-{r.pdfa['claim']}" if r.pdfa else "no PDF/A claim"
        lines.append(f"{'OK ' if r.ok else 'BAD'} {r.path} ({pdfa})" + (" [TEST signature]" if r.test else ""))
        for s in r.signatures:
            lines.append(f"    {s.field} [{s.role}] {s.signer} at {s.signing_time} page {s.page} rect {s.rect}: "
                         f"intact={s.intact} trusted={s.trusted} coverage={s.coverage}")
            lines.append(f"      anchor: {_anchor_text(s.anchor)}" + (f" (chain: {' > '.join(s.chain)})" if s.chain
                                                                        else ""))
            lines.append(f"      after signing: {s.modification_en}")
        lines += [f"    problem: {p}" for p in r.problems]
    emit([r.to_dict() for r in reports], args.json, "\n".join(lines))
    return 0 if all(r.ok for r in reports) else EXIT_FINDINGS

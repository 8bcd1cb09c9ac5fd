"""A provincial-system simulator: a real HTTP server implementing the upload contract (docs/sync.md),
with injectable faults, for the demo, for training clerks and for tests.

Faults are given as ``name=rate[:param]`` separated by commas, e.g.
``5xx=0.1,429=0.05:2,timeout=0.02:10,reset=0.05,slow=0.05:1.5,expired-token=0.05,wrong-hash=0.1``.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import logging
import os
import random
import re
import secrets
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from scanstation.errors import ValidationError

log = logging.getLogger(__name__)

# name -> (what it does, default parameter)
FAULTS: dict[str, tuple[str, float]] = {
    "5xx": ("answer 500/502/503 before doing anything", 0.0),
    "429": ("answer 429 Too Many Requests with Retry-After: PARAM seconds", 1.0),
    "timeout": ("do the work, then hang PARAM seconds and close without answering (a lost reply)", 30.0),
    "reset": ("reset the connection (TCP RST) in the middle of a request body, keeping what arrived", 0.0),
    "slow": ("answer after PARAM seconds", 2.0),
    "expired-token": ("reject the bearer token as expired (401), forcing a new token", 0.0),
    "wrong-hash": ("report a wrong SHA-256 in a confirmation", 0.0),
}


@dataclass(frozen=True)
class FaultSpec:
    rates: dict[str, tuple[float, float]] = field(default_factory=dict)   # name -> (rate, param)

    @classmethod
    def parse(cls, spec: str | None) -> FaultSpec:
        rates: dict[str, tuple[float, float]] = {}
        for part in (spec or "").split(","):
            part = part.strip()
            if not part:
                continue
            m = re.fullmatch(r"([a-z0-9-]+)\s*=\s*([0-9.]+)(?::([0-9.]+))?", part)
            if not m or m.group(1) not in FAULTS:
                raise ValidationError(f"Bad fault '{part}': use NAME=RATE[:PARAM] with NAME one of "
                                      f"{', '.join(FAULTS)}", f"Lỗi giả lập không hợp lệ: '{part}'", field="faults")
            rate = float(m.group(2))
            if not 0 <= rate <= 1:
                raise ValidationError(f"Fault rate {rate} for {m.group(1)} must be between 0 and 1",
                                      f"Tỉ lệ lỗi {rate} phải từ 0 đến 1", field="faults")
            rates[m.group(1)] = (rate, float(m.group(3)) if m.group(3) else FAULTS[m.group(1)][1])
        return cls(rates)


class _Abort(Exception):
    """End this connection without (another) answer."""


class _RateLimit:
    """Aggregate receive rate over all connections (a slow provincial link)."""

    def __init__(self, bps: float) -> None:
        self.bps = bps
        self._lock = threading.Lock()
        self._next = time.monotonic()

    def take(self, n: int) -> None:
        if self.bps <= 0:
            return
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + n / self.bps
            wait = start - now
        if wait > 0:
            time.sleep(wait)


class SimState:
    """What the simulated provincial system holds, persisted under its data folder."""

    def __init__(self, data: Path, faults: FaultSpec, seed: int | None, secret: str, client_id: str | None,
                 token_ttl: float, rate: float) -> None:
        self.data = Path(data)
        (self.data / "uploads").mkdir(parents=True, exist_ok=True)
        (self.data / "files").mkdir(parents=True, exist_ok=True)
        self.faults = faults
        self.rng = random.Random(seed)
        self.secret = secret
        self.client_id = client_id
        self.token_ttl = token_ttl
        self.limit = _RateLimit(rate)
        self.lock = threading.RLock()
        self.tokens: dict[str, float] = {}
        self.uploads: dict[str, dict[str, Any]] = {}
        self.by_key: dict[str, str] = {}
        self.fault_counts: dict[str, int] = {k: 0 for k in FAULTS}
        self.requests = 0
        # The stations' audit chain heads, as sent with uploads: station -> seq -> {hash, received_at}.
        self.anchors: dict[str, dict[int, dict[str, Any]]] = {}
        self.anchor_conflicts: dict[str, list[dict[str, Any]]] = {}
        with contextlib.suppress(OSError, json.JSONDecodeError, AttributeError, ValueError, TypeError, KeyError):
            saved = json.loads((self.data / "anchors.json").read_text("utf-8"))
            self.anchors = {st: {int(k): v for k, v in a.items()} for st, a in saved["anchors"].items()}
            self.anchor_conflicts = saved["conflicts"]
        self.revocations: dict[str, dict[str, Any]] = {}
        rev = self.data / "revocations.json"
        if rev.exists():
            with contextlib.suppress(OSError, json.JSONDecodeError):
                self.revocations = json.loads(rev.read_text("utf-8"))
        self.identities = _load_identities(self.data / "identities.json")
        for p in sorted((self.data / "uploads").glob("*.json")):
            try:
                u = json.loads(p.read_text("utf-8"))
            except (OSError, json.JSONDecodeError):
                continue
            self.uploads[u["upload_id"]] = u
            self.by_key[u["idempotency_key"]] = u["upload_id"]

    def roll(self, name: str) -> float | None:
        """Whether fault ``name`` fires now; returns its parameter when it does."""
        spec = self.faults.rates.get(name)
        if not spec or spec[0] <= 0:
            return None
        with self.lock:
            hit = self.rng.random() < spec[0]
            if hit:
                self.fault_counts[name] += 1
        return spec[1] if hit else None

    def part(self, uid: str) -> Path:
        return self.data / "uploads" / f"{uid}.part"

    def save(self, u: dict[str, Any]) -> None:
        p = self.data / "uploads" / f"{u['upload_id']}.json"
        tmp = p.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(u, ensure_ascii=False), "utf-8")
        os.replace(tmp, p)

    def record_anchor(self, head: dict[str, Any]) -> None:
        """Keep a station's audit chain head (caller holds the lock). The same seq arriving later with a
        different hash is a rewritten chain: the first hash is kept and the conflict recorded."""
        st, seq, h = head["station"], head["seq"], head["hash"]
        known = self.anchors.setdefault(st, {})
        if seq in known:
            if known[seq]["hash"] == h:
                return
            self.anchor_conflicts.setdefault(st, []).append(
                {"seq": seq, "hash": h, "first_hash": known[seq]["hash"], "received_at": time.time()})
        else:
            known[seq] = {"hash": h, "received_at": time.time()}
        p = self.data / "anchors.json"
        tmp = p.with_suffix(".json.tmp")
        tmp.write_text(json.dumps({"anchors": self.anchors, "conflicts": self.anchor_conflicts}), "utf-8")
        os.replace(tmp, p)

    def anchor_view(self, station: str, last: int = 100) -> dict[str, Any]:
        with self.lock:
            known = self.anchors.get(station, {})
            anchors = [{"seq": s, **known[s]} for s in sorted(known)[-last:]]
            return {"station": station, "anchors": anchors, "conflicts": list(self.anchor_conflicts.get(station, []))}

    def received(self) -> dict[str, Any]:
        with self.lock:
            files = [{k: u[k] for k in ("idempotency_key", "upload_id", "dossier_code", "component_id",
                                        "document_type", "file_name", "size", "stored_sha256", "submissions",
                                        "stored_at", "stored_path", "metadata")}
                     for u in self.uploads.values() if u["state"] == "stored"]
            pending = [{"idempotency_key": u["idempotency_key"], "offset": u["offset"], "size": u["size"],
                        "submissions": u["submissions"]} for u in self.uploads.values() if u["state"] != "stored"]
            for f in files:
                f["sha256"] = f.pop("stored_sha256")
                f["path"] = f.pop("stored_path")
            files.sort(key=lambda f: f["stored_at"])
            revoked = {r["sha256"] for r in self.revocations.values()}
            for f in files:
                f["revoked"] = f["sha256"] in revoked
            return {"files": files, "pending": pending, "faults": dict(self.fault_counts), "requests": self.requests,
                    "revocations": sorted(self.revocations.values(), key=lambda r: r["received_at"])}

    def save_revocations(self) -> None:
        p = self.data / "revocations.json"
        tmp = p.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.revocations, ensure_ascii=False), "utf-8")
        os.replace(tmp, p)


# Seeded digital identities and electronic stores (made-up people; the station's tests and the demo).
SEED_IDENTITIES: dict[str, dict[str, Any]] = {
    "066190001234": {"name": "Nguyễn Thị Hồng Nhung", "account": True, "account_level": 2, "papers": [
        {"document_id": "KHO-066190001234-0001", "type_code": "GXNHN", "name": "Giấy xác nhận tình trạng hôn nhân",
         "number_symbol": "45/2026/XNHN", "issue_date": "2026-09-01", "valid_until": "2027-03-01", "valid": True},
        {"document_id": "KHO-066190001234-0002", "type_code": "VBUQ", "name": "Văn bản ủy quyền",
         "number_symbol": "12/2026/UQ", "issue_date": "2026-10-12", "valid_until": None, "valid": True},
        {"document_id": "KHO-066190001234-0003", "type_code": "GCS", "name": "Giấy chứng sinh (hết hiệu lực)",
         "number_symbol": "9/2019", "issue_date": "2019-01-01", "valid_until": "2020-01-01", "valid": False}]},
    "001099012345": {"name": "Nguyễn Văn An", "account": True, "account_level": 2, "papers": []},
    "079099000002": {"name": "Lê Thị Hạnh", "account": True, "account_level": 1, "sim_answer_for": "079099000003",
                     "papers": [{"document_id": "KHO-079099000003-0001", "type_code": "VBUQ",
                                 "name": "Văn bản ủy quyền", "number_symbol": "1/2026", "issue_date": "2026-01-02",
                                 "valid": True}]},
    "079099000004": {"name": "Phạm Văn Bình", "account": True, "account_level": 2, "sim_delay_s": 3.0,
                     "papers": [{"document_id": "KHO-079099000004-0001", "type_code": "VBUQ",
                                 "name": "Văn bản ủy quyền", "number_symbol": "2/2026", "issue_date": "2026-02-03",
                                 "valid": True}]},
    "079099000005": {"name": "Đỗ Thị Quỳnh", "account": True, "account_level": 2, "papers": [
        {"document_id": "KHO-079099000005-0001", "type_code": "VBUQ", "name": "Văn bản ủy quyền",
         "number_symbol": "3/2026", "issue_date": "2026-03-04", "valid": True},
        {"document_id": "KHO-079099000005-0001", "type_code": "VBUQ", "name": "Văn bản ủy quyền",
         "number_symbol": "3/2026", "issue_date": "2026-03-04", "valid": True}]},
    "0100233488": {"name": "Công ty TNHH Mẫu", "account": True, "account_level": 2, "papers": []},
}


def _load_identities(path: Path) -> dict[str, dict[str, Any]]:
    """The seeded identities, or those in ``identities.json`` under the simulator's data folder."""
    if path.exists():
        with contextlib.suppress(OSError, json.JSONDecodeError):
            data = json.loads(path.read_text("utf-8"))
            if isinstance(data, dict):
                return data
    return json.loads(json.dumps(SEED_IDENTITIES))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True   # headers and body go out in two writes: no 40 ms delayed-ACK stalls
    server: ProvincialSimServer
    server_version = "ProvincialSim/1"

    def log_message(self, fmt, *args):  # quiet by default; -v shows requests
        log.debug("%s " + fmt, self.address_string(), *args)

    @property
    def st(self) -> SimState:
        return self.server.state

    # --- plumbing ---
    def _reply(self, code: int, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None,
               close: bool = False) -> None:
        data = json.dumps(body if body is not None else {}, ensure_ascii=False).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(data)

    def _rst(self) -> None:
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        for f in (self.rfile, self.wfile, self.connection):
            with contextlib.suppress(OSError):
                f.close()
        self.close_connection = True
        raise _Abort()

    def _length(self) -> int:
        try:
            return max(0, int(self.headers.get("Content-Length") or 0))
        except ValueError:
            return -1

    def _read(self, n: int, *, reset_at: int | None = None, sink=None) -> bytes:
        """Read the body at the simulated link rate; with ``reset_at``, give what arrived to ``sink``
        and reset the connection there."""
        out = bytearray()
        while len(out) < n:
            step = min(65536, n - len(out))
            if reset_at is not None and len(out) + step > reset_at:
                step = reset_at - len(out)
                if step <= 0:
                    if sink:
                        sink(bytes(out))
                    self._rst()
            self.st.limit.take(step)
            chunk = self.rfile.read(step)
            if not chunk:
                raise _Abort()
            out += chunk
        return bytes(out)

    def _json_body(self) -> dict[str, Any]:
        n = self._length()
        if n < 0 or n > 1 << 20:
            self._reply(400, {"error": "bad Content-Length"}, close=True)
            raise _Abort()
        try:
            body = json.loads(self._read(n) or b"{}")
        except (json.JSONDecodeError, UnicodeDecodeError):
            self._reply(400, {"error": "body is not JSON"})
            raise _Abort() from None
        return body if isinstance(body, dict) else {}

    def _dispatch(self, method: str) -> None:
        with self.st.lock:
            self.st.requests += 1
        path = urlsplit(self.path).path.rstrip("/")
        try:
            if method == "GET" and path == "/_sim/received":
                return self._reply(200, self.st.received())
            if method == "GET" and path == "/api/v1/health":
                return self._reply(200, {"ok": True})
            if path == "/oauth/token" and method == "POST":
                self._common_faults()
                return self._token()
            m = re.fullmatch(r"/api/v1/audit/anchors/([^/]{1,200})", path)
            if m and method == "GET":
                self._auth()
                return self._reply(200, self.st.anchor_view(unquote(m.group(1))))
            if method == "POST" and path in ("/api/v1/revocations", "/api/v1/identity/lookup",
                                             "/api/v1/identity/papers"):
                self._common_faults()
                self._auth()
                return {"/api/v1/revocations": self._revocation, "/api/v1/identity/lookup": self._identity,
                        "/api/v1/identity/papers": self._papers}[path]()
            m = re.fullmatch(r"/api/v1/uploads(?:/([0-9a-f]{32})(/complete)?)?", path)
            if not m:
                return self._reply(404, {"error": "no such endpoint"}, close=True)
            self._common_faults()
            self._auth()
            uid, complete = m.group(1), m.group(2)
            if method == "POST" and not uid:
                return self._begin()
            if uid and uid not in self.st.uploads:
                return self._reply(404, {"error": "no such upload"}, close=True)
            if method == "PATCH" and uid and not complete:
                return self._chunk(uid)
            if method == "POST" and uid and complete:
                return self._complete(uid)
            if method == "GET" and uid and not complete:
                return self._reply(200, self._view(self.st.uploads[uid]))
            return self._reply(405, {"error": "method not allowed"}, close=True)
        except _Abort:
            self.close_connection = True
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def do_GET(self):  # noqa: N802
        self._dispatch("GET")

    def do_POST(self):  # noqa: N802
        self._dispatch("POST")

    def do_PATCH(self):  # noqa: N802
        self._dispatch("PATCH")

    # --- faults and auth ---
    def _common_faults(self) -> None:
        slow = self.st.roll("slow")
        if slow is not None:
            time.sleep(slow)
        if self.st.roll("5xx") is not None:
            self._reply(self.st.rng.choice((500, 502, 503)), {"error": "simulated server error"}, close=True)
            raise _Abort()
        ra = self.st.roll("429")
        if ra is not None:
            self._reply(429, {"error": "too many requests"}, {"Retry-After": f"{ra:g}"}, close=True)
            raise _Abort()

    def _after_work_faults(self) -> None:
        hang = self.st.roll("timeout")
        if hang is not None:
            time.sleep(hang)
            self._rst()

    def _auth(self) -> None:
        h = self.headers.get("Authorization", "")
        tok = h[7:] if h.lower().startswith("bearer ") else ""
        with self.st.lock:
            exp = self.st.tokens.get(tok)
            valid = exp is not None and exp > time.time()
        if valid and self.st.roll("expired-token") is not None:
            with self.st.lock:
                self.st.tokens.pop(tok, None)
            valid = False
        if not valid:
            self._reply(401, {"error": "invalid_token"},
                        {"WWW-Authenticate": 'Bearer error="invalid_token"'}, close=True)
            raise _Abort()

    def _token(self) -> None:
        n = self._length()
        form = parse_qs(self._read(max(0, n)).decode("utf-8", "replace"))
        cid = (form.get("client_id") or [""])[0]
        sec = (form.get("client_secret") or [""])[0]
        h = self.headers.get("Authorization", "")
        if h.lower().startswith("basic "):
            with contextlib.suppress(ValueError, UnicodeDecodeError):
                cid, _, sec = base64.b64decode(h[6:]).decode().partition(":")
        if (form.get("grant_type") or [""])[0] != "client_credentials":
            return self._reply(400, {"error": "unsupported_grant_type"})
        if not secrets.compare_digest(sec.encode(), self.st.secret.encode()) or (
                self.st.client_id and cid != self.st.client_id):
            return self._reply(401, {"error": "invalid_client"})
        tok = secrets.token_hex(24)
        with self.st.lock:
            now = time.time()
            self.st.tokens = {k: v for k, v in self.st.tokens.items() if v > now}
            self.st.tokens[tok] = now + self.st.token_ttl
        self._reply(200, {"access_token": tok, "token_type": "Bearer", "expires_in": int(self.st.token_ttl)})

    # --- revocation and digital identity (docs/sync.md) ---
    def _revocation(self) -> None:
        b = self._json_body()
        key = str(b.get("idempotency_key") or self.headers.get("Idempotency-Key") or "")
        sha = str(b.get("sha256") or "")
        if not key or len(sha) != 64 or not str(b.get("reason") or "").strip():
            return self._reply(400, {"error": "idempotency_key, sha256 and reason are required"})
        with self.st.lock:
            known = any(u.get("stored_sha256") == sha for u in self.st.uploads.values())
            rec = self.st.revocations.get(key)
            if rec is None:
                rec = {"revocation_id": secrets.token_hex(8), "idempotency_key": key, "sha256": sha,
                       "dossier_code": str(b.get("dossier_code") or ""), "file_name": str(b.get("file_name") or ""),
                       "reason": str(b["reason"]), "revoked_at": str(b.get("revoked_at") or ""),
                       "document_id": b.get("document_id"), "received_at": time.time(), "known_file": known}
                self.st.revocations[key] = rec
                self.st.save_revocations()
        self._reply(200, {"revocation_id": rec["revocation_id"], "state": "recorded", "known_file": rec["known_file"]})

    def _lookup_body(self) -> tuple[str, str] | None:
        b = self._json_body()
        id_type, number = str(b.get("id_type") or ""), str(b.get("id_number") or "")
        if not id_type or not number:
            self._reply(400, {"error": "id_type and id_number are required"})
            return None
        return id_type, number

    def _identity_fault(self, number: str) -> bool:
        """Seeded misbehaviour for the station's tests: a slow answer, or an answer about someone else."""
        person = self.st.identities.get(number) or {}
        if person.get("sim_delay_s"):
            time.sleep(float(person["sim_delay_s"]))
        return bool(person.get("sim_answer_for"))

    def _identity(self) -> None:
        q = self._lookup_body()
        if q is None:
            return
        id_type, number = q
        wrong = self._identity_fault(number)
        person = self.st.identities.get(number)
        answer_for = (person or {}).get("sim_answer_for") if wrong else number
        self._reply(200, {"id_type": id_type, "id_number": answer_for,
                          "has_account": bool(person and person.get("account")),
                          "account_level": (person or {}).get("account_level"),
                          "name": (person or {}).get("name")})

    def _papers(self) -> None:
        q = self._lookup_body()
        if q is None:
            return
        id_type, number = q
        wrong = self._identity_fault(number)
        person = self.st.identities.get(number) or {}
        papers = [p for p in person.get("papers", []) if p.get("valid", True)]
        self._reply(200, {"id_type": id_type, "id_number": person.get("sim_answer_for") if wrong else number,
                          "papers": [{k: p.get(k) for k in ("document_id", "type_code", "name", "number_symbol",
                                                             "issue_date", "valid_until")} for p in papers]})

    # --- the upload contract ---
    def _view(self, u: dict[str, Any]) -> dict[str, Any]:
        v = {"upload_id": u["upload_id"], "idempotency_key": u["idempotency_key"], "state": u["state"],
             "offset": u["offset"], "size": u["size"]}
        if u["state"] == "stored":
            sha = u["stored_sha256"]
            if self.st.roll("wrong-hash") is not None:
                sha = hashlib.sha256(sha.encode()).hexdigest()
            v.update(sha256=sha, document_id=u["upload_id"], stored_at=u["stored_at"])
        return v

    def _begin(self) -> None:
        b = self._json_body()
        key = str(b.get("idempotency_key") or "")
        hdr = self.headers.get("Idempotency-Key", "")
        sha, size = str(b.get("sha256") or "").lower(), b.get("size")
        missing = [f for f in ("dossier_code", "file_name") if not b.get(f)]
        if not key or hdr != key:
            return self._reply(400, {"error": "Idempotency-Key header missing or different from the body"})
        if missing or not re.fullmatch(r"[0-9a-f]{64}", sha) or not isinstance(size, int) or size < 0:
            return self._reply(400, {"error": f"invalid upload request (missing {missing or 'sha256/size'})"})
        head = b.get("audit_head")
        if head is not None and not (
                isinstance(head, dict) and isinstance(head.get("station"), str) and 0 < len(head["station"]) <= 64
                and isinstance(head.get("seq"), int) and head["seq"] > 0
                and isinstance(head.get("hash"), str) and re.fullmatch(r"[0-9a-f]{64}", head["hash"])):
            return self._reply(400, {"error": "invalid audit_head (station, seq, hash)"})
        with self.st.lock:
            if head is not None:
                self.st.record_anchor(head)
            uid = self.st.by_key.get(key)
            if uid:
                u = self.st.uploads[uid]
                u["submissions"] += 1
                if u["sha256"] != sha or u["size"] != size:
                    self.st.save(u)
                    return self._reply(409, {"error": "idempotency_key_conflict",
                                             "detail": "this key was used for a different file"})
                code = 200
            else:
                uid = secrets.token_hex(16)
                u = {"upload_id": uid, "idempotency_key": key, "dossier_code": str(b["dossier_code"]),
                     "component_id": str(b.get("component_id") or ""), "document_type": str(b.get("document_type")
                                                                                         or ""),
                     "file_name": str(b["file_name"]), "size": size, "sha256": sha,
                     "metadata": b.get("metadata") or {}, "offset": 0, "state": "receiving", "submissions": 1,
                     "created_at": time.time(), "stored_at": None, "stored_sha256": None, "stored_path": None}
                self.st.part(uid).write_bytes(b"")
                self.st.uploads[uid], self.st.by_key[key] = u, uid
                code = 201
            self.st.save(u)
            view = self._view(u)
        self._after_work_faults()
        self._reply(code, view)

    def _chunk(self, uid: str) -> None:
        u = self.st.uploads[uid]
        n = self._length()
        try:
            start = int(self.headers.get("Upload-Offset", "-1"))
        except ValueError:
            start = -1
        with self.st.lock:
            cur, size, state = u["offset"], u["size"], u["state"]
        if n < 0 or start < 0:
            return self._reply(400, {"error": "Upload-Offset and Content-Length are required"}, close=True)
        if start != cur or state == "stored":
            # Discard the body so the connection stays usable, then tell the client where we are.
            self._read(n)
            return self._reply(409, {"error": "offset_mismatch", "offset": size if state == "stored" else cur})
        if start + n > size:
            return self._reply(400, {"error": "chunk goes past the declared size"}, close=True)

        def apply(data: bytes) -> int:
            with self.st.lock:
                if u["offset"] != start or u["state"] == "stored":
                    return u["offset"]
                with open(self.st.part(uid), "r+b") as f:
                    f.seek(start)
                    f.write(data)
                    f.truncate(start + len(data))
                u["offset"] = start + len(data)
                self.st.save(u)
                return u["offset"]

        reset = self.st.roll("reset") if n > 1 else None
        if reset is not None:
            self._read(n, reset_at=self.st.rng.randint(1, n - 1), sink=apply)
        offset = apply(self._read(n))
        self._after_work_faults()
        self._reply(200, {"upload_id": uid, "offset": offset})

    def _complete(self, uid: str) -> None:
        u = self.st.uploads[uid]
        with self.st.lock:
            if u["state"] != "stored":
                if u["offset"] != u["size"]:
                    return self._reply(409, {"error": "incomplete", "offset": u["offset"]})
                h = hashlib.sha256()
                with open(self.st.part(uid), "rb") as f:
                    while chunk := f.read(1 << 20):
                        h.update(chunk)
                actual = h.hexdigest()
                if actual != u["sha256"]:
                    self.st.part(uid).write_bytes(b"")
                    u["offset"] = 0
                    self.st.save(u)
                    return self._reply(422, {"error": "hash_mismatch", "sha256": actual, "offset": 0})
                dest_dir = self.st.data / "files" / re.sub(r"[^\w.-]", "_", u["dossier_code"])
                dest_dir.mkdir(parents=True, exist_ok=True)
                dest = dest_dir / (uid + "-" + re.sub(r"[^\w.-]", "_", u["file_name"]))
                os.replace(self.st.part(uid), dest)
                u.update(state="stored", stored_sha256=actual, stored_at=time.time(), stored_path=str(dest))
                self.st.save(u)
            view = self._view(u)
        self._after_work_faults()
        self._reply(200, view)


class ProvincialSimServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, addr, state: SimState) -> None:
        self.state = state
        super().__init__(addr, _Handler)

    def handle_error(self, request, client_address):  # connections we reset on purpose are not errors
        log.debug("connection from %s ended abruptly", client_address, exc_info=True)


class ProvincialSimulator:
    """Run the simulator in this process (a background thread) or in the foreground."""

    def __init__(self, data: Path, host: str = "127.0.0.1", port: int = 0, *, faults: str | FaultSpec = "",
                 seed: int | None = None, secret: str = "demo-secret", client_id: str | None = None,
                 token_ttl: float = 3600.0, rate: float = 0.0) -> None:
        spec = faults if isinstance(faults, FaultSpec) else FaultSpec.parse(faults)
        self.state = SimState(Path(data), spec, seed, secret, client_id, token_ttl, rate)
        self.server = ProvincialSimServer((host, port), self.state)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> ProvincialSimulator:
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="provincial-sim", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.server.serve_forever(poll_interval=0.2)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self._thread:
            self._thread.join(5)

    def received(self) -> dict[str, Any]:
        return self.state.received()

    def __enter__(self) -> ProvincialSimulator:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

"""The link to the provincial system: OAuth2 client credentials, chunked resumable upload, status.

The contract (paths, headers, JSON fields) is documented in docs/sync.md and implemented by
:mod:`scanstation.sync.simulator`. Everything the worker needs goes through :class:`ProvincialClient`;
every failure becomes :class:`UploadRetryable` (try later), :class:`UploadRejected` (a person must
look) or :class:`HashMismatch`.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

from scanstation.errors import CredentialsError, HashMismatch, SettingsError, UploadRejected, UploadRetryable

log = logging.getLogger(__name__)

API = "/api/v1"
KEYRING_SERVICE = "scanstation-provincial"
SECRET_ENV = "SCANSTATION_PROVINCIAL_SECRET"
MAX_ANSWER_BYTES = 1 << 20        # every answer of the contract is a small JSON object
MIN_SEND_RATE = 8 * 1024          # bytes/s a request body is given on top of the answer deadline


@dataclass(frozen=True)
class ProvincialConfig:
    endpoint: str
    client_id: str = "scanstation"
    token_url: str = ""
    ca_bundle: str = ""
    timeout_s: float = 60.0
    connect_timeout_s: float = 10.0
    chunk_size: int = 1024 * 1024

    def __post_init__(self) -> None:
        check_endpoint(self.endpoint, "provincial.endpoint")
        if self.token_url:
            check_endpoint(self.token_url, "provincial.token_url")
        if self.ca_bundle and not os.path.isfile(self.ca_bundle):
            raise SettingsError(f"provincial.ca_bundle: {self.ca_bundle} does not exist",
                                f"provincial.ca_bundle: không có tệp {self.ca_bundle}", field="provincial.ca_bundle")

    @property
    def base(self) -> str:
        return self.endpoint.rstrip("/")

    @property
    def token_endpoint(self) -> str:
        return self.token_url or f"{self.base}/oauth/token"

    @property
    def verify(self) -> str | bool:
        # TLS verification is never switched off; a CA bundle only adds the province's own CA.
        return self.ca_bundle or True

    @classmethod
    def from_settings(cls, settings, endpoint: str | None = None) -> ProvincialConfig:
        ep = endpoint or settings.get("provincial.endpoint")
        if not ep:
            raise SettingsError("No provincial endpoint configured (setting provincial.endpoint or --endpoint)",
                                "Chưa cấu hình địa chỉ hệ thống của tỉnh (provincial.endpoint)",
                                field="provincial.endpoint")
        return cls(endpoint=ep, client_id=settings.get("provincial.client_id") or "scanstation",
                   token_url=settings.get("provincial.token_url") if not endpoint else "",
                   ca_bundle=settings.get("provincial.ca_bundle"),
                   timeout_s=float(settings.get("sync.timeout_s")),
                   chunk_size=max(4, int(settings.get("sync.chunk_kb"))) * 1024)


def check_endpoint(url: str, what: str) -> None:
    """https everywhere; plain http only to this machine (the simulator), never credentials in clear.

    The URL is parsed with the parser the HTTP library itself uses (urllib3's ``parse_url``), so the
    host checked is the host connected to: ``http://evil.example\\@127.0.0.1/`` is ``evil.example``
    there, whatever :func:`urllib.parse.urlsplit` thinks. User information (``user@``), backslashes,
    whitespace and control characters are refused outright: no legitimate endpoint has them."""
    bad = SettingsError(f"{what}: '{url}' is not an http(s) URL", f"{what}: '{url}' không phải địa chỉ http(s)",
                        field=what)
    if any(c == "\\" or c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise SettingsError(f"{what}: '{url}' contains a backslash, space or control character",
                            f"{what}: '{url}' có ký tự không hợp lệ (\\, khoảng trắng...)", field=what)
    try:
        parts = parse_url(url)
    except LocationParseError as e:
        raise bad from e
    split = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.host:
        raise bad
    if parts.auth is not None or "@" in (split.netloc or ""):
        raise SettingsError(f"{what}: '{url}' carries a user name ('...@'); put credentials in the keyring, "
                            "not in the address", f"{what}: địa chỉ không được chứa tên người dùng ('...@')",
                            field=what)
    host = parts.host.strip("[]").lower()
    if (split.hostname or "").lower() != host:   # the two parsers disagree: refuse rather than guess
        raise SettingsError(f"{what}: '{url}' is ambiguous (host '{host}' or '{split.hostname}')",
                            f"{what}: địa chỉ '{url}' không rõ ràng", field=what)
    if parts.scheme == "http" and not _loopback(host):
        raise SettingsError(f"{what}: plain http is only allowed to this machine; use https for {host}",
                            f"{what}: chỉ được dùng http với máy này; hãy dùng https cho {host}", field=what)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# --- credentials -------------------------------------------------------------------------------------
def get_secret(client_id: str) -> str:
    """The client secret: ``SCANSTATION_PROVINCIAL_SECRET`` (headless runs) or the OS keyring."""
    env = os.environ.get(SECRET_ENV)
    if env:
        return env
    keyring = _keyring()
    try:
        secret = keyring.get_password(KEYRING_SERVICE, client_id)
    except Exception as e:  # keyring backends raise their own types (locked, no D-Bus...)
        raise CredentialsError(f"The OS keyring could not be read: {e}",
                               "Không đọc được kho khóa của hệ điều hành") from e
    if not secret:
        raise CredentialsError(
            f"No secret for client '{client_id}' in the OS keyring; store it with "
            f"'scanstation sync set-secret' or set {SECRET_ENV}",
            f"Chưa có mật khẩu kết nối cho '{client_id}' trong kho khóa; cán bộ CNTT cần lưu bằng "
            "'scanstation sync set-secret'")
    return secret


def set_secret(client_id: str, secret: str) -> None:
    keyring = _keyring()
    try:
        keyring.set_password(KEYRING_SERVICE, client_id, secret)
    except Exception as e:
        raise CredentialsError(f"The OS keyring refused the secret: {e}",
                               "Kho khóa của hệ điều hành không lưu được mật khẩu") from e


def _keyring():
    import keyring
    from keyring.backends import fail

    if isinstance(keyring.get_keyring(), fail.Keyring):
        raise CredentialsError(
            f"No OS keyring backend is available on this machine (install/unlock one, e.g. the Secret Service "
            f"or Windows Credential Manager), or set {SECRET_ENV} for headless runs",
            "Máy này không có kho khóa của hệ điều hành; cán bộ CNTT cần cài đặt hoặc đặt biến môi trường "
            f"{SECRET_ENV}")
    return keyring


# --- transport guards: a whole-request deadline, a bounded answer, no redirects ---------------------------
_current_watch = threading.local()


class _Deadline:
    """A whole-request deadline. The HTTP library's timeouts apply to each socket operation, so a server
    trickling one byte per second never trips them; this watchdog shuts the request's sockets down
    when the deadline passes, which ends whatever read or write is blocked on them."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._conns: list[HTTPConnection] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._prev: _Deadline | None = None

    def add(self, conn: HTTPConnection) -> None:
        with self._lock:
            self._conns.append(conn)
            expired = self.expired
        if expired:
            _shutdown(conn)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            conns = list(self._conns)
        for c in conns:
            _shutdown(c)

    def __enter__(self) -> _Deadline:
        self._prev = getattr(_current_watch, "watch", None)
        _current_watch.watch = self
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        _current_watch.watch = self._prev


def _shutdown(conn: HTTPConnection) -> None:
    sock = getattr(conn, "sock", None)
    if sock is not None:
        # The plain socket method even on a TLS socket: another thread may be inside its read.
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _register(conn: Any) -> None:
    w = getattr(_current_watch, "watch", None)
    if w is not None:
        w.add(conn)


class _Watched:
    """Mixin for urllib3 connections: each connect and request reports the socket to the current deadline."""

    def connect(self) -> None:
        _register(self)
        super().connect()  # type: ignore[misc]

    def request(self, *a: Any, **kw: Any) -> None:
        _register(self)
        super().request(*a, **kw)  # type: ignore[misc]


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _WatchedAdapter(HTTPAdapter):
    """requests' adapter whose connections report to the current :class:`_Deadline`."""

    def init_poolmanager(self, *a: Any, **kw: Any) -> None:
        super().init_poolmanager(*a, **kw)
        self.poolmanager.pool_classes_by_scheme = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class _AnswerTooLarge(Exception):
    pass


class _DeadlinePassed(Exception):
    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.seconds = seconds


def _read_capped(resp: requests.Response, limit: int) -> None:
    """Read the (streamed) answer into ``resp`` but never more than ``limit`` bytes."""
    declared = resp.headers.get("Content-Length", "")
    if declared.strip().isdigit() and int(declared) > limit:
        raise _AnswerTooLarge(int(declared))
    buf = bytearray()
    while True:
        chunk = resp.raw.read(65536, decode_content=False)
        if not chunk:
            break
        buf += chunk
        if len(buf) > limit:
            raise _AnswerTooLarge(len(buf))
    resp._content = bytes(buf)
    resp._content_consumed = True


# --- the client ----------------------------------------------------------------------------------------
@dataclass
class RemoteUpload:
    upload_id: str
    offset: int
    state: str                      # receiving | stored
    sha256: str | None = None       # the server's own hash of what it stored (state stored)
    size: int | None = None
    document_id: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> RemoteUpload:
        return cls(str(d.get("upload_id", "")), int(d.get("offset", 0)), str(d.get("state", "receiving")),
                   d.get("sha256"), d.get("size"), d.get("document_id"), d)


def _retry_after(resp: requests.Response) -> float | None:
    v = resp.headers.get("Retry-After")
    if not v:
        return None
    try:
        return max(0.0, float(v))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(v).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


class ProvincialClient:
    """One client per worker; thread-safe (one HTTP session per thread, one shared token)."""

    def __init__(self, config: ProvincialConfig, secret: str) -> None:
        self.config = config
        self._secret = secret
        self._local = threading.local()
        self._token_lock = threading.Lock()
        self._token: str | None = None
        self._token_expires = 0.0

    def __repr__(self) -> str:  # never show the secret or token in logs
        return f"ProvincialClient({self.config.base!r}, client_id={self.config.client_id!r})"

    @property
    def _http(self) -> requests.Session:
        s = getattr(self._local, "session", None)
        if s is None:
            s = requests.Session()
            s.verify = self.config.verify
            s.trust_env = False   # no proxy/netrc surprises; the endpoint is configured explicitly
            s.headers["User-Agent"] = "scanstation-sync/1"
            s.headers["Accept-Encoding"] = "identity"   # answers are read raw and capped: no compression
            s.mount("https://", _WatchedAdapter())
            s.mount("http://", _WatchedAdapter())
            self._local.session = s
        return s

    def close(self) -> None:
        s = getattr(self._local, "session", None)
        if s is not None:
            s.close()

    # --- token ---
    def _get_token(self, force: bool = False) -> str:
        with self._token_lock:
            if self._token and not force and time.monotonic() < self._token_expires:
                return self._token
            resp = self._send("POST", self.config.token_endpoint, auth_header=False,
                              data={"grant_type": "client_credentials"},
                              auth=(self.config.client_id, self._secret))
            if resp.status_code in (400, 401):
                raise UploadRetryable(
                    f"The provincial system rejected the station's credentials (client '{self.config.client_id}')",
                    "Hệ thống của tỉnh từ chối thông tin xác thực của trạm; báo cán bộ CNTT", kind="auth")
            self._raise_for(resp, "token")
            body = self._json(resp)
            tok = body.get("access_token")
            if not tok or str(body.get("token_type", "bearer")).lower() != "bearer":
                raise UploadRetryable("The token endpoint sent no bearer token", "Máy chủ không cấp mã truy cập",
                                      kind="server")
            ttl = float(body.get("expires_in", 300))
            self._token, self._token_expires = tok, time.monotonic() + max(5.0, ttl - 30.0)
            return tok

    # --- transport ---
    def _transport(self, method: str, url: str, *, headers: dict | None, timeout: tuple[float, float],
                   body_len: int = 0, **kw: Any) -> requests.Response:
        """One HTTP exchange: no redirect followed, an answer of at most MAX_ANSWER_BYTES read into
        memory, and the whole exchange ended after connect + answer timeouts (plus time to send the
        body at MIN_SEND_RATE). Raises requests' exceptions, _AnswerTooLarge or _DeadlinePassed."""
        limit = timeout[0] + timeout[1] + body_len / MIN_SEND_RATE
        watch = _Deadline(limit)
        try:
            with watch:
                resp = self._http.request(method, url, headers=headers, timeout=timeout, allow_redirects=False,
                                          stream=True, **kw)
                try:
                    _read_capped(resp, MAX_ANSWER_BYTES)
                finally:
                    if not resp._content_consumed:
                        resp.close()
        except (requests.exceptions.RequestException, OSError, Urllib3Error) as e:
            if watch.expired and not isinstance(e, requests.exceptions.ConnectTimeout):
                raise _DeadlinePassed(limit) from e
            raise
        if watch.expired:
            raise _DeadlinePassed(limit)
        return resp

    def _send(self, method: str, url: str, *, auth_header: bool = True, headers: dict | None = None,
              **kw) -> requests.Response:
        h = dict(headers or {})
        if auth_header:
            h["Authorization"] = f"Bearer {self._get_token()}"
        body = kw.get("data")
        body_len = len(body) if isinstance(body, bytes | bytearray) else 0
        try:
            resp = self._transport(method, url, headers=h, body_len=body_len,
                                   timeout=(self.config.connect_timeout_s, self.config.timeout_s), **kw)
        except _DeadlinePassed as e:
            raise UploadRetryable(f"{self.config.base} did not complete the request within {e.seconds:g} s "
                                  f"(sync.timeout_s {self.config.timeout_s:g} s plus connecting"
                                  f"{' and sending' if body_len else ''}); the request was abandoned",
                                  "Hệ thống của tỉnh trả lời quá chậm; đã hủy yêu cầu", kind="timeout") from e
        except _AnswerTooLarge as e:
            raise UploadRetryable(f"{self.config.base} sent an answer larger than the {MAX_ANSWER_BYTES} bytes "
                                  f"allowed (at least {e.args[0]} bytes); it was not read",
                                  "Hệ thống của tỉnh trả lời dữ liệu quá lớn; đã bỏ qua", kind="server") from e
        except requests.exceptions.SSLError as e:
            raise UploadRetryable(f"TLS verification of {self.config.base} failed: {e}",
                                  "Không xác minh được chứng chỉ TLS của hệ thống tỉnh; báo cán bộ CNTT",
                                  kind="tls") from e
        except requests.exceptions.ConnectTimeout as e:
            raise UploadRetryable(f"Cannot reach {self.config.base} (connect timed out)",
                                  "Không kết nối được hệ thống của tỉnh (mất mạng?)", kind="offline") from e
        except requests.exceptions.Timeout as e:
            raise UploadRetryable(f"{self.config.base} did not answer within {self.config.timeout_s:g} s",
                                  "Hệ thống của tỉnh không trả lời kịp", kind="timeout") from e
        except (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError, OSError,
                requests.exceptions.ContentDecodingError, Urllib3Error) as e:
            kind = "offline" if _could_not_connect(e) else "network"
            msg = (f"Cannot reach {self.config.base}" if kind == "offline"
                   else f"Connection to {self.config.base} broke during the request")
            raise UploadRetryable(msg, "Không kết nối được hệ thống của tỉnh (mất mạng?)" if kind == "offline"
                                  else "Kết nối với hệ thống của tỉnh bị ngắt giữa chừng", kind=kind) from e
        if 300 <= resp.status_code < 400:
            # Never followed: a redirect could send the dossier's metadata (the holder's ID number) and the
            # bearer token to another host, or downgrade to plain http.
            target = resp.headers.get("Location", "?")
            raise UploadRejected(
                f"The provincial system answered HTTP {resp.status_code} redirecting to {target}; the station "
                "does not follow redirects (check provincial.endpoint with IT staff)",
                f"Hệ thống của tỉnh chuyển hướng sang {target}; trạm không đi theo chuyển hướng, báo cán bộ CNTT",
                status=resp.status_code)
        return resp

    def _api(self, method: str, path: str, key: str, *, headers: dict | None = None, **kw) -> requests.Response:
        h = {"Idempotency-Key": key, **(headers or {})}
        resp = self._send(method, self.config.base + API + path, headers=h, **kw)
        if resp.status_code == 401:
            # Expired or revoked token: get a fresh one and repeat once (not an attempt failure).
            self._get_token(force=True)
            resp = self._send(method, self.config.base + API + path, headers=h, **kw)
        return resp

    @staticmethod
    def _json(resp: requests.Response) -> dict[str, Any]:
        try:
            body = resp.json()
        except ValueError as e:
            raise UploadRetryable(f"The provincial system sent an unreadable answer (HTTP {resp.status_code})",
                                  "Hệ thống của tỉnh trả lời không đọc được", kind="server") from e
        if not isinstance(body, dict):
            raise UploadRetryable("The provincial system sent an unexpected answer",
                                  "Hệ thống của tỉnh trả lời không đúng định dạng", kind="server")
        return body

    def _raise_for(self, resp: requests.Response, what: str) -> None:
        code = resp.status_code
        if code < 400:
            return
        detail = ""
        try:
            detail = str(resp.json().get("error", ""))
        except ValueError:
            detail = resp.text[:200]
        if code == 429:
            raise UploadRetryable(f"The provincial system is throttling uploads ({what})",
                                  "Hệ thống của tỉnh đang giới hạn tốc độ tải lên", kind="throttled",
                                  retry_after=_retry_after(resp))
        if code >= 500 or code in (401, 408):
            raise UploadRetryable(f"The provincial system answered HTTP {code} ({what}) {detail}".rstrip(),
                                  f"Hệ thống của tỉnh báo lỗi {code}", kind="server" if code != 401 else "auth",
                                  retry_after=_retry_after(resp))
        raise UploadRejected(f"The provincial system refused the {what}: HTTP {code} {detail}".rstrip(),
                             f"Hệ thống của tỉnh từ chối ({code}): {detail}".rstrip(), status=code)

    # --- the contract ---
    def health(self) -> bool:
        try:
            resp = self._transport("GET", self.config.base + API + "/health", headers=None, timeout=(3, 5))
            return resp.status_code < 500 and not 300 <= resp.status_code < 400
        except (requests.exceptions.RequestException, OSError, Urllib3Error, _AnswerTooLarge, _DeadlinePassed):
            return False

    def begin(self, *, key: str, dossier_code: str, component_id: str, document_type: str, file_name: str,
              size: int, sha256: str, metadata: dict[str, Any],
              audit_head: dict[str, Any] | None = None) -> RemoteUpload:
        """Create the upload, or find the one this key already made (its offset, or that it is stored).
        ``audit_head`` ({"station", "seq", "hash"}): the station's audit chain head, kept by the province."""
        body: dict[str, Any] = {
            "idempotency_key": key, "dossier_code": dossier_code, "component_id": component_id,
            "document_type": document_type, "file_name": file_name, "size": size, "sha256": sha256,
            "metadata": metadata}
        if audit_head:
            body["audit_head"] = {"station": str(audit_head["station"]), "seq": int(audit_head["seq"]),
                                  "hash": str(audit_head["hash"])}
        resp = self._api("POST", "/uploads", key, json=body)
        self._raise_for(resp, "upload")
        return RemoteUpload.from_json(self._json(resp))

    def send_chunk(self, upload_id: str, key: str, offset: int, data: bytes) -> int:
        """Send bytes at ``offset``; returns the offset the server now holds (resume from there)."""
        resp = self._api("PATCH", f"/uploads/{upload_id}", key, data=data,
                         headers={"Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"})
        if resp.status_code == 409:   # we and the server disagree on the offset: the server's wins
            body = self._json(resp)
            if "offset" in body:
                return int(body["offset"])
        self._raise_for(resp, "chunk")
        return int(self._json(resp)["offset"])

    def complete(self, upload_id: str, key: str) -> RemoteUpload:
        resp = self._api("POST", f"/uploads/{upload_id}/complete", key)
        if resp.status_code == 422:
            body = self._json(resp)
            raise HashMismatch(f"The server computed SHA-256 {body.get('sha256', '?')} over the received bytes, "
                               "which differs from the declared hash; it discarded them",
                               "Máy chủ nhận được dữ liệu có mã băm khác; sẽ tải lại")
        self._raise_for(resp, "completion")
        return RemoteUpload.from_json(self._json(resp))

    def audit_anchors(self, station: str) -> dict[str, Any]:
        """What the provincial side keeps of this station's audit chain: ``{"station", "anchors":
        [{"seq", "hash", "received_at"}, ...] (newest last), "conflicts": [{"seq", "hash", "first_hash"}]}``."""
        url = f"{self.config.base}{API}/audit/anchors/{quote(station, safe='')}"
        resp = self._send("GET", url)
        if resp.status_code == 401:
            self._get_token(force=True)
            resp = self._send("GET", url)
        self._raise_for(resp, "audit anchor query")
        body = self._json(resp)
        anchors, conflicts = body.get("anchors", []), body.get("conflicts", [])
        if not isinstance(anchors, list) or not isinstance(conflicts, list) or \
                not all(isinstance(a, dict) for a in anchors + conflicts):
            raise UploadRetryable("The provincial system sent an unexpected audit anchor answer",
                                  "Hệ thống của tỉnh trả lời không đúng định dạng", kind="server")
        return {"station": station, "anchors": anchors, "conflicts": conflicts}

    def status(self, upload_id: str, key: str) -> RemoteUpload:
        resp = self._api("GET", f"/uploads/{upload_id}", key)
        self._raise_for(resp, "status query")
        return RemoteUpload.from_json(self._json(resp))


    # --- revocation and the citizen's digital identity (issue 15; docs/sync.md) ---
    def notify_revocation(self, *, key: str, dossier_code: str, file_name: str, sha256: str, reason: str,
                          revoked_at: str, document_id: str | None = None) -> dict[str, Any]:
        """Tell the provincial system a file the station sent is revoked (hủy hiệu lực); idempotent by key."""
        resp = self._api("POST", "/revocations", key, json={
            "idempotency_key": key, "dossier_code": dossier_code, "file_name": file_name, "sha256": sha256,
            "reason": reason, "revoked_at": revoked_at, "document_id": document_id})
        self._raise_for(resp, "revocation")
        return self._json(resp)

    def identity(self, *, key: str, id_type: str, id_number: str) -> dict[str, Any]:
        """Does this person or organisation have an account (digital identity) on the national portal?"""
        resp = self._api("POST", "/identity/lookup", key, json={"id_type": id_type, "id_number": id_number})
        self._raise_for(resp, "identity lookup")
        return self._json(resp)

    def stored_papers(self, *, key: str, id_type: str, id_number: str) -> dict[str, Any]:
        """Which valid digitised papers the electronic store holds for this identifier."""
        resp = self._api("POST", "/identity/papers", key, json={"id_type": id_type, "id_number": id_number})
        self._raise_for(resp, "stored papers lookup")
        return self._json(resp)


def _could_not_connect(e: Exception) -> bool:
    """Refused, unreachable or unresolvable (we never got a connection) vs broken mid-request."""
    from urllib3.exceptions import NameResolutionError, NewConnectionError

    seen, cur = set(), e
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, NewConnectionError | NameResolutionError | ConnectionRefusedError):
            return True
        reason = getattr(cur, "reason", None)
        if isinstance(reason, BaseException):
            cur = reason
            continue
        cur = cur.__cause__ or cur.__context__ or (cur.args[0] if cur.args and isinstance(cur.args[0],
                                                                                         BaseException) else None)
    return False

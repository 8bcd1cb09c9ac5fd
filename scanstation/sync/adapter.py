"""The link to the provincial system: OAuth2 client credentials, chunked resumable upload, status.

The contract (paths, headers, JSON fields) is documented in docs/sync.md and implemented by
:mod:`scanstation.sync.simulator`. Everything the worker needs goes through :class:`ProvincialClient`;
every failure becomes :class:`UploadRetryable` (try later), :class:`UploadRejected` (a person must
look) or :class:`HashMismatch`.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests

from scanstation.errors import CredentialsError, HashMismatch, SettingsError, UploadRejected, UploadRetryable

log = logging.getLogger(__name__)

API = "/api/v1"
KEYRING_SERVICE = "scanstation-provincial"
SECRET_ENV = "SCANSTATION_PROVINCIAL_SECRET"


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
    """https everywhere; plain http only to this machine (the simulator), never credentials in clear."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(f"{what}: '{url}' is not an http(s) URL", f"{what}: '{url}' không phải địa chỉ http(s)",
                            field=what)
    if parts.scheme == "http" and not _loopback(parts.hostname):
        raise SettingsError(f"{what}: plain http is only allowed to this machine; use https for {parts.hostname}",
                            f"{what}: chỉ được dùng http với máy này; hãy dùng https cho {parts.hostname}", field=what)


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
    def _send(self, method: str, url: str, *, auth_header: bool = True, headers: dict | None = None,
              **kw) -> requests.Response:
        h = dict(headers or {})
        if auth_header:
            h["Authorization"] = f"Bearer {self._get_token()}"
        try:
            return self._http.request(method, url, headers=h,
                                      timeout=(self.config.connect_timeout_s, self.config.timeout_s), **kw)
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
        except requests.exceptions.ConnectionError as e:
            kind = "offline" if _could_not_connect(e) else "network"
            msg = (f"Cannot reach {self.config.base}" if kind == "offline"
                   else f"Connection to {self.config.base} broke during the request")
            raise UploadRetryable(msg, "Không kết nối được hệ thống của tỉnh (mất mạng?)" if kind == "offline"
                                  else "Kết nối với hệ thống của tỉnh bị ngắt giữa chừng", kind=kind) from e

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
            resp = self._http.get(self.config.base + API + "/health", timeout=(3, 5))
            return resp.status_code < 500
        except requests.exceptions.RequestException:
            return False

    def begin(self, *, key: str, dossier_code: str, component_id: str, document_type: str, file_name: str,
              size: int, sha256: str, metadata: dict[str, Any]) -> RemoteUpload:
        """Create the upload, or find the one this key already made (its offset, or that it is stored)."""
        resp = self._api("POST", "/uploads", key, json={
            "idempotency_key": key, "dossier_code": dossier_code, "component_id": component_id,
            "document_type": document_type, "file_name": file_name, "size": size, "sha256": sha256,
            "metadata": metadata})
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

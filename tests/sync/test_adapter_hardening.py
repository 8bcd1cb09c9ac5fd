"""The provincial adapter against hostile servers: real HTTP servers in threads, one per attack.

Each server here misbehaves in one way a compromised or misconfigured provincial endpoint (or a
machine in the middle) could: redirect elsewhere, answer a gigabyte, trickle one byte at a time.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from scanstation.errors import SettingsError, UploadRejected, UploadRetryable
from scanstation.sync.adapter import MAX_ANSWER_BYTES, ProvincialClient, ProvincialConfig, check_endpoint


class _Server:
    """A ThreadingHTTPServer whose handler is ``handle(req, method)``; records every request."""

    def __init__(self, handle) -> None:
        outer = self
        self.requests: list[tuple[str, str, bytes]] = []
        self.sent = 0

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _any(self, method):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                outer.requests.append((method, self.path, body))
                with contextlib.suppress(OSError):
                    handle(self, method, body)

            def do_GET(self):  # noqa: N802
                self._any("GET")

            def do_POST(self):  # noqa: N802
                self._any("POST")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    made = []

    def make(handle) -> _Server:
        s = _Server(handle)
        made.append(s)
        return s

    yield make
    for s in made:
        s.close()


def _json(req, code, body, headers=None):
    data = json.dumps(body).encode()
    req.send_response(code)
    req.send_header("Content-Type", "application/json")
    req.send_header("Content-Length", str(len(data)))
    for k, v in (headers or {}).items():
        req.send_header(k, v)
    req.end_headers()
    req.wfile.write(data)


def _token_or(other):
    def handle(req, method, body):
        if req.path == "/oauth/token":
            return _json(req, 200, {"access_token": "t0k", "token_type": "Bearer", "expires_in": 3600})
        return other(req, method, body)
    return handle


def _client(url, **kw) -> ProvincialClient:
    return ProvincialClient(ProvincialConfig(endpoint=url, **kw), "s3cret")


BEGIN = dict(key="k" * 40, dossier_code="HS-1", component_id="c1", document_type="don", file_name="a.pdf",
             size=10, sha256="0" * 64, metadata={"holder_id": "001203004567", "holder": "Nguyễn Văn A"})


# --- redirects -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("code", [301, 302, 307, 308])
def test_redirect_to_another_host_is_not_followed(server, code):
    """A 307 re-sends the POST body (the holder's ID number) and requests would follow it anywhere."""
    evil = server(lambda req, m, b: _json(req, 201, {"upload_id": "x", "offset": 0, "state": "receiving"}))
    elsewhere = evil.url.replace("127.0.0.1", "localhost") + "/steal"
    prov = server(_token_or(lambda req, m, b: _json(req, code, {}, {"Location": elsewhere})))
    with pytest.raises(UploadRejected, match="does not follow redirects"):
        _client(prov.url).begin(**BEGIN)
    assert evil.requests == []                  # nothing — not even the metadata — reached the other host


def test_redirect_on_the_same_host_is_not_followed_either(server):
    prov = server(_token_or(lambda req, m, b: (_json(req, 307, {}, {"Location": "/api/v1/elsewhere"})
                                               if req.path == "/api/v1/uploads" else
                                               _json(req, 201, {"upload_id": "u", "offset": 0}))))
    with pytest.raises(UploadRejected, match="redirect"):
        _client(prov.url).begin(**BEGIN)
    assert [p for _m, p, _b in prov.requests] == ["/oauth/token", "/api/v1/uploads"]


def test_redirected_token_request_sends_no_credentials_elsewhere(server):
    evil = server(lambda req, m, b: _json(req, 200, {"access_token": "stolen", "token_type": "Bearer"}))
    prov = server(lambda req, m, b: _json(req, 307, {}, {"Location": f"{evil.url}/oauth/token"}))
    with pytest.raises(UploadRejected):
        _client(prov.url).begin(**BEGIN)
    assert evil.requests == []


def test_health_does_not_follow_a_redirect(server):
    evil = server(lambda req, m, b: _json(req, 200, {"ok": True}))
    prov = server(lambda req, m, b: _json(req, 302, {}, {"Location": f"{evil.url}/api/v1/health"}))
    assert _client(prov.url).health() is False
    assert evil.requests == []


# --- the endpoint rule, on the host the HTTP library connects to ------------------------------------------
@pytest.mark.parametrize("url", [
    "http://evil.example\\@127.0.0.1/",          # urlsplit: 127.0.0.1; urllib3 (what requests uses): evil.example
    "http://evil.example\\@localhost:8080/api",
    "http://user:pw@127.0.0.1/",                 # credentials in the address, in clear
    "https://user@igate.example.vn/",
    "http://127.0.0.1 /",
    "http://127.0.0.1\t.evil.example/",
])
def test_endpoint_with_userinfo_or_backslash_is_refused(url):
    with pytest.raises(SettingsError) as e:
        ProvincialConfig(endpoint=url)
    assert e.value.field == "provincial.endpoint"
    with pytest.raises(SettingsError):
        ProvincialConfig(endpoint="https://igate.example.vn", token_url=url)


def test_backslash_url_really_goes_elsewhere_in_the_http_library():
    """Why the rule parses with urllib3: this is the host requests would connect to."""
    from urllib3.util import parse_url

    assert parse_url("http://evil.example\\@127.0.0.1/").host == "evil.example"


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/", "http://localhost/", "http://[::1]:9/",
                                 "https://igate.example.vn/api", "https://10.0.0.5:8443"])
def test_ordinary_endpoints_still_pass(url):
    check_endpoint(url, "provincial.endpoint")


# --- answer size ---------------------------------------------------------------------------------------
def _huge(declared: bool, total: int):
    def handle(req, method, body):
        req.send_response(200)
        req.send_header("Content-Type", "application/json")
        if declared:
            req.send_header("Content-Length", str(1 << 30))
        else:
            req.send_header("Connection", "close")
        req.end_headers()
        block = b" " * (1 << 20)
        req.wfile.write(b'{"pad": "')
        while req.server.sent_ref[0] < total:
            req.wfile.write(block)
            req.server.sent_ref[0] += len(block)
    return handle


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "until-close"])
def test_huge_answer_is_not_read_into_memory(server, declared):
    total = 256 << 20
    srv = server(_token_or(_huge(declared, total)))
    srv.httpd.sent_ref = [0]
    t0 = time.monotonic()
    with pytest.raises(UploadRetryable, match="larger than") as e:
        _client(srv.url).begin(**BEGIN)
    assert e.value.kind == "server"
    time.sleep(0.2)
    # The client stopped reading at the cap: the server could only fill the socket buffers.
    assert srv.httpd.sent_ref[0] < 64 << 20, srv.httpd.sent_ref[0]
    assert time.monotonic() - t0 < 10
    assert MAX_ANSWER_BYTES <= 1 << 20


# --- whole-request deadline ------------------------------------------------------------------------------
def _trickle(where: str, period: float = 0.2, n: int = 100):
    def handle(req, method, body):
        if where == "headers":
            out = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Pad: " + b"a" * n + b"\r\n\r\n{}"
        else:
            out = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + str(n + 2).encode()
                   + b"\r\n\r\n{" + b" " * n + b"}")
            req.wfile.write(out[:out.index(b"\r\n\r\n") + 5])
            req.wfile.flush()
            out = out[out.index(b"\r\n\r\n") + 5:]
        for i in range(len(out)):
            req.wfile.write(out[i:i + 1])
            req.wfile.flush()
            time.sleep(period)
    return handle


@pytest.mark.parametrize("where", ["headers", "body"])
def test_trickling_server_cannot_hold_a_request(server, where):
    """One byte every 0.2 s never trips a 1 s read timeout; the whole-request deadline does."""
    srv = server(_token_or(_trickle(where)))
    client = _client(srv.url, timeout_s=1.0, connect_timeout_s=1.0)
    t0 = time.monotonic()
    with pytest.raises(UploadRetryable, match="did not complete the request within") as e:
        client.begin(**BEGIN)
    took = time.monotonic() - t0
    assert e.value.kind == "timeout"
    assert took < 1.0 + 1.0 + 1.5, took      # sync.timeout_s + the connect allowance + scheduling slack


def test_trickling_health_probe_gives_up(server):
    srv = server(_trickle("body", n=200))
    t0 = time.monotonic()
    assert _client(srv.url).health() is False
    assert time.monotonic() - t0 < 3 + 5 + 1.5


def test_deadline_does_not_cut_a_normal_exchange(server):
    srv = server(_token_or(lambda req, m, b: _json(req, 201, {"upload_id": "a" * 32, "offset": 0,
                                                              "state": "receiving"})))
    client = _client(srv.url, timeout_s=1.0, connect_timeout_s=1.0)
    for _ in range(3):
        assert client.begin(**BEGIN).upload_id == "a" * 32
        time.sleep(0.8)       # idle keep-alive connections are reused after a previous deadline passed
    assert client.begin(**BEGIN).upload_id == "a" * 32

"""USB tokens over PKCS#11: list them (before any PIN), log in once, sign raw digests.

Every function here runs its PKCS#11 calls on the token thread (:mod:`.tokenthread`), whichever
thread calls it. The PIN is passed in by the UI/CLI, used for ``C_Login`` and, for keys that
demand it per signature (``CKA_ALWAYS_AUTHENTICATE``), kept in the open :class:`TokenSession`'s
memory until :meth:`TokenSession.close`. It is never written, logged, put in an error, or retried:
a refused PIN raises :class:`WrongPinError` at once.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import pkcs11
from cryptography import x509
from pkcs11 import Attribute, Mechanism, ObjectClass, TokenFlag
from pkcs11 import exceptions as p11e

from scanstation.errors import (
    NoUsableKeyError,
    PinLockedError,
    SigningError,
    TokenModuleError,
    TokenNotFoundError,
    TokenRemovedError,
    WrongPinError,
)
from scanstation.signing.certs import CertInfo, cert_info, check_signing_certificate
from scanstation.signing.modules import discover_modules, resolve_module
from scanstation.signing.tokenthread import TokenThread, token_thread
from scanstation.signing.trust import ChainResult, TrustStore

log = logging.getLogger(__name__)

# PKCS#11 errors that mean "the token is gone" (pulled out, session lost with it).
REMOVED_ERRORS: tuple[type[Exception], ...] = (
    p11e.DeviceRemoved, p11e.TokenNotPresent, p11e.TokenNotRecognised, p11e.SessionHandleInvalid,
    p11e.SessionClosed, p11e.DeviceError, p11e.SlotIDInvalid,
)


@dataclass(frozen=True)
class PinStatus:
    """What the token says about its user PIN, read before asking for it."""

    login_required: bool
    initialized: bool
    count_low: bool        # a wrong PIN was entered since the last good one
    final_try: bool        # one more wrong PIN locks the token
    locked: bool
    pin_pad: bool          # protected authentication path: the PIN is typed on the reader

    @classmethod
    def from_flags(cls, flags: int) -> PinStatus:
        f = TokenFlag(flags)
        return cls(login_required=bool(f & TokenFlag.LOGIN_REQUIRED),
                   initialized=bool(f & TokenFlag.USER_PIN_INITIALIZED),
                   count_low=bool(f & TokenFlag.USER_PIN_COUNT_LOW),
                   final_try=bool(f & TokenFlag.USER_PIN_FINAL_TRY),
                   locked=bool(f & TokenFlag.USER_PIN_LOCKED),
                   pin_pad=bool(f & TokenFlag.PROTECTED_AUTHENTICATION_PATH))

    @property
    def tries_left(self) -> int | None:
        """1 on the final try, 0 when locked, None when the token does not say."""
        return 0 if self.locked else (1 if self.final_try else None)

    def warning(self) -> tuple[str, str] | None:
        """(en, vi) text to show next to the PIN box, or None."""
        if self.locked:
            return ("The token's PIN is locked; unlock it with the CA's tool (PUK/SO PIN)",
                    "Mã PIN của token đã bị khóa. Hãy mở khóa bằng phần mềm của nhà cung cấp chữ ký số.")
        if self.final_try:
            return ("Last try: one more wrong PIN locks the token",
                    "Chỉ còn 1 lần thử: nhập sai thêm một lần nữa token sẽ bị khóa.")
        if self.count_low:
            return ("A wrong PIN was entered before; few tries are left",
                    "Đã nhập sai mã PIN trước đó; số lần thử còn lại không nhiều.")
        return None

    def to_dict(self) -> dict:
        d = asdict(self)
        d["tries_left"] = self.tries_left
        w = self.warning()
        d["warning_en"], d["warning_vi"] = (w if w else (None, None))
        return d


@dataclass(frozen=True)
class TokenInfo:
    module: str
    slot: int
    label: str
    serial: str
    manufacturer: str
    model: str
    pin: PinStatus
    certificates: tuple[CertInfo, ...] = ()

    def to_dict(self) -> dict:
        return {"module": self.module, "slot": self.slot, "label": self.label, "serial": self.serial,
                "manufacturer": self.manufacturer, "model": self.model, "pin": self.pin.to_dict(),
                "certificates": [c.to_dict() for c in self.certificates]}


# --- module loading ------------------------------------------------------------------------------
_lib_env: dict[str, str | None] = {}
_open_sessions: dict[str, int] = {}
_lib_lock = threading.Lock()
#: modules whose token failed mid-work (pulled out, a driver error): re-initialised on their next use,
#: so a token plugged back in is seen without restarting the station
_stale_modules: set[str] = set()


def mark_stale(module: str) -> None:
    with _lib_lock:
        _stale_modules.add(module)


def _load(module: str) -> Any:
    """Load (once) and initialise a PKCS#11 module; token thread only.

    SoftHSM reads ``SOFTHSM2_CONF`` at ``C_Initialize``; when it changed and no session is open the
    module is re-initialised, so a station (or a test) can switch software token stores.
    """
    try:
        lib = pkcs11.lib(module)
    except (p11e.PKCS11Error, OSError) as e:
        raise TokenModuleError(f"Cannot load PKCS#11 module {module}: {e}",
                               f"Không nạp được thư viện PKCS#11 {module}. Trình điều khiển token bị hỏng "
                               "hoặc không đúng phiên bản (32/64-bit).", field="module") from e
    conf = os.environ.get("SOFTHSM2_CONF")
    with _lib_lock:
        if not _open_sessions.get(module) and (
                module in _stale_modules or (module in _lib_env and _lib_env[module] != conf)):
            try:
                lib.reinitialize()          # C_Finalize + C_Initialize: the slots are read afresh
            except p11e.PKCS11Error as e:
                log.warning("re-initialising PKCS#11 module %s failed: %s", module, e)
            else:
                _stale_modules.discard(module)
        _lib_env[module] = conf
    return lib


def rescan(module: str, *, thread: TokenThread | None = None) -> None:
    """Re-initialise a loaded module so it sees tokens created since (SoftHSM reads its store once).

    Refused while a session on that module is open (re-initialising would log it out).
    """
    def _do() -> None:
        with _lib_lock:
            if _open_sessions.get(module):
                raise SigningError("cannot rescan tokens while a token session is open",
                                   "Không thể dò lại token khi đang có phiên ký mở", field="token")
        lib = _load(module)
        lib.reinitialize()

    (thread or token_thread()).call(_do)


def _text(s: str) -> str:
    return s.rstrip("\x00 ").strip()


def _serial(token: Any) -> str:
    s = token.serial
    return _text(s.decode("ascii", "replace") if isinstance(s, bytes) else str(s))


def _read_certs(session: Any) -> list[tuple[CertInfo, x509.Certificate]]:
    out = []
    for obj in session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE}):
        try:
            der = bytes(obj[Attribute.VALUE])
            cid = bytes(obj[Attribute.ID]).hex()
        except p11e.PKCS11Error:
            continue
        try:
            label = obj[Attribute.LABEL]
        except p11e.PKCS11Error:
            label = ""
        try:
            c = x509.load_der_x509_certificate(der)
        except ValueError:
            log.warning("token holds an unreadable certificate object (id %s)", cid)
            continue
        out.append((cert_info(c, id_hex=cid, label=label), c))
    return out


def _translate(e: Exception, label: str, *, in_use: bool = False) -> SigningError:
    """A PKCS#11 failure in words. ``in_use``: it happened while working with a logged-in token, where
    every failure (a pulled token often gives GeneralError or DeviceError, not DeviceRemoved) means the
    same to the clerk: plug the token back in and sign again."""
    if isinstance(e, REMOVED_ERRORS) or in_use:
        return TokenRemovedError(f"Token '{label}' was removed or stopped answering ({type(e).__name__}); "
                                 "files already signed are kept: plug it back in and sign again",
                                 f"Token '{label}' đã bị rút ra hoặc không phản hồi. Các tệp đã ký được giữ "
                                 "nguyên; hãy cắm lại token rồi nhấn F9 để ký tiếp.", field="token")
    return SigningError(f"Token '{label}' error: {type(e).__name__} {e}".strip(),
                        f"Token '{label}' báo lỗi ({type(e).__name__}). Hãy rút token ra, cắm lại rồi nhấn F9.",
                        field="token")


# --- listing (no PIN) ----------------------------------------------------------------------------
def candidate_modules(module: str | None) -> list[str]:
    """The configured module alone, or every loadable known module (real tokens' drivers first)."""
    if module:
        return [resolve_module(module)]
    mods = [c.path for c in discover_modules() if c.loadable]
    if not mods:
        resolve_module(None)   # raises the "no module found" error
    return mods


def list_tokens(module: str | None = None, *, thread: TokenThread | None = None) -> list[TokenInfo]:
    """Every token present in ``module`` (or in every discovered module) with certificates and PIN flags."""
    th = thread or token_thread()
    out: list[TokenInfo] = []
    mods = candidate_modules(module)
    for m in mods:
        try:
            out.extend(th.call(_list_tokens, m))
        except (TokenModuleError, TokenRemovedError, SigningError) as e:
            if module:
                raise
            log.info("skipping PKCS#11 module %s: %s", m, e.message_en)
    return out


def _list_tokens(module: str) -> list[TokenInfo]:
    lib = _load(module)
    tokens: list[TokenInfo] = []
    try:
        slots = lib.get_slots(token_present=True)
    except p11e.PKCS11Error as e:
        mark_stale(module)
        raise _translate(e, module) from e
    for slot in slots:
        try:
            tok = slot.get_token()
        except p11e.PKCS11Error:
            continue
        if not TokenFlag(int(tok.flags)) & TokenFlag.TOKEN_INITIALIZED:
            continue   # an empty slot (SoftHSM always offers one)
        certs: list[CertInfo] = []
        try:
            with tok.open() as s:  # public session: certificates are public objects
                certs = [ci for ci, _ in _read_certs(s)]
        except p11e.PKCS11Error as e:
            log.info("cannot read certificates of token %s: %s", tok.label, type(e).__name__)
        tokens.append(TokenInfo(module=module, slot=int(slot.slot_id), label=_text(tok.label),
                                serial=_serial(tok), manufacturer=_text(tok.manufacturer_id),
                                model=_text(tok.model), pin=PinStatus.from_flags(int(tok.flags)),
                                certificates=tuple(certs)))
    if not tokens:
        # nothing plugged in: look afresh next time (a software token store, and some middleware,
        # only see a token plugged in after the module is re-initialised)
        mark_stale(module)
    return tokens


# --- login and signing ---------------------------------------------------------------------------
def _token_sign(key: Any, data: bytes, *, mechanism: Any, mechanism_param: Any = None,
                pin: str | None = None) -> bytes:
    """The one place a signature is computed on the token (a seam tests use to inject faults)."""
    kw: dict[str, Any] = {"mechanism": mechanism}
    if mechanism_param is not None:
        kw["mechanism_param"] = mechanism_param
    if pin is not None:
        kw["pin"] = pin
    return key.sign(data, **kw)


@dataclass
class SessionStats:
    signatures: int = 0
    token_seconds: float = 0.0   # time spent inside the token's own signature calls


@dataclass(eq=False)
class TokenSession:
    """A logged-in token with one selected signing key. Close it (or use ``with``) when done."""

    module: str
    token_label: str
    cert: CertInfo
    chain: list[x509.Certificate]          # other certificates on the token (intermediates)
    always_authenticate: bool
    use_raw_mechanism: bool
    thread: TokenThread
    stats: SessionStats = field(default_factory=SessionStats)
    chain_result: ChainResult | None = None     # which trust anchor the certificate's chain reached
    _session: Any = field(default=None, repr=False)
    _key: Any = field(default=None, repr=False)
    _pin: str | None = field(default=None, repr=False)
    _closed: bool = field(default=False, repr=False)

    def __repr__(self) -> str:   # never shows the PIN
        return f"<TokenSession {self.token_label!r} key {self.cert.id_hex} {self.cert.common_name!r}>"

    @property
    def signer_name(self) -> str:
        return self.cert.common_name

    def sign_raw(self, data: bytes, mechanism: Any, mechanism_param: Any = None) -> bytes:
        """Sign ``data`` with the selected key on the token thread."""
        return self.thread.call(self._sign_raw, data, mechanism, mechanism_param)

    def _sign_raw(self, data: bytes, mechanism: Any, mechanism_param: Any = None) -> bytes:
        if self._closed:
            raise SigningError("token session is closed", "Phiên làm việc với token đã đóng", field="token")
        t0 = time.perf_counter()
        try:
            sig = _token_sign(self._key, data, mechanism=mechanism, mechanism_param=mechanism_param,
                              pin=self._pin if self.always_authenticate else None)
        except p11e.PinIncorrect as e:
            raise WrongPinError("The token refused the PIN for this signature",
                                "Token từ chối mã PIN khi ký.") from e
        except p11e.PKCS11Error as e:
            mark_stale(self.module)     # the next listing or login re-initialises the module
            raise _translate(e, self.token_label, in_use=True) from e
        finally:
            self.stats.token_seconds += time.perf_counter() - t0
        self.stats.signatures += 1
        return sig

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._pin = None
        self.thread.call(self._close)

    def _close(self) -> None:
        sess, self._session, self._key = self._session, None, None
        with _lib_lock:
            _open_sessions[self.module] = max(0, _open_sessions.get(self.module, 1) - 1)
        if sess is not None:
            with contextlib.suppress(p11e.PKCS11Error):   # token already gone: nothing to log out of
                sess.close()

    def __enter__(self) -> TokenSession:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def open_session(module: str | None, token_label: str, pin: str | None, *, key_id: str | None = None,
                 trust_roots: TrustStore | list[x509.Certificate] | None = None, at: datetime | None = None,
                 check_certificate: bool = True, thread: TokenThread | None = None) -> TokenSession:
    """Log in to the token (one PIN entry) and select the signing key; checks its certificate.

    ``pin=None`` lets a PIN-pad reader (protected authentication path) take the PIN itself.
    """
    th = thread or token_thread()
    if not module:   # the module whose slots hold this token
        found = [t.module for t in list_tokens(None, thread=th) if t.label == token_label.strip()]
        module = found[0] if found else candidate_modules(None)[0]
    module = resolve_module(module)
    return th.call(_open_session, module, token_label, pin, key_id, trust_roots or [], at,
                   check_certificate, th)


def _find_token(lib: Any, label: str) -> Any:
    try:
        toks = [s.get_token() for s in lib.get_slots(token_present=True)]
    except p11e.PKCS11Error as e:
        raise _translate(e, label) from e
    for t in toks:
        if _text(t.label) == label.strip():
            return t
    present = ", ".join(repr(_text(t.label)) for t in toks) or "none"
    raise TokenNotFoundError(f"No token labelled '{label}' is plugged in (present: {present})",
                             f"Không thấy token '{label}'. Hãy cắm token vào máy (đang có: {present}).",
                             field="token")


def _open_session(module: str, label: str, pin: str | None, key_id: str | None,
                  trust_roots: TrustStore | list[x509.Certificate], at: datetime | None, check: bool,
                  thread: TokenThread) -> TokenSession:
    lib = _load(module)
    tok = _find_token(lib, label)
    status = PinStatus.from_flags(int(tok.flags))
    if status.locked:
        en, vi = status.warning()  # type: ignore[misc]
        raise PinLockedError(f"The PIN of token '{label}' is locked; unlock it with the CA's tool", vi, field="pin")
    try:
        sess = tok.open(user_pin=pin if pin is not None else pkcs11.PROTECTED_AUTH)
    except (p11e.PinIncorrect, p11e.PinInvalid, p11e.PinLenRange):
        raise _wrong_pin(lib, label) from None   # no chained cause: nothing about the PIN travels on
    except p11e.PinLocked:
        raise PinLockedError(f"The PIN of token '{label}' is locked",
                             "Mã PIN của token đã bị khóa do nhập sai quá số lần cho phép. Hãy mở khóa bằng "
                             "phần mềm của nhà cung cấp chữ ký số.", field="pin") from None
    except p11e.PKCS11Error as e:
        mark_stale(module)
        raise _translate(e, label, in_use=True) from e
    with _lib_lock:
        _open_sessions[module] = _open_sessions.get(module, 0) + 1
    try:
        ts = _select_key(sess, tok, module, label, key_id, pin, thread)
        if check:
            ts.chain_result = check_signing_certificate(ts.cert, trust_roots, ts.chain, at)
        return ts
    except BaseException:
        with _lib_lock:
            _open_sessions[module] = max(0, _open_sessions.get(module, 1) - 1)
        with contextlib.suppress(p11e.PKCS11Error):
            sess.close()
        raise


def _wrong_pin(lib: Any, label: str) -> SigningError:
    """Build the wrong-PIN error from the flags the token reports *after* the failed login."""
    try:
        st = PinStatus.from_flags(int(_find_token(lib, label).flags))
    except SigningError:
        st = PinStatus(True, True, False, False, False, False)
    if st.locked:
        return PinLockedError(f"Wrong PIN: token '{label}' is now locked",
                              "Sai mã PIN: token đã bị khóa. Hãy mở khóa bằng phần mềm của nhà cung cấp chữ ký số.",
                              field="pin")
    if st.final_try:
        return WrongPinError(f"Wrong PIN for token '{label}': one try left before the token locks",
                             "Sai mã PIN. Chỉ còn 1 lần thử trước khi token bị khóa.", tries_left=1,
                             count_low=True, final_try=True)
    return WrongPinError(f"Wrong PIN for token '{label}'" + ("; few tries left" if st.count_low else ""),
                         "Sai mã PIN." + (" Số lần thử còn lại không nhiều." if st.count_low else ""),
                         count_low=st.count_low)


def _issuer_chain(leaf: x509.Certificate, others: list[x509.Certificate]) -> list[x509.Certificate]:
    """The CA certificates above ``leaf`` found on the token (other users' certificates stay out)."""
    chain: list[x509.Certificate] = []
    cur = leaf
    while cur.issuer != cur.subject and len(chain) < 8:
        nxt = next((c for c in others if c.subject == cur.issuer and c not in chain), None)
        if nxt is None:
            break
        chain.append(nxt)
        cur = nxt
    return chain


def _select_key(sess: Any, tok: Any, module: str, label: str, key_id: str | None, pin: str | None,
                thread: TokenThread) -> TokenSession:
    certs = _read_certs(sess)
    keys: dict[str, Any] = {}
    for k in sess.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.SIGN: True}):
        try:
            keys[bytes(k[Attribute.ID]).hex()] = k
        except p11e.PKCS11Error:
            continue
    usable = [(ci, c) for ci, c in certs if ci.id_hex in keys]
    if key_id is not None:
        key_id = key_id.lower().removeprefix("0x")
        match = [(ci, c) for ci, c in usable if ci.id_hex == key_id]
        if not match:
            raise NoUsableKeyError(
                f"Token '{label}' has no signing key with id {key_id} and a certificate "
                f"(keys with certificates: {', '.join(ci.id_hex for ci, _ in usable) or 'none'})",
                f"Token '{label}' không có khóa ký số mã {key_id} kèm chứng thư số.", field="key_id")
        chosen = match[0]
    else:
        if not usable:
            raise NoUsableKeyError(f"Token '{label}' holds no signing key with a certificate",
                                   f"Token '{label}' không có khóa ký số kèm chứng thư số nào dùng được.",
                                   field="token")
        now = datetime.now(UTC)
        good = [u for u in usable if u[0].can_sign and u[0].valid_at(now)]
        pool = good or usable
        if len(pool) > 1:
            raise NoUsableKeyError(
                f"Token '{label}' holds several signing keys ({', '.join(ci.id_hex for ci, _ in pool)}): "
                "choose one by its id", f"Token '{label}' có nhiều khóa ký số; hãy chọn một chứng thư.",
                field="key_id")
        chosen = pool[0]
    ci, _ = chosen
    key = keys[ci.id_hex]
    try:
        always = bool(key[Attribute.ALWAYS_AUTHENTICATE])
    except p11e.PKCS11Error:
        always = False
    raw = ci.key_type.startswith("EC")
    if not raw:
        try:
            raw = Mechanism.SHA256_RSA_PKCS not in tok.slot.get_mechanisms()
        except p11e.PKCS11Error:
            raw = False
    chain = _issuer_chain(chosen[1], [c for cj, c in certs if cj.id_hex != ci.id_hex])
    return TokenSession(module=module, token_label=label, cert=ci, chain=chain, always_authenticate=always,
                        use_raw_mechanism=raw, thread=thread, _session=sess, _key=key,
                        _pin=pin if always else None)

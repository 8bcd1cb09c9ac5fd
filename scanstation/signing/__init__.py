"""Signing with USB tokens over PKCS#11: token discovery, certificate checks, PAdES signatures, stamps.

The public surface (plain functions and dataclasses; no Qt, never prompts):

* :func:`discover_modules` / :func:`resolve_module` — find the token's PKCS#11 module.
* :func:`list_tokens` — tokens, their certificates and PIN status flags, before any PIN.
* :func:`open_session` — one PIN entry; returns a :class:`TokenSession` with the checked key.
* :func:`sign_batch` / :func:`sign_file` — PAdES signatures with the clerk or certified-copy stamp.
* :func:`verify_file` — the report the upload queue uses to refuse unsigned or broken files.
* :func:`token_thread` — the single thread every token call runs on (the UI submits to it too).
"""

from scanstation.signing.certs import CertInfo, load_trust_roots
from scanstation.signing.modules import ModuleCandidate, discover_modules, resolve_module
from scanstation.signing.pades import BatchResult, SignedFile, SignOptions, sign_batch, sign_file
from scanstation.signing.tokens import PinStatus, TokenInfo, TokenSession, list_tokens, open_session
from scanstation.signing.tokenthread import TokenThread, token_thread
from scanstation.signing.verify import FileReport, SignatureReport, verify_file

__all__ = [
    "BatchResult", "CertInfo", "FileReport", "ModuleCandidate", "PinStatus", "SignOptions", "SignatureReport",
    "SignedFile", "TokenInfo", "TokenSession", "TokenThread", "discover_modules", "list_tokens",
    "load_trust_roots", "open_session", "resolve_module", "sign_batch", "sign_file", "token_thread",
    "verify_file",
]

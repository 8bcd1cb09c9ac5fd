"""Layered, versioned settings: built-in defaults < station (IT staff, lockable) < clerk preferences."""

from __future__ import annotations

import contextlib
import copy
import getpass
import json
import logging
import os
import socket
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scanstation import paths
from scanstation.compliance import DEFAULT_PROFILE_ID, ComplianceProfile, get_profile
from scanstation.errors import SettingLockedError, SettingsError, StationSettingsReadOnlyError
from scanstation.fsio import atomic_write_text

log = logging.getLogger(__name__)

SETTINGS_VERSION = 1


def os_account() -> str:
    """The OS account running this process (what the audit log records next to the clerk's name)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):   # no passwd entry (containers): the numeric id
        return str(os.getuid()) if hasattr(os, "getuid") else "unknown"


def machine_name() -> str:
    return socket.gethostname()


@dataclass(frozen=True)
class Option:
    key: str
    type: type
    default: Any
    doc: str
    clerk_may_set: bool = True       # False: only IT staff (station layer) may set it at all
    choices: tuple[Any, ...] = ()
    validate: Callable[[Any], None] | None = None
    # checked when the value is written, against the station's compliance profile in force
    validate_with_rules: Callable[[Any, ComplianceProfile], None] | None = None


def _check_profile(v: str) -> None:
    get_profile(v)


def _check_tolerances(v: dict) -> None:
    # names are checked where the limits live (scanstation.calibrate.tolerances); here only the shape
    for k, x in v.items():
        if not isinstance(k, str) or isinstance(x, bool) or not isinstance(x, int | float) or x <= 0:
            raise SettingsError(f"calibration.tolerances: '{k}' must map to a positive number, got {x!r}",
                                f"calibration.tolerances: '{k}' phải là một số dương", field="calibration.tolerances")


def scanner_profile_problems(dpi: Any, mode: Any, rules: ComplianceProfile) -> list[tuple[str, str]]:
    """Why capture settings would not satisfy the compliance profile, as (English, Vietnamese) reasons.

    The one rule for saved scanner profiles (``scanner.profiles``): a saved preset must have none. It lives
    here, below the devices package, so that writing the setting and using a preset check the same thing."""
    out: list[tuple[str, str]] = []
    if isinstance(dpi, int) and not isinstance(dpi, bool) and dpi < rules.min_dpi:
        out.append((f"{dpi} dpi is below the {rules.min_dpi} dpi the compliance profile '{rules.id}' requires",
                    f"{dpi} dpi thấp hơn mức {rules.min_dpi} dpi mà hồ sơ tuân thủ '{rules.id}' yêu cầu"))
    if mode is not None and rules.colour_required and mode != "color":
        out.append((f"the compliance profile '{rules.id}' requires colour scans, not '{mode}'",
                    f"hồ sơ tuân thủ '{rules.id}' yêu cầu quét màu, không phải '{mode}'"))
    return out


def _check_scanner_profiles(v: dict, rules: ComplianceProfile) -> None:
    """Saved scanner presets may not go below the station's compliance profile (docs/devices.md)."""
    for name, d in v.items():
        if not isinstance(d, dict):
            raise SettingsError(f"scanner.profiles: '{name}' must be an object of scanner settings",
                                f"scanner.profiles: '{name}' phải là một bộ thiết lập máy quét",
                                field="scanner.profiles")
        problems = scanner_profile_problems(d.get("dpi"), d.get("mode"), rules)
        if problems:
            raise SettingsError(
                f"Scanner profile '{name}' cannot be saved: {'; '.join(en for en, _ in problems)}",
                f"Không thể lưu cấu hình quét '{name}': {'; '.join(vi for _, vi in problems)}",
                field="scanner.profiles", code="SCANNER_PROFILE_BELOW_RULES")


def _check_max_age(v: int) -> None:
    if v < 1:
        raise SettingsError(f"calibration.max_age_days: {v} must be at least 1",
                            f"calibration.max_age_days: {v} phải từ 1 trở lên", field="calibration.max_age_days")


def _check_sample_pct(v: int) -> None:
    if not 1 <= v <= 100:
        raise SettingsError(f"review.sample_pct: {v} is outside 1-100", f"review.sample_pct: {v} phải trong khoảng 1-100",
                            field="review.sample_pct")


def _check_jpeg_quality(v: int) -> None:
    if not 1 <= v <= 95:
        raise SettingsError(f"pdf.jpeg_quality: {v} is outside 1-95", f"pdf.jpeg_quality: {v} phải trong khoảng 1-95",
                            field="pdf.jpeg_quality")


def _check_str_list(key: str) -> Callable[[list[Any]], None]:
    def check(v: list[Any]) -> None:
        for x in v:
            if not isinstance(x, str) or not x.strip():
                raise SettingsError(f"{key}: every entry must be a file path, got {x!r}",
                                    f"{key}: mỗi mục phải là đường dẫn tệp", field=key)
    return check


def _check_fingerprints(v: list[Any]) -> None:
    for x in v:
        h = "".join(ch for ch in x if ch not in ": ").upper() if isinstance(x, str) else ""
        if len(h) != 64 or any(ch not in "0123456789ABCDEF" for ch in h):
            raise SettingsError(f"signing.trust_disabled: {x!r} is not a SHA-256 fingerprint (64 hex digits, colons "
                                "optional)", f"signing.trust_disabled: {x!r} không phải dấu vân tay SHA-256",
                                field="signing.trust_disabled")


OPTIONS: dict[str, Option] = {o.key: o for o in (
    Option("station.id", str, "STATION-01", "Station identifier shown in the audit log", clerk_may_set=False),
    Option("station.name", str, "Bộ phận Một cửa", "Office name shown in the window title", clerk_may_set=False),
    Option("station.org_name", str, "", "Organisation name for the certified-copy text (SAO Y); no copy is "
           "issued while it is empty",
           clerk_may_set=False),
    Option("station.org_code", str, "", "Organisation code (mã định danh cơ quan)", clerk_may_set=False),
    Option("compliance.profile", str, DEFAULT_PROFILE_ID, "Compliance profile id", clerk_may_set=False,
           validate=_check_profile),
    Option("db.url", str, "", "Database URL (empty: SQLite in the station home; postgresql://... for a "
           "multi-counter centre)", clerk_may_set=False),
    Option("storage.min_free_mb", int, 500, "Refuse to start a capture below this much free disk (MB)",
           clerk_may_set=False),
    Option("ui.language", str, "vi", "User interface language", choices=("vi", "en")),
    Option("clerk.name", str, "", "Clerk's name for the stamp (empty: from the certificate)"),
    Option("scanner.device", str, "virtual:demo", "Scanner device id"),
    Option("scanner.profile", str, "default", "Scanner profile (preset) name"),
    Option("scanner.profiles", dict, {}, "Saved scanner presets by name (none below the compliance profile)",
           clerk_may_set=False, validate_with_rules=_check_scanner_profiles),
    Option("token.module", str, "", "PKCS#11 module path (empty: search the known modules)", clerk_may_set=False),
    Option("token.label", str, "", "Preferred token label (remembered per clerk)"),
    Option("token.key_id", str, "", "Preferred key id in hex (remembered per clerk)"),
    Option("signing.trust_roots", list, [], "Extra PEM files of trusted certification authorities, on top of "
           "the Vietnamese anchors shipped in resources/trust (VGCA, NEAC)", clerk_may_set=False,
           validate=_check_str_list("signing.trust_roots")),
    Option("signing.trust_disabled", list, [], "SHA-256 fingerprints of anchors NOT to trust (shipped or added); "
           "disabling a root disables its intermediates", clerk_may_set=False,
           validate=_check_fingerprints),
    Option("signing.trust_test_ca", list, [], "PEM files of TEST certification authorities (the demo's SoftHSM CA) "
           "trusted for this station; signatures reaching them are reported as test", clerk_may_set=False,
           validate=_check_str_list("signing.trust_test_ca")),
    Option("signing.tsa_url", str, "", "RFC 3161 timestamp authority URL (empty: sign offline)",
           clerk_may_set=False),
    Option("provincial.endpoint", str, "", "Base URL of the provincial system upload API", clerk_may_set=False),
    Option("provincial.token_url", str, "", "OAuth2 client-credentials token URL (empty: <endpoint>/oauth/token)",
           clerk_may_set=False),
    Option("provincial.client_id", str, "", "Client id; the secret lives in the OS keyring", clerk_may_set=False),
    Option("provincial.ca_bundle", str, "", "Extra CA bundle for TLS verification (never disables it)",
           clerk_may_set=False),
    Option("sync.concurrency", int, 2, "Parallel uploads", clerk_may_set=False),
    Option("sync.bandwidth_kbps", int, 0, "Upload bandwidth limit in kB/s (0: none)", clerk_may_set=False),
    Option("sync.window", str, "", "Upload window HH:MM-HH:MM (empty: any time)", clerk_may_set=False),
    Option("sync.retention_days", int, 30, "Days to keep local files after the server confirmed them",
           clerk_may_set=False),
    Option("signing.certified_copy", bool, False, "Add the organisation's certified-copy signature (SAO Y) "
           "after the clerk's; files are queued after the last signature", clerk_may_set=False),
    Option("signing.stamp_font", str, "", "TrueType font of the clerk's stamp (empty: Noto Sans or similar)",
           clerk_may_set=False),
    Option("signing.copy_font", str, "", "TrueType serif font of the SAO Y text (empty: Times New Roman, "
           "else Liberation Serif, else Noto Serif)", clerk_may_set=False),
    Option("sync.chunk_kb", int, 1024, "Upload chunk size in kB (a broken transfer resumes from the last chunk)",
           clerk_may_set=False),
    Option("sync.timeout_s", int, 60, "Seconds to wait for the provincial system to answer one request",
           clerk_may_set=False),
    Option("sync.backoff_max_s", int, 900, "Longest wait between two attempts of one upload (seconds)",
           clerk_may_set=False),
    Option("calibration.tolerances", dict, {}, "Scanner calibration limits overriding the defaults "
           "(ISO 19264-1 level C / FADGI 2-star, docs/calibration.md), e.g. {\"scale_x_pct\": 0.5}",
           clerk_may_set=False, validate=_check_tolerances),
    Option("calibration.required", str, "off", "Capture on a scanner whose last calibration failed, is older than "
           "calibration.max_age_days or missing: off (allowed), warn (allowed with a warning) or block (refused)",
           clerk_may_set=False, choices=("off", "warn", "block")),
    Option("calibration.max_age_days", int, 30, "Days a scanner's calibration stays valid for the gate "
           "(calibration.required)", clerk_may_set=False, validate=_check_max_age),
    Option("review.sample_pct", int, 5, "Share of the pages digitised in a period drawn for the sampling review "
           "(C9), in % (1-100)", clerk_may_set=False, validate=_check_sample_pct),
    Option("pdf.image_encoding", str, "", "Page images in the PDF: lossless, jpeg or mrc (empty: the compliance "
           "profile's; jpeg and mrc pages are checked against the lossless master and fall back when they "
           "differ)", clerk_may_set=False, choices=("", "lossless", "jpeg", "mrc")),
    Option("pdf.jpeg_quality", int, 70, "JPEG quality of jpeg-encoded pages (1-95)", clerk_may_set=False,
           validate=_check_jpeg_quality),
)}


def _migrate(data: dict[str, Any], path: Path) -> dict[str, Any]:
    """Upgrade a settings file written by an older station. Register steps by version here."""
    version = data.get("version", 0)
    if version > SETTINGS_VERSION:
        raise SettingsError(f"{path} was written by a newer station (settings version {version})",
                            f"Tệp cấu hình {path} do phiên bản mới hơn tạo ra (phiên bản {version})")
    if version == 0:  # unversioned: a flat {key: value} mapping
        data = {"version": 1, "values": {k: v for k, v in data.items() if k != "version"}, "locked": []}
    return data


def _coerce(opt: Option, value: Any, layer: str) -> Any:
    if opt.type is bool and isinstance(value, str):
        words = {"true": True, "yes": True, "on": True, "1": True, "false": False, "no": False, "off": False, "0": False}
        if value.strip().lower() not in words:
            raise SettingsError(f"{opt.key}: '{value}' is not true or false", f"{opt.key}: '{value}' phải là true hoặc false",
                                field=opt.key)
        value = words[value.strip().lower()]
    if opt.type is int and isinstance(value, str):
        try:
            value = int(value)
        except ValueError:
            raise SettingsError(f"{opt.key}: '{value}' is not a whole number",
                                f"{opt.key}: '{value}' không phải số nguyên", field=opt.key) from None
    if opt.type in (dict, list) and isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise SettingsError(f"{opt.key}: '{value}' is not valid JSON",
                                f"{opt.key}: '{value}' không phải JSON hợp lệ", field=opt.key) from None
    if not isinstance(value, opt.type) or (opt.type is int and isinstance(value, bool)):
        raise SettingsError(f"{opt.key} ({layer}): expected {opt.type.__name__}, got {type(value).__name__}",
                            f"{opt.key} ({layer}): sai kiểu giá trị", field=opt.key)
    if opt.choices and value not in opt.choices:
        raise SettingsError(f"{opt.key}: '{value}' is not one of {', '.join(map(str, opt.choices))}",
                            f"{opt.key}: '{value}' không thuộc {', '.join(map(str, opt.choices))}", field=opt.key)
    if opt.validate:
        opt.validate(value)
    return value


class Settings:
    """Effective settings of this station. Writes are atomic; locks are enforced on every clerk write."""

    def __init__(self, settings_dir: Path | None = None, *, station_dir: Path | None = None) -> None:
        """``settings_dir``: the clerk layer's folder (default: per user, in the station home); the station
        layer is ``station_dir`` (default: :func:`scanstation.paths.station_settings_dir`, or ``settings_dir``
        itself when only that is given, as tests do)."""
        self.dir = settings_dir or paths.settings_dir()
        sdir = station_dir or (settings_dir if settings_dir is not None else paths.station_settings_dir())
        self.station_path = Path(sdir) / "station.json"
        self.clerk_path = self.dir / "clerk.json"
        self.station = self._load(self.station_path)
        self.clerk = self._load(self.clerk_path)
        legacy = self.dir / "station.json"
        if settings_dir is None and station_dir is None and legacy != self.station_path and legacy.exists():
            log.warning("%s (a station layer kept per user by older versions) is ignored: the station settings "
                        "are now %s, which IT staff set with 'scanstation settings set --station'",
                        legacy, self.station_path)

    def _load(self, path: Path) -> dict[str, Any]:
        try:
            if not path.exists():
                return {"version": SETTINGS_VERSION, "values": {}, "locked": []}
            text = path.read_text("utf-8")
        except PermissionError as e:
            raise SettingsError(f"Settings file {path} cannot be read by this account ({e.strerror}); IT staff must "
                                "make it readable by every user (station.json: 0644 / Users:Read)",
                                f"Tài khoản này không đọc được tệp cấu hình {path}; hãy báo cán bộ CNTT") from e
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise SettingsError(f"Settings file {path} is not valid JSON: {e}",
                                f"Tệp cấu hình {path} bị hỏng (không phải JSON hợp lệ)") from e
        if not isinstance(data, dict):
            raise SettingsError(f"Settings file {path} must hold a JSON object",
                                f"Tệp cấu hình {path} không đúng định dạng")
        data = _migrate(data, path)
        for key, value in list(data["values"].items()):
            opt = OPTIONS.get(key)
            if opt is None:
                log.warning("ignoring unknown setting %s in %s", key, path)
                del data["values"][key]
            else:
                data["values"][key] = _coerce(opt, value, path.name)
        return data

    @property
    def locked(self) -> set[str]:
        return set(self.station.get("locked", []))

    def get(self, key: str) -> Any:
        opt = self._option(key)
        if key in self.clerk["values"] and key not in self.locked and opt.clerk_may_set:
            return self.clerk["values"][key]
        if key in self.station["values"]:
            return self.station["values"][key]
        return opt.default

    def source(self, key: str) -> str:
        opt = self._option(key)
        if key in self.clerk["values"] and key not in self.locked and opt.clerk_may_set:
            return "clerk"
        return "station" if key in self.station["values"] else "default"

    def is_locked_for_clerk(self, key: str) -> bool:
        return key in self.locked or not self._option(key).clerk_may_set

    def set(self, key: str, value: Any, *, layer: str = "clerk") -> None:
        opt = self._option(key)
        value = _coerce(opt, value, layer)
        if layer == "clerk" and self.is_locked_for_clerk(key):
            raise SettingLockedError(f"Setting {key} is locked by IT staff",
                                     f"Thiết lập {key} đã được cán bộ CNTT khóa", field=key)
        if opt.validate_with_rules:
            opt.validate_with_rules(value, self.profile)
        if layer == "clerk":
            self.clerk["values"][key] = value
            atomic_write_text(self.clerk_path, json.dumps(self.clerk, ensure_ascii=False, indent=2))
        elif layer == "station":
            new = copy.deepcopy(self.station)
            new["values"][key] = value
            self._save_station(new)
        else:
            raise SettingsError(f"Unknown settings layer {layer}", f"Không có tầng cấu hình {layer}")

    def layer_value(self, key: str, layer: str) -> Any:
        """The value ``key`` has in one layer (None when that layer does not set it)."""
        return (self.station if layer == "station" else self.clerk)["values"].get(key)

    def lock(self, key: str, locked: bool = True) -> None:
        self._option(key)
        keys = self.locked
        (keys.add if locked else keys.discard)(key)
        new = copy.deepcopy(self.station)
        new["locked"] = sorted(keys)
        self._save_station(new)

    def station_writable(self) -> tuple[bool, str]:
        """Whether this OS account may write the station layer, and why not. The OS decides: the file's and
        its folder's permissions (the installer gives them to administrators only)."""
        p = self.station_path
        if p.exists() and not os.access(p, os.W_OK):
            return False, f"{p} is read-only for this account"
        d = p.parent
        while not d.exists() and d.parent != d:
            d = d.parent
        if not os.access(d, os.W_OK):
            return False, f"{d} is read-only for this account"
        return True, ""

    def _read_only(self, why: str) -> StationSettingsReadOnlyError:
        return StationSettingsReadOnlyError(
            f"Only IT staff can change station settings: {why} (OS account '{os_account()}'). Ask IT staff, or run "
            "the command as an administrator/root.",
            f"Chỉ cán bộ CNTT (tài khoản quản trị) mới được thay đổi thiết lập của trạm ({self.station_path}). "
            "Hãy liên hệ cán bộ CNTT.", field="station")

    def _save_station(self, data: dict[str, Any]) -> None:
        """Write the station layer (readable by every user when machine-wide), or refuse clearly if the OS says no."""
        ok, why = self.station_writable()
        if not ok:
            raise self._read_only(why)
        path = self.station_path
        # Machine-wide (/etc/scanstation, ProgramData): every clerk reads it, only its owner (IT) writes it.
        # Inside a self-contained station home (the demo, a training copy) it is as private as the home.
        in_home = paths.home().resolve() in path.resolve().parents
        dir_mode, file_mode = (0o700, 0o600) if in_home else (0o755, 0o644)
        tmp = None
        try:
            path.parent.mkdir(mode=dir_mode, parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".station.json.", suffix=".tmp", dir=path.parent)
            with os.fdopen(fd, "wb") as f:
                if hasattr(os, "fchmod"):
                    os.fchmod(f.fileno(), file_mode)
                f.write(json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8"))
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
            tmp = None
        except PermissionError as e:
            raise self._read_only(f"{e.filename or path}: {e.strerror}") from e
        except OSError as e:
            raise SettingsError(f"Cannot write {path}: {e.strerror or e}", f"Không ghi được tệp cấu hình {path}",
                                field="station") from e
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
        self.station = data

    def _option(self, key: str) -> Option:
        try:
            return OPTIONS[key]
        except KeyError:
            raise SettingsError(f"Unknown setting '{key}'", f"Không có thiết lập '{key}'", field=key) from None

    def effective(self) -> dict[str, dict[str, Any]]:
        return {k: {"value": self.get(k), "source": self.source(k), "locked": self.is_locked_for_clerk(k),
                    "doc": o.doc} for k, o in OPTIONS.items()}

    @property
    def profile(self):
        return get_profile(self.get("compliance.profile"))

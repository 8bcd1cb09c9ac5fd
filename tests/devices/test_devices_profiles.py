"""Scanner profiles: compliance defaults, IT locks, saved presets."""

from __future__ import annotations

import pytest

from scanstation.compliance import get_profile as compliance
from scanstation.config import Settings
from scanstation.devices import Overrides, ScanProfile, load_profiles, open_scanner, save_profile, to_request
from scanstation.errors import ScanProfileLocked, SettingLockedError, UnsupportedScanSetting

RULES = compliance("vn-2019-seeds")


def test_defaults_follow_the_compliance_profile_and_the_device():
    caps = open_scanner("virtual:demo").capabilities()
    r = to_request(ScanProfile(), caps, RULES)
    assert (r.source, r.dpi, r.mode, r.paper, r.double_feed_detection) == ("adf-duplex", 300, "color", "A4", True)
    sane = open_scanner("sane:test:0").capabilities()
    r = to_request(ScanProfile(device="sane:test:0"), sane, RULES)
    assert (r.source, r.dpi, r.paper) == ("adf", 300, "max")     # no duplex there; A4 does not fit


def test_overrides_apply_unless_the_profile_is_locked():
    caps = open_scanner("virtual:demo").capabilities()
    r = to_request(ScanProfile(), caps, RULES, Overrides(dpi=400, options=("sheets=2",)))
    assert r.dpi == 400 and [str(o) for o in r.options] == ["sheets=2"]
    with pytest.raises(ScanProfileLocked):
        to_request(ScanProfile(locked=True, dpi=300), caps, RULES, Overrides(dpi=200))
    assert to_request(ScanProfile(locked=True, dpi=400), caps, RULES).dpi == 400


def test_saved_presets_round_trip_and_are_it_only(station_home):
    settings = Settings()
    save_profile(settings, ScanProfile(name="counter-2", device="virtual:demo", dpi=400, locked=True))
    again = load_profiles(Settings())
    assert again["counter-2"].dpi == 400 and again["counter-2"].locked
    assert "default" in again
    with pytest.raises(SettingLockedError):
        settings.set("scanner.profiles", {}, layer="clerk")


def test_a_preset_below_the_rules_cannot_be_saved(station_home):
    with pytest.raises(UnsupportedScanSetting, match="200 dpi"):
        save_profile(Settings(), ScanProfile(name="bad", dpi=150))
    with pytest.raises(UnsupportedScanSetting, match="colour"):
        save_profile(Settings(), ScanProfile(name="bad", mode="gray"))


def test_a_preset_below_the_rules_cannot_be_written_into_the_settings(station_home):
    """docs/devices.md: a saved profile cannot go below the compliance profile, whichever way it is saved
    (the settings command and the settings screen write ``scanner.profiles`` directly)."""
    from scanstation.errors import SettingsError

    settings = Settings()
    for bad in ({"dpi": 150, "mode": "gray"}, {"dpi": 150}, {"mode": "gray"}):
        with pytest.raises(SettingsError) as e:
            settings.set("scanner.profiles", {"counter-3": bad}, layer="station")
        assert e.value.code == "SCANNER_PROFILE_BELOW_RULES" and e.value.field == "scanner.profiles"
        assert "counter-3" in e.value.message_en and "cấu hình quét 'counter-3'" in e.value.message_vi.lower()
    assert Settings().get("scanner.profiles") == {}
    with pytest.raises(SettingsError, match="200 dpi") as e:
        settings.set("scanner.profiles", '{"low": {"dpi": 150}}', layer="station")   # JSON text, as the CLI gives it
    assert "thấp hơn mức 200 dpi" in e.value.message_vi
    settings.set("scanner.profiles", {"ok": {"dpi": 200, "mode": "color"}}, layer="station")
    assert load_profiles(Settings())["ok"].dpi == 200
    with pytest.raises(SettingLockedError):           # a clerk is told it is locked, not what is wrong with it
        settings.set("scanner.profiles", {"bad": {"dpi": 150}}, layer="clerk")


def test_a_preset_below_the_rules_is_refused_when_used_for_a_scan(station_home):
    """A station file edited by hand (or saved under a laxer profile) still holds a 150-dpi grey preset:
    the scan is refused before the scanner is touched, in both languages; one-off overrides only warn."""
    import json

    from scanstation.devices import get_profile

    settings = Settings()
    data = json.loads(settings.station_path.read_text("utf-8")) if settings.station_path.exists() else \
        {"version": 1, "values": {}, "locked": []}
    data["values"]["scanner.profiles"] = {"grey-150": {"device": "virtual:demo", "dpi": 150, "mode": "gray"}}
    settings.station_path.parent.mkdir(parents=True, exist_ok=True)
    settings.station_path.write_text(json.dumps(data), "utf-8")
    settings = Settings()                               # a damaged preset does not stop the station opening
    prof = get_profile(settings, "grey-150")
    caps = open_scanner("virtual:demo").capabilities()
    with pytest.raises(UnsupportedScanSetting) as e:
        to_request(prof, caps, settings.profile)
    err = e.value
    assert err.code == "SCANNER_PROFILE_BELOW_RULES" and err.field == "scanner.profiles"
    assert "150 dpi is below the 200 dpi" in err.message_en and "colour" in err.message_en
    assert "150 dpi thấp hơn mức 200 dpi" in err.message_vi and "yêu cầu quét màu" in err.message_vi
    with pytest.raises(UnsupportedScanSetting, match="below the compliance profile"):
        to_request(prof, caps, settings.profile, Overrides(dpi=300, mode="color"))
    # a one-off below the rules (IT testing a device) is an override on a valid preset: allowed
    r = to_request(get_profile(settings, "default"), caps, settings.profile, Overrides(dpi=150, mode="gray"))
    assert (r.dpi, r.mode) == (150, "gray")

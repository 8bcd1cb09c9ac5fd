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

import json

import pytest

from scanstation.config import Settings
from scanstation.errors import SettingLockedError, SettingsError, UnknownProfileError


def test_layers_default_station_clerk(tmp_path):
    s = Settings(tmp_path)
    assert s.get("ui.language") == "vi" and s.source("ui.language") == "default"
    s.set("ui.language", "en", layer="station")
    assert Settings(tmp_path).get("ui.language") == "en"
    s.set("ui.language", "vi")                       # clerk preference wins over the station value
    assert Settings(tmp_path).get("ui.language") == "vi"
    assert Settings(tmp_path).source("ui.language") == "clerk"


def test_lock_makes_value_read_only_for_clerk_and_overrides_old_preference(tmp_path):
    s = Settings(tmp_path)
    s.set("scanner.device", "sane:test:0")            # clerk chose a device earlier
    s.set("scanner.device", "virtual:demo", layer="station")
    s.lock("scanner.device")
    s2 = Settings(tmp_path)
    assert s2.get("scanner.device") == "virtual:demo"
    assert s2.is_locked_for_clerk("scanner.device")
    with pytest.raises(SettingLockedError):
        s2.set("scanner.device", "sane:test:0")
    s2.lock("scanner.device", False)
    assert Settings(tmp_path).get("scanner.device") == "sane:test:0"


def test_it_only_options_are_not_clerk_writable(tmp_path):
    with pytest.raises(SettingLockedError):
        Settings(tmp_path).set("compliance.profile", "vn-2025")


def test_unknown_profile_rejected_and_nothing_written(tmp_path):
    s = Settings(tmp_path)
    with pytest.raises(UnknownProfileError) as e:
        s.set("compliance.profile", "nope", layer="station")
    assert "vn-2019-seeds" in e.value.message_en
    assert not (tmp_path / "station.json").exists()


def test_unversioned_file_is_migrated_and_bad_values_named(tmp_path):
    (tmp_path / "station.json").write_text(json.dumps({"storage.min_free_mb": "250", "nonsense": 1}))
    s = Settings(tmp_path)
    assert s.get("storage.min_free_mb") == 250
    (tmp_path / "clerk.json").write_text(json.dumps({"version": 1, "values": {"ui.language": "fr"}}))
    with pytest.raises(SettingsError) as e:
        Settings(tmp_path)
    assert e.value.field == "ui.language"


def test_corrupt_and_future_files(tmp_path):
    (tmp_path / "station.json").write_text("{not json")
    with pytest.raises(SettingsError, match="not valid JSON"):
        Settings(tmp_path)
    (tmp_path / "station.json").write_text(json.dumps({"version": 99, "values": {}}))
    with pytest.raises(SettingsError, match="newer station"):
        Settings(tmp_path)


def test_a_new_station_follows_the_2025_rules_and_it_staff_may_keep_the_seeds_profile(fresh_station, tmp_path):
    """TT 05/2025 is the rule in force: a station as installed, and a dossier JSON naming no profile,
    get vn-2025 (two-layer PDF/A, compact images); IT staff may set the seeds' profile and lock it."""
    from scanstation.dossier_io import parse_dossier
    from scanstation.flow import Station

    s = Settings()
    assert s.get("compliance.profile") == "vn-2025" and s.source("compliance.profile") == "default"
    rules = s.profile
    assert rules.ocr_text_layer and rules.image_encoding == "mrc" and rules.enforce_capture_at_assembly
    from scanstation.resources import resource

    data = json.loads(resource("demo", "dossier.json").read_text("utf-8"))
    assert "profile" not in data                         # the demo's dossier, like most, names none
    dossier, _ = parse_dossier(data)
    assert dossier.profile_id == ""                      # the station decides, at intake
    st = Station()
    try:
        st.create_dossier(dossier)
        assert dossier.profile_id == "vn-2025"
    finally:
        st.store.dispose()
    s.set("compliance.profile", "vn-2019-seeds", layer="station")
    s.lock("compliance.profile")
    assert Settings().get("compliance.profile") == "vn-2019-seeds"

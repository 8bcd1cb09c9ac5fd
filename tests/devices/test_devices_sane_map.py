"""The SANE option-name mapping over option lists recorded from real backends."""

from __future__ import annotations

import pytest

from scanstation.devices._sane_map import (
    TYPE_BOOL,
    TYPE_FIXED,
    TYPE_INT,
    TYPE_STRING,
    UNIT_DPI,
    UNIT_MM,
    UNIT_PERCENT,
    SaneOption,
    blank_skip_off_value,
    classify_mode,
    classify_source,
    coerce_value,
    map_options,
)


def S(name, values):  # string list option
    return SaneOption(name, TYPE_STRING, constraint=list(values))


def B(name):
    return SaneOption(name, TYPE_BOOL)


def R(name, lo, hi, t=TYPE_FIXED, unit=UNIT_MM):
    return SaneOption(name, t, unit, constraint=(lo, hi, 0))


GEOM = [R("tl-x", 0, 215.9), R("tl-y", 0, 297.0), R("br-x", 0, 215.9), R("br-y", 0, 297.0)]

# Recorded with `scanimage -A` / python-sane get_options() (names, types and constraints; descriptions dropped)
RECORDED = {
    "test": [
        S("mode", ["Gray", "Color"]), SaneOption("depth", TYPE_INT, constraint=[1, 8, 16]),
        R("resolution", 1.0, 1200.0, unit=UNIT_DPI), S("source", ["Flatbed", "Automatic Document Feeder"]),
        S("test-picture", ["Solid black", "Solid white", "Color pattern", "Grid"]),
        S("read-return-value", ["Default", "SANE_STATUS_JAMMED", "SANE_STATUS_NO_DOCS"]),
        R("tl-x", 0, 200), R("tl-y", 0, 200), R("br-x", 0, 200), R("br-y", 0, 200),
    ],
    "fujitsu fi-7160": [
        S("source", ["ADF Front", "ADF Back", "ADF Duplex"]),
        S("mode", ["Lineart", "Halftone", "Gray", "Color"]),
        SaneOption("resolution", TYPE_INT, UNIT_DPI, constraint=(50, 600, 1)),
        R("page-width", 0, 221.1), R("page-height", 0, 863.6), *GEOM,
        S("df-action", ["Default", "Continue", "Stop"]), B("df-skew"), B("df-thickness"), B("df-length"),
        S("df-diff", ["Default", "10mm", "15mm", "20mm"]),
        SaneOption("swskip", TYPE_FIXED, UNIT_PERCENT, constraint=(0.0, 100.0, 1.0)),
        B("swdeskew"), B("adf-loaded"),
    ],
    "canon_dr DR-C225": [
        S("source", ["ADF Front", "ADF Back", "ADF Duplex"]), S("mode", ["Lineart", "Halftone", "Gray", "Color"]),
        SaneOption("resolution", TYPE_INT, UNIT_DPI, constraint=[100, 150, 200, 240, 300, 400, 600]),
        *GEOM, B("df-thickness"), B("df-length"),
        SaneOption("swskip", TYPE_FIXED, UNIT_PERCENT, constraint=(0.0, 100.0, 1.0)),
    ],
    "epson2 DS-560": [
        S("mode", ["Binary", "Gray", "Color"]), SaneOption("resolution", TYPE_INT, UNIT_DPI, constraint=[75, 150, 300, 600]),
        S("source", ["Flatbed", "Automatic Document Feeder"]), S("adf-mode", ["Simplex", "Duplex"]), *GEOM,
    ],
    "brother4 ADS-2200": [
        S("mode", ["Black & White", "Gray[Error Diffusion]", "True Gray", "24bit Color", "24bit Color[Fast]"]),
        SaneOption("resolution", TYPE_INT, UNIT_DPI, constraint=[100, 150, 200, 300, 400, 600]),
        S("source", ["Automatic Document Feeder(left aligned)", "Automatic Document Feeder(left aligned,Duplex)",
                     "Automatic Document Feeder(centrally aligned)",
                     "Automatic Document Feeder(centrally aligned,Duplex)"]), *GEOM,
    ],
    "hpaio OfficeJet": [
        S("mode", ["Lineart", "Gray", "Color"]), SaneOption("resolution", TYPE_INT, UNIT_DPI, constraint=[75, 100, 150, 200, 300, 600]),
        S("source", ["Flatbed", "ADF", "Duplex"]), *GEOM,
    ],
    "pixma MX920": [
        S("mode", ["Color", "Gray", "Lineart"]), SaneOption("resolution", TYPE_INT, UNIT_DPI, constraint=[75, 150, 300, 600]),
        S("source", ["Flatbed", "Automatic Document Feeder", "ADF Duplex"]), *GEOM,
    ],
    "genesys film scanner": [
        S("mode", ["Color", "Gray"]), SaneOption("resolution", TYPE_INT, UNIT_DPI, constraint=[300, 600, 1200]),
        S("source", ["Flatbed", "Transparency Adapter"]), *GEOM,
    ],
}


@pytest.mark.parametrize("backend,sources,modes", [
    ("test", {"flatbed": "Flatbed", "adf": "Automatic Document Feeder"}, {"gray": "Gray", "color": "Color"}),
    ("fujitsu fi-7160", {"adf": "ADF Front", "adf-duplex": "ADF Duplex"}, {"gray": "Gray", "color": "Color"}),
    ("canon_dr DR-C225", {"adf": "ADF Front", "adf-duplex": "ADF Duplex"}, {"gray": "Gray", "color": "Color"}),
    ("epson2 DS-560", {"flatbed": "Flatbed", "adf": "Automatic Document Feeder",
                       "adf-duplex": "Automatic Document Feeder"}, {"gray": "Gray", "color": "Color"}),
    ("brother4 ADS-2200", {"adf": "Automatic Document Feeder(left aligned)",
                           "adf-duplex": "Automatic Document Feeder(left aligned,Duplex)"},
     {"gray": "True Gray", "color": "24bit Color"}),
    ("hpaio OfficeJet", {"flatbed": "Flatbed", "adf": "ADF", "adf-duplex": "Duplex"}, {"gray": "Gray", "color": "Color"}),
    ("pixma MX920", {"flatbed": "Flatbed", "adf": "Automatic Document Feeder", "adf-duplex": "ADF Duplex"},
     {"gray": "Gray", "color": "Color"}),
    ("genesys film scanner", {"flatbed": "Flatbed"}, {"gray": "Gray", "color": "Color"}),
])
def test_sources_and_modes_map_across_backends(backend, sources, modes):
    m = map_options(RECORDED[backend])
    assert m.sources == sources
    assert m.modes == modes


def test_epson2_duplex_is_a_separate_switch():
    m = map_options(RECORDED["epson2 DS-560"])
    assert m.duplex_switch == ("adf-mode", "Duplex")


def test_fujitsu_double_feed_blank_skip_and_sensor():
    m = map_options(RECORDED["fujitsu fi-7160"])
    assert m.double_feed == {"df-thickness": True, "df-length": True, "df-action": "Stop"}
    assert m.blank_skip == ("swskip",)
    assert blank_skip_off_value(m.options["swskip"]) == 0.0
    assert m.feeder_sensor == "adf-loaded"
    assert m.resolution_range == (50, 600) and 300 in m.resolutions
    assert m.max_area_mm == (221.1, 863.6)       # feeder takes long paper


def test_no_double_feed_on_plain_feeders():
    assert map_options(RECORDED["hpaio OfficeJet"]).double_feed == {}
    assert map_options(RECORDED["test"]).double_feed == {}


@pytest.mark.parametrize("value,expected", [
    ("ADF Back", None), ("Transparency Adapter", None), ("Document Table", "flatbed"),
    ("ADF Front+Back", "adf-duplex"), ("Auto Document Feeder Duplex", "adf-duplex"), ("Feeder", "adf"),
])
def test_classify_unknown_source_names_tolerantly(value, expected):
    assert classify_source(value) == expected


@pytest.mark.parametrize("value,expected", [
    ("Gray[Error Diffusion]", None), ("Halftone", None), ("Colour", "color"), ("Grayscale 8bit", "gray"),
    ("Black & White", None), ("48bit Color", "color"),
])
def test_classify_mode_never_takes_dithered_grey(value, expected):
    assert classify_mode(value) == expected


def test_coerce_values_name_what_is_allowed():
    opts = {o.name: o for o in RECORDED["fujitsu fi-7160"]}
    assert coerce_value(opts["df-action"], "stop") == "Stop"
    assert coerce_value(opts["df-skew"], "yes") is True
    assert coerce_value(opts["resolution"], "300") == 300
    with pytest.raises(ValueError, match="Default, Continue, Stop"):
        coerce_value(opts["df-action"], "Maybe")
    with pytest.raises(ValueError, match="50-600"):
        coerce_value(opts["resolution"], "9000")

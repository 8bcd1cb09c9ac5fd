"""Correcting the intake of a dossier already taken in."""

from __future__ import annotations

import copy

import pytest

from scanstation.errors import ValidationError
from scanstation.flow.intake import DuplicateReceipt, update_intake
from scanstation.flow.session import open_dossier
from tests.ui.ui_pages import add_pages


def test_a_typo_and_a_sheet_count_are_corrected_and_pages_stay(sample_session):
    s = sample_session
    c = s.dossier.components[0]
    add_pages(s.station, s.dossier, s.workarea, c, 2)
    edited = copy.deepcopy(s.dossier)
    edited.applicant.name = edited.applicant.name + " Sửa"
    edited.components[0].declared_sheets = 3
    edited.receipt_code = s.dossier.receipt_code + "-X"
    changed = update_intake(s, edited)
    assert "applicant" in changed and "receipt_code" in changed and "components[0].declared_sheets" in changed
    again = open_dossier(s.station, edited.receipt_code)             # found by its new receipt code
    assert again.dossier.applicant.name.endswith(" Sửa")
    assert again.dossier.components[0].declared_sheets == 3 and len(again.dossier.components[0].pages) == 4
    assert update_intake(s, copy.deepcopy(s.dossier)) == []           # nothing changed, nothing written


def test_what_cannot_change_is_refused_naming_it(sample_session, station):
    from scanstation.dossier_io import load_dossier_file
    from scanstation.flow import new_dossier
    from scanstation.resources import resource

    s = sample_session
    c = s.dossier.components[0]
    add_pages(s.station, s.dossier, s.workarea, c, 1)
    other, _ = load_dossier_file(resource("demo", "dossier.json"))
    other.receipt_code = "KHAC-0001"
    o = new_dossier(station, other)
    edited = copy.deepcopy(s.dossier)
    edited.receipt_code = "KHAC-0001"
    with pytest.raises(DuplicateReceipt) as e:
        update_intake(s, edited)
    assert e.value.dossier_id == o.dossier.id and "KHAC-0001" in e.value.message_vi
    edited = copy.deepcopy(s.dossier)
    edited.components = edited.components[1:]
    with pytest.raises(ValidationError, match="cannot be removed"):
        update_intake(s, edited)
    edited = copy.deepcopy(s.dossier)
    edited.applicant.name = "Không được ghi nửa chừng"
    edited.components[0].duplex = not edited.components[0].duplex
    with pytest.raises(ValidationError, match="already scanned"):
        update_intake(s, edited)
    assert s.dossier.applicant.name != "Không được ghi nửa chừng"                  # nothing half-applied
    assert open_dossier(s.station, s.dossier.id).dossier.receipt_code == s.dossier.receipt_code   # nothing written

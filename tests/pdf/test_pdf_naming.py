"""File names from the compliance profile, safe on Windows and Linux, unique within a dossier."""

from __future__ import annotations

import dataclasses
import unicodedata
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scanstation.compliance import get_profile
from scanstation.errors import FileNamingError
from scanstation.model import Component, Dossier, IdType, Party, PartyKind
from scanstation.pdf.naming import MAX_NAME_BYTES, RESERVED, dossier_file_names, safe_file_name

DEFAULT = get_profile("vn-2019-seeds")
VN2025 = get_profile("vn-2025")


def _dossier(*types: str, applicant: Party | None = None, receipt: str = "H49.64.33-261121-0001") -> Dossier:
    d = Dossier(receipt_code=receipt, procedure_code="1.001612", procedure_name="Đăng ký khai sinh",
                applicant=applicant or Party(PartyKind.CITIZEN, "Nguyễn Thị Hồng Nhung", IdType.CCCD, "066190001234"))
    d.components = [Component(name=f"Giấy {i}", document_type_code=t) for i, t in enumerate(types, 1)]
    return d


def _names(d: Dossier, profile=DEFAULT) -> list[str]:
    names = dossier_file_names(d, d.components, profile)
    return [names[c.id] for c in d.components]


def test_default_profile_names_identifier_dot_document_type():
    assert _names(_dossier("GCS", "VBUQ")) == ["066190001234.GCS.pdf", "066190001234.VBUQ.pdf"]


def test_two_papers_of_one_type_get_a_sequence_suffix_in_dossier_order():
    assert _names(_dossier("GCS", "VBUQ", "GCS")) == [
        "066190001234.GCS_1.pdf", "066190001234.VBUQ.pdf", "066190001234.GCS_2.pdf"]
    # Windows does not tell letter case apart: "gcs" and "GCS" would be one file there.
    assert _names(_dossier("GCS", "gcs")) == ["066190001234.GCS_1.pdf", "066190001234.gcs_2.pdf"]
    # A suffixed name never lands on a name another component already has.
    assert _names(_dossier("GCS", "GCS", "GCS_1")) == [
        "066190001234.GCS_2.pdf", "066190001234.GCS_3.pdf", "066190001234.GCS_1.pdf"]


def test_the_account_party_names_the_files_and_people_without_identifier_by_name_and_birth_date():
    d = _dossier("GCS", applicant=Party(PartyKind.CITIZEN, "Trần Văn Đức", birth_date=date(1990, 1, 2)))
    assert _names(d) == ["Trần Văn Đức_02011990.GCS.pdf"]
    d.authorising_party = Party(PartyKind.ORGANISATION, "Công ty TNHH Ánh Dương", IdType.TAX_CODE, "0100233488")
    assert _names(d) == ["0100233488.GCS.pdf"]


def test_vn_2025_keeps_one_stop_naming_and_offers_the_archive_naming():
    assert _names(_dossier("GCS", "VBUQ"), VN2025) == ["066190001234.GCS.pdf", "066190001234.VBUQ.pdf"]
    archive = dataclasses.replace(VN2025, file_naming=VN2025.archive_file_naming)
    assert _names(_dossier("GCS", "VBUQ", "GCS"), archive) == [
        "H49.64.33-261121-0001.1.pdf", "H49.64.33-261121-0001.2.pdf", "H49.64.33-261121-0001.3.pdf"]


def test_vietnamese_letters_are_kept_and_normalised_to_nfc():
    nfd = unicodedata.normalize("NFD", "Giấy chứng nhận quyền sử dụng đất")
    name = safe_file_name(nfd)
    assert name == "Giấy chứng nhận quyền sử dụng đất.pdf"
    assert unicodedata.is_normalized("NFC", name)


@pytest.mark.parametrize(("raw", "expected"), [
    ('a<b>c:d"e/f\\g|h?i*j', "a_b_c_d_e_f_g_h_i_j.pdf"),
    ("tab\there\nnewline", "tab_here_newline.pdf"),
    ("trailing dots...   ", "trailing dots.pdf"),
    ("..hidden", "hidden.pdf"),
    ("CON", "_CON.pdf"),
    ("nul.GCS", "_nul.GCS.pdf"),
    ("com1 .x", "_com1 .x.pdf"),
    ("LPT¹", "_LPT¹.pdf"),
    ("CONSOLE", "CONSOLE.pdf"),
    ("zero\u200bwidth", "zerowidth.pdf"),
    ("", "_.pdf"),
    ("...", "_.pdf"),
])
def test_unsafe_names_are_made_safe(raw, expected):
    assert safe_file_name(raw) == expected


def test_long_names_are_cut_so_that_the_sidecar_name_fits_too():
    long = "Nguyễn " * 80
    name = safe_file_name(long, suffix="_12")
    assert len((name + ".json").encode("utf-8")) <= MAX_NAME_BYTES
    assert name.endswith("_12.pdf") and not name[:-7].endswith((" ", "."))


def test_a_template_with_an_unknown_field_is_refused():
    bad = dataclasses.replace(DEFAULT, file_naming="{identifier}.{colour}")
    with pytest.raises(FileNamingError, match="colour") as e:
        _names(_dossier("GCS"), bad)
    assert e.value.field == "compliance.file_naming"


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=0, max_size=300))
def test_any_text_becomes_a_name_both_systems_accept(tmp_path_factory, raw):
    name = safe_file_name(raw)
    stem = name[:-4]
    assert name.endswith(".pdf") and stem
    assert not set(name) & set('<>:"/\\|?*')
    assert all(unicodedata.category(c)[0] != "C" or c == " " for c in name)
    assert not stem.endswith((".", " ")) and not stem.startswith((".", " "))
    assert stem.split(".")[0].rstrip(" ").upper() not in RESERVED
    assert len((name + ".json").encode("utf-8")) <= MAX_NAME_BYTES
    folder = tmp_path_factory.getbasetemp()
    (folder / name).write_bytes(b"x")         # this file system accepts it
    (folder / name).unlink()

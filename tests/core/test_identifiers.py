from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scanstation.errors import InvalidIdentifier
from scanstation.identifiers import birth_year_from_cccd, check_identifier, validate_identifier
from scanstation.model import IdType

WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)


def tax_check_digit(nine: str) -> int | None:
    d = 10 - sum(w * int(c) for w, c in zip(WEIGHTS, nine)) % 11
    return d if d < 10 else None  # 10 has no single digit: such prefixes are never issued


@pytest.mark.parametrize("value", ["0100233488", "0314409058-002", " 0100 233 488 "])
def test_known_valid_tax_codes(value):
    assert check_identifier(IdType.TAX_CODE, value).ok


@pytest.mark.parametrize("value,code", [("0100233480", "TAX_CODE_CHECK_DIGIT"), ("010023348", "TAX_CODE_FORMAT"),
                                        ("0314409058-02", "TAX_CODE_FORMAT"), ("abc", "TAX_CODE_FORMAT")])
def test_invalid_tax_codes_name_the_problem(value, code):
    res = check_identifier(IdType.TAX_CODE, value)
    assert not res.ok and res.errors[0].code == code
    assert "mã số thuế" in res.errors[0].vi.lower()


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_tax_code_check_digit_property(nine):
    d = tax_check_digit(nine)
    if d is None:
        return
    assert check_identifier(IdType.TAX_CODE, f"{nine}{d}").ok
    for wrong in set(range(10)) - {d}:
        assert not check_identifier(IdType.TAX_CODE, f"{nine}{wrong}").ok


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_any_twelve_digits_is_a_valid_cccd_structure_only_hints(v):
    res = check_identifier(IdType.CCCD, v, today=date(2026, 11, 21))
    assert res.ok  # structure problems are hints, never errors: a real person is never blocked
    assert all(h.code in ("CCCD_PROVINCE", "CCCD_BIRTH_YEAR") for h in res.hints)


@given(st.text(min_size=0, max_size=20).filter(lambda s: not (len(s.replace(" ", "")) == 12
                                                             and s.replace(" ", "").isdigit())))
def test_cccd_not_twelve_digits_is_an_error(v):
    v2 = "".join(v.split())
    if len(v2) == 12 and v2.isdigit():
        return
    assert not check_identifier(IdType.CCCD, v).ok


def test_cccd_structure_hints():
    today = date(2026, 11, 21)
    assert check_identifier(IdType.CCCD, "066190001234", today=today).hints == ()
    assert birth_year_from_cccd("066190001234") == 1990
    assert birth_year_from_cccd("001305001234") == 2005
    res = check_identifier(IdType.CCCD, "099190001234", today=today)
    assert [h.code for h in res.hints] == ["CCCD_PROVINCE"]
    res = check_identifier(IdType.CCCD, "001399001234", today=today)   # born 2099
    assert [h.code for h in res.hints] == ["CCCD_BIRTH_YEAR"]


@pytest.mark.parametrize("v,ok", [("123456789", True), ("123456789012", True), ("12345678", False),
                                  ("12345678A", False)])
def test_cmnd(v, ok):
    assert check_identifier(IdType.CMND, v).ok is ok


@pytest.mark.parametrize("v,ok", [("H49.64.33", True), ("H49", True), ("A01.01.01.01", True),
                                  ("000.00.01.H22", True), ("h49.64.33", True), ("Z49.64.33", False),
                                  ("H4.64.33", False), ("H49.643.3", False), ("000.00.01.22", False),
                                  ("H49.64.33.01.02", False)])
def test_org_codes(v, ok):
    assert check_identifier(IdType.ORG_CODE, v).ok is ok


@given(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXY"), st.lists(st.integers(0, 99), min_size=0, max_size=3),
       st.integers(0, 99))
def test_org_code_new_form_property(letter, groups, head):
    code = f"{letter}{head:02d}" + "".join(f".{g:02d}" for g in groups)
    assert check_identifier(IdType.ORG_CODE, code).ok


@given(st.text(max_size=30))
def test_passport_is_soft(v):
    res = check_identifier(IdType.PASSPORT, v)
    assert res.ok or res.errors[0].code == "EMPTY"


def test_validate_identifier_raises_with_field():
    with pytest.raises(InvalidIdentifier) as e:
        validate_identifier(IdType.CCCD, "12345", field_name="applicant.id_number")
    assert e.value.field == "applicant.id_number"
    assert "12" in e.value.message_en and "Số định danh" in e.value.message_vi

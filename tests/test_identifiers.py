"""The project's policy for Chinese identifiers over python-stdnum (incubator/validators.py)."""
from datetime import date

import pytest

from incubator.validators import id_number_error, make_uscc, normalize_uscc, uscc_error
from plugins.passport.idcard import make as make_id

TODAY = date(2026, 12, 1)
USCC = make_uscc("91340111MA2TXXXX0")


def test_a_uscc_may_be_typed_with_the_separators_on_the_certificate():
    spaced = f"{USCC[:2]} {USCC[2:8]} {USCC[8:]}"
    assert uscc_error(spaced) is None and uscc_error(USCC.lower()) is None
    assert normalize_uscc(spaced) == normalize_uscc(f"{USCC[:2]}-{USCC[2:8]}-{USCC[8:]}") == USCC


@pytest.mark.parametrize("value, reason", [
    ("91340111MA2TXXXX", "统一社会信用代码应为18位"),
    ("91340111MA2TXXXXI" + "0", "统一社会信用代码含有无效字符"),  # I is not in the code's alphabet
    (USCC[:-1] + ("0" if USCC[-1] != "0" else "1"), "统一社会信用代码校验位不正确"),
])
def test_a_bad_uscc_gets_the_projects_message(value, reason):
    assert uscc_error(value) == reason


def test_a_baohe_resident_born_before_1983_has_a_valid_id_number():
    """340111 was 合肥市郊区 from 1983 and 包河区 from 2002; cards issued later carry it whatever the
    birth year (stdnum's own validate refuses these)."""
    assert id_number_error(make_id("34011119500111200"), today=TODAY) is None
    number = make_id("34011119500111200")
    assert id_number_error(f"{number[:6]} {number[6:14]} {number[14:]}", today=TODAY) is None


@pytest.mark.parametrize("body17, reason", [
    ("34999919700111200", "身份证号码中的地区代码无效"),  # no such county in 安徽
    ("99011119700111200", "身份证号码中的地区代码无效"),  # no such province
    ("34011120300111200", "身份证号码中的出生日期无效"),  # born in 2030
    ("34011119701311200", "身份证号码中的出生日期无效"),  # month 13
])
def test_an_id_number_with_an_unknown_place_or_a_bad_date_is_refused(body17, reason):
    assert id_number_error(make_id(body17), today=TODAY) == reason


def test_an_id_number_with_a_wrong_check_digit_or_length_is_refused():
    number = make_id("34011119700111200")
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    assert id_number_error(wrong, today=TODAY) == "身份证号码校验位不正确"
    assert id_number_error(number[:-1], today=TODAY) == "身份证号码应为18位（最后一位可为X）"


def test_names_refuse_and_certificates_clean_the_same_hidden_characters():
    from incubator.validators import clean_name, name_error
    for hidden in ("\u200b", "\u202e", "\ufeff", "\u00ad", "\ud800"):
        assert name_error(f"王{hidden}明") is not None
        assert clean_name(f"王{hidden}明") == "王明"
    assert name_error("王\n明") is not None and clean_name("王\n明") == "王 明"
    assert name_error("王\ue000明") is None  # a rare character (生僻字) in the private-use area stays

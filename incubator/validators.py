"""Validation of Chinese identifiers and of names: the project's policy and messages, over
python-stdnum's checks (the USCC, GB 32100-2015; the resident ID number, GB 11643-1999), and phone
numbers."""
import re
import unicodedata

from stdnum.cn import ric
from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidLength, ValidationError

PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")


def normalize_uscc(value: str | None) -> str | None:
    """The code as stored: separators people type (spaces, dashes) dropped, upper case."""
    return stdnum_uscc.compact(value or "") or None


def uscc_error(value: str) -> str | None:
    """None if `value` is a valid 统一社会信用代码 (separators allowed), else the reason in Chinese."""
    try:
        stdnum_uscc.validate(value or "")
    except InvalidLength:
        return "统一社会信用代码应为18位"
    except InvalidChecksum:
        return "统一社会信用代码校验位不正确"
    except ValidationError:
        return "统一社会信用代码含有无效字符"
    return None


def id_number_error(value: str | None, *, today) -> str | None:
    """None if `value` is a valid 18-digit 居民身份证号码 (separators allowed), else the reason in
    Chinese. stdnum's parts, the project's policy: the birth-place code must be one that has existed
    (stdnum's `validate` also asks that it existed in the birth year, which refuses the 包河区
    residents born before 1983 whose cards carry 340111), and the birth date not in the future."""
    number = ric.compact(re.sub(r"[\s-]", "", value or ""))
    if len(number) != 18 or not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        return "身份证号码应为18位（最后一位可为X）"
    try:
        born = ric.get_birth_date(number)
    except InvalidComponent:
        return "身份证号码中的出生日期无效"
    if born > today or born.year < 1900:
        return "身份证号码中的出生日期无效"
    if ric.calc_check_digit(number) != number[17]:
        return "身份证号码校验位不正确"
    if not _place_known(number[:6]):
        return "身份证号码中的地区代码无效"
    return None


def _place_known(code: str) -> bool:
    """Has `code` (province, city, county) ever been an administrative division's code?"""
    from stdnum import numdb
    parts = numdb.get("cn/loc").info(code)
    return len(parts) == 2 and all(props for _part, props in parts)


def phone_error(value: str) -> str | None:
    """None for a mainland mobile (11 digits) or landline (area code + number)."""
    if not PHONE_RE.match((value or "").strip()):
        return "请填写有效的手机号或固定电话（如 13912345678 或 0551-12345678）"
    return None


def make_uscc(body17: str) -> str:
    """Complete 17 characters with their check character (for demo data and tests)."""
    return body17 + stdnum_uscc.calc_check_digit(body17)


# What may not stand in a name shown to people, by Unicode category: format characters (Cf: zero-width
# spaces and joiners, direction marks and overrides — U+202E turns "abc" into "cba" on screen —,
# invisible operators, the BOM) and lone surrogates (Cs) hide or disguise part of a name; control
# characters and line separators (Cc, Zl, Zp) break the one line a name is printed on. Private-use
# characters stay: older registers encode rare characters (生僻字) there, and a certificate's font
# check decides whether they can be printed.
HIDDEN = ("Cf", "Cs")
LINE_BREAKING = ("Cc", "Zl", "Zp")


def name_error(value: str | None) -> str | None:
    """None if `value` is fit to be a name shown to people (an organization, a person, a course, a
    round, a certificate's holder, a volunteer), else the reason in Chinese."""
    for char in value or "":
        category = unicodedata.category(char)
        if category in HIDDEN:
            return f"不能含有不可见字符或文字方向控制符（U+{ord(char):04X}）"
        if category in LINE_BREAKING:
            return f"不能含有换行符或控制字符（U+{ord(char):04X}）"
    return None


def clean_name(text: str | None) -> str:
    """A name stored before `name_error` refused such characters, made printable: line breaks and
    other controls become spaces, hidden characters are dropped, runs of spaces collapse."""
    kept = []
    for char in unicodedata.normalize("NFC", text or ""):
        category = unicodedata.category(char)
        if category in LINE_BREAKING:
            kept.append(" ")
        elif category not in HIDDEN:
            kept.append(char)
    return " ".join("".join(kept).split())


# What a mail server accepts as an address, roughly: something@domain.tld without spaces (the SMTP
# server has the last word; an address it refuses shows as a failed delivery).
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def email_error(value: str | None) -> str | None:
    value = (value or "").strip()
    if len(value) > 254 or not EMAIL_RE.match(value):
        return "请填写有效的电子邮箱"
    return None

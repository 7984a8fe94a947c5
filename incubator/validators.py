"""Validation of Chinese identifiers (the USCC, GB 32100-2015; phone numbers) and of names."""
import re
import unicodedata

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(first17, USCC_WEIGHTS))
    return USCC_CHARS[(31 - total % 31) % 31]


def uscc_error(value: str) -> str | None:
    """None if `value` is a valid 统一社会信用代码, else the reason in Chinese."""
    value = (value or "").strip().upper()
    if len(value) != 18:
        return "统一社会信用代码应为18位"
    if not USCC_RE.match(value):
        return "统一社会信用代码含有无效字符"
    if uscc_check_char(value[:17]) != value[17]:
        return "统一社会信用代码校验位不正确"
    return None


def normalize_uscc(value: str | None) -> str | None:
    value = (value or "").strip().upper()
    return value or None


def phone_error(value: str) -> str | None:
    """None for a mainland mobile (11 digits) or landline (area code + number)."""
    if not PHONE_RE.match((value or "").strip()):
        return "请填写有效的手机号或固定电话（如 13912345678 或 0551-12345678）"
    return None


def make_uscc(body17: str) -> str:
    """Complete 17 characters with their check character (for demo data and tests)."""
    return body17 + uscc_check_char(body17)


# Characters that make a name look like another, or hide part of it: zero-width spaces and joiners,
# direction marks and overrides (U+202E turns "abc" into "cba" on screen), invisible operators, the BOM.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def name_error(value: str | None) -> str | None:
    """None if `value` is fit to be a name shown to people (an organization, a person, a course, a
    round, a certificate's holder, a volunteer), else the reason in Chinese.

    Refused: invisible or direction-changing characters (two names that look alike must be alike)
    and control characters, line breaks included (a name is one line everywhere it is printed).
    """
    for char in value or "":
        if _INVISIBLE.match(char):
            return f"不能含有不可见字符或文字方向控制符（U+{ord(char):04X}）"
        if unicodedata.category(char) in ("Cc", "Zl", "Zp"):
            return f"不能含有换行符或控制字符（U+{ord(char):04X}）"
    return None

"""Validation of Chinese identifiers: the USCC (GB 32100-2015) and mobile phone numbers."""
import re

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

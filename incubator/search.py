"""Pinyin initials for search ("bhsg" finds 包河社工…)."""
from pypinyin import Style, lazy_pinyin


def initials(text: str) -> str:
    """Lower-case initials of the Chinese characters; other letters and digits kept as they are."""
    parts = lazy_pinyin(text or "", style=Style.FIRST_LETTER, errors="default")
    return "".join(p for p in "".join(parts).lower() if p.isalnum())[:120]

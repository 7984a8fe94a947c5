"""Pinyin initials for search ("bhsg" finds 包河社工…)."""


def initials(text: str) -> str:
    """Lower-case initials of the Chinese characters; other letters and digits kept as they are."""
    from pypinyin import Style, lazy_pinyin  # (its dictionaries take 0.3 s to load: not for every command)
    parts = lazy_pinyin(text or "", style=Style.FIRST_LETTER, errors="default")
    return "".join(p for p in "".join(parts).lower() if p.isalnum())[:120]


def matches(q: str, *columns):
    """A filter: any of `columns` contains `q`, ignoring case, with `%` and `_` taken literally
    (SQLAlchemy escapes them: a search for "100%" finds "100%", not everything starting "100")."""
    from sqlalchemy import false, or_
    if "\x00" in q:  # no stored text holds a NUL (PostgreSQL refuses one in a query): nothing matches
        return false()
    return or_(*(column.icontains(q, autoescape=True) for column in columns))

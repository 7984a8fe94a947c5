"""The public showcase (成果展示): the district's headline figures the administrator chose, as the
case study prints them (累计孵化出壳社会组织 110 余家 …). Counted for the whole district this year
(or since the first record), and kept for SHOWCASE_SECONDS per process: the public page does not
count on every visit."""
from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import delete, select

from .. import audit
from ..database import transaction
from ..dates import today
from ..errors import ValidationError
from ..extensions import db
from . import Scope, collect
from .models import ShowcaseFigure

SHOWCASE_SECONDS = 600
_cache: dict = {}


@dataclass
class Headline:
    caption: str
    value: float
    unit: str


def chosen() -> list[ShowcaseFigure]:
    return list(db.session.scalars(select(ShowcaseFigure).order_by(ShowcaseFigure.position, ShowcaseFigure.id)))


def headlines() -> tuple[int, list[Headline]]:
    """(the year, the headlines), from the cache when fresh."""
    year = today().year
    cached = _cache.get(year)
    if cached and cached[0] > time.monotonic():
        return year, cached[1]
    items = chosen()
    figures = {f.key: f for f in collect(Scope((year,), None))} if items else {}
    found = []
    for item in items:
        figure = figures.get(item.figure_key)
        if figure is None:
            continue
        value = figure.cumulative if item.cumulative and figure.cumulative is not None else figure.value(year)
        found.append(Headline(item.caption or figure.label, value, figure.unit))
    _cache.clear()
    _cache[year] = (time.monotonic() + SHOWCASE_SECONDS, found)
    return year, found


def save(rows: list[dict], *, user) -> None:
    """Replace the showcase's figures with `rows` ({figure_key, caption, cumulative}) in this order."""
    known = {f.key for f in collect(Scope((today().year,), None))}
    for row in rows:
        if row["figure_key"] not in known:
            raise ValidationError("未知的统计指标，请刷新后重试")
        if len(row.get("caption") or "") > 60:
            raise ValidationError("展示名称不超过 60 字")
    with transaction():
        db.session.execute(delete(ShowcaseFigure))
        for position, row in enumerate(rows):
            db.session.add(ShowcaseFigure(figure_key=row["figure_key"], caption=(row.get("caption") or "").strip(),
                                          cumulative=bool(row.get("cumulative")), position=position))
        audit.record("report.showcase", object_type="showcase", user=user,
                     summary=f"设置成果展示：{len(rows)} 项", figures=[r["figure_key"] for r in rows])
    _cache.clear()

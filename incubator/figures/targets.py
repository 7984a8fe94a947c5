"""Setting the yearly targets (目标管理, 挂图作战): a grid of parks × the figures a target may be set
for; an empty cell is no target."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from sqlalchemy import select

from .. import audit
from ..database import transaction
from ..errors import ValidationError
from ..extensions import db
from ..parks import services as parks
from . import Scope, collect
from .models import Target

MAX_TARGET = Decimal("1e11")


def targetable(year: int) -> list:
    """The figures a target may be set for (their labels and units; values are not needed)."""
    return [f for f in collect(Scope((year,), None)) if f.targetable]


def grid(year: int) -> dict:
    stored = {(t.park_id, t.figure_key): t.value
              for t in db.session.scalars(select(Target).where(Target.year == year))}
    return {"figures": targetable(year), "tree": parks.tree(), "stored": stored}


def save(year: int, form, *, user) -> int:
    """Store the grid's cells `t-<park id>-<figure key>`: a number sets, empty removes. Every cell
    is checked before anything is written. Returns how many changed."""
    keys = {f.key for f in targetable(year)}
    park_ids = {p.id for p, _depth in parks.tree()}
    wanted: dict[tuple[int, str], float | None] = {}
    for name, raw in form.items():
        if not name.startswith("t-"):
            continue
        park_text, _, key = name[2:].partition("-")
        if not park_text.isdigit() or int(park_text) not in park_ids or key not in keys:
            raise ValidationError("目标表格已过期，请刷新后重新填写")
        wanted[(int(park_text), key)] = _number(raw)
    stored = {(t.park_id, t.figure_key): t for t in db.session.scalars(select(Target).where(Target.year == year))}
    changed = []
    with transaction():
        for (park_id, key), value in wanted.items():
            current = stored.get((park_id, key))
            if value is None and current is not None:
                db.session.delete(current)
            elif value is not None and current is None:
                db.session.add(Target(year=year, park_id=park_id, figure_key=key, value=value,
                                      updated_by_id=getattr(user, "id", None)))
            elif value is not None and current.value != value:
                current.value, current.updated_by_id = value, getattr(user, "id", None)
            else:
                continue
            changed.append({"park_id": park_id, "figure": key, "value": value})
        if changed:
            audit.record("report.targets", object_type="targets", object_id=str(year), user=user,
                         summary=f"设定 {year} 年度目标：{len(changed)} 项", changes=changed)
    return len(changed)


def _number(raw) -> float | None:
    text = (raw or "").strip().replace(",", "").replace("，", "")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValidationError(f"目标应为数字：{text[:20]}") from None
    if not value.is_finite() or value <= 0 or value >= MAX_TARGET:
        raise ValidationError(f"目标应为大于 0 的数：{text[:20]}")
    return float(round(value, 2))

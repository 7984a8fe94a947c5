"""Rules for parks: the 1+N tree, creating and editing parks."""
import re

from sqlalchemy import func, select

from .. import audit
from ..database import transaction
from ..errors import Conflict, ValidationError
from ..extensions import db
from .models import LEVELS, Park

CODE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")
FIELDS = ("code", "name", "level", "parent_id", "address", "area_m2", "description")


def all_parks() -> list[Park]:
    return list(db.session.scalars(select(Park).order_by(Park.id)))


def by_code(code: str) -> Park | None:
    return db.session.scalar(select(Park).where(Park.code == code))


def tree(parks: list[Park] | None = None) -> list[tuple[Park, int]]:
    """(park, depth) pairs in tree order, from one query."""
    parks = parks if parks is not None else all_parks()
    children: dict[int | None, list[Park]] = {}
    for park in parks:
        children.setdefault(park.parent_id, []).append(park)
    ordered: list[tuple[Park, int]] = []

    def walk(parent_id, depth):
        for park in children.get(parent_id, []):
            ordered.append((park, depth))
            walk(park.id, depth + 1)

    walk(None, 0)
    return ordered


def descendant_ids(park: Park, parks: list[Park] | None = None) -> set[int]:
    parks = parks if parks is not None else all_parks()
    ids, frontier = {park.id}, [park.id]
    while frontier:
        frontier = [p.id for p in parks if p.parent_id in frontier and p.id not in ids]
        ids.update(frontier)
    return ids


def total_area() -> int:
    return db.session.scalar(select(func.coalesce(func.sum(Park.area_m2), 0)))


def validate(data: dict, existing: Park | None = None) -> dict:
    clean = {k: data[k] for k in FIELDS if k in data}
    if existing is None or "code" in clean:
        code = (clean.get("code") or "").strip()
        if not CODE_RE.match(code):
            raise ValidationError("代码只能包含小写字母、数字和连字符（2–40位）", field="code")
        taken = select(Park.id).where(Park.code == code)
        if existing is not None:
            taken = taken.where(Park.id != existing.id)
        if db.session.scalar(taken):
            raise Conflict("该园区代码已存在", field="code")
        clean["code"] = code
    if existing is None and not (clean.get("name") or "").strip():
        raise ValidationError("请填写园区名称", field="name")
    if "level" in clean and clean["level"] not in LEVELS:
        raise ValidationError("级别应为 district、street 或 community", field="level")
    if clean.get("parent_id"):
        parent = db.session.get(Park, clean["parent_id"])
        if parent is None:
            raise ValidationError("上级园区不存在", field="parent_id")
        if existing is not None and parent.id in descendant_ids(existing):
            raise ValidationError("上级园区不能是本园区或其下级", field="parent_id")
    else:
        clean["parent_id"] = None
    if (clean.get("area_m2") or 0) < 0:
        raise ValidationError("面积不能为负数", field="area_m2")
    return clean


def create(data: dict, *, user=None) -> Park:
    clean = validate(data)
    with transaction():
        park = Park(**clean)
        db.session.add(park)
        audit.record("park.create", park, user=user, summary=park.name)
    return park


def edit(park: Park, data: dict, *, user=None) -> Park:
    clean = validate(data, existing=park)
    with transaction():
        for key, value in clean.items():
            setattr(park, key, value)
        audit.record("park.edit", park, user=user, summary=park.name)
    return park


def managers_of(park_id: int) -> list:
    """The active managers of a park (园区管理员), e.g. the recipients of its notices."""
    from ..users.models import User, park_managers
    return list(db.session.scalars(select(User).join(park_managers, park_managers.c.user_id == User.id).where(
        park_managers.c.park_id == park_id, User.role == "manager", User.active.is_(True)).order_by(User.id)))

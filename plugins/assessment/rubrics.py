"""Rubrics (评估指标体系) are data: YAML files, checked when loaded.

A rubric has dimensions (维度) of indicators (指标) with points that add up to the declared total,
and grade bands (5A ≥ 900 …). The plugin ships `rubrics/default.yaml`; a park adds its own file to
`ASSESSMENT_RUBRICS_DIR` (default: `<instance>/rubrics`). A malformed file is refused with a message
per problem naming the file, the line and the key path (`default.yaml:14:
dimensions[2].indicators[0].points：应为数字`), logged, listed on the rubrics page and by `incubator
assessment rubrics`; the platform starts without it. What a file holds is declared by the schemas
below (marshmallow, read through `incubator.yamlfiles`); keys they do not know are ignored.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import marshmallow as ma
import yaml

from incubator import yamlfiles

log = logging.getLogger(__name__)
BUILTIN_DIR = Path(__file__).parent / "rubrics"
DEFAULT_CODE = "default"
CODE_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,39}$")


class RubricError(ValueError):
    """A rubric file that cannot be used; each message says where (file, line, key path) and why."""

    def __init__(self, *messages: str):
        super().__init__("\n".join(messages))
        self.messages = list(messages)


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    points: float
    guidance: str = ""


@dataclass(frozen=True)
class Dimension:
    code: str
    name: str
    indicators: tuple[Indicator, ...]

    @property
    def points(self) -> float:
        return sum(i.points for i in self.indicators)


@dataclass(frozen=True)
class Rubric:
    code: str
    name: str
    version: int
    total: float
    grades: tuple[tuple[str, float], ...]  # (grade, minimum total), highest first
    below_grade: str
    dimensions: tuple[Dimension, ...]
    parks: tuple[str, ...] = ()  # park codes that may choose it; empty: every park
    source: str = ""

    @property
    def indicators(self) -> list[Indicator]:
        return [i for d in self.dimensions for i in d.indicators]

    def indicator(self, code: str) -> Indicator | None:
        return next((i for i in self.indicators if i.code == code), None)

    def grade(self, total: float) -> str:
        for grade, minimum in self.grades:
            if total >= minimum:
                return grade
        return self.below_grade

    def available_to(self, park_code: str) -> bool:
        return not self.parks or park_code in self.parks

    def to_dict(self) -> dict:
        """The snapshot stored with each assessment, so later edits of the file never change old results."""
        return {"code": self.code, "name": self.name, "version": self.version, "total": self.total,
                "grades": [{"grade": g, "min": m} for g, m in self.grades], "below_grade": self.below_grade,
                "dimensions": [{"code": d.code, "name": d.name, "indicators": [
                    {"code": i.code, "name": i.name, "points": i.points, "guidance": i.guidance}
                    for i in d.indicators]} for d in self.dimensions]}


POSITIVE = ma.validate.Range(min=0, min_inclusive=False, error="应大于 0")


class _Written(yamlfiles.Field):
    """Whatever the file says, as text; empty: the default (guidance and below_grade always took any value)."""

    def _deserialize(self, value, attr, data, **kwargs):
        return str(value or self.load_default)


class _ParkCodes(yamlfiles.List):
    """Park codes; an empty value (`parks: ""`) is none, that is every park."""

    default_error_messages = {"invalid": "应为园区代码的列表，如 [fangxing]"}

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value or [], attr, data, **kwargs)


class _RubricPart(yamlfiles.Schema):
    known_keys_only = False  # a park's file may carry keys of its own (notes, ids): they were always ignored


class IndicatorSchema(_RubricPart):
    code = yamlfiles.Text(required=True)
    name = yamlfiles.Text(required=True)
    points = yamlfiles.Number(required=True, validate=POSITIVE)
    guidance = _Written(load_default="")

    @ma.post_load
    def _indicator(self, data, **kwargs):
        return Indicator(**data)


class DimensionSchema(_RubricPart):
    code = yamlfiles.Text(required=True)
    name = yamlfiles.Text(required=True)
    indicators = yamlfiles.List(ma.fields.Nested(IndicatorSchema), required=True,
                                validate=ma.validate.Length(min=1, error="维度没有指标，应为非空列表"))

    @ma.post_load
    def _dimension(self, data, **kwargs):
        return Dimension(data["code"], data["name"], tuple(data["indicators"]))


class GradeSchema(_RubricPart):
    grade = yamlfiles.Text(required=True)
    min = yamlfiles.Number(required=True, validate=ma.validate.Range(min=0, error="应在 0 与 total 之间"))

    @ma.post_load
    def _band(self, data, **kwargs):
        return data["grade"], data["min"]


class RubricSchema(_RubricPart):
    """A rubric file; the checks across keys (codes unique, points adding up, grades in order) follow."""

    error_messages = {"type": "文件内容应为一个映射（code、name、total、grades、dimensions）"}
    code = yamlfiles.Text(required=True, validate=ma.validate.Regexp(
        CODE_RE, error="{input!r} 只能使用小写字母、数字、点、横线和下划线"))
    name = yamlfiles.Text(required=True)
    version = yamlfiles.Integer(load_default=1)
    total = yamlfiles.Number(required=True, validate=POSITIVE)
    grades = yamlfiles.List(ma.fields.Nested(GradeSchema), required=True, validate=ma.validate.Length(
        min=1, error="应为非空列表，如 - {{grade: 5A, min: 900}}"))
    below_grade = _Written(load_default="未达等级")
    dimensions = yamlfiles.List(ma.fields.Nested(DimensionSchema), required=True,
                                validate=ma.validate.Length(min=1, error="应为非空列表"))
    parks = _ParkCodes(yamlfiles.Text(), load_default=list)

    @ma.validates_schema
    def _consistent(self, data, **kwargs):
        found = [*_repeated_codes(data["dimensions"]), *_points_against_total(data),
                 *_grades_within_total(data["grades"], data["total"]), *_grades_in_order(data["grades"])]
        if found:
            raise yamlfiles.errors_at(found)

    @ma.post_load
    def _rubric(self, data, **kwargs):
        return Rubric(data["code"], data["name"], data["version"], data["total"], tuple(data["grades"]),
                      data["below_grade"], tuple(data["dimensions"]), tuple(data["parks"]))


def _repeated_codes(dimensions):
    """Dimension codes and indicator codes are each unique in the rubric."""
    seen_dimensions, seen_indicators = set(), set()
    for n, dimension in enumerate(dimensions):
        if dimension.code in seen_dimensions:
            yield ("dimensions", n, "code"), f"维度 code {dimension.code} 重复"
        seen_dimensions.add(dimension.code)
        for m, indicator in enumerate(dimension.indicators):
            if indicator.code in seen_indicators:
                yield ("dimensions", n, "indicators", m, "code"), f"指标 code {indicator.code} 重复"
            seen_indicators.add(indicator.code)


def _points_against_total(data):
    points = sum(d.points for d in data["dimensions"])
    if abs(points - data["total"]) > 1e-6:
        yield ("total",), f"各指标分值合计 {points:g}，与 total {data['total']:g} 不符"


def _grades_within_total(grades, total):
    for n, (grade, minimum) in enumerate(grades):
        if minimum > total:
            yield ("grades", n, "min"), f"等级 {grade} 的 min 应在 0 与 total（{total:g}）之间"


def _grades_in_order(grades):
    """Bands from the highest, their minimums and names distinct."""
    minimums = [minimum for _grade, minimum in grades]
    if minimums != sorted(set(minimums), reverse=True):
        yield ("grades",), "应从高到低排列，且分数线互不相同"
    if len({grade for grade, _minimum in grades}) != len(grades):
        yield ("grades",), "等级名称有重复"


def parse(data, source: str = "", node: yaml.Node | None = None) -> Rubric:
    """Check a rubric's structure and arithmetic; raise RubricError naming each problem's key path
    (and, given the document's `node`, its line)."""
    try:
        rubric = RubricSchema().load(data)
    except ma.ValidationError as exc:
        file = Path(source).name
        raise RubricError(*(p.describe(file) if file else p.reason for p in yamlfiles.problems(exc, node))) from exc
    return replace(rubric, source=source)


def load_file(path: Path) -> Rubric:
    try:
        data, node = yamlfiles.load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise RubricError(f"{path.name}: 无法读取或不是合法的 YAML:{exc}") from exc
    return parse(data, source=str(path), node=node)


@dataclass
class RubricSet:
    """The rubrics loaded at start-up, and the files refused with their messages."""

    rubrics: dict[str, Rubric] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def get(self, code: str | None) -> Rubric | None:
        return self.rubrics.get(code or "")


def load_all(directories) -> RubricSet:
    result = RubricSet()
    for directory in directories:
        directory = Path(directory)
        if not directory.is_dir():
            continue
        for path in sorted(directory.glob("*.y*ml")):
            try:
                rubric = load_file(path)
            except RubricError as exc:
                result.errors.extend(exc.messages)
                log.error("assessment rubric refused: %s", exc)
                continue
            if rubric.code in result.rubrics:
                message = f"{path.name}: code {rubric.code!r} 已由 {Path(result.rubrics[rubric.code].source).name} 使用"
                result.errors.append(message)
                log.error("assessment rubric refused: %s", message)
                continue
            result.rubrics[rubric.code] = rubric
    return result


def init_app(app) -> None:
    extra = app.config.get("ASSESSMENT_RUBRICS_DIR") or str(Path(app.instance_path) / "rubrics")
    app.extensions["assessment_rubrics"] = load_all([BUILTIN_DIR, extra])


def current() -> RubricSet:
    from flask import current_app
    return current_app.extensions["assessment_rubrics"]

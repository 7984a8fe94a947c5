"""Rubrics (评估指标体系) are data: YAML files, checked when loaded.

A rubric has dimensions (维度) of indicators (指标) with points that add up to the declared total,
and grade bands (5A ≥ 900 …). The plugin ships `rubrics/default.yaml`; a park adds its own file to
`ASSESSMENT_RUBRICS_DIR` (default: `<instance>/rubrics`). A malformed file is refused with a message
naming the file and the problem (logged, listed on the rubrics page and by `incubator assessment
rubrics`); the platform starts without it.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

log = logging.getLogger(__name__)
BUILTIN_DIR = Path(__file__).parent / "rubrics"
DEFAULT_CODE = "default"
CODE_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,39}$")


class RubricError(ValueError):
    """A rubric file that cannot be used; the message says where and why."""


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


def _number(value, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RubricError(f"{where} 应为数字，而不是 {value!r}")
    return float(value)


def _text(mapping: dict, key: str, where: str) -> str:
    value = mapping.get(key)
    if not isinstance(value, str) or not value.strip():
        raise RubricError(f"{where} 缺少 {key}（文字）")
    return value.strip()


def parse(data, source: str = "") -> Rubric:
    """Check a rubric's structure and arithmetic; raise RubricError with a clear message."""
    if not isinstance(data, dict):
        raise RubricError("文件内容应为一个映射（code、name、total、grades、dimensions）")
    code = _text(data, "code", "评估体系")
    if not CODE_RE.match(code):
        raise RubricError(f"code {code!r} 只能使用小写字母、数字、点、横线和下划线")
    name = _text(data, "name", "评估体系")
    version = data.get("version", 1)
    if not isinstance(version, int):
        raise RubricError("version 应为整数")
    total = _number(data.get("total"), "total")
    if total <= 0:
        raise RubricError("total 应大于 0")
    dims_raw = data.get("dimensions")
    if not isinstance(dims_raw, list) or not dims_raw:
        raise RubricError("dimensions 应为非空列表")
    dimensions, seen_dims, seen_codes = [], set(), set()
    for n, dim in enumerate(dims_raw, start=1):
        where = f"第{n}个维度"
        if not isinstance(dim, dict):
            raise RubricError(f"{where} 应为映射")
        dcode, dname = _text(dim, "code", where), _text(dim, "name", where)
        if dcode in seen_dims:
            raise RubricError(f"维度 code 重复：{dcode}")
        seen_dims.add(dcode)
        inds_raw = dim.get("indicators")
        if not isinstance(inds_raw, list) or not inds_raw:
            raise RubricError(f"维度“{dname}”没有指标（indicators）")
        indicators = []
        for m, ind in enumerate(inds_raw, start=1):
            iwhere = f"维度“{dname}”的第{m}个指标"
            if not isinstance(ind, dict):
                raise RubricError(f"{iwhere} 应为映射")
            icode, iname = _text(ind, "code", iwhere), _text(ind, "name", iwhere)
            if icode in seen_codes:
                raise RubricError(f"指标 code 重复：{icode}")
            seen_codes.add(icode)
            points = _number(ind.get("points"), f"指标“{iname}”的 points")
            if points <= 0:
                raise RubricError(f"指标“{iname}”的 points 应大于 0")
            indicators.append(Indicator(icode, iname, points, str(ind.get("guidance") or "")))
        dimensions.append(Dimension(dcode, dname, tuple(indicators)))
    points_sum = sum(i.points for d in dimensions for i in d.indicators)
    if abs(points_sum - total) > 1e-6:
        raise RubricError(f"各指标分值合计 {points_sum:g}，与 total {total:g} 不符")
    grades_raw = data.get("grades")
    if not isinstance(grades_raw, list) or not grades_raw:
        raise RubricError("grades 应为非空列表，如 - {grade: 5A, min: 900}")
    grades = []
    for n, band in enumerate(grades_raw, start=1):
        if not isinstance(band, dict):
            raise RubricError(f"grades 第{n}项应为映射")
        grade = _text(band, "grade", f"grades 第{n}项")
        minimum = _number(band.get("min"), f"等级 {grade} 的 min")
        if not 0 <= minimum <= total:
            raise RubricError(f"等级 {grade} 的 min 应在 0 与 total 之间")
        grades.append((grade, minimum))
    if [m for _, m in grades] != sorted((m for _, m in grades), reverse=True) or len({m for _, m in grades}) != len(grades):
        raise RubricError("grades 应从高到低排列，且分数线互不相同")
    if len({g for g, _ in grades}) != len(grades):
        raise RubricError("grades 中的等级名称重复")
    parks = data.get("parks") or []
    if not isinstance(parks, list) or not all(isinstance(p, str) for p in parks):
        raise RubricError("parks 应为园区代码列表")
    return Rubric(code, name, version, total, tuple(grades), str(data.get("below_grade") or "未达等级"),
                  tuple(dimensions), tuple(parks), source)


def load_file(path: Path) -> Rubric:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise RubricError(f"{path.name}: 无法读取或不是合法的 YAML:{exc}") from exc
    try:
        return parse(data, source=str(path))
    except RubricError as exc:
        raise RubricError(f"{path.name}: {exc}") from exc


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
                result.errors.append(str(exc))
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

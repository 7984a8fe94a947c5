"""The course catalogue as content: `courses/*.md` (front matter + Markdown syllabus) → the database.

A course file looks like::

    ---
    code: CG101
    title: 社区参与式治理
    summary: 一句话简介
    category: 社区治理
    hours: 12                # 学时
    audience: 社区两委成员、社会组织负责人
    prerequisites: []        # course codes that must be completed first
    completion:
      attendance: 80         # percent of sessions attended (present or late); default 80
      note: 出勤率不低于80%，并通过结业考核（提交一份社区议题方案）   # optional wording shown to trainees
      assessment: true       # the rule includes an assessment (结业考核); default false. With true,
                             # the note must say what the assessment is; the 结业证书 then says 经考核合格
    ---
    ## 课程目标
    …

`assessment` is the course's word that its rule includes an assessment; the platform records no
exam result, so completion itself is still decided by attendance (services.py), and the assessment
is the instructor's to hold before the last session's attendance is recorded.

`sync()` checks every file first and changes nothing if any is malformed; the errors name the file,
the line and the reason (`pm102-finance.md:10: completion.attendance：应为 1–100 的整数（出勤百分比）`),
every problem of every file at once. What the front matter holds is declared by `CourseSchema`
(marshmallow, read through `incubator.yamlfiles`). Courses are matched by code; a course whose file disappeared is retired
(hidden from the catalogue, its offerings and enrolments kept).
"""
from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import marshmallow as ma
import yaml
from sqlalchemy import select

from incubator import audit, yamlfiles
from incubator.api.schemas import validate_name
from incubator.database import transaction
from incubator.extensions import db

from .models import Course

CODE_RE = re.compile(r"^[A-Z][A-Z0-9-]{1,39}$")
FRONT_LINE = 2  # the file's line number of the front matter's first line
SYNCED = ("title", "summary", "category", "hours", "audience", "prerequisites", "min_attendance",
          "completion_note", "completion_assessment", "syllabus", "source_file")


def default_directory() -> Path:
    """INCUBATOR_COURSES_DIR, else the catalogue shipped with the plugin (`plugins/enrolment/courses/`)."""
    return Path(os.environ.get("INCUBATOR_COURSES_DIR") or Path(__file__).resolve().parent / "courses")


@dataclass
class FileError:
    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


class CatalogueInvalid(Exception):
    def __init__(self, errors: list[FileError]):
        super().__init__("\n".join(map(str, errors)))
        self.errors = errors


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


class Hours(yamlfiles.Field):
    """学时: a number up to 999 with at most one decimal (8, 7.5, "7.5"), kept as a Decimal."""

    default_error_messages = {"invalid": "学时 {input!r} 不是数字", "range": "学时应为 0–999 之间、最多一位小数的正数"}

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            hours = Decimal(str(value))
        except InvalidOperation:
            raise self.make_error("invalid", input=value) from None
        if not (hours.is_finite() and Decimal(0) < hours <= Decimal(999) and hours == hours.quantize(Decimal("0.1"))):
            raise self.make_error("range")
        return hours


class Audience(yamlfiles.Text):
    """Who the course is for: words, or a list of them (joined with 、)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, list):
            value = "、".join(str(a) for a in value)
        return super()._deserialize(value, attr, data, **kwargs)


class CourseCodes(yamlfiles.List):
    """先修课程: a list of course codes, or one string of them separated by commas, 、 or spaces."""

    default_error_messages = {"invalid": "先修课程应为课程代码的列表，如 [CG101]"}

    def __init__(self, **kwargs):
        code = yamlfiles.Text(validate=ma.validate.Regexp(CODE_RE, error="先修课程 {input!r} 不是课程代码，如 CG101"))
        super().__init__(code, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            value = [p for p in re.split(r"[,、\s]+", value) if p]
        return super()._deserialize(value, attr, data, **kwargs)


class CompletionSchema(yamlfiles.Schema):
    """结业规则: attendance, note, assessment (see the module's docstring)."""

    error_messages = {"type": "结业规则应为 {attendance: 百分比, note: 说明, assessment: true 或 false}"}
    attendance = yamlfiles.Integer(load_default=80, validate=ma.validate.Range(
        min=1, max=100, error="应为 1–100 的整数（出勤百分比）"))
    note = yamlfiles.Text(numbers=True, load_default="", validate=ma.validate.Length(max=200, error="不能超过200字"))
    assessment = yamlfiles.Boolean(load_default=False, error_messages={
        "invalid": "应为 true 或 false（结业要求是否含考核），而不是 {input!r}"})

    @ma.validates_schema
    def _assessment_is_described(self, data, **kwargs):
        if data["assessment"] and not data["note"]:
            raise ma.ValidationError("结业规则含考核（assessment: true）时，须在 note 中写明考核内容", "assessment")


class CourseSchema(yamlfiles.Schema):
    """A course file's front matter → the course's fields (all but the syllabus and the file's name)."""

    code = yamlfiles.Text(required=True, numbers=True, validate=ma.validate.Regexp(
        CODE_RE, error="课程代码 {input!r} 无效：应为大写字母开头的字母、数字或连字符（2–40位）"))
    title = yamlfiles.Text(required=True, numbers=True, validate=[
        ma.validate.Length(max=120, error="课程名称不能超过120字"), validate_name])
    summary = yamlfiles.Text(numbers=True, load_default="")
    category = yamlfiles.Text(required=True, numbers=True)
    hours = Hours(required=True)
    audience = Audience(numbers=True, load_default="")
    prerequisites = CourseCodes(load_default=list)
    completion = ma.fields.Nested(CompletionSchema, load_default=lambda: CompletionSchema().load({}))

    @ma.validates_schema
    def _not_its_own_prerequisite(self, data, **kwargs):
        if data["code"] in data["prerequisites"]:
            raise ma.ValidationError("课程不能以自己为先修课程", "prerequisites")

    @ma.post_load
    def _course(self, data, **kwargs):
        completion = data["completion"]
        return {"code": data["code"], "title": data["title"], "summary": data["summary"],
                "category": data["category"][:40], "hours": data["hours"], "audience": data["audience"],
                "prerequisites": ",".join(data["prerequisites"]), "min_attendance": completion["attendance"],
                "completion_note": completion["note"], "completion_assessment": completion["assessment"]}


def parse_file(path: Path) -> dict:
    """One course file → the course's fields; raises CatalogueInvalid with the line at fault."""
    lines = _read_lines(path)
    end = _front_matter_end(path.name, lines)
    data, node = _front_matter(path.name, "\n".join(lines[1:end]))
    syllabus = "\n".join(lines[end + 1:]).strip()
    course, errors = _fields(path.name, data, node)
    errors += _syllabus_errors(path.name, syllabus, end)
    if errors:
        raise CatalogueInvalid(errors)
    return {**course, "syllabus": syllabus, "source_file": path.name,
            "_code_line": yamlfiles.line_of(node, ["code"], FRONT_LINE),
            "_prereq_line": yamlfiles.line_of(node, ["prerequisites"], FRONT_LINE)}


def _fields(name: str, data: dict, node: yaml.Node) -> tuple[dict | None, list[FileError]]:
    """The front matter through CourseSchema: the course's fields, or each problem with its line."""
    try:
        return CourseSchema().load(data), []
    except ma.ValidationError as exc:
        return None, [FileError(name, p.line, p.reason) for p in yamlfiles.problems(exc, node, FRONT_LINE)]


def _invalid(name: str, line: int, reason: str) -> CatalogueInvalid:
    return CatalogueInvalid([FileError(name, line, reason)])


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise _invalid(path.name, 1, "文件不是 UTF-8 编码") from None


def _front_matter_end(name: str, lines: list[str]) -> int:
    """The index of the line `---` that closes the front matter opened on the first line."""
    if not lines or lines[0].strip() != "---":
        raise _invalid(name, 1, "文件应以 --- 开头的前置元数据（front matter）开始")
    end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
    if end is None:
        raise _invalid(name, 1, "前置元数据没有以 --- 结束")
    return end


def _front_matter(name: str, text: str):
    """The front matter's data and node tree; a mapping, or CatalogueInvalid."""
    try:
        data, node = yamlfiles.load(text)
    except yaml.YAMLError as exc:
        reason = getattr(exc, "problem", None) or getattr(exc, "context", None) or exc
        raise _invalid(name, yamlfiles.syntax_line(exc, FRONT_LINE), f"前置元数据不是有效的 YAML:{reason}") from exc
    if not isinstance(node, yaml.MappingNode) or not isinstance(data, dict):
        raise _invalid(name, FRONT_LINE, "前置元数据应为“字段: 值”的列表")
    return data, node


def _syllabus_errors(name: str, syllabus: str, end: int) -> list[FileError]:
    return [] if syllabus else [FileError(name, end + 2, "缺少课程大纲（前置元数据之后的 Markdown 正文）")]


def load_directory(directory: Path) -> list[dict]:
    """Parse every `*.md` file; all errors of all files are raised together."""
    directory = Path(directory)
    if not directory.is_dir():
        raise CatalogueInvalid([FileError(str(directory), 0, "课程目录不存在")])
    courses, errors, seen = [], [], {}
    for path in sorted(directory.glob("*.md")):
        if path.name.lower() == "readme.md":
            continue
        try:
            course = parse_file(path)
        except CatalogueInvalid as exc:
            errors.extend(exc.errors)
            continue
        if course["code"] in seen:
            errors.append(FileError(path.name, course["_code_line"],
                                    f"课程代码 {course['code']} 与 {seen[course['code']]} 重复"))
            continue
        seen[course["code"]] = path.name
        courses.append(course)
    for course in courses:
        for code in course["prerequisites"].split(","):
            if code and code not in seen:
                errors.append(FileError(course["source_file"], course["_prereq_line"], f"先修课程 {code} 不在课程目录中"))
    if errors:
        raise CatalogueInvalid(errors)
    if not courses:
        raise CatalogueInvalid([FileError(str(directory), 0, "课程目录中没有课程文件（*.md）")])
    return courses


def content_hash(course: dict) -> str:
    payload = "\x1f".join(str(course[k]) for k in SYNCED)
    return hashlib.sha256(payload.encode()).hexdigest()


def sync(directory: Path | None = None, *, user=None) -> SyncReport:
    """Load the catalogue directory into the database, idempotently, by course code."""
    parsed = load_directory(directory or default_directory())
    report = SyncReport()
    with transaction():
        existing = {c.code: c for c in db.session.scalars(select(Course))}
        for data in parsed:
            digest = content_hash(data)
            course = existing.get(data["code"])
            if course is None:
                course = Course(code=data["code"])
                db.session.add(course)
                report.added.append(data["code"])
            elif course.content_hash == digest and course.active:
                report.unchanged.append(data["code"])
                continue
            else:
                report.changed.append(data["code"])
            for key in SYNCED:
                setattr(course, key, data[key])
            course.content_hash, course.active = digest, True
        in_files = {d["code"] for d in parsed}
        for code, course in sorted(existing.items()):
            if code not in in_files and course.active:
                course.active = False
                report.retired.append(code)
        if report.added or report.changed or report.retired:
            audit.record("academy.courses.sync", user=user, object_type="Course",
                         summary=f"课程目录同步：新增 {len(report.added)}，更新 {len(report.changed)}，下架 {len(report.retired)}",
                         added=report.added, changed=report.changed, retired=report.retired)
    return report

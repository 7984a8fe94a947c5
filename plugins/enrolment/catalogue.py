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
the line and the reason. Courses are matched by code; a course whose file disappeared is retired
(hidden from the catalogue, its offerings and enrolments kept).
"""
from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml
from sqlalchemy import select

from incubator import audit
from incubator.database import transaction
from incubator.extensions import db
from incubator.validators import name_error

from .models import Course

CODE_RE = re.compile(r"^[A-Z][A-Z0-9-]{1,39}$")
KNOWN = {"code", "title", "summary", "category", "hours", "audience", "prerequisites", "completion"}
REQUIRED = ("code", "title", "category", "hours")
SYNCED = ("title", "summary", "category", "hours", "audience", "prerequisites", "min_attendance",
          "completion_note", "completion_assessment", "syllabus", "source_file")
COMPLETION_KEYS = ("attendance", "note", "assessment")


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


def parse_file(path: Path) -> dict:
    """One course file → the course's fields; raises CatalogueInvalid with the line at fault."""
    name = path.name

    def fail(line, reason):
        raise CatalogueInvalid([FileError(name, line, reason)])

    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        fail(1, "文件不是 UTF-8 编码")
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        fail(1, "文件应以 --- 开头的前置元数据（front matter）开始")
    end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
    if end is None:
        fail(1, "前置元数据没有以 --- 结束")
    front = "\n".join(lines[1:end])
    try:
        node = yaml.compose(front)
        data = yaml.safe_load(front)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        fail((mark.line if mark else 0) + 2, f"前置元数据不是有效的 YAML:{exc.problem or exc.context}")
    if not isinstance(node, yaml.MappingNode) or not isinstance(data, dict):
        fail(2, "前置元数据应为“字段: 值”的列表")
    key_line = {key.value: key.start_mark.line + 2 for key, _value in node.value}
    # the lines of the completion block's own keys (completion.attendance …), for errors in them
    completion_node = next((value for key, value in node.value if key.value == "completion"), None)
    completion_line = ({key.value: key.start_mark.line + 2 for key, _value in completion_node.value}
                       if isinstance(completion_node, yaml.MappingNode) else {})

    def at(key):
        return key_line.get(key, 2)

    def at_completion(key):
        return completion_line.get(key, at("completion"))

    for key in data:
        if key not in KNOWN:
            fail(at(key), f"未知字段 {key}（可用字段：{'、'.join(sorted(KNOWN))}）")
    for key in REQUIRED:
        if data.get(key) in (None, ""):
            fail(at(key) if key in key_line else 2, f"缺少必填字段 {key}")
    code = str(data["code"]).strip()
    if not CODE_RE.match(code):
        fail(at("code"), f"课程代码 {code!r} 无效：应为大写字母开头的字母、数字或连字符（2–40位）")
    title = str(data["title"]).strip()
    if len(title) > 120:
        fail(at("title"), "课程名称不能超过120字")
    if error := name_error(title):
        fail(at("title"), f"课程名称{error}")
    try:
        hours = Decimal(str(data["hours"]))
    except InvalidOperation:
        fail(at("hours"), f"学时 {data['hours']!r} 不是数字")
    if isinstance(data["hours"], bool) or not (Decimal(0) < hours <= Decimal(999)) or hours != hours.quantize(Decimal("0.1")):
        fail(at("hours"), "学时应为 0–999 之间、最多一位小数的正数")
    audience = data.get("audience") or ""
    if isinstance(audience, list):
        audience = "、".join(str(a) for a in audience)
    prerequisites = data.get("prerequisites") or []
    if isinstance(prerequisites, str):
        prerequisites = [p.strip() for p in re.split(r"[,,、\s]+", prerequisites) if p.strip()]
    if not isinstance(prerequisites, list) or not all(isinstance(p, str) and CODE_RE.match(p) for p in prerequisites):
        fail(at("prerequisites"), "先修课程应为课程代码的列表，如 [CG101]")
    if code in prerequisites:
        fail(at("prerequisites"), "课程不能以自己为先修课程")
    completion = data.get("completion") or {}
    if not isinstance(completion, dict):
        fail(at("completion"), "结业规则应为 {attendance: 百分比, note: 说明, assessment: true 或 false}")
    for key in completion:
        if key not in COMPLETION_KEYS:
            fail(at_completion(key), f"结业规则中的未知字段 {key}（可用字段：{'、'.join(COMPLETION_KEYS)}）")
    attendance = completion.get("attendance", 80)
    if isinstance(attendance, bool) or not isinstance(attendance, int) or not 1 <= attendance <= 100:
        fail(at_completion("attendance"), "结业规则 attendance 应为 1–100 的整数（出勤百分比）")
    note = completion.get("note")
    if note is not None and not isinstance(note, (str, int, float)):
        fail(at_completion("note"), "结业规则 note 应为文字")
    note = str(note or "").strip()
    if len(note) > 200:
        fail(at_completion("note"), "结业规则 note 不能超过200字")
    assessment = completion.get("assessment", False)
    if not isinstance(assessment, bool):
        fail(at_completion("assessment"),
             f"结业规则 assessment 应为 true 或 false（结业要求是否含考核），而不是 {assessment!r}")
    if assessment and not note:
        fail(at_completion("assessment"), "结业规则含考核（assessment: true）时，须在 note 中写明考核内容")
    syllabus = "\n".join(lines[end + 1:]).strip()
    if not syllabus:
        fail(end + 2, "缺少课程大纲（前置元数据之后的 Markdown 正文）")
    for key in ("summary", "category"):
        if data.get(key) is not None and not isinstance(data[key], (str, int, float)):
            fail(at(key), f"{key} 应为文字")
    return {
        "code": code, "title": title, "summary": str(data.get("summary") or "").strip(),
        "category": str(data["category"]).strip()[:40], "hours": hours, "audience": str(audience).strip(),
        "prerequisites": ",".join(prerequisites), "min_attendance": attendance,
        "completion_note": note, "completion_assessment": assessment, "syllabus": syllabus,
        "source_file": name, "_code_line": at("code"), "_prereq_line": at("prerequisites"),
    }


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

"""Data files in YAML, checked by marshmallow schemas, with errors that say where and why.

Plugins keep some of their data as files a person edits: the assessment rubrics, the academy's
course catalogue. Each declares what a file holds as a schema built on `Schema` and the fields below,
and reads it like this::

    data, node = yamlfiles.load(text)            # yaml.YAMLError for a file that is not YAML
    try:
        rubric = RubricSchema().load(data)
    except ma.ValidationError as exc:
        for problem in yamlfiles.problems(exc, node):
            print(problem.describe("default.yaml"))
            # default.yaml:14: dimensions[2].indicators[0].points：应为数字，而不是 'many'

- `Schema`: a key the schema does not know is an error naming the keys it does (unless the schema
  says `known_keys_only = False`); a key left empty (`summary:`) counts as absent, so its default
  applies or, when required, it is missing.
- `Text`, `Number`, `Integer`, `Boolean`, `List` (and `Field` to build others): they take only
  what YAML writes for them (no "12" for a number, no 1 for true) and say what is wrong in Chinese.
- `problems(error, node)`: marshmallow's nested error dict → `Problem`s, each with its key path
  (`dimensions[2].indicators[0].points`) and its line in the file, in the file's order.
- `errors_at(found)`: what a `@validates_schema` check raises to put each message at a key path of
  its own (`grades[1].min`), so that it gets that key's line.
- `line_of(node, keys)`, `syntax_line(exc)`: the line of a key path, of a YAML syntax error.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import marshmallow as ma
import yaml
from marshmallow.error_store import SCHEMA

Keys = Sequence[str | int]


def load(text: str):
    """The document's data and its node tree (which knows each value's line); raises yaml.YAMLError."""
    return yaml.safe_load(text), yaml.compose(text, Loader=yaml.SafeLoader)


# -- schemas and fields ----------------------------------------------------------------------------

class Schema(ma.Schema):
    """A mapping in a data file; an empty value counts as absent.

    A key the schema does not know is an error naming the keys allowed (marshmallow's own check
    does not name them), unless `known_keys_only = False`: then it is ignored.
    """

    class Meta:
        unknown = ma.EXCLUDE

    known_keys_only = True
    error_messages = {"type": "应为映射（键: 值）"}

    @ma.pre_load
    def _empty_is_absent(self, data, **kwargs):
        if isinstance(data, Mapping):
            return {key: value for key, value in data.items() if value is not None}
        return data

    @ma.validates_schema(pass_original=True, skip_on_field_errors=False)
    def _no_unknown_keys(self, _data, original, **kwargs):
        if unknown := self._unknown_keys(original):
            allowed = "、".join(self._allowed_keys())
            raise errors_at(((key,), f"未知字段（可用字段：{allowed}）") for key in unknown)

    def _allowed_keys(self) -> list[str]:
        return [field.data_key or name for name, field in self.load_fields.items()]

    def _unknown_keys(self, original) -> list:
        if not self.known_keys_only or not isinstance(original, Mapping):
            return []
        allowed = self._allowed_keys()
        return [key for key in original if key not in allowed]


class Field(ma.fields.Field):
    """What any field can get wrong, in Chinese; the base of the fields below."""

    default_error_messages = {"required": "缺少必填字段", "null": "不能为空", "validator_failed": "无效"}


class Text(Field, ma.fields.String):
    """Words, stripped. Blank counts as absent: missing when required, else the default ("" when none).

    `numbers=True` also takes a number as written (`summary: 2024` → "2024"), as the catalogue does.
    """

    default_error_messages = {"invalid": "应为文字"}

    def __init__(self, *, numbers: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.numbers = numbers
        self.blank = self.load_default if isinstance(self.load_default, str) else ""

    def _deserialize(self, value, attr, data, **kwargs):
        if self.numbers and isinstance(value, (int, float)):
            value = str(value)
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not text and self.required:
            raise self.make_error("required")
        return text or self.blank


class Number(Field, ma.fields.Float):
    """A finite number written as one (not "12", not true)."""

    default_error_messages = {"invalid": "应为数字，而不是 {input!r}", "special": "应为有限的数字"}

    def _validated(self, value):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.make_error("invalid", input=value)
        return super()._validated(value)


class Integer(Field, ma.fields.Integer):
    """A whole number written as one (not "12", not 12.0, not true)."""

    default_error_messages = {"invalid": "应为整数，而不是 {input!r}"}

    def __init__(self, **kwargs):
        super().__init__(strict=True, **kwargs)


class Boolean(Field, ma.fields.Boolean):
    """true or false, as YAML writes them (not 1, not "是")."""

    default_error_messages = {"invalid": "应为 true 或 false，而不是 {input!r}"}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class List(Field, ma.fields.List):
    default_error_messages = {"invalid": "应为列表"}


# -- errors → where and why ------------------------------------------------------------------------

@dataclass(frozen=True)
class Problem:
    """One thing wrong in a file: its key path (`""` for the whole document), line (0: not known), message."""

    path: str
    line: int
    message: str

    @property
    def reason(self) -> str:
        return f"{self.path}：{self.message}" if self.path else self.message

    def describe(self, file: str) -> str:
        """`file:line: path：message`, the line left out when not known."""
        return f"{file}:{self.line}: {self.reason}" if self.line else f"{file}: {self.reason}"


def problems(error: ma.ValidationError, node: yaml.Node | None = None, first_line: int = 1) -> list[Problem]:
    """Each message of `error` with its key path and, given the document's node, its line, in line order.

    `first_line` is the file's line number of the document's first line (2 for a front matter).
    """
    found = [Problem(key_path(keys), line_of(node, keys, first_line) if node is not None else 0, message)
             for keys, message in flatten(error.messages)]
    return sorted(found, key=lambda problem: problem.line)


def flatten(messages, keys: tuple = ()) -> Iterator[tuple[tuple, str]]:
    """marshmallow's nested messages → (key path, message); `_schema` names the enclosing mapping."""
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            yield from flatten(value, keys if key == SCHEMA else (*keys, key))
    elif isinstance(messages, (list, tuple)):
        for message in messages:
            yield from flatten(message, keys)
    else:
        yield keys, str(messages)


def key_path(keys: Keys) -> str:
    """("dimensions", 2, "indicators", 0, "points") → "dimensions[2].indicators[0].points"."""
    path = ""
    for key in keys:
        path += f"[{key}]" if isinstance(key, int) else f".{key}" if path else str(key)
    return path


def line_of(node: yaml.Node, keys: Keys, first_line: int = 1) -> int:
    """The line of the deepest key along `keys` that the document has (its key, or its list item).

    A key that is missing gets the line of the mapping that should hold it.
    """
    mark = node.start_mark
    for key in keys:
        found = _child(node, key)
        if found is None:
            break
        mark, node = found[0].start_mark, found[1]
    return mark.line + first_line


def _child(node: yaml.Node, key) -> tuple[yaml.Node, yaml.Node] | None:
    """(where the entry starts, its value) for `key` of a mapping node or index of a sequence node."""
    if isinstance(node, yaml.MappingNode):
        return _entry(node, str(key))
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int):
        return _item(node, key)
    return None


def _entry(node: yaml.MappingNode, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    return next(((k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == key), None)


def _item(node: yaml.SequenceNode, index: int) -> tuple[yaml.Node, yaml.Node] | None:
    return (node.value[index], node.value[index]) if 0 <= index < len(node.value) else None


def syntax_line(exc: yaml.YAMLError, first_line: int = 1) -> int:
    """The line a YAML syntax error points at (the first line when it points nowhere)."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return (mark.line if mark else 0) + first_line


def errors_at(found: Iterable[tuple[Keys, str]]) -> ma.ValidationError:
    """One ValidationError holding each message at its key path, for a `@validates_schema` check:
    `raise errors_at([(("grades", 1, "min"), "应在 0 与 total 之间")])`. An empty path is the mapping itself."""
    messages: dict = {}
    for keys, message in found:
        *parents, last = tuple(keys) or (SCHEMA,)
        level = messages
        for key in parents:
            level = level.setdefault(key, {})
        level.setdefault(last, []).append(message)
    return ma.ValidationError(messages)

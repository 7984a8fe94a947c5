"""Data files read through incubator.yamlfiles: a schema says what a file holds, and each problem is
told with its key path and its line, in Chinese."""
import marshmallow as ma
import pytest
import yaml

from incubator import yamlfiles

DOCUMENT = """\
# a comment first
title: 评估
total: 100
dimensions:
  - code: gov
    items:
      - {code: gov.board, points: 60}
      - code: gov.money
        points: many
"""


class Item(yamlfiles.Schema):
    code = yamlfiles.Text(required=True)
    points = yamlfiles.Number(required=True)


class Dimension(yamlfiles.Schema):
    code = yamlfiles.Text(required=True)
    items = yamlfiles.List(ma.fields.Nested(Item), required=True)


class Document(yamlfiles.Schema):
    title = yamlfiles.Text(required=True)
    summary = yamlfiles.Text(load_default="无")
    total = yamlfiles.Number(required=True)
    version = yamlfiles.Integer(load_default=1)
    final = yamlfiles.Boolean(load_default=False)
    dimensions = yamlfiles.List(ma.fields.Nested(Dimension), required=True)

    @ma.validates_schema
    def _points_add_up(self, data, **kwargs):
        points = sum(i["points"] for d in data["dimensions"] for i in d["items"])
        if points != data["total"]:
            raise yamlfiles.errors_at([(("total",), f"合计 {points:g}，与 total 不符")])


def problems(text, first_line=1):
    data, node = yamlfiles.load(text)
    with pytest.raises(ma.ValidationError) as caught:
        Document().load(data)
    return [(p.line, p.reason) for p in yamlfiles.problems(caught.value, node, first_line)]


def test_a_problem_names_its_key_path_and_line():
    assert problems(DOCUMENT) == [(9, "dimensions[0].items[1].points：应为数字，而不是 'many'")]


def test_problems_come_in_the_files_order_and_count_from_the_first_line_given():
    text = DOCUMENT.replace("title: 评估", "title: ''").replace("total: 100", "total: 100\nversion: 1.5\nextra: 1")
    assert problems(text, first_line=2) == [
        (3, "title：缺少必填字段"),
        (5, "version：应为整数，而不是 1.5"),
        (6, "extra：未知字段（可用字段：title、summary、total、version、final、dimensions）"),
        (12, "dimensions[0].items[1].points：应为数字，而不是 'many'"),
    ]


def test_a_missing_key_gets_the_line_of_the_mapping_that_should_hold_it():
    text = DOCUMENT.replace("        points: many\n", "")
    assert problems(text) == [(8, "dimensions[0].items[1].points：缺少必填字段")]
    assert problems(DOCUMENT.replace("title: 评估\n", "").replace("many", "40")) == [(2, "title：缺少必填字段")]


def test_a_check_across_keys_puts_its_message_at_the_key_it_names():
    assert problems(DOCUMENT.replace("many", "30")) == [(3, "total：合计 90，与 total 不符")]


def test_a_value_of_the_wrong_shape_says_what_it_should_be():
    assert problems(DOCUMENT.replace("  - code: gov\n", "  - 治理\n  - code: gov\n")) == [
        (5, "dimensions[0]：应为映射（键: 值）"), (10, "dimensions[1].items[1].points：应为数字，而不是 'many'")]
    assert problems("title: 评估\ntotal: 1\ndimensions: gov\n") == [(3, "dimensions：应为列表")]


def test_an_empty_value_counts_as_absent_and_blank_text_as_missing():
    loaded = Document().load(yaml.safe_load("title: 评估\nsummary:\ntotal: 0\nversion:\ndimensions: []\n"))
    assert loaded == {"title": "评估", "summary": "无", "total": 0.0, "version": 1, "final": False, "dimensions": []}
    assert Document().load(yaml.safe_load("title: ' 评估 '\nsummary: ' '\ntotal: 0\ndimensions: []"))["summary"] == "无"


@pytest.mark.parametrize("field, value, message", [
    (yamlfiles.Number(), "12", "应为数字，而不是 '12'"),
    (yamlfiles.Number(), True, "应为数字，而不是 True"),
    (yamlfiles.Number(), float("inf"), "应为有限的数字"),
    (yamlfiles.Integer(), 12.0, "应为整数，而不是 12.0"),
    (yamlfiles.Integer(), False, "应为整数，而不是 False"),
    (yamlfiles.Boolean(), 1, "应为 true 或 false，而不是 1"),
    (yamlfiles.Boolean(), "是", "应为 true 或 false，而不是 '是'"),
    (yamlfiles.Text(), 2024, "应为文字"),
    (yamlfiles.Text(required=True), "  ", "缺少必填字段"),
])
def test_a_field_takes_only_what_yaml_writes_for_it(field, value, message):
    with pytest.raises(ma.ValidationError) as caught:
        field.deserialize(value)
    assert caught.value.messages == [message]


def test_text_may_take_a_number_as_written():
    assert yamlfiles.Text(numbers=True).deserialize(2024) == "2024"


def test_a_schema_may_ignore_keys_it_does_not_know():
    class Lenient(yamlfiles.Schema):
        known_keys_only = False
        code = yamlfiles.Text(required=True)

    assert Lenient().load({"code": "a", "note": "自用"}) == {"code": "a"}


def test_key_paths_and_the_messages_they_come_from():
    assert yamlfiles.key_path(("dimensions", 2, "indicators", 0, "points")) == "dimensions[2].indicators[0].points"
    assert yamlfiles.key_path(()) == ""
    nested = {"a": {0: {"b": ["x", "y"], "_schema": ["z"]}}, "_schema": ["w"]}
    assert list(yamlfiles.flatten(nested)) == [(("a", 0, "b"), "x"), (("a", 0, "b"), "y"), (("a", 0), "z"), ((), "w")]
    error = yamlfiles.errors_at([(("grades", 1, "min"), "太高"), (("grades", 1, "min"), "太低"), ((), "整体")])
    assert error.messages == {"grades": {1: {"min": ["太高", "太低"]}}, "_schema": ["整体"]}


def test_a_problem_is_described_with_its_file():
    assert yamlfiles.Problem("total", 3, "应大于 0").describe("a.yaml") == "a.yaml:3: total：应大于 0"
    assert yamlfiles.Problem("", 0, "文件内容应为映射").describe("a.yaml") == "a.yaml: 文件内容应为映射"


def test_the_line_of_a_yaml_syntax_error():
    with pytest.raises(yaml.YAMLError) as caught:
        yamlfiles.load("title: 评估\ntotal: [1\n")
    assert yamlfiles.syntax_line(caught.value, first_line=2) == 4

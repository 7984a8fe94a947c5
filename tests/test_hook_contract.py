"""Hooks are a public API: every hook (core and plugin-declared) is documented and tested.

As in Datasette, a hook counts as tested only by a test function named for it (its whole name, e.g.
`test_incubator_todos_…`): a mention in a comment, a fixture or another hook's longer name does not.
"""
import ast
import re
from pathlib import Path

from incubator.hookdocs import render
from incubator.plugins import registry

ROOT = Path(__file__).resolve().parent.parent


def all_hook_names(app) -> set[str]:
    with app.app_context():
        pm = registry().pm
        return {name for name in dir(pm.hook) if name.startswith("incubator_")
                and getattr(pm.hook, name).spec is not None}


def docs_text() -> str:
    return (ROOT / "docs" / "hooks.md").read_text(encoding="utf-8")


def test_the_hook_reference_is_the_hookspecs_docstrings(app):
    """docs/hooks.md is generated (`incubator plugins hook-docs`): edit the docstrings, then regenerate."""
    with app.app_context():
        assert render(registry().pm) == docs_text(), "docs/hooks.md is stale: run incubator plugins hook-docs"


def names_of_test_functions() -> list[str]:
    files = list((ROOT / "tests").rglob("test_*.py")) + list((ROOT / "plugins").glob("*/tests/test_*.py"))
    return [node.name for path in files if path.name != "test_hook_contract.py"
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")]


def names_hook(test_name: str, hook: str, hooks: set[str]) -> bool:
    """`test_incubator_todos_counted` names incubator_todos; a longer hook's name in it
    (`test_incubator_permissions_listed`) does not name the shorter one (incubator_permission)."""
    for longer in sorted((other for other in hooks if other != hook and other.startswith(hook)),
                         key=len, reverse=True):
        test_name = test_name.replace(longer, "-")
    return re.search(rf"(^|_){hook}(_|$)", test_name) is not None


def test_every_hook_is_documented_with_its_signature(app):
    docs = docs_text()
    undocumented = [name for name in sorted(all_hook_names(app))
                    if not re.search(rf"^#+ `?{name}\(", docs, re.MULTILINE)]
    assert not undocumented, f"hooks without a '### name(args)' heading under docs/: {undocumented}"


def test_every_hook_has_a_test_named_for_it(app):
    hooks = all_hook_names(app)
    tests = names_of_test_functions()
    untested = [hook for hook in sorted(hooks) if not any(names_hook(test, hook, hooks) for test in tests)]
    assert not untested, f"hooks with no test function named for them (test_<hook>_…): {untested}"


def test_a_mention_is_not_a_test_named_for_a_hook():
    hooks = {"incubator_permission", "incubator_permissions", "incubator_todos"}
    assert names_hook("test_incubator_permission_decides", "incubator_permission", hooks)
    assert names_hook("test_incubator_permissions_and_incubator_permission", "incubator_permission", hooks)
    assert not names_hook("test_incubator_permissions_are_listed", "incubator_permission", hooks)
    assert not names_hook("test_something_about_todos", "incubator_todos", hooks)


def test_documented_signatures_match_the_specs(app):
    docs = docs_text()
    with app.app_context():
        pm = registry().pm
        for name in all_hook_names(app):
            argnames = getattr(pm.hook, name).spec.argnames
            match = re.search(rf"^#+ `?{name}\(([^)]*)\)", docs, re.MULTILINE)
            if match:
                documented = tuple(a.strip() for a in match.group(1).split(",") if a.strip())
                assert documented == tuple(argnames), f"{name}: docs say {documented}, spec says {argnames}"

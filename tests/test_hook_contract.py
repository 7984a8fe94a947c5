"""Hooks are a public API: every hook (core and plugin-declared) is documented and tested."""
import re
from pathlib import Path

from incubator.plugins import registry

ROOT = Path(__file__).resolve().parent.parent


def all_hook_names(app) -> set[str]:
    with app.app_context():
        pm = registry().pm
        return {name for name in dir(pm.hook) if name.startswith("incubator_")
                and getattr(pm.hook, name).spec is not None}


def docs_text() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "docs").rglob("*.md"))


def text_of_tests() -> str:
    files = list((ROOT / "tests").rglob("test_*.py")) + list((ROOT / "plugins").glob("*/tests/test_*.py"))
    return "\n".join(p.read_text(encoding="utf-8") for p in files if p.name != "test_hook_contract.py")


def test_every_hook_is_documented_with_its_signature(app):
    docs = docs_text()
    undocumented = [name for name in sorted(all_hook_names(app))
                    if not re.search(rf"^#+ `?{name}\(", docs, re.MULTILINE)]
    assert not undocumented, f"hooks without a '### name(args)' heading under docs/: {undocumented}"


def test_every_hook_has_a_test_naming_it(app):
    text = text_of_tests()
    untested = [name for name in sorted(all_hook_names(app)) if name not in text]
    assert not untested, f"hooks no test names: {untested}"


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

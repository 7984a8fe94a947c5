"""What `pip install .` gets stays in step with the code: every third-party import of incubator/ and
plugins/ is a declared dependency, whose range admits the pin in requirements.txt. (The wheel itself is
built, installed and run by scripts/check-wheel.sh, in CI.)"""
import ast
import configparser
import re
import subprocess
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
# Modules only the test suite runs (their imports are requirements-dev.txt's).
TEST_ONLY = {ROOT / "incubator" / "testing.py", ROOT / "incubator" / "testing_peers.py",
             ROOT / "incubator" / "notifications" / "testing.py"}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def install_requires() -> dict[str, Requirement]:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg", encoding="utf-8")
    lines = [line.strip() for line in config["options"]["install_requires"].splitlines()]
    return {canonical(req.name): req for req in (Requirement(line) for line in lines if line)}


def pins() -> dict[str, str]:
    found = {}
    for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            found[canonical(Requirement(name).name)] = version.strip()
    return found


def runtime_files():
    for top in ("incubator", "plugins"):
        for path in sorted((ROOT / top).rglob("*.py")):
            if "tests" in path.relative_to(ROOT).parts or path.name == "conftest.py" or path in TEST_ONLY:
                continue
            yield path


def third_party_imports() -> dict[str, set[str]]:
    """{top-level module: files importing it} for every module neither stdlib nor ours."""
    imports: dict[str, set[str]] = {}
    for path in runtime_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in ("incubator", "plugins"):
                    imports.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return imports


def test_every_third_party_import_is_a_declared_dependency():
    declared = set(install_requires())
    distributions = packages_distributions()
    missing = {}
    for module, files in third_party_imports().items():
        names = {canonical(d) for d in distributions.get(module, [module])}
        if not names & declared:
            missing[module] = sorted(files)
    assert missing == {}, f"add to install_requires in setup.cfg: {missing}"


def test_the_scan_sees_lazy_imports():
    """Imports inside functions count too (WeasyPrint and Pillow are imported where they are used)."""
    assert {"weasyprint", "PIL", "alembic", "yaml"} <= set(third_party_imports())


def test_every_dependency_admits_its_pin():
    pinned = pins()
    refused = {name: (str(req.specifier), pinned.get(name)) for name, req in install_requires().items()
               if name not in pinned or not req.specifier.contains(pinned[name], prereleases=True)}
    assert refused == {}, f"pin these in requirements.txt, or widen the range: {refused}"


def test_compiled_catalogs_are_not_committed():
    tracked = subprocess.run(["git", "ls-files", "*.mo"], cwd=ROOT, capture_output=True, text=True, check=True)
    assert tracked.stdout.strip() == ""

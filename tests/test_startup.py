"""Start-up (issue 14): `incubator --help` lists every command without building the app, and building
the app leaves the libraries only some commands and pages need unimported. What is imported is
checked, not how long it takes (benchmarks/startup.py measures that), so a slow start cannot come
back unnoticed through one eager import.

Each check runs in a process of its own: this one has imported everything long ago.
"""
import json
import os
import re
import subprocess
import sys
import textwrap

import pytest

from incubator import create_app
from incubator.cli import IncubatorGroup
from incubator.testing import test_config

# Libraries that one command or one download needs, each a tenth of a second or more to import.
HEAVY = {"pypinyin", "alembic", "flask_migrate", "openpyxl", "weasyprint", "PIL", "pygal"}
PLUGIN_COMMANDS = {"assessment", "certificates", "checklist", "courses", "mentoring", "microgrant", "passport"}

# Runs the console script's main() and, on the way out (click exits), prints the modules imported.
CONSOLE_SCRIPT = """
import atexit, json, sys
atexit.register(lambda: print("MODULES " + json.dumps(sorted(sys.modules)), file=sys.stderr))
from incubator.cli import main
sys.argv = ["incubator", *sys.argv[1:]]
main()
"""


@pytest.fixture
def env(tmp_path):
    environment = dict(os.environ, INCUBATOR_INSTANCE_PATH=str(tmp_path / "instance"),
                       INCUBATOR_DATABASE_URL=f"sqlite:///{tmp_path}/startup.db")
    environment.pop("INCUBATOR_TEST_DATABASE_URL", None)
    return environment


def incubator(env, *args):
    """(exit status, stdout, modules imported) of `incubator ARGS` in a new process."""
    done = subprocess.run([sys.executable, "-c", CONSOLE_SCRIPT, *args], env=env, capture_output=True,
                          text=True, timeout=120)
    modules = next(json.loads(line[len("MODULES "):]) for line in done.stderr.splitlines()
                   if line.startswith("MODULES "))
    return done.returncode, done.stdout, set(modules)


def listed_commands(help_text: str) -> set[str]:
    section = help_text.split("Commands:", 1)[1]
    return set(re.findall(r"^  (\S+)", section, flags=re.MULTILINE))


def test_help_lists_the_apps_commands_without_building_it(env, tmp_path):
    status, out, modules = incubator(env, "--help")
    assert status == 0
    app = create_app(test_config(str(tmp_path)))
    assert listed_commands(out) == set(IncubatorGroup().commands) | set(app.cli.commands)
    assert PLUGIN_COMMANDS | {"db", "demo", "import", "openapi", "serve", "users", "worker"} <= listed_commands(out)
    assert "incubator.app" not in modules  # the app was not built: no view, no API, no database
    assert not [m for m in modules if m.startswith(("plugins.", "incubator.")) and m.endswith((".views", ".api"))]
    assert not HEAVY & modules


def test_help_lists_the_plugins_the_configuration_loads(env, tmp_path):
    """Street plugins from INCUBATOR_PLUGINS_DIR are listed, disabled ones are not; a listed plugin
    command runs (with the app built then)."""
    plugins_dir = tmp_path / "street"
    plugins_dir.mkdir()
    (plugins_dir / "lamps.py").write_text(textwrap.dedent('''
        import click
        from incubator import hookimpl

        @click.command("lamps", help="Street lamps.")
        def lamps():
            from flask import current_app
            click.echo(f"lamps of {current_app.name}")

        @hookimpl
        def incubator_cli(cli):
            cli.add_command(lamps)
    '''))
    env.update(INCUBATOR_PLUGINS_DIR=str(plugins_dir), INCUBATOR_DISABLED_PLUGINS="checklist")
    status, out, _ = incubator(env, "--help")
    assert status == 0
    assert "lamps" in listed_commands(out) and "checklist" not in listed_commands(out)
    status, out, _ = incubator(env, "lamps")
    assert (status, out) == (0, "lamps of incubator.app\n")


def test_building_the_app_leaves_the_heavy_libraries_alone(env):
    """…until a command asks for them: Alembic comes with the first look at the migrations."""
    probe = textwrap.dedent('''
        import json, sys
        from incubator import create_app
        app = create_app()
        before = sorted(sys.modules)
        with app.app_context():
            config = app.extensions["migrate"].migrate.get_config()
        print(json.dumps({"before": before, "after": sorted(sys.modules),
                          "script_location": config.get_main_option("script_location"),
                          "version_locations": config.get_main_option("version_locations")}))
    ''')
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120,
                          check=True)
    seen = json.loads(done.stdout.splitlines()[-1])
    assert not HEAVY & set(seen["before"])
    assert {"alembic", "flask_migrate"} <= set(seen["after"])
    assert seen["script_location"].endswith(os.path.join("incubator", "migrations"))
    assert os.path.join("plugins", "checklist", "migrations") in seen["version_locations"]  # our configure hook ran

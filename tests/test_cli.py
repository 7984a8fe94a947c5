"""The `incubator` console script, as an operator uses it on a fresh SQLite file: migrations up, down and
up again, demo data, accounts, plugins."""
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from incubator import create_app
from incubator.cli import IncubatorGroup
from incubator.testing import test_config

SCRIPT = Path(sys.executable).parent / "incubator"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("cli")


def environment(workdir) -> dict:
    return {"INCUBATOR_DATABASE_URL": f"sqlite:///{workdir}/cli.db", "INCUBATOR_INSTANCE_PATH": str(workdir / "instance")}


def incubator(workdir, *args):
    """Run the real console script in a new process against workdir/cli.db; returns the CompletedProcess."""
    env = dict(os.environ, **environment(workdir))
    env.pop("INCUBATOR_TEST_DATABASE_URL", None)
    return subprocess.run([str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=120)


def incubator_here(workdir, *args):
    """The same console script, run in this process (quicker); returns click's Result."""
    return CliRunner().invoke(IncubatorGroup(), list(args), env=environment(workdir), catch_exceptions=False)


def tables(workdir) -> set[str]:
    with sqlite3.connect(workdir / "cli.db") as conn:
        return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


@pytest.fixture(scope="module")
def migrated(workdir):
    """A fresh database taken up, all the way down, and up again by `incubator db`."""
    first = incubator_here(workdir, "db", "upgrade")
    assert first.exit_code == 0, first.output
    assert {"parks", "organizations", "transitions", "users", "audit_entries", "plugin_settings"} <= tables(workdir)
    down = incubator_here(workdir, "db", "downgrade")
    assert down.exit_code == 0, down.output
    assert tables(workdir) <= {"alembic_version"}
    again = incubator_here(workdir, "db", "upgrade")
    assert again.exit_code == 0, again.output
    return workdir


@pytest.fixture(scope="module")
def cli_app(migrated):
    return create_app(test_config(str(migrated), SQLALCHEMY_DATABASE_URI=f"sqlite:///{migrated}/cli.db"))


def run(cli_app, *args, input=None):
    with cli_app.app_context():  # not the test database's app, even when a test holds its context
        return cli_app.test_cli_runner().invoke(args=list(args), input=input)


def test_migrations_go_up_down_and_up_again(migrated):
    assert {"parks", "organizations", "renewals", "transfers", "api_tokens"} <= tables(migrated)
    with sqlite3.connect(migrated / "cli.db") as conn:
        assert conn.execute("SELECT count(*) FROM alembic_version").fetchone()[0] >= 1


def test_demo_prints_the_accounts_and_can_run_twice(cli_app, migrated):
    result = run(cli_app, "demo", "--orgs", "12")
    assert result.exit_code == 0, result.output
    for username in ("admin", "district-mgr", "fangxing-mgr", "changqing-mgr", "wannianbu-mgr", "expert-li",
                     "expert-zhou", "trainee-wang", "trainee-chen"):
        assert username in result.output
    assert "demo12345" in result.output and "wannianbu,yunhua,wanci" in result.output
    with sqlite3.connect(migrated / "cli.db") as conn:
        counts = [conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("parks", "users", "organizations")]
    # The 9 demo accounts; plugins' demo data may add more users (the academy's generated trainees).
    assert counts[0] == 9 and counts[1] >= 9 and counts[2] == 12

    again = run(cli_app, "demo", "--orgs", "12")
    assert again.exit_code == 0 and "(unchanged)" in again.output
    with sqlite3.connect(migrated / "cli.db") as conn:
        assert [conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("parks", "users", "organizations")] \
            == counts


def test_users_create(cli_app, migrated):
    run(cli_app, "demo", "--orgs", "0")  # the parks
    result = run(cli_app, "users", "create", "yunhua-mgr", "--role", "manager", "--park", "yunhua",
                 "--password", "long-enough-pw", "--name", "云华管理员")
    assert result.exit_code == 0, result.output
    assert "Created yunhua-mgr (manager, yunhua)" in result.output

    refused = [
        (["users", "create", "no-park-mgr", "--role", "manager", "--password", "long-enough-pw"], "--park"),
        (["users", "create", "lost-mgr", "--role", "manager", "--park", "atlantis", "--password", "long-enough-pw"],
         "atlantis"),
        (["users", "create", "yunhua-mgr", "--role", "expert", "--password", "long-enough-pw"], "用户名已被使用"),
        (["users", "create", "short-pw", "--role", "trainee", "--password", "short"], "密码至少8位"),
        (["users", "create", "odd-role", "--role", "superuser", "--password", "long-enough-pw"], "superuser"),
    ]
    for args, message in refused:
        result = run(cli_app, *args)
        assert result.exit_code != 0, args
        assert message in result.output, result.output
    with sqlite3.connect(migrated / "cli.db") as conn:
        names = {row[0] for row in conn.execute("SELECT username FROM users")}
    assert "yunhua-mgr" in names and not {"no-park-mgr", "lost-mgr", "short-pw", "odd-role"} & names


def test_users_create_prompts_for_the_password(cli_app):
    run(cli_app, "demo", "--orgs", "0")
    result = run(cli_app, "users", "create", "trainee-li", "--role", "trainee", input="long-enough-pw\nlong-enough-pw\n")
    assert result.exit_code == 0, result.output and "Created trainee-li" in result.output


def test_plugins_list(cli_app, migrated):
    result = incubator(migrated, "plugins", "list")
    assert result.returncode == 0, result.stderr
    assert "checklist" in result.stdout and "entry point plugins.checklist" in result.stdout


def test_the_console_script_lists_its_commands(migrated):
    # In a process of its own: click's --help exits before closing the app context Flask pushed for it.
    result = incubator(migrated, "--help")
    assert result.returncode == 0
    for command in ("db", "demo", "users", "plugins", "run"):
        assert command in result.stdout


def test_users_create_with_an_email_address_and_a_mobile_for_notices(cli_app, migrated):
    run(cli_app, "demo", "--orgs", "0")
    result = run(cli_app, "users", "create", "binhu-mgr", "--role", "manager", "--park", "binhu-shiji",
                 "--password", "long-enough-pw", "--email", "binhu@baohe.example.cn", "--phone", "13955106688")
    assert result.exit_code == 0, result.output
    bad = run(cli_app, "users", "create", "odd-mail", "--role", "trainee", "--password", "long-enough-pw",
              "--email", "not an address")
    assert bad.exit_code != 0 and "请填写有效的电子邮箱" in bad.output
    with sqlite3.connect(migrated / "cli.db") as conn:
        assert conn.execute("SELECT email, phone FROM users WHERE username = 'binhu-mgr'").fetchone() == \
            ("binhu@baohe.example.cn", "13955106688")
        assert conn.execute("SELECT count(*) FROM users WHERE username = 'odd-mail'").fetchone() == (0,)


def test_notifications_remind_sends_each_occasion_once(cli_app, migrated):
    run(cli_app, "demo", "--orgs", "30")
    first = run(cli_app, "notifications", "remind", "--on", "2026-12-01")
    assert first.exit_code == 0 and int(first.output.split()[0]) > 0, first.output  # the demo has overdue ones
    again = run(cli_app, "notifications", "remind", "--on", "2026-12-01")
    assert again.output.strip() == "0 reminder(s) sent."

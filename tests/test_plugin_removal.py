"""A plugin disabled or removed leaves its tables (and its version table) where they are, and
`incubator db upgrade` and `db current` still work; databases from before per-plugin version tables
are sorted out on the first upgrade."""
import shutil
import sqlite3

import pytest
from click.testing import CliRunner

from incubator.cli import IncubatorGroup

PLUGINS = ["assessment", "certificates", "checklist", "enrolment", "mentoring", "microgrant", "passport"]
# A table of each plugin's, to see it stays.
A_TABLE = {"assessment": "assessments", "certificates": "certificates", "checklist": "checklist_documents",
           "enrolment": "academy_courses", "mentoring": "mentoring_logs", "microgrant": "microgrant_rounds",
           "passport": "passport_ledger"}


def incubator(workdir, *args, disabled=""):
    env = {"INCUBATOR_DATABASE_URL": f"sqlite:///{workdir}/db.sqlite", "INCUBATOR_INSTANCE_PATH": str(workdir),
           "INCUBATOR_DISABLED_PLUGINS": disabled, "INCUBATOR_TEST_DATABASE_URL": None}
    result = CliRunner().invoke(IncubatorGroup(), list(args), env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def query(workdir, sql, *params):
    with sqlite3.connect(workdir / "db.sqlite") as conn:
        return conn.execute(sql, params).fetchall()


def tables(workdir) -> set[str]:
    return {name for (name,) in query(workdir, "SELECT name FROM sqlite_master WHERE type = 'table'")}


def versions(workdir, table) -> set[str]:
    return {rev for (rev,) in query(workdir, f'SELECT version_num FROM "{table}"')}


@pytest.fixture(scope="module")
def migrated_file(tmp_path_factory):
    """A database upgraded with every plugin loaded."""
    workdir = tmp_path_factory.mktemp("migrated")
    incubator(workdir, "db", "upgrade")
    return workdir / "db.sqlite"


@pytest.fixture
def migrated(migrated_file, tmp_path):
    shutil.copy(migrated_file, tmp_path / "db.sqlite")
    return tmp_path


def test_each_plugin_has_its_own_version_table(migrated):
    assert versions(migrated, "alembic_version") == {"0010_core_move_counts"}
    for plugin in PLUGINS:
        assert len(versions(migrated, f"alembic_version_{plugin}")) == 1


@pytest.mark.parametrize("plugin", PLUGINS)
def test_a_disabled_plugin_does_not_stop_upgrade_or_current(migrated, plugin):
    before = versions(migrated, f"alembic_version_{plugin}")
    incubator(migrated, "db", "upgrade", disabled=plugin)
    shown = incubator(migrated, "db", "current", disabled=plugin)
    assert f"alembic_version_{plugin}: {before.pop()} (plugin not loaded; its tables stay)" in shown
    assert "core (alembic_version): 0010_core_move_counts (head)" in shown
    assert A_TABLE[plugin] in tables(migrated)
    # Enabled again, it carries on from where it was.
    incubator(migrated, "db", "upgrade")
    assert f"{plugin} (alembic_version_{plugin}):" in incubator(migrated, "db", "current")


def test_a_removed_plugin_leaves_a_revision_nobody_knows_and_upgrade_still_works(migrated):
    """The package is gone: its version table (or, from before, its row in alembic_version) names a
    revision no loaded tree has."""
    with sqlite3.connect(migrated / "db.sqlite") as conn:
        conn.execute("CREATE TABLE alembic_version_street (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
        conn.execute("INSERT INTO alembic_version_street VALUES ('0002_street')")
        conn.execute("INSERT INTO alembic_version VALUES ('0001_gone')")
    incubator(migrated, "db", "upgrade")
    shown = incubator(migrated, "db", "current")
    assert "alembic_version_street: 0002_street (plugin not loaded; its tables stay)" in shown
    assert "alembic_version_unclaimed: 0001_gone (plugin not loaded; its tables stay)" in shown
    assert versions(migrated, "alembic_version") == {"0010_core_move_counts"}


def make_legacy(workdir):
    """The layout from before: every branch's head in alembic_version, no per-plugin tables."""
    with sqlite3.connect(workdir / "db.sqlite") as conn:
        for plugin in PLUGINS:
            conn.execute(f"INSERT INTO alembic_version SELECT version_num FROM alembic_version_{plugin}")
            conn.execute(f"DROP TABLE alembic_version_{plugin}")


def test_a_database_from_before_is_sorted_out_on_the_first_upgrade(migrated):
    heads = {plugin: versions(migrated, f"alembic_version_{plugin}") for plugin in PLUGINS}
    make_legacy(migrated)
    incubator(migrated, "db", "upgrade")
    assert versions(migrated, "alembic_version") == {"0010_core_move_counts"}
    for plugin in PLUGINS:
        assert versions(migrated, f"alembic_version_{plugin}") == heads[plugin]


def test_a_plugin_disabled_while_sorting_out_gets_its_row_back_when_enabled(migrated):
    head = versions(migrated, "alembic_version_mentoring")
    make_legacy(migrated)
    incubator(migrated, "db", "upgrade", disabled="mentoring")
    assert versions(migrated, "alembic_version_unclaimed") == head
    assert "alembic_version_mentoring" not in tables(migrated)
    # Enabled again: the row moves to its table, and nothing is created twice.
    incubator(migrated, "db", "upgrade")
    assert versions(migrated, "alembic_version_mentoring") == head
    assert versions(migrated, "alembic_version_unclaimed") == set()


def test_one_plugin_down_to_base_and_up_again(migrated):
    incubator(migrated, "db", "downgrade", "checklist@base")
    assert not {"checklist_documents", "alembic_version_checklist"} & tables(migrated)
    assert "mentoring_logs" in tables(migrated)
    incubator(migrated, "db", "upgrade", "checklist@head")
    assert versions(migrated, "alembic_version_checklist") == {"0001_checklist"}


def test_a_revision_of_no_tree_is_refused_by_name(migrated):
    from alembic.util import CommandError
    with pytest.raises(CommandError, match="No branch has revision 'nowhere'"):
        incubator(migrated, "db", "upgrade", "nowhere")

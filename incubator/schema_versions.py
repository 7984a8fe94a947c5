"""Schema versions: the core's Alembic tree and each plugin's, each recorded in a version table of its own.

The core's revisions are recorded in `alembic_version`, plugin P's in `alembic_version_P` (as Indico
does). A plugin that is disabled or removed leaves its table, and its tables, alone; the others still
upgrade, and nobody meets a revision Alembic "can't locate". A plugin's first revision names the core's
(`depends_on = "0001_core"`): here the core simply runs first on upgrade and last on downgrade, so
that dependency is left out of the plugin's own tree.

Databases from before (every branch in `alembic_version`) are sorted out by the first `incubator db`
command: a loaded plugin's row moves to its own table; a row nobody claims (the plugin is disabled or
gone) waits in `alembic_version_unclaimed` until its plugin is back.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from flask import current_app
from sqlalchemy import Column, MetaData, PrimaryKeyConstraint, String, Table, delete, inspect, insert, select

from .extensions import db
from .plugins.conventions import plugin_of

if TYPE_CHECKING:  # the functions import Alembic themselves: 0.3 s a server's start does without
    from alembic.script import ScriptDirectory

CORE = "core"
CORE_MIGRATIONS = Path(__file__).resolve().parent / "migrations"
CORE_TABLE = "alembic_version"
UNCLAIMED_TABLE = "alembic_version_unclaimed"


@dataclass(frozen=True)
class Tree:
    """The core's revisions, or one plugin's."""

    name: str
    dirs: tuple[str, ...]

    @property
    def version_table(self) -> str:
        return CORE_TABLE if self.name == CORE else version_table_of(self.name)


def version_table_of(plugin: str) -> str:
    return f"{CORE_TABLE}_{re.sub(r'[^a-z0-9]+', '_', plugin.lower())}"


def include_name(name, type_, parent_names) -> bool:
    """Autogenerate and drift checks leave every tree's version table out of the comparison."""
    return not (type_ == "table" and name.startswith(CORE_TABLE))


def trees() -> list[Tree]:
    """The core's tree, then each loaded plugin's (by name)."""
    found: dict[str, list[str]] = {}
    registry = current_app.extensions["incubator_plugins"]
    for impl in registry.hook.incubator_migration_dirs.get_hookimpls():
        found.setdefault(plugin_of(impl.plugin_name), []).extend(str(d) for d in impl.function() or [])
    return [Tree(CORE, (str(CORE_MIGRATIONS / "versions"),))] + [
        Tree(name, tuple(dirs)) for name, dirs in sorted(found.items()) if dirs and name != CORE]


def config_for(tree: Tree):
    config = current_app.extensions["migrate"].migrate.get_config()
    config.set_main_option("version_locations", os.pathsep.join(tree.dirs))
    config.attributes["version_table"] = tree.version_table  # read by migrations/env.py
    return config


def scripts_for(config) -> ScriptDirectory:
    """The tree's revisions, without dependencies on revisions of other trees (run order covers them)."""
    from alembic.script import ScriptDirectory
    from alembic.script.revision import RevisionMap
    script = ScriptDirectory.from_config(config)
    script.revision_map = RevisionMap(lambda: _own_dependencies_only(list(script._load_revisions())))
    return script


def _own_dependencies_only(scripts: list) -> list:
    known = {s.revision for s in scripts} | {label for s in scripts for label in s.branch_labels}
    for s in scripts:
        if s.dependencies:
            deps = (s.dependencies,) if isinstance(s.dependencies, str) else tuple(s.dependencies)
            # None, not (): Alembic takes a revision with no down revision and no dependencies as a base.
            s.dependencies = tuple(d for d in deps if d in known) or None
    return scripts


def _run(tree: Tree, fn, **kwargs) -> None:
    """Run env.py for `tree` with `fn(script, heads, context)` deciding the steps."""
    from alembic.runtime.environment import EnvironmentContext
    config = config_for(tree)
    script = scripts_for(config)
    with EnvironmentContext(config, script, fn=lambda rev, context: fn(script, rev, context), **kwargs):
        script.run_env()


def tree_of(revision: str, candidates: list[Tree]) -> Tree:
    """The tree holding `revision` (an id, a branch label, or `label@…`)."""
    from alembic.script.revision import RevisionError
    from alembic.util import CommandError
    name = revision.split("@", 1)[0]
    for tree in candidates:
        if tree.name == name:
            return tree
    for tree in candidates:
        try:
            if _scripts(tree).revision_map.get_revisions(name):
                return tree
        except RevisionError:
            continue
    raise CommandError(f"No branch has revision {revision!r}: give an id or BRANCH@… "
                       f"(branches: {', '.join(t.name for t in candidates)}).")


# -- commands --------------------------------------------------------------------------------

def upgrade(revision: str = "heads") -> None:
    """Every tree to its head (the core first), or the one tree that holds `revision`."""
    all_trees = trees()
    sort_out_versions(all_trees)
    chosen = all_trees if revision in ("heads", "head") else [tree_of(revision, all_trees)]
    target = "heads" if revision == "head" else revision
    for tree in chosen:
        _run(tree, lambda script, rev, context: script._upgrade_revs(target, rev), destination_rev=target)


def downgrade(revision: str = "base") -> None:
    """Every tree to base (the plugins first), or the one tree that holds `revision`."""
    all_trees = trees()
    sort_out_versions(all_trees)
    chosen = list(reversed(all_trees)) if revision == "base" else [tree_of(revision, all_trees)]
    for tree in chosen:
        _run(tree, lambda script, rev, context: script._downgrade_revs(revision, rev), destination_rev=revision)
        if tree.name != CORE:
            _drop_if_empty(tree.version_table)
    _drop_if_empty(UNCLAIMED_TABLE)


def current() -> list[str]:
    """Lines saying each tree's current revision(s), then what the tables of plugins not loaded hold."""
    all_trees = trees()
    sort_out_versions(all_trees)
    lines = []
    for tree in all_trees:
        def show(script, rev, context, tree=tree):
            revs = [r.cmd_format(False) for r in script.get_all_current(rev)]
            lines.append(f"{tree.name} ({tree.version_table}): {', '.join(revs) or '(none)'}")
            return []
        _run(tree, show, dont_mutate=True)
    loaded = {tree.version_table for tree in all_trees}
    for table, revs in _stored_versions().items():
        if table not in loaded and revs:
            lines.append(f"{table}: {', '.join(revs)} (plugin not loaded; its tables stay)")
    return lines


def heads() -> list[str]:
    return [f"{tree.name}: " + ", ".join(s.cmd_format(False) for s in _scripts(tree).get_revisions("heads"))
            for tree in trees()]


def history() -> list[str]:
    lines = []
    for tree in trees():
        lines.append(f"== {tree.name} ==")
        lines.extend(s.cmd_format(False) for s in _scripts(tree).walk_revisions())
    return lines


def revision(message, autogenerate, head, version_path, branch_label, depends_on, rev_id):
    """A new revision file. The map spans every loaded tree (so `depends_on` may name the core's
    revisions); autogenerate needs every tree at its head."""
    from alembic import command
    from alembic.autogenerate import RevisionContext
    from alembic.runtime.environment import EnvironmentContext
    from alembic.script import ScriptDirectory
    config = current_app.extensions["migrate"].migrate.get_config()
    config.cmd_opts = type("Opts", (), {"autogenerate": autogenerate})()
    args = dict(message=message, autogenerate=autogenerate, head=head, version_path=version_path,
                branch_label=branch_label, depends_on=depends_on, rev_id=rev_id, splice=head == "base")
    if not autogenerate:
        return command.revision(config, **args)
    all_trees = trees()
    sort_out_versions(all_trees)
    script = ScriptDirectory.from_config(config)
    context = RevisionContext(config, script, dict(args, sql=False))

    def retrieve(rev, migration_context):
        stored = _stored_versions()
        context.run_autogenerate([r for tree in all_trees for r in stored.get(tree.version_table, [])],
                                 migration_context)
        return []
    with EnvironmentContext(config, script, fn=retrieve, template_args=context.template_args,
                            revision_context=context):
        script.run_env()
    return list(context.generate_scripts())


def _scripts(tree: Tree) -> ScriptDirectory:
    return scripts_for(config_for(tree))


# -- version tables --------------------------------------------------------------------------

def _table(name: str) -> Table:
    """A version table exactly as Alembic creates it."""
    return Table(name, MetaData(), Column("version_num", String(32), nullable=False),
                 PrimaryKeyConstraint("version_num", name=f"{name}_pkc"))


def _stored_versions() -> dict[str, list[str]]:
    """{version table: its revisions} for every version table in the database."""
    with db.engine.connect() as conn:
        names = [n for n in inspect(conn).get_table_names() if n.startswith(CORE_TABLE)]
        return {name: list(conn.execute(select(_table(name).c.version_num)).scalars()) for name in names}


def sort_out_versions(all_trees: list[Tree]) -> None:
    """Move plugin revisions out of `alembic_version` into their plugin's table (or, for a plugin not
    loaded, into `alembic_version_unclaimed`), and let loaded plugins claim theirs from there."""
    stored = _stored_versions()
    if not stored.get(CORE_TABLE) and not stored.get(UNCLAIMED_TABLE):
        return
    owner = {rev: tree for tree in all_trees for rev in _revision_ids(tree)}
    moves = [(UNCLAIMED_TABLE, rev, owner[rev]) for rev in stored.get(UNCLAIMED_TABLE, []) if rev in owner]
    in_core = stored.get(CORE_TABLE, [])
    core_ids = {rev for rev, tree in owner.items() if tree.name == CORE}
    if core_ids.intersection(in_core):
        # Without a core row, an unknown row is likelier the core's own from newer code: leave it.
        moves += [(CORE_TABLE, rev, owner.get(rev)) for rev in in_core if rev not in core_ids]
    if not moves:
        return
    with db.engine.begin() as conn:
        for source, rev, tree in moves:
            target = _table(tree.version_table if tree else UNCLAIMED_TABLE)
            target.create(conn, checkfirst=True)
            conn.execute(insert(target).values(version_num=rev))
            source_table = _table(source)
            conn.execute(delete(source_table).where(source_table.c.version_num == rev))


def _revision_ids(tree: Tree) -> set[str]:
    return {s.revision for s in _scripts(tree).walk_revisions()}


def _drop_if_empty(name: str) -> None:
    with db.engine.begin() as conn:
        if inspect(conn).has_table(name) and conn.execute(select(_table(name).c.version_num)).first() is None:
            _table(name).drop(conn)

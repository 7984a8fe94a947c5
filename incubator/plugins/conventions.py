"""The hooks every plugin package would write the same way, found by name instead (as Indico's plugin
base does).

A plugin package gets, without writing a line of hook code:

| it has                                   | the core then                                                |
|------------------------------------------|--------------------------------------------------------------|
| `views.bp` (a Flask blueprint)           | registers it (`incubator_load`)                              |
| `api.blueprints` (flask-smorest ones)    | mounts them under /api/v1 (`incubator_api_blueprints`)       |
| a `migrations/` folder                   | adds it as the plugin's migration branch (`incubator_migration_dirs`) |
| `translations/`                          | merges its catalog (app.py, `_add_plugin_translations`)     |
| `permissions.ACTIONS`                    | lists them for the administrator (`incubator_permissions`)   |
| `permissions.decide(user, action, resource)` | asks it (`incubator_permission`)                         |
| `tasks.TASKS` (`incubator.queue` Task/Periodic) | puts them on the platform's queue (`incubator_tasks`)     |
| `notices.KINDS` (`incubator.notifications.Kind`) | declares them (`incubator_notification_kinds`)             |
| `notices.reminders(on)`                  | asks it every hour for the reminders due (`incubator_reminders`) |

A plugin that writes one of these hooks itself keeps its own and the convention steps aside for that
hook (an `incubator_load` of its own, e.g. to add a template filter, still gets `views.bp` registered).
The conventional hooks are registered beside the plugin's module under the name
`<plugin>:conventions`; enablement, failure isolation and the admin page treat them as the plugin's.
"""
from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from .. import hookimpl

SUFFIX = ":conventions"
# Hooks the convention supplies only when the plugin does not write them itself.
REPLACEABLE = ("incubator_api_blueprints", "incubator_migration_dirs", "incubator_permissions",
               "incubator_permission", "incubator_tasks", "incubator_notification_kinds",
               "incubator_reminders")


def plugin_of(registered_name: str) -> str:
    """The plugin a registered name belongs to: `mentoring:conventions` → `mentoring`."""
    return registered_name.removesuffix(SUFFIX)


class ConventionalHooks:
    """A plugin's hooks found by name: one attribute per hook (pluggy registers it like a module)."""

    def __init__(self, package: str, hooks: dict):
        self.package = package
        for name, function in hooks.items():
            setattr(self, name, function)

    def __repr__(self) -> str:
        return f"<conventional hooks of {self.package}>"


def conventional_hooks(module) -> ConventionalHooks | None:
    """An object of hook implementations derived from `module`'s package layout (None for a
    single-file plugin, or a package that follows none of the conventions)."""
    if not hasattr(module, "__path__"):
        return None
    package, folder = module.__name__, Path(module.__file__).resolve().parent
    hooks = {}
    views = _submodule(package, "views")
    if getattr(views, "bp", None) is not None:
        hooks["incubator_load"] = _load(views.bp)
    api = _submodule(package, "api")
    if getattr(api, "blueprints", None):
        hooks["incubator_api_blueprints"] = _returning(list(api.blueprints))
    if (folder / "migrations").is_dir():
        hooks["incubator_migration_dirs"] = _returning([str(folder / "migrations")])
    permissions = _submodule(package, "permissions")
    if getattr(permissions, "ACTIONS", None):
        hooks["incubator_permissions"] = _returning(list(permissions.ACTIONS))
    if callable(getattr(permissions, "decide", None)):
        hooks["incubator_permission"] = _permission(permissions.decide)
    tasks = _submodule(package, "tasks")
    if getattr(tasks, "TASKS", None):
        hooks["incubator_tasks"] = _returning(list(tasks.TASKS))
    notices = _submodule(package, "notices")
    if getattr(notices, "KINDS", None):
        hooks["incubator_notification_kinds"] = _returning(list(notices.KINDS))
    if callable(getattr(notices, "reminders", None)):
        hooks["incubator_reminders"] = _reminders(notices.reminders)
    own = {name for name in REPLACEABLE if callable(getattr(module, name, None))}
    hooks = {name: function for name, function in hooks.items() if name not in own}
    return ConventionalHooks(package, hooks) if hooks else None


def _submodule(package: str, name: str):
    """`package.name` imported, or None when the package has no such module (an error inside an
    existing module is raised: the plugin is broken and the registry says so)."""
    if importlib.util.find_spec(f"{package}.{name}") is None:
        return None
    return importlib.import_module(f"{package}.{name}")


def _load(blueprint):
    @hookimpl
    def incubator_load(app):
        app.register_blueprint(blueprint)
    return incubator_load


def _returning(value):
    def hook():
        return value
    return hookimpl(hook)


def _reminders(reminders):
    @hookimpl
    def incubator_reminders(on):
        return reminders(on)
    return incubator_reminders


def _permission(decide):
    @hookimpl
    def incubator_permission(user, action, resource):
        return decide(user, action, resource)
    return incubator_permission

"""Loading plugins (entry points, the plugins directory), reporting them, and per-park enablement.

A plugin is a module with `@hookimpl` functions. It may carry
- `hookspecs`: a module of hooks it offers to other plugins (added before anything registers);
- `INCUBATOR_DEFAULT_PARKS`: park codes it is enabled for until an administrator decides otherwise
  (leave it out to be enabled everywhere);
- `INCUBATOR_TITLE` and `INCUBATOR_DESCRIPTION`: its Chinese name and one line saying what it does,
  shown to the administrator (the name and the docstring's first line when left out);
- `INCUBATOR_AUDIT_ACTIONS`: {action key: Chinese label} for the audit log's entries it writes.

A plugin package's pages, API, migrations, translations and permission rules are found by name
(`views.bp`, `api.blueprints`, `migrations/`, `translations/`, `permissions.ACTIONS` / `decide`): see
conventions.py.
"""
from __future__ import annotations

import functools
import importlib.util
import logging
import sys
import time
import traceback
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path

import pluggy
from flask import current_app, g
from sqlalchemy import select

from .. import hookspecs
from ..extensions import db
from ..stamps import stamp
from .conventions import SUFFIX, conventional_hooks, plugin_of
from .models import PluginSetting, plugin_parks

log = logging.getLogger(__name__)
ENTRY_POINT_GROUP = "incubator.plugins"
CORE = "core"


@dataclass
class PluginInfo:
    """What `incubator plugins list` and the admin page show for one plugin."""

    name: str
    source: str  # "entry point plugins.checklist" or "file /path/x.py"
    module: object | None = None
    conventions: object | None = None  # the hooks found by name (conventions.py), registered beside
    error: str | None = None
    disabled: bool = False  # by INCUBATOR_DISABLED_PLUGINS
    default_parks: list[str] | None = None
    hooks: list[str] = field(default_factory=list)
    # As declared: plain Chinese strings (translated when shown) or lazy_gettext strings.
    title: object = ""  # INCUBATOR_TITLE, e.g. 督导记录
    description: object = ""  # INCUBATOR_DESCRIPTION: one line saying what the plugin does
    audit_actions: dict[str, object] = field(default_factory=dict)  # INCUBATOR_AUDIT_ACTIONS

    @property
    def registered_objects(self) -> list:
        """What pluggy holds for this plugin: its module, and its conventional hooks if any."""
        return [obj for obj in (self.module, self.conventions) if obj is not None]

    @property
    def loaded(self) -> bool:
        return self.module is not None and not self.error and not self.disabled

    def read_constants(self) -> None:
        """Take the plugin module's declared constants (each optional)."""
        module = self.module
        self.default_parks = getattr(module, "INCUBATOR_DEFAULT_PARKS", None)
        self.title = getattr(module, "INCUBATOR_TITLE", "") or ""
        self.description = getattr(module, "INCUBATOR_DESCRIPTION", "") or ""
        self.audit_actions = {str(key): label for key, label in dict(
            getattr(module, "INCUBATOR_AUDIT_ACTIONS", None) or {}).items()}

    @property
    def display_title(self) -> str:
        """What a person calls the plugin, in the current language (its name when it declares none)."""
        return shown(self.title) or self.name

    @property
    def display_description(self) -> str:
        """The plugin's one-line description, in the current language (else its docstring's first line)."""
        if self.description:
            return shown(self.description)
        doc = (getattr(self.module, "__doc__", None) or "").strip()
        return doc.splitlines()[0] if doc else ""


def shown(text) -> str:
    """A plugin's declared text in the current language: a plain Chinese string is looked up in the
    (merged) catalog, a lazy_gettext string translates itself."""
    from flask_babel import gettext
    text = str(text or "")
    return gettext(text) if text else ""


class PluginRegistry:
    """The app's pluggy manager plus what was found, loaded, refused or broken."""

    def __init__(self, app):
        self.app = app
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.infos: dict[str, PluginInfo] = {}
        if app.config.get("TRACE_PLUGINS"):
            self.pm.add_hookcall_monitoring(_trace_before, _trace_after)

    # -- loading ---------------------------------------------------------------------------
    def load_all(self) -> None:
        from .. import core_hooks
        self.pm.register(core_hooks, name=CORE)
        disabled = set(self.app.config["DISABLED_PLUGINS"])
        found = self._from_entry_points() + self._from_directory(self.app.config.get("PLUGINS_DIR"))
        modules = []
        for info, loader in found:
            if info.name in self.infos:
                info.error = f"duplicate plugin name (already from {self.infos[info.name].source})"
                self.infos[info.name + " (duplicate)"] = info
                continue
            self.infos[info.name] = info
            if info.name in disabled:
                info.disabled = True
                continue
            try:
                info.module = loader()
                if hasattr(info.module, "hookspecs"):
                    self.pm.add_hookspecs(info.module.hookspecs)
                modules.append(info)
            except Exception as exc:  # a broken plugin must not stop the platform
                self._broken(info, exc)
        for info in modules:
            try:
                self.pm.register(info.module, name=info.name)
                info.conventions = conventional_hooks(info.module)
                if info.conventions is not None:
                    self.pm.register(info.conventions, name=info.name + SUFFIX)
                self._guard_display_hooks(info.name)
                info.read_constants()
                info.hooks = sorted({h.name for obj in info.registered_objects
                                     for h in self.pm.get_hookcallers(obj) or []})
            except Exception as exc:
                self._broken(info, exc)

    def _guard_display_hooks(self, plugin_name: str) -> None:
        for hook_name in DISPLAY_HOOKS:
            for impl in getattr(self.pm.hook, hook_name).get_hookimpls():
                if impl.plugin_name == plugin_name:
                    impl.function = _guarded_display_hook(impl.function, plugin_name, hook_name)

    def _broken(self, info: PluginInfo, exc: Exception) -> None:
        info.error = f"{type(exc).__name__}: {exc}"
        log.error("plugin %s (%s) left out: %s\n%s", info.name, info.source, info.error,
                  traceback.format_exc())
        for obj in info.registered_objects:
            if self.pm.is_registered(obj):
                self.pm.unregister(obj)

    def _from_entry_points(self):
        return [(PluginInfo(ep.name, f"entry point {ep.value}"), ep.load)
                for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name)]

    def _from_directory(self, directory):
        if not directory:
            return []
        path = Path(directory)
        if not path.is_dir():
            log.error("INCUBATOR_PLUGINS_DIR %s is not a directory", path)
            return []
        files = [file for file in path.glob("*.py") if not file.name.startswith("_")]
        packages = [init.parent for init in path.glob("*/__init__.py") if not init.parent.name.startswith((".", "_"))]
        return [(PluginInfo(found.stem, f"{'package' if found.is_dir() else 'file'} {found}"),
                 lambda found=found: _import_file(found))
                for found in sorted(files + packages, key=lambda found: found.stem)]

    def call_each(self, hook_name: str, **kwargs) -> list:
        """Call a start-up hook plugin by plugin, so one failure leaves out one plugin, not the platform."""
        results = []
        # pluggy keeps implementations in registration order and calls the last registered first.
        for impl in reversed(getattr(self.pm.hook, hook_name).get_hookimpls()):
            try:
                results.append(impl.function(**{arg: kwargs[arg] for arg in impl.argnames}))
            except Exception as exc:
                plugin = plugin_of(impl.plugin_name)
                if plugin not in self.infos:  # the core itself: a real bug, let it surface
                    raise
                self._broken(self.infos[plugin], exc)
        return results

    # -- queries ---------------------------------------------------------------------------
    @property
    def hook(self):
        return self.pm.hook

    def loaded(self) -> list[PluginInfo]:
        return [info for info in self.infos.values() if info.loaded and self.pm.is_registered(info.module)]



trace_log = logging.getLogger("incubator.plugins.trace")


def _trace_before(hook_name, hook_impls, kwargs):
    trace_log.info("%s(%s) → %s", hook_name, ", ".join(f"{k}={v!r}" for k, v in kwargs.items()),
                   ", ".join(impl.plugin_name for impl in reversed(hook_impls)) or "nobody")


def _trace_after(outcome, hook_name, hook_impls, kwargs):
    if outcome.exception is not None:
        trace_log.info("%s raised %r", hook_name, outcome.exception)
    else:
        trace_log.info("%s answered %r", hook_name, outcome.get_result())


# Hooks that only add to a page: a plugin failing in one loses its fragment, not the whole page.
DISPLAY_HOOKS = ("incubator_nav_items", "incubator_org_panels", "incubator_dashboard_widgets",
                 "incubator_profile_panels", "incubator_todos")


def _guarded_display_hook(function, plugin: str, hook_name: str):
    @functools.wraps(function)
    def guarded(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except Exception:
            db.session.rollback()  # a failed query must not spoil the rest of the page
            log.exception("plugin %s failed in %s; its part of the page is left out", plugin, hook_name)
            return None
    return guarded


def _import_file(file: Path):
    """Import a street plugin from the plugins directory: one file, or a package (a folder with
    `__init__.py`, whose views, API, permissions and migrations are then found by name)."""
    module_name = f"incubator_local_plugins.{file.stem}"
    for loaded in [name for name in sys.modules if name == module_name or name.startswith(module_name + ".")]:
        del sys.modules[loaded]  # an earlier app's copy (and its submodules) must not be reused
    if file.is_dir():
        spec = importlib.util.spec_from_file_location(module_name, file / "__init__.py",
                                                      submodule_search_locations=[str(file)])
    else:
        spec = importlib.util.spec_from_file_location(module_name, file)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception:
        sys.modules.pop(module_name, None)
        raise
    return module


def registry() -> PluginRegistry:
    return current_app.extensions["incubator_plugins"]


def hook():
    """All registered implementations, whatever park they are enabled for."""
    return registry().pm.hook


# -- enablement per park -------------------------------------------------------------------

@dataclass(frozen=True)
class Enablement:
    scope: str  # all | parks | none
    park_ids: frozenset[int]

    def covers(self, park_id: int | None) -> bool:
        if self.scope == "all":
            return True
        if self.scope == "none":
            return False
        return park_id is None or park_id in self.park_ids


def enablement() -> dict[str, Enablement]:
    """Each loaded plugin's enablement: read from the database once per process, and again only after
    a change (see `_EnablementCache`), so a request sends no statement for it."""
    if "plugin_enablement" not in g:
        g.plugin_enablement = _cache().get()
    return g.plugin_enablement


def _read_enablement() -> dict[str, Enablement]:
    from ..parks.models import Park
    settings = {s.plugin: s.scope for s in db.session.scalars(select(PluginSetting))}
    chosen: dict[str, set[int]] = {}
    for plugin, park_id in db.session.execute(select(plugin_parks.c.plugin, plugin_parks.c.park_id)):
        chosen.setdefault(plugin, set()).add(park_id)
    codes = {}
    result = {}
    for info in registry().loaded():
        if info.name in settings:
            result[info.name] = Enablement(settings[info.name], frozenset(chosen.get(info.name, ())))
        elif info.default_parks is None:
            result[info.name] = Enablement("all", frozenset())
        else:
            if not codes:
                codes = dict(db.session.execute(select(Park.code, Park.id)).all())
            ids = frozenset(codes[c] for c in info.default_parks if c in codes)
            result[info.name] = Enablement("parks", ids)
    return result


class _EnablementCache:
    """The enablement as last read by this process, and the stamp's token it was read under.

    Every process serving the same instance folder shares the stamp `plugin-settings`
    (incubator.stamps): a commit that changed a plugin's settings or the parks changes it
    (`forget_enablement`), and each process sees the new token at its next request and reads the
    settings again. Reading the stamp is microseconds; the settings were three round trips per
    request. Processes on other machines (a different instance folder) read again after `MAX_AGE`
    seconds at most.
    """

    MAX_AGE = 30.0

    def __init__(self):
        self.value: dict[str, Enablement] | None = None
        self.token = None
        self.read_at = 0.0

    def get(self) -> dict[str, Enablement]:
        token = stamp("plugin-settings").read()
        if self.value is None or token != self.token or time.monotonic() - self.read_at > self.MAX_AGE:
            self.value, self.token, self.read_at = _read_enablement(), token, time.monotonic()
        return self.value

    def forget(self) -> None:
        """Drop this process's copy and tell the others."""
        self.value = None
        stamp("plugin-settings").change()


def _cache() -> _EnablementCache:
    cache = current_app.extensions.get("plugin_enablement")
    if cache is None:
        cache = current_app.extensions["plugin_enablement"] = _EnablementCache()
    return cache


def forget_enablement() -> None:
    """After a commit that changed plugin settings or parks (and after a test empties the tables):
    every process reads the enablement again."""
    g.pop("plugin_enablement", None)
    _cache().forget()


def enablement_changed(session) -> None:
    """Mark `session`: when it commits, the enablement is read again (see `forget_enablement`)."""
    session.info["plugin_enablement_changed"] = True


def watch_enablement() -> None:
    """What the enablement is read from: the plugin settings (`set_enablement` marks its session) and
    the parks (a street plugin's default parks are named by code), whoever writes them."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session, object_session

    from ..parks.models import Park
    if event.contains(Session, "after_commit", _after_commit):
        return
    event.listen(Session, "after_commit", _after_commit)
    for change in ("after_insert", "after_update", "after_delete"):
        event.listen(Park, change, lambda mapper, connection, park: enablement_changed(object_session(park)))


def _after_commit(session) -> None:
    if session.info.pop("plugin_enablement_changed", False) and current_app:
        forget_enablement()


def is_enabled(plugin_name: str, park=None) -> bool:
    """Is the plugin enabled for `park` (a Park, a park id, or None for "anywhere")?"""
    park_id = getattr(park, "id", park)
    state = enablement().get(plugin_name)
    if state is None:
        return False
    if park_id is None:
        return state.scope != "none" and (state.scope == "all" or bool(state.park_ids))
    return state.covers(park_id)


def enabled_for_any(plugin_name: str, park_ids) -> bool:
    return any(is_enabled(plugin_name, pid) for pid in park_ids)


def hooks_for(parks=None):
    """A hook relay that calls only plugins enabled for at least one of `parks` (None: anywhere).

    The core is always called.
    """
    reg = registry()
    park_ids = None if parks is None else [getattr(p, "id", p) for p in parks]
    excluded = []
    for info in reg.loaded():
        on = is_enabled(info.name) if park_ids is None else enabled_for_any(info.name, park_ids)
        if not on:
            excluded.extend(info.registered_objects)
    if not excluded:
        return reg.pm.hook
    return _SubsetRelay(reg.pm, excluded)


class _SubsetRelay:
    def __init__(self, pm, excluded):
        self._pm, self._excluded = pm, excluded

    def __getattr__(self, name):
        return self._pm.subset_hook_caller(name, remove_plugins=self._excluded)


def set_enablement(plugin_name: str, scope: str, parks=()) -> None:
    """Store the administrator's choice (caller commits)."""
    setting = db.session.get(PluginSetting, plugin_name) or PluginSetting(plugin=plugin_name)
    setting.scope = scope
    db.session.add(setting)
    db.session.flush()
    db.session.execute(plugin_parks.delete().where(plugin_parks.c.plugin == plugin_name))
    if scope == "parks":
        db.session.execute(plugin_parks.insert(),
                           [{"plugin": plugin_name, "park_id": getattr(p, "id", p)} for p in parks])
    g.pop("plugin_enablement", None)
    enablement_changed(db.session)


def require_enabled(plugin_name: str, park=None) -> None:
    """404 unless the plugin is enabled for `park` (for a plugin's own views and API)."""
    from flask import abort
    if not is_enabled(plugin_name, park):
        abort(404)


def collect(results) -> list:
    """Flatten the lists a hook returned (pluggy gives one list per plugin, Nones included)."""
    items = []
    for result in results:
        if result:
            items.extend(result if isinstance(result, (list, tuple)) else [result])
    return items


def park_for(plugin_name: str, code: str, action: str | None = None):
    """The park named by `code`, for a plugin's page or API: 404 unless it exists and the plugin is
    enabled there; 403 unless the current user may do `action` on it (when given)."""
    from flask import abort

    from ..parks.services import by_code
    from ..permissions import require
    park = by_code(code)
    if park is None:
        abort(404, description="园区不存在")
    require_enabled(plugin_name, park)
    if action:
        require(action, park)
    return park


def record_for(plugin_name: str | None, model, record_id: int, action: str | None = None,
               missing: str | None = None):
    """The one way a page or an API handler loads the record its URL names: 404 (with `missing` as
    the message) if there is none or `plugin_name` is off for its park, 403 unless the current user
    may do `action` on it (when given). The record's park is `permissions.park_id_of(record)`: a
    model whose park is found through another record says so with a `park_id` property. The core's
    own records pass `plugin_name=None` (nothing to be enabled)."""
    from flask import abort

    from ..permissions import park_id_of, require
    record = db.session.get(model, record_id)
    if record is None:
        abort(404, description=missing)
    if plugin_name is not None:
        require_enabled(plugin_name, park_id_of(record))
    if action:
        require(action, record)
    return record


def visible_parks(user, plugin_name: str | None = None) -> list:
    """Parks whose organizations `user` may list (all for admins, their own for managers), in id
    order — only those where `plugin_name` is enabled, when given."""
    from ..core_hooks import scope_parks
    from ..parks.models import Park
    allowed = scope_parks(user)
    stmt = select(Park).order_by(Park.id)
    if allowed is not None:
        stmt = stmt.where(Park.id.in_(allowed or [-1]))
    parks = list(db.session.scalars(stmt))
    return [p for p in parks if is_enabled(plugin_name, p)] if plugin_name else parks


def enabled_parks(plugin_name: str) -> list:
    """Every park where `plugin_name` is enabled, in id order (whoever asks)."""
    from ..parks.models import Park
    return [p for p in db.session.scalars(select(Park).order_by(Park.id)) if is_enabled(plugin_name, p)]


def visible_park_ids(user, plugin_name: str | None = None) -> list[int]:
    """The ids of `visible_parks(user, plugin_name)`."""
    return [park.id for park in visible_parks(user, plugin_name)]


def enabled_park_ids(plugin_name: str) -> list[int]:
    """The ids of `enabled_parks(plugin_name)`."""
    return [park.id for park in enabled_parks(plugin_name)]

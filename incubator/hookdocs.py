"""The hook reference (docs/hooks.md), written from the hookspecs' docstrings: one source, as FlaskBB.

`incubator plugins hook-docs > docs/hooks.md` rewrites it; tests/test_hook_contract.py fails when the
file and the docstrings differ.
"""
from __future__ import annotations

import inspect

HEADER = """# Hook reference

Generated from the hook specifications' docstrings (`incubator/hookspecs.py` and each plugin's
`hookspecs.py`) by `incubator plugins hook-docs > docs/hooks.md`; edit the docstrings, not this file.

All hooks are called with keyword arguments. An implementation names only the arguments it uses, so
adding an argument later breaks no plugin. Hooks returning lists are collected from every plugin
(`incubator.plugins.collect` flattens them; `None` means "nothing from me"). A *first result* hook
stops at the first answer that is not `None`.

What happens when a plugin raises: in `incubator_load`, `incubator_cli` or `incubator_api_blueprints`
the plugin is left out and reported (the platform starts without it); in the display hooks
(`incubator_nav_items`, `incubator_org_panels`, `incubator_dashboard_widgets`,
`incubator_profile_panels`, `incubator_todos`) only its fragment is missing and the error is logged;
in `incubator_transition_done` the error is logged and the committed move stands; elsewhere (a veto, a
permission) the error reaches the user as an error page, because guessing "allow" would be unsafe.
Set `INCUBATOR_TRACE_PLUGINS=1` to log every hook call with its arguments and answers.
"""


def specs(pm) -> list[tuple[str, object]]:
    """(declaring module, hook caller) for every hook with a spec, the core's first, each module's in
    source order."""
    found = []
    for name in dir(pm.hook):
        caller = getattr(pm.hook, name)
        if name.startswith("incubator_") and getattr(caller, "spec", None) is not None:
            function = caller.spec.function
            found.append((function.__module__, inspect.getsourcelines(function)[1], caller))
    found.sort(key=lambda item: (item[0] != "incubator.hookspecs", item[0], item[1]))
    return [(module, caller) for module, _line, caller in found]


def render(pm) -> str:
    parts, current = [HEADER], None
    for module, caller in specs(pm):
        if module != current:
            current = module
            title = "The core's hooks" if module == "incubator.hookspecs" else \
                f"Offered by the `{module.split('.')[-2]}` plugin"
            parts.append(f"## {title}\n\nDeclared in `{module.replace('.', '/')}.py`.\n")
        spec = caller.spec
        first = " — *first result*" if spec.opts.get("firstresult") else ""
        doc = inspect.cleandoc(spec.function.__doc__ or "(undocumented)")
        parts.append(f"### {caller.name}({', '.join(spec.argnames)}){first}\n\n{doc}\n")
    return "\n".join(parts)

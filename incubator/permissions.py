"""The one place that answers "may this user do this?" — for pages, API and templates alike.

Actions are strings ("org.view", "org.transition", …). Every answer goes through the
`incubator_permission` hook: the core's own rules (core_hooks.py) answer there like any plugin.
Any False denies; otherwise any True allows; with no True the answer is no.
"""
from flask import abort
from flask_login import current_user

from .plugins import collect, hook, hooks_for

CORE_ACTIONS = [
    ("org.view", "查看组织"),
    ("org.create", "新建组织"),
    ("org.edit", "编辑组织"),
    ("org.transition", "变更孵化阶段"),
    ("org.renew", "续驻"),
    ("org.transfer", "转园"),
    ("org.merge", "合并重复组织"),
    ("park.manage", "管理园区"),
    ("user.manage", "管理用户"),
    ("plugin.manage", "启用/停用插件"),
    ("audit.view", "查看审计日志"),
    ("dashboard.view", "查看工作台"),
    ("notifications.admin", "查看通知的发送情况"),
    ("report.view", "查看年度统计"),
    ("report.manage", "设定年度目标和成果展示"),
]


def can(action: str, resource=None, user=None) -> bool:
    user = current_user if user is None else user
    user_obj = user._get_current_object() if hasattr(user, "_get_current_object") else user
    park_id = park_id_of(resource)
    relay = hooks_for([park_id]) if park_id is not None else hook()
    return verdict(relay.incubator_permission(user=user_obj, action=action, resource=resource))


def verdict(answers) -> bool:
    """The hooks' answers to "may they?" (True, False or None each): any False denies; otherwise a
    True allows; nobody saying yes means no."""
    answers = list(answers)
    if any(answer is False for answer in answers):
        return False
    return any(answer is True for answer in answers)


def require(action: str, resource=None) -> None:
    """Abort with 403 (401 for anonymous page visitors is handled by login_required)."""
    if not can(action, resource):
        abort(403)


def all_actions() -> list[tuple[str, str]]:
    return collect(hook().incubator_permissions())


def park_id_of(resource) -> int | None:
    """The park a resource belongs to, for every permission rule: a Park is its own park; any other
    record names its park in `park_id` (None: no park, e.g. "anywhere" or a person)."""
    from .parks.models import Park
    if isinstance(resource, Park):
        return resource.id
    return getattr(resource, "park_id", None)

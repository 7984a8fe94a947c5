"""The audit log in users' words: a Chinese label per action key, and what an entry is about.

The core labels its own action keys here; a plugin labels its own with the module constant
`INCUBATOR_AUDIT_ACTIONS = {"passport.redeem": "兑换礼品", …}` (docs/plugins.md). A key nobody
labels is shown as it is. Labels are translated in the message context "audit log" (an event,
"Gift redeemed", where the same words on a button say "Redeem a gift"), else as plain text.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import pgettext
from sqlalchemy import select

from ..extensions import db

LOGIN = "user.login"

CONTEXT = "audit log"

CORE_ACTIONS = {
    "user.login": "登录",
    "user.create": "新建用户",
    "user.edit": "修改用户",
    "user.password": "修改自己的密码",
    "user.notification_settings": "修改通知设置",
    "user.password_reset": "重置用户密码",
    "user.setup": "开通账号（设置密码）",
    "user.import": "批量导入账号",
    "api.token": "申请接口令牌",
    "api.token_revoke": "作废接口令牌",
    "user.sign_out_all": "退出用户的所有登录",
    "park.create": "新建园区",
    "park.edit": "修改园区",
    "plugin.enablement": "插件启用范围变更",
    "org.create": "新建组织",
    "org.import": "批量导入组织",
    "report.targets": "设定年度目标",
    "report.showcase": "设置成果展示",
    "org.material_add": "上传组织材料",
    "org.edit": "修改组织信息",
    "org.transition": "组织阶段变更",
    "org.renew": "续驻",
    "org.transfer": "转园",
    "org.merge": "合并重复组织",
    "org.contact_add": "添加组织联系人",
    "org.contact_remove": "移除组织联系人",
    "org.invitation_create": "生成联系人邀请码",
    "org.invitation_revoke": "作废联系人邀请码",
    "org.invitation_redeem": "凭邀请码成为联系人",
}


def label_text(label) -> str:
    """An action's label in the current language."""
    text = str(label or "")
    if not text:
        return ""
    translated = pgettext(CONTEXT, text)
    return translated if translated != text else _(text)


OBJECT_TYPES = {"Organization": _l("组织"), "User": _l("用户"), "Park": _l("园区"), "Plugin": _l("插件")}


def action_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    """[(group title, [(action key, label), …]), …]: the core's first, then each loaded plugin's."""
    from ..plugins import registry
    groups = [(_("平台"), [(key, label_text(label)) for key, label in CORE_ACTIONS.items()])]
    for info in registry().loaded():
        if info.audit_actions:
            groups.append((info.display_title, [(key, label_text(label)) for key, label in info.audit_actions.items()]))
    return groups


def action_labels() -> dict[str, str]:
    return {key: label for _title, actions in action_groups() for key, label in actions}


@dataclass(frozen=True)
class Target:
    """What an entry is about, by name, with the address of its page when it has one."""

    name: str
    url: str | None = None
    kind: str = ""


def _chunks(ids, size=500):
    ids = sorted(ids)
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def organization_of(entry) -> int | None:
    """The organization an entry concerns: its object, or the `organization_id` a plugin noted."""
    if entry.object_type == "Organization":
        return _int(entry.object_id)
    details = entry.details if isinstance(entry.details, dict) else {}
    return _int(details.get("organization_id"))


def targets(entries) -> dict[int, Target]:
    """{entry id: Target} for the entries whose object the core can name — one query per kind of
    object (in chunks for an export), whatever the number of entries."""
    from ..organizations.models import Organization
    from ..parks.models import Park
    from ..plugins import registry
    from ..users.models import User

    wanted: dict[str, set[int]] = {"Organization": set(), "User": set(), "Park": set()}
    for entry in entries:
        if (org_id := organization_of(entry)) is not None:
            wanted["Organization"].add(org_id)
        elif entry.object_type in ("User", "Park") and (object_id := _int(entry.object_id)) is not None:
            wanted[entry.object_type].add(object_id)
    names: dict[str, dict[int, tuple]] = {kind: {} for kind in wanted}
    for ids in _chunks(wanted["Organization"]):
        names["Organization"].update((i, (n,)) for i, n in db.session.execute(
            select(Organization.id, Organization.name).where(Organization.id.in_(ids))))
    for ids in _chunks(wanted["User"]):
        names["User"].update((i, (n, u)) for i, n, u in db.session.execute(
            select(User.id, User.name, User.username).where(User.id.in_(ids))))
    for ids in _chunks(wanted["Park"]):
        names["Park"].update((i, (n, c)) for i, n, c in db.session.execute(
            select(Park.id, Park.name, Park.code).where(Park.id.in_(ids))))
    plugins = registry().infos

    found = {}
    for entry in entries:
        kind = str(OBJECT_TYPES.get(entry.object_type, ""))
        if (org_id := organization_of(entry)) is not None and org_id in names["Organization"]:
            found[entry.id] = Target(names["Organization"][org_id][0],
                                     url_for("organizations.detail", org_id=org_id), str(OBJECT_TYPES["Organization"]))
        elif entry.object_type == "User" and (row := names["User"].get(_int(entry.object_id))):
            name, username = row
            found[entry.id] = Target(f"{name}（{username}）" if name else username,
                                     url_for("admin.user_form", user_id=int(entry.object_id)), kind)
        elif entry.object_type == "Park" and (row := names["Park"].get(_int(entry.object_id))):
            found[entry.id] = Target(row[0], url_for("public.park", code=row[1]), kind)
        elif entry.object_type == "Plugin" and entry.object_id in plugins:
            info = plugins[entry.object_id]
            url = url_for("admin.plugin_form", name=info.name) if info.loaded else None
            found[entry.id] = Target(info.display_title, url, kind)
    return found


def who(user) -> str:
    """The person who did it: 姓名（用户名）, or just the username."""
    if user is None:
        return _("系统")
    return f"{user.name}（{user.username}）" if user.name else user.username

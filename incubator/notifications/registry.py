"""The kinds of notice and the channels the core and the loaded plugins declare."""
from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l

from ..organizations.contacts import CONTACT_ROLES
from . import Kind


class UnknownKind(LookupError):
    """`notify` was given a kind nobody declared (a programming error: declare it in
    `incubator_notification_kinds`)."""


CORE_KINDS = [
    Kind("org.application_received", _l("收到入园申请"), roles=("manager",), park_group=True),
    # (to the organization's contacts: trainee accounts the park made its contacts)
    Kind("org.application_decided", _l("入园申请结果"), optional=False, roles=CONTACT_ROLES),
    Kind("org.stage_moved", _l("孵化阶段变更"), roles=CONTACT_ROLES),
    Kind("org.incubation_due", _l("孵化即将到期"), roles=("manager",), park_group=True),
    Kind("org.incubation_overdue", _l("孵化已超期"), roles=("manager",), park_group=True),
    # (to an account opened without a password: the link to set one; nobody can turn it off)
    Kind("account.setup", _l("账号开通"), channels=("email", "sms"), optional=False),
]


def _registry() -> dict:
    return current_app.extensions["incubator_plugins"]


def kinds() -> dict[str, Kind]:
    """Every declared kind by key (the core's and the plugins'), in declaration order. Asked each
    time (a few function calls): a plugin loaded in a test or switched off is seen at once."""
    found = {k.key: k for k in CORE_KINDS}  # the core's first on the settings page
    for declared in _registry().call_each("incubator_notification_kinds"):
        for item in declared or ():
            found.setdefault(item.key, item)
    return found


def kind(key: str) -> Kind:
    try:
        return kinds()[key]
    except KeyError:
        raise UnknownKind(f"unknown kind of notice {key!r}: declare it with incubator_notification_kinds") from None


def channels() -> dict:
    """Every available channel by key: the core's e-mail (when INCUBATOR_MAIL_URL is set) and the
    plugins'. A channel plugin that is not configured returns nothing."""
    found = {}
    for declared in _registry().call_each("incubator_notification_channels"):
        for channel in declared or ():
            found.setdefault(channel.key, channel)
    return found


def user_channels() -> dict:
    return {key: c for key, c in channels().items() if c.audience == "user"}


def park_channels() -> dict:
    return {key: c for key, c in channels().items() if c.audience == "park"}


def kinds_for(user) -> list[Kind]:
    """The kinds `user`'s /me page offers a choice for."""
    return [k for k in kinds().values() if not k.roles or user.role in k.roles]

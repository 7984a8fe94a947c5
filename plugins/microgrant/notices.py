"""公益微创投 notices, to the applying organization's contacts: the decision on its project (立项 or
not) and each tranche paid (拨付). The services call these inside the transaction that writes the
event, so a notice commits or rolls back with it. Nobody is told of their own act.

There is no reminder of a mid-term report: a round has no date for it (the mid-term review, 中期评估,
is recorded by the park whenever it is held, between two tranches).
"""
from __future__ import annotations

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from incubator.dates import chinese_date
from incubator.notifications import Kind, msg, notify, path_for
from incubator.numbers import show_yuan
from incubator.organizations.contacts import CONTACT_ROLES, contacts
from incubator.plugins import is_enabled

from . import PLUGIN
from .models import Application, Tranche

KINDS = [
    # The answer to an application the organization made, as the core's answer to one for a park.
    Kind("microgrant.decided", _l("微创投立项结果"), optional=False, roles=CONTACT_ROLES),
    Kind("microgrant.tranche_paid", _l("微创投资金拨付"), roles=CONTACT_ROLES),
]


def application_link(application: Application) -> str:
    """The project's page: the applying organization's contacts may open it (microgrant.view)."""
    return path_for("microgrant.application_detail", application_id=application.id)


def _yuan(fen: int) -> str:
    """¥20,000.00 as Chinese shows it: a notice's parameters are kept in Chinese (whoever acted)."""
    with force_locale("zh"):
        return show_yuan(fen)


def _recipients(application: Application, user) -> list:
    """The organization's contacts but the one who acted, where the plugin is enabled for the round's park."""
    if not is_enabled(PLUGIN, application.round.park_id):
        return []
    return [c for c in contacts(application.organization) if c.id != getattr(user, "id", None)]


def decided(application: Application, *, user) -> None:
    """The park approved a grant (立项, with its amount and tranches) or declined the project."""
    recipients = _recipients(application, user)
    if not recipients:
        return
    what = dict(org=application.organization.name, project=application.title, round=application.round.title,
                note=application.decision_note)
    if application.status == "approved":
        subject = msg("项目已立项：%(project)s", **what)
        what.update(amount=_yuan(application.granted_fen), n=str(len(application.tranches)))
        body = (msg("%(org)s申报的“%(project)s”已在%(round)s中立项，资助 %(amount)s，分%(n)s期拨付。说明：%(note)s", **what)
                if what["note"] else msg("%(org)s申报的“%(project)s”已在%(round)s中立项，资助 %(amount)s，分%(n)s期拨付。", **what))
    else:
        subject = msg("项目未立项：%(project)s", **what)
        body = (msg("%(org)s申报的“%(project)s”未在%(round)s中立项。说明：%(note)s", **what) if what["note"]
                else msg("%(org)s申报的“%(project)s”未在%(round)s中立项。", **what))
    notify(recipients, "microgrant.decided", subject, body, application_link(application),
           park=application.round.park)


def tranche_paid(application: Application, tranche: Tranche, *, user) -> None:
    """The park paid tranche `tranche.seq`; the next one, if any, waits for a passed mid-term review."""
    recipients = _recipients(application, user)
    if not recipients:
        return
    what = dict(project=application.title, seq=str(tranche.seq), amount=_yuan(tranche.amount_fen),
                day=chinese_date(tranche.paid_on), paid=_yuan(application.paid_fen), n=str(len(application.tranches)))
    more = any(t.status == "pending" for t in application.tranches)
    body = (msg("“%(project)s”第%(seq)s期资金 %(amount)s 已于 %(day)s 拨付（共%(n)s期，累计 %(paid)s）。下一期将在中期评估通过后拨付。", **what)
            if more else msg("“%(project)s”第%(seq)s期资金 %(amount)s 已于 %(day)s 拨付（共%(n)s期，累计 %(paid)s），资助已全部拨付。", **what))
    notify(recipients, "microgrant.tranche_paid", msg("第%(seq)s期资金已拨付：%(project)s", **what), body,
           application_link(application), park=application.round.park)

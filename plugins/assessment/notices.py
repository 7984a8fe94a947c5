"""能力评估 notices: an assessor named (to the assessor) and an assessment finished (to the
organization's contacts and the park's managers). The services call these inside the transaction
that writes the event, so a notice commits or rolls back with it. Nobody is told of their own act.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from incubator.dates import chinese_date
from incubator.extensions import db
from incubator.notifications import Kind, msg, notify, path_for
from incubator.parks.services import managers_of
from incubator.organizations.contacts import contacts
from incubator.plugins import is_enabled

from . import PLUGIN
from .models import KINDS as ASSESSMENT_KINDS
from .models import Assessment

KINDS = [
    # Assessors are experts, the park's managers or administrators (services.may_assess).
    Kind("assessment.assigned", _l("指定为能力评估人"), roles=("admin", "manager", "expert")),
    Kind("assessment.finished", _l("能力评估已完成"), roles=("manager", "trainee")),
]


def assessment_link(assessment: Assessment) -> str:
    """The assessment's page: its assessor and the park's managers may open it, the organization's
    contacts once it is finished."""
    return path_for("assessment.detail", assessment_id=assessment.id)


def _others(people, user) -> list:
    return [p for p in people if p.id != getattr(user, "id", None)]


def assigned(org, assessment: Assessment, assessor, *, user) -> None:
    """`user` started an assessment of `org` naming `assessor`."""
    recipients = _others([assessor], user)
    if not recipients or not is_enabled(PLUGIN, org.park_id):
        return
    db.session.flush()  # the link needs the assessment's id
    kind = ASSESSMENT_KINDS.get(assessment.kind, assessment.kind)
    notify(recipients, "assessment.assigned", msg("请完成%(kind)s：%(org)s", kind=kind, org=org.name),
           msg("%(by)s 指定您为%(org)s的%(kind)s评估人（评估日期 %(day)s），请逐项评分并写明依据后完成评估。",
               by=user.display_name, org=org.name, kind=kind, day=chinese_date(assessment.assessed_on)),
           assessment_link(assessment), park=org.park)


def finished(assessment: Assessment, *, user) -> None:
    """`user` finished (locked) an assessment: its result reaches the organization and the park."""
    org = assessment.organization
    if not is_enabled(PLUGIN, org.park_id):
        return
    kind = ASSESSMENT_KINDS.get(assessment.kind, assessment.kind)
    notify(_others([*contacts(org), *managers_of(org.park_id)], user), "assessment.finished",
           msg("%(kind)s已完成：%(org)s", kind=kind, org=org.name),
           msg("%(org)s的%(kind)s已完成：总分 %(total)s 分，等级“%(grade)s”。", org=org.name, kind=kind,
               total=f"{float(assessment.total):g}", grade=assessment.grade),
           assessment_link(assessment), park=org.park)


"""督导记录 · Mentoring logs: experts assigned to organizations log supervision sessions.

A park manager assigns experts to organizations (on the organization page); an assigned expert logs
each session; the organization's contact person (a trainee account linked to it) signs it off or
disputes it. Follow-up actions, hours reports for paying experts, a per-park graduation veto (at
least N confirmed sessions on distinct days), assignments that end when the organization graduates
or exits, experts' landing page and everyone's to-dos, notices (a log to sign off, a dispute, follow-ups
due or overdue). Each hook hands on to the modules beside it.
"""

from flask import render_template, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from incubator import hookimpl
from incubator.ui import NavItem, Panel, Widget

INCUBATOR_TITLE = "督导记录"
INCUBATOR_DESCRIPTION = "为入园组织指派督导专家，记录每次督导，由组织签字确认；出壳前须有足够的督导。"
INCUBATOR_AUDIT_ACTIONS = {
    "mentoring.settings": "督导设置",
    "mentoring.assign": "指派督导专家",
    "mentoring.unassign": "结束督导指派",
    "mentoring.contact_link": "关联组织联系人",  # earlier versions linked contacts here; the log keeps them
    "mentoring.contact_unlink": "解除组织联系人",
    "mentoring.log": "撰写督导记录",
    "mentoring.amend": "更正督导记录",
    "mentoring.edit": "修改督导记录",
    "mentoring.attach": "为督导记录添加附件",
    "mentoring.withdraw": "撤回督导记录",
    "mentoring.confirm": "确认督导记录",
    "mentoring.dispute": "对督导记录提出异议",
    "mentoring.action_done": "完成跟进事项",
    "mentoring.expert_profile": "更新专家资料",
}
PLUGIN = "mentoring"



@hookimpl
def incubator_nav_items(user):
    if not getattr(user, "is_authenticated", False):
        return None
    if user.role in ("admin", "manager", "expert"):
        return [NavItem(_("督导"), url_for("mentoring.index"), order=30)]
    if user.role == "trainee" and user.organization_id is not None:
        from incubator.plugins import is_enabled
        if user.organization is not None and is_enabled(PLUGIN, user.organization.park_id):
            return [NavItem(_("督导确认"), url_for("mentoring.index"), order=30)]
    return None


@hookimpl
def incubator_org_panels(org, user):
    from .views import org_panel
    html = org_panel(org, user)
    return [Panel(_("督导记录"), Markup(html), order=30)] if html else None


@hookimpl
def incubator_file_access(user, stored_file):
    """A log's photos and sign-in sheets: readable by whoever may read the log."""
    from .permissions import may_read_file
    return may_read_file(user, stored_file)


@hookimpl
def incubator_dashboard_widgets(parks, user):
    from incubator.permissions import can
    from incubator.plugins import is_enabled

    from . import services
    if not can("mentoring.report", user=user):
        return None
    park_ids = [p.id for p in parks if is_enabled(PLUGIN, p)]
    from incubator.ui import TODO_COUNT_CAP
    rows = services.open_actions(park_ids=park_ids, overdue_only=True, limit=8)
    total = services.count_overdue(park_ids, up_to=TODO_COUNT_CAP)  # "99+": the dashboard's, not a report
    shown = f"{TODO_COUNT_CAP}+" if total > TODO_COUNT_CAP else total
    html = render_template("mentoring/widget.html", rows=rows, total=total, shown=shown)
    return [Widget(_("逾期的督导跟进事项"), Markup(html), order=45)]


@hookimpl
def incubator_transition_check(org, from_stage, to_stage, user):
    from . import services
    if to_stage == "graduated":
        return services.graduation_objections(org)


@hookimpl
def incubator_transition_done(org, transition):
    from . import assigning
    if transition.to_stage in assigning.FINAL_STAGES:
        assigning.close_assignments(org, transition)


@hookimpl
def incubator_home_url(user):
    if getattr(user, "role", None) == "expert":
        return url_for("mentoring.index")
    return None


@hookimpl
def incubator_todos(user):
    from .views import todos_for
    return todos_for(user)


@hookimpl
def incubator_figures(scope):
    """督导: sessions, hours and organizations supervised, by the day each session was held (figures.py)."""
    from .figures import figures
    return figures(scope)


@hookimpl
def incubator_importers():
    """专家 (`/imports/experts`, `incubator import experts FILE`): the administrator's."""
    from .importing import ExpertImporter
    return [ExpertImporter()]


@hookimpl
def incubator_cli(cli):
    from .cli import mentoring_group
    cli.add_command(mentoring_group)


@hookimpl
def incubator_seed_demo(session, size):
    from .demo import seed
    seed(session, size)


@hookimpl
def incubator_organizations_merging(kept, gone, user):
    from .assigning import fold_duplicates
    folded = fold_duplicates(kept, gone)
    return {"督导指派": folded} if folded else None

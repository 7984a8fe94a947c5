"""能力评估 · Capacity assessments: rubric-based entry, mid-term and exit assessments.

Rubrics are YAML data (see rubrics.py); a manager starts an assessment and names its assessor (an
expert or a manager); the assessor scores every indicator with evidence, saves drafts, finishes it
(then it is locked). The organization page shows the results, a radar chart and the progress from
entry to exit; a per-park veto makes graduation wait for an exit assessment above a threshold.
The assessor is told when named, the organization and its park when the assessment is finished.
Each hook hands on to the modules beside it.
"""

from flask import render_template, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from incubator import hookimpl
from incubator.ui import NavItem, Panel, Widget

INCUBATOR_TITLE = "能力评估"
INCUBATOR_DESCRIPTION = "按评估体系为组织做入园、中期、出壳能力评估；出壳前须达到分数线。"
INCUBATOR_AUDIT_ACTIONS = {
    "assessment.settings": "能力评估设置",
    "assessment.start": "发起能力评估",
    "assessment.save": "保存评估草稿",
    "assessment.discard": "删除评估草稿",
    "assessment.finish": "完成能力评估",
}
PLUGIN = "assessment"



@hookimpl
def incubator_load(app):
    from . import rubrics
    rubrics.init_app(app)


@hookimpl
def incubator_nav_items(user):
    if getattr(user, "is_authenticated", False) and user.role in ("admin", "manager", "expert"):
        return [NavItem(_("能力评估"), url_for("assessment.index"), order=35)]
    return None


@hookimpl
def incubator_org_panels(org, user):
    from incubator.permissions import can

    from . import views
    if not can("assessment.view", org, user=user):
        return None
    return [Panel(_("能力评估"), Markup(views.render_panel(org, user)), order=35)]


@hookimpl
def incubator_dashboard_widgets(parks, user):
    from incubator.permissions import can
    from incubator.plugins import is_enabled

    from . import services
    if not can("assessment.report", user=user):
        return None
    park_ids = [p.id for p in parks if is_enabled(PLUGIN, p)]
    drafts = services.list_query(park_ids=park_ids, status="draft")
    from incubator.extensions import db
    rows = db.session.scalars(drafts.limit(8)).all()
    html = render_template("assessment/widget.html", rows=rows)
    return [Widget(_("进行中的能力评估"), Markup(html), order=46)]


@hookimpl
def incubator_transition_check(org, from_stage, to_stage, user):
    from . import services
    if to_stage == "graduated":
        return services.graduation_objections(org)


@hookimpl
def incubator_figures(scope):
    """评估: assessments finished by kind and grade, the average gain from entry to exit (see figures.py)."""
    from .figures import figures
    return figures(scope)


@hookimpl
def incubator_cli(cli):
    from .cli import assessment_group
    cli.add_command(assessment_group)


@hookimpl
def incubator_seed_demo(session, size):
    from .demo import seed
    seed(session, size)

"""公益微创投 · A street micro-grant round: applications, expert scoring, grants in tranches, and
notices to the applying organization (its project decided, a tranche paid).

Enabled for 万年埠街道 until the administrator decides otherwise; usable by any park.
Each hook hands on to the modules beside it.
"""

from flask import url_for
from flask_babel import gettext as _
from markupsafe import Markup

from incubator import hookimpl
from incubator.ui import NavItem, Panel, Widget

INCUBATOR_DEFAULT_PARKS = ["wannianbu"]
INCUBATOR_TITLE = "公益微创投"
INCUBATOR_DESCRIPTION = "街道的公益微创投：组织申报项目，专家评分，立项后分期拨付资金。"
INCUBATOR_AUDIT_ACTIONS = {
    "microgrant.round": "开设微创投",
    "microgrant.round_edit": "修改微创投",
    "microgrant.experts": "指定评审专家",
    "microgrant.apply": "申报项目",
    "microgrant.score": "专家评分",
    "microgrant.decide": "立项决定",
    "microgrant.pay": "拨付资金",
    "microgrant.review": "中期评估",
    "microgrant.files": "上传项目报告与票据",
    "microgrant.import": "导入历年微创投项目",
}
PLUGIN = "microgrant"


@hookimpl
def incubator_nav_items(user):
    from .permissions import has_anything
    if has_anything(user):
        return [NavItem(_("公益微创投"), url_for("microgrant.index"), order=65)]


@hookimpl
def incubator_dashboard_widgets(parks, user):
    from .views import dashboard_widget
    html = dashboard_widget(parks, user)
    if html:
        return [Widget(_("公益微创投"), Markup(html), order=65)]


@hookimpl
def incubator_org_panels(org, user):
    """The organization's micro-grant projects, for its managers and its own contact (the portal)."""
    from .views import org_panel
    html = org_panel(org, user)
    if html:
        return [Panel(_("公益微创投项目"), Markup(html), order=65)]


@hookimpl
def incubator_file_access(user, stored_file):
    """A project's reports and receipts: readable by whoever may view the project."""
    from .permissions import may_read_file
    return may_read_file(user, stored_file)


@hookimpl
def incubator_todos(user):
    """Experts: projects to score; the round's managers: decisions and tranches to pay;
    an organization's contact: a round open for applications."""
    from .views import todos
    return todos(user)


@hookimpl
def incubator_figures(scope):
    """资金: rounds, applications, grants, money granted and paid (see figures.py)."""
    from .figures import figures
    return figures(scope)


@hookimpl
def incubator_cli(cli):
    from .cli import microgrant_group
    cli.add_command(microgrant_group)


@hookimpl
def incubator_importers():
    from .importing import GrantImporter
    return [GrantImporter()]


@hookimpl
def incubator_seed_demo(session, size):
    from .demo import seed
    seed(session)

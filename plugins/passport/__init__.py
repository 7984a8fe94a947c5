"""义粉护照 · 方兴社区 volunteer passport: points for volunteer hours, redeemed for gifts; volunteers
with an account are told when a redemption window opens.

A street/community plugin: enabled for 方兴社区 only until the administrator decides otherwise.
Each hook hands on to the modules beside it.
"""

from flask import render_template, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from incubator import hookimpl
from incubator.ui import NavItem, Panel, Widget

INCUBATOR_DEFAULT_PARKS = ["fangxing"]
INCUBATOR_TITLE = "义粉护照"
INCUBATOR_DESCRIPTION = "方兴社区的志愿者护照：服务时长记积分，按兑换周期兑换礼品。"
INCUBATOR_AUDIT_ACTIONS = {
    "passport.settings": "积分规则设置",
    "passport.register": "登记志愿者",
    "passport.volunteer_edit": "修改志愿者资料",
    "passport.activity": "新建志愿活动",
    "passport.service": "登记志愿服务",
    "passport.correction": "更正积分",
    "passport.window": "设置兑换周期",
    "passport.gift": "设置礼品",
    "passport.redeem": "兑换礼品",
    "passport.import": "导入志愿者",
}
PLUGIN = "passport"


@hookimpl
def incubator_nav_items(user):
    from .permissions import has_anything
    if has_anything(user):
        return [NavItem(_("义粉护照"), url_for("passport.index"), order=60)]


@hookimpl
def incubator_dashboard_widgets(parks, user):
    from incubator.permissions import can
    from incubator.plugins import is_enabled

    from . import services
    shown = [p for p in parks if is_enabled(PLUGIN, p) and can("passport.manage", p, user=user)]
    if not shown:
        return None
    html = render_template("passport/widget.html", parks=shown, totals=services.totals(p.id for p in shown))
    return [Widget(_("义粉护照"), Markup(html), order=60)]


@hookimpl
def incubator_profile_panels(user):
    """A volunteer whose record is linked to this account sees their own passport."""
    from .permissions import own_volunteers
    volunteers = own_volunteers(user)
    if volunteers:
        html = render_template("passport/profile_panel.html", volunteers=volunteers)
        return [Panel(_("我的义粉护照"), Markup(html), order=60)]


@hookimpl
def incubator_figures(scope):
    """志愿服务: volunteers, who served, hours, points earned and redeemed (see figures.py)."""
    from .figures import figures
    return figures(scope)


@hookimpl
def incubator_cli(cli):
    from .cli import passport_group
    cli.add_command(passport_group)


@hookimpl
def incubator_importers():
    from .importing import VolunteerImporter
    return [VolunteerImporter()]


@hookimpl
def incubator_seed_demo(session, size):
    from .demo import seed
    seed(session)

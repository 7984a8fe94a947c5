"""社区治理学院 · Academy: course catalogue, offerings, enrolment with waitlists, attendance, completion,
notices (a seat from the waitlist, an enrolment decided, a class tomorrow, a completion).

The hooks below hand on to the modules beside them. The plugin also offers a hook of its own
(`hookspecs.py`): `incubator_enrolment_completed(enrolment)`, fired after each completion.
"""

from flask import render_template, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from incubator import hookimpl
from incubator.ui import NavItem, Panel, Widget

from . import hookspecs  # noqa: F401  (the loader adds the hooks this plugin offers)

INCUBATOR_TITLE = "社区治理学院"
INCUBATOR_DESCRIPTION = "课程目录、开班、报名与候补、考勤、结业：社区治理学院的培训。"
INCUBATOR_AUDIT_ACTIONS = {
    "academy.courses.sync": "同步课程目录",
    "academy.offering.create": "新建班次",
    "academy.offering.edit": "修改班次",
    "academy.signup": "学员注册",
    "academy.enrol": "报名",
    "academy.approve": "通过报名",
    "academy.reject": "不通过报名",
    "academy.cancel": "取消报名",
    "academy.remove": "移出班次",
    "academy.promote": "候补转正",
    "academy.attendance": "登记考勤",
    "academy.complete": "结业",
    "academy.close": "结业评定",
    "academy.import": "批量导入学员",
    "academy.trainee_profile": "更新学员所属组织",
}
PLUGIN = "enrolment"


@hookimpl
def incubator_load(app):
    from .imports import configure
    configure(app)


@hookimpl
def incubator_nav_items(user):
    items = [NavItem(_("课程"), url_for("enrolment.catalogue"), order=30)]
    role = getattr(user, "role", None) if getattr(user, "is_authenticated", False) else None
    if role in ("admin", "manager"):
        items.append(NavItem(_("班次管理"), url_for("enrolment.manage"), order=31))
    elif role == "expert":
        items.append(NavItem(_("我的授课"), url_for("enrolment.manage"), order=31))
    if role in ("trainee", "expert"):
        items.append(NavItem(_("我的学习"), url_for("enrolment.my"), order=33))
    return items


@hookimpl
def incubator_profile_panels(user):
    from incubator.plugins import enabled_park_ids

    from . import services
    enabled = set(enabled_park_ids(PLUGIN))
    enrolments = [e for e in services.my_enrolments(user) if e.offering.park_id in enabled]
    if not enrolments and user.role not in ("trainee",):
        return None
    total, per_year = services.hours_by_year(user)
    html = render_template("enrolment/profile_panel.html", enrolments=enrolments[:5], total=total, per_year=per_year,
                           positions=services.waitlist_positions(enrolments), more=len(enrolments) > 5)
    return [Panel(_("我的学习"), Markup(html), order=20)]


@hookimpl
def incubator_home_url(user):
    """Trainees land on 我的学习 (the core sends organization contacts to their portal first)."""
    from incubator.plugins import is_enabled
    if getattr(user, "role", None) == "trainee" and is_enabled(PLUGIN):
        return url_for("enrolment.my")
    return None


@hookimpl
def incubator_todos(user):
    """A trainee's classes today or tomorrow, approvals awaited, promotions; an instructor's attendance
    to record; a manager's enrolments to approve."""
    from .todos import for_user
    return for_user(user)


@hookimpl
def incubator_dashboard_widgets(parks, user):
    from incubator.permissions import can
    from incubator.plugins import is_enabled

    from . import services
    park_ids = [p.id for p in parks if is_enabled(PLUGIN, p) and can("academy.manage", p, user=user)]
    if not park_ids:
        return None
    rows = services.upcoming(park_ids)
    html = render_template("enrolment/widget.html", rows=rows, seats_taken=services.seats_taken)
    return [Widget(_("近期班次"), Markup(html), order=30)]


@hookimpl
def incubator_certificate_completions(offering_id):
    """The certificates plugin's batch issue (批量颁发) asks for an offering's completed enrolments."""
    from . import completion
    return completion.completed_enrolments(offering_id)


@hookimpl
def incubator_figures(scope):
    """培训: trainees (人次, 人), classes held, completions and hours, by the year of each class (figures.py)."""
    from .figures import figures
    return figures(scope)


@hookimpl
def incubator_importers():
    """学员 (`/imports/trainees`, `incubator import trainees FILE`)."""
    from .importing import TraineeImporter
    return [TraineeImporter()]


@hookimpl
def incubator_cli(cli):
    from .cli import courses_group
    cli.add_command(courses_group)


@hookimpl
def incubator_seed_demo(session, size):
    from .demo import seed
    seed(session, size)

"""The park manager's and administrator's dashboard (工作台)."""
from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..core_hooks import scope_parks
from ..dates import today
from ..extensions import db
from ..organizations.models import Organization, Transition
from ..organizations.stages import ACTIVE_STAGES, STAGES
from ..parks.models import Park
from ..permissions import require
from ..plugins import collect, hooks_for
from .counts import overdue_count, stage_counts

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")


@bp.route("")
@login_required
def index():
    require("dashboard.view")
    allowed = scope_parks(current_user)
    parks_stmt = select(Park).order_by(Park.id)
    if allowed is not None:
        parks_stmt = parks_stmt.where(Park.id.in_(allowed or [-1]))
    parks = list(db.session.scalars(parks_stmt))
    chosen = request.args.get("park")
    if chosen:
        parks = [p for p in parks if p.code == chosen] or abort(404)
    park_ids = [p.id for p in parks]
    # Neither count reads the organizations' rows (counts.py): they were whole-table scans.
    counts = stage_counts(park_ids)
    overdue = db.session.scalars(
        select(Organization).where(Organization.park_id.in_(park_ids or [-1]),
                                   Organization.stage.in_(ACTIVE_STAGES),
                                   Organization.incubation_due < today())
        .order_by(Organization.incubation_due).limit(10)).all()
    overdue_total = overdue_count(park_ids)
    recent = db.session.scalars(_recent_transitions(None if allowed is None and not chosen else park_ids)).all()
    widgets = sorted(collect(hooks_for(park_ids).incubator_dashboard_widgets(
        parks=parks, user=current_user._get_current_object())), key=lambda w: w.order)
    all_parks = list(db.session.scalars(parks_stmt))
    targets, tree, by_park = _targets(parks, district=allowed is None and not chosen)
    return render_template("dashboard/index.html", parks=parks, all_parks=all_parks, chosen=chosen,
                           counts=counts, stages=STAGES, overdue=overdue, overdue_total=overdue_total,
                           recent=recent, widgets=widgets, targets=targets, tree=tree, by_park=by_park)


def _targets(parks, *, district: bool):
    """This year's targets and their progress, when any is set for these parks (the figures are
    counted only then); for the district, the 1+N tree coloured by each park's progress."""
    from ..figures import Scope, collect
    from ..figures import report as reports
    from ..figures.models import Target
    from ..parks import services as park_services
    year = today().year
    if db.session.scalar(select(Target.id).where(Target.year == year, Target.park_id.in_([p.id for p in parks] or [-1]))
                         .limit(1)) is None:
        return None, None, {}
    # This year only: progress reads each figure's value per park in the report's year, and the
    # report's five-year trend made every figure count five years (a third of the dashboard's time);
    # and no totals since the first record, which made the core read every transition.
    scope = Scope((year,), None if district else tuple(p.id for p in parks), progress_only=True)
    report = reports.Report(scope=scope, parks=parks, district=district, figures=collect(scope))
    report.progress = reports.progress(report)
    return report, park_services.tree() if district else None, reports.park_progress(report)


def _recent_transitions(park_ids, limit: int = 10):
    """The newest transitions; `park_ids` None means every park.

    A correlated EXISTS (not a join) lets the database walk the created_at index backwards and stop
    after `limit` rows, looking each one's organization up by its key: at 100,000 transitions a join
    made SQLite sort them all (60 ms → 2 ms), and an IN-subquery first listed every organization of
    the parks (40 ms for one park of 100,000 organizations → 1 ms).
    """
    stmt = select(Transition).options(selectinload(Transition.organization), selectinload(Transition.user))
    if park_ids is not None:
        stmt = stmt.where(select(Organization.id).where(Organization.id == Transition.organization_id,
                                                        Organization.park_id.in_(park_ids or [-1])).exists())
    return stmt.order_by(Transition.created_at.desc(), Transition.id.desc()).limit(limit)

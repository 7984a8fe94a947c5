"""Who may do what with the passport (answered through the core's `incubator_permission` hook).

- passport.manage  — managers of the park (admins: the core allows everything): volunteers,
  activities, windows, gifts, rules, corrections and redemption at the counter.
- passport.organize — on a park: start an activity there: its managers, or a user linked to one of
  its organizations (the activity is then that organization's).
- passport.record  — on an activity: the organizer records (谁组织谁记录): the park's managers,
  or a user linked to the organizing organization (`User.organization_id`).
- passport.view    — on a volunteer: managers, and the volunteer's own linked account.
- passport.ranking — the recognition ranking of a park: any visitor (names are masked for
  those who may not manage).
"""
from sqlalchemy import select

from incubator.extensions import db
from incubator.parks.models import Park
from incubator.permissions import park_id_of

ACTIONS = [
    ("passport.manage", "义粉护照：登记志愿者、管理活动、兑换窗口与礼品"),
    ("passport.organize", "义粉护照：发起志愿活动"),
    ("passport.record", "义粉护照：记录志愿服务时长（组织方）"),
    ("passport.view", "义粉护照：查看志愿者护照"),
    ("passport.ranking", "义粉护照：查看服务时长排行"),
]


def decide(user, action, resource):
    if not action.startswith("passport."):
        return None
    if action == "passport.ranking":
        return True
    if not getattr(user, "is_authenticated", False) or user.role == "admin":
        return None  # admins: the core says yes
    is_manager = user.role == "manager" and (resource is None or park_id_of(resource) in user.park_ids)
    if is_manager:
        return True
    if resource is None:
        return None
    from .models import Activity, Volunteer
    if action == "passport.organize" and isinstance(resource, Park):
        org = _own_organization(user)
        return True if org is not None and org.park_id == resource.id else None
    if action == "passport.record" and isinstance(resource, Activity):
        return True if user.organization_id and resource.organization_id == user.organization_id else None
    if action == "passport.view" and isinstance(resource, Volunteer):
        return True if resource.user_id == user.id else None
    return None


def _own_organization(user):
    from incubator.organizations.models import Organization
    return db.session.get(Organization, user.organization_id) if user.organization_id else None


def own_organization_park(user):
    """The park of the user's organization, if the passport is enabled there."""
    from incubator.plugins import is_enabled
    if not getattr(user, "is_authenticated", False):
        return None
    org = _own_organization(user)
    if org is None or not is_enabled("passport", org.park_id):
        return None
    return db.session.get(Park, org.park_id)


def own_volunteers(user):
    """The volunteer records linked to `user`, in parks where the passport is enabled."""
    from incubator.plugins import is_enabled

    from .models import Volunteer
    if not getattr(user, "is_authenticated", False):
        return []
    rows = db.session.scalars(select(Volunteer).where(Volunteer.user_id == user.id)).all()
    return [v for v in rows if is_enabled("passport", v.park_id)]


def organizer_activities_exist(user) -> bool:
    from incubator.plugins import is_enabled

    from .models import Activity
    if not getattr(user, "is_authenticated", False) or not user.organization_id:
        return False
    park_ids = db.session.scalars(select(Activity.park_id).where(
        Activity.organization_id == user.organization_id).distinct()).all()
    return any(is_enabled("passport", pid) for pid in park_ids)


def has_anything(user) -> bool:
    """Is there a passport page for `user`? (decides the menu entry)"""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.role in ("admin", "manager"):
        return True  # the core calls us for managers only when we are enabled in one of their parks
    return bool(own_volunteers(user)) or own_organization_park(user) is not None or organizer_activities_exist(user)

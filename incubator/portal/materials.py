"""An organization's own materials (组织材料: 登记证书、章程、年度报告 …), uploaded by its contacts on the
portal and seen by its park's managers on the organization's page.

Each is a StoredFile with owner_type "organization_material" and owner_id the organization's id. Who
may read one (`incubator_file_access`, answered by the core in core_hooks.py): the organization's own
contacts, its park's managers and the administrator — not experts or other plugins' readers, who
may see the organization's page for their own reasons.
"""
from __future__ import annotations

from flask_babel import gettext as _

from .. import audit
from ..database import transaction
from ..errors import Conflict
from ..extensions import db
from ..files import services as file_store
from ..organizations.models import Organization

OWNER = "organization_material"


def may_see(user, org: Organization) -> bool:
    """May `user` see (and download) the organization's materials?"""
    from ..core_hooks import is_own_organization
    from ..permissions import can
    if org is None or not getattr(user, "is_authenticated", False):
        return False
    if is_own_organization(user, org):
        return True
    return user.role in ("admin", "manager") and can("org.view", org, user=user)


def add(org: Organization, uploads, *, user) -> list[str]:
    """The organization's contact uploads its materials; one refused (too large, not an allowed type)
    refuses them all. The names stored."""
    from ..core_hooks import is_own_organization
    if not is_own_organization(user, org):
        raise Conflict(_("只有该组织的联系人可以上传组织材料"))
    with transaction():
        names = [f.original_name for f in file_store.store_many(uploads, owner_type=OWNER, owner_id=org.id,
                                                                  park_id=org.park_id, user=user)]
        audit.record("org.material_add", org, user=user, summary=f"{org.name}：上传组织材料 {len(names)} 个",
                     files=names)
    return names


def of(org_id: int) -> list:
    """The organization's materials, newest first."""
    return file_store.files_of(OWNER, [org_id]).get(org_id, [])


def may_read_file(user, stored_file):
    """The core's answer to `incubator_file_access` for materials: True or None (not ours, or not allowed)."""
    if stored_file.owner_type != OWNER:
        return None
    return True if may_see(user, db.session.get(Organization, stored_file.owner_id)) else None

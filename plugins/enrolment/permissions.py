"""Who may do what in the academy (answered through the core's `incubator_permission` hook).

- `academy.manage` (an Offering, a Park, or None for "anywhere"): park managers for their parks.
- `academy.teach` (an Offering): the managers of its park and its instructor.
- `academy.report`: park managers (their parks' figures).
Administrators are allowed everything by the core. Trainees act only on their own enrolments,
which the views check directly.
"""
from incubator.permissions import park_id_of

ACTIONS = [
    ("academy.manage", "排班、审核报名、移出学员（本园区班次）"),
    ("academy.teach", "查看名单、记录考勤、打印签到表（本园区或自己授课的班次）"),
    ("academy.report", "查看学院报名与结业统计"),
]


def decide(user, action, resource):
    if not action.startswith("academy.") or not getattr(user, "is_authenticated", False):
        return None
    park_id = park_id_of(resource)
    if user.role == "manager":
        if resource is None:
            return action in ("academy.manage", "academy.report")
        return True if park_id in user.park_ids else None
    if user.role == "expert" and action == "academy.teach" and resource is not None:
        return True if getattr(resource, "instructor_id", None) == user.id else None
    return None

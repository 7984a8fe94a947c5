"""The incubation stage machine (孵化阶段).

    applied ─► reviewing ─► incubating ◄─► virtual
       │           │            │             │
       ▼           ▼            ▼             ▼
    withdrawn   rejected    graduated / exited

Moves not listed here are illegal (HTTP 409); plugins may veto legal ones through
`incubator_transition_check`.
"""
from flask_babel import lazy_gettext as _l

STAGES = {
    "applied": _l("申请"),
    "reviewing": _l("评审"),
    "incubating": _l("入园孵化"),
    "virtual": _l("壳外孵化"),
    "graduated": _l("出壳"),
    "rejected": _l("未通过"),
    "withdrawn": _l("撤回"),
    "exited": _l("退出"),
}

MOVES = {
    "applied": ("reviewing", "withdrawn"),
    "reviewing": ("incubating", "rejected", "withdrawn"),
    "incubating": ("virtual", "graduated", "exited"),
    "virtual": ("incubating", "graduated", "exited"),
    "graduated": (),
    "rejected": (),
    "withdrawn": (),
    "exited": (),
}

# Stages in which an organization is being incubated: it has a due date and can be renewed (续驻).
ACTIVE_STAGES = ("incubating", "virtual")
# Stages after which nothing more happens.
FINAL_STAGES = tuple(stage for stage, moves in MOVES.items() if not moves)


def is_legal(from_stage: str, to_stage: str) -> bool:
    return to_stage in MOVES.get(from_stage, ())


def label(stage: str) -> str:
    return str(STAGES.get(stage, stage))

"""Audit log (审计日志): every write records who did it."""
from flask import has_request_context, request
from flask_login import current_user

from ..extensions import db
from .models import AuditEntry


def record(action: str, obj=None, *, summary: str = "", user=None, object_type: str | None = None,
           object_id=None, **details) -> AuditEntry:
    """Add an audit entry to the current transaction, so it commits or rolls back with the write."""
    if obj is not None and getattr(obj, "id", 0) is None:
        db.session.flush()  # give a new record its id before we point at it
    entry = AuditEntry(**_values(action, summary, _acting(user),
                                 object_type or (type(obj).__name__ if obj is not None else ""),
                                 object_id if object_id is not None else getattr(obj, "id", ""), details))
    db.session.add(entry)
    return entry


def record_many(action: str, object_type: str, entries, *, user=None) -> int:
    """Audit entries for many records written at once (an import): `entries` are
    (object_id, summary, details) — one INSERT for all, in the current transaction."""
    from sqlalchemy import insert
    acting = _acting(user)
    rows = [_values(action, summary, acting, object_type, object_id, details)
            for object_id, summary, details in entries]
    if rows:
        db.session.execute(insert(AuditEntry.__table__), rows)
    return len(rows)


def _acting(user):
    if user is None and has_request_context() and current_user.is_authenticated:
        return current_user._get_current_object()
    return user


def _values(action, summary, user, object_type, object_id, details) -> dict:
    from ..db_types import utcnow
    return {"action": action, "object_type": object_type, "object_id": str(object_id or ""),
            "summary": summary[:300], "details": _jsonable(details), "user_id": getattr(user, "id", None),
            "ip": (request.remote_addr or "") if has_request_context() else "", "created_at": utcnow()}


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)

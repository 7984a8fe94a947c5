"""Small shared column helpers."""
from datetime import datetime, timezone


def utcnow() -> datetime:
    """Timezone-aware now; stored as UTC and shown in Asia/Shanghai by Flask-Babel."""
    return datetime.now(timezone.utc).replace(tzinfo=None)

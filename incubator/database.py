"""One transaction per write: commit it all or roll it all back."""
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError

from .errors import Conflict
from .extensions import db


@contextmanager
def transaction():
    """Commit on success; roll back on any error. A constraint violation becomes a Conflict (409)."""
    try:
        yield db.session
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise Conflict("与已有记录冲突（可能是重复或数量超限），未保存任何更改") from exc
    except BaseException:
        db.session.rollback()
        raise

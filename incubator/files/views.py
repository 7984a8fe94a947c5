"""GET /files/<id>: a stored file, for those its owner's plugin lets read it (404 for anyone else:
whether it exists is not told). Never run by the browser: the stored (sniffed) type, `nosniff`, a
sandboxing CSP, and `attachment` for everything but PDF and images."""
from flask import Blueprint, abort, send_file
from flask_login import current_user, login_required

from ..extensions import db
from . import services
from .models import StoredFile

bp = Blueprint("files", __name__)


@bp.route("/files/<int:file_id>")
@login_required
def download(file_id):
    stored = db.session.get(StoredFile, file_id)
    if stored is None or not services.may_read(current_user, stored):
        abort(404)
    path = services.content_path(stored.sha256)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=stored.content_type, as_attachment=not stored.inline,
                         download_name=stored.original_name, conditional=True, etag=stored.sha256,
                         max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox"
    response.headers["Cache-Control"] = "private, no-cache"
    return response

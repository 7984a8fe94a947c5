"""The import pages: upload → preview (what each row will do, its problems, its matches and the
user's choice for each) → confirm → done; the template and the bad rows as Excel files."""
from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, SelectField, SubmitField

from ..errors import DomainError
from ..exports import xlsx_response
from ..extensions import db
from ..parks.models import Park
from ..users import setup
from . import importers, importer_for, staging
from .base import ACTIONS
from .reading import read_table

bp = Blueprint("imports", __name__, url_prefix="/imports")
SHOWN = 300  # rows listed per table on the preview; the file of bad rows has them all


class UploadForm(FlaskForm):
    file = FileField(_l("文件（.xlsx 或 .csv）"))
    # Hidden when the importer names no park (trainees, experts); the park chosen is checked
    # against the importer's parks_for again in _plan.
    park = SelectField(_l("园区（文件中未填“园区”时使用）"), coerce=int, default=0, validate_choice=False)
    submit = SubmitField(_l("上传并预览"))


class ConfirmForm(FlaskForm):
    mode = HiddenField(default="all")


def _importer(kind: str):
    importer = importer_for(kind)
    if importer is None:
        abort(404)
    if not importer.may_import(current_user):
        abort(403)
    return importer


def _staged(importer, token: str):
    try:
        return staging.fetch(token, importer.kind, current_user)
    except DomainError as exc:
        abort(404, description=exc.message)


def _plan(importer, staged):
    parks = importer.parks_for(current_user)
    default = db.session.get(Park, staged.park_id) if staged.park_id else None
    table = read_table(staged.filename, staged.content)
    return importer.plan(table, user=current_user, parks=parks,
                         default_park=default if default in parks else None)


@bp.route("")
@login_required
def index():
    usable = [imp for imp in importers().values() if imp.may_import(current_user)]
    if not usable:
        abort(403)
    return render_template("imports/index.html", importers=usable)


@bp.route("/<kind>", methods=["GET", "POST"])
@login_required
def upload(kind):
    importer = _importer(kind)
    form = UploadForm()
    parks = importer.parks_for(current_user)
    form.park.choices = [(0, _("（按文件中的“园区”列）"))] + [(p.id, p.name) for p in parks]
    if len(parks) == 1 and not form.is_submitted():
        form.park.data = parks[0].id  # a manager of one park imports into it
    if form.validate_on_submit():
        given = request.files.get("file")
        content = given.read() if given else b""
        if not given or not given.filename or not content:
            form.file.errors = [_("请选择要导入的文件（.xlsx 或 .csv）")]
        else:
            try:
                read_table(given.filename, content)
            except DomainError as exc:
                form.file.errors = [exc.message]
            else:
                token = staging.keep(kind, current_user, given.filename, content, form.park.data or None)
                return redirect(url_for(".preview", kind=kind, token=token))
    return render_template("imports/upload.html", importer=importer, form=form)


@bp.route("/<kind>/<token>", methods=["GET", "POST"])
@login_required
def preview(kind, token):
    importer = _importer(kind)
    staged = _staged(importer, token)
    try:
        plan = _plan(importer, staged)
    except DomainError as exc:
        staging.discard(token)
        flash(exc.message, "danger")
        return redirect(url_for(".upload", kind=kind))
    form = ConfirmForm()
    if form.validate_on_submit():
        choices = {int(key[7:]): value for key, value in request.form.items()
                   if key.startswith("action-") and key[7:].isdigit()}
        plan.choose(choices, default=request.form.get("default") or None)
        try:
            outcome = importer.carry_out(plan, user=current_user, source=staged.filename,
                                         good_rows_only=form.mode.data == "good")
        except DomainError as exc:
            flash(exc.message, "danger")
        else:
            staging.discard(token)
            root = request.url_root.rstrip("/")
            links = [(account, root + setup.link_for(account)) for account in outcome.accounts]
            response = make_response(render_template(
                "imports/done.html", importer=importer, outcome=outcome, filename=staged.filename,
                actions=ACTIONS, left_out=len(plan.bad_rows), links=links, setup_days=setup.SETUP_DAYS))
            response.headers["Cache-Control"] = "no-store"  # the set-up links are on it
            return response
    return render_template("imports/preview.html", importer=importer, plan=plan, staged=staged, form=form,
                           counts=plan.counts(), actions=ACTIONS, shown=SHOWN)


@bp.route("/<kind>/<token>/problems.xlsx")
@login_required
def problems(kind, token):
    """The bad rows as they were, with what is wrong with each first: to fix and import again."""
    importer = _importer(kind)
    staged = _staged(importer, token)
    plan = _plan(importer, staged)
    header, rows = plan.bad_rows_table(importer.masked)
    return xlsx_response(f"{importer.label}-错误行.xlsx", header, rows, sheet="错误行")


@bp.route("/<kind>/template.xlsx")
@login_required
def template(kind):
    importer = _importer(kind)
    header, notes = importer.template()
    return xlsx_response(f"{importer.label}导入模板.xlsx", header, [], sheet=importer.label,
                         extra_sheets={"填写说明": (["列", "必填", "说明", "示例"], notes)})

"""The inbox (/notifications), one's notification settings (/me/notifications), and the
administrator's view of deliveries that failed (/admin/notifications)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..errors import DomainError
from ..extensions import db
from ..forms import show_domain_error
from ..permissions import require
from . import services, sending
from .forms import ContactDetailsForm
from .models import Delivery, Notification
from .registry import kinds_for, user_channels

bp = Blueprint("notifications", __name__)


def own_notification(notification_id: int) -> Notification:
    return services.own_notification(notification_id, current_user)


@bp.route("/notifications")
@login_required
def inbox():
    unread_only = request.args.get("show") == "unread"
    page = db.paginate(services.inbox_query(current_user, unread_only=unread_only), per_page=20)
    items = [(n, *services.rendered(n.notice)) for n in page.items]
    return render_template("notifications/inbox.html", page=page, items=items, unread_only=unread_only,
                           unread=services.unread_count(current_user))


@bp.route("/notifications/<int:notification_id>")
@login_required
def open_notice(notification_id):
    """A notice's link: marked read, then the page it is about."""
    notification = own_notification(notification_id)
    services.mark_read(notification)
    return redirect(notification.notice.link or url_for(".inbox"))


@bp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@login_required
def mark_read(notification_id):
    services.mark_read(own_notification(notification_id))
    return redirect(url_for(".inbox", show=request.args.get("show")))


@bp.route("/notifications/read-all", methods=["POST"])
@login_required
def mark_all_read():
    count = services.mark_all_read(current_user)
    flash(_("已将 %(count)s 条通知标为已读", count=count) if count else _("没有未读通知"), "success")
    return redirect(url_for(".inbox"))


@bp.route("/me/notifications", methods=["GET", "POST"])
@login_required
def settings():
    user = current_user._get_current_object()
    form = ContactDetailsForm(obj=user)
    kinds, channels = kinds_for(user), user_channels()
    if form.validate_on_submit():
        choices = {k.key: {c for c in channels if request.form.get(f"{k.key}:{c}")} for k in kinds}
        try:
            services.save_settings(user, email=form.email.data or "", phone=form.phone.data or "",
                                   choices=choices)
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            flash(_("通知设置已保存"), "success")
            return redirect(url_for(".settings"))
    chosen = {k.key: services.chosen_channels([user], k)[user.id] for k in kinds}
    return render_template("notifications/settings.html", form=form, kinds=kinds, channels=channels, chosen=chosen)


@bp.route("/admin/notifications")
@login_required
def deliveries():
    require("notifications.admin")
    status = request.args.get("status", "failed")
    if status not in ("failed", "pending", "sent"):
        status = "failed"
    page = db.paginate(services.deliveries_query(status), per_page=50)
    return render_template("notifications/deliveries.html", page=page, status=status,
                           counts=services.delivery_counts(), rendered=services.rendered)


@bp.route("/admin/notifications/<int:delivery_id>/retry", methods=["POST"])
@login_required
def retry(delivery_id):
    require("notifications.admin")
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is None:
        abort(404)
    sending.retry(delivery)
    flash(_("已重新排入发送队列"), "success")
    return redirect(url_for(".deliveries", status="pending"))

"""证书 · Certificates: Chinese PDF certificates with public verification.

结业证书 when an enrolment completes (the academy plugin's `incubator_enrolment_completed`), 出壳证书
when an organization moves to `graduated`, and batch issue for a whole offering (its completions
come from `incubator_certificate_completions`, declared in hookspecs.py), run by the platform's
queue worker (tasks.py). The holder is told in their inbox (notices.py). Without the academy plugin
it still starts and issues graduation certificates. Each hook hands on to the modules beside it.
"""
import logging
import os
from pathlib import Path

from flask import render_template, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from incubator import hookimpl
from incubator.ui import NavItem, Panel

from . import hookspecs  # noqa: F401  (the loader adds the hooks this plugin offers)

INCUBATOR_TITLE = "证书"
INCUBATOR_DESCRIPTION = "颁发结业证书和出壳证书（PDF），任何人可在线核验真伪。"
INCUBATOR_AUDIT_ACTIONS = {
    "certificate.issue": "颁发证书",
    "certificate.reissue": "补发证书",
    "certificate.revoke": "撤销证书",
    "certificate.batch": "批量颁发证书",
    "certificate.batch_done": "批量颁发完成",
}
PLUGIN = "certificates"
log = logging.getLogger(__name__)


@hookimpl
def incubator_load(app):
    from . import fonts
    instance = Path(app.instance_path)
    env = os.environ
    app.config.setdefault("CERTIFICATES_DIR", env.get("INCUBATOR_CERTIFICATES_DIR") or str(instance / "certificates"))
    app.config.setdefault("CERTIFICATES_TEMPLATES_DIR", env.get("INCUBATOR_CERTIFICATE_TEMPLATES_DIR")
                          or str(instance / "certificate_templates"))
    app.config.setdefault("CERTIFICATES_PUBLIC_URL", env.get("INCUBATOR_PUBLIC_URL") or None)
    app.config.setdefault("CERTIFICATES_ACADEMY", "包河区社区治理学院")
    app.config.setdefault("CERTIFICATES_VERIFY_RATE_LIMIT", "30 per minute")
    # A batch job's lease (seconds): a job whose worker died is taken over once it expires.
    app.config.setdefault("CERTIFICATES_JOB_LEASE", float(env.get("INCUBATOR_CERTIFICATES_JOB_LEASE") or 120))
    app.config.setdefault("CERTIFICATES_BATCH_GROUP", int(env.get("INCUBATOR_CERTIFICATES_BATCH_GROUP") or 0))
    from .completions import queue_pending_completions
    app.teardown_appcontext(queue_pending_completions)
    fonts.check_at_start()


@hookimpl
def incubator_worker_started():
    """`incubator worker` starts: warm rendering processes, and take up what a dead worker left."""
    from .tasks import worker_started
    worker_started()


@hookimpl
def incubator_cli(cli):
    from .cli import certificates_group
    cli.add_command(certificates_group)


@hookimpl
def incubator_nav_items(user):
    from incubator.permissions import can
    if getattr(user, "is_authenticated", False) and can("certificate.view", user=user):  # the list: managers
        return [NavItem(_("证书"), url_for("certificates.index"), order=60)]
    return [NavItem(_("证书验证"), url_for("certificates.verify_form"), order=90)]


@hookimpl
def incubator_enrolment_completed(enrolment):
    """Issue the 结业证书 (idempotent: a completion fired twice gives one certificate).

    Many completions at once (a class closed) are issued together as a batch: see
    `completions.completion_fired`.
    """
    from incubator.plugins import is_enabled

    from . import completions
    if not is_enabled(PLUGIN, enrolment.offering.park_id):
        return
    try:
        completions.completion_fired(enrolment)
    except Exception:  # the completion is committed; the manager can issue from the offering page
        from incubator.extensions import db
        db.session.rollback()
        log.exception("certificate for enrolment %s not issued", getattr(enrolment, "id", "?"))


@hookimpl
def incubator_transition_done(org, transition):
    """Issue the 出壳证书 when an organization graduates (the core calls us only if enabled there)."""
    from . import services
    if transition.to_stage != "graduated":
        return
    try:
        services.issue_for_graduation(org, transition)
    except Exception:  # the move is committed; don't stop other plugins' follow-ups. Re-issue from the page.
        from incubator.extensions import db
        db.session.rollback()
        log.exception("graduation certificate for organization %s not issued", org.id)


@hookimpl
def incubator_profile_panels(user):
    from . import queries
    if not getattr(user, "is_authenticated", False):
        return None
    certs = queries.of_user(user)
    if not certs and user.role != "trainee":
        return None
    html = render_template("certificates/profile_panel.html", certificates=certs)
    return [Panel(_("我的证书"), Markup(html), order=30)]


@hookimpl
def incubator_org_panels(org, user):
    from incubator.permissions import can

    from . import queries
    certs = [c for c in queries.of_organization(org.id) if can("certificate.view", c, user=user)]
    if not certs:
        return None
    html = render_template("certificates/org_panel.html", certificates=certs,
                           may_manage=can("certificate.revoke", certs[0], user=user))
    return [Panel(_("出壳证书"), Markup(html), order=40)]


@hookimpl(tryfirst=True)  # first: the academy's demo completions then issue under the demo's address
def incubator_seed_demo(session, size):
    """Graduation certificates for a few graduated demo organizations (one batch: fast)."""
    from . import demo
    demo.seed(session)

"""证书已颁发: the holder learns that their certificate is issued (or issued again), with a link to
its page. services.issue calls `certificates_issued` inside the issuing transaction, so a notice
commits or rolls back with its certificate; the deliveries beyond the inbox (e-mail…) are sent by the
queue worker, so a batch of 500 writes 500 notices with its certificates and sends nothing itself.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from incubator.extensions import db
from incubator.notifications import Kind, msg, notify, path_for
from incubator.organizations.contacts import contacts
from incubator.users.models import User

from .models import KINDS as KIND_NAMES

# Holders with an account: a 结业证书's trainee, a 出壳证书's organization contacts (trainee accounts).
KINDS = [Kind("certificates.issued", _l("证书已颁发"), roles=("trainee",))]


def certificates_issued(issued: list) -> None:
    """Tell the holders, inside the caller's transaction: `issued` is `(certificate, new version?)`
    pairs, flushed (their ids and serials known). The trainees of a batch's group are loaded at once."""
    accounts = {user.id: user for user in db.session.scalars(select(User).where(
        User.id.in_({cert.user_id for cert, _new in issued if cert.user_id is not None})))}
    for cert, reissued in issued:
        people = recipients(cert, accounts)
        if people:
            notify(people, "certificates.issued", *_texts(cert, reissued),
                   path_for("certificates.detail", cert_id=cert.id), park=cert.park)


def recipients(cert, accounts: dict) -> list:
    """The accounts a certificate is for: its holder's (a 结业证书's trainee, from `accounts`), or
    the contacts of the organization it was issued to (a 出壳证书); nobody when the holder has no
    account."""
    if cert.user_id is not None:
        return [accounts[cert.user_id]] if cert.user_id in accounts else []
    if cert.organization is not None:
        return contacts(cert.organization)
    return []


def _texts(cert, reissued: bool) -> tuple:
    kind = KIND_NAMES[cert.kind]
    title = cert.data.get("course_title") or cert.data.get("organization_name") or cert.holder_name
    if reissued:
        return (msg("%(kind)s已重新颁发：%(title)s", kind=kind, title=title),
                msg("新证书编号 %(serial)s，原证书已被新版本取代，请下载新版本。", serial=cert.serial))
    return (msg("%(kind)s已颁发：%(title)s", kind=kind, title=title),
            msg("证书编号 %(serial)s，可在证书页面查看和下载。", serial=cert.serial))

"""The e-mail channel: SMTP at INCUBATOR_MAIL_URL, plain text and HTML.

`smtp://user:password@host:587?starttls=1` (STARTTLS), `smtps://user:password@host:465` (TLS from the
start), `smtp://localhost:25` (no login). The sender is INCUBATOR_MAIL_FROM (config `MAIL_FROM`).
"""
from __future__ import annotations

import smtplib
from email import policy
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app
from flask_babel import lazy_gettext as _l

TIMEOUT = 20
# Headers are not folded below SMTP's own limit: Python's folding of an encoded Chinese subject drops
# the space at the fold ("治理 · 测试班" arrives as "治理· 测试班").
MAIL_POLICY = policy.SMTP.clone(max_line_length=998)


def settings(url: str) -> dict:
    """The connection INCUBATOR_MAIL_URL names; ValueError (naming the setting) for anything else."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("INCUBATOR_MAIL_URL must look like smtp://user:password@host:587?starttls=1")
    query = parse_qs(parts.query)
    return {"host": parts.hostname, "port": parts.port or (465 if parts.scheme == "smtps" else 25),
            "ssl": parts.scheme == "smtps", "starttls": query.get("starttls", ["0"])[0] in ("1", "true", "yes"),
            "user": unquote(parts.username or ""), "password": unquote(parts.password or "")}


class EmailChannel:
    key, label, audience = "email", _l("电子邮件"), "user"

    def __init__(self, url: str, sender: str):
        self.smtp, self.sender = settings(url), sender

    def address(self, user) -> str | None:
        return (user.email or "").strip() or None

    def send(self, message) -> None:
        mail = EmailMessage(policy=MAIL_POLICY)
        mail["Subject"] = message.subject
        mail["From"] = formataddr(("社区治理学院", self.sender))
        mail["To"] = message.address
        mail["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        mail.set_content(message.text)
        mail.add_alternative(message.html, subtype="html")
        with self._connect() as smtp:
            smtp.send_message(mail)

    def _connect(self):
        s = self.smtp
        smtp = (smtplib.SMTP_SSL if s["ssl"] else smtplib.SMTP)(s["host"], s["port"], timeout=TIMEOUT)
        try:
            if s["starttls"]:
                smtp.starttls()
            if s["user"]:
                smtp.login(s["user"], s["password"])
        except BaseException:
            smtp.close()
            raise
        return smtp


def channel() -> EmailChannel | None:
    url = current_app.config.get("MAIL_URL")
    return EmailChannel(url, current_app.config.get("MAIL_FROM") or "noreply@localhost") if url else None

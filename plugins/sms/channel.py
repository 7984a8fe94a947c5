"""The 短信 channel: a notice as a template message (title and link) to the recipient's mobile.

Settings (read when the plugin loads): INCUBATOR_SMS_URL (the provider's endpoint; without it no SMS
channel is offered), INCUBATOR_SMS_KEY (its API key), INCUBATOR_SMS_SIGN (签名, 社区治理学院 unless
set), INCUBATOR_SMS_TEMPLATE (the template code, `notice` unless set).
"""
from __future__ import annotations

import os
import re
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import lazy_gettext as _l

from . import PLUGIN
from .providers import HttpTemplateProvider, Provider

SETTINGS = {"SMS_URL": None, "SMS_KEY": "", "SMS_SIGN": "社区治理学院", "SMS_TEMPLATE": "notice"}
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
TITLE_LENGTH = 20  # what a template's variable takes (vendors cap a variable at 20 characters or so)


def configure(app) -> None:
    for key, default in SETTINGS.items():
        if os.environ.get("INCUBATOR_" + key):
            app.config[key] = os.environ["INCUBATOR_" + key]
        else:
            app.config.setdefault(key, default)
    url = app.config["SMS_URL"]
    if url:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"INCUBATOR_SMS_URL must be the provider's http(s) address, not {url!r}")


def mobile(phone: str | None) -> str | None:
    """The mainland mobile number in `phone` (spaces and dashes dropped), else None: a landline
    (0551-12345678) cannot receive an SMS."""
    number = re.sub(r"[\s-]", "", phone or "")
    return number if MOBILE_RE.match(number) else None


def title(subject: str) -> str:
    """The subject as a template variable: at most 20 characters, cut with an ellipsis."""
    subject = " ".join((subject or "").split())
    return subject if len(subject) <= TITLE_LENGTH else subject[:TITLE_LENGTH - 1] + "…"


class SmsChannel:
    key, label, audience = "sms", _l("短信"), "user"

    def __init__(self, provider: Provider, template: str):
        self.provider, self.template = provider, template

    def address(self, user) -> str | None:
        return mobile(user.phone)

    def send(self, message) -> None:
        self.provider.send(message.address, self.template, {"title": title(message.subject), "link": link(message)})


def link(message) -> str:
    """Where the message points: the notice's page, else the recipient's inbox (a template's link
    variable cannot be left empty)."""
    if message.url:
        return message.url
    from incubator.notifications import path_for
    from incubator.notifications.sending import absolute_url
    return absolute_url(path_for("notifications.inbox"))


def channel() -> SmsChannel | None:
    """The channel when INCUBATOR_SMS_URL is set and the plugin is not switched off everywhere."""
    from incubator.plugins import is_enabled
    config = current_app.config
    if not config.get("SMS_URL") or not is_enabled(PLUGIN):
        return None
    provider = HttpTemplateProvider(config["SMS_URL"], config.get("SMS_KEY") or "",
                                    config.get("SMS_SIGN") or SETTINGS["SMS_SIGN"])
    return SmsChannel(provider, config.get("SMS_TEMPLATE") or SETTINGS["SMS_TEMPLATE"])

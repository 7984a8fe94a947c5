"""Notifications: people learn what concerns them, in the site's inbox and on the channels they chose.

For plugins (docs/plugins.md, "Notifications"):

- declare kinds of notice with the `incubator_notification_kinds` hook (`Kind`);
- send with `notify(recipients, kind, subject, body, link, key=..., park=...)`, where `subject` and
  `body` are Chinese text or `msg("…%(name)s…", name=...)` (translated for each recipient);
- add channels with `incubator_notification_channels` (an e-mail channel is in the core; WeCom and SMS
  are plugins);
- return dated reminders from `incubator_reminders(on)` (`Reminder`), asked every hour by the worker.

The inbox entry is written in the request; every other channel is sent by `incubator worker`, with
retries and back-off (sending.py), so the page never waits for SMTP or a webhook.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Kind:
    key: str
    label: object
    channels: tuple = ("email",)  # the defaults, beside the inbox (always)
    optional: bool = True  # False: the recipient cannot turn it off
    roles: tuple = ()  # whose /me page offers the choice (empty: everyone's)
    park_group: bool = False  # also posted to the park's group channels (企业微信)


@dataclass(frozen=True)
class Message:
    """Chinese text with %(name)s parameters, translated for each recipient when shown or sent."""
    text: str
    params: dict = field(default_factory=dict)


def msg(text: str, **params) -> Message:
    return Message(text, params)


@dataclass(frozen=True)
class Reminder:
    recipients: object
    kind: str
    subject: object
    body: object = ""
    link: str = ""
    key: str = ""
    park: object = None


@dataclass(frozen=True)
class Outgoing:
    """What a channel sends: one notice, written for one recipient (or one park's group)."""
    kind: str
    subject: str
    body: str  # the notice's body alone (text and html are the whole message, for mail)
    text: str
    html: str
    url: str
    address: str
    locale: str
    park_code: str | None = None


def path_for(endpoint: str, **values) -> str:
    """`url_for`'s path, also where there is no request (the worker asking for reminders)."""
    from flask import current_app, has_request_context, url_for
    if has_request_context():
        return url_for(endpoint, **values)
    return current_app.url_map.bind("localhost").build(endpoint, values)


def notify(recipients, kind: str, subject, body="", link: str = "", *, key: str | None = None, park=None):
    """Tell `recipients` (users) about something; see services.notify."""
    from .services import notify as _notify
    return _notify(recipients, kind, subject, body, link, key=key, park=park)

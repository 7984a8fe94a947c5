"""The 企业微信群 channel: a park's notices posted to its group robot's webhook as Markdown.

INCUBATOR_WECOM_WEBHOOK_URL is one URL (the robot of every park) or `code=URL` pairs separated by
whitespace or `;`; a bare URL beside pairs is the robot of the parks not named. It is read into
WECOM_WEBHOOK_URLS ({park code or "*": URL}) when the plugin loads.
"""
from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from incubator.parks.services import CODE_RE

from . import PLUGIN

SETTING = "INCUBATOR_WECOM_WEBHOOK_URL"
EVERY_PARK = "*"
TIMEOUT = 10
MAX_CONTENT_BYTES = 4096  # WeCom refuses a markdown message longer than this (UTF-8)
ELLIPSIS = "…"


class WeComError(RuntimeError):
    """The robot's webhook refused a message: its HTTP status, or its `errcode` and `errmsg`."""

    def __init__(self, message: str, errcode=None, errmsg: str = ""):
        super().__init__(message)
        self.errcode, self.errmsg = errcode, errmsg


def webhook_urls(value: str) -> dict[str, str]:
    """{park code or "*": URL} from the setting's value; ValueError naming the setting otherwise."""
    found: dict[str, str] = {}
    for item in re.split(r"[\s;]+", value or ""):
        if not item:
            continue
        if item.startswith(("http://", "https://")):
            code, url = EVERY_PARK, item
        else:
            code, sep, url = item.partition("=")
            code = code.strip()
            if not sep:
                raise ValueError(f"{SETTING}: {item!r} is neither a URL nor code=URL")
            if code != EVERY_PARK and not CODE_RE.match(code):
                raise ValueError(f"{SETTING}: {code!r} is not a park code (lower-case letters, digits, -)")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{SETTING}: {url!r} (for {code}) is not an http(s) URL")
        if code in found:
            twice = "more than one URL for every park" if code == EVERY_PARK else f"park {code} is named twice"
            raise ValueError(f"{SETTING}: {twice}")
        found[code] = url
    return found


def configure(app) -> None:
    value = os.environ.get(SETTING) or app.config.get("WECOM_WEBHOOK_URL")
    if value:
        app.config["WECOM_WEBHOOK_URLS"] = webhook_urls(value)
    else:
        app.config.setdefault("WECOM_WEBHOOK_URLS", {})


def markdown(subject: str, body: str, url: str, more: str) -> str:
    """`**subject**`, the body quoted, a `[查看详情](url)` link; the body cut (…) to keep the whole
    within WeCom's 4096 bytes."""
    head, tail = f"**{subject}**", f"\n[{more}]({url})" if url else ""
    quoted = "\n".join("> " + line.strip() for line in (body or "").splitlines() if line.strip())

    def whole(quote: str) -> str:
        return head + ("\n" + quote if quote else "") + tail

    content = whole(quoted)
    if len(content.encode()) <= MAX_CONTENT_BYTES:
        return content
    room = MAX_CONTENT_BYTES - len(whole(ELLIPSIS).encode())
    cut = quoted.encode()[:max(room, 0)].decode(errors="ignore").rstrip()
    content = whole(cut + ELLIPSIS)
    # A subject and link that alone pass the limit (they cannot, as the core caps subjects): cut all.
    return content.encode()[:MAX_CONTENT_BYTES].decode(errors="ignore")


class WeComChannel:
    key, label, audience = "wecom", _l("企业微信群"), "park"

    def __init__(self, urls: dict[str, str]):
        self.urls = urls

    def address(self, park) -> str | None:
        """Where `park`'s notices go, as stored with each delivery: `park:<code>` (its own robot) or
        `*` (every park's) — never the URL, whose key is a secret (it stays in the configuration, and a
        retry after a new key uses the new one). None where there is no robot or the plugin is
        switched off for the park (/admin/plugins)."""
        from incubator.plugins import is_enabled
        if not is_enabled(PLUGIN, park):
            return None
        if park.code in self.urls:
            return f"park:{park.code}"
        return EVERY_PARK if EVERY_PARK in self.urls else None

    def url_for(self, address: str) -> str:
        url = self.urls.get(address.removeprefix("park:")) or self.urls.get(EVERY_PARK)
        if not url:
            raise WeComError(f"no robot configured for {address} any more ({SETTING})")
        return url

    def send(self, message) -> None:
        with force_locale(message.locale):
            more = _("查看详情")
        payload = {"msgtype": "markdown",
                   "markdown": {"content": markdown(message.subject, message.body, message.url, more)}}
        answer = post_json(self.url_for(message.address), payload)
        errcode = answer.get("errcode") if isinstance(answer, dict) else None
        if errcode != 0:
            errmsg = str(answer.get("errmsg", "")) if isinstance(answer, dict) else ""
            raise WeComError(f"errcode {errcode}: {errmsg or repr(answer)}", errcode, errmsg)


def post_json(url: str, payload: dict):
    """POST `payload` as JSON; the answer's JSON. WeComError for anything but 200 with JSON."""
    request = urllib.request.Request(url, data=json.dumps(payload, ensure_ascii=False).encode(), method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        raise WeComError(f"HTTP {exc.code}: {exc.read()[:300].decode(errors='replace')}") from None
    if status != 200:
        raise WeComError(f"HTTP {status}: {raw[:300].decode(errors='replace')}")
    try:
        return json.loads(raw)
    except ValueError:
        raise WeComError(f"HTTP {status}, not JSON: {raw[:300].decode(errors='replace')}") from None


def channel() -> WeComChannel | None:
    urls = current_app.config.get("WECOM_WEBHOOK_URLS")
    return WeComChannel(dict(urls)) if urls else None

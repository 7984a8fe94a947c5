"""SMS providers: what an adapter for a vendor implements (docs/sms.md, "Writing an adapter").

The contract is one method, `send(phone, template, params)`:

- `phone`: a mainland mobile number, 11 digits (`13812345678`);
- `template`: the template code registered with the vendor (INCUBATOR_SMS_TEMPLATE);
- `params`: the template's variables, `{"title": "…", "link": "https://…"}` (the title at most
  20 characters);

it returns when the vendor has accepted the message and raises otherwise (`SmsError` with the
vendor's code and message, so the administrator reads them on /admin/notifications). It runs in the
queue worker, which tries again later after a failure: it must time out (10 s), and it need not retry.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Protocol

TIMEOUT = 10


class SmsError(RuntimeError):
    """The provider refused a message: its code (and the HTTP status, when not 2xx) and its message."""

    def __init__(self, code, message: str, status: int | None = None):
        said = [f"HTTP {status}"] if status else []
        said += [f"code {code}"] if code is not None else []
        super().__init__(f"{', '.join(said) or 'refused'}: {message}")
        self.code, self.message, self.status = code, message, status


class Provider(Protocol):
    def send(self, phone: str, template: str, params: dict) -> None:
        """Send one template message; raise if the provider did not accept it."""


class HttpTemplateProvider:
    """A provider with a JSON API: `POST url` with `Authorization: Bearer <key>` and
    `{"to", "sign", "template", "params"}`; it answers 2xx with `{"code": 0}` when it accepted the
    message, anything else (with `message`) when it did not."""

    def __init__(self, url: str, key: str, sign: str, timeout: float = TIMEOUT):
        self.url, self.key, self.sign, self.timeout = url, key, sign, timeout

    def send(self, phone: str, template: str, params: dict) -> None:
        payload = {"to": phone, "sign": self.sign, "template": template, "params": params}
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if self.key:
            headers["Authorization"] = f"Bearer {self.key}"
        request = urllib.request.Request(self.url, data=json.dumps(payload, ensure_ascii=False).encode(),
                                         headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            raise SmsError(_answer(raw).get("code"), _reason(raw) or str(exc.reason), exc.code) from None
        answer = _answer(raw)  # {} for an answer that is not a JSON object: refused too
        if str(answer.get("code")) != "0":
            raise SmsError(answer.get("code"), _reason(raw))


def _answer(raw: bytes) -> dict:
    """The answer as a JSON object ({} for anything else)."""
    try:
        answer = json.loads(raw or b"null")
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


def _reason(raw: bytes) -> str:
    """The provider's own words for a refusal (`message`, as vendors also call it `msg` or `errmsg`)."""
    answer = _answer(raw)
    for field in ("message", "msg", "errmsg"):
        if answer.get(field):
            return str(answer[field])
    return raw[:200].decode(errors="replace")

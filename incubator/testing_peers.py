"""Real peers for tests, shared by the core's and the plugins' suites: an SMTP server (aiosmtpd)
that keeps what it receives, and a local HTTP server standing in for a webhook or SMS provider.

    def test_mail(app, mail_server):      # MAIL_URL points at it for the test
        ...
        assert mail_server.messages[0]["Subject"] == "…"

    def test_hook(http_peer):              # http_peer.url, http_peer.requests, http_peer.respond(...)
"""
from __future__ import annotations

import json
import socket
import threading
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MailServer:
    """What an aiosmtpd server received: `messages` (email.message.EmailMessage), `refuse(code)`
    makes it answer every message with that SMTP error until `accept()`."""

    def __init__(self):
        self.messages, self.refusing = [], None
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        if self.refusing:
            return self.refusing
        with self.lock:
            message = message_from_bytes(envelope.content, policy=policy.default)
            message.envelope_to = list(envelope.rcpt_tos)
            self.messages.append(message)
        return "250 OK"

    def refuse(self, reply: str = "451 4.3.0 mailbox temporarily unavailable") -> None:
        self.refusing = reply

    def accept(self) -> None:
        self.refusing = None


@pytest.fixture
def mail_server(app):
    from aiosmtpd.controller import Controller
    handler = MailServer()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    previous = app.config.get("MAIL_URL"), app.config.get("MAIL_FROM")
    app.config.update(MAIL_URL=f"smtp://127.0.0.1:{port}", MAIL_FROM="xueyuan@baohe.example.cn")
    handler.url = app.config["MAIL_URL"]
    try:
        yield handler
    finally:
        controller.stop()
        app.config["MAIL_URL"], app.config["MAIL_FROM"] = previous
    

class HttpPeer:
    """A local HTTP server that records each request (`requests`: dicts with method, path, headers,
    json) and answers with `respond(status, body)` (default 200 and `{"errcode": 0}`)."""

    def __init__(self):
        self.requests, self.status, self.body = [], 200, {"errcode": 0, "code": 0}
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    data = json.loads(raw or b"null")
                except ValueError:
                    data = None
                peer.requests.append({"method": "POST", "path": self.path, "headers": dict(self.headers),
                                      "json": data, "raw": raw})
                body = json.dumps(peer.body).encode()
                self.send_response(peer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def respond(self, status: int, body) -> None:
        self.status, self.body = status, body


@pytest.fixture
def http_peer():
    peer = HttpPeer()
    peer.thread.start()
    try:
        yield peer
    finally:
        peer.server.shutdown()
        peer.server.server_close()

"""Notify fixtures: a real SMTP server (aiosmtpd) and a local fake of the SMS providers' HTTP APIs."""

from __future__ import annotations

import pytest
from aiosmtpd.controller import Controller

from crm_shared.stack import free_port
from tests.notify.fake_sms import FakeSmsServer


class Mailbox:
    """aiosmtpd handler keeping every accepted message; `refuse` makes RCPT fail with 550."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield box, controller.hostname, controller.port
    finally:
        controller.stop()


@pytest.fixture
def sms_server():
    server = FakeSmsServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()

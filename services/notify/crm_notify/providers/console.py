"""`console`: the development default and the test double; records what would be sent."""

from __future__ import annotations

import logging

from pydantic import Field

from crm_shared.ids import utcnow, uuid7
from crm_notify.providers.base import Outgoing, Provider, ProviderSettings, SendResult

log = logging.getLogger("crm.notify.console")
COLLECTION = "console_outbox"


class ConsoleSettings(ProviderSettings):
    collection: str = Field(COLLECTION, max_length=60, title="Collection", description="Where sends are recorded.")


class ConsoleProvider(Provider):
    """Writes each send to the log and to a collection of the notify database."""

    name = "console"
    channels = ("sms", "email", "wecom")
    Settings = ConsoleSettings

    async def send(self, message: Outgoing) -> SendResult:
        ref = f"console-{uuid7()}"
        await self.db[self.settings.collection].insert_one({
            "_id": ref, "message_id": message.message_id, "channel": message.channel, "to": message.to,
            "subject": message.subject, "body": message.body, "segments": message.segments,
            "branch_id": message.branch_id, "at": utcnow(),
        })
        log.info("console send", extra={"message_id": message.message_id, "channel": message.channel,
                                         "subject": message.subject, "body": message.body[:500]})
        return SendResult([ref], parts=message.segments)

"""Create or update the event streams at start, idempotently."""

from __future__ import annotations

from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from crm_shared.config import Settings


def stream_configs(settings: Settings) -> list[StreamConfig]:
    window = float(settings.duplicate_window_seconds)
    return [
        StreamConfig(
            name=settings.stream_name,
            subjects=[f"{settings.subject_prefix}.>"],
            storage=StorageType.FILE,
            retention=RetentionPolicy.LIMITS,
            discard=DiscardPolicy.OLD,
            num_replicas=settings.stream_replicas,
            duplicate_window=window,
            description="Every CRM event: crm.<branch_id>.<type>. Kept for replay (reports rebuild).",
        ),
        StreamConfig(
            name=settings.dead_letter_stream,
            subjects=[f"{settings.dead_letter_prefix}.>"],
            storage=StorageType.FILE,
            retention=RetentionPolicy.LIMITS,
            num_replicas=settings.stream_replicas,
            duplicate_window=window,
            description="Messages a consumer gave up on, with the error: <prefix>.<service>.<consumer>.",
        ),
    ]


async def ensure_streams(js: JetStreamContext, settings: Settings) -> None:
    """Add each stream, or update it to the wanted config; safe on every start and replica."""
    for config in stream_configs(settings):
        try:
            await js.stream_info(config.name)
        except NotFoundError:
            await js.add_stream(config)
        else:
            await js.update_stream(config)

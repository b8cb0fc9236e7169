"""Create or update the event streams at start, idempotently.

Retention (docs/architecture.md, "Retention"): the event stream keeps
`CRM_STREAM_MAX_AGE_DAYS` (default 3 years) because the reports rebuild its read models by
replaying it and compares periods up to a year apart with room to spare; older events age
out, and a rebuild then starts from the oldest kept. `CRM_STREAM_MAX_BYTES` caps it on disk
(-1: no cap). The dead-letter stream is for tooling and keeps less
(`CRM_DEAD_LETTER_MAX_AGE_DAYS`, default 30; each service's `dead_letters` collection keeps
its records `CRM_DEAD_LETTER_RETENTION_DAYS`).
"""

from __future__ import annotations

from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from crm_shared.config import Settings

DAY = 86400.0


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
            max_age=settings.stream_max_age_days * DAY,
            max_bytes=settings.stream_max_bytes,
            description="Every CRM event: crm.<branch_id>.<type>. Kept for replay (reports rebuild).",
        ),
        StreamConfig(
            name=settings.dead_letter_stream,
            subjects=[f"{settings.dead_letter_prefix}.>"],
            storage=StorageType.FILE,
            retention=RetentionPolicy.LIMITS,
            discard=DiscardPolicy.OLD,
            num_replicas=settings.stream_replicas,
            duplicate_window=window,
            max_age=settings.dead_letter_max_age_days * DAY,
            max_bytes=settings.dead_letter_max_bytes,
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

"""What every bench shares: settings with uuid-named stream, subjects and databases."""

from __future__ import annotations

import uuid

from crm_shared.config import Settings


def bench_settings(mongo_url: str, nats_url: str, letter: str = "b", **overrides) -> Settings:
    tag = f"{letter}{uuid.uuid4().hex[:8]}"
    return Settings(mongo_url=mongo_url, nats_url=nats_url, stream_name=tag.upper(), subject_prefix=tag,
                    dead_letter_stream=f"{tag.upper()}_DLQ", dead_letter_prefix=f"{tag}dlq", db_prefix=f"{tag}_",
                    **overrides)

import nats
from nats.js.api import StorageType

from crm_shared.bus.streams import ensure_streams
from tests.support.runtime import isolated_settings


async def test_stream_setup_is_idempotent_across_restarts(urls):
    settings = isolated_settings(*urls, duplicate_window_seconds=900)
    nc = await nats.connect(settings.nats_url)
    js = nc.jetstream()
    try:
        await ensure_streams(js, settings)
        await js.publish(f"{settings.subject_prefix}.b1.x.happened", b"{}", stream=settings.stream_name)
        for _ in range(3):  # every start of every replica runs it
            await ensure_streams(js, settings)
        info = await js.stream_info(settings.stream_name)
        assert info.config.subjects == [f"{settings.subject_prefix}.>"]
        assert info.config.storage == StorageType.FILE
        assert info.config.duplicate_window == 900
        assert info.state.messages == 1, "re-running set-up must not drop data"
        dlq = await js.stream_info(settings.dead_letter_stream)
        assert dlq.config.subjects == [f"{settings.dead_letter_prefix}.>"]
    finally:
        await js.delete_stream(settings.stream_name)
        await js.delete_stream(settings.dead_letter_stream)
        await nc.close()


async def test_changed_settings_update_the_existing_stream(urls):
    settings = isolated_settings(*urls)
    nc = await nats.connect(settings.nats_url)
    js = nc.jetstream()
    try:
        await ensure_streams(js, settings)
        await ensure_streams(js, settings.model_copy(update={"duplicate_window_seconds": 1200}))
        assert (await js.stream_info(settings.stream_name)).config.duplicate_window == 1200
    finally:
        await js.delete_stream(settings.stream_name)
        await js.delete_stream(settings.dead_letter_stream)
        await nc.close()

"""CRM_STREAM_REPLICAS reaches every JetStream asset the services create: the event stream, the dead-letter
stream and the per-customer key bucket (3 on a 3-node cluster: each survives the loss of a node)."""

from __future__ import annotations

import os
from unittest import mock

import pytest

from crm_shared.bus.streams import stream_configs
from crm_shared.config import Settings
from crm_shared.sealing import bucket_config


@pytest.mark.unit
@pytest.mark.parametrize("replicas", [1, 3])
def test_streams_and_the_key_bucket_take_the_replicas_setting(replicas):
    with mock.patch.dict(os.environ, {"CRM_STREAM_REPLICAS": str(replicas)}, clear=True):
        settings = Settings()
    assert [(c.name, c.num_replicas) for c in stream_configs(settings)] == [("CRM", replicas), ("CRM_DLQ", replicas)]
    assert (bucket_config(settings).bucket, bucket_config(settings).replicas) == ("CRM_KEYS", replicas)


@pytest.mark.unit
def test_a_replica_count_nats_cannot_hold_is_refused():
    with mock.patch.dict(os.environ, {"CRM_STREAM_REPLICAS": "6"}, clear=True), pytest.raises(ValueError, match="stream_replicas"):
        Settings()

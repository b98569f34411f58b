"""The Redis message queue between server processes: a batch's events go out together, in
order, in the format every other process reads (real Redis)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
import redis

from swarm.realtime.queue import BatchingRedisManager

pytestmark = pytest.mark.redis


@pytest.fixture
def channel_and_listener(redis_url: str) -> Any:
    """A channel of this test's own, and a subscriber on it."""
    channel = f"swarm-test-{uuid.uuid4().hex}"
    client = redis.Redis.from_url(redis_url)
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(channel)
    pubsub.get_message(timeout=1)  # the subscription's confirmation
    yield channel, pubsub
    pubsub.close()
    client.close()


def heard(pubsub: Any, wait: float, expect: int | None = None) -> list[dict[str, Any]]:
    """The messages that arrive within ``wait`` seconds (or until ``expect`` did), decoded."""
    out: list[dict[str, Any]] = []
    deadline = time.monotonic() + wait
    while (left := deadline - time.monotonic()) > 0 and len(out) != expect:
        message = pubsub.get_message(timeout=left)
        if message is not None:
            out.append(json.loads(message["data"]))
    return out


def emit(n: int) -> dict[str, Any]:
    return {"method": "emit", "event": "ticket_event", "data": [{"n": n}], "host_id": "h"}


def test_publishes_inside_a_batch_go_out_together_when_it_ends_in_order(
    redis_url, channel_and_listener
):
    channel, pubsub = channel_and_listener
    manager = BatchingRedisManager(redis_url, channel=channel)
    with manager.batch():
        for n in range(3):
            manager._publish(emit(n))
        with manager.batch():  # a nested block belongs to the outer one
            manager._publish(emit(3))
        assert heard(pubsub, 0.3) == []  # nothing out yet
    assert [m["data"][0]["n"] for m in heard(pubsub, 5.0, expect=4)] == [0, 1, 2, 3]


def test_outside_a_batch_each_publish_goes_out_at_once(redis_url, channel_and_listener):
    channel, pubsub = channel_and_listener
    manager = BatchingRedisManager(redis_url, channel=channel)
    manager._publish(emit(7))
    assert heard(pubsub, 5.0, expect=1) == [emit(7)]


def test_a_batch_that_raises_still_tells_the_other_processes(redis_url, channel_and_listener):
    """What was emitted was already delivered in this process; the others must hear it too."""
    channel, pubsub = channel_and_listener
    manager = BatchingRedisManager(redis_url, channel=channel)
    with pytest.raises(RuntimeError), manager.batch():
        manager._publish(emit(1))
        raise RuntimeError("the notifier broke half-way")
    assert heard(pubsub, 5.0, expect=1) == [emit(1)]

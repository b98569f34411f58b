"""Presence shared through Redis by several processes (here: several RedisPresence objects,
each standing for one process, on real Redis): connections of a process that stopped beating
stop counting, and a Redis that lost everything learns every live connection back."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator

import pytest
import redis

from swarm.realtime.presence import RedisPresence

pytestmark = pytest.mark.redis


@pytest.fixture
def process(redis_url: str) -> Iterator[Callable[..., RedisPresence]]:
    """Makes "processes" sharing one namespace of this test's own."""
    namespace = f"swarm-test-{uuid.uuid4().hex}"
    made: list[RedisPresence] = []

    def make(liveness: int = 30) -> RedisPresence:
        presence = RedisPresence(redis_url, namespace, liveness=liveness)
        presence.beat()
        made.append(presence)
        return presence

    yield make
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(f"{namespace}:*"))
    if keys:
        client.delete(*keys)


def forget_everything(presence: RedisPresence) -> None:
    """What a Redis restart without persistence does to this namespace."""
    client = presence._redis
    keys = list(client.scan_iter(f"{presence._namespace}:*"))
    if keys:
        client.delete(*keys)


def test_tabs_in_two_processes_make_one_presence(process):
    a, b = process(), process()
    assert a.add(7, 1, "tab-1") is True
    assert b.add(7, 1, "tab-2") is False
    assert a.remove(7, 1, "tab-1") is False
    assert a.here(7, 1) and b.here(7, 1)
    assert b.remove(7, 1, "tab-2") is True
    assert not a.here(7, 1)
    assert a.present([(7, 1), (7, 2)]) == set()


def test_connections_of_a_process_that_stopped_beating_stop_counting(process):
    survivor, victim = process(), process(liveness=1)
    victim.add(7, 1, "helper-tab")
    survivor.add(7, 2, "owner-tab")
    assert survivor.present([(7, 1), (7, 2)]) == {(7, 1), (7, 2)}

    time.sleep(1.5)  # the victim's key expires: it was killed and beats no more

    assert survivor.present([(7, 1), (7, 2)]) == {(7, 2)}
    assert not survivor.here(7, 1)
    # The helper reconnects to the survivor: that is their first live connection again.
    assert survivor.add(7, 1, "helper-again") is True


def test_a_redis_that_lost_everything_learns_live_connections_back_at_the_next_beat(process):
    a, b = process(), process()
    a.add(7, 1, "tab-1")
    b.add(8, 2, "tab-2")
    assert a.settled() is False  # the count began less than a liveness ago
    forget_everything(a)
    assert not a.here(7, 1) and not a.here(8, 2)
    assert a.settled() is False

    a.beat()
    b.beat()

    assert a.present([(7, 1), (8, 2)]) == {(7, 1), (8, 2)}
    assert a.mine() == {(7, 1)} and b.mine() == {(8, 2)}


def test_presence_settles_one_liveness_after_the_count_began(process):
    a = process(liveness=1)
    assert a.settled() is False
    time.sleep(1.1)
    a.beat()
    assert a.settled() is True


def test_a_removed_connection_is_not_written_back_by_a_beat(process):
    a = process()
    a.add(7, 1, "tab-1")
    a.remove(7, 1, "tab-1")
    a.beat()
    assert not a.here(7, 1) and a.mine() == set()

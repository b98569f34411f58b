"""Who is in which room, counted by connection, so that presence is right across several tabs
and — with Redis — across several server processes.

A person enters a room with their first connection to it and leaves with their last: only
those two moments touch the database (participations, ``helper_joined``/``helper_left``).
"""

from __future__ import annotations

import threading
from collections import defaultdict
from typing import Protocol


class Presence(Protocol):
    def add(self, ticket_id: int, user_id: int, sid: str) -> bool:
        """Record a connection in the room; True when it is the user's first there."""

    def remove(self, ticket_id: int, user_id: int, sid: str) -> bool:
        """Forget a connection; True when it was the user's last there."""


class MemoryPresence:
    """For one process (the embedded default)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sids: dict[tuple[int, int], set[str]] = defaultdict(set)

    def add(self, ticket_id: int, user_id: int, sid: str) -> bool:
        with self._lock:
            sids = self._sids[(ticket_id, user_id)]
            first = not sids
            sids.add(sid)
            return first

    def remove(self, ticket_id: int, user_id: int, sid: str) -> bool:
        with self._lock:
            sids = self._sids.get((ticket_id, user_id))
            if not sids or sid not in sids:
                return False
            sids.discard(sid)
            if sids:
                return False
            del self._sids[(ticket_id, user_id)]
            return True


# Atomic in Redis: add the sid and tell whether the set was empty before.
_ADD = """
local before = redis.call('SCARD', KEYS[1])
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return before
"""
_REMOVE = """
local removed = redis.call('SREM', KEYS[1], ARGV[1])
if removed == 0 then return -1 end
return redis.call('SCARD', KEYS[1])
"""


class RedisPresence:
    """Shared by every process that uses the same Redis (the scale-out setup).

    Keys expire after ``ttl`` seconds without activity, so the connections of a process that
    died without saying goodbye do not keep people "present" for ever.
    """

    def __init__(self, url: str, namespace: str = "swarm", ttl: int = 6 * 3600) -> None:
        import redis

        self._redis = redis.Redis.from_url(url)
        self._namespace = namespace
        self._ttl = ttl
        self._add = self._redis.register_script(_ADD)
        self._remove = self._redis.register_script(_REMOVE)

    def _key(self, ticket_id: int, user_id: int) -> str:
        return f"{self._namespace}:presence:{ticket_id}:{user_id}"

    def add(self, ticket_id: int, user_id: int, sid: str) -> bool:
        return int(self._add(keys=[self._key(ticket_id, user_id)], args=[sid, self._ttl])) == 0

    def remove(self, ticket_id: int, user_id: int, sid: str) -> bool:
        return int(self._remove(keys=[self._key(ticket_id, user_id)], args=[sid])) == 0

"""Who is in which room, counted by connection, so that presence is right across several tabs
and — with Redis — across several server processes, including one that died without a word.

Presence is who has a ticket's room open now: the people list and typing. It is never written
as a ticket event and is never evidence of work (a stint in the swarm begins when someone acts:
``swarm/tickets/rooms.py``). A person enters a room with their first connection to it and leaves
with their last. A process killed with ``kill -9`` says no goodbyes, so every serving process
also runs :func:`swarm.realtime.keeper.keep_presence`: it tells the others it is alive
(:meth:`beat`), so that the connections of a dead one stop counting (:meth:`here`).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable
from typing import Any, Protocol


class Presence(Protocol):
    def add(self, ticket_id: int, user_id: int, sid: str) -> bool:
        """Record a connection in the room; True when it is the user's first there."""

    def remove(self, ticket_id: int, user_id: int, sid: str) -> bool:
        """Forget a connection; True when it was the user's last there."""

    def here(self, ticket_id: int, user_id: int) -> bool:
        """Whether the user has a live connection in the room, in any process."""

    def present(self, pairs: Iterable[tuple[int, int]]) -> set[tuple[int, int]]:
        """Those of ``(ticket_id, user_id)`` with a live connection, in any process."""

    def people(self, ticket_id: int) -> set[int]:
        """Who has the ticket's room open now, on any live process."""

    def mine(self) -> set[tuple[int, int]]:
        """``(ticket_id, user_id)`` of this process's connections."""

    def beat(self) -> None:
        """Tell the other processes this one is alive, and keep its connections counted."""

    def settled(self) -> bool:
        """Whether every live process has counted its connections since the count began, so
        that :meth:`here` saying False means gone (not: not yet told again)."""


class MemoryPresence:
    """For one process (the embedded default). After a restart it is empty: the people of
    the crashed process are absent, unless they reconnect within ``grace`` seconds."""

    def __init__(self, grace: float = 30.0) -> None:
        self._lock = threading.Lock()
        self._sids: dict[tuple[int, int], set[str]] = defaultdict(set)
        self._started = time.monotonic()
        self._grace = grace

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

    def here(self, ticket_id: int, user_id: int) -> bool:
        with self._lock:
            return bool(self._sids.get((ticket_id, user_id)))

    def present(self, pairs: Iterable[tuple[int, int]]) -> set[tuple[int, int]]:
        with self._lock:
            return {pair for pair in pairs if self._sids.get(pair)}

    def people(self, ticket_id: int) -> set[int]:
        with self._lock:
            return {
                user for (ticket, user), sids in self._sids.items() if ticket == ticket_id and sids
            }

    def mine(self) -> set[tuple[int, int]]:
        with self._lock:
            return {pair for pair, sids in self._sids.items() if sids}

    def beat(self) -> None:
        """Nothing to tell: there is no other process."""

    def settled(self) -> bool:
        return time.monotonic() - self._started >= self._grace


# Each member of a room's set is "<process>:<sid>". A process is alive while its key
# <namespace>:presence:alive:<process> exists (it renews it every beat); members of dead
# processes are dropped before anything is counted. The scripts read those keys by name,
# which standalone Redis allows (a Redis Cluster would need them in KEYS).
_PRUNE = """
local function prune(key, prefix)
    local live = 0
    for _, member in ipairs(redis.call('SMEMBERS', key)) do
        local process = string.match(member, '^([^:]+):')
        if process and redis.call('EXISTS', prefix .. process) == 1 then
            live = live + 1
        else
            redis.call('SREM', key, member)
        end
    end
    return live
end
"""
# ARGV: member, key ttl, alive prefix, own alive key, liveness ttl. Returns the live count before.
_ADD = (
    _PRUNE
    + """
redis.call('SET', ARGV[4], '1', 'EX', ARGV[5])
local before = prune(KEYS[1], ARGV[3])
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return before
"""
)
# ARGV: member, alive prefix. Returns -1 when the member was not there, else the live count after.
_REMOVE = (
    _PRUNE
    + """
if redis.call('SREM', KEYS[1], ARGV[1]) == 0 then return -1 end
return prune(KEYS[1], ARGV[2])
"""
)
# ARGV: alive prefix. Returns the live count.
_HERE = _PRUNE + "return prune(KEYS[1], ARGV[1])"


class RedisPresence:
    """Shared by every process that uses the same Redis (the scale-out setup).

    A process is alive while it renews its key every beat (``liveness`` seconds to live);
    the connections of a dead one stop counting as soon as its key expires. Each process also
    writes its own connections again at every beat, so a Redis that restarted empty learns
    them back within one beat: :meth:`settled` says False until ``liveness`` seconds after the
    count began, long enough for every live process to have done so. Rooms' keys expire after
    ``ttl`` idle seconds, so nothing is left behind in Redis either.
    """

    def __init__(
        self, url: str, namespace: str = "swarm", ttl: int = 6 * 3600, liveness: int = 30
    ) -> None:
        import redis

        self._redis = redis.Redis.from_url(url)
        self._namespace = namespace
        self._ttl = ttl
        self._liveness = liveness
        self.process = uuid.uuid4().hex[:16]
        self._alive_prefix = f"{namespace}:presence:alive:"
        self._lock = threading.Lock()
        self._mine: dict[tuple[int, int], set[str]] = defaultdict(set)
        self._add = self._redis.register_script(_ADD)
        self._remove = self._redis.register_script(_REMOVE)
        self._here = self._redis.register_script(_HERE)

    def _key(self, ticket_id: int, user_id: int) -> str:
        return f"{self._namespace}:presence:{ticket_id}:{user_id}"

    def _people_key(self, ticket_id: int) -> str:
        # Who may be in the ticket's room: each member is checked against _key before counting.
        return f"{self._namespace}:presence:people:{ticket_id}"

    @property
    def _alive_key(self) -> str:
        return self._alive_prefix + self.process

    @property
    def _epoch_key(self) -> str:
        return f"{self._namespace}:presence:epoch"

    def add(self, ticket_id: int, user_id: int, sid: str) -> bool:
        args = [
            f"{self.process}:{sid}",
            self._ttl,
            self._alive_prefix,
            self._alive_key,
            self._liveness,
        ]
        # Under the lock, so that a beat cannot write the member first and make it not count
        # as the first connection.
        with self._lock:
            self._mine[(ticket_id, user_id)].add(sid)
            first = int(self._add(keys=[self._key(ticket_id, user_id)], args=args)) == 0
            self._index(self._redis, ticket_id, (user_id,))
            return first

    def _index(self, client: Any, ticket_id: int, user_ids: Iterable[int]) -> None:
        key = self._people_key(ticket_id)
        client.sadd(key, *user_ids)
        client.expire(key, self._ttl)

    def remove(self, ticket_id: int, user_id: int, sid: str) -> bool:
        member = f"{self.process}:{sid}"
        # Under the lock, so that a beat cannot write the member back after it was removed.
        with self._lock:
            sids = self._mine.get((ticket_id, user_id))
            if sids is not None:
                sids.discard(sid)
                if not sids:
                    del self._mine[(ticket_id, user_id)]
            key = self._key(ticket_id, user_id)
            left = int(self._remove(keys=[key], args=[member, self._alive_prefix]))
        return left == 0

    def here(self, ticket_id: int, user_id: int) -> bool:
        return int(self._here(keys=[self._key(ticket_id, user_id)], args=[self._alive_prefix])) > 0

    def present(self, pairs: Iterable[tuple[int, int]]) -> set[tuple[int, int]]:
        pairs = list(pairs)
        if not pairs:
            return set()
        pipe = self._redis.pipeline(transaction=False)
        for ticket_id, user_id in pairs:
            self._here(keys=[self._key(ticket_id, user_id)], args=[self._alive_prefix], client=pipe)
        return {pair for pair, live in zip(pairs, pipe.execute(), strict=True) if int(live) > 0}

    def people(self, ticket_id: int) -> set[int]:
        key = self._people_key(ticket_id)
        candidates = [int(u) for u in self._redis.smembers(key)]
        here = {u for _, u in self.present((ticket_id, u) for u in candidates)}
        gone = set(candidates) - here
        if gone:
            # Someone who arrives between the look and this is indexed again at the next beat.
            self._redis.srem(key, *gone)
        return here

    def mine(self) -> set[tuple[int, int]]:
        with self._lock:
            return set(self._mine)

    def beat(self) -> None:
        with self._lock:
            pipe = self._redis.pipeline(transaction=False)
            pipe.set(self._alive_key, "1", ex=self._liveness)
            # The first beat after Redis lost everything starts a new count.
            pipe.set(self._epoch_key, str(time.time()), nx=True)
            for (ticket_id, user_id), sids in self._mine.items():
                key = self._key(ticket_id, user_id)
                pipe.sadd(key, *(f"{self.process}:{sid}" for sid in sids))
                pipe.expire(key, self._ttl)
                self._index(pipe, ticket_id, (user_id,))
            pipe.execute()

    def settled(self) -> bool:
        began = self._redis.get(self._epoch_key)
        if began is None:
            return False
        return time.time() - float(began) >= self._liveness

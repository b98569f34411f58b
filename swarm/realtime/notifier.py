"""Committed ticket events, delivered to Socket.IO rooms as ``ticket_event``."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from flask_socketio import SocketIO
from socketio import PubSubManager

from swarm.clock import Clock
from swarm.events import LIVE_SOURCE, Audience
from swarm.realtime.names import (
    audience_room,
    dashboard_room,
    queue_room,
    staff_room,
    user_room,
)
from swarm.tickets.notify import EventPayload
from swarm.tickets.payloads import live_view

log = logging.getLogger(__name__)

EVENT = "ticket_event"
#: Sent to the dashboards' room when live tickets changed: ``{source, at}``, nothing else.
METRICS_CHANGED = "metrics_changed"
#: The audiences other than staff, each with a room of its own per ticket.
OUTSIDERS = (Audience.REQUESTER, Audience.GUEST)


def live_shape(event: EventPayload) -> dict[str, Any]:
    """The protocol's flat payload as staff receive it: ``{type, ticket_id, at, actor, id,
    …data, …extras}``."""
    shaped = live_view(event, Audience.STAFF)
    assert shaped is not None  # staff see every event
    return shaped


class SocketNotifier:
    """Sends each event to its ticket's audience rooms, shaped for each (staff whole; the
    requester and guests only what ``swarm.events.view`` grants them, and nothing at all when
    it grants nothing), and some to a person wherever they are: an invitation to the invitee,
    an offer of help to the owner (both staff)."""

    def __init__(self, socketio: SocketIO, pulse: MetricsPulse | None = None) -> None:
        self.socketio = socketio
        self.pulse = pulse

    def publish(self, events: Sequence[EventPayload]) -> None:
        # With the Redis queue, the other processes hear the whole batch in one round trip.
        batch = getattr(self.socketio.server.manager, "batch", contextlib.nullcontext)
        with batch():
            self._publish(events)
        # Room chatter (messages, notes) moves no headline figure: the dashboards' minute
        # re-read picks it up, so a busy room does not make every manager re-read.
        if self.pulse is not None and any(
            event.get("source", LIVE_SOURCE) == LIVE_SOURCE
            and event.get("type") not in QUIET_FOR_DASHBOARDS
            for event in events
        ):
            self.pulse.changed()

    def _publish(self, events: Sequence[EventPayload]) -> None:
        for event in events:
            payload = live_shape(event)
            try:
                self.socketio.emit(EVENT, payload, to=staff_room(event["ticket_id"]))
                for audience in OUTSIDERS:
                    room = audience_room(event["ticket_id"], audience)
                    if not self._may_have_members(room):
                        continue
                    shaped = live_view(event, audience)
                    if shaped is not None:
                        self.socketio.emit(EVENT, shaped, to=room)
                personal = self._personal(event)
                if personal is not None:
                    self.socketio.emit(EVENT, payload, to=user_room(personal))
                for tier in self._queues(event):
                    self.socketio.emit(
                        "queue_changed",
                        {"tier": tier, "ticket_id": event["ticket_id"], "type": event["type"]},
                        to=queue_room(tier),
                    )
            except Exception:  # delivery is best effort; the database already has it all
                log.exception(
                    "could not deliver %s of ticket %s", event["type"], event["ticket_id"]
                )

    def _may_have_members(self, room: str) -> bool:
        return may_have_members(self.socketio, room)

    @staticmethod
    def _queues(event: EventPayload) -> set[int]:
        """The tier queues a tiered ticket's event changes: where it is, where it came from."""
        if event.get("mode") != "tiered":
            return set()
        data = event.get("data", {})
        tiers = {event.get("tier"), data.get("tier"), data.get("from_tier"), data.get("to_tier")}
        return {int(t) for t in tiers if isinstance(t, int)}

    @staticmethod
    def _personal(event: EventPayload) -> int | None:
        if event["type"] == "helper_invited":
            return int(event["data"]["agent_id"])
        if event["type"] == "help_offered" and event.get("owner_id"):
            return int(event["owner_id"])
        if event["type"] == "offer_declined":  # its maker hears the answer
            return int(event["data"]["agent_id"])
        return None


def may_have_members(socketio: SocketIO, room: str) -> bool:
    """Whether an emit to ``room`` can reach anyone. One process knows its rooms: most
    tickets have no requester or guest connected, and an emit encodes its packet even for an
    empty room (the benchmark's rooms p50 rose 5 → 15 ms with a second emit per message).
    Behind a message queue the other processes' members are unknown: always."""
    manager = socketio.server.manager
    if isinstance(manager, PubSubManager):
        return True
    return bool(manager.rooms.get("/", {}).get(room))


#: Events that do not make open dashboards re-read at once (see ``SocketNotifier.publish``).
QUIET_FOR_DASHBOARDS = frozenset({"message", "note"})


class MetricsPulse:
    """Tells the open dashboards that live tickets changed, at most once per ``interval``
    seconds in this process: each dashboard re-reads every metric on the news, and a burst of
    changes (a busy desk, a bulk import of live tickets) must not become a burst of re-reads.
    A change inside the interval is announced when the interval ends, so the last change of
    a burst is never left out; the pages also re-read every minute in case a pulse is lost.
    """

    def __init__(
        self,
        socketio: SocketIO,
        clock: Clock,
        interval: float = 2.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.socketio = socketio
        self.clock = clock
        self.interval = interval
        self.monotonic = monotonic
        self._lock = threading.Lock()
        self._last = -float("inf")
        self._scheduled = False

    def changed(self) -> None:
        if not may_have_members(self.socketio, dashboard_room()):
            return
        with self._lock:
            now = self.monotonic()
            wait = self._last + self.interval - now
            if wait > 0:
                if self._scheduled:
                    return
                self._scheduled = True
            else:
                self._last = now
        if wait > 0:
            self.socketio.start_background_task(self._later, wait)
        else:
            self._emit()

    def _later(self, wait: float) -> None:
        self.socketio.sleep(wait)
        with self._lock:
            self._scheduled = False
            self._last = self.monotonic()
        self._emit()

    def _emit(self) -> None:
        try:
            self.socketio.emit(
                METRICS_CHANGED,
                {"source": LIVE_SOURCE, "at": self.clock.now().isoformat()},
                to=dashboard_room(),
            )
        except Exception:  # best effort, as every live delivery: the pages re-read anyway
            log.exception("could not tell the dashboards that the metrics changed")


class FanoutNotifier:
    """Several notifiers in turn (the socket rooms and, in tests, a recorder)."""

    def __init__(self, *notifiers: Any) -> None:
        self.notifiers = notifiers

    def publish(self, events: Sequence[EventPayload]) -> None:
        for notifier in self.notifiers:
            notifier.publish(events)


#: Sent to a person's own room (``user_room``) for each new notification of theirs.
NOTIFICATION = "notification"


class SocketNotifications:
    """Committed notifications to their recipients' personal rooms (every tab they have open),
    as ``notification``: ``{id, kind, ticket_id, subject, at}``. Best effort: the bell and the
    page read the database, so a lost emit costs only immediacy."""

    def __init__(self, socketio: SocketIO) -> None:
        self.socketio = socketio

    def deliver(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            shaped = {k: v for k, v in row.items() if k != "recipient_id"}
            try:
                self.socketio.emit(NOTIFICATION, shaped, to=user_room(row["recipient_id"]))
            except Exception:
                log.exception("could not deliver notification %s", row.get("id"))

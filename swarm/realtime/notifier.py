"""Committed ticket events, delivered to Socket.IO rooms as ``ticket_event``."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from typing import Any

from flask_socketio import SocketIO
from socketio import PubSubManager

from swarm.events import Audience
from swarm.realtime.names import audience_room, queue_room, staff_room, user_room
from swarm.tickets.notify import EventPayload
from swarm.tickets.payloads import live_view

log = logging.getLogger(__name__)

EVENT = "ticket_event"
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

    def __init__(self, socketio: SocketIO) -> None:
        self.socketio = socketio

    def publish(self, events: Sequence[EventPayload]) -> None:
        # With the Redis queue, the other processes hear the whole batch in one round trip.
        batch = getattr(self.socketio.server.manager, "batch", contextlib.nullcontext)
        with batch():
            self._publish(events)

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
        """Whether an emit to ``room`` can reach anyone. One process knows its rooms: most
        tickets have no requester or guest connected, and an emit encodes its packet even for
        an empty room (the benchmark's rooms p50 rose 5 → 15 ms with a second emit per
        message). Behind a message queue the other processes' members are unknown: always."""
        manager = self.socketio.server.manager
        if isinstance(manager, PubSubManager):
            return True
        return bool(manager.rooms.get("/", {}).get(room))

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
        return None


class FanoutNotifier:
    """Several notifiers in turn (the socket rooms and, in tests, a recorder)."""

    def __init__(self, *notifiers: Any) -> None:
        self.notifiers = notifiers

    def publish(self, events: Sequence[EventPayload]) -> None:
        for notifier in self.notifiers:
            notifier.publish(events)

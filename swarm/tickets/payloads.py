"""Plain dictionaries for what leaves the domain: the API, the live rooms and exports."""

from __future__ import annotations

from typing import Any

from swarm.events import Audience, view
from swarm.models import TicketEvent, User
from swarm.tickets.notify import EventPayload


def user_ref(user: User | None) -> dict[str, Any] | None:
    return None if user is None else {"id": user.id, "name": user.name}


#: Who a message without an author is from: a reply an automation rule posted speaks for the
#: support team, to the requester and to staff alike (the rule is named in the staff-only
#: ``rule_fired`` event, never in the conversation).
AUTOMATIC_AUTHOR: dict[str, Any] = {"id": None, "name": "Support team", "automatic": True}


def author_ref(user: User | None) -> dict[str, Any]:
    """A message's author as clients see it: the person, or :data:`AUTOMATIC_AUTHOR`."""
    return dict(AUTOMATIC_AUTHOR) if user is None else {"id": user.id, "name": user.name}


def event_payload(event: TicketEvent | Any) -> dict[str, Any]:
    """The one shape of an event everywhere: ``{id, type, ticket_id, at, actor, data}`` (of a
    row, or of an audience's ``VisibleEvent``)."""
    return {
        "id": event.id,
        "type": event.type,
        "ticket_id": event.ticket_id,
        "at": event.at.isoformat(),
        "actor": user_ref(event.actor),
        "data": dict(event.data or {}),
    }


# What a live payload carries beside the event's data that an audience other than staff may
# receive: the protocol's envelope, and a message event's message (its kind was checked).
_ENVELOPE = frozenset({"id", "type", "ticket_id", "at", "actor", "message"})


def live_view(event: EventPayload, audience: Audience) -> dict[str, Any] | None:
    """A published event (``{id, type, ticket_id, at, actor, data, …extras}``) flattened into
    the live protocol's shape for ``audience`` — ``{type, ticket_id, at, actor, id, …data}`` —
    or None when it is not theirs. Staff get every extra; the others get only the envelope
    and the data keys :func:`swarm.events.view` grants them."""
    data = view(event["type"], event.get("data", {}), audience)
    if data is None:
        return None
    if audience is Audience.STAFF:
        extras = {k: v for k, v in event.items() if k != "data"}
    else:
        extras = {k: v for k, v in event.items() if k in _ENVELOPE}
        if isinstance(extras.get("message"), dict):
            # prev_id names the ticket's previous message of any kind, which may be one this
            # audience does not read: it would tell them of it, and make them see gaps.
            extras["message"] = {k: v for k, v in extras["message"].items() if k != "prev_id"}
    return {**data, **extras}

"""Plain dictionaries for what leaves the domain: the API, the live rooms and exports."""

from __future__ import annotations

from typing import Any

from swarm.models import TicketEvent, User


def user_ref(user: User | None) -> dict[str, Any] | None:
    return None if user is None else {"id": user.id, "name": user.name}


def event_payload(event: TicketEvent) -> dict[str, Any]:
    """The one shape of an event everywhere: ``{id, type, ticket_id, at, actor, data}``."""
    return {
        "id": event.id,
        "type": event.type,
        "ticket_id": event.ticket_id,
        "at": event.at.isoformat(),
        "actor": user_ref(event.actor),
        "data": dict(event.data or {}),
    }

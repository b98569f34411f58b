"""Outbox rows for webhooks, written in the flush that writes the events that call for them.

Installed on every session factory (``swarm.db.make_session_factory``): when a flush inserts
ticket events and an active webhook subscribes to their type, one outbox row per (event,
webhook) goes into the same transaction — committed with the change, or rolled back with it.
Room messages' ``message`` events are written by the message writer in bulk (often outside
the ORM) and are not offered to webhooks; neither are events of imported or simulated
datasets, which live in another table.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from swarm.models.outbox import OutboxItem, OutboxState, Webhook
from swarm.models.tickets import TicketEvent
from swarm.models.users import User

#: Event types a webhook may subscribe to: every type of docs/events.md but room messages.
NOT_OFFERED = frozenset({"message"})


def capture_events(session: Session, _flush_context: Any) -> None:
    events = [
        obj for obj in session.new if isinstance(obj, TicketEvent) and obj.type not in NOT_OFFERED
    ]
    if not events:
        return
    connection = session.connection()
    hooks = connection.execute(select(Webhook.id, Webhook.event_types).where(Webhook.active)).all()
    wanted = [
        (event, hook_id) for event in events for hook_id, types in hooks if event.type in types
    ]
    if not wanted:
        return
    names = _names(connection, {e.actor_id for e, _ in wanted if e.actor_id is not None})
    rows = [
        {
            "kind": "webhook",
            "webhook_id": hook_id,
            "key": f"msg_{uuid.uuid4().hex}",
            "event_id": event.id,
            "event_type": event.type,
            "payload": webhook_payload(event, names),
            "state": OutboxState.PENDING,
            "attempts": 0,
            "next_attempt_at": event.at,
            "created_at": event.at,
        }
        for event, hook_id in wanted
    ]
    connection.execute(insert(OutboxItem), rows)


def webhook_payload(event: TicketEvent, names: dict[int, str]) -> dict[str, Any]:
    """The Standard Webhooks envelope around the documented event shape (docs/events.md):
    ``{type, timestamp, data: {id, type, ticket_id, at, actor, data}}`` — the staff view."""
    actor = None
    if event.actor_id is not None:
        actor = {"id": event.actor_id, "name": names.get(event.actor_id)}
    return {
        "type": f"ticket.{event.type}",
        "timestamp": event.at.isoformat(),
        "data": {
            "id": event.id,
            "type": event.type,
            "ticket_id": event.ticket_id,
            "at": event.at.isoformat(),
            "actor": actor,
            "data": dict(event.data or {}),
        },
    }


def _names(connection: Any, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = connection.execute(select(User.id, User.name).where(User.id.in_(ids)))
    return {row.id: row.name for row in rows}

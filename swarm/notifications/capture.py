"""Notification rows (and their mail's outbox rows) written in the transaction of the event
that calls for them.

Two roads in, one writer (:func:`write_notifications`):

- the flush hook :func:`capture_notifications`, installed on every session factory beside the
  webhooks' (``swarm.db.make_session_factory``): new ``TicketEvent`` objects of the types that
  notify, and vendor hand-offs the sweeper just flagged overdue;
- :func:`notify_messages`, called by the message writer (``swarm.tickets.messages``) for the
  ``message`` events it inserts in bulk, outside the ORM, in the same transaction.

What a person sees in the app is sent after commit: the rows wait in ``session.info`` until the
session's ``after_commit`` (:func:`deliver_after_commit`) hands them to the process's live
delivery (``LIVE``, set by ``create_app``: the person's Socket.IO room), and are dropped on
rollback — nothing reaches anyone for a change that did not happen.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from swarm.events import LIVE_SOURCE
from swarm.models.notifications import (
    Notification,
    NotificationPreference,
    NotificationSchedule,
)
from swarm.models.outbox import OutboxItem, OutboxState
from swarm.models.tickets import Message, Participation, Ticket, TicketEvent
from swarm.models.users import User
from swarm.models.vendors import VendorHandoff
from swarm.notifications.kinds import (
    DIGEST_AFTER,
    DIGEST_WINDOW,
    NOTIFYING,
    VENDOR_OVERDUE,
    TicketFacts,
    after_quiet_hours,
    find_mentions,
    may_mention,
    recipients,
)

#: ``session.info`` keys. LIVE: a callable given the committed rows' live payloads. MAIL: True
#: when this process can send mail (SWARM_SMTP_URL and SWARM_SUPPORT_ADDRESS are set).
LIVE = "swarm.notifications.live"
MAIL = "swarm.notifications.mail"
_PENDING = "swarm.notifications.pending"

STAFF_ROLES = ("agent", "manager", "admin")

LiveDelivery = Callable[[list[dict[str, Any]]], None]


@dataclass(frozen=True)
class Occurrence:
    """Something that may notify: a ticket event, or a hand-off found overdue (no event)."""

    ticket_id: int
    type: str
    actor_id: int | None
    at: datetime
    event_id: int | None = None
    data: dict[str, Any] = field(default_factory=dict)
    text: str | None = None  # a message's text, read for @mentions


def capture_notifications(session: Session, _flush_context: Any) -> None:
    occurrences = [
        Occurrence(e.ticket_id, e.type, e.actor_id, e.at, e.id, dict(e.data or {}))
        for e in session.new
        if isinstance(e, TicketEvent)
        and e.type in NOTIFYING
        and (e.source or LIVE_SOURCE) == LIVE_SOURCE
    ]
    for handoff in session.dirty:
        if isinstance(handoff, VendorHandoff):
            added = inspect(handoff).attrs.overdue_at.history.added
            if added and added[0] is not None:
                occurrences.append(Occurrence(handoff.ticket_id, VENDOR_OVERDUE, None, added[0]))
    if not occurrences:
        return
    connection = session.connection()
    # A note's text is in its message row; read it only when someone may be named in it.
    notes = [
        o.data["message_id"] for o in occurrences if o.type == "note" and "message_id" in o.data
    ]
    if notes:
        texts = dict(
            connection.execute(select(Message.id, Message.body).where(Message.id.in_(notes))).all()
        )
        occurrences = [
            Occurrence(
                o.ticket_id,
                o.type,
                o.actor_id,
                o.at,
                o.event_id,
                o.data,
                texts.get(int(o.data.get("message_id") or 0)),
            )
            if o.type == "note"
            else o
            for o in occurrences
        ]
    _remember(session, write_notifications(connection, occurrences, bool(session.info.get(MAIL))))


def notify_messages(session: Session, events: Sequence[dict[str, Any]]) -> None:
    """Notifications for the message writer's ``message`` events (their payloads, which carry
    the text), in the session's transaction."""
    occurrences = [
        Occurrence(
            e["ticket_id"],
            e["type"],
            (e.get("actor") or {}).get("id"),
            datetime.fromisoformat(e["at"]),
            e["id"],
            dict(e.get("data") or {}),
            (e.get("message") or {}).get("body"),
        )
        for e in events
    ]
    if occurrences:
        rows = write_notifications(session.connection(), occurrences, bool(session.info.get(MAIL)))
        _remember(session, rows)


def needs_notifications(kind: str, text: str) -> bool:
    """Whether a room message can notify anyone: a reply (to the requester) or a ``@name``."""
    return kind == "reply" or may_mention(text)


def _remember(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.info.setdefault(_PENDING, []).extend(rows)


def deliver_after_commit(session: Session) -> None:
    rows = session.info.pop(_PENDING, None)
    live = session.info.get(LIVE)
    if rows and live is not None:
        live(rows)


def forget_on_rollback(session: Session, *_: Any) -> None:
    session.info.pop(_PENDING, None)


def write_notifications(
    connection: Connection, occurrences: Sequence[Occurrence], mail: bool
) -> list[dict[str, Any]]:
    """Insert the notifications ``occurrences`` call for (and, when ``mail``, the outbox rows of
    the ones each recipient wants by mail); returns the live payloads of the in-app ones."""
    ticket_ids = {o.ticket_id for o in occurrences}
    tickets = {
        row.id: row
        for row in connection.execute(
            select(Ticket.id, Ticket.owner_id, Ticket.requester_id, Ticket.subject).where(
                Ticket.id.in_(ticket_ids)
            )
        )
    }
    worked: dict[int, set[int]] = {}
    for ticket_id, user_id in connection.execute(
        select(Participation.ticket_id, Participation.user_id)
        .where(Participation.ticket_id.in_(ticket_ids))
        .distinct()
    ):
        worked.setdefault(ticket_id, set()).add(user_id)
    people: list[tuple[int, str, str]] = []
    if any(o.text and may_mention(o.text) for o in occurrences):
        people = [
            (row.id, row.name, row.email)
            for row in connection.execute(
                select(User.id, User.name, User.email).where(
                    User.role.in_(STAFF_ROLES), User.active
                )
            )
        ]
    named = {id(o): find_mentions(o.text, people) if o.text else frozenset() for o in occurrences}
    candidates: set[int] = set()
    for o in occurrences:
        ticket = tickets.get(o.ticket_id)
        if ticket is None:
            continue
        candidates |= worked.get(o.ticket_id, set()) | named[id(o)]
        candidates |= {p for p in (ticket.owner_id, o.actor_id) if p}
        candidates |= {v for k, v in o.data.items() if k.endswith("_id") and isinstance(v, int)}
    staff = frozenset(
        connection.scalars(
            select(User.id).where(User.id.in_(candidates), User.role.in_(STAFF_ROLES), User.active)
        )
    )
    wanted: list[tuple[Occurrence, int, str]] = []
    for o in occurrences:
        ticket = tickets.get(o.ticket_id)
        if ticket is None:
            continue
        facts = TicketFacts(
            owner_id=ticket.owner_id,
            requester_id=ticket.requester_id,
            worked_on=frozenset(worked.get(o.ticket_id, set()) & staff),
            staff=staff,
            mentioned=named[id(o)] & staff,
        )
        wanted += [
            (o, person, kind) for person, kind in recipients(o.type, o.data, o.actor_id, facts)
        ]
    if not wanted:
        return []
    persons = {person for _, person, _ in wanted}
    choices = {
        (row.user_id, row.kind): (row.in_app, row.email)
        for row in connection.execute(
            select(NotificationPreference).where(NotificationPreference.user_id.in_(persons))
        )
    }
    schedules = {}
    recent: dict[int, tuple[int, datetime]] = {}
    if mail:
        schedules = {
            row.user_id: row
            for row in connection.execute(
                select(NotificationSchedule).where(NotificationSchedule.user_id.in_(persons))
            )
        }
        since = min(o.at for o, _, _ in wanted) - DIGEST_WINDOW
        recent = {
            row.recipient_id: (row.n, row.first)
            for row in connection.execute(
                select(
                    Notification.recipient_id,
                    func.count().label("n"),
                    func.min(Notification.created_at).label("first"),
                )
                .where(
                    Notification.recipient_id.in_(persons),
                    Notification.email.in_(("queued", "sent")),
                    Notification.created_at >= since,
                )
                .group_by(Notification.recipient_id)
            )
        }
    live: list[dict[str, Any]] = []
    mails: list[dict[str, Any]] = []
    for o, person, kind in wanted:
        in_app, by_mail = choices.get((person, kind), (True, True))
        by_mail = by_mail and mail
        if not (in_app or by_mail):
            continue
        ticket = tickets[o.ticket_id]
        # Off in the app but on by mail: kept as the record of the mail, already read.
        row = {
            "recipient_id": person,
            "kind": kind,
            "ticket_id": o.ticket_id,
            "event_id": o.event_id,
            "actor_id": o.actor_id,
            "created_at": o.at,
            "read_at": None if in_app else o.at,
            "email": "queued" if by_mail else "off",
        }
        notification_id = connection.execute(
            insert(Notification).returning(Notification.id), row
        ).scalar_one()
        if in_app:
            live.append(
                {
                    "id": notification_id,
                    "recipient_id": person,
                    "kind": kind,
                    "ticket_id": o.ticket_id,
                    "subject": ticket.subject,
                    "at": o.at.isoformat(),
                }
            )
        if by_mail:
            mails.append(_mail_row(o, person, kind, notification_id, schedules, recent))
    if mails:
        connection.execute(insert(OutboxItem), mails)
    return live


def _mail_row(
    o: Occurrence,
    person: int,
    kind: str,
    notification_id: int,
    schedules: dict[int, Any],
    recent: dict[int, tuple[int, datetime]],
) -> dict[str, Any]:
    """The outbox row of one notification's mail, due when the person's quiet hours end, or,
    when mail piles up for them and they take digests, when the digest window ends."""
    due = o.at
    schedule = schedules.get(person)
    count, first = recent.get(person, (0, o.at))
    if (schedule is None or schedule.digest) and count >= DIGEST_AFTER:
        due = max(due, first + DIGEST_WINDOW)
    recent[person] = (count + 1, min(first, o.at))
    if schedule is not None:
        due = after_quiet_hours(due, schedule.quiet_start, schedule.quiet_end, schedule.timezone)
    return {
        "kind": "mail",
        "webhook_id": None,
        "key": f"mail_{uuid.uuid4().hex}",
        "event_id": o.event_id,
        "event_type": kind,
        "payload": {"notification_id": notification_id, "recipient_id": person},
        "state": OutboxState.PENDING,
        "attempts": 0,
        "next_attempt_at": due,
        "created_at": o.at,
    }

"""Reading tickets: one ticket, lists with filters and pages, timelines per audience, notes,
and where a ticket stands with its requester's rating. Nothing here writes."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, selectinload

from swarm.clock import Clock
from swarm.events import AUDIENCE_FIELDS, LIVE_SOURCE, MESSAGE_KINDS, Audience, EventType, view
from swarm.models import Message, Ticket, TicketEvent, User
from swarm.models.tickets import MessageKind, Status
from swarm.models.users import Role
from swarm.tickets import search
from swarm.tickets.access import audience_of, require_staff, require_view
from swarm.tickets.errors import DomainError, Forbidden, IllegalTransition, Invalid


@dataclass(frozen=True)
class VisibleEvent:
    """An event as one audience sees it: the row's fields, ``data`` trimmed for them."""

    id: int
    ticket_id: int
    type: str
    actor_id: int | None
    actor: User | None
    at: datetime
    data: dict[str, Any]


@dataclass(frozen=True)
class Timeline:
    """A stretch of a ticket's timeline as one viewer sees it: the newest entries before a
    point, oldest first, and how many the viewer has before them."""

    items: list[VisibleEvent]
    #: How many entries the viewer may see before ``items`` (0: they start the timeline).
    earlier: int

    @property
    def before(self) -> int | None:
        """The ``before`` that reads the stretch ahead of this one, None at the start."""
        return self.items[0].id if self.earlier and self.items else None


@dataclass(frozen=True)
class Satisfaction:
    """Where a ticket stands with the requester's "How did we do?", for one viewer.

    ``rating`` is the answer given since the latest resolution (None before one, after a
    reopen, or when the viewer may not see it); ``can_rate`` says whether the viewer may answer
    now, and ``why_not`` says in a sentence why not when they may not.
    """

    rating: VisibleEvent | None
    can_rate: bool
    why_not: str | None


@dataclass(frozen=True)
class Page:
    items: list[Ticket]
    next: str | None
    #: How many tickets match the filters, over all pages.
    total: int = 0


#: The orders a ticket list can be read in; the first is the default. ``newest`` and ``oldest``
#: page by a keyset cursor on the id; every order also pages by offset.
SORTS = ("newest", "oldest", "priority", "updated")


class TicketQueries:
    """The reading use cases, bound to one session and a clock (``TicketService`` answers
    them too, through the one it holds)."""

    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    def get(self, viewer: User, ticket_id: int) -> Ticket:
        return require_view(
            viewer, self.session.get(Ticket, ticket_id), ticket_id, self.clock.now()
        )

    def list(
        self,
        viewer: User,
        *,
        status: str | None = None,
        mode: str | None = None,
        priority: str | None = None,
        owner_id: int | None = None,
        unowned: bool = False,
        q: str | None = None,
        sort: str = "newest",
        after: int | None = None,
        offset: int = 0,
        limit: int = 25,
    ) -> Page:
        """Tickets the viewer may see, in ``sort`` order, ``limit`` at a time, with their total.

        ``after`` (a keyset cursor: the last id of the previous page) works for ``newest`` and
        ``oldest``; ``offset`` works for every order. Ties in priority or update time fall back
        to the newest ticket first, so a page never shuffles between two readings.
        """
        if sort not in SORTS:
            raise Invalid(
                f"Unknown sort {sort!r}.", fields={"sort": [f"One of {', '.join(SORTS)}."]}
            )
        if after is not None and sort not in ("newest", "oldest"):
            raise Invalid(
                "A cursor pages only the newest or oldest order; use a page number.",
                fields={"cursor": ["Only with sort=newest or sort=oldest."]},
            )
        filtered = select(Ticket)
        if not viewer.is_staff:
            filtered = filtered.where(Ticket.requester_id == viewer.id)
        if status:
            filtered = filtered.where(Ticket.status == status)
        if mode:
            filtered = filtered.where(Ticket.mode == mode)
        if priority:
            filtered = filtered.where(Ticket.priority == priority)
        if owner_id is not None:
            filtered = filtered.where(Ticket.owner_id == owner_id)
        if unowned:
            filtered = filtered.where(Ticket.owner_id.is_(None))
        if q:
            # Full-text (swarm/tickets/search.py): words, not substrings, on the index.
            filtered = filtered.where(search.matching(self.session, q))
        total = self.session.scalar(select(func.count()).select_from(filtered.subquery())) or 0
        order = {
            "newest": (Ticket.id.desc(),),
            "oldest": (Ticket.id.asc(),),
            "priority": (Ticket.priority.asc(), Ticket.id.desc()),
            "updated": (Ticket.updated_at.desc(), Ticket.id.desc()),
        }[sort]
        # Every ticket on the page shows its vendor hand-off: one query for the page's.
        query = filtered.options(selectinload(Ticket.handoffs)).order_by(*order).limit(limit + 1)
        if after is not None:
            query = query.where(Ticket.id < after if sort == "newest" else Ticket.id > after)
        if offset:
            query = query.offset(offset)
        rows = list(self.session.scalars(query).unique())
        more = len(rows) > limit
        items = rows[:limit]
        keyset = sort in ("newest", "oldest")
        return Page(
            items=items, next=str(items[-1].id) if keyset and more and items else None, total=total
        )

    def events(self, viewer: User, ticket_id: int) -> list[VisibleEvent]:
        """The ticket's live events in order, as the viewer's audience sees them
        (``swarm.events.view``): staff everything, a requester the public timeline, a guest
        the room's. Plain copies, never the rows, so that trimming them cannot write back."""
        return self.events_page(viewer, ticket_id)[0]

    def events_page(
        self, viewer: User, ticket_id: int, after: int | None = None, limit: int | None = None
    ) -> tuple[list[VisibleEvent], int | None]:
        """``events``, at most ``limit`` of them after the event ``after``, and the id to ask
        after for the next page (None when this page reaches the end). A busy swarm's ticket
        holds thousands of events (every room message is one): the API reads them a page at
        a time, so that one request's memory does not grow with the ticket."""
        ticket = self.get(viewer, ticket_id)
        audience = audience_of(viewer, ticket)
        query = visible_events(ticket, audience).order_by(TicketEvent.id)
        if after is not None:
            query = query.where(TicketEvent.id > after)
        if limit is not None:
            query = query.limit(limit + 1)
        rows = list(self.session.scalars(query))
        more = limit is not None and len(rows) > limit
        seen = seen_by(rows[:limit] if more else rows, audience)
        return seen, (rows[limit - 1].id if more and limit else None)

    def timeline(
        self, viewer: User, ticket_id: int, before: int | None = None, limit: int = 200
    ) -> Timeline:
        """The viewer's newest ``limit`` entries of the ticket's timeline before the event
        ``before`` (the newest of all without it), oldest first, with how many come earlier.

        The ticket page reads its timeline this way, so that a long swarm's thousands of
        messages cost one page and a count, never the whole log. The audience's filter is in
        the query (types and message kinds), so every page holds ``limit`` entries that the
        viewer sees, and the pages join without a gap or an overlap."""
        ticket = self.get(viewer, ticket_id)
        audience = audience_of(viewer, ticket)
        visible = visible_events(ticket, audience)
        query = visible.order_by(TicketEvent.id.desc()).limit(limit)
        if before is not None:
            query = query.where(TicketEvent.id < before)
        rows = list(self.session.scalars(query))[::-1]
        earlier = 0
        if rows:
            counted = visible.where(TicketEvent.id < rows[0].id).with_only_columns(
                func.count(TicketEvent.id)
            )
            earlier = self.session.scalar(counted) or 0
        return Timeline(seen_by(rows, audience), earlier)

    def notes(
        self, viewer: User, ticket_id: int, ids: Collection[int] | None = None
    ) -> list[Message]:
        """The ticket's internal notes, oldest first; only those of ``ids`` when given (the
        notes a page of the timeline shows)."""
        ticket = self.get(viewer, ticket_id)
        require_staff(viewer, "read internal notes")
        query = (
            select(Message)
            .where(Message.ticket_id == ticket.id, Message.kind == MessageKind.NOTE)
            .order_by(Message.id)
        )
        if ids is not None:
            query = query.where(Message.id.in_(sorted(ids)))
        return list(self.session.scalars(query))

    def satisfaction(self, viewer: User, ticket_id: int) -> Satisfaction:
        """The requester's rating of the current resolution and whether ``viewer`` may give
        one now, trimmed to the viewer's audience (a guest sees none)."""
        ticket = self.get(viewer, ticket_id)
        found = current_rating(self.session, ticket)
        rating = None
        if found is not None:
            data = view(found.type, found.data or {}, audience_of(viewer, ticket))
            if data is not None:
                rating = VisibleEvent(
                    found.id,
                    found.ticket_id,
                    found.type,
                    found.actor_id,
                    found.actor,
                    found.at,
                    data,
                )
        try:
            require_rateable(viewer, ticket, found)
        except DomainError as exc:
            return Satisfaction(rating, False, exc.message)
        return Satisfaction(rating, True, None)


def visible_events(ticket: Ticket, audience: Audience) -> Select[TicketEvent]:
    """The ticket's live events that ``audience`` sees some of, as a query: the types it is
    given and, of messages, the kinds it reads (``swarm.events.view`` trims the data)."""
    query = select(TicketEvent).where(
        TicketEvent.ticket_id == ticket.id, TicketEvent.source == LIVE_SOURCE
    )
    if audience is Audience.STAFF:
        return query
    return query.where(
        TicketEvent.type.in_(sorted(AUDIENCE_FIELDS[audience])),
        or_(
            TicketEvent.type != EventType.MESSAGE.value,
            TicketEvent.data["kind"].as_string().in_(sorted(MESSAGE_KINDS[audience])),
        ),
    )


def seen_by(rows: Sequence[TicketEvent], audience: Audience) -> list[VisibleEvent]:
    """``rows`` as ``audience`` sees them: plain copies, never the rows, so that trimming
    them cannot write back."""
    seen: list[VisibleEvent] = []
    for row in rows:
        data = view(row.type, row.data or {}, audience)
        if data is not None:
            seen.append(
                VisibleEvent(row.id, row.ticket_id, row.type, row.actor_id, row.actor, row.at, data)
            )
    return seen


def current_rating(session: Session, ticket: Ticket) -> TicketEvent | None:
    """The latest ``satisfaction_rated`` since the ticket was last resolved, if any (ids
    increase, so "since" is a comparison of ids)."""
    if ticket.status not in (Status.RESOLVED, Status.CLOSED):
        return None
    live = (TicketEvent.ticket_id == ticket.id, TicketEvent.source == LIVE_SOURCE)
    resolved = (
        select(func.max(TicketEvent.id))
        .where(*live, TicketEvent.type == EventType.RESOLVED.value)
        .scalar_subquery()
    )
    query = (
        select(TicketEvent)
        .where(
            *live,
            TicketEvent.type == EventType.SATISFACTION_RATED.value,
            TicketEvent.id > func.coalesce(resolved, 0),
        )
        .order_by(TicketEvent.id.desc())
        .limit(1)
    )
    return session.scalars(query).first()


def require_rateable(actor: User, ticket: Ticket, rating: TicketEvent | None) -> None:
    """Only the requester rates, once per resolution, a resolved or closed ticket."""
    if ticket.requester_id != actor.id:
        raise Forbidden(
            f'Only the requester can rate ticket {ticket.id}: "How did we do?" is '
            "their question to answer."
        )
    if ticket.status not in (Status.RESOLVED, Status.CLOSED):
        raise IllegalTransition(
            f"Ticket {ticket.id} is {ticket.status}: you can rate it once it is resolved."
        )
    if rating is not None:
        raise IllegalTransition(
            f"You already rated ticket {ticket.id} ({rating.data.get('score')} of 5) for "
            "this resolution; if the problem is back, reopen it instead."
        )


def staff_users(session: Session) -> Sequence[User]:
    """Active agents, managers and admins, by name: the people a ticket can be assigned to."""
    query = (
        select(User)
        .where(User.active.is_(True), User.role.in_([Role.AGENT, Role.MANAGER, Role.ADMIN]))
        .order_by(User.name)
    )
    return list(session.scalars(query).unique())

"""The unit of work every ticket service is handed: the plumbing of one change.

A use case runs its change through :meth:`UnitOfWork.run`, which takes the write lock, runs it,
commits, and only then publishes what the change recorded — nothing reaches a room if the
transaction rolls back. Inside the change, :meth:`UnitOfWork.lock` loads the ticket with its row
lock (concurrent changes queue behind each other) and :meth:`UnitOfWork.record` appends an
event. Services (``TicketService``, ``RoomService``, ``GuestService``, ``TieredService``) each
hold one and share it when one use case needs another's steps; none subclasses another to reach
this plumbing (cosmicpython ``service_layer/unit_of_work.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from swarm.clock import Clock
from swarm.db import begin_write
from swarm.events import LIVE_SOURCE, EventType
from swarm.models import Ticket, TicketEvent, User
from swarm.routing import Decision
from swarm.tickets.access import can_view
from swarm.tickets.errors import Conflict, NotFound
from swarm.tickets.notify import Notifier
from swarm.tickets.payloads import event_payload

T = TypeVar("T")

# Optional event fields are left out when empty, except these, where null says something:
# no previous owner, the triage queue (no tier), a ticket that had no tier yet.
MEANINGFUL_NONE = frozenset({"previous_owner_id", "tier", "from_tier"})

#: Called inside the transaction of a status change with the ticket and its previous status; the
#: decisions it returns are applied in the same transaction (tiered mode pauses and resumes its
#: tier clock this way, see ``swarm/dispatch/clocks.py``).
StatusHook = Callable[[Ticket, str, datetime], Sequence[Decision]]


class UnitOfWork:
    """One session's transactions, row locks, event recorder and publish-after-commit queue.

    ``on_status`` runs inside every status change (``swarm.tickets.decisions.set_status``).
    ``cause`` is set while an automation rule's action runs: every event recorded then carries
    it (``{rule_id, run_id}``), so that no rule fires on it (docs/rules.md).
    """

    def __init__(
        self,
        session: Session,
        clock: Clock,
        notifier: Notifier,
        *,
        on_status: StatusHook | None = None,
    ) -> None:
        self.session = session
        self.clock = clock
        self.notifier = notifier
        self.on_status = on_status
        self.cause: dict[str, int] | None = None
        # Events recorded in the open transaction, with what their live payload adds (a
        # message's text, say) that the event row itself does not keep.
        self._pending: list[tuple[TicketEvent, dict[str, Any]]] = []
        # Payloads built without ORM objects (room messages), published after those above.
        self._ready: list[dict[str, Any]] = []

    def run(self, change: Callable[[], T]) -> T:
        """Run ``change`` in one write transaction; publish its events after the commit.

        A refused change (any exception) rolls back and publishes nothing; a row changed
        underneath (``StaleDataError``) becomes ``Conflict``.
        """
        begin_write(self.session)
        try:
            result = change()
            self.session.flush()
            events = list(self._pending)
            ready = list(self._ready)
            self.session.commit()
        except StaleDataError as exc:
            self.session.rollback()
            self._forget()
            raise Conflict(
                "The ticket was changed by someone else at the same moment; reload and retry."
            ) from exc
        except BaseException:
            self.session.rollback()
            self._forget()
            raise
        self._forget()
        payloads = [{**event_payload(event), **extra} for event, extra in events]
        self.notifier.publish(payloads + ready)
        return result

    def publish_after_commit(self, payloads: Iterable[dict[str, Any]]) -> None:
        """Queue payloads built without ORM objects (room messages stored by one SQL
        statement), published after this transaction's recorded events."""
        self._ready.extend(payloads)

    def lock(self, actor: User, ticket_id: int) -> Ticket:
        """The ticket with its row lock, when ``actor`` may see it (``NotFound`` otherwise,
        so that existence does not leak)."""
        ticket = self._select_for_update(ticket_id)
        if ticket is None or not can_view(actor, ticket, self.clock.now()):
            raise NotFound(f"There is no ticket {ticket_id}.")
        return ticket

    def lock_by_system(self, ticket_id: int) -> Ticket:
        """The ticket with its row lock, for changes nobody asked for (the sweeper, rules)."""
        ticket = self._select_for_update(ticket_id)
        if ticket is None:
            raise NotFound(f"There is no ticket {ticket_id}.")
        return ticket

    def reload(self, ticket_id: int) -> Ticket | None:
        """The ticket as the database has it now (another transaction may have changed it),
        without access checks: for drivers that then decide what the caller may see."""
        query = (
            select(Ticket).where(Ticket.id == ticket_id).execution_options(populate_existing=True)
        )
        return self.session.scalars(query).unique().one_or_none()

    def record(
        self,
        ticket: Ticket,
        event_type: EventType,
        actor: User | None,
        live: dict[str, Any] | None = None,
        **data: Any,
    ) -> TicketEvent:
        """Append an event to ``ticket`` (and touch its ``updated_at``); it is published
        after commit with ``live`` added to its payload. ``None`` fields are left out."""
        now = self.clock.now()
        ticket.updated_at = now
        event = TicketEvent(
            ticket_id=ticket.id,
            type=event_type.value,
            actor_id=actor.id if actor else None,
            actor=actor,
            at=now,
            data={
                **{k: v for k, v in data.items() if v is not None or k in MEANINGFUL_NONE},
                **({"cause": self.cause} if self.cause and data.get("cause") is None else {}),
            },
            source=LIVE_SOURCE,
        )
        self.session.add(event)
        # Listeners of tier queues need to know which queue an event touches.
        self._pending.append((event, {"mode": ticket.mode, "tier": ticket.tier, **(live or {})}))
        return event

    def _select_for_update(self, ticket_id: int) -> Ticket | None:
        query = (
            select(Ticket)
            .where(Ticket.id == ticket_id)
            .with_for_update(of=Ticket)
            .execution_options(populate_existing=True)
        )
        return self.session.scalars(query).unique().one_or_none()

    def _forget(self) -> None:
        self._pending.clear()
        self._ready.clear()

"""Tiered mode's clocks on real tickets: the tier clock, vendors' SLA clocks, and what the
tiered policy reads of a ticket.

The pure package (``swarm.tiers``) decides; these functions read the database into its views
and store the clocks it returns (three columns each, on ``tickets`` and ``vendor_handoffs``).
The tier clock runs only while the ticket is workable (``new`` or ``open``) and not with a
vendor: going ``pending`` (or resolved) or handing off pauses it and clears the ``tier_limit``
deadline; coming back sets the deadline again, pushed back by the pause. See ``docs/tiers.md``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from swarm.dispatch.settings import SettingsCache
from swarm.events import AssignedBy, EventType
from swarm.models import Ticket, TicketEvent, User, VendorHandoff
from swarm.models.tickets import Status
from swarm.routing import Decision, SetDeadline, TicketView
from swarm.tickets.deadlines import deadlines_of
from swarm.tickets.errors import NotFound
from swarm.tickets.unit import StatusHook, UnitOfWork
from swarm.tiers.policy import TieredPolicy
from swarm.tiers.sla import SlaClock
from swarm.tiers.vendors import VENDOR_SLA, is_overdue

TIERED = "tiered"
#: The tier clock runs in these statuses; pending, resolved and closed pause it.
WORKABLE = frozenset({Status.NEW, Status.OPEN})


def tier_clock(ticket: Ticket) -> SlaClock | None:
    """The ticket's tier clock, or ``None`` before it was first queued in a tier."""
    if ticket.tier_entered_at is None:
        return None
    return SlaClock(
        ticket.tier_entered_at,
        ticket.tier_paused_at,
        timedelta(seconds=ticket.tier_paused_seconds or 0.0),
    )


def _store_tier_clock(ticket: Ticket, clock: SlaClock) -> None:
    ticket.tier_entered_at = clock.started_at
    ticket.tier_paused_at = clock.paused_at
    ticket.tier_paused_seconds = clock.paused_total.total_seconds()


def vendor_clock(handoff: VendorHandoff) -> SlaClock:
    return SlaClock(
        handoff.handed_off_at, handoff.paused_at, timedelta(seconds=handoff.paused_seconds)
    )


def vendor_overdue(handoff: VendorHandoff, now: datetime) -> bool:
    """Flagged by the sweeper, or past its SLA right now (the page does not wait for a sweep)."""
    if handoff.overdue_at is not None:
        return True
    if handoff.closed_at is not None:
        return False
    return is_overdue(
        handoff.handed_off_at,
        timedelta(seconds=handoff.sla_seconds),
        now,
        paused_total=timedelta(seconds=handoff.paused_seconds),
        paused_at=handoff.paused_at,
    )


def open_handoff(ticket: Ticket) -> VendorHandoff | None:
    return next((h for h in reversed(ticket.handoffs) if h.closed_at is None), None)


def ticket_view(session: Session, ticket: Ticket) -> TicketView:
    """What the tiered policy needs of a ticket (it reads no skills)."""
    return TicketView(
        id=ticket.id,
        priority=ticket.priority,  # type: ignore[arg-type]  # checked by the table
        requester_id=ticket.requester_id,
        owner_id=ticket.owner_id,
        tier=ticket.tier,
        mode=ticket.mode,  # type: ignore[arg-type]
        excluded_agents=frozenset(released_by(session, [ticket.id]).get(ticket.id, set())),
        deadlines=deadlines_of(session, ticket.id),
    )


def pause_tier_clock(
    session: Session, ticket: Ticket, policy: TieredPolicy, now: datetime
) -> list[Decision]:
    """Stop the tier clock (a second reason to wait keeps the first pause) and its deadline."""
    clock = tier_clock(ticket)
    if clock is None:
        return []
    view = ticket_view(session, ticket)
    _store_tier_clock(ticket, clock.pause(now))
    return policy.on_paused(view, now)


def resume_tier_clock(
    session: Session, ticket: Ticket, policy: TieredPolicy, now: datetime
) -> list[Decision]:
    """Restart the tier clock; the deadline comes back pushed by the time paused."""
    clock = tier_clock(ticket)
    if clock is None or not clock.paused:
        return []
    # Stored before the decisions are applied: a tier deadline is never set on a paused clock.
    _store_tier_clock(ticket, clock.resume(now))
    return policy.on_resumed(ticket_view(session, ticket), clock, now)


def tier_clock_hook(session: Session, settings: SettingsCache) -> StatusHook:
    """The ``UnitOfWork.on_status`` hook that pauses and resumes tiered tickets' clocks."""

    def on_status(ticket: Ticket, previous: str, now: datetime) -> list[Decision]:
        if ticket.mode != TIERED or ticket.tier_entered_at is None:
            return []
        was, now_workable = previous in WORKABLE, ticket.status in WORKABLE
        if was and not now_workable:
            return pause_tier_clock(session, ticket, settings.policy(session), now)
        if now_workable and not was and open_handoff(ticket) is None:
            return resume_tier_clock(session, ticket, settings.policy(session), now)
        return []

    return on_status


def vendor_deadline_fired(ticket: Ticket, now: datetime) -> list[Decision]:
    """The ``vendor_sla`` deadline is due: flag the hand-off overdue (once).

    Exactly at the SLA is still on time, so a deadline fired at that instant asks again a
    second later rather than flagging early.
    """
    handoff = open_handoff(ticket)
    if handoff is None or handoff.paused_at is not None or handoff.overdue_at is not None:
        return []
    sla = timedelta(seconds=handoff.sla_seconds)
    paused = timedelta(seconds=handoff.paused_seconds)
    if is_overdue(handoff.handed_off_at, sla, now, paused_total=paused):
        handoff.overdue_at = now
        return []
    return [SetDeadline(VENDOR_SLA, handoff.handed_off_at + paused + sla + timedelta(seconds=1))]


def tier_rotation(session: Session) -> dict[int, int]:
    """``tier -> agent`` assigned last by the policy in that tier: the round-robin cursor."""
    tier = TicketEvent.data["tier"].as_integer()
    rotation: dict[int, int] = {}
    rows = session.execute(
        select(tier, TicketEvent.data["agent_id"].as_integer())
        .where(
            TicketEvent.type == EventType.ASSIGNED,
            TicketEvent.data["by"].as_string() == AssignedBy.POLICY,
            tier.is_not(None),
        )
        .order_by(TicketEvent.id.desc())
        .limit(200)
    )
    for t, agent in rows:
        if t is not None and agent is not None:
            rotation.setdefault(int(t), int(agent))
    return rotation


def released_by(session: Session, ticket_ids: list[int]) -> dict[int, set[int]]:
    """Agents who released each ticket themselves (not those a move took it from)."""
    released: dict[int, set[int]] = {}
    rows = session.execute(
        select(TicketEvent.ticket_id, TicketEvent.data).where(
            TicketEvent.ticket_id.in_(ticket_ids), TicketEvent.type == EventType.UNASSIGNED
        )
    )
    for ticket_id, data in rows:
        agent = (data or {}).get("previous_owner_id")
        if agent and (data or {}).get("reason") not in ("escalated", "deescalated"):
            released.setdefault(ticket_id, set()).add(int(agent))
    return released


def fresh_ticket(unit: UnitOfWork, viewer: User, ticket_id: int) -> Ticket:
    """The ticket as the database has it now, hand-offs included, for staff or its requester."""
    ticket = unit.reload(ticket_id)
    if ticket is not None:
        # Hand-offs change through their own rows; read them again too.
        unit.session.expire(ticket, ["handoffs"])
    if ticket is None or not (viewer.is_staff or ticket.requester_id == viewer.id):
        raise NotFound(f"There is no ticket {ticket_id}.")
    return ticket

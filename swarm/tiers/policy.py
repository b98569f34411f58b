"""``TieredPolicy``: classic tiered support as a :class:`~swarm.routing.RoutingPolicy`.

A ticket that reaches the desk is queued in Tier 1 (Tier 0, self-service, is what it did not
solve), assigned inside the tier when that tier pushes (or left in its queue for an agent to take
when it pulls), and given a tier deadline. When the deadline passes it is escalated to the next
tier: the owner is cleared and the ticket is queued again — a handoff, as in real tiered
support, and the event log shows it as one.
The same pure functions plan manual escalations and de-escalations, so that a move made by a
person and a move made by a timer produce the same decisions and the same events.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from swarm.events import EventType
from swarm.routing import (
    Assign,
    ClearDeadline,
    Decision,
    Escalate,
    OrgView,
    Queue,
    SetDeadline,
    TicketView,
)
from swarm.tiers.assignment import pick_agent
from swarm.tiers.config import ENTRY_TIER, TieredSettings
from swarm.tiers.sla import SlaClock

__all__ = [
    "MANUAL",
    "TIER_LIMIT",
    "TIME_LIMIT",
    "BelowFirstTierError",
    "BeyondLastTierError",
    "NotInTierError",
    "SameTierError",
    "TierMoveError",
    "TieredPolicy",
    "WrongDirectionError",
    "plan_deescalation",
    "plan_escalation",
    "tier_move_event",
]

#: The deadline kind of the tier clock (one per ticket: entering a tier replaces it).
TIER_LIMIT = "tier_limit"
#: ``Escalate.reason`` values, as the ``escalated`` event records them.
TIME_LIMIT = "time_limit"
MANUAL = "manual"


class TierMoveError(ValueError):
    """A manual escalation or de-escalation that cannot be made; the message says why."""


class NotInTierError(TierMoveError):
    """The ticket is not queued in any tier (a swarm ticket, or one not yet routed)."""


class SameTierError(TierMoveError):
    """The ticket is already in the requested tier."""


class WrongDirectionError(TierMoveError):
    """An "escalation" downwards or a "de-escalation" upwards."""


class BeyondLastTierError(TierMoveError):
    """Escalation past the last configured tier."""


class BelowFirstTierError(TierMoveError):
    """De-escalation below Tier 1 (or below the first configured tier)."""


class TieredPolicy:
    """Tier queues, automatic assignment inside a tier, and time-limit escalation.

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> from swarm.routing import AgentView, OrgView, TicketView
    >>> from swarm.skills.graph import build_skill_graph
    >>> org = OrgView({1: AgentView(1, "Ada", True, 0, 5, tiers=frozenset({1, 2}))},
    ...               build_skill_graph([]))
    >>> now = datetime(2025, 1, 1, 9, 0, tzinfo=UTC)
    >>> queue, deadline = TieredPolicy().on_opened(TicketView(7, "P3"), org, now)  # Tier 1 pulls
    >>> queue.tier, queue.intake, deadline.at.time()
    (1, 'pull', datetime.time(9, 15))
    >>> ticket = TicketView(7, "P3", tier=1, owner_id=1, deadlines={"tier_limit": deadline.at})
    >>> TieredPolicy().on_deadline(ticket, org, deadline.at)[:3]  # doctest: +NORMALIZE_WHITESPACE
    [ClearDeadline(kind='tier_limit'), Escalate(to_tier=2, reason='time_limit'),
     Queue(tier=2, why='Tier 1 (Service desk) limit for P3 (15 min) passed: escalated to
     Tier 2 (Technical support)', intake='push')]
    """

    def __init__(self, settings: TieredSettings | None = None) -> None:
        self.settings = settings or TieredSettings()

    def on_opened(self, ticket: TicketView, org: OrgView, now: datetime) -> list[Decision]:
        """Queue a new ticket in Tier 1, assign it there if Tier 1 pushes, start the tier clock."""
        why = (
            f"new ticket: {self.settings.name(ENTRY_TIER)} — self-service (Tier 0) did not "
            "resolve it"
        )
        return _enter_tier(replace(ticket, owner_id=None), ENTRY_TIER, self.settings, org, now, why)

    def on_deadline(self, ticket: TicketView, org: OrgView, now: datetime) -> list[Decision]:
        """The tier limit passed: escalate to the next automatic tier, or stop at the last.

        Other deadline kinds (a swarm offer, a vendor SLA) are not this policy's and give no
        decision. At the last automatic tier the deadline is only cleared: a time limit never
        moves a ticket past it.
        """
        due = ticket.deadlines.get(TIER_LIMIT)
        # The view is the source of truth: a deadline moved by a manual escalation or a pause since
        # the sweeper claimed it is not due any more, and firing it would escalate twice.
        if due is None or due > now:
            return []
        # Cleared first, always: whatever follows, this deadline must not fire again.
        cleared: list[Decision] = [ClearDeadline(TIER_LIMIT)]
        if ticket.tier is None:
            # A leftover deadline of a ticket that left tiered routing: nothing to escalate.
            return cleared
        target = self.settings.next_automatic(ticket.tier)
        if target is None:
            return cleared
        limit = self.settings.limit(ticket.tier, ticket.priority)
        spent = f" ({_duration(limit.total_seconds())})" if limit is not None else ""
        why = (
            f"{self.settings.name(ticket.tier)} limit for {ticket.priority}{spent} passed: "
            f"escalated to {self.settings.name(target)}"
        )
        return [
            *cleared,
            Escalate(target, TIME_LIMIT),
            *_enter_tier(ticket, target, self.settings, org, now, why),
        ]

    def on_released(self, ticket: TicketView, org: OrgView, now: datetime) -> list[Decision]:
        """Back to the same tier's queue and, if the tier pushes, to someone else; the tier clock
        keeps running.

        A release is not a move between tiers, so it neither restarts nor clears the deadline:
        releasing a ticket must not buy it more time in the tier.
        """
        # A ticket released before it was ever queued (tiered by hand, say) starts at the desk.
        tier = ENTRY_TIER if ticket.tier is None else ticket.tier
        why = f"released: back in the {self.settings.name(tier)} queue"
        return _queue_and_assign(ticket, tier, self.settings, org, why)

    def on_paused(self, ticket: TicketView, now: datetime) -> list[Decision]:
        """The ticket now waits on the requester or a vendor: stop the tier deadline.

        The driver pauses its stored :class:`SlaClock` at the same ``now``.
        """
        return [ClearDeadline(TIER_LIMIT)] if TIER_LIMIT in ticket.deadlines else []

    def on_resumed(self, ticket: TicketView, clock: SlaClock, now: datetime) -> list[Decision]:
        """The wait is over: set the tier deadline again, pushed back by the time paused.

        ``clock`` is the ticket's tier clock, paused or already resumed at ``now``. A ticket paused
        after its limit had passed gets a deadline in the past: the sweeper fires it at once.
        """
        if ticket.tier is None or self.settings.next_automatic(ticket.tier) is None:
            return []
        # Accept the clock either side of resume: drivers differ in when they store it, and
        # resuming a running clock is a no-op.
        running = clock.resume(now)
        due = running.due_at(self.settings.limit(ticket.tier, ticket.priority))
        return [] if due is None else [SetDeadline(TIER_LIMIT, due)]

    def escalate(
        self,
        ticket: TicketView,
        org: OrgView | None,
        now: datetime,
        to_tier: int | None = None,
        note: str = "",
    ) -> list[Decision]:
        """A person escalates: :func:`plan_escalation` with this policy's settings."""
        return plan_escalation(ticket, to_tier, self.settings, now=now, org=org, note=note)

    def deescalate(
        self,
        ticket: TicketView,
        org: OrgView | None,
        now: datetime,
        to_tier: int | None = None,
        note: str = "",
    ) -> list[Decision]:
        """A person de-escalates: :func:`plan_deescalation` with this policy's settings."""
        return plan_deescalation(ticket, to_tier, self.settings, now=now, org=org, note=note)


def plan_escalation(
    ticket: TicketView,
    to_tier: int | None,
    settings: TieredSettings,
    *,
    now: datetime,
    org: OrgView | None = None,
    note: str = "",
) -> list[Decision]:
    """Validate and plan a manual escalation of ``ticket`` to ``to_tier`` (default: the next).

    A person may skip tiers (the desk may know a ticket needs Tier 3) and may send a ticket to the
    vendors' tier, which a time limit may not do when ``last_automatic_tier`` says so. The owner
    is cleared and the ticket re-queued — a handoff; with ``org`` it is assigned in the new tier
    as :class:`TieredPolicy` would.

    Raises
    ------
    NotInTierError, SameTierError, WrongDirectionError, BeyondLastTierError

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> now = datetime(2025, 1, 1, 9, 0, tzinfo=UTC)
    >>> plan_escalation(TicketView(7, "P3", tier=1), 3, TieredSettings(), now=now)[1]
    Escalate(to_tier=3, reason='manual')
    >>> plan_escalation(TicketView(7, "P3", tier=4), None, TieredSettings(), now=now)
    Traceback (most recent call last):
    ...
    swarm.tiers.policy.BeyondLastTierError: Ticket 7 is in Tier 4 (External vendors), the last...
    """
    current = _current_tier(ticket, "escalated")
    # The checks run against the view the caller read under the ticket's lock, so a concurrent
    # automatic escalation that won shows up here as a tier that has already changed.
    if to_tier is None:
        if current >= settings.last_tier:
            raise BeyondLastTierError(
                f"Ticket {ticket.id} is in {settings.name(current)}, the last tier: there is no "
                "tier to escalate it to."
            )
        to_tier = current + 1
    if to_tier == current:
        raise SameTierError(f"Ticket {ticket.id} is already in {settings.name(current)}.")
    if to_tier < current:
        raise WrongDirectionError(
            f"Tier {to_tier} is below {settings.name(current)}, where ticket {ticket.id} is: "
            "de-escalate it instead."
        )
    if to_tier > settings.last_tier:
        raise BeyondLastTierError(
            f"Tier {to_tier} is past the last tier, {settings.name(settings.last_tier)}: "
            f"ticket {ticket.id} cannot be escalated there."
        )
    why = f"escalated by hand from {settings.name(current)} to {settings.name(to_tier)}"
    return _move(ticket, to_tier, settings, org, now, _with_note(why, note))


def plan_deescalation(
    ticket: TicketView,
    to_tier: int | None,
    settings: TieredSettings,
    *,
    now: datetime,
    org: OrgView | None = None,
    note: str = "",
) -> list[Decision]:
    """Validate and plan a manual de-escalation of ``ticket`` to ``to_tier`` (default: one down).

    The ticket re-enters the lower tier with a fresh tier clock (so it can be escalated again by
    time: ping-pong is real and the metrics should see it). It never goes below Tier 1: Tier 0 is
    self-service and has no queue.

    Raises
    ------
    NotInTierError, SameTierError, WrongDirectionError, BelowFirstTierError

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> now = datetime(2025, 1, 1, 9, 0, tzinfo=UTC)
    >>> plan_deescalation(TicketView(7, "P3", tier=1), None, TieredSettings(), now=now)
    Traceback (most recent call last):
    ...
    swarm.tiers.policy.BelowFirstTierError: Ticket 7 is in Tier 1 (Service desk): it cannot be...
    """
    current = _current_tier(ticket, "de-escalated")
    target = current - 1 if to_tier is None else to_tier
    if target == current:
        raise SameTierError(f"Ticket {ticket.id} is already in {settings.name(current)}.")
    if target > current:
        raise WrongDirectionError(
            f"Tier {target} is above {settings.name(current)}, where ticket {ticket.id} is: "
            "escalate it instead."
        )
    if target < ENTRY_TIER:
        raise BelowFirstTierError(
            f"Ticket {ticket.id} is in {settings.name(current)}: it cannot be de-escalated below "
            "Tier 1 — Tier 0 is self-service, with no queue."
        )
    why = f"de-escalated by hand from {settings.name(current)} to {settings.name(target)}"
    return _move(ticket, target, settings, org, now, _with_note(why, note))


def tier_move_event(
    from_tier: int, move: Escalate, note: str = ""
) -> tuple[EventType, dict[str, Any]]:
    """The event type and data that record ``move`` from ``from_tier``.

    One function for the live driver and the simulator, so both write the same vocabulary: an
    ``Escalate`` upwards is ``escalated``, downwards ``deescalated``.

    Examples
    --------
    >>> tier_move_event(1, Escalate(2, "time_limit"))
    (<EventType.ESCALATED: 'escalated'>, {'from_tier': 1, 'to_tier': 2, 'reason': 'time_limit'})
    >>> tier_move_event(3, Escalate(1, "manual"), note="needs a password reset only")[0]
    <EventType.DEESCALATED: 'deescalated'>
    """
    if move.to_tier == from_tier:
        raise SameTierError(f"A move from Tier {from_tier} to Tier {move.to_tier} is no move.")
    kind = EventType.ESCALATED if move.to_tier > from_tier else EventType.DEESCALATED
    data: dict[str, Any] = {"from_tier": from_tier, "to_tier": move.to_tier, "reason": move.reason}
    if note.strip():
        data["note"] = note.strip()
    return kind, data


def _current_tier(ticket: TicketView, verb: str) -> int:
    if ticket.tier is None:
        raise NotInTierError(
            f"Ticket {ticket.id} is not in a tier queue, so it cannot be {verb}; only tiered "
            "tickets move between tiers."
        )
    return ticket.tier


def _move(
    ticket: TicketView,
    to_tier: int,
    settings: TieredSettings,
    org: OrgView | None,
    now: datetime,
    why: str,
) -> list[Decision]:
    # Same shape as the automatic path, so a driver has one way to apply a tier move.
    decisions: list[Decision] = [ClearDeadline(TIER_LIMIT), Escalate(to_tier, MANUAL)]
    return decisions + _enter_tier(ticket, to_tier, settings, org, now, why)


def _enter_tier(
    ticket: TicketView,
    tier: int,
    settings: TieredSettings,
    org: OrgView | None,
    now: datetime,
    why: str,
) -> list[Decision]:
    """Queue in ``tier``, assign there if it pushes, and start that tier's clock.

    ``ticket.owner_id`` (the owner before a move) stays in the view on purpose: the assignment
    skips them, because a move exists to put the ticket in other hands.
    """
    decisions = _queue_and_assign(ticket, tier, settings, org, why)
    limit = settings.limit(tier, ticket.priority)
    # No deadline where a time limit could not move the ticket anyway: it would only fire to be
    # cleared.
    if limit is not None and settings.next_automatic(tier) is not None:
        decisions.append(SetDeadline(TIER_LIMIT, now + limit))
    return decisions


def _queue_and_assign(
    ticket: TicketView, tier: int, settings: TieredSettings, org: OrgView | None, why: str
) -> list[Decision]:
    """``Queue(tier)``, and for a push tier the ``Assign`` of whoever is next, if anyone."""
    intake = settings.intake(tier)
    if intake == "pull":
        return [Queue(tier, f"{why}; it waits in the queue for an agent to take it", intake)]
    decisions: list[Decision] = [Queue(tier, why, intake)]
    if org is not None:
        pick = pick_agent(ticket, tier, org, settings.strategy, settings.name(tier))
        if pick is not None:
            decisions.append(Assign(pick.agent.id, pick.why))
    return decisions


def _with_note(why: str, note: str) -> str:
    return f"{why}: {note.strip()}" if note.strip() else why


def _duration(seconds: float) -> str:
    if seconds % 86400 == 0:
        return f"{int(seconds // 86400)} d"
    if seconds % 3600 == 0:
        return f"{int(seconds // 3600)} h"
    if seconds % 60 == 0:
        return f"{int(seconds // 60)} min"
    return f"{int(seconds)} s"

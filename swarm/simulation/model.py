"""The world on the engine: agents on shifts, tickets with work content, and the production
routing policies applied to them exactly as the live service applies them.

One :class:`World` runs one arm (``swarm`` or ``tiered``) of one replication. It builds the same
``TicketView``/``OrgView`` the live driver builds, calls :class:`~swarm.matching.policy.SwarmPolicy`
or :class:`~swarm.tiers.policy.TieredPolicy` unchanged, and applies each ``Decision`` to its own
state as ``TicketService.apply_decisions`` does to the database, writing the same events with the
same data keys (docs/events.md). ``docs/simulation-model.md`` describes the model; in short:

* a ticket's work is hours per skill at level-3 speed; the team's speed on a skill is the owner's
  (``speed[level]``) or, when a helper knows it better, the helper's slowed by the coordination
  overhead; below ``min_level`` nobody on the team can do it and the ticket is stuck;
* work progresses only while the owner is on shift; every owner after the first pays a
  re-diagnosis delay; a ticket that needs a vendor goes to the vendor when its own work is done;
* tiered tickets escalate when the policy's tier limit passes (the engine fires the deadline the
  policy set); a stuck ticket (in either arm) is released by its owner after
  ``stuck_release_hours`` and the policy routes it again (``on_released``), never back to them;
* helpers invited by the owner join after a delay if on shift and under capacity, and gain
  evidence on the skills they covered — the product's own evidence rule raises their level;
* a tiered owner who cannot finish before the tier limit may escalate by hand first
  (``hand_escalation``), an owner may wait on the requester (``pending_share``: the tier clock
  stops), and a tiered vendor case goes to the vendors' tier by its owner's hand, as live.

Examples
--------
>>> from swarm.simulation.scenario import parse_scenario
>>> from swarm.simulation.workload import draw_tickets, stream
>>> s = parse_scenario('''
... seed: 1
... tickets: 20
... arrivals: {per_hour: 2}
... skills: [VPN]
... categories: [{name: vpn, skills: {VPN: 1}, work_hours: {VPN: 0.5}}]
... agents: {count: 3, shifts: [{start_hour: 0, hours: 24, days: [0, 1, 2, 3, 4, 5, 6]}]}
... ''')
>>> rows = []
>>> world = World(s, "swarm", draw_tickets(s, 0), stream(1, 0, 1), rows.extend)
>>> summary = world.run()
>>> summary.tickets, summary.resolved, rows[0]["type"], rows[0]["data"]["mode"]
(20, 20, 'created', 'swarm')
"""

from __future__ import annotations

import gc
import heapq
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import NormalDist
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from swarm.events import AssignedBy, EventType
from swarm.matching.index import AgentIndex
from swarm.matching.policy import SwarmPolicy
from swarm.metrics.memory import EventRow
from swarm.routing import (
    AgentView,
    Assign,
    ClearDeadline,
    Decision,
    Escalate,
    Offer,
    OrgView,
    Queue,
    SetDeadline,
    SuggestHelpers,
    TicketView,
)
from swarm.simulation.engine import Handle, Simulation
from swarm.simulation.scenario import AgentSpec, HandOnRule, Scenario
from swarm.simulation.workload import TicketSpec
from swarm.skills.graph import Skill, SkillRelation, build_skill_graph
from swarm.skills.proficiency import Proficiency, level_supported_by
from swarm.tiers.config import tiered_variant
from swarm.tiers.policy import (
    TIER_LIMIT,
    TieredPolicy,
    TierMoveError,
    plan_deescalation,
    plan_escalation,
)
from swarm.tiers.sla import SlaClock

__all__ = ["ArmSummary", "RowSink", "World"]

#: Receives batches of event rows (``DatasetWriter.add`` fits).
RowSink = Callable[[list[EventRow]], object]

_PRIORITY_ORDER = {"P1": 0, "P2": 1, "P3": 2, "P4": 3}
_NORMAL = NormalDist()


@dataclass(frozen=True)
class ArmSummary:
    """What one arm's run did, besides its events."""

    arm: str
    tickets: int
    resolved: int
    events: int
    end: datetime
    agents: tuple[tuple[int, str, int], ...]
    actions: int


class _Agent:
    __slots__ = (
        "evidence", "helping", "id", "levels", "load", "name", "owned", "present", "profile",
        "shift", "spec", "tiers", "views", "wants",
    )  # fmt: skip

    def __init__(self, spec: AgentSpec) -> None:
        self.spec = spec
        self.id = spec.id
        self.name = spec.name
        self.tiers = spec.tiers
        self.levels: dict[int, int] = dict(spec.levels)
        self.wants = spec.wants
        self.present = False
        self.load = 0
        self.helping = 0
        self.owned: set[int] = set()
        self.evidence: dict[int, float] = {}
        self.profile = {s: Proficiency(lv) for s, lv in self.levels.items() if lv > 0}
        #: The views of this profile by (present, load): a view is immutable, and an agent
        #: goes through the same few states again and again.
        self.views: dict[tuple[bool, int], AgentView] = {}

    def set_profile(self) -> None:
        """The levels changed: a new profile, and the views of the old one are gone."""
        self.profile = {s: Proficiency(lv) for s, lv in self.levels.items() if lv > 0}
        self.views = {}

    def view(self) -> AgentView:
        key = (self.present, self.load)
        view = self.views.get(key)
        if view is None:
            view = self.views[key] = AgentView(
                self.id,
                self.name,
                self.present,
                self.load,
                self.spec.capacity,
                self.tiers,
                self.profile,
                self.wants,
            )
        return view


class _Ticket:
    __slots__ = (
        "created", "deadlines", "escalation", "excluded", "finish", "hand_on", "helpers", "id",
        "owner", "owners", "paused_left", "pending", "rate", "remaining", "requester",
        "resolved", "since", "spec", "status", "stuck_check", "tier", "vendor_done",
        "wants_pending", "with_vendor", "work_from",
    )  # fmt: skip

    def __init__(self, spec: TicketSpec, ticket_id: int, now: float) -> None:
        self.spec = spec
        self.id = ticket_id
        self.created = now
        self.requester = spec.requester
        self.owner: _Agent | None = None
        self.owners = 0
        self.tier: int | None = None
        self.excluded: set[int] = set()
        self.deadlines: dict[str, tuple[datetime, Handle]] = {}
        self.helpers: dict[int, float] = {}
        self.status = "new"
        self.resolved = False
        self.remaining = 1.0
        self.rate = 0.0
        self.since = now
        self.work_from = now
        self.finish: Handle | None = None
        self.stuck_check: Handle | None = None
        self.hand_on: Handle | None = None
        self.with_vendor = False
        self.vendor_done = False
        #: The owner's hand escalation, planned when their team cannot beat the tier limit.
        self.escalation: Handle | None = None
        #: Waiting on the requester: drawn at arrival, planned halfway through the work, and
        #: the handle of the wait's start or end.
        self.wants_pending = False
        self.pending: Handle | None = None
        #: While pending (the status), the tier limit's time left when the clock stopped.
        self.paused_left: float | None = None


class World:
    """One arm of one replication on its own engine.

    Parameters
    ----------
    scenario : Scenario
    arm : {"swarm", "tiered"}
    tickets : sequence of TicketSpec
        The arrivals (:func:`~swarm.simulation.workload.draw_tickets`), shared by the arms.
    rng : numpy Generator
        The arm's own stream for policy-dependent draws (join delays, offer acceptance).
    sink : callable
        Called with each batch of event rows, and once more at the end.
    ticket_offset : int
        Added to the ticket numbers, so that two arms stored in one dataset do not collide.
    batch : int
        Rows per call of ``sink``.
    """

    def __init__(
        self,
        scenario: Scenario,
        arm: str,
        tickets: Sequence[TicketSpec],
        rng: np.random.Generator,
        sink: RowSink,
        *,
        ticket_offset: int = 0,
        batch: int = 20_000,
    ) -> None:
        if arm not in ("swarm", "tiered"):
            raise ValueError(f"unknown arm {arm!r}: swarm or tiered")
        self.s = scenario
        self.m = scenario.model
        self.arm = arm
        self.tiered = arm == "tiered"
        self.specs = tickets
        self.rng = rng
        # Waits on requesters draw from a stream of their own (seeded from ``rng`` once), so that
        # turning them on leaves every other draw of the run where it was.
        self.waits = (
            np.random.default_rng(int(rng.integers(2**63)))
            if scenario.model.pending_share > 0.0
            else rng
        )
        self.sink = sink
        self.offset = ticket_offset
        self.batch = batch
        self.sim = Simulation()
        self.t0 = scenario.start
        self._dt_at = -1.0
        self._dt = self.t0
        self.rows: list[EventRow] = []
        self.events = 0
        self.resolved = 0
        self.created = 0
        self.invitations = 0
        self.graph = build_skill_graph(
            [Skill(i, name) for i, name, _ in scenario.skills],
            [SkillRelation(i, p, "is_a") for i, _, p in scenario.skills if p is not None],
        )
        self.agents = {spec.id: _Agent(spec) for spec in scenario.agents}
        self.by_tier: dict[int, list[_Agent]] = {}
        for agent in self.agents.values():
            for tier in agent.tiers:
                self.by_tier.setdefault(tier, []).append(agent)
        self.index = AgentIndex([a.view() for a in self.agents.values()], self.graph, self.t0)
        self.rotation: dict[int, int] = {}
        self.org = OrgView(
            self.index.views,
            self.graph,
            index=self.index,
            tier_rotation=self.rotation,
            # Agents' tiers never change in a run: tiered assignment reads a tier's agents only.
            tier_members={tier: [a.id for a in agents] for tier, agents in self.by_tier.items()},
        )
        # One required-skills mapping per skill set, shared by the views (read-only to policies).
        self._skills_of: dict[tuple[tuple[int, float], ...], dict[int, float]] = {}
        self.policy: SwarmPolicy | TieredPolicy = (
            TieredPolicy(scenario.tiered) if self.tiered else SwarmPolicy(scenario.swarm)
        )
        self.variant = tiered_variant(scenario.tiered)
        #: Tiers that are vendors (``has_tier(t) and tier(t).external``, asked once).
        self.external = frozenset(t.tier for t in scenario.tiered.tiers if t.external)
        self.tickets: dict[int, _Ticket] = {}
        self.queues: dict[int, list[tuple[int, float, int]]] = {}
        self.pull_due: set[int] = set()
        self.speed = scenario.model.speed
        self._categories = {c.name: c for c in scenario.categories}

    # ------------------------------------------------------------------ running

    def run(self) -> ArmSummary:
        """Schedule arrivals and shifts, run to the horizon, flush the rows; returns a summary."""
        last = self.specs[-1].at if self.specs else 0.0
        end = (
            self.s.duration_days * 86400.0 if self.s.duration_days is not None else last
        ) + self.m.drain_days * 86400.0
        # One arrival pending at a time, each scheduling the next: the engine's heap holds the
        # live work, not 100,000 future arrivals (every push and pop is log of its size).
        if self.specs:
            self.sim.at(self.specs[0].at, self._arrive_next, 0)
        for agent in self.agents.values():
            self._schedule_shifts(agent, end)
        # The cyclic garbage collector off for the run: it would walk the arrivals and the
        # organisation, alive from start to end, over and over (a fifth of a 50,000-ticket run),
        # to find about one cycle per 50 tickets (handles and tickets pointing at each other,
        # freed when it is back on).
        collecting = gc.isenabled()
        gc.disable()
        try:
            actions = self.sim.run(until=end)
        finally:
            if collecting:
                gc.enable()
        self._flush()
        return ArmSummary(
            self.arm,
            self.created,
            self.resolved,
            self.events,
            self._now(),
            tuple((a.id, a.name, max(a.tiers)) for a in self.agents.values()),
            actions,
        )

    def _schedule_shifts(self, agent: _Agent, end: float) -> None:
        shift = agent.spec.shift
        zone = ZoneInfo(shift.timezone)
        day = (self.t0 - timedelta(days=1)).astimezone(zone).date()
        last_day = (self.t0 + timedelta(seconds=end)).astimezone(zone).date()
        intervals: list[tuple[float, float]] = []
        while day <= last_day:
            if day.weekday() in shift.days:
                local = datetime(day.year, day.month, day.day, tzinfo=zone) + timedelta(
                    hours=shift.start_hour
                )
                on = (local - self.t0).total_seconds()
                off = on + shift.hours * 3600.0
                if off > 0 and on < end:
                    intervals.append((max(on, 0.0), min(off, end)))
            day += timedelta(days=1)
        # Merge touching intervals (a 24-hour shift every day is one long presence).
        merged: list[list[float]] = []
        for on, off in intervals:
            if merged and on <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], off)
            else:
                merged.append([on, off])
        for on, off in merged:
            self.sim.at(on, self._shift_start, agent)
            if off < end:
                self.sim.at(off, self._shift_end, agent)

    # ------------------------------------------------------------------ time and rows

    def _now(self) -> datetime:
        now = self.sim.now
        if now != self._dt_at:
            self._dt_at = now
            self._dt = self.t0 + timedelta(seconds=now)
        return self._dt

    def _emit(
        self, ticket: _Ticket, kind: EventType, actor: int | None, data: dict[str, Any]
    ) -> None:
        now = self.sim.now
        if now != self._dt_at:  # self._now(), inlined: the hottest call of a run
            self._dt_at = now
            self._dt = self.t0 + timedelta(seconds=now)
        rows = self.rows
        # Plain strings in the rows: they are data for storage, not enums (``_value_`` is
        # ``.value`` without the descriptor).
        rows.append(
            {
                "ticket_id": ticket.id,
                "type": kind._value_,
                "actor_id": actor,
                "at": self._dt,
                "data": data,
            }
        )
        if len(rows) >= self.batch:
            self._flush()

    def _flush(self) -> None:
        if self.rows:
            self.events += len(self.rows)
            batch, self.rows = self.rows, []
            self.sink(batch)

    # ------------------------------------------------------------------ views

    def _view(self, ticket: _Ticket) -> TicketView:
        skills = self._skills_of.get(ticket.spec.skills)
        if skills is None:
            skills = self._skills_of[ticket.spec.skills] = dict(ticket.spec.skills)
        return TicketView(
            id=ticket.id,
            priority=ticket.spec.priority,
            required_skills=skills,
            requester_id=ticket.requester,
            owner_id=None if ticket.owner is None else ticket.owner.id,
            tier=ticket.tier,
            mode="tiered" if self.tiered else "swarm",
            excluded_agents=frozenset(ticket.excluded),
            deadlines={kind: at for kind, (at, _) in ticket.deadlines.items()},
        )

    def _refresh(self, agent: _Agent) -> None:
        self.index.update_agent(agent.view())

    # ------------------------------------------------------------------ lifecycle

    def _arrive_next(self, i: int) -> None:
        if i + 1 < len(self.specs):
            self.sim.at(self.specs[i + 1].at, self._arrive_next, i + 1)
        self._arrive(self.specs[i])

    def _arrive(self, spec: TicketSpec) -> None:
        ticket = _Ticket(spec, spec.number + self.offset, self.sim.now)
        self.tickets[ticket.id] = ticket
        if self.m.pending_share > 0.0:
            ticket.wants_pending = float(self.waits.random()) < self.m.pending_share
        self.created += 1
        data: dict[str, Any] = {
            "subject": f"{spec.category} #{spec.number}",
            "priority": spec.priority,
            "mode": self.arm,
            "requester_id": spec.requester,
            "category": spec.category,
        }
        if self.tiered:
            data.update(self.variant)
        self._emit(ticket, EventType.CREATED, spec.requester, data)
        self._emit(
            ticket,
            EventType.SKILLS_SET,
            None,
            {"skills": [{"skill_id": s, "weight": w} for s, w in spec.skills], "by": "inferred"},
        )
        self._apply(ticket, self.policy.on_opened(self._view(ticket), self.org, self._now()))

    def _apply(
        self,
        ticket: _Ticket,
        decisions: Iterable[Decision],
        *,
        actor: int | None = None,
        note: str = "",
    ) -> None:
        """``swarm.tickets.decisions.carry_out``, on the simulator's state; ``actor`` and
        ``note`` are the person who moves the ticket between tiers by hand and what they
        wrote."""
        policy = self.arm
        for d in decisions:
            if isinstance(d, Assign):
                agent = self.agents.get(d.agent_id)
                if ticket.owner is None and not ticket.resolved and agent is not None:
                    self._set_owner(ticket, agent, AssignedBy.POLICY, None, d.why)
            elif isinstance(d, Queue):
                if d.tier is not None:
                    ticket.tier = d.tier
                data: dict[str, Any] = {"tier": d.tier, "policy": policy}
                if d.why:
                    data["why"] = d.why
                if d.intake is not None:
                    data["intake"] = d.intake
                self._emit(ticket, EventType.QUEUED, None, data)
                if d.tier is not None:
                    key = (_PRIORITY_ORDER[ticket.spec.priority], ticket.created, ticket.id)
                    heapq.heappush(self.queues.setdefault(d.tier, []), key)
            elif isinstance(d, Escalate):
                self._escalate(ticket, d, actor, note)
            elif isinstance(d, SetDeadline):
                self._clear_deadline(ticket, d.kind)
                when = max((d.at - self.t0).total_seconds(), self.sim.now)
                handle = self.sim.at(when, self._deadline, (ticket, d.kind))
                ticket.deadlines[d.kind] = (d.at, handle)
            elif isinstance(d, ClearDeadline):
                self._clear_deadline(ticket, d.kind)
            elif isinstance(d, SuggestHelpers):
                if ticket.owner is not None:
                    for agent_id in d.agent_ids:
                        self._invite(ticket, agent_id)
            elif isinstance(d, Offer):
                self._offer(ticket, d)
        if ticket.owner is None and not ticket.resolved and ticket.tier is not None:
            if ticket.tier in self.external:
                if not ticket.with_vendor:
                    self._to_vendor(ticket)
            else:
                self._pull_soon(ticket.tier)

    def _clear_deadline(self, ticket: _Ticket, kind: str) -> None:
        pending = ticket.deadlines.pop(kind, None)
        if pending is not None:
            Simulation.cancel(pending[1])

    def _deadline(self, arg: tuple[_Ticket, str]) -> None:
        ticket, kind = arg
        if ticket.resolved or kind not in ticket.deadlines:
            return
        at = ticket.deadlines[kind][0]
        decisions = self.policy.on_deadline(self._view(ticket), self.org, max(at, self._now()))
        self._apply(ticket, decisions)
        current = ticket.deadlines.get(kind)
        if current is not None and not Simulation.pending(current[1]):
            del ticket.deadlines[kind]  # fired and not set again: gone, as the sweeper deletes it

    def _set_owner(
        self, ticket: _Ticket, agent: _Agent, by: str, actor: int | None, why: str | None
    ) -> None:
        data: dict[str, Any] = {"agent_id": agent.id, "by": str(by), "previous_owner_id": None}
        if why:
            data["why"] = why
        if self.tiered and ticket.tier is not None:
            data["tier"] = ticket.tier
        self._emit(ticket, EventType.ASSIGNED, actor, data)
        joined = ticket.helpers.pop(agent.id, None)
        if joined is not None:
            agent.helping -= 1
            self._emit(
                ticket,
                EventType.HELPER_LEFT,
                agent.id,
                {
                    "agent_id": agent.id,
                    "seconds": int(self.sim.now - joined),
                    "reason": "became_owner",
                    "became_owner": True,
                },
            )
        if ticket.status == "new":
            ticket.status = "open"
            self._emit(ticket, EventType.STATUS_CHANGED, actor, {"from": "new", "to": "open"})
        if by == AssignedBy.POLICY and self.tiered and ticket.tier is not None:
            self.rotation[ticket.tier] = agent.id
        ticket.owner = agent
        ticket.owners += 1
        agent.load += 1
        agent.owned.add(ticket.id)
        self._refresh(agent)
        now = self.sim.now
        ticket.since = now
        # Every owner after the first finds out again what the ticket is about.
        ticket.work_from = now + (self.m.rediagnosis_hours * 3600.0 if ticket.owners > 1 else 0.0)
        if self.m.handoff is not None and self.arm in self.m.handoff.arms:
            self._plan_hand_on(ticket, agent)
        self._reschedule(ticket)
        if ticket.rate == 0.0:
            ticket.stuck_check = self.sim.after(
                self.m.stuck_release_hours * 3600.0, self._stuck, (ticket, agent)
            )
        if not ticket.with_vendor and not self._plan_hand_escalation(ticket, agent):
            self._plan_pending(ticket)

    def _finish_at(self, ticket: _Ticket) -> float:
        """When the current team would finish the ticket working without a break (inf: never)."""
        if ticket.rate <= 0.0:
            return math.inf
        return max(self.sim.now, ticket.work_from) + ticket.remaining / ticket.rate

    def _plan_hand_escalation(self, ticket: _Ticket, agent: _Agent) -> bool:
        """``model.hand_escalation``: a tiered owner who sees that their team cannot finish the
        ticket before the tier's time limit escalates it by hand (to the next internal tier)
        after trying for part of the time left; the others work on until the limit moves it.
        True when the owner will not finish it in this tier before its limit."""
        limit = ticket.deadlines.get(TIER_LIMIT)
        if not self.tiered or ticket.tier is None or limit is None:
            return False
        due = (limit[0] - self.t0).total_seconds()
        if self._finish_at(ticket) <= due:
            return False
        share = self.m.hand_escalation
        target = ticket.tier + 1
        settings = self.s.tiered
        if (
            share > 0.0
            and settings.has_tier(target)
            and not settings.tier(target).external
            and float(self.rng.random()) < share
        ):
            left = max(due - self.sim.now, 0.0)
            delay = left * float(self.rng.uniform(0.2, 0.9))
            ticket.escalation = self.sim.after(delay, self._escalate_by_hand, (ticket, agent))
        return True

    def _escalate_by_hand(self, arg: tuple[_Ticket, _Agent]) -> None:
        ticket, agent = arg
        ticket.escalation = None
        if ticket.resolved or ticket.owner is not agent or ticket.tier is None:
            return
        note = "beyond this tier: escalating before its time limit"
        try:
            decisions = plan_escalation(
                self._view(ticket),
                ticket.tier + 1,
                self.s.tiered,
                now=self._now(),
                org=self.org,
                note=note,
            )
        except TierMoveError:
            return
        self._apply(ticket, decisions, actor=agent.id, note=note)

    def _plan_pending(self, ticket: _Ticket) -> None:
        """``model.pending_share``: halfway through the work the owner asks the requester for
        something and the ticket waits (``pending``) until they answer."""
        if not ticket.wants_pending or ticket.pending is not None or ticket.rate <= 0.0:
            return
        half = max(self.sim.now, ticket.work_from) + ticket.remaining / ticket.rate / 2.0
        ticket.pending = self.sim.at(half, self._pend, ticket)

    def _pend(self, ticket: _Ticket) -> None:
        owner = ticket.owner
        if ticket.resolved or owner is None or ticket.with_vendor:
            ticket.pending = None
            return
        ticket.wants_pending = False
        self._progress(ticket)
        if ticket.finish is not None:
            Simulation.cancel(ticket.finish)
            ticket.finish = None
        self._set_status(ticket, "pending", owner.id)
        limit = ticket.deadlines.get(TIER_LIMIT)
        ticket.paused_left = None if limit is None else (limit[0] - self._now()).total_seconds()
        if isinstance(self.policy, TieredPolicy):
            # The live status hook: the tier clock stops while the ticket waits.
            self._apply(ticket, self.policy.on_paused(self._view(ticket), self._now()))
        wait = float(self.waits.exponential(self.m.pending_hours * 3600.0))
        ticket.pending = self.sim.after(wait, self._unpend, ticket)

    def _unpend(self, ticket: _Ticket) -> None:
        """The requester answered: the owner opens the ticket again and the tier clock runs on
        (``on_resumed``: the deadline pushed back by the wait)."""
        ticket.pending = None
        if ticket.resolved or ticket.status != "pending":
            return
        owner = ticket.owner
        self._set_status(ticket, "open", None if owner is None else owner.id)
        ticket.since = self.sim.now
        left, ticket.paused_left = ticket.paused_left, None
        if isinstance(self.policy, TieredPolicy) and left is not None and ticket.tier is not None:
            limit = self.s.tiered.limit(ticket.tier, ticket.spec.priority)
            if limit is not None:
                now = self._now()
                clock = SlaClock(now - (limit - timedelta(seconds=left)))
                self._apply(ticket, self.policy.on_resumed(self._view(ticket), clock, now))
        self._reschedule(ticket)

    def _clear_owner(self, ticket: _Ticket) -> _Agent | None:
        agent = ticket.owner
        if agent is None:
            return None
        self._progress(ticket)
        if ticket.finish is not None:
            Simulation.cancel(ticket.finish)
            ticket.finish = None
        if ticket.stuck_check is not None:
            Simulation.cancel(ticket.stuck_check)
            ticket.stuck_check = None
        if ticket.hand_on is not None:
            Simulation.cancel(ticket.hand_on)
            ticket.hand_on = None
        if ticket.escalation is not None:
            Simulation.cancel(ticket.escalation)
            ticket.escalation = None
        if ticket.pending is not None and ticket.status != "pending":
            Simulation.cancel(ticket.pending)  # the wait this owner planned: not begun
            ticket.pending = None
        ticket.owner = None
        agent.load -= 1
        agent.owned.discard(ticket.id)
        self._refresh(agent)
        self._freed(agent)
        return agent

    def _escalate(self, ticket: _Ticket, d: Escalate, actor: int | None, note: str) -> None:
        previous = ticket.owner
        downwards = ticket.tier is not None and d.to_tier < ticket.tier
        data: dict[str, Any] = {"from_tier": ticket.tier, "to_tier": d.to_tier, "reason": d.reason}
        if note.strip():
            data["note"] = note.strip()
        data["previous_owner_id"] = None if previous is None else previous.id
        self._emit(ticket, EventType.DEESCALATED if downwards else EventType.ESCALATED, actor, data)
        if previous is not None:
            self._emit(
                ticket,
                EventType.UNASSIGNED,
                actor,
                {
                    "previous_owner_id": previous.id,
                    "reason": "deescalated" if downwards else "escalated",
                },
            )
        ticket.tier = d.to_tier
        self._clear_owner(ticket)

    def _stuck(self, arg: tuple[_Ticket, _Agent]) -> None:
        """An owner who cannot progress lets go; the policy routes the ticket again
        (``on_released``: swarm ranks again without them, tiered re-queues in the same tier)."""
        ticket, agent = arg
        ticket.stuck_check = None
        if ticket.resolved or ticket.owner is not agent or ticket.rate > 0.0:
            return
        self._emit(
            ticket,
            EventType.UNASSIGNED,
            agent.id,
            {"previous_owner_id": agent.id, "reason": "needs skills the owner lacks"},
        )
        ticket.excluded.add(agent.id)
        self._clear_owner(ticket)
        self._apply(ticket, self.policy.on_released(self._view(ticket), self.org, self._now()))

    def _plan_hand_on(self, ticket: _Ticket, agent: _Agent) -> None:
        """``model.handoff``: with the owner's tier's probability this owner cannot resolve the
        ticket; they hold it for a drawn time (mean ``hours``, lognormal ``spread``) doing what
        they can, then hand it on (:meth:`_hand_on`). Their own progress waits until then."""
        handoff = self.m.handoff
        assert handoff is not None
        tier = ticket.tier if self.tiered and ticket.tier is not None else max(agent.tiers)
        rule = handoff.tiers.get(tier)
        if rule is None:
            return
        p = rule.probability
        by = handoff.by_handoffs
        if by:
            p = by[min(ticket.owners - 1, len(by) - 1)]
        if p <= 0.0:
            return
        rho = handoff.correlation
        if rho > 0.0:
            # Gaussian copula: the ticket's own work draw (shared by the arms) and fresh noise.
            x = rho * self._difficulty(ticket) + math.sqrt(1.0 - rho * rho) * float(
                self.rng.standard_normal()
            )
            if p >= 1.0 or x <= _NORMAL.inv_cdf(1.0 - p):
                return
        elif float(self.rng.random()) >= p:
            return
        z = float(self.rng.standard_normal())
        hours = rule.hours * math.exp(rule.spread * z - rule.spread * rule.spread / 2.0)
        delay = hours * 3600.0
        ticket.work_from = max(ticket.work_from, self.sim.now + delay)
        ticket.hand_on = self.sim.after(delay, self._hand_on, (ticket, agent, rule))

    def _difficulty(self, ticket: _Ticket) -> float:
        """The standard normal behind the ticket's work on its first skill (the workload's
        lognormal draw inverted; 0 for a gamma category)."""
        category = self._categories.get(ticket.spec.category)
        if category is None or category.distribution != "lognormal" or not ticket.spec.work:
            return 0.0
        skill, hours = ticket.spec.work[0]
        mean, sigma = category.work_hours.get(skill, 0.0), category.spread
        if mean <= 0.0 or hours <= 0.0 or sigma <= 0.0:
            return 0.0
        return (math.log(hours / mean) + sigma * sigma / 2.0) / sigma

    def _hand_on(self, arg: tuple[_Ticket, _Agent, HandOnRule]) -> None:
        """The owner hands the ticket on: up a tier (the production ``plan_escalation``), down
        (``plan_deescalation``) or to someone else of the same tier — a release the policy
        routes again (``on_released``: tiered re-queues in the tier, swarm ranks on skills)."""
        ticket, agent, rule = arg
        ticket.hand_on = None
        if ticket.resolved or ticket.owner is not agent or ticket.with_vendor:
            return
        u = float(self.rng.random())
        direction = "up" if u < rule.up else "down" if u < rule.up + rule.down else "same"
        now = self._now()
        note = "handed on: the owner could not resolve it"
        if self.tiered and ticket.tier is not None and direction != "same":
            settings = self.s.tiered
            target = ticket.tier + 1 if direction == "up" else ticket.tier - 1
            if settings.has_tier(target) and not settings.tier(target).external:
                planner = plan_escalation if direction == "up" else plan_deescalation
                try:
                    decisions = planner(
                        self._view(ticket), target, settings, now=now, org=self.org, note=note
                    )
                except TierMoveError:
                    decisions = []
                if decisions:
                    self._apply(ticket, decisions, actor=agent.id, note=note)
                    return
        self._emit(
            ticket,
            EventType.UNASSIGNED,
            agent.id,
            {"previous_owner_id": agent.id, "reason": note},
        )
        ticket.excluded.add(agent.id)
        self._clear_owner(ticket)
        self._apply(ticket, self.policy.on_released(self._view(ticket), self.org, now))

    # ------------------------------------------------------------------ work

    def _team_duration(self, ticket: _Ticket) -> float:
        """Seconds the current team needs for the whole ticket (inf when a skill is beyond it)."""
        owner = ticket.owner
        assert owner is not None
        speed = self.speed
        overhead = 1.0 + self.m.coordination_overhead
        helpers = [self.agents[h] for h in ticket.helpers]
        total = 0.0
        for skill, hours in ticket.spec.work:
            own = owner.levels.get(skill, 0)
            best = speed[own] if own >= self.m.min_level else 0.0
            for helper in helpers:
                level = helper.levels.get(skill, 0)
                if level >= self.m.min_level and level > own:
                    best = max(best, speed[level] / overhead)
            if best <= 0.0:
                return math.inf
            total += hours * 3600.0 / best
        return total

    def _progress(self, ticket: _Ticket) -> None:
        now = self.sim.now
        owner = ticket.owner
        if owner is not None and owner.present and ticket.rate > 0.0 and ticket.status != "pending":
            start = max(ticket.since, ticket.work_from)
            if now > start:
                ticket.remaining = max(0.0, ticket.remaining - (now - start) * ticket.rate)
        ticket.since = now

    def _reschedule(self, ticket: _Ticket) -> None:
        if ticket.finish is not None:
            Simulation.cancel(ticket.finish)
            ticket.finish = None
        owner = ticket.owner
        if owner is None or ticket.with_vendor or ticket.resolved:
            return
        duration = self._team_duration(ticket)
        if ticket.status == "pending":
            ticket.rate = 1.0 / max(duration, 1e-9) if not math.isinf(duration) else 0.0
            return
        ticket.rate = 0.0 if math.isinf(duration) else 1.0 / max(duration, 1e-9)
        if ticket.rate > 0.0 and owner.present:
            begin = max(self.sim.now, ticket.work_from)
            ticket.finish = self.sim.at(begin + ticket.remaining / ticket.rate, self._done, ticket)
        if ticket.pending is not None and ticket.status != "pending":
            # A helper joined, a shift began: the wait comes halfway through what is left now.
            Simulation.cancel(ticket.pending)
            ticket.pending = None
            self._plan_pending(ticket)

    def _done(self, ticket: _Ticket) -> None:
        ticket.finish = None
        ticket.remaining = 0.0
        if ticket.spec.vendor and not ticket.vendor_done:
            self._to_vendor(ticket)
        else:
            self._resolve(ticket)

    def _to_vendor(self, ticket: _Ticket) -> None:
        ticket.with_vendor = True
        owner = ticket.owner
        if self.tiered and owner is not None and ticket.tier is not None:
            self._take_to_vendors(ticket, owner)
        due = self._now() + timedelta(hours=self.m.vendor_sla_hours)
        actor = None if ticket.owner is None else ticket.owner.id
        self._emit(
            ticket,
            EventType.VENDOR_HANDOFF,
            actor,
            {
                "vendor": "Vendor",
                "vendor_id": 1,
                "external_ref": f"V-{ticket.id}",
                "due_at": due.isoformat(),
            },
        )
        if isinstance(self.policy, TieredPolicy):
            # The live driver pauses the tier clock while a vendor works.
            self._apply(ticket, self.policy.on_paused(self._view(ticket), self._now()))
        if self.tiered and actor is not None:
            # The owner waits on the vendor: pending, as the live desk marks it.
            self._set_status(ticket, "pending", actor)
        self.sim.after(ticket.spec.vendor_hours * 3600.0, self._vendor_back, ticket)

    def _take_to_vendors(self, ticket: _Ticket, owner: _Agent) -> None:
        """A tiered owner whose ticket needs a vendor moves it to the vendors' tier by hand
        (``plan_escalation``: a time limit never does it in a faithful scenario, see
        ``last_automatic_tier``) and takes it there to run the case, as the live service needs
        (a hand-off is made from the vendors' tier, by a person)."""
        vendors = [t for t in self.external if ticket.tier is not None and t > ticket.tier]
        if not vendors:
            return
        note = "needs the vendor: opening a case with them"
        try:
            decisions = plan_escalation(
                self._view(ticket), min(vendors), self.s.tiered, now=self._now(), note=note
            )
        except TierMoveError:
            return
        self._apply(ticket, decisions, actor=owner.id, note=note)
        if ticket.owner is None:
            self._set_owner(ticket, owner, AssignedBy.PULL, owner.id, None)

    def _set_status(self, ticket: _Ticket, status: str, actor: int | None) -> None:
        previous, ticket.status = ticket.status, status
        self._emit(ticket, EventType.STATUS_CHANGED, actor, {"from": previous, "to": status})

    def _vendor_back(self, ticket: _Ticket) -> None:
        if ticket.resolved:
            return
        ticket.with_vendor = False
        ticket.vendor_done = True
        # Only staff record a vendor's answer live: the owner does, in the tiered arm.
        actor = None if ticket.owner is None or not self.tiered else ticket.owner.id
        self._emit(
            ticket,
            EventType.VENDOR_UPDATE,
            actor,
            {"status": "resolved", "vendor_id": 1, "external_ref": f"V-{ticket.id}"},
        )
        if actor is not None and ticket.status == "pending":
            self._set_status(ticket, "open", actor)
        self._resolve(ticket)

    def _resolve(self, ticket: _Ticket) -> None:
        owner = ticket.owner
        actor = None if owner is None else owner.id
        previous = ticket.status
        ticket.status = "resolved"
        ticket.resolved = True
        self.resolved += 1
        self._emit(
            ticket,
            EventType.RESOLVED,
            actor,
            {"from": previous, "to": "resolved", "resolution": "simulated"},
        )
        now = self.sim.now
        helpers = [self.agents[h] for h in ticket.helpers]
        for helper in helpers:
            self._emit(
                ticket,
                EventType.HELPER_LEFT,
                helper.id,
                {
                    "agent_id": helper.id,
                    "seconds": int(now - ticket.helpers[helper.id]),
                    "reason": "resolved",
                },
            )
            helper.helping -= 1
        for _, handle in ticket.deadlines.values():
            Simulation.cancel(handle)
        ticket.deadlines.clear()
        if ticket.stuck_check is not None:
            Simulation.cancel(ticket.stuck_check)
        if ticket.hand_on is not None:
            Simulation.cancel(ticket.hand_on)
        if ticket.escalation is not None:
            Simulation.cancel(ticket.escalation)
        if ticket.pending is not None:
            Simulation.cancel(ticket.pending)
        self._grow(ticket, owner, helpers)
        if owner is not None:
            ticket.owner = None
            owner.load -= 1
            owner.owned.discard(ticket.id)
            self._refresh(owner)
            self._freed(owner)
        ticket.helpers.clear()
        # The ticket's state is no longer needed: keep memory flat over long runs.
        del self.tickets[ticket.id]

    def _grow(self, ticket: _Ticket, owner: _Agent | None, helpers: list[_Agent]) -> None:
        """Evidence: the owner on every required skill, a helper on the skills they covered;
        ``growth_per_help`` units each (doubled on a learning goal), and the product's rule
        (``level_supported_by``) turns evidence into a level floor."""
        rate = self.m.growth_per_help
        if rate <= 0.0:
            return
        skills = [s for s, _ in ticket.spec.skills]
        gains: list[tuple[_Agent, int]] = []
        if owner is not None:
            gains.extend((owner, s) for s in skills)
            for helper in helpers:
                gains.extend(
                    (helper, s) for s in skills if helper.levels.get(s, 0) > owner.levels.get(s, 0)
                )
        changed: set[int] = set()
        for agent, skill in gains:
            units = rate * (2.0 if skill in agent.wants else 1.0)
            evidence = agent.evidence.get(skill, 0.0) + units
            agent.evidence[skill] = evidence
            floor = level_supported_by(int(evidence))
            if floor > agent.levels.get(skill, 0):
                agent.levels[skill] = floor
                changed.add(agent.id)
        for agent_id in changed:
            agent = self.agents[agent_id]
            agent.set_profile()
            self._refresh(agent)
            for owned in agent.owned:
                t = self.tickets.get(owned)
                if t is not None:
                    self._progress(t)
                    self._reschedule(t)

    # ------------------------------------------------------------------ helpers and offers

    def _invite(self, ticket: _Ticket, agent_id: int) -> None:
        self.invitations += 1
        invitation = self.invitations
        owner = ticket.owner
        self._emit(
            ticket,
            EventType.HELPER_INVITED,
            None if owner is None else owner.id,
            {"agent_id": agent_id, "invitation_id": invitation},
        )
        delay = float(self.rng.exponential(self.m.helper_join_minutes * 60.0))
        self.sim.after(delay, self._join, (ticket, agent_id, invitation))

    def _join(self, arg: tuple[_Ticket, int, int]) -> None:
        ticket, agent_id, invitation = arg
        if ticket.resolved or agent_id in ticket.helpers:
            return
        agent = self.agents[agent_id]
        if ticket.owner is agent:
            return
        if not agent.present or agent.load + agent.helping >= agent.spec.capacity:
            self._emit(
                ticket,
                EventType.INVITATION_DECLINED,
                agent_id,
                {
                    "invitation_id": invitation,
                    "agent_id": agent_id,
                    "reason": "away" if not agent.present else "busy",
                },
            )
            return
        self._progress(ticket)
        ticket.helpers[agent_id] = self.sim.now
        agent.helping += 1
        self._emit(
            ticket,
            EventType.HELPER_JOINED,
            agent_id,
            {"agent_id": agent_id, "via": "invitation", "invitation_id": invitation},
        )
        self._reschedule(ticket)

    def _offer(self, ticket: _Ticket, offer: Offer) -> None:
        for agent_id in offer.agent_ids:
            if float(self.rng.random()) < self.m.offer_accept_probability:
                delay = float(self.rng.exponential(self.m.offer_accept_minutes * 60.0))
                self.sim.after(delay, self._accept, (ticket, agent_id))

    def _accept(self, arg: tuple[_Ticket, int]) -> None:
        ticket, agent_id = arg
        agent = self.agents[agent_id]
        if (
            ticket.resolved
            or ticket.owner is not None
            or not agent.present
            or agent.load >= agent.spec.capacity
        ):
            return
        # Accepting an offer is the agent claiming the ticket.
        self._set_owner(ticket, agent, AssignedBy.PULL, agent.id, "accepted the offer")

    # ------------------------------------------------------------------ presence and pulling

    def _shift_start(self, agent: _Agent) -> None:
        agent.present = True
        self._refresh(agent)
        for ticket_id in agent.owned:
            ticket = self.tickets[ticket_id]
            ticket.since = self.sim.now
            self._reschedule(ticket)
        self._freed(agent)

    def _shift_end(self, agent: _Agent) -> None:
        """Off shift the agent keeps their tickets (a desk does not hand over overnight); their
        work stops until they are back. Routing sees them absent."""
        for ticket_id in agent.owned:
            ticket = self.tickets[ticket_id]
            self._progress(ticket)
            if ticket.finish is not None:
                Simulation.cancel(ticket.finish)
                ticket.finish = None
        agent.present = False
        self._refresh(agent)

    def _freed(self, agent: _Agent) -> None:
        if self.tiered and agent.present and agent.load < agent.spec.capacity:
            for tier in agent.tiers:
                if self.queues.get(tier):
                    self._pull_soon(tier)

    def _pull_soon(self, tier: int) -> None:
        if tier not in self.pull_due:
            self.pull_due.add(tier)
            self.sim.after(self.m.pull_minutes * 60.0, self._pull, tier)

    def _pull(self, tier: int) -> None:
        """Free agents of ``tier`` take the next tickets ("Take next": priority, then age)."""
        self.pull_due.discard(tier)
        queue = self.queues.get(tier)
        # Who is free now, in id order; kept current below as agents take tickets.
        free = [a for a in self.by_tier.get(tier, []) if a.present and a.load < a.spec.capacity]
        while queue:
            _, _, ticket_id = queue[0]
            ticket = self.tickets.get(ticket_id)
            if ticket is None or ticket.owner is not None or ticket.tier != tier:
                heapq.heappop(queue)
                continue
            # The least loaded free agent (lowest id on a tie: candidates are in id order).
            agent: _Agent | None = None
            excluded, requester = ticket.excluded, ticket.requester
            for a in free:
                if (
                    (agent is None or a.load < agent.load)
                    and a.id not in excluded
                    and a.id != requester
                ):
                    agent = a
            if agent is None:
                return
            heapq.heappop(queue)
            self._set_owner(ticket, agent, AssignedBy.PULL, agent.id, None)
            # Taking a ticket changes nobody's presence or load but the taker's.
            if agent.load >= agent.spec.capacity:
                free.remove(agent)

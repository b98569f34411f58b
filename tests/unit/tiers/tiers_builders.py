"""Builders for the tiered-mode tests (a uniquely named module: conftest is not importable)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from swarm.routing import (
    AgentView,
    Assign,
    ClearDeadline,
    Decision,
    Escalate,
    OrgView,
    Queue,
    SetDeadline,
    TicketView,
)
from swarm.skills.graph import build_skill_graph
from swarm.tiers.config import DEFAULT_TIERS, TieredSettings
from swarm.tiers.policy import TieredPolicy, tier_move_event
from swarm.tiers.sla import SlaClock

NOW = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
_NO_SKILLS = build_skill_graph([])
#: The default tiers, but every tier pushes (Tier 1 pulls by default): for the assignment paths.
ALL_PUSH = TieredSettings(tiers=[replace(t, intake="push") for t in DEFAULT_TIERS])


def make_agent(
    agent_id: int,
    tiers: Iterable[int] = (1,),
    *,
    present: bool = True,
    load: int = 0,
    capacity: int = 5,
    name: str | None = None,
) -> AgentView:
    return AgentView(
        id=agent_id,
        name=name or f"agent{agent_id}",
        present=present,
        load=load,
        capacity=capacity,
        tiers=frozenset(tiers),
    )


def make_ticket(
    ticket_id: int = 100,
    priority: str = "P3",
    *,
    deadlines: Mapping[str, datetime] | None = None,
    excluded: Iterable[int] = (),
    **fields: Any,
) -> TicketView:
    fields.setdefault("mode", "tiered")
    return TicketView(
        id=ticket_id,
        priority=priority,  # type: ignore[arg-type]  # tests pass literals
        deadlines=dict(deadlines or {}),
        excluded_agents=frozenset(excluded),
        **fields,
    )


def make_org(*agents: AgentView, rotation: Mapping[int, int] | None = None) -> OrgView:
    return OrgView(
        agents={agent.id: agent for agent in agents},
        skills=_NO_SKILLS,
        tier_rotation=dict(rotation or {}),
    )


class FakeDriver:
    """Applies TieredPolicy decisions to one ticket as docs/tiers.md tells a driver to.

    Keeps the ticket view, its tier clock and the events written, so that tests can follow a
    ticket's life on a fake clock: ``sweep(now)`` is one pass of the deadline sweeper.
    """

    def __init__(self, policy: TieredPolicy, org: OrgView, ticket: TicketView) -> None:
        self.policy = policy
        self.org = org
        self.ticket = ticket
        self.clock: SlaClock | None = None
        self.events: list[tuple[datetime, str, dict[str, Any]]] = []

    def open(self, now: datetime) -> None:
        self.apply(self.policy.on_opened(self.ticket, self.org, now), now)

    def sweep(self, now: datetime) -> None:
        if any(at <= now for at in self.ticket.deadlines.values()):
            self.apply(self.policy.on_deadline(self.ticket, self.org, now), now)

    def pause(self, now: datetime) -> None:
        assert self.clock is not None
        self.apply(self.policy.on_paused(self.ticket, now), now)
        self.clock = self.clock.pause(now)

    def resume(self, now: datetime) -> None:
        assert self.clock is not None
        self.clock = self.clock.resume(now)
        self.apply(self.policy.on_resumed(self.ticket, self.clock, now), now)

    def apply(self, decisions: Iterable[Decision], now: datetime) -> None:
        for decision in decisions:
            t = self.ticket
            match decision:
                case Escalate():
                    assert t.tier is not None
                    kind, data = tier_move_event(t.tier, decision)
                    self.events.append((now, kind.value, data))
                    if t.owner_id is not None:
                        self.events.append((now, "unassigned", {"previous_owner_id": t.owner_id}))
                    self.ticket = replace(t, tier=decision.to_tier, owner_id=None)
                    self.clock = SlaClock(now)
                case Queue():
                    if t.tier != decision.tier or self.clock is None:
                        self.clock = SlaClock(now)
                    self.ticket = replace(t, tier=decision.tier, owner_id=None)
                    self.events.append((now, "queued", {"tier": decision.tier}))
                case Assign():
                    self.ticket = replace(t, owner_id=decision.agent_id)
                    self.events.append((now, "assigned", {"agent_id": decision.agent_id}))
                case SetDeadline():
                    self.ticket = replace(t, deadlines={**t.deadlines, decision.kind: decision.at})
                case ClearDeadline():
                    rest = {k: v for k, v in t.deadlines.items() if k != decision.kind}
                    self.ticket = replace(t, deadlines=rest)

    def of_type(self, kind: str) -> list[tuple[datetime, str, dict[str, Any]]]:
        return [event for event in self.events if event[1] == kind]

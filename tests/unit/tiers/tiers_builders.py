"""Builders for the tiered-mode tests (a uniquely named module: conftest is not importable)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from swarm.routing import AgentView, OrgView, TicketView
from swarm.skills.graph import build_skill_graph

NOW = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
_NO_SKILLS = build_skill_graph([])


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

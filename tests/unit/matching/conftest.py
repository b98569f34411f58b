"""Builders for matching tests: small agents, tickets and organisations over a fixed taxonomy."""

import random
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

import pytest

from swarm.routing import AgentView, OrgView, Proficiency, TicketView
from swarm.skills.graph import Skill, SkillGraph, SkillRelation, build_skill_graph
from tests.unit.matching.matching_builders import (
    ASA,
    DNS,
    EXCEL,
    FIREWALL,
    NETWORKING,
    NOW,
    PRINTING,
    VPN,
)


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def skills() -> SkillGraph:
    return build_skill_graph(
        [
            Skill(NETWORKING, "Networking"),
            Skill(VPN, "VPN"),
            Skill(DNS, "DNS"),
            Skill(FIREWALL, "Firewall"),
            Skill(ASA, "Cisco ASA"),
            Skill(PRINTING, "Printing"),
            Skill(EXCEL, "Excel"),
        ],
        [
            SkillRelation(VPN, NETWORKING, "is_a"),
            SkillRelation(DNS, NETWORKING, "is_a"),
            SkillRelation(FIREWALL, NETWORKING, "is_a"),
            SkillRelation(ASA, FIREWALL, "is_a"),
            SkillRelation(VPN, FIREWALL, "related_to"),
        ],
    )


@pytest.fixture
def make_agent() -> Callable[..., AgentView]:
    def make(
        agent_id: int,
        skills: Mapping[int, int | Proficiency] | None = None,
        *,
        present: bool = True,
        load: int = 0,
        capacity: int = 5,
        wants: tuple[int, ...] = (),
        recent: int = 0,
        name: str | None = None,
    ) -> AgentView:
        return AgentView(
            id=agent_id,
            name=name or f"agent{agent_id}",
            present=present,
            load=load,
            capacity=capacity,
            proficiencies={
                skill: value if isinstance(value, Proficiency) else Proficiency(value)
                for skill, value in (skills or {}).items()
            },
            wants_to_learn=frozenset(wants),
            recent_owned=recent,
        )

    return make


@pytest.fixture
def make_ticket() -> Callable[..., TicketView]:
    def make(skills: Mapping[int, float] | None = None, **fields: Any) -> TicketView:
        fields.setdefault("priority", "P3")
        return TicketView(id=fields.pop("id", 100), required_skills=dict(skills or {}), **fields)

    return make


@pytest.fixture
def make_org(skills: SkillGraph) -> Callable[..., OrgView]:
    def make(*agents: AgentView, **fields: Any) -> OrgView:
        fields.setdefault("skills", skills)
        return OrgView(agents={agent.id: agent for agent in agents}, **fields)

    return make


@pytest.fixture
def random_org(skills: SkillGraph) -> Callable[[int, int], OrgView]:
    """A seeded organisation of ``n`` agents with random levels, dates, loads and goals."""

    def make(seed: int, n: int = 300) -> OrgView:
        rng = random.Random(seed)
        skill_ids = sorted(skills.skills)
        agents = {}
        for agent_id in range(1, n + 1):
            profile = {
                skill: Proficiency(
                    rng.randint(0, 5),
                    last_used=rng.choice([None, NOW - timedelta(days=rng.randint(0, 700))]),
                )
                for skill in rng.sample(skill_ids, rng.randint(0, 4))
            }
            capacity = rng.randint(0, 6)
            agents[agent_id] = AgentView(
                agent_id,
                f"agent{agent_id}",
                present=rng.random() < 0.8,
                load=rng.randint(0, capacity + 1),
                capacity=capacity,
                proficiencies=profile,
                wants_to_learn=frozenset(rng.sample(skill_ids, rng.randint(0, 2))),
                recent_owned=rng.randint(0, 8),
            )
        history = {
            requester: {rng.randint(1, n): rng.randint(1, 3) for _ in range(5)}
            for requester in range(1000, 1010)
        }
        return OrgView(agents=agents, skills=skills, requester_history=history)

    return make

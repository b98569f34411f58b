"""Builders for skill-graph tests (factory fixtures, so that each test states its own data)."""

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from swarm.skills.graph import Skill, SkillGraph, SkillRelation, build_skill_graph

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def network_skills() -> SkillGraph:
    """Networking (1) ← VPN (2), DNS (3); Firewall (4) is_a Networking; Cisco ASA (5) is_a Firewall;
    VPN related_to Firewall; Printing (6) stands alone."""
    return build_skill_graph(
        [
            Skill(1, "Networking"),
            Skill(2, "VPN", aliases=("AnyConnect", "remote access")),
            Skill(3, "DNS"),
            Skill(4, "Firewall"),
            Skill(5, "Cisco ASA", aliases=("ASA",)),
            Skill(6, "Printing", aliases=("printer",)),
        ],
        [
            SkillRelation(2, 1, "is_a"),
            SkillRelation(3, 1, "is_a"),
            SkillRelation(4, 1, "is_a"),
            SkillRelation(5, 4, "is_a"),
            SkillRelation(2, 4, "related_to", 0.8),
        ],
    )


@pytest.fixture
def make_graph() -> Callable[..., SkillGraph]:
    def make(
        names: dict[int, str], relations: list[tuple[int, int, str]] | None = None
    ) -> SkillGraph:
        return build_skill_graph(
            [Skill(skill_id, name) for skill_id, name in names.items()],
            [SkillRelation(a, b, kind) for a, b, kind in relations or []],  # type: ignore[arg-type]
        )

    return make

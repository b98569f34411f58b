"""The demo organisation's skill inference, built in memory as the seeded demo builds it.

``python -m swarm eval-routing`` measures skill inference on the labelled tickets of
``swarm/skills/labelled_tickets.json``, which are written for the demo taxonomy; this module
gives it the same inferer a freshly seeded demo would use: the taxonomy's names and aliases, and
a text model trained on the demo history's resolved and closed tickets (what
``swarm.dispatch.inference`` trains on), without a database.
"""

from __future__ import annotations

from datetime import UTC, datetime

from swarm.demo.generate import generate_demo, skill_relations
from swarm.demo.taxonomy import SKILLS
from swarm.models.tickets import Status
from swarm.skills.graph import Skill, SkillGraph, SkillRelation, build_skill_graph
from swarm.skills.inference import SkillInferer, train_inferer

# The history's texts depend on the seed only; a fixed "now" keeps the dates stable too.
_GENERATED_AT = datetime(2026, 12, 1, tzinfo=UTC)


def _ids() -> dict[str, int]:
    return {spec.name: i for i, spec in enumerate(SKILLS, start=1)}


def demo_skill_graph() -> SkillGraph:
    """The demo taxonomy as a :class:`SkillGraph`, ids 1… in ``SKILLS`` order."""
    ids = _ids()
    return build_skill_graph(
        [Skill(ids[s.name], s.name, s.aliases) for s in SKILLS],
        [
            SkillRelation(ids[source], ids[target], kind, weight)  # type: ignore[arg-type]
            for source, target, kind, weight in skill_relations()
        ],
    )


def demo_skill_inferer(graph: SkillGraph | None = None) -> SkillInferer:
    """An inferer trained on the demo history's resolved and closed tickets.

    ``graph`` must be :func:`demo_skill_graph` (the default), whose ids the examples use.
    """
    graph = graph or demo_skill_graph()
    ids = _ids()
    done = {Status.RESOLVED.value, Status.CLOSED.value}
    examples = [
        (f"{t.subject}\n{t.body}", [ids[name] for name, _w, _why in t.skills])
        for t in generate_demo(_GENERATED_AT).tickets
        if t.status in done
    ]
    return train_inferer(graph, examples)

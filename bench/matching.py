"""Benchmark the matching hot path on a generated organisation; print one JSON object.

    python bench/matching.py --agents 10000 --skills 2000 --required 3 --json

Measured in one run, on the same tickets:

* ``p50_ms`` / ``p95_ms``: ``rank_owners`` (top 10, with reasons) against a warm ``AgentIndex``;
* ``team_p95_ms``: ``recommend_team`` around the best owner;
* ``naive_p50_ms``: ``rank_owners_reference``, a per-agent Python loop over networkx BFS
  distances, and ``speedup`` = naive_p50_ms / p50_ms;
* ``same_top10``: both rankings name the same ten agents in the same order on every ticket;
* ``refresh_ms``: median time to refresh the index after one agent's profile changed.

Progress goes to stderr; figures are noisy, compare only within one run.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

# Run as a script from a checkout: make the repository root importable without installing.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from swarm.matching.index import AgentIndex
from swarm.matching.scoring import rank_owners, rank_owners_reference
from swarm.matching.team import recommend_team
from swarm.routing import AgentView, OrgView, Proficiency, TicketView
from swarm.skills.graph import Skill, SkillGraph, SkillRelation, build_skill_graph

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def generate_skills(n: int, rng: random.Random) -> SkillGraph:
    """A taxonomy like a real one: ~n/100 domains, an is_a tree under each, some related_to."""
    domains = max(1, n // 100)
    skills = [Skill(i, f"skill-{i}") for i in range(n)]
    relations = []
    for i in range(domains, n):
        # Parents come from the same domain and have a smaller id, so is_a is a forest.
        domain = i % domains
        candidates = range(domain, i, domains)
        parent = rng.choice(candidates[-40:]) if len(candidates) > 1 else domain
        relations.append(SkillRelation(i, parent, "is_a"))
    seen = {(r.source, r.target) for r in relations}
    for _ in range(n // 4):
        a = rng.randrange(n)
        b = a + domains * rng.randint(1, 20)  # mostly within a domain
        if b < n and (a, b) not in seen and (b, a) not in seen:
            seen.add((a, b))
            relations.append(SkillRelation(a, b, "related_to", round(rng.uniform(0.3, 1.0), 2)))
    return build_skill_graph(skills, relations)


def generate_agents(n: int, graph: SkillGraph, rng: random.Random) -> dict[int, AgentView]:
    domains = max(1, len(graph) // 100)
    by_domain: dict[int, list[int]] = {}
    for skill_id in graph.skills:
        by_domain.setdefault(skill_id % domains, []).append(skill_id)
    agents = {}
    for agent_id in range(1, n + 1):
        home = rng.sample(sorted(by_domain), k=min(2, domains))
        pool = [s for d in home for s in by_domain[d]]
        profile = {
            skill_id: Proficiency(
                rng.choices([1, 2, 3, 4, 5], weights=[3, 4, 4, 2, 1])[0],
                last_used=None if rng.random() < 0.2 else NOW - timedelta(days=rng.randint(0, 900)),
                evidence=rng.randint(0, 30),
            )
            for skill_id in rng.sample(pool, k=min(len(pool), rng.randint(5, 25)))
        }
        capacity = rng.randint(3, 8)
        agents[agent_id] = AgentView(
            id=agent_id,
            name=f"agent-{agent_id}",
            present=rng.random() < 0.85,
            load=rng.randint(0, capacity),
            capacity=capacity,
            proficiencies=profile,
            wants_to_learn=frozenset(rng.sample(pool, k=rng.randint(0, 3))),
            recent_owned=rng.randint(0, 10),
        )
    return agents


def generate_collaboration(n: int, rng: random.Random) -> dict[int, dict[int, int]]:
    collaboration: dict[int, dict[int, int]] = {}
    for _ in range(n * 3):
        a, b = rng.randint(1, n), rng.randint(1, n)
        if a != b:
            times = rng.randint(1, 5)
            collaboration.setdefault(a, {})[b] = times
            collaboration.setdefault(b, {})[a] = times
    return collaboration


def generate_tickets(
    count: int, required: int, graph: SkillGraph, agents: int, rng: random.Random
) -> list[TicketView]:
    domains = max(1, len(graph) // 100)
    tickets = []
    for ticket_id in range(count):
        domain = rng.randrange(domains)
        pool = [s for s in graph.skills if s % domains == domain]
        skills = rng.sample(pool, k=min(required, len(pool)))
        tickets.append(
            TicketView(
                id=ticket_id,
                priority=rng.choice(["P1", "P2", "P3", "P4"]),
                required_skills={s: rng.choice([1.0, 1.0, 2.0, 0.5]) for s in skills},
                requester_id=rng.randint(agents + 1, agents + 500),
            )
        )
    return tickets


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = call()
    return (time.perf_counter() - start) * 1000, result


def percentile(values: list[float], q: int) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[q - 1]
        if len(values) > 1
        else values[0]
    )


def run(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    progress(f"generating {args.skills} skills")
    build_graph_ms, graph = timed(lambda: generate_skills(args.skills, rng))
    progress(f"generating {args.agents} agents")
    agents = generate_agents(args.agents, graph, rng)
    collaboration = generate_collaboration(args.agents, rng)
    history = {
        requester: {rng.randint(1, args.agents): rng.randint(1, 4) for _ in range(3)}
        for requester in range(args.agents + 1, args.agents + 501)
    }
    progress("building the agent index")
    build_index_ms, index = timed(lambda: AgentIndex(agents.values(), graph, as_of=NOW))
    org = OrgView(agents, graph, collaboration, history, index=index)
    tickets = generate_tickets(args.tickets, args.required, graph, args.agents, rng)

    progress(f"warm-up ({args.warmup} tickets)")
    for ticket in tickets[: args.warmup]:
        rank_owners(ticket, org, NOW, limit=10)
    progress(f"ranking {len(tickets)} tickets")
    rank_ms, owners = [], []
    for ticket in tickets:
        elapsed, ranked = timed(partial(rank_owners, ticket, org, NOW, limit=10))
        rank_ms.append(elapsed)
        owners.append(ranked)
    progress("recommending teams")
    team_ms = []
    for ticket, ranked in zip(tickets, owners, strict=True):
        owner = ranked[0].agent_id if ranked else None
        team_ms.append(timed(partial(recommend_team, ticket, org, NOW, owner_id=owner))[0])

    naive_tickets = tickets[: args.naive_tickets]
    # The reference must not reuse the index: give it the same org without one.
    plain = replace(org, index=None)
    naive_ms, same = [], True
    for i, (ticket, fast) in enumerate(zip(naive_tickets, owners, strict=False), start=1):
        progress(f"naive ranking {i}/{len(naive_tickets)}")
        elapsed, slow = timed(partial(rank_owners_reference, ticket, plain, NOW, limit=10))
        naive_ms.append(elapsed)
        same = same and [s.agent_id for s in slow] == [s.agent_id for s in fast]

    progress("refreshing single agents")
    refresh_ms = []
    for agent_id in rng.sample(sorted(agents), k=args.refreshes):
        agent = agents[agent_id]
        changed = dict(agent.proficiencies)
        changed[rng.choice(sorted(graph.skills))] = Proficiency(rng.randint(1, 5), last_used=NOW)
        updated = replace(agent, proficiencies=changed, load=min(agent.load + 1, agent.capacity))
        refresh_ms.append(timed(partial(index.update_agent, updated))[0])

    p50 = statistics.median(rank_ms)
    naive_p50 = statistics.median(naive_ms)
    return {
        "agents": args.agents,
        "skills": args.skills,
        "required": args.required,
        "tickets": len(tickets),
        "naive_tickets": len(naive_tickets),
        "proficiency_entries": int(index.proficiency.nnz),
        "similarity_entries": int(graph.similarity.nnz),
        "p50_ms": round(p50, 3),
        "p95_ms": round(percentile(rank_ms, 95), 3),
        "team_p50_ms": round(statistics.median(team_ms), 3),
        "team_p95_ms": round(percentile(team_ms, 95), 3),
        "naive_p50_ms": round(naive_p50, 3),
        "speedup": round(naive_p50 / p50, 1),
        "same_top10": same,
        "refresh_ms": round(statistics.median(refresh_ms), 3),
        "refresh_max_ms": round(max(refresh_ms), 3),
        "build_graph_ms": round(build_graph_ms, 1),
        "build_index_ms": round(build_index_ms, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=10_000)
    parser.add_argument("--skills", type=int, default=2_000)
    parser.add_argument("--required", type=int, default=3)
    parser.add_argument("--tickets", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--naive-tickets", type=int, default=30)
    parser.add_argument("--refreshes", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print only the JSON object")
    args = parser.parse_args(argv)
    figures = run(args)
    if args.json:
        print(json.dumps(figures))
    else:
        for key, value in figures.items():
            print(f"{key:>20}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

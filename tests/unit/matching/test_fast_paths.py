"""The matching shortcuts that keep a simulation fast give exactly what the plain paths give.

Each shortcut is compared with a straightforward computation on random inputs — not with pinned
figures, so that an intended change of the model does not break these tests.
"""

import random
from dataclasses import replace

import numpy as np
import pytest

from swarm.matching.index import AgentIndex
from swarm.matching.scoring import (
    DEFAULT_WEIGHTS,
    explain_score,
    rank_owners,
    rank_owners_reference,
)
from swarm.matching.team import FULL, _covered, recommend_team
from swarm.routing import Proficiency


def _tickets(org, rng, make_ticket, count=6):
    skill_ids = sorted(org.skills.skills)
    for _ in range(count):
        required = {
            s: rng.choice([0.5, 1.0, 2.0]) for s in rng.sample(skill_ids, rng.randint(1, 3))
        }
        yield make_ticket(
            required,
            priority=rng.choice(["P1", "P2", "P3", "P4"]),
            requester_id=1000 + rng.randint(0, 9),
            excluded_agents=frozenset(rng.sample(range(1, 40), 3)),
        )


@pytest.mark.parametrize("seed", range(6))
def test_the_best_owner_alone_is_the_head_of_the_full_ranking(random_org, make_ticket, now, seed):
    org = random_org(seed, 60)
    rng = random.Random(seed)
    for ticket in _tickets(org, rng, make_ticket):
        best = rank_owners(ticket, org, now, limit=1)
        assert best == rank_owners(ticket, org, now, limit=60)[:1]
        assert [s.agent_id for s in best] == [
            s.agent_id for s in rank_owners_reference(ticket, org, now, limit=1)
        ]


@pytest.mark.parametrize("seed", range(4))
def test_without_explain_only_the_meaning_is_left_out(random_org, make_ticket, now, seed):
    org = random_org(seed, 60)
    rng = random.Random(seed)
    for ticket in _tickets(org, rng, make_ticket):
        full = rank_owners(ticket, org, now, limit=5)
        short = rank_owners(ticket, org, now, limit=5, explain=False)
        assert short == [replace(s, meaning="") for s in full]
        for s in full:
            terms = {k: getattr(s, k) for k in ("fit", "load", "learn", "fair", "continuity")}
            agent = org.agents[s.agent_id]
            weights = DEFAULT_WEIGHTS[ticket.priority]
            assert s.meaning == explain_score(
                agent, s.score, terms, sorted(ticket.required_skills), org.skills, now, weights
            )


@pytest.mark.parametrize("seed", range(4))
def test_a_kept_index_ranks_as_a_fresh_one_through_profile_and_load_changes(
    random_org, make_ticket, now, seed
):
    """The index keeps per-skill-set results (``AgentIndex.memo``) until a profile changes: a
    driver's long-lived index must still give what an index built on the spot gives, to the
    last bit."""
    org = random_org(seed, 50)
    rng = random.Random(seed)
    skill_ids = sorted(org.skills.skills)
    agents = dict(org.agents)
    kept = AgentIndex(agents.values(), org.skills, as_of=now)
    tickets = list(_tickets(org, rng, make_ticket, count=4))
    for _ in range(25):
        agent = agents[rng.randint(1, 50)]
        if rng.random() < 0.3:
            profile = dict(agent.proficiencies)
            profile[rng.choice(skill_ids)] = Proficiency(rng.randint(1, 5))
            agent = replace(agent, proficiencies=profile)
        else:
            agent = replace(agent, load=rng.randint(0, 6), present=rng.random() < 0.8)
        agents[agent.id] = agent
        kept.update_agent(agent)
        with_kept = replace(org, agents=agents, index=kept)
        fresh = replace(org, agents=dict(agents), index=None)
        for ticket in tickets:
            assert rank_owners(ticket, with_kept, now) == rank_owners(ticket, fresh, now)
            owner = rng.randint(1, 50)
            assert recommend_team(ticket, with_kept, now, owner_id=owner) == recommend_team(
                ticket, fresh, now, owner_id=owner
            )


def test_the_index_memo_starts_afresh_when_a_profile_changes(make_agent, skills, now):
    agents = [make_agent(1, {2: 3}), make_agent(2, {2: 4})]
    index = AgentIndex(agents, skills, as_of=now)
    assert index.memo("k", lambda: 1) == 1
    index.update_agent(replace(agents[0], load=3))  # load only: the matrices stay
    assert index.memo("k", lambda: 2) == 1
    index.update_agent(replace(agents[0], proficiencies={2: Proficiency(5)}))
    assert index.memo("k", lambda: 3) == 3


@pytest.mark.parametrize("seed", range(20))
def test_coverage_sum_is_numpys_sum(seed):
    rng = np.random.default_rng(seed)
    for size in range(1, 12):
        w = rng.random(size)
        w /= w.sum()
        cover = rng.choice([0.3, 0.9, 1.0, FULL, 1.0 - 1e-13], size)
        assert _covered(cover, w) == float(w[cover >= FULL].sum())

"""Automatic assignment inside a tier: who may be picked, and in what turn."""

from dataclasses import replace

import pytest

from swarm.tiers.assignment import eligible_agents, pick_agent
from tests.unit.tiers.tiers_builders import make_agent, make_org, make_ticket


def _assign_in_turn(org, ticket_ids, strategy="round_robin", tier=1):
    """Pick for each ticket in turn, moving the cursor as a driver would."""
    picked = []
    for ticket_id in ticket_ids:
        pick = pick_agent(make_ticket(ticket_id), tier, org, strategy, "Tier 1")
        picked.append(pick.agent.id)
        org = replace(org, tier_rotation={**org.tier_rotation, tier: pick.agent.id})
    return picked


def test_only_present_agents_of_the_tier_under_capacity_are_eligible():
    org = make_org(
        make_agent(1),
        make_agent(2, present=False),
        make_agent(3, load=5, capacity=5),
        make_agent(4, tiers=(2,)),
        make_agent(5, tiers=(1, 2)),
        make_agent(6, capacity=0),
    )
    assert [a.id for a in eligible_agents(make_ticket(), 1, org)] == [1, 5]
    assert [a.id for a in eligible_agents(make_ticket(), 2, org)] == [4, 5]


def test_excluded_agents_the_owner_and_the_requester_are_never_picked():
    org = make_org(*(make_agent(i) for i in range(1, 6)))
    ticket = make_ticket(excluded=(1, 2), owner_id=3, requester_id=4)
    assert [a.id for a in eligible_agents(ticket, 1, org)] == [5]


def test_round_robin_takes_turns_and_wraps_around():
    org = make_org(make_agent(1), make_agent(2), make_agent(3), rotation={1: 1})
    assert _assign_in_turn(org, range(100, 106)) == [2, 3, 1, 2, 3, 1]


def test_round_robin_continues_after_an_agent_who_went_offline():
    org = make_org(make_agent(1), make_agent(2, present=False), make_agent(3), rotation={1: 2})
    assert pick_agent(make_ticket(), 1, org, "round_robin", "Tier 1").agent.id == 3


def test_round_robin_without_a_cursor_starts_from_the_ticket_id():
    org = make_org(make_agent(10), make_agent(20), make_agent(30))
    picks = [pick_agent(make_ticket(i), 1, org, "round_robin", "T1").agent.id for i in range(6)]
    assert picks == [10, 20, 30, 10, 20, 30]


def test_assignment_is_deterministic():
    org = make_org(*(make_agent(i, load=i % 3) for i in range(1, 9)), rotation={1: 4})
    for strategy in ("round_robin", "least_loaded"):
        runs = {tuple(_assign_in_turn(org, range(50, 70), strategy)) for _ in range(5)}
        assert len(runs) == 1


def test_least_loaded_picks_the_lowest_share_of_capacity():
    org = make_org(make_agent(1, load=2, capacity=5), make_agent(2, load=1, capacity=2))
    org = replace(org, agents={**org.agents, 3: make_agent(3, load=1, capacity=10)})
    pick = pick_agent(make_ticket(), 1, org, "least_loaded", "Tier 1 (Desk)")
    assert pick.agent.id == 3
    assert pick.why == "least loaded in Tier 1 (Desk): agent3 (1 of 10 tickets open)"


def test_least_loaded_ties_take_turns():
    org = make_org(make_agent(1), make_agent(2), make_agent(3), rotation={1: 2})
    assert pick_agent(make_ticket(), 1, org, "least_loaded", "T1").agent.id == 3


@pytest.mark.parametrize("strategy", ["round_robin", "least_loaded"])
def test_nobody_is_picked_when_nobody_can_take_it(strategy):
    busy = make_org(make_agent(1, load=5), make_agent(2, present=False))
    assert pick_agent(make_ticket(), 1, busy, strategy, "T1") is None


@pytest.mark.parametrize("seed", range(10))
def test_a_callers_tier_index_gives_the_same_candidates(seed):
    """``OrgView.tier_members`` (the simulator's index of who serves which tier) is only a
    shortcut: the candidates are those of walking every agent."""
    import random

    rng = random.Random(seed)
    agents = [
        make_agent(
            i,
            rng.sample([1, 2, 3], rng.randint(1, 2)),
            present=rng.random() < 0.6,
            load=rng.randint(0, 5),
            capacity=rng.randint(1, 5),
        )
        for i in rng.sample(range(1, 200), 60)
    ]
    org = make_org(*agents)
    members = {t: [a.id for a in agents if t in a.tiers] for t in (1, 2, 3)}
    indexed = replace(org, tier_members=members)
    for ticket_id in range(20):
        ticket = make_ticket(
            ticket_id,
            excluded=rng.sample([a.id for a in agents], 3),
            owner_id=rng.choice([None, agents[0].id]),
        )
        for tier in (1, 2, 3, 4):
            assert eligible_agents(ticket, tier, indexed) == eligible_agents(ticket, tier, org)

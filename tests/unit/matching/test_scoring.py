import random
from dataclasses import replace
from datetime import timedelta

import pytest

from swarm.matching.index import AgentIndex
from swarm.matching.scoring import (
    DEFAULT_WEIGHTS,
    ScoringWeights,
    rank_owners,
    rank_owners_reference,
)
from swarm.routing import Proficiency
from swarm.skills.graph import UnknownSkillError
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

ONLY_FIT = ScoringWeights(fit=1.0, load=0.0, learn=0.0, fair=0.0, continuity=0.0)


def ids(suggestions):
    return [s.agent_id for s in suggestions]


def test_best_expert_ranks_first(make_agent, make_org, make_ticket, now):
    org = make_org(make_agent(1, {VPN: 2}), make_agent(2, {VPN: 5}), make_agent(3, {EXCEL: 5}))
    assert ids(rank_owners(make_ticket({VPN: 1}), org, now)) == [2, 1, 3]


def test_owner_is_least_loaded_among_equal_experts(make_agent, make_org, make_ticket, now):
    org = make_org(
        make_agent(1, {VPN: 4}, load=3),
        make_agent(2, {VPN: 4}, load=1),
        make_agent(3, {VPN: 4}, load=2),
    )
    ranked = rank_owners(make_ticket({VPN: 1}), org, now)
    assert ids(ranked) == [2, 3, 1]
    assert ranked[0].load == pytest.approx(0.2)
    assert ranked[0].score == pytest.approx(0.8 - 0.35 * 0.2**2 + 0.10 + 0.0)


def test_fit_uses_the_closest_skill_discounted_by_hops(make_agent, make_org, make_ticket, now):
    # Needs Cisco ASA: an ASA 3/5 (0.6) beats a Firewall 5/5 one hop away (0.5).
    org = make_org(make_agent(1, {FIREWALL: 5}), make_agent(2, {ASA: 3}), make_agent(3, {DNS: 5}))
    ranked = rank_owners(make_ticket({ASA: 1}), org, now, weights=ONLY_FIT)
    assert [(s.agent_id, s.fit) for s in ranked] == [(2, 0.6), (1, 0.5), (3, 0.125)]
    assert ranked[1].reasons[0] == "knows Firewall (5/5), 1 hop from Cisco ASA"


def test_fit_sums_weighted_required_skills(make_agent, make_org, make_ticket, now):
    org = make_org(make_agent(1, {VPN: 5, DNS: 5}), make_agent(2, {VPN: 5}))
    ranked = rank_owners(make_ticket({VPN: 3, DNS: 1}), org, now, weights=ONLY_FIT)
    # VPN and DNS are siblings (2 hops): agent 2 still gets a quarter of DNS.
    assert [(s.agent_id, s.fit) for s in ranked] == [(1, 1.0), (2, pytest.approx(0.75 + 0.0625))]


def test_decayed_expert_loses_to_active_practitioner(make_agent, make_org, make_ticket, now):
    stale = Proficiency(5, last_used=now - timedelta(days=365))
    fresh = Proficiency(3, last_used=now - timedelta(days=2))
    org = make_org(make_agent(1, {VPN: stale}), make_agent(2, {VPN: fresh}))
    ranked = rank_owners(make_ticket({VPN: 1}), org, now)
    assert ids(ranked) == [2, 1]
    assert ranked[1].reasons[0] == "knows VPN (5/5), last used 12 months ago"


@pytest.mark.parametrize(
    ("absent", "full"), [({"present": False}, {}), ({}, {"load": 5}), ({}, {"capacity": 0})]
)
def test_hard_filters_drop_absent_and_full_agents(
    make_agent, make_org, make_ticket, now, absent, full
):
    org = make_org(make_agent(1, {VPN: 5}, **absent, **full), make_agent(2, {VPN: 1}))
    assert ids(rank_owners(make_ticket({VPN: 1}), org, now)) == [2]


def test_requester_and_decliners_are_never_suggested(make_agent, make_org, make_ticket, now):
    org = make_org(make_agent(1, {VPN: 5}), make_agent(2, {VPN: 4}), make_agent(3, {VPN: 1}))
    ticket = make_ticket({VPN: 1}, requester_id=1, excluded_agents=frozenset({2}))
    assert ids(rank_owners(ticket, org, now)) == [3]


def test_when_everyone_is_full_or_away_the_best_is_still_named_and_flagged(
    make_agent, make_org, make_ticket, now
):
    org = make_org(
        make_agent(1, {VPN: 5}, load=5, capacity=5),
        make_agent(2, {VPN: 4}, present=False),
        make_agent(3, {VPN: 1}, load=6, capacity=5),
    )
    ranked = rank_owners(make_ticket({VPN: 1}), org, now)
    assert ids(ranked) == [2, 1, 3]
    assert [(s.absent, s.over_capacity) for s in ranked] == [
        (True, False),
        (False, True),
        (False, True),
    ]
    assert "at capacity (5 of 5)" in ranked[1].reasons
    assert "absent" in ranked[0].reasons


def test_empty_organisation_gives_no_suggestions(make_org, make_ticket, now):
    assert rank_owners(make_ticket({VPN: 1}), make_org(), now) == []
    assert rank_owners_reference(make_ticket({VPN: 1}), make_org(), now) == []


def test_unknown_required_skill_raises_a_typed_error(make_agent, make_org, make_ticket, now):
    with pytest.raises(UnknownSkillError):
        rank_owners(make_ticket({999: 1}), make_org(make_agent(1, {VPN: 3})), now)


def test_learning_goal_breaks_a_tie_between_equal_experts(make_agent, make_org, make_ticket, now):
    org = make_org(make_agent(1, {VPN: 3}), make_agent(2, {VPN: 3}, wants=(VPN,)))
    ranked = rank_owners(make_ticket({VPN: 1}, priority="P3"), org, now)
    assert ids(ranked) == [2, 1]
    assert ranked[0].learn == 1.0
    assert "wants to learn VPN" in ranked[0].reasons


def test_learning_bonus_is_off_for_p1(make_agent, make_org, make_ticket, now):
    org = make_org(make_agent(1, {VPN: 3}), make_agent(2, {VPN: 3}, wants=(VPN,)))
    ranked = rank_owners(make_ticket({VPN: 1}, priority="P1"), org, now)
    assert ids(ranked) == [1, 2]  # tie broken by id, not by the goal
    assert ranked[0].score == ranked[1].score
    assert not any("wants to learn" in reason for s in ranked for reason in s.reasons)
    assert DEFAULT_WEIGHTS["P1"].learn == DEFAULT_WEIGHTS["P1"].fair == 0.0


def test_fairness_favours_who_took_fewer_tickets_lately(make_agent, make_org, make_ticket, now):
    org = make_org(make_agent(1, {VPN: 3}, recent=6), make_agent(2, {VPN: 3}, recent=2))
    ranked = rank_owners(make_ticket({VPN: 1}), org, now)
    assert ids(ranked) == [2, 1]
    assert [s.fair for s in ranked] == [pytest.approx(2 / 3), 0.0]
    assert "took 2 tickets lately (busiest: 6)" in ranked[0].reasons


def test_continuity_favours_who_served_the_requester(make_agent, make_org, make_ticket, now):
    org = make_org(make_agent(1, {VPN: 3}), make_agent(2, {VPN: 3}), requester_history={50: {2: 3}})
    ranked = rank_owners(make_ticket({VPN: 1}, requester_id=50), org, now)
    assert ids(ranked) == [2, 1]
    assert "owned 3 earlier tickets of this requester" in ranked[0].reasons


def test_explanations_read_as_words(make_agent, make_org, make_ticket, now):
    org = make_org(make_agent(1, {VPN: 4, DNS: 3}, load=1, wants=(ASA,)))
    ranked = rank_owners(make_ticket({VPN: 2, ASA: 1}, priority="P4"), org, now)
    assert ranked[0].reasons == [
        "knows VPN (4/5), 2 hops from Cisco ASA",  # VPN covers both: named once
        "online",
        "1 open ticket of 5",
        "wants to learn Cisco ASA",
    ]


def test_no_skill_close_to_the_ticket_is_said(make_agent, make_org, make_ticket, now):
    org = make_org(make_agent(1, {EXCEL: 4}))
    (only,) = rank_owners(make_ticket({PRINTING: 1}), org, now)
    assert only.fit == 0.0
    assert only.reasons[0] == "nothing close to Printing"


def test_limit_bounds_the_result(make_agent, make_org, make_ticket, now):
    org = make_org(*(make_agent(i, {VPN: 3}) for i in range(1, 30)))
    assert ids(rank_owners(make_ticket({VPN: 1}), org, now, limit=3)) == [1, 2, 3]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("priority", ["P1", "P4"])
def test_vectorised_ranking_equals_reference_on_a_random_org(
    random_org, make_ticket, now, seed, priority
):
    org = random_org(seed)
    rng = random.Random(seed)
    skill_ids = sorted(org.skills.skills)
    for _ in range(5):
        required = {s: rng.choice([0.5, 1.0, 2.0]) for s in rng.sample(skill_ids, 3)}
        ticket = make_ticket(required, priority=priority, requester_id=1000 + rng.randint(0, 9))
        fast = rank_owners(ticket, org, now, limit=15)
        slow = rank_owners_reference(ticket, org, now, limit=15)
        assert ids(fast) == ids(slow)
        for a, b in zip(fast, slow, strict=True):
            assert a.score == pytest.approx(b.score, abs=1e-9)
            assert a.reasons == b.reasons


def test_cached_index_follows_one_agent_update(make_agent, make_org, make_ticket, now, skills):
    agents = [make_agent(1, {VPN: 2}), make_agent(2, {VPN: 3})]
    index = AgentIndex(agents, skills, as_of=now)
    org = make_org(*agents, index=index)
    assert ids(rank_owners(make_ticket({VPN: 1}), org, now)) == [2, 1]

    index.update_agent(replace(agents[0], proficiencies={VPN: Proficiency(5)}))
    assert ids(rank_owners(make_ticket({VPN: 1}), org, now)) == [1, 2]

    index.update_agent(make_agent(3, {VPN: 5}, load=0))  # a new hire, no load
    index.update_agent(replace(agents[0], proficiencies={VPN: Proficiency(5)}, load=2))
    assert ids(rank_owners(make_ticket({VPN: 1}), org, now)) == [3, 1, 2]

    index.remove_agent(3)
    assert ids(rank_owners(make_ticket({VPN: 1}), org, now)) == [1, 2]


def test_cached_index_moves_its_decay_to_the_new_now(make_agent, skills, now):
    agent = make_agent(1, {VPN: Proficiency(5, last_used=now)})
    index = AgentIndex([agent], skills, as_of=now)
    later = now + timedelta(days=180)
    assert index.at(later).proficiency.toarray()[0, skills.column[VPN]] == pytest.approx(
        0.3679, abs=1e-4
    )


def test_profile_with_unknown_skill_is_rejected(make_agent, skills, now):
    with pytest.raises(UnknownSkillError, match="profile of agent 1"):
        AgentIndex([make_agent(1, {404: 3})], skills, as_of=now)
    with pytest.raises(UnknownSkillError, match="learning goals of agent 2"):
        AgentIndex([make_agent(2, wants=(404,))], skills, as_of=now)


@pytest.mark.parametrize(
    ("days", "said"),
    [(20, "2 weeks ago"), (35, "5 weeks ago"), (59, "8 weeks ago"), (61, "2 months ago")],
)
def test_disuse_is_said_in_weeks_then_months(days, said):
    from datetime import timedelta

    from swarm.matching.scoring import fit_reason
    from swarm.routing import AgentView, Proficiency
    from swarm.skills.graph import Skill, build_skill_graph

    graph = build_skill_graph([Skill(1, "VPN")])
    agent = AgentView(
        1, "Ada", True, 0, 3, proficiencies={1: Proficiency(4, NOW - timedelta(days=days))}
    )
    assert fit_reason(agent, 1, graph, NOW) == f"knows VPN (4/5), last used {said}"


@pytest.mark.parametrize(
    ("profile", "meaning"),
    [
        ({VPN: 5, ASA: 5}, "1.00 — strong match: knows every skill itself. Fit 1.00."),
        (
            {VPN: 4, FIREWALL: 4},
            "0.65 — good match: knows VPN itself; Cisco ASA only through a related skill "
            "1 hop away. Fit 0.65.",
        ),
        (
            {NETWORKING: 5},
            "0.41 — partial match: knows VPN and Cisco ASA only through related skills "
            "1–2 hops away. Fit 0.41.",
        ),
        ({EXCEL: 5}, "0.00 — no match: nothing close to VPN and Cisco ASA. Fit 0.00."),
    ],
)
def test_a_score_is_explained_in_words(make_agent, make_org, make_ticket, now, profile, meaning):
    # P1: learning and fairness are off, so the fit is the whole score.
    org = make_org(make_agent(1, profile))
    [best] = rank_owners(make_ticket({VPN: 1, ASA: 0.6}, priority="P1"), org, now)
    assert best.meaning == meaning


def test_the_words_of_a_score_add_up_to_it(make_agent, make_org, make_ticket, now):
    org = make_org(make_agent(1, {VPN: 3}, load=3, capacity=5), make_agent(2, {VPN: 1}, recent=4))
    ticket = make_ticket({VPN: 1}, priority="P3", requester_id=99)
    org = make_org(*org.agents.values(), requester_history={99: {1: 2}})
    first = rank_owners(ticket, org, now)[0]
    assert first.meaning == (
        "0.62 — good match: knows VPN itself. Fit 0.60, −0.13 for 3 open tickets of 5, "
        "+0.10 for having taken fewer tickets lately, +0.05 for having served this requester "
        "before."
    )

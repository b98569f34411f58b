import pytest

from swarm.matching.team import TeamSettings, recommend_team
from swarm.skills.graph import UnknownSkillError
from tests.unit.matching.matching_builders import ASA, DNS, EXCEL, FIREWALL, PRINTING, VPN


def member_ids(team):
    return [m.agent_id for m in team.members]


def test_helpers_cover_what_the_owner_cannot(make_agent, make_org, make_ticket, now):
    org = make_org(
        make_agent(1, {VPN: 5}),
        make_agent(2, {DNS: 4}),
        make_agent(3, {PRINTING: 4}),
        make_agent(4, {EXCEL: 5}),
    )
    team = recommend_team(make_ticket({VPN: 1, DNS: 1, PRINTING: 1}, owner_id=1), org, now)
    assert sorted(member_ids(team)) == [2, 3]
    assert team.covered == [VPN, DNS, PRINTING]
    assert team.uncovered == []
    assert team.coverage == pytest.approx(1.0)


def test_owner_who_covers_everything_needs_no_helpers(make_agent, make_org, make_ticket, now):
    org = make_org(make_agent(1, {VPN: 5, DNS: 4}), make_agent(2, {DNS: 5}))
    team = recommend_team(make_ticket({VPN: 1, DNS: 1}, owner_id=1), org, now)
    assert team.members == []
    assert team.coverage == pytest.approx(1.0)


def test_one_helper_covering_two_skills_beats_two_helpers(make_agent, make_org, make_ticket, now):
    org = make_org(
        make_agent(1, {VPN: 5}),
        make_agent(2, {DNS: 5}),
        make_agent(3, {PRINTING: 5}),
        make_agent(4, {DNS: 4, PRINTING: 4}),
    )
    team = recommend_team(make_ticket({VPN: 1, DNS: 1, PRINTING: 1}, owner_id=1), org, now)
    assert member_ids(team) == [4]


def test_swarm_prefers_people_who_worked_with_the_owner(make_agent, make_org, make_ticket, now):
    org = make_org(
        make_agent(1, {VPN: 5}),
        make_agent(2, {DNS: 4}),
        make_agent(3, {DNS: 4}),
        collaboration={1: {3: 4}, 3: {1: 4}},
    )
    team = recommend_team(make_ticket({VPN: 1, DNS: 1}, owner_id=1), org, now)
    assert member_ids(team) == [3]
    assert "worked with the swarm on 4 tickets" in team.members[0].reasons


def test_swarm_prefers_the_less_loaded_of_equal_helpers(make_agent, make_org, make_ticket, now):
    org = make_org(
        make_agent(1, {VPN: 5}), make_agent(2, {DNS: 4}, load=4), make_agent(3, {DNS: 4}, load=1)
    )
    team = recommend_team(make_ticket({VPN: 1, DNS: 1}, owner_id=1), org, now)
    assert member_ids(team) == [3]


def test_swarm_stops_at_the_size_bound(make_agent, make_org, make_ticket, now):
    skill_ids = [VPN, DNS, FIREWALL, ASA, PRINTING, EXCEL]
    org = make_org(*(make_agent(10 + i, {s: 5}) for i, s in enumerate(skill_ids)))
    ticket = make_ticket(dict.fromkeys(skill_ids, 1.0))
    team = recommend_team(ticket, org, now, settings=TeamSettings(target_coverage=1.0))
    assert len(team.members) == 3
    assert 0 < len(team.uncovered) < len(skill_ids)


def test_swarm_stops_once_coverage_reaches_the_target(make_agent, make_org, make_ticket, now):
    org = make_org(make_agent(1, {VPN: 5}), make_agent(2, {DNS: 5}), make_agent(3, {PRINTING: 5}))
    # VPN 0.5 + DNS 0.4 = 90 % once agent 2 joins: PRINTING (10 %) is not worth a third person.
    ticket = make_ticket({VPN: 5, DNS: 4, PRINTING: 1}, owner_id=1)
    team = recommend_team(ticket, org, now)
    assert member_ids(team) == [2]
    assert team.uncovered == [PRINTING]


def test_absent_requester_and_declined_agents_are_not_suggested(
    make_agent, make_org, make_ticket, now
):
    org = make_org(
        make_agent(1, {VPN: 5}),
        make_agent(2, {DNS: 5}, present=False),
        make_agent(3, {DNS: 5}),
        make_agent(4, {DNS: 5}),
        make_agent(5, {DNS: 2}),
    )
    ticket = make_ticket(
        {VPN: 1, DNS: 1}, owner_id=1, requester_id=3, excluded_agents=frozenset({4})
    )
    team = recommend_team(ticket, org, now)
    assert member_ids(team) == [5]
    assert team.uncovered == [DNS]  # 2/5 is not enough to cover it fully


def test_nobody_knowing_a_skill_leaves_it_uncovered(make_agent, make_org, make_ticket, now):
    org = make_org(make_agent(1, {VPN: 5}), make_agent(2, {VPN: 5}))
    team = recommend_team(make_ticket({VPN: 1, EXCEL: 1}, owner_id=1), org, now)
    assert team.members == []
    assert team.uncovered == [EXCEL]
    assert team.coverage == pytest.approx(0.5)


def test_team_in_an_empty_organisation_is_empty(make_org, make_ticket, now):
    team = recommend_team(make_ticket({VPN: 1}), make_org(), now)
    assert (team.members, team.covered, team.uncovered) == ([], [], [VPN])


def test_team_for_unknown_skill_raises(make_agent, make_org, make_ticket, now):
    with pytest.raises(UnknownSkillError):
        recommend_team(make_ticket({404: 1}), make_org(make_agent(1, {VPN: 1})), now)


def test_a_helper_says_which_skills_they_cover_only_partly(make_agent, make_org, make_ticket, now):
    org = make_org(make_agent(1, {VPN: 5}), make_agent(2, {DNS: 4, FIREWALL: 4}))
    team = recommend_team(make_ticket({VPN: 1, DNS: 1, ASA: 1}, owner_id=1), org, now)
    assert member_ids(team) == [2]
    # Firewall 4/5 one hop from Cisco ASA is 0.8 of a full cover: not "covers Cisco ASA".
    assert team.members[0].reasons[0].startswith("covers DNS; partly Cisco ASA: ")
    assert team.uncovered == [ASA]


def test_a_helper_whom_later_picks_made_redundant_is_dropped(
    make_agent, make_org, make_ticket, now
):
    org = make_org(
        make_agent(1, {EXCEL: 5}),
        make_agent(2, {DNS: 2, PRINTING: 2}),  # the best first pick: 0.8 + 0.8 (+ 0.2 of VPN)
        make_agent(3, {DNS: 3, VPN: 1}),
        make_agent(4, {PRINTING: 3, VPN: 1}),
    )
    team = recommend_team(
        make_ticket({VPN: 1, DNS: 1, PRINTING: 1, EXCEL: 1}, owner_id=1), org, now
    )
    # 3 and 4 cover DNS and Printing fully, and VPN better: 2 adds nothing any more.
    assert sorted(member_ids(team)) == [3, 4]
    assert team.covered == [DNS, PRINTING, EXCEL]
    assert team.uncovered == [VPN]

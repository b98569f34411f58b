"""The coverage panel: one assessment gives the bar, each skill's colour and the sentences."""

import random

import pytest

from swarm.matching.coverage import STATES, assess_coverage
from swarm.matching.scoring import rank_owners
from swarm.matching.team import HelperSuggestion, TeamSettings, TeamSuggestion, recommend_team
from tests.unit.matching.matching_builders import ASA, DNS, EXCEL, FIREWALL, PRINTING, VPN


def panel_of(ticket, org, now, **kw):
    """The panel as the live service builds it: the swarm around the owner or best candidate."""
    proposed = None
    if ticket.owner_id is None:
        ranked = rank_owners(ticket, org, now, limit=1)
        proposed = ranked[0].agent_id if ranked else None
    team = recommend_team(ticket, org, now, owner_id=ticket.owner_id or proposed, **kw)
    return assess_coverage(ticket, org, now, team, proposed_owner_id=proposed, **kw)


def states(panel):
    return {s.name: s.state for s in panel.skills}


def sentence(panel, name):
    return next(s.sentence for s in panel.skills if s.name == name)


def test_an_owner_who_covers_every_skill_says_so_and_fills_the_bar(
    make_agent, make_org, make_ticket, now
):
    org = make_org(make_agent(1, {VPN: 5, DNS: 4}, name="Ada"), make_agent(2, {DNS: 5}))
    panel = panel_of(make_ticket({VPN: 1, DNS: 1}, owner_id=1), org, now)
    assert states(panel) == {"VPN": "covered", "DNS": "covered"}
    assert (panel.percent, panel.share("covered"), panel.helpers) == (100, pytest.approx(1.0), [])
    assert panel.summary == ["Owned by Ada.", "The owner covers every skill this ticket needs."]
    assert sentence(panel, "DNS") == "covered: Ada (owner) knows DNS (4/5)"


def test_skills_a_suggested_helper_covers_are_not_red(make_agent, make_org, make_ticket, now):
    org = make_org(
        make_agent(1, {VPN: 5}, name="Ada"),
        make_agent(2, {DNS: 4, PRINTING: 3}, name="Lucía"),
    )
    panel = panel_of(make_ticket({VPN: 2, DNS: 1, PRINTING: 1}, owner_id=1), org, now)
    assert states(panel) == {"VPN": "covered", "DNS": "covered", "Printing": "covered"}
    assert sentence(panel, "DNS") == "covered: Lucía (suggested helper) knows DNS (4/5)"
    assert panel.summary[1] == "With Lucía, the swarm covers every skill this ticket needs."
    [lucia] = panel.helpers
    assert (lucia.covers, lucia.partly) == ([DNS, PRINTING], [])
    assert lucia.reasons[0] == "would cover DNS and Printing"


def test_a_skill_a_helper_covers_only_partly_is_amber_and_says_who(
    make_agent, make_org, make_ticket, now
):
    # Ticket #326 of the demo: the helper was said to cover a skill painted red beside her.
    org = make_org(
        make_agent(1, {VPN: 4}, name="Nadia"),
        make_agent(2, {DNS: 3, FIREWALL: 4}, name="Lucía"),
    )
    panel = panel_of(make_ticket({VPN: 1, DNS: 1, ASA: 2}, owner_id=1), org, now)
    assert states(panel) == {"VPN": "covered", "DNS": "covered", "Cisco ASA": "partial"}
    asa = panel.skills[-1]
    assert (asa.by, asa.role, asa.level) == (2, "helper", pytest.approx(0.8))
    assert asa.sentence == (
        "partly, 0.80 of a full cover: at best Lucía (suggested helper) knows Firewall (4/5), "
        "1 hop from Cisco ASA"
    )
    [lucia] = panel.helpers
    assert (lucia.covers, lucia.partly) == ([DNS], [ASA])
    assert lucia.reasons[0] == "would cover DNS; partly Cisco ASA"
    assert panel.percent == 50
    assert panel.summary[1] == "Covered now: 50 % of what this ticket needs; Cisco ASA only partly."
    assert "nobody" not in " ".join(s.sentence for s in panel.skills)


def test_an_unowned_ticket_says_so_and_never_speaks_of_the_owner(
    make_agent, make_org, make_ticket, now
):
    org = make_org(make_agent(1, {VPN: 5}, name="Arjun"), make_agent(2, {DNS: 2}, name="Bo"))
    panel = panel_of(make_ticket({VPN: 1, DNS: 1}, owner_id=None), org, now)
    assert (panel.owner_id, panel.proposed_owner_id) == (None, 1)
    assert panel.summary[0] == (
        "Nobody owns this ticket yet; what follows assumes Arjun, the best candidate, takes it."
    )
    assert sentence(panel, "VPN") == "covered: Arjun (proposed owner) knows VPN (5/5)"
    text = " ".join(panel.summary + [s.sentence for s in panel.skills])
    assert "owner covers" not in text and "(owner)" not in text
    assert states(panel) == {"VPN": "covered", "DNS": "partial"}
    assert panel.percent == 50


def test_an_unowned_ticket_with_nobody_to_propose(make_agent, make_org, make_ticket, now):
    panel = panel_of(make_ticket({VPN: 1}, owner_id=None), make_org(), now)
    assert panel.summary == [
        "Nobody owns this ticket yet, and nobody available is proposed to take it.",
        "Covered now: 0 % of what this ticket needs; VPN not at all.",
        "Nobody else available knows more of the rest.",
    ]
    assert sentence(panel, "VPN") == (
        "not covered: nobody available knows it or anything within 3 hops"
    )


def test_an_unowned_ticket_the_candidate_covers_alone(make_agent, make_org, make_ticket, now):
    org = make_org(make_agent(1, {VPN: 5}, name="Arjun"))
    panel = panel_of(make_ticket({VPN: 1}, owner_id=None), org, now)
    assert panel.summary[1] == "Arjun alone would cover every skill this ticket needs."


def test_a_skill_nobody_knows_is_red_and_says_nobody_available(
    make_agent, make_org, make_ticket, now
):
    org = make_org(make_agent(1, {VPN: 5}, name="Ada"), make_agent(2, {VPN: 5}))
    panel = panel_of(make_ticket({VPN: 1, EXCEL: 1}, owner_id=1), org, now)
    assert states(panel) == {"VPN": "covered", "Excel": "missing"}
    assert [s.state for s in panel.skills] == ["covered", "missing"]  # the bar's order
    assert sentence(panel, "Excel") == (
        "not covered: nobody available knows it or anything within 3 hops"
    )
    assert panel.summary[1:] == [
        "Covered now: 50 % of what this ticket needs; Excel not at all.",
        "Nobody else available knows more of the rest.",
    ]


def test_someone_available_outside_the_swarm_is_named_not_denied(
    make_agent, make_org, make_ticket, now
):
    # The greedy stops at 80 % covered, so Printing (10 %) gets nobody — but agent2 knows it.
    org = make_org(make_agent(1, {VPN: 5, DNS: 5}, name="Ada"), make_agent(2, {PRINTING: 4}))
    panel = panel_of(make_ticket({VPN: 5, DNS: 4, PRINTING: 1}, owner_id=1), org, now)
    assert states(panel)["Printing"] == "missing"
    assert sentence(panel, "Printing") == (
        "not covered: nobody in the swarm knows it or anything within 3 hops; "
        "agent2 (online, not in the swarm) knows Printing (4/5)"
    )
    assert panel.summary[2] == "No helper is suggested: the swarm stops at 80 % covered."


def team_of(*helpers):
    return TeamSuggestion(
        members=[HelperSuggestion(h, f"agent{h}", 0.5, [DNS]) for h in helpers],
        covered=[],
        uncovered=[],
        coverage=0.0,
    )


@pytest.mark.parametrize(
    ("online", "state", "words", "percent"),
    [
        (True, "covered", "covered: Dan (suggested helper) knows DNS (4/5)", 100),
        (
            False,
            "away",
            "waits for someone away: Dan (suggested helper, away now) knows DNS (4/5), fully",
            50,
        ),
    ],
)
def test_a_proposed_helper_online_or_away(
    make_agent, make_org, make_ticket, now, online, state, words, percent
):
    org = make_org(
        make_agent(1, {VPN: 5}, name="Ada"), make_agent(2, {DNS: 4}, name="Dan", present=online)
    )
    ticket = make_ticket({VPN: 1, DNS: 1}, owner_id=1)
    panel = assess_coverage(ticket, org, now, team_of(2))
    assert states(panel) == {"VPN": "covered", "DNS": state}
    assert sentence(panel, "DNS") == words
    assert panel.percent == percent
    [dan] = panel.helpers
    assert dan.online is online
    assert ("online" if online else "away now") in dan.reasons
    if not online:
        assert panel.summary[1] == (
            "Covered now: 50 % of what this ticket needs; DNS only by someone away."
        )


def test_an_online_helper_is_preferred_to_an_equal_one_away(make_agent, make_org, make_ticket, now):
    org = make_org(
        make_agent(1, {VPN: 5}),
        make_agent(2, {DNS: 4}, present=False),
        make_agent(3, {DNS: 4}, name="Dan"),
    )
    panel = assess_coverage(make_ticket({VPN: 1, DNS: 1}, owner_id=1), org, now, team_of(2, 3))
    assert sentence(panel, "DNS") == "covered: Dan (suggested helper) knows DNS (4/5)"
    assert [(h.agent_id, h.covers) for h in panel.helpers] == [(2, []), (3, [DNS])]
    assert panel.helpers[0].reasons[0] == (
        "adds nothing the rest of the swarm does not already cover"
    )


def test_a_ticket_without_skills_covers_nothing_and_says_why(
    make_agent, make_org, make_ticket, now
):
    org = make_org(make_agent(1, {VPN: 5}, name="Ada"))
    panel = panel_of(make_ticket({}, owner_id=1), org, now)
    assert (panel.skills, panel.percent, panel.complete) == ([], 0, False)
    assert panel.summary[1].startswith("No skills are known for this ticket yet")


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("owned", [True, False])
def test_the_bar_the_colours_and_the_sentences_never_disagree(
    random_org, make_ticket, now, seed, owned
):
    org = random_org(seed, 60)
    rng = random.Random(seed)
    skill_ids = sorted(org.skills.skills)
    for _ in range(6):
        required = {s: rng.choice([0.5, 1.0, 2.0]) for s in rng.sample(skill_ids, 3)}
        owner = rng.choice(sorted(org.agents)) if owned else None
        panel = panel_of(make_ticket(required, owner_id=owner), org, now)

        assert sum(s.weight for s in panel.skills) == pytest.approx(1.0)
        assert [s.state for s in panel.skills] == sorted(
            (s.state for s in panel.skills), key=STATES.index
        )
        for s in panel.skills:
            # The colour is the level and who gives it, nothing else.
            assert (s.state == "missing") == (s.by is None) == (s.level == 0)
            if s.state == "covered":
                assert s.level == pytest.approx(1.0) and s.sentence.startswith("covered: ")
            if s.state == "partial":
                assert 0 < s.level < 1 and s.sentence.startswith(f"partly, {s.level:.2f}")
            if s.state == "missing":
                assert s.sentence.startswith("not covered: ")
        for helper in panel.helpers:
            for skill_id in helper.covers + helper.partly:
                [s] = [s for s in panel.skills if s.skill_id == skill_id]
                assert s.by == helper.agent_id and s.state != "missing"
        covered = sum(s.weight for s in panel.skills if s.state == "covered")
        assert panel.percent == (100 if panel.complete else int(covered * 100 + 1e-9))
        assert ("every skill this ticket needs" in panel.summary[1]) == panel.complete
        if not owned:
            text = " ".join(panel.summary + [s.sentence for s in panel.skills])
            assert "(owner)" not in text and "The owner" not in text
            assert panel.summary[0].startswith("Nobody owns this ticket yet")


def test_the_panel_is_built_with_the_teams_threshold(make_agent, make_org, make_ticket, now):
    org = make_org(make_agent(1, {VPN: 5}), make_agent(2, {DNS: 2}))
    ticket = make_ticket({VPN: 1, DNS: 1}, owner_id=1)
    strict = panel_of(ticket, org, now)
    lenient = panel_of(ticket, org, now, settings=TeamSettings(cover_threshold=0.4))
    assert (states(strict)["DNS"], states(lenient)["DNS"]) == ("partial", "covered")

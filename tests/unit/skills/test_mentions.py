"""Skill inference tells the problem's skills from the ones named in passing."""

import pytest

from swarm.demo.skills import demo_skill_graph, demo_skill_inferer
from swarm.demo.taxonomy import SKILLS
from swarm.skills.evaluation import (
    LABELLED_TICKETS,
    evaluate_skills,
    precision_recall,
    read_labelled_tickets,
    sweep_thresholds,
)
from swarm.skills.graph import Skill, SkillRelation, build_skill_graph
from swarm.skills.inference import THRESHOLD, train_inferer
from swarm.skills.mentions import MentionFinder, Role

VPN, WINDOWS, WINDOWS_11, TEAMS, LAPTOPS, OUTLOOK, EXCEL, ANYCONNECT = range(1, 9)

THE_VPN_TICKET = (
    "VPN drops every 10 minutes on Windows 11\n"
    "Since the update on Monday my VPN drops every 10 minutes on my laptop, and my Teams calls "
    "drop each time. I'm working from home."
)


@pytest.fixture
def skills():
    return build_skill_graph(
        [
            Skill(VPN, "VPN", aliases=("tunnel",)),
            Skill(WINDOWS, "Windows", aliases=("windows update",)),
            Skill(WINDOWS_11, "Windows 11", aliases=("win11",)),
            Skill(TEAMS, "Microsoft Teams", aliases=("teams",)),
            Skill(LAPTOPS, "Laptops", aliases=("laptop",)),
            Skill(OUTLOOK, "Outlook"),
            Skill(EXCEL, "Excel"),
            Skill(ANYCONNECT, "Cisco AnyConnect", aliases=("anyconnect",)),
        ],
        [
            SkillRelation(WINDOWS_11, WINDOWS, "is_a"),
            SkillRelation(ANYCONNECT, VPN, "is_a"),
        ],
    )


def test_the_vpn_fault_requires_vpn_not_the_os_laptop_or_teams_it_happened_with(skills):
    inferer = train_inferer(skills, [])
    assert [s.skill_id for s in inferer.infer(THE_VPN_TICKET)] == [VPN]
    weights = {s.skill_id: s.weight for s in inferer.candidates(THE_VPN_TICKET)}
    assert weights[VPN] == 1.0
    # Named, so still visible as candidates, but each below the threshold.
    assert set(weights) == {VPN, WINDOWS_11, TEAMS, LAPTOPS}
    assert all(weights[s] < THRESHOLD for s in (WINDOWS_11, TEAMS, LAPTOPS))


def test_the_demo_inferer_requires_only_vpn_for_the_vpn_ticket():
    graph = demo_skill_graph()
    found = demo_skill_inferer(graph).infer(THE_VPN_TICKET)
    assert [graph.name(s.skill_id) for s in found] == ["VPN"]


@pytest.mark.parametrize(
    ("text", "surface", "role"),
    [
        ("VPN drops on Windows 11", "Windows 11", Role.CONTEXT),
        ("Help\nIt started during a Teams meeting.", "Teams", Role.CONTEXT),
        ("Help\nthe tunnel drops and my Teams calls drop too", "Teams", Role.CONSEQUENCE),
        ("Help\nAnyConnect fails, so I can't open Outlook", "Outlook", Role.CONSEQUENCE),
        ("Help\nOutlook on the same laptop works fine.", "Outlook", Role.WORKING),
        ("Help\nSince the update on Monday my VPN drops", "VPN", Role.FAILING),
        ("Help\nExcel freezes when I open the workbook", "Excel", Role.FAILING),
        ("Help\nplease install Excel for me", "Excel", Role.NAMED),
        ("Excel crashes on open", "Excel", Role.SUBJECT),
    ],
)
def test_a_mention_is_given_the_role_its_words_around_it_say(skills, text, surface, role):
    (mention,) = [m for m in MentionFinder(skills.names).find(text) if m.surface == surface]
    assert mention.role is role


def test_the_body_names_the_problem_when_the_subject_names_no_skill(skills):
    inferer = train_inferer(skills, [])
    found = inferer.infer("Can't work from home\nAnyConnect fails with 'Login failed' on my laptop")
    assert [s.skill_id for s in found] == [ANYCONNECT]
    assert found[0].why == 'mentions "AnyConnect" (Cisco AnyConnect) as what fails (weight 0.90)'


def test_a_second_problem_in_the_body_weighs_less_once_the_subject_names_one(skills):
    inferer = train_inferer(skills, [])
    weights = {
        s.skill_id: s.weight
        for s in inferer.candidates("Excel crashes on open\nOutlook freezes as well sometimes")
    }
    assert weights[EXCEL] == 1.0
    assert weights[OUTLOOK] < THRESHOLD


def test_a_specific_skill_takes_the_weight_of_its_general_one(skills):
    inferer = train_inferer(skills, [])
    found = inferer.infer("Windows update stuck at 35%\nthe Windows 11 feature update hangs")
    assert [s.skill_id for s in found] == [WINDOWS_11]
    assert found[0].weight == 1.0
    assert 'a kind of Windows (mentions "Windows update" (Windows))' in found[0].why


def test_precision_and_recall_micro_pool_pairs_and_macro_average_tickets():
    figures = precision_recall([{"a", "b"}, set(), {"c"}], [{"a"}, {"d"}, {"c", "e"}])
    # 2 of 3 predicted are right, 2 of 4 true are found.
    assert (figures["micro_precision"], figures["micro_recall"]) == (0.6667, 0.5)
    # Per ticket: precision 1/2, 0 (nothing named), 1; recall 1, 0, 1/2.
    assert (figures["macro_precision"], figures["macro_recall"]) == (0.5, 0.5)


def test_the_labelled_set_is_large_varied_and_uses_the_demo_taxonomy():
    tickets = read_labelled_tickets(LABELLED_TICKETS)
    names = {s.name for s in SKILLS}
    assert len(tickets) >= 60
    assert all(t.skills <= names for t in tickets)
    assert len({skill for t in tickets for skill in t.skills}) >= 40


def test_the_threshold_is_where_the_sweep_peaks_on_the_labelled_set():
    graph = demo_skill_graph()
    inferer = demo_skill_inferer(graph)
    tickets = read_labelled_tickets(LABELLED_TICKETS)
    grid = [round(0.05 * step, 2) for step in range(1, 21)]
    rows = sweep_thresholds(inferer.candidates, graph, tickets, grid, inferer.max_skills)
    best = max(rows, key=lambda row: row["micro_f1"])
    at = next(row for row in rows if row["threshold"] == THRESHOLD)
    # THRESHOLD was measured as the peak on the inferer trained on the demo history of the day;
    # the history is a seeded draw (since issue 13 its swarm arm is a simulator run), and the
    # sweep is flat near the top (0.75-0.9 within 0.005 on the history of 2026-12-04): the
    # threshold stays within 0.015 micro F1 of the peak, on the same plateau — every grid
    # point between the peak and the threshold is as good, so no slope lies between them.
    assert at["micro_f1"] >= best["micro_f1"] - 0.015
    low, high = sorted((best["threshold"], THRESHOLD))
    between = [row for row in rows if low - 1e-9 <= row["threshold"] <= high + 1e-9]
    assert all(row["micro_f1"] >= best["micro_f1"] - 0.015 for row in between)
    # The sweep at the threshold is what infer() does.
    figures = evaluate_skills(inferer.infer, graph, tickets)
    assert figures["skill_micro_f1"] == at["micro_f1"]
    assert figures["skill_macro_recall"] == at["macro_recall"]

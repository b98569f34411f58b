"""Calibration's derivation on hand-built tickets, and the hand-on knobs of the model."""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, datetime

import pytest
import yaml

from swarm.simulation.calibrate import (
    CalibrationError,
    LogShape,
    TicketTrace,
    corrected,
    derive,
    lognormal_fit,
    shares_of,
    to_yaml,
    traces,
)
from swarm.simulation.model import World
from swarm.simulation.scenario import ScenarioError, parse_scenario
from swarm.simulation.workload import draw_tickets, stream

MONDAY_9 = datetime(2026, 1, 5, 9, tzinfo=UTC).timestamp()
H = 3600.0


def ticket(
    i: int, owners: list[tuple[int, int, float]], resolved_after: float | None, cat: str = "vpn"
) -> TicketTrace:
    start = MONDAY_9 + i * H
    return TicketTrace(
        start,
        "P3" if i % 4 else "P2",
        cat,
        [(a, t, start + h * H) for a, t, h in owners],
        None if resolved_after is None else start + resolved_after * H,
    )


def desk_shape() -> LogShape:
    """40 tickets: 20 resolved by the first owner (tier 1, 1 h), 10 escalated to tier 2 after
    2 h and resolved there 8 h later, 10 handed within tier 1 then up then down (3 handoffs)."""
    shape = LogShape()
    for i in range(20):
        shape.add_ticket(ticket(i, [(1, 1, 0)], 1.0, "vpn" if i % 2 else "mail"))
    for i in range(20, 30):
        shape.add_ticket(ticket(i, [(1, 1, 0), (5, 2, 2)], 10.0, "dns"))
    for i in range(30, 40):
        shape.add_ticket(ticket(i, [(1, 1, 0), (2, 1, 1), (5, 2, 3), (3, 1, 5)], 20.0, "dns"))
    return shape


ACTORS = {1: ("Desk A", 1), 2: ("Desk B", 1), 3: ("Desk C", 1), 5: ("Network 2nd", 2)}


def test_traces_read_owners_tiers_and_the_final_resolution():
    rows = [
        (1, "created", 0.0, None, None, "P2", "vpn"),
        (1, "assigned", 0.0, 5, None, None, None),  # tier from the actor's level
        (1, "assigned", 60.0, 6, 3, None, None),  # tier from the assignment
        (1, "resolved", 120.0, 6, None, None, None),
        (1, "reopened", 130.0, 6, None, None, None),
        (2, "assigned", 0.0, 7, 1, None, None),  # no created: not a ticket of the selection
        (3, "created", 10.0, None, None, None, None),
        (3, "assigned", 10.0, 8, None, None, None),  # unknown actor: tier 1
        (3, "resolved", 20.0, 8, None, None, None),
    ]
    out = list(traces(rows, {5: 2}))
    assert [(t.owners, t.resolved) for t in out] == [
        ([(5, 2, 0.0), (6, 3, 60.0)], None),  # reopened after the resolution: open
        ([(8, 1, 10.0)], 20.0),
    ]
    assert out[1].category == "" and out[1].priority is None


def test_the_shape_counts_handoffs_outcomes_per_tier_and_stints():
    shape = desk_shape()
    assert shape.tickets == 40
    assert shape.handoff_counts == [20, 10, 0, 10]
    assert shape.outcomes[1] == Counter(resolved=30, up=20, same=10)
    assert shape.outcomes[2] == Counter(resolved=10, down=10)
    assert sorted(set(shape.handed_hours[1])) == [1.0, 2.0]
    assert shape.final_hours["dns"] == [8.0] * 10 + [15.0] * 10
    assert shape.actor_resolved[3] == Counter(dns=10)


def test_derive_gives_a_valid_scenario_with_the_log_figures():
    doc, notes = derive(desk_shape(), "toy", ACTORS, agents=6)
    scenario = parse_scenario(to_yaml(doc, notes), "toy.yaml")
    # Arrivals: 40 tickets an hour apart → about 1 per hour over the central 98 %.
    assert doc["arrivals"]["per_hour"] == pytest.approx(0.98 * 40 / 38, rel=0.05)
    assert len(scenario.arrivals.daily) == 24 and len(scenario.arrivals.weekly) == 7
    assert doc["priorities"] == {"P1": 0.0, "P2": 0.25, "P3": 0.75, "P4": 0.0}
    assert [c["name"] for c in doc["categories"]] == ["dns", "mail", "vpn"]
    assert [c["weight"] for c in doc["categories"]] == [20, 10, 10]
    # Tier 1: 30 resolved, 30 handed on (20 up, 10 same); tier 2: 10 resolved, 10 down.
    rules = doc["model"]["handoff"]["tiers"]
    assert rules[1]["probability"] == 0.5 and rules[1]["up"] == pytest.approx(2 / 3, abs=1e-3)
    assert rules[2] == pytest.approx(
        {"probability": 0.5, "up": 0.0, "down": 1.0, "hours": 2.0, "spread": 0.0}
    )
    assert doc["model"]["handoff"]["by_handoffs"] == [0.5, 0.5, 1.0, 0.0]
    assert doc["model"]["handoff"]["arms"] == "tiered"
    # Tier limits from the log's time in tier (not the product's 15 minutes).
    limits = {t["tier"]: t["limits"]["P3"] for t in doc["tiered"]["tiers"]}
    assert limits == {1: 15 * 3600, 2: 8 * 3600}  # only the tiers the desk has
    assert len(scenario.agents) == 6
    assert {a.name for a in scenario.agents} >= {"Network 2nd", "Desk A"}
    desk_c = next(a for a in scenario.agents if a.name == "Desk C")
    dns = next(i for i, name, _ in scenario.skills if name == "cat:dns")
    vpn = next(i for i, name, _ in scenario.skills if name == "cat:vpn")
    assert desk_c.levels[dns] == 4 and desk_c.levels[vpn] == 2
    text = to_yaml(doc, notes)
    assert "# 40 tickets of toy" in text and "Little's law" in text


def test_categories_beyond_the_top_are_other():
    shape = LogShape()
    for i in range(30):
        shape.add_ticket(ticket(i, [(1, 1, 0)], 1.0, f"c{i % 15}"))
    doc, _ = derive(shape, "many", ACTORS, agents=2)
    names = [c["name"] for c in doc["categories"]]
    assert len(names) == 11 and names[-1] == "other"
    assert doc["categories"][-1]["weight"] == 10


def test_a_log_without_tickets_or_owners_is_refused():
    with pytest.raises(CalibrationError, match="no tickets"):
        derive(LogShape(), "empty", {})
    shape = LogShape()
    shape.add_ticket(ticket(0, [], 1.0))
    with pytest.raises(CalibrationError, match="no ticket with an owner"):
        derive(shape, "ownerless", {})


def test_lognormal_fit_and_the_pilot_correction():
    mean, sigma = lognormal_fit([math.exp(1.0), math.exp(3.0)])
    assert sigma == pytest.approx(1.0) and mean == pytest.approx(math.exp(2.5), rel=1e-5)
    assert shares_of([0, 1, 2, 3, 7]) == [0.2, 0.2, 0.2, 0.4]
    # The simulation keeps more tickets at 0 than the log: more hand-on at the first owner.
    fixed = corrected([0.5, 0.5, 0.5, 0.5], [0.5, 0.25, 0.125, 0.125], [0.6, 0.2, 0.1, 0.1])
    assert fixed[0] > 0.5 and fixed[3] == 0.5


# ---------------------------------------------------------------------------- the model's knobs

BASE = """
seed: 3
tickets: 60
arrivals: {per_hour: 4}
skills: [VPN]
categories: [{name: vpn, skills: {VPN: 1}, work_hours: {VPN: 0.5}}]
agents:
  count: 9
  tiers: {1: 3, 2: 3, 3: 3}
  shifts: [{start_hour: 0, hours: 24, days: [0, 1, 2, 3, 4, 5, 6]}]
tiered:
  tiers:
    - {tier: 1, name: Desk, limits: {P1: null, P2: null, P3: null, P4: null}, intake: pull}
    - {tier: 2, name: Second, limits: {P1: null, P2: null, P3: null, P4: null}, intake: pull}
    - {tier: 3, name: Third, limits: {P1: null, P2: null, P3: null, P4: null}, intake: pull}
  last_automatic_tier: 3
"""


def run(text: str, arm: str) -> list[dict]:
    s = parse_scenario(text)
    rows: list[dict] = []
    World(s, arm, draw_tickets(s, 0), stream(s.seed, 0, 2), rows.extend).run()
    return rows


def kinds(rows: list[dict]) -> Counter[str]:
    return Counter(r["type"] for r in rows)


def test_without_the_knob_nobody_hands_on():
    rows = run(BASE, "tiered")
    assert kinds(rows)["escalated"] == 0 and kinds(rows)["resolved"] == 60


def test_a_sure_hand_on_escalates_every_ticket_once_by_hand():
    text = (
        BASE
        + """
model:
  handoff:
    by_handoffs: [1.0, 0.0]
    tiers:
      1: {probability: 1.0, hours: 0.5, spread: 0.0, up: 1.0}
      2: {probability: 0.0, hours: 1}
"""
    )
    rows = run(text, "tiered")
    escalated = [r for r in rows if r["type"] == "escalated"]
    assert len(escalated) == 60
    assert {
        (r["data"]["from_tier"], r["data"]["to_tier"], r["data"]["reason"]) for r in escalated
    } == {(1, 2, "manual")}
    assert kinds(rows)["resolved"] == 60
    # The swarm arm is not touched: the knob applies to the tiered arm by default.
    assert kinds(run(text, "swarm"))["unassigned"] == 0


def test_a_hand_on_within_the_tier_is_a_release_to_someone_else():
    text = (
        BASE
        + """
model:
  handoff:
    arms: both
    by_handoffs: [1.0, 0.0]
    tiers:
      1: {probability: 1.0, hours: 0.25, spread: 0.5}
      2: {probability: 1.0, hours: 0.25}
      3: {probability: 1.0, hours: 0.25}
"""
    )
    for arm in ("tiered", "swarm"):
        rows = run(text, arm)
        released = [r for r in rows if r["type"] == "unassigned"]
        assert len(released) == 60, arm
        assert kinds(rows)["resolved"] == 60
        owners: dict[int, list[int]] = {}
        for r in rows:
            if r["type"] == "assigned":
                owners.setdefault(r["ticket_id"], []).append(r["data"]["agent_id"])
        assert all(len(o) == 2 and o[0] != o[1] for o in owners.values()), arm


def test_handoff_knobs_are_validated_naming_the_field():
    bad = BASE + "model:\n  handoff:\n    tiers: {1: {probability: 1.5, hours: 1}}\n"
    with pytest.raises(ScenarioError, match=r"model.handoff.tiers.1.probability must be at most 1"):
        parse_scenario(bad, "bad.yaml")
    bad = (
        BASE
        + "model:\n  handoff:\n    tiers: {1: {probability: 0.5, hours: 1, up: 0.7, down: 0.6}}\n"
    )
    with pytest.raises(ScenarioError, match="up \\+ down must be at most 1"):
        parse_scenario(bad, "bad.yaml")
    bad = BASE + "model:\n  handoff:\n    arms: all\n    tiers: {}\n"
    with pytest.raises(ScenarioError, match=r"model\.handoff\.arms must be tiered, swarm or both"):
        parse_scenario(bad, "bad.yaml")
    bad = BASE + "model:\n  handoff:\n    by_handoffs: [0.5, 0.5, 0.5, 0.5, 0.5]\n    tiers: {}\n"
    with pytest.raises(ScenarioError, match="by_handoffs must list up to 4"):
        parse_scenario(bad, "bad.yaml")


def test_the_calibrated_yaml_round_trips():
    doc, notes = derive(desk_shape(), "toy", ACTORS, agents=4)
    assert yaml.safe_load(to_yaml(doc, notes)) == doc


def test_with_a_correlation_the_tickets_with_the_most_work_are_handed_on():
    text = (
        BASE.replace("work_hours: {VPN: 0.5}}]", "work_hours: {VPN: 0.5}, spread: 1.0}]").replace(
            "tickets: 60", "tickets: 400"
        )
        + """
model:
  handoff:
    correlation: 0.95
    by_handoffs: [0.5, 0.0]
    tiers:
      1: {probability: 0.5, hours: 0.1, spread: 0.0}
      2: {probability: 0.0, hours: 1}
"""
    )
    s = parse_scenario(text)
    specs = {t.number: t.work[0][1] for t in draw_tickets(s, 0)}
    rows = run(text, "tiered")
    handed = {r["ticket_id"] for r in rows if r["type"] == "unassigned"}
    assert 0.35 < len(handed) / 400 < 0.65
    work_handed = sorted(specs[t] for t in handed)
    work_kept = sorted(w for t, w in specs.items() if t not in handed)
    assert work_handed[len(work_handed) // 2] > 2 * work_kept[len(work_kept) // 2]

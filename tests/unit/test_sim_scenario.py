"""Scenario files: the documented format reads, and every refusal names the field and its line."""

from pathlib import Path

import pytest

from swarm.simulation.scenario import ScenarioError, load_scenario, parse_scenario

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

BASE = """\
seed: 3
tickets: 50
arrivals:
  per_hour: 2
skills: [VPN, DNS]
categories:
  - name: vpn
    skills: {VPN: 1}
    work_hours: {VPN: 0.5}
agents:
  count: 4
"""


def error_of(text: str) -> str:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, "s.yaml")
    return str(caught.value)


def test_the_examples_are_valid():
    small = load_scenario(EXAMPLES / "small.yaml")
    desk = load_scenario(EXAMPLES / "desk-200.yaml")
    assert len(small.agents) == 12 and small.arms == ("swarm", "tiered")
    assert len(desk.agents) == 200 and desk.tickets == 100_000
    assert {a.tiers for a in desk.agents} == {frozenset({1}), frozenset({2}), frozenset({3})}
    assert not small.warnings and not desk.warnings


def test_a_negative_rate_names_the_field_and_its_line():
    text = BASE.replace("per_hour: 2", "per_hour: -3")
    assert error_of(text) == "s.yaml line 4: arrivals.per_hour must be a positive number, got -3"


def test_a_zero_rate_is_refused_too():
    assert "arrivals.per_hour must be a positive number, got 0" in error_of(
        BASE.replace("per_hour: 2", "per_hour: 0")
    )


def test_errors_inside_lists_point_at_the_item_line():
    text = BASE.replace("work_hours: {VPN: 0.5}", "work_hours: {VPN: -1}")
    assert error_of(text) == (
        "s.yaml line 9: categories[0].work_hours.VPN must be a positive number, got -1"
    )
    text = BASE.replace("skills: {VPN: 1}", "skills: {Printing: 1}")
    assert error_of(text).startswith("s.yaml line 8: categories[0].skills.Printing is not one")


def test_unknown_fields_and_bad_types_are_named():
    assert error_of(BASE + "colour: blue\n").startswith("s.yaml line 12: colour is not a known")
    assert error_of(BASE.replace("count: 4", "count: four")) == (
        's.yaml line 11: agents.count must be a whole number, got "four"'
    )
    assert error_of(BASE + "arms: neither\n") == (
        's.yaml line 12: arms must be swarm, tiered or both, got "neither"'
    )


def test_broken_yaml_says_where():
    message = error_of(BASE.replace("per_hour: 2", "per_hour: [2"))
    assert message.startswith("s.yaml line ") and "not valid YAML" in message


def test_tier_settings_use_the_product_validation():
    text = BASE + "tiered:\n  tiers: [{tier: 1, name: Desk, limits: {P3: -5}}]\n"
    message = error_of(text)
    assert message.startswith("s.yaml line 12: tiered is not a valid tier configuration")
    assert "Tier 1 limit for P3 must be more than 0 seconds" in message


def test_an_overloaded_desk_runs_with_a_warning():
    scenario = parse_scenario(BASE.replace("per_hour: 2", "per_hour: 500"), "s.yaml")
    assert scenario.utilisation() >= 1
    assert len(scenario.warnings) == 1 and "utilisation" in scenario.warnings[0]


def test_json_is_read_as_well():
    scenario = parse_scenario(
        '{"seed": 1, "tickets": 5, "arrivals": {"per_hour": 1}, "skills": ["VPN"],'
        ' "categories": [{"name": "v", "skills": {"VPN": 1}}], "agents": {"count": 2}}'
    )
    assert scenario.tickets == 5 and scenario.categories[0].work_hours == {1: 0.5}


def test_profiles_are_normalised_and_checked():
    daily = "[" + ", ".join(["2"] * 24) + "]"
    scenario = parse_scenario(BASE.replace("per_hour: 2", f"per_hour: 2\n  daily: {daily}"))
    assert scenario.arrivals.daily == (1.0,) * 24
    assert "arrivals.daily must be a list of 24 numbers" in error_of(
        BASE.replace("per_hour: 2", "per_hour: 2\n  daily: [1, 2]")
    )


def test_explicit_agents_and_time_zones():
    text = BASE.replace(
        "agents:\n  count: 4\n",
        "agents:\n  list:\n    - {name: Ada, tiers: [2], skills: {VPN: 4},"
        " shift: {start_hour: 9, timezone: Europe/Paris}}\n",
    )
    (ada,) = parse_scenario(text).agents
    assert ada.name == "Ada" and ada.tiers == frozenset({2}) and ada.levels == {1: 4}
    assert "agents.list[0].shift.timezone is not a known time zone" in error_of(
        text.replace("Europe/Paris", "Mars/Olympus")
    )


def test_a_missing_section_is_named_not_looped_on():
    # A field missing together with its parent section used to loop for ever looking for a
    # line to point at; it points at the document instead.
    with pytest.raises(ScenarioError, match=r"arrivals\.per_hour is required"):
        parse_scenario("seed: 1\n", source="s.yaml")
    with pytest.raises(ScenarioError, match=r"s\.yaml line 2: arrivals\.per_hour is required"):
        parse_scenario("seed: 1\narrivals: {}\n", source="s.yaml")

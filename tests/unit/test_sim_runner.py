"""Running scenarios: common random numbers, replications in processes, the CLI."""

import json
from dataclasses import replace
from pathlib import Path

from click.testing import CliRunner

from swarm.cli import cli
from swarm.simulation.runner import run_scenario, simulate_arms, ticket_offset
from swarm.simulation.scenario import load_scenario, parse_scenario

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

TINY = """
seed: 11
tickets: 60
arrivals: {per_hour: 4}
skills: [VPN, DNS, Email]
categories:
  - {name: vpn, skills: {VPN: 2, DNS: 1}, work_hours: {VPN: 0.5, DNS: 0.3}}
  - {name: mail, skills: {Email: 1}, work_hours: {Email: 0.4}}
agents:
  count: 8
  shifts: [{start_hour: 0, hours: 24, days: [0, 1, 2, 3, 4, 5, 6]}]
"""


def test_both_arms_see_the_same_arrivals():
    s = load_scenario(EXAMPLES / "small.yaml")
    s = replace(s, duration_days=4)
    rows = []
    summaries = simulate_arms(s, rows.extend)
    created = {arm: [] for arm in ("swarm", "tiered")}
    for row in rows:
        if row["type"] == "created":
            created[row["data"]["mode"]].append(row)
    offset = ticket_offset(s, "tiered", summaries["tiered"].tickets)
    assert offset == 1000 and summaries["swarm"].tickets == summaries["tiered"].tickets > 50

    def key(row, shift):
        d = row["data"]
        return (
            row["ticket_id"] - shift,
            row["at"],
            d["priority"],
            d["category"],
            d["requester_id"],
        )

    assert [key(r, 0) for r in created["swarm"]] == [key(r, offset) for r in created["tiered"]]
    # The work drawn for each ticket is the same too: the skills set on it.
    skills = {}
    for row in rows:
        if row["type"] == "skills_set":
            skills.setdefault(row["ticket_id"] % offset, []).append(row["data"]["skills"])
    assert all(len(v) == 2 and v[0] == v[1] for v in skills.values())
    # Agents are named with their support level (for the metrics' cost by level).
    assert {level for _, _, level in summaries["swarm"].agents} == {1, 2, 3}


def test_replications_differ_and_are_summarised_with_intervals():
    result = run_scenario(parse_scenario(TINY), replications=3, workers=1)
    swarm = result["arms"]["swarm"]
    assert swarm["tickets"]["values"] == [60.0, 60.0, 60.0]
    assert len(set(swarm["ttr_median_hours"]["values"])) == 3
    lo, hi = swarm["ttr_median_hours"]["ci95"]
    assert lo <= swarm["ttr_median_hours"]["mean"] <= hi
    assert result["arms"]["tiered"]["handoffs_mean"]["mean"] > swarm["handoffs_mean"]["mean"]


def test_processes_give_the_same_result_as_one_process():
    s = parse_scenario(TINY)
    one = run_scenario(s, replications=2, workers=1)
    two = run_scenario(s, replications=2, workers=2)
    for arm in ("swarm", "tiered"):
        for name, figure in one["arms"][arm].items():
            if isinstance(figure, dict):
                assert figure == two["arms"][arm][name], name


def test_simulate_needs_a_scenario(tmp_path):
    result = CliRunner().invoke(cli, ["simulate", "--json"])
    assert result.exit_code == 2 and "--scenario" in result.output


def test_simulate_reports_a_bad_scenario_with_its_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(TINY.replace("per_hour: 4", "per_hour: -3"))
    result = CliRunner().invoke(cli, ["simulate", "--scenario", str(path), "--json"])
    assert result.exit_code == 1
    assert "bad.yaml line 4: arrivals.per_hour must be a positive number, got -3" in result.output


def test_simulate_prints_json(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    result = CliRunner().invoke(
        cli,
        ["simulate", "--scenario", str(path), "--replications", "2", "--workers", "1", "--json"],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["replications"] == 2 and set(data["arms"]) == {"swarm", "tiered"}
    assert data["arms"]["tiered"]["escalation_rate"]["mean"] > 0

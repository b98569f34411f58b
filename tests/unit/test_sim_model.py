"""The world drives the production policies and writes events the metrics engine reads right."""

from dataclasses import replace
from pathlib import Path

import numpy as np

from swarm.matching.policy import SwarmPolicy
from swarm.metrics.facts import Selection, facts_from_log
from swarm.metrics.memory import memory_log
from swarm.routing import AgentView, Assign, OrgView, Proficiency, TicketView
from swarm.simulation.model import World
from swarm.simulation.runner import arm_figures
from swarm.simulation.scenario import load_scenario, parse_scenario
from swarm.simulation.workload import draw_tickets, stream

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ALWAYS = "shift: {start_hour: 0, hours: 24, days: [0, 1, 2, 3, 4, 5, 6]}"


def scenario(agents: str, *, tickets: int = 1, extra: str = "", work: str = "{VPN: 1.0}"):
    skills = "{VPN: 1}" if work == "{VPN: 1.0}" else "{VPN: 1, DNS: 1}"
    return parse_scenario(
        f"""
seed: 5
tickets: {tickets}
arrivals: {{per_hour: 1}}
priorities: {{P3: 1}}
skills: [VPN, DNS]
categories:
  - {{name: vpn, skills: {skills}, work_hours: {work}, spread: 0.000001}}
model: {{vendor_share: 0, growth_per_help: 0}}
agents:
  list:
{agents}
{extra}
""",
        "t.yaml",
    )


def run(s, arm, replication=0):
    rows = []
    summary = World(
        s, arm, draw_tickets(s, replication), stream(s.seed, replication, 9), rows.extend
    ).run()
    return rows, summary


def facts(rows, summary):
    return facts_from_log(memory_log(rows), Selection("live", summary.end))


def of(rows, kind):
    return [r for r in rows if r["type"] == kind]


def test_a_lone_ticket_is_resolved_by_its_owner_in_its_work_time():
    s = scenario(f"    - {{name: Ada, tiers: [1], skills: {{VPN: 3}}, {ALWAYS}}}")
    rows, summary = run(s, "swarm")
    assert [r["type"] for r in rows] == [
        "created", "skills_set", "assigned", "status_changed", "resolved",
    ]  # fmt: skip
    created, resolved = rows[0]["at"], rows[-1]["at"]
    # One hour of level-3 work by a level-3 owner (speed 1.0).
    assert abs((resolved - created).total_seconds() - 3600) < 1
    assert rows[2]["data"]["by"] == "policy" and rows[2]["data"]["agent_id"] == 1
    f = facts(rows, summary)
    assert int(f.handoffs[0]) == 0 and abs(float(f.resolved_s[0] - f.created_s[0]) - 3600) < 1


def test_the_swarm_owner_is_the_one_swarm_policy_ranks_first():
    agents = "\n".join(
        f"    - {{name: A{i}, tiers: [1], skills: {{VPN: {lv}, DNS: {dns}}}, {ALWAYS}}}"
        for i, (lv, dns) in enumerate([(2, 0), (4, 1), (3, 3)])
    )
    s = scenario(agents, work="{VPN: 1.0, DNS: 1.0}")
    rows, _ = run(s, "swarm")
    owner = of(rows, "assigned")[0]["data"]["agent_id"]
    # The same question asked of the production policy on a fresh organisation.
    from swarm.skills.graph import Skill, build_skill_graph

    graph = build_skill_graph([Skill(1, "VPN"), Skill(2, "DNS")])
    org = OrgView(
        {
            a.id: AgentView(a.id, a.name, True, 0, a.capacity, a.tiers,
                            {k: Proficiency(v) for k, v in a.levels.items() if v})
            for a in s.agents
        },
        graph,
    )  # fmt: skip
    ticket = TicketView(1, "P3", {1: 1.0, 2: 1.0}, requester_id=rows[0]["data"]["requester_id"])
    expected = SwarmPolicy(s.swarm).on_opened(ticket, org, rows[0]["at"])[0]
    assert isinstance(expected, Assign) and owner == expected.agent_id
    assert "best placed" in of(rows, "assigned")[0]["data"]["why"]


def test_helpers_cover_what_the_owner_lacks_and_leave_at_resolution():
    agents = (
        f"    - {{name: Ada, tiers: [1], skills: {{VPN: 5}}, {ALWAYS}}}\n"
        f"    - {{name: Bob, tiers: [1], skills: {{DNS: 3}}, {ALWAYS}}}"
    )
    s = scenario(agents, work="{VPN: 1.0, DNS: 1.0}")
    rows, summary = run(s, "swarm")
    assert of(rows, "assigned")[0]["data"]["agent_id"] == 1
    (invited,) = of(rows, "helper_invited")
    (joined,) = of(rows, "helper_joined")
    (left,) = of(rows, "helper_left")
    assert invited["data"]["agent_id"] == joined["data"]["agent_id"] == 2
    assert joined["data"]["via"] == "invitation" and left["data"]["reason"] == "resolved"
    resolved = of(rows, "resolved")[0]
    assert left["data"]["seconds"] == int((resolved["at"] - joined["at"]).total_seconds())
    # VPN at speed 1.7 (level 5); DNS done by Bob at 1.0 / 1.25 once he joined.
    f = facts(rows, summary)
    assert int(f.helpers[0]) == 1 and int(f.handoffs[0]) == 0
    stuck = (joined["at"] - rows[0]["at"]).total_seconds()
    total = (resolved["at"] - rows[0]["at"]).total_seconds()
    # Before Bob joins nobody on the team can do DNS: the ticket is stuck, then progresses at
    # the team's pace (1 h / 1.7 + 1 h · 1.25) from his arrival.
    assert abs(total - (stuck + 3600 / 1.7 + 3600 * 1.25)) < 2


def test_a_tiered_ticket_escalates_when_its_tier_limit_passes():
    agents = (
        f"    - {{name: Desk, tiers: [1], skills: {{VPN: 3}}, {ALWAYS}}}\n"
        f"    - {{name: Tech, tiers: [2], skills: {{VPN: 3}}, {ALWAYS}}}"
    )
    s = scenario(agents)
    rows, summary = run(s, "tiered")
    types = [r["type"] for r in rows]
    assert types == [
        "created", "skills_set", "queued", "assigned", "status_changed", "escalated",
        "unassigned", "queued", "assigned", "resolved",
    ]  # fmt: skip
    t0 = rows[0]["at"]

    def at(i):
        return (rows[i]["at"] - t0).total_seconds()

    # Tier 1 pulls (the desk takes it after pull_minutes = 2); its P3 limit is 15 minutes.
    assert rows[3]["data"] == {"agent_id": 1, "by": "pull", "previous_owner_id": None, "tier": 1}
    assert at(3) == 120 and at(5) == 900
    assert rows[5]["data"] == {
        "from_tier": 1, "to_tier": 2, "reason": "time_limit", "previous_owner_id": 1,
    }  # fmt: skip
    assert rows[8]["data"]["agent_id"] == 2 and rows[8]["data"]["by"] == "policy"
    # 780 s of the hour done by Desk; Tech re-diagnoses 15 min, then does the remaining 2820 s.
    assert abs(at(9) - (900 + 900 + 2820)) < 1
    f = facts(rows, summary)
    assert int(f.handoffs[0]) == 1 and int(f.escalations[0]) == 1
    assert abs(float(f.resolved_s[0] - f.created_s[0]) - 4620) < 1


def test_the_tier_limits_come_from_the_scenarios_tiered_settings():
    agents = (
        f"    - {{name: Desk, tiers: [1], skills: {{VPN: 1}}, {ALWAYS}}}\n"
        f"    - {{name: Tech, tiers: [2], skills: {{VPN: 3}}, {ALWAYS}}}"
    )
    settings = (
        "tiered:\n  tiers:\n    - {tier: 1, name: Desk, limits: {P3: 600}, intake: push}\n"
        "    - {tier: 2, name: Tech, limits: {}}\n"
    )
    rows, _ = run(scenario(agents, extra=settings), "tiered")
    (escalated,) = of(rows, "escalated")
    assert (escalated["at"] - rows[0]["at"]).total_seconds() == 600
    assert of(rows, "assigned")[0]["data"]["by"] == "policy"  # Tier 1 pushes here


def test_an_offer_is_accepted_or_assigned_at_its_deadline():
    agents = "\n".join(
        f"    - {{name: A{i}, tiers: [1], skills: {{VPN: {3 + i % 2}}}, {ALWAYS}}}"
        for i in range(4)
    )
    s = scenario(agents, tickets=40, extra="swarm: {offer: true, offer_size: 3}")
    rows, summary = run(s, "swarm")
    by = {r["data"]["by"] for r in of(rows, "assigned")}
    assert by == {"pull", "policy"}  # some accepted, some assigned when the offer expired
    assert summary.resolved == summary.tickets == 40


def test_shifts_pause_work_and_routing_sees_absence():
    agents = "    - {name: Ada, tiers: [1], skills: {VPN: 3}, shift: {start_hour: 9, hours: 1}}"
    s = scenario(agents, work="{VPN: 1.0}")
    rows, _ = run(s, "swarm")
    # Arrives at night: triage with a retry until Ada is on shift.
    assert rows[2]["type"] == "queued" and rows[2]["data"]["tier"] is None
    assigned = of(rows, "assigned")[0]["at"]
    assert assigned.hour == 9 and assigned.minute < 15


def test_a_run_is_deterministic_for_a_seed():
    s = replace(load_scenario(EXAMPLES / "small.yaml"), duration_days=3)
    a, _ = run(s, "swarm")
    b, _ = run(s, "swarm")
    c, _ = run(s, "swarm", replication=1)
    assert a == b and a != c


def test_swarming_gives_fewer_handoffs_and_tiered_handoffs_cost_time():
    s = replace(load_scenario(EXAMPLES / "small.yaml"), duration_days=7)
    swarm = arm_figures(facts(*run(s, "swarm")))
    tiered = arm_figures(facts(*run(s, "tiered")))
    assert swarm["handoffs_mean"] < tiered["handoffs_mean"]
    assert tiered["escalation_rate"] > 0.3 and swarm["escalation_rate"] == 0
    assert swarm["helpers_mean"] > 0 and tiered["helpers_mean"] == 0
    # As in real tiered logs: more handoffs, longer to resolve.
    assert tiered["ttr_median_hours_3plus_handoffs"] > tiered["ttr_median_hours_1_handoff"]
    assert tiered["ttr_median_hours_3plus_handoffs"] > tiered["ttr_median_hours_0_handoffs"]
    assert np.isfinite(swarm["ttr_median_hours"]) and tiered["resolved_share"] > 0.95


def test_skill_growth_raises_a_helpers_level():
    agents = (
        f"    - {{name: Ada, tiers: [1], skills: {{VPN: 5}}, {ALWAYS}}}\n"
        f"    - {{name: Bob, tiers: [1], skills: {{DNS: 3, VPN: 0}}, {ALWAYS}}}"
    )
    s = scenario(agents, tickets=30, work="{VPN: 1.0, DNS: 1.0}")
    s = type(s)(**{**s.__dict__, "model": type(s.model)(growth_per_help=1.0, vendor_share=0)})
    world = World(s, "swarm", draw_tickets(s, 0), stream(5, 0, 9), lambda rows: None)
    world.run()
    # Ada owned every ticket: 30 units of evidence on DNS lift her to level 3 (the product's
    # evidence floor), Bob keeps his 3.
    assert world.agents[1].levels[2] == 3 and world.agents[2].levels[2] == 3
    assert world.index.views[1].proficiencies[2].level == 3


def test_a_stuck_owner_releases_and_the_policy_routes_elsewhere():
    agents = (
        f"    - {{name: Ada, tiers: [1], skills: {{VPN: 5}}, {ALWAYS}}}\n"
        f"    - {{name: Bob, tiers: [1], skills: {{VPN: 1, DNS: 3}}, {ALWAYS}}}"
    )
    s = scenario(agents, work="{VPN: 1.0, DNS: 1.0}", extra="swarm: {suggest_helpers: false}")
    rows, summary = run(s, "swarm")
    first, second = of(rows, "assigned")
    (released,) = of(rows, "unassigned")
    assert first["data"]["agent_id"] == 1 and second["data"]["agent_id"] == 2
    # Nobody on Ada's team can do DNS: she lets go after stuck_release_hours (4 h).
    assert (released["at"] - first["at"]).total_seconds() == 4 * 3600
    assert released["data"]["previous_owner_id"] == 1 and released["actor_id"] == 1
    f = facts(rows, summary)
    assert int(f.handoffs[0]) == 1 and bool(f.resolved[0])


def test_a_vendor_ticket_goes_out_and_comes_back():
    s = scenario(f"    - {{name: Ada, tiers: [1], skills: {{VPN: 3}}, {ALWAYS}}}")
    s = replace(s, model=replace(s.model, vendor_share=1.0))
    rows, summary = run(s, "swarm")
    types = [r["type"] for r in rows]
    assert types[-3:] == ["vendor_handoff", "vendor_update", "resolved"]
    handoff, update = rows[-3], rows[-2]
    assert handoff["data"]["vendor_id"] == 1 and update["data"]["status"] == "resolved"
    f = facts(rows, summary)
    away = (update["at"] - handoff["at"]).total_seconds()
    assert int(f.vendor_handoffs[0]) == 1 and abs(float(f.vendor_s[0]) - away) < 1


def test_an_owner_who_cannot_beat_the_limit_escalates_by_hand_before_it():
    """``hand_escalation``: the desk agent sees an hour's work will not fit the 15-minute limit
    and escalates it themselves, with a note, before the limit; the live vocabulary (actor, note,
    ``unassigned`` by them)."""
    agents = (
        f"    - {{name: Desk, tiers: [1], skills: {{VPN: 3}}, {ALWAYS}}}\n"
        f"    - {{name: Tech, tiers: [2], skills: {{VPN: 3}}, {ALWAYS}}}"
    )
    s = scenario(agents)
    s = replace(s, model=replace(s.model, hand_escalation=1.0))
    rows, _ = run(s, "tiered")
    (escalated,) = of(rows, "escalated")
    assert escalated["data"]["reason"] == "manual" and escalated["actor_id"] == 1
    assert escalated["data"]["note"] and escalated["data"]["previous_owner_id"] == 1
    assert 120 < (escalated["at"] - rows[0]["at"]).total_seconds() < 900
    (unassigned,) = of(rows, "unassigned")
    assert unassigned["actor_id"] == 1 and unassigned["data"]["reason"] == "escalated"
    assert of(rows, "resolved")[0]["actor_id"] == 2


def test_an_owner_who_can_finish_within_the_limit_keeps_the_ticket():
    agents = (
        f"    - {{name: Desk, tiers: [1], skills: {{VPN: 3, DNS: 3}}, {ALWAYS}}}\n"
        f"    - {{name: Tech, tiers: [2], skills: {{VPN: 3, DNS: 3}}, {ALWAYS}}}"
    )
    s = scenario(agents, work="{VPN: 0.05, DNS: 0.05}")
    s = replace(s, model=replace(s.model, hand_escalation=1.0))
    rows, _ = run(s, "tiered")
    assert not of(rows, "escalated")
    assert of(rows, "resolved")[0]["actor_id"] == 1


def test_a_wait_on_the_requester_stops_the_tier_clock():
    """``pending_share``: halfway through, the owner waits on the requester (pending); the tier
    limit is pushed back by the wait, so a ticket that fits the limit is still resolved in it."""
    agents = (
        f"    - {{name: Desk, tiers: [1], skills: {{VPN: 3, DNS: 3}}, {ALWAYS}}}\n"
        f"    - {{name: Tech, tiers: [2], skills: {{VPN: 3, DNS: 3}}, {ALWAYS}}}"
    )
    s = scenario(agents, work="{VPN: 0.05, DNS: 0.05}")
    s = replace(s, model=replace(s.model, pending_share=1.0, pending_hours=2.0))
    rows, _ = run(s, "tiered")
    statuses = [(r["data"]["from"], r["data"]["to"]) for r in of(rows, "status_changed")]
    assert statuses == [("new", "open"), ("open", "pending"), ("pending", "open")]
    assert not of(rows, "escalated")
    pend, back = of(rows, "status_changed")[1:]
    t0 = rows[0]["at"]
    # 120 s in the queue, 180 s of the 360 s of work, then the wait, then the other 180 s.
    assert abs((pend["at"] - t0).total_seconds() - 300) < 1
    resolved = of(rows, "resolved")[0]
    assert abs((resolved["at"] - back["at"]).total_seconds() - 180) < 1
    # Resolved after the 15-minute limit would have passed, had the clock run while pending.
    assert (resolved["at"] - t0).total_seconds() > 900
    assert pend["actor_id"] == back["actor_id"] == resolved["actor_id"] == 1


def test_a_tiered_owner_takes_a_vendor_case_to_the_vendors_tier_by_hand():
    """The live service hands off from the vendors' tier only, by a person: the owner escalates
    to it by hand, takes it there, hands off (pending meanwhile), records the vendor's answer."""
    agents = f"    - {{name: Desk, tiers: [1], skills: {{VPN: 3}}, {ALWAYS}}}"
    settings = (
        "tiered:\n  last_automatic_tier: 3\n  tiers:\n"
        "    - {tier: 1, name: Desk, limits: {P3: 7200}, intake: pull}\n"
        "    - {tier: 2, name: Tech, limits: {}}\n"
        "    - {tier: 3, name: Eng, limits: {}}\n"
        "    - {tier: 4, name: Vendors, external: true}\n"
    )
    s = scenario(agents, extra=settings)
    s = replace(s, model=replace(s.model, vendor_share=1.0))
    rows, _ = run(s, "tiered")
    types = [r["type"] for r in rows]
    assert types[-9:] == [
        "escalated", "unassigned", "queued", "assigned", "vendor_handoff", "status_changed",
        "vendor_update", "status_changed", "resolved",
    ]  # fmt: skip
    escalated, assigned = rows[-9], rows[-6]
    assert escalated["data"]["to_tier"] == 4 and escalated["data"]["reason"] == "manual"
    assert escalated["actor_id"] == 1 and escalated["data"]["note"]
    assert assigned["data"] == {"agent_id": 1, "by": "pull", "previous_owner_id": None, "tier": 4}
    assert all(r["actor_id"] == 1 for r in rows[-5:])

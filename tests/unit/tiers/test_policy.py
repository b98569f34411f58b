"""TieredPolicy: every decision path of opening, deadlines, releases and pauses."""

from dataclasses import replace
from datetime import timedelta

import pytest

from swarm.routing import (
    Assign,
    ClearDeadline,
    Escalate,
    Queue,
    RoutingPolicy,
    SetDeadline,
)
from swarm.tiers.config import PRIORITIES, TierConfig, TieredSettings, settings_from_dict
from swarm.tiers.policy import TIER_LIMIT, TieredPolicy
from swarm.tiers.sla import SlaClock
from tests.unit.tiers.tiers_builders import (
    ALL_PUSH,
    MINUTE,
    NOW,
    FakeDriver,
    make_agent,
    make_org,
    make_ticket,
)

ALL_TIERS = (1, 2, 3, 4)


def _org_with_everyone():
    return make_org(*(make_agent(tier * 10, (tier,)) for tier in ALL_TIERS))


def test_tiered_policy_is_a_routing_policy():
    policy: RoutingPolicy = TieredPolicy()
    assert callable(policy.on_opened)


def test_new_ticket_waits_in_the_tier1_queue_by_default_with_its_limit_running():
    org = make_org(make_agent(1, name="Ada"), make_agent(2, (2,)))
    decisions = TieredPolicy().on_opened(make_ticket(priority="P3"), org, NOW)
    assert decisions == [
        Queue(
            1,
            "new ticket: Tier 1 (Service desk) — self-service (Tier 0) did not resolve it; it "
            "waits in the queue for an agent to take it",
            "pull",
        ),
        SetDeadline(TIER_LIMIT, NOW + 15 * MINUTE),
    ]


def test_new_ticket_in_a_push_tier1_is_assigned_there_and_given_its_limit():
    org = make_org(make_agent(1, name="Ada"), make_agent(2, (2,)))
    decisions = TieredPolicy(ALL_PUSH).on_opened(make_ticket(priority="P3"), org, NOW)
    assert decisions == [
        Queue(
            1,
            "new ticket: Tier 1 (Service desk) — self-service (Tier 0) did not resolve it",
            "push",
        ),
        Assign(
            1, "round-robin in Tier 1 (Service desk): Ada is next in turn (0 of 5 tickets open)"
        ),
        SetDeadline(TIER_LIMIT, NOW + 15 * MINUTE),
    ]


def test_new_ticket_nobody_can_take_waits_in_the_queue_with_its_clock_running():
    org = make_org(make_agent(1, present=False), make_agent(2, load=5))
    decisions = TieredPolicy().on_opened(make_ticket(priority="P1"), org, NOW)
    assert [type(d) for d in decisions] == [Queue, SetDeadline]
    assert decisions[1].at == NOW + 5 * MINUTE


@pytest.mark.parametrize("tier", [1, 2, 3])
@pytest.mark.parametrize("intake", ["push", "pull"])
def test_each_tier_pushes_or_pulls_as_configured(tier, intake):
    tiers = [replace(t, intake=intake) if t.tier == tier else t for t in ALL_PUSH.tiers]
    policy, org = TieredPolicy(TieredSettings(tiers=tiers)), _org_with_everyone()
    if tier == 1:
        decisions = policy.on_opened(make_ticket(), org, NOW)
    else:
        below = make_ticket(tier=tier - 1, owner_id=(tier - 1) * 10, deadlines={TIER_LIMIT: NOW})
        decisions = policy.on_deadline(below, org, NOW)
    queued = next(d for d in decisions if isinstance(d, Queue))
    assigned = [d.agent_id for d in decisions if isinstance(d, Assign)]
    assert (queued.tier, queued.intake) == (tier, intake)
    assert assigned == ([tier * 10] if intake == "push" else [])


def test_a_released_ticket_in_a_pull_tier_waits_for_someone_to_take_it():
    org = make_org(make_agent(1, (1,)), make_agent(2, (1,)))
    ticket = make_ticket(tier=1, owner_id=1, excluded=(1,))
    decisions = TieredPolicy().on_released(ticket, org, NOW)
    assert [(type(d), d.intake) for d in decisions] == [(Queue, "pull")]


def test_the_legacy_pull_only_strategy_reads_as_every_tier_pulling():
    policy = TieredPolicy(settings_from_dict({"strategy": "pull_only"}))
    decisions = policy.on_opened(make_ticket(), make_org(make_agent(1)), NOW)
    assert [type(d) for d in decisions] == [Queue, SetDeadline]
    assert {t.intake for t in policy.settings.tiers if t.tier > 0} == {"pull"}


@pytest.mark.parametrize("tier", [1, 2, 3])
@pytest.mark.parametrize("priority", PRIORITIES)
def test_entering_a_tier_sets_that_tiers_limit_for_the_priority(tier, priority):
    settings = TieredSettings()
    policy, org = TieredPolicy(settings), _org_with_everyone()
    if tier == 1:
        decisions = policy.on_opened(make_ticket(priority=priority), org, NOW)
    else:
        below = make_ticket(priority=priority, tier=tier - 1, deadlines={TIER_LIMIT: NOW})
        decisions = policy.on_deadline(below, org, NOW)
    assert decisions[-1] == SetDeadline(TIER_LIMIT, NOW + settings.limit(tier, priority))


def test_limit_passing_escalates_clears_the_owner_and_assigns_in_the_next_tier():
    org = make_org(make_agent(1, (1,)), make_agent(2, (2,), name="Bea"))
    ticket = make_ticket(tier=1, owner_id=1, deadlines={TIER_LIMIT: NOW})
    decisions = TieredPolicy().on_deadline(ticket, org, NOW)
    assert decisions == [
        ClearDeadline(TIER_LIMIT),
        Escalate(2, "time_limit"),
        Queue(
            2,
            "Tier 1 (Service desk) limit for P3 (15 min) passed: escalated to "
            "Tier 2 (Technical support)",
            "push",
        ),
        Assign(
            2,
            "round-robin in Tier 2 (Technical support): Bea is next in turn (0 of 5 tickets open)",
        ),
        SetDeadline(TIER_LIMIT, NOW + timedelta(hours=4)),
    ]


def test_escalation_never_hands_the_ticket_back_to_the_owner_who_serves_both_tiers():
    org = make_org(make_agent(1, (1, 2)), make_agent(2, (2,)))
    ticket = make_ticket(tier=1, owner_id=1, deadlines={TIER_LIMIT: NOW})
    assigns = [d for d in TieredPolicy().on_deadline(ticket, org, NOW) if isinstance(d, Assign)]
    assert [a.agent_id for a in assigns] == [2]


def test_deadline_fires_exactly_at_the_limit_and_not_a_moment_before():
    ticket = make_ticket(tier=1, deadlines={TIER_LIMIT: NOW})
    policy = TieredPolicy()
    assert policy.on_deadline(ticket, make_org(), NOW - timedelta(microseconds=1)) == []
    assert Escalate(2, "time_limit") in policy.on_deadline(ticket, make_org(), NOW)


def test_other_deadline_kinds_are_not_the_tiered_policys():
    ticket = make_ticket(tier=1, deadlines={"offer": NOW, "vendor_sla": NOW})
    assert TieredPolicy().on_deadline(ticket, make_org(), NOW) == []


def test_chain_escalates_one_to_two_to_three_to_vendors_and_stops_there():
    driver = FakeDriver(TieredPolicy(), _org_with_everyone(), make_ticket(priority="P2"))
    driver.open(NOW)
    now = NOW
    for _ in range(6):
        if not driver.ticket.deadlines:
            break
        now = min(driver.ticket.deadlines.values())
        driver.sweep(now)
    moves = [
        (e[2]["from_tier"], e[2]["to_tier"], e[2]["reason"]) for e in driver.of_type("escalated")
    ]
    assert moves == [(1, 2, "time_limit"), (2, 3, "time_limit"), (3, 4, "time_limit")]
    # 10 min + 1 h + 4 h: each tier's own P2 limit.
    assert now == NOW + timedelta(minutes=10, hours=5)
    assert driver.ticket.tier == 4
    assert driver.ticket.owner_id == 40
    assert driver.ticket.deadlines == {}


def test_with_vendors_manual_only_the_chain_stops_at_tier3_without_a_deadline():
    policy = TieredPolicy(TieredSettings(last_automatic_tier=3))
    ticket = make_ticket(tier=2, deadlines={TIER_LIMIT: NOW})
    decisions = policy.on_deadline(ticket, _org_with_everyone(), NOW)
    assert Escalate(3, "time_limit") in decisions
    assert not any(isinstance(d, SetDeadline) for d in decisions)


@pytest.mark.parametrize(
    ("settings", "tier"),
    [
        (TieredSettings(), 4),
        (TieredSettings(last_automatic_tier=3), 3),
        (TieredSettings(tiers=[TierConfig(1, "L1", {"P3": 60})]), 1),
    ],
)
def test_a_deadline_at_the_last_automatic_tier_is_only_cleared(settings, tier):
    ticket = make_ticket(tier=tier, owner_id=7, deadlines={TIER_LIMIT: NOW})
    assert TieredPolicy(settings).on_deadline(ticket, _org_with_everyone(), NOW) == [
        ClearDeadline(TIER_LIMIT)
    ]


def test_a_leftover_deadline_of_a_ticket_outside_the_tiers_is_only_cleared():
    ticket = make_ticket(tier=None, deadlines={TIER_LIMIT: NOW})
    assert TieredPolicy().on_deadline(ticket, make_org(), NOW) == [ClearDeadline(TIER_LIMIT)]


def test_a_tier_without_a_limit_for_the_priority_gets_no_deadline():
    settings = TieredSettings(tiers=[TierConfig(1, "L1", {"P1": 60}), TierConfig(2, "L2")])
    decisions = TieredPolicy(settings).on_opened(make_ticket(priority="P4"), make_org(), NOW)
    assert decisions == [Queue(1, decisions[0].why, "push")]


def test_released_ticket_goes_back_to_its_tier_and_to_someone_else_clock_untouched():
    org = make_org(make_agent(1, (2,)), make_agent(2, (2,)), make_agent(3, (2,)))
    ticket = make_ticket(
        tier=2, owner_id=1, excluded=(2,), deadlines={TIER_LIMIT: NOW + 30 * MINUTE}
    )
    decisions = TieredPolicy().on_released(ticket, org, NOW)
    assert decisions == [
        Queue(2, "released: back in the Tier 2 (Technical support) queue", "push"),
        Assign(3, decisions[1].why),
    ]


def test_released_ticket_with_nobody_else_waits_in_the_queue():
    org = make_org(make_agent(1, (1,)))
    ticket = make_ticket(tier=1, owner_id=1, excluded=(1,))
    assert [type(d) for d in TieredPolicy().on_released(ticket, org, NOW)] == [Queue]


def test_pause_clears_the_tier_deadline_and_resume_sets_it_pushed_by_the_pause():
    policy = TieredPolicy()
    ticket = make_ticket(tier=1, deadlines={TIER_LIMIT: NOW + 15 * MINUTE})
    assert policy.on_paused(ticket, NOW + 10 * MINUTE) == [ClearDeadline(TIER_LIMIT)]
    clock = SlaClock(NOW).pause(NOW + 10 * MINUTE)
    resumed = policy.on_resumed(make_ticket(tier=1), clock, NOW + 70 * MINUTE)
    assert resumed == [SetDeadline(TIER_LIMIT, NOW + 75 * MINUTE)]


def test_pause_without_a_deadline_and_resume_at_the_last_tier_do_nothing():
    policy = TieredPolicy()
    assert policy.on_paused(make_ticket(tier=4), NOW) == []
    clock = SlaClock(NOW).pause(NOW)
    assert policy.on_resumed(make_ticket(tier=4), clock, NOW + MINUTE) == []
    assert policy.on_resumed(make_ticket(tier=None), clock, NOW + MINUTE) == []


def test_resume_after_the_limit_had_passed_sets_a_deadline_in_the_past():
    clock = SlaClock(NOW).pause(NOW + 20 * MINUTE)
    decisions = TieredPolicy().on_resumed(make_ticket(tier=1), clock, NOW + 60 * MINUTE)
    assert decisions == [SetDeadline(TIER_LIMIT, NOW + 55 * MINUTE)]


def test_on_a_fake_clock_the_limit_fires_at_fifteen_running_minutes_never_during_a_pause():
    driver = FakeDriver(TieredPolicy(), _org_with_everyone(), make_ticket(priority="P3"))
    driver.open(NOW)
    pauses = {6: "pause", 40: "resume", 45: "pause", 50: "resume"}  # minutes after opening
    for minute in range(0, 120):
        now = NOW + minute * MINUTE
        if minute in pauses:
            getattr(driver, pauses[minute])(now)
        driver.sweep(now)
        if driver.of_type("escalated"):
            break
    # 6 min, then 5 min (45 − 40), then 4 more from minute 50: 15 running minutes at minute 54.
    (escalated,) = driver.of_type("escalated")
    assert escalated[0] == NOW + 54 * MINUTE
    assert escalated[2] == {"from_tier": 1, "to_tier": 2, "reason": "time_limit"}
    assert driver.clock.elapsed(escalated[0]) == timedelta(0)

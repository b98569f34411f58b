"""Manual escalation and de-escalation: valid moves become handoffs, invalid ones sentences."""

import pytest

from swarm.events import EventType
from swarm.routing import Assign, ClearDeadline, Escalate, Queue, SetDeadline
from swarm.tiers.config import TierConfig, TieredSettings
from swarm.tiers.policy import (
    TIER_LIMIT,
    BelowFirstTierError,
    BeyondLastTierError,
    NotInTierError,
    SameTierError,
    TieredPolicy,
    TierMoveError,
    WrongDirectionError,
    plan_deescalation,
    plan_escalation,
    tier_move_event,
)
from tests.unit.tiers.tiers_builders import (
    ALL_PUSH,
    MINUTE,
    NOW,
    make_agent,
    make_org,
    make_ticket,
)

SETTINGS = ALL_PUSH


def test_escalating_by_hand_defaults_to_the_next_tier_and_is_a_handoff():
    org = make_org(make_agent(1, (1, 2)), make_agent(2, (2,), name="Bea"))
    ticket = make_ticket(tier=1, owner_id=1, deadlines={TIER_LIMIT: NOW + 5 * MINUTE})
    decisions = plan_escalation(ticket, None, SETTINGS, now=NOW, org=org, note=" needs AD rights ")
    assert decisions == [
        ClearDeadline(TIER_LIMIT),
        Escalate(2, "manual"),
        Queue(
            2,
            "escalated by hand from Tier 1 (Service desk) to Tier 2 (Technical support): "
            "needs AD rights",
            "push",
        ),
        Assign(2, decisions[3].why),
        SetDeadline(TIER_LIMIT, NOW + SETTINGS.limit(2, "P3")),
    ]


def test_a_person_may_skip_tiers_and_send_a_ticket_to_the_vendors_tier():
    capped = TieredSettings(last_automatic_tier=3)
    decisions = plan_escalation(make_ticket(tier=1), 4, capped, now=NOW)
    assert decisions[:2] == [ClearDeadline(TIER_LIMIT), Escalate(4, "manual")]
    assert not any(isinstance(d, SetDeadline) for d in decisions)


def test_without_an_org_the_move_queues_but_assigns_nobody():
    decisions = plan_escalation(make_ticket(tier=1), 3, SETTINGS, now=NOW)
    assert [type(d) for d in decisions] == [ClearDeadline, Escalate, Queue, SetDeadline]


def test_deescalating_by_hand_defaults_to_one_tier_down_with_a_fresh_clock():
    org = make_org(make_agent(1, (1,)), make_agent(3, (3,)))
    ticket = make_ticket(tier=2, owner_id=3)
    decisions = plan_deescalation(ticket, None, SETTINGS, now=NOW, org=org, note="password only")
    assert decisions == [
        ClearDeadline(TIER_LIMIT),
        Escalate(1, "manual"),
        Queue(
            1,
            "de-escalated by hand from Tier 2 (Technical support) to Tier 1 (Service "
            "desk): password only",
            "push",
        ),
        Assign(1, decisions[3].why),
        SetDeadline(TIER_LIMIT, NOW + 15 * MINUTE),
    ]


def test_the_policy_methods_use_their_settings():
    pulling = [TierConfig(t.tier, t.name, t.limits, t.external, "pull") for t in ALL_PUSH.tiers[1:]]
    policy = TieredPolicy(TieredSettings(tiers=pulling))
    org = make_org(make_agent(1, (2,)))
    up = policy.escalate(make_ticket(tier=1), org, NOW)
    down = policy.deescalate(make_ticket(tier=3), org, NOW, to_tier=2)
    assert Escalate(2, "manual") in up and Escalate(2, "manual") in down
    assert not any(isinstance(d, Assign) for d in up + down)


# (plan, ticket's tier, requested tier, error, part of the sentence)
IMPOSSIBLE = [
    (plan_escalation, 4, None, BeyondLastTierError, "Tier 4 (External vendors), the last tier"),
    (plan_escalation, 2, 5, BeyondLastTierError, "Tier 5 is past the last tier, Tier 4"),
    (plan_escalation, 2, 2, SameTierError, "already in Tier 2 (Technical support)."),
    (plan_escalation, 3, 1, WrongDirectionError, "where ticket 100 is: de-escalate it instead"),
    (plan_escalation, None, 2, NotInTierError, "not in a tier queue, so it cannot be escalated"),
    (plan_deescalation, 1, None, BelowFirstTierError, "Tier 0 is self-service, with no queue"),
    (plan_deescalation, 3, 0, BelowFirstTierError, "cannot be de-escalated below Tier 1"),
    (plan_deescalation, 2, 2, SameTierError, "already in Tier 2 (Technical support)."),
    (plan_deescalation, 1, 3, WrongDirectionError, "where ticket 100 is: escalate it instead"),
    (plan_deescalation, None, 1, NotInTierError, "so it cannot be de-escalated"),
]


@pytest.mark.parametrize(("plan", "tier", "to", "error", "message"), IMPOSSIBLE)
def test_impossible_moves_are_refused_with_a_sentence(plan, tier, to, error, message):
    with pytest.raises(error) as raised:
        plan(make_ticket(tier=tier), to, SETTINGS, now=NOW)
    assert isinstance(raised.value, TierMoveError)
    assert isinstance(raised.value, ValueError)
    assert message in str(raised.value)


def test_escalation_past_a_shorter_chain_names_its_last_tier():
    short = TieredSettings(tiers=[TierConfig(1, "Desk"), TierConfig(2, "Experts")])
    with pytest.raises(BeyondLastTierError, match=r"the last tier: there is no tier"):
        plan_escalation(make_ticket(tier=2), None, short, now=NOW)
    with pytest.raises(BeyondLastTierError, match=r"past the last tier, Tier 2 \(Experts\)"):
        plan_escalation(make_ticket(tier=1), 3, short, now=NOW)


def test_a_manual_escalation_moves_the_deadline_so_the_old_timer_finds_nothing_due():
    # The live service applies one of them under the ticket's row lock; the loser re-reads the
    # ticket and the policy, given the fresh view, has nothing left to do.
    ticket = make_ticket(tier=1, deadlines={TIER_LIMIT: NOW})
    manual = plan_escalation(ticket, None, SETTINGS, now=NOW)
    (new_deadline,) = [d for d in manual if isinstance(d, SetDeadline)]
    fresh = make_ticket(tier=2, deadlines={TIER_LIMIT: new_deadline.at})
    assert TieredPolicy().on_deadline(fresh, make_org(), NOW) == []
    with pytest.raises(WrongDirectionError):
        plan_escalation(fresh, 2 - 1, SETTINGS, now=NOW)


@pytest.mark.parametrize(
    ("from_tier", "move", "kind"),
    [
        (1, Escalate(2, "time_limit"), EventType.ESCALATED),
        (1, Escalate(3, "manual"), EventType.ESCALATED),
        (3, Escalate(2, "manual"), EventType.DEESCALATED),
    ],
)
def test_tier_moves_are_recorded_with_one_vocabulary(from_tier, move, kind):
    event, data = tier_move_event(from_tier, move)
    assert event is kind
    assert data == {"from_tier": from_tier, "to_tier": move.to_tier, "reason": move.reason}


def test_a_move_note_is_recorded_and_a_non_move_refused():
    _, data = tier_move_event(2, Escalate(1, "manual"), note=" only a password ")
    assert data["note"] == "only a password"
    with pytest.raises(SameTierError, match="no move"):
        tier_move_event(2, Escalate(2, "manual"))

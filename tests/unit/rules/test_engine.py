"""The rules engine: which rules fire on an event, what they would do, and what is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from swarm.rules.engine import MAX_FIRINGS, EventView, Rule, TicketView, evaluate, holds
from swarm.rules.spec import (
    REGEX_MAX,
    REGEX_SCAN,
    TEXT_SCAN,
    AddSkills,
    CallWebhook,
    Conditions,
    InviteHelper,
    Notify,
    PostReply,
    RuleError,
    SetCategory,
    SetPriority,
    action_json,
    conditions_json,
    parse_rule,
)

T0 = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
SET_P1 = [{"type": "set_priority", "priority": "P1"}]


def ticket(**changes: Any) -> TicketView:
    base: dict[str, Any] = {
        "id": 7,
        "subject": "VPN drops every hour",
        "body": "Since Monday the VPN client disconnects.",
        "priority": "P3",
        "status": "new",
        "mode": "swarm",
        "tier": None,
        "category": None,
        "skill_ids": frozenset({4}),
        "created_at": T0,
        "previous_event_at": None,
    }
    base.update(changes)
    return TicketView(**base)


def event(type_: str = "created", at: datetime = T0, **data: Any) -> EventView:
    return EventView(id=100, type=type_, ticket_id=7, at=at, data=data)


def rule(
    rule_id: int = 1,
    trigger: str = "created",
    conditions: dict[str, Any] | None = None,
    actions: list[dict[str, Any]] | None = None,
    enabled: bool = True,
) -> Rule:
    spec = parse_rule(
        trigger, conditions or {}, actions or [{"type": "set_priority", "priority": "P1"}]
    )
    return Rule(id=rule_id, name=f"rule {rule_id}", enabled=enabled, spec=spec)


# ----------------------------------------------------------------- firing


def test_a_rule_fires_on_its_trigger_with_its_actions() -> None:
    [firing] = evaluate(event(), ticket(), [rule()])
    assert firing.rule_id == 1
    assert firing.actions == (SetPriority("P1"),)


def test_other_triggers_and_disabled_rules_do_not_fire() -> None:
    rules = [rule(1, trigger="assigned"), rule(2, enabled=False)]
    assert evaluate(event(), ticket(), rules) == []


def test_an_event_caused_by_a_rule_fires_nothing() -> None:
    caused = event(cause={"rule_id": 9, "run_id": 3})
    assert evaluate(caused, ticket(), [rule()]) == []


def test_rules_fire_in_id_order_and_at_most_a_bounded_number() -> None:
    rules = [rule(i) for i in range(MAX_FIRINGS + 5, 0, -1)]
    firings = evaluate(event(), ticket(), rules)
    assert [f.rule_id for f in firings] == list(range(1, MAX_FIRINGS + 1))


def test_actions_that_change_nothing_are_left_out() -> None:
    actions = [
        {"type": "set_priority", "priority": "P3"},  # already P3
        {"type": "set_priority", "priority": "P2"},
        {"type": "set_priority", "priority": "P2"},  # the one before made it P2
        {"type": "add_skills", "skill_ids": [4, 5]},  # 4 is there already
        {"type": "set_category", "category": None},  # none already
        {"type": "notify", "user_id": 3, "message": "Look"},
    ]
    [firing] = evaluate(event(), ticket(), [rule(actions=actions)])
    assert firing.actions == (SetPriority("P2"), AddSkills((5,)), Notify(3, "Look"))


def test_a_rule_with_nothing_left_to_do_still_fires_empty() -> None:
    [firing] = evaluate(
        event(), ticket(priority="P1"), [rule(actions=[{"type": "set_priority", "priority": "P1"}])]
    )
    assert firing.actions == ()


# ----------------------------------------------------------------- conditions


@pytest.mark.parametrize(
    ("conditions", "view", "expected"),
    [
        ({"priority": ["P3", "P4"]}, {}, True),
        ({"priority": ["P1"]}, {}, False),
        ({"category": ["network"]}, {"category": "network"}, True),
        ({"category": ["network"]}, {}, False),
        ({"mode": "tiered"}, {}, False),
        ({"mode": "tiered"}, {"mode": "tiered", "tier": 1}, True),
        ({"tier": [1, 2]}, {"mode": "tiered", "tier": 2}, True),
        ({"tier": [1, 2]}, {"mode": "tiered", "tier": 3}, False),
        ({"status": ["open"]}, {}, False),
        ({"skills": [4, 9]}, {}, True),
        ({"skills": [9]}, {}, False),
        ({"text": {"words": ["vpn"]}}, {}, True),
        ({"text": {"words": ["VPNs"]}}, {}, False),  # whole words only
        ({"text": {"words": ["client"]}}, {}, True),  # the body counts too
        ({"text": {"regex": r"drops\s+every"}}, {}, True),
        ({"text": {"regex": r"^printer"}}, {}, False),
    ],
)
def test_each_condition(conditions: dict[str, Any], view: dict[str, Any], expected: bool) -> None:
    spec = parse_rule("created", conditions, [{"type": "set_priority", "priority": "P1"}])
    assert holds(spec.conditions, ticket(**view), T0) is expected


def test_time_since_opened_and_since_the_previous_event() -> None:
    spec = parse_rule(
        "status_changed",
        {"opened_at_least": 60, "idle_at_least": 30},
        [{"type": "set_priority", "priority": "P1"}],
    )
    view = ticket(previous_event_at=T0 + timedelta(minutes=40))
    assert holds(spec.conditions, view, T0 + timedelta(minutes=70))
    assert not holds(spec.conditions, view, T0 + timedelta(minutes=59))  # opened < 60 min
    assert not holds(spec.conditions, view, T0 + timedelta(minutes=65))  # idle 25 min
    assert not holds(spec.conditions, ticket(), T0 + timedelta(minutes=90))  # no previous event
    young = Conditions(opened_less_than=10)
    assert holds(young, ticket(), T0 + timedelta(minutes=9))
    assert not holds(young, ticket(), T0 + timedelta(minutes=10))


def test_text_reads_only_the_start_of_a_huge_body() -> None:
    words = parse_rule("created", {"text": {"words": ["needle"]}}, SET_P1).conditions
    regex = parse_rule("created", {"text": {"regex": "needle"}}, SET_P1).conditions
    early = ticket(subject="x", body="needle " + "a " * 1_000_000)
    late = ticket(subject="x", body="a " * (TEXT_SCAN // 2) + "needle")
    middle = ticket(subject="x", body="a " * (REGEX_SCAN // 2) + "needle")
    assert holds(words, early, T0) and holds(regex, early, T0)
    assert not holds(words, late, T0) and not holds(regex, late, T0)
    assert holds(words, middle, T0) and not holds(regex, middle, T0)


# ----------------------------------------------------------------- refused definitions


def refused(trigger: Any, conditions: Any, actions: Any) -> RuleError:
    with pytest.raises(RuleError) as caught:
        parse_rule(trigger, conditions, actions)
    return caught.value


@pytest.mark.parametrize(
    ("trigger", "action"),
    [
        ("priority_changed", {"type": "set_priority", "priority": "P1"}),
        ("category_changed", {"type": "set_category", "category": "x"}),
        ("skills_set", {"type": "add_skills", "skill_ids": [1]}),
        ("helper_invited", {"type": "invite_helper", "agent_id": 2}),
        ("escalated", {"type": "escalate"}),
    ],
)
def test_a_rule_that_would_trigger_itself_is_refused(trigger: str, action: dict[str, Any]) -> None:
    error = refused(trigger, {}, [action])
    assert error.fields == {"actions": ["Would loop."]}
    assert "trigger it again" in error.message


def test_a_side_effect_of_an_action_may_be_the_trigger() -> None:
    # Escalating writes queued too, with the run's cause: it fires no rule, so this is no loop.
    spec = parse_rule("queued", {"tier": [1]}, [{"type": "escalate", "to_tier": 2}])
    assert spec.trigger == "queued"


def test_a_finished_ticket_only_gets_harmless_actions() -> None:
    error = refused("closed", {}, SET_P1)
    assert error.fields == {"actions": ["Not on a finished ticket."]}
    spec = parse_rule("resolved", {}, [{"type": "call_webhook", "webhook_id": 2}])
    assert spec.actions == (CallWebhook(2),)


def test_unknown_trigger_condition_action_and_field_are_named() -> None:
    assert refused("rule_fired", {}, SET_P1).fields == {"trigger": ["Unknown event type."]}
    assert refused("message", {}, SET_P1).fields == {"trigger": ["Unknown event type."]}
    assert "conditions.colour" in refused("created", {"colour": "red"}, SET_P1).fields
    assert "actions.0" in refused("created", {}, [{"type": "explode"}]).fields
    error = refused("created", {}, [{"type": "set_priority", "priority": "P1", "why": 1}])
    assert error.fields == {"actions.0.why": ["Unknown field."]}
    assert "actions" in refused("created", {}, []).fields
    assert "conditions.priority" in refused("created", {"priority": ["P9"]}, SET_P1).fields


@pytest.mark.parametrize(
    "regex",
    [
        "a" * (REGEX_MAX + 1),
        "(a+)+$",
        r"(\w+\s?)*x",
        "(a|aa)*b",
        r"(x)\1",
        "(?=a)b",
        "[unclosed",
    ],
)
def test_dangerous_or_broken_regexes_are_refused(regex: str) -> None:
    assert "conditions.text.regex" in refused("created", {"text": {"regex": regex}}, SET_P1).fields


@pytest.mark.parametrize(
    "regex", [r"\bvpn\b", "refund|chargeback", "(?:out of|no) stock", "x{2,3}"]
)
def test_ordinary_regexes_are_accepted(regex: str) -> None:
    assert parse_rule("created", {"text": {"regex": regex}}, SET_P1).conditions.text is not None


def test_words_are_single_words() -> None:
    error = refused("created", {"text": {"words": ["two words"]}}, SET_P1)
    assert "conditions.text.words" in error.fields


def test_invite_needs_exactly_one_of_agent_and_skill() -> None:
    assert "actions.0" in refused("created", {}, [{"type": "invite_helper"}]).fields
    both = [{"type": "invite_helper", "agent_id": 2, "skill_id": 3}]
    assert "actions.0" in refused("created", {}, both).fields
    spec = parse_rule("created", {}, [{"type": "invite_helper", "skill_id": 3}])
    assert spec.actions == (InviteHelper(skill_id=3),)


def test_bounded_texts_and_counts() -> None:
    long_reply = [{"type": "post_reply", "body": "x" * 4001}]
    assert "actions.0.body" in refused("created", {}, long_reply).fields
    assert "actions" in refused("created", {}, SET_P1 * 11).fields
    assert "conditions.priority" in refused("created", {"priority": ["P1"] * 21}, SET_P1).fields
    bad_minutes = refused("created", {"opened_at_least": -1}, SET_P1)
    assert "conditions.opened_at_least" in bad_minutes.fields
    assert "conditions.tier" in refused("created", {"tier": [True]}, SET_P1).fields


def test_the_stored_form_reads_back_the_same() -> None:
    conditions = {
        "priority": ["P3"],
        "skills": [4],
        "text": {"words": ["vpn"], "regex": "drop"},
        "opened_at_least": 5,
    }
    actions = [
        {"type": "set_priority", "priority": "P1"},
        {"type": "set_category", "category": None},
        {"type": "add_skills", "skill_ids": [1, 2]},
        {"type": "invite_helper", "skill_id": 3},
        {"type": "post_reply", "body": "Thanks, we are on it."},
        {"type": "escalate", "to_tier": 2},
        {"type": "notify", "user_id": 5, "message": "VPN again"},
        {"type": "call_webhook", "webhook_id": 1},
    ]
    spec = parse_rule("created", conditions, actions)
    assert conditions_json(spec.conditions) == conditions
    assert [action_json(a) for a in spec.actions] == [
        {**a, "type": a["type"]} if a["type"] != "escalate" else a for a in actions
    ]
    again = parse_rule(
        "created", conditions_json(spec.conditions), [action_json(a) for a in spec.actions]
    )
    assert again == spec
    assert spec.actions[1] == SetCategory(None)
    assert spec.actions[4] == PostReply("Thanks, we are on it.")

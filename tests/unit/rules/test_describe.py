"""A rule read aloud: every condition and action has its sentence, and ids name things."""

from __future__ import annotations

import pytest

from swarm.rules.describe import (
    TRIGGER_TEXT,
    Names,
    describe_action,
    describe_conditions,
    describe_trigger,
)
from swarm.rules.spec import (
    ACTION_TYPES,
    TRIGGERS,
    AddSkills,
    CallWebhook,
    Conditions,
    Escalate,
    InviteHelper,
    Notify,
    PostReply,
    SetCategory,
    SetPriority,
    TextMatch,
    parse_rule,
)

NAMES = Names(skills={4: "Exchange", 5: "VPN"}, people={7: "Ada"}, webhooks={2: "https://crm"})


def test_every_trigger_has_words():
    assert set(TRIGGER_TEXT) == set(TRIGGERS)
    assert describe_trigger("satisfaction_rated") == "When the requester rates the answer"


def test_conditions_read_as_phrases_in_a_fixed_order():
    conditions = Conditions(
        priority=("P1",),
        category=("email", "network"),
        mode="tiered",
        tier=(1, 2),
        status=("new",),
        skills=(4, 9),
        text=TextMatch(("outage", "down"), "vpn|remote"),
        opened_at_least=120,
        opened_less_than=1440,
        idle_at_least=1,
    )
    assert describe_conditions(conditions, NAMES) == [
        "priority is P1",
        "category is “email” or “network”",
        "the ticket is in tiered mode",
        "the ticket is in tier 1 or 2",
        "status is new",
        "the ticket needs Exchange or #9",
        "the subject or description mentions “outage” or “down”",
        "the subject or description matches /vpn|remote/",
        "it was opened at least 2 hours ago",
        "it was opened less than 1 day ago",
        "nothing happened to it for at least 1 minute before",
    ]
    assert describe_conditions(Conditions()) == []


@pytest.mark.parametrize(
    ("action", "sentence"),
    [
        (SetPriority("P2"), "Set the priority to P2"),
        (SetCategory(None), "Clear the category"),
        (SetCategory("email"), "Set the category to “email”"),
        (AddSkills((4, 5, 6)), "Add the skills Exchange, VPN and #6"),
        (InviteHelper(agent_id=7), "Invite Ada to the swarm"),
        (InviteHelper(skill_id=5), "Invite the most proficient free agent for VPN"),
        (PostReply("x" * 100), f"Reply to the requester: “{'x' * 79}…”"),
        (Escalate(None), "Escalate to the next tier"),
        (Escalate(3), "Escalate to tier 3"),
        (Notify(8, "Look\n at this"), "Notify #8: “Look at this”"),
        (CallWebhook(2), "Call the webhook https://crm"),
    ],
)
def test_each_action_reads_as_an_imperative(action, sentence):
    assert describe_action(action, NAMES) == sentence


def test_every_action_type_is_described():
    samples = {
        "set_priority": {"priority": "P1"},
        "set_category": {"category": "x"},
        "add_skills": {"skill_ids": [1]},
        "invite_helper": {"skill_id": 1},
        "post_reply": {"body": "hi"},
        "escalate": {},
        "notify": {"user_id": 1, "message": "m"},
        "call_webhook": {"webhook_id": 1},
    }
    assert set(samples) == set(ACTION_TYPES)
    spec = parse_rule("created", {}, [{"type": k, **v} for k, v in samples.items()])
    assert all(describe_action(a) for a in spec.actions)

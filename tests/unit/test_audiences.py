"""Every event type × audience: what staff, a requester and a guest receive of an event
(swarm/events.py). A new type or field is staff-only until someone decides otherwise."""

from __future__ import annotations

import pytest

from swarm.events import AUDIENCE_FIELDS, MESSAGE_KINDS, Audience, EventType, view

# One realistic payload per type, with every key docs/events.md lists for it.
SAMPLES: dict[str, dict[str, object]] = {
    "created": {"subject": "VPN", "priority": "P2", "mode": "tiered", "requester_id": 3},
    "skills_set": {"skills": [{"skill_id": 1, "weight": 1.0}], "by": "inferred"},
    "assigned": {
        "agent_id": 4,
        "by": "policy",
        "previous_owner_id": None,
        "why": "least loaded: Lucía has 1 open, Jonas 5; owned 2 earlier tickets of Rita",
        "tier": 1,
    },
    "unassigned": {"previous_owner_id": 4, "reason": "escalated"},
    "queued": {"tier": 2, "why": "no one free", "policy": "tiered"},
    "escalated": {"from_tier": 1, "to_tier": 2, "reason": "time_limit", "previous_owner_id": 4},
    "deescalated": {"from_tier": 2, "to_tier": 1, "reason": "manual", "note": "easy after all"},
    "status_changed": {"from": "open", "to": "pending"},
    "message": {"message_id": 9, "kind": "chat"},
    "note": {"message_id": 8},
    "helper_invited": {"agent_id": 5, "invitation_id": 2},
    "helper_joined": {"agent_id": 5, "via": "invitation", "invitation_id": 2},
    "helper_left": {"agent_id": 5, "seconds": 60, "reason": "left"},
    "invitation_declined": {"agent_id": 5, "invitation_id": 2, "reason": "in a P1 bridge"},
    "invitation_expired": {"agent_id": 5, "invitation_id": 2},
    "hand_raised": {"note": "need someone who knows the ASA"},
    "help_offered": {"agent_id": 6},
    "offer_declined": {"agent_id": 6, "note": "Covered already"},
    "priority_changed": {"from": "P3", "to": "P1", "cause": {"rule_id": 1, "run_id": 2}},
    "category_changed": {"from": None, "to": "Network", "cause": {"rule_id": 1, "run_id": 2}},
    "rule_fired": {"rule_id": 1, "run_id": 2, "outcome": "done", "actions": []},
    "resolved": {"from": "open", "to": "resolved", "resolution": "Replaced the cable"},
    "reopened": {"from": "resolved", "to": "open", "reason": "back again"},
    "closed": {"from": "resolved", "to": "closed"},
    "vendor_handoff": {"vendor": "Oracle", "vendor_id": 1, "external_ref": "SR-1", "due_at": "x"},
    "vendor_update": {"status": "waiting", "note": "patch Friday", "vendor_id": 1},
    "guest_invited": {"guest_id": 7, "name": "Sam", "expires_at": "x"},
    "guest_revoked": {"guest_id": 7, "name": "Sam"},
    "article_suggested": {"article_id": 1},
    "article_viewed": {"article_id": 1},
    "deflected": {"article_id": 1},
    "article_linked": {"article_id": 1},
    "article_published": {"article_id": 1},
    "satisfaction_rated": {"score": 4, "comment": "Quick, thanks"},
    "classified": {"kind": "known", "article_id": 3, "score": 0.8, "threshold": 0.45},
}

# What each outsider receives, type by type (absent: nothing at all).
EXPECTED: dict[Audience, dict[str, set[str]]] = {
    Audience.REQUESTER: {
        "created": {"subject", "priority"},
        "assigned": {"agent_id"},
        "status_changed": {"from", "to"},
        "resolved": {"from", "to", "resolution"},
        "reopened": {"from", "to", "reason"},
        "closed": {"from", "to"},
        "article_suggested": {"article_id"},
        "article_viewed": {"article_id"},
        "deflected": {"article_id"},
        "satisfaction_rated": {"score", "comment"},
    },
    Audience.GUEST: {
        "status_changed": {"from", "to"},
        "message": {"message_id", "kind"},
        "resolved": {"from", "to"},
        "reopened": {"from", "to"},
        "closed": {"from", "to"},
    },
}


def test_every_event_type_has_a_sample():
    assert set(SAMPLES) == {t.value for t in EventType}


@pytest.mark.parametrize("event_type", sorted(SAMPLES))
@pytest.mark.parametrize("audience", list(Audience))
def test_each_audience_receives_exactly_its_fields(event_type, audience):
    data = SAMPLES[event_type]
    seen = view(event_type, data, audience)
    if audience is Audience.STAFF:
        assert seen == data
        return
    expected = EXPECTED[audience].get(event_type)
    if expected is None:
        assert seen is None
    else:
        assert seen is not None and set(seen) == expected & set(data)


@pytest.mark.parametrize("kind", ["chat", "note", "solution", "reply"])
@pytest.mark.parametrize("audience", list(Audience))
def test_message_events_follow_the_kinds_each_audience_reads(kind, audience):
    seen = view("message", {"message_id": 1, "kind": kind}, audience)
    assert (seen is not None) == (kind in MESSAGE_KINDS[audience])


def test_routing_internals_never_reach_outsiders():
    for audience in (Audience.REQUESTER, Audience.GUEST):
        for event_type, data in SAMPLES.items():
            seen = view(event_type, data, audience) or {}
            assert not {"why", "tier", "mode", "policy", "external_ref", "note"} & set(seen)


def test_a_new_field_is_private_until_given_an_audience():
    data = {"from": "open", "to": "pending", "load_of_colleagues": {"Jonas": 5}}
    assert view("status_changed", data, Audience.REQUESTER) == {"from": "open", "to": "pending"}
    assert set(AUDIENCE_FIELDS) == {Audience.REQUESTER, Audience.GUEST}

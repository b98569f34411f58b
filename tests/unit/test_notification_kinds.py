"""Who is told of what (swarm/notifications/kinds.py): each kind, never the actor, and a
requester never told a staff kind."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from swarm.notifications.kinds import (
    REQUESTER_KINDS,
    TicketFacts,
    after_quiet_hours,
    find_mentions,
    recipients,
)

OWNER, HELPER, OTHER, REQUESTER, MANAGER = 2, 3, 4, 9, 5
FACTS = TicketFacts(
    owner_id=OWNER,
    requester_id=REQUESTER,
    worked_on=frozenset({OWNER, HELPER}),
    staff=frozenset({OWNER, HELPER, OTHER, MANAGER}),
    mentioned=frozenset({OTHER}),
)


@pytest.mark.parametrize(
    ("event_type", "data", "actor", "expected"),
    [
        ("helper_invited", {"agent_id": OTHER}, OWNER, [(OTHER, "invited")]),
        ("assigned", {"agent_id": HELPER}, MANAGER, [(HELPER, "assigned")]),
        ("assigned", {"agent_id": HELPER}, HELPER, []),  # a claim: their own action
        ("message", {"kind": "chat"}, OWNER, [(OTHER, "mentioned")]),
        ("note", {}, OWNER, [(OTHER, "mentioned")]),
        (
            "message",
            {"kind": "reply"},
            OWNER,
            [(OTHER, "mentioned"), (REQUESTER, "requester_answered")],
        ),
        ("hand_raised", {}, OWNER, [(HELPER, "raised_hand")]),
        (
            "escalated",
            {"previous_owner_id": OWNER},
            None,
            [(OWNER, "escalated"), (HELPER, "escalated")],
        ),
        ("vendor_overdue", {}, None, [(OWNER, "vendor_overdue"), (HELPER, "vendor_overdue")]),
        ("resolved", {}, OWNER, [(REQUESTER, "requester_resolved")]),
        ("resolved", {}, REQUESTER, []),
        ("status_changed", {}, OWNER, []),
        ("unknown_type", {"agent_id": OTHER}, OWNER, []),
    ],
)
def test_each_event_tells_whom_it_should(event_type, data, actor, expected):
    assert recipients(event_type, data, actor, FACTS) == expected


def test_the_actor_is_never_told_even_when_they_mention_themselves():
    facts = TicketFacts(OWNER, REQUESTER, staff=frozenset({OWNER}), mentioned=frozenset({OWNER}))
    assert recipients("message", {"kind": "chat"}, OWNER, facts) == []


def test_a_requester_is_never_told_a_staff_kind():
    # The requester named in chat, invited (a bad id), or among those who worked on it: never.
    facts = TicketFacts(
        owner_id=REQUESTER,
        requester_id=REQUESTER,
        worked_on=frozenset({REQUESTER}),
        staff=frozenset({OWNER}),
        mentioned=frozenset({REQUESTER}),
    )
    told = []
    for event_type, data in [
        ("helper_invited", {"agent_id": REQUESTER}),
        ("assigned", {"agent_id": REQUESTER}),
        ("message", {"kind": "chat"}),
        ("note", {}),
        ("hand_raised", {}),
        ("escalated", {"previous_owner_id": REQUESTER}),
        ("vendor_overdue", {}),
    ]:
        told += recipients(event_type, data, OWNER, facts)
    assert told == []
    assert all(kind in REQUESTER_KINDS for _, kind in recipients("resolved", {}, OWNER, facts))


def test_a_requesters_own_reply_tells_nobody_the_requester_kind():
    assert recipients("message", {"kind": "reply"}, REQUESTER, FACTS) == [(OTHER, "mentioned")]


def test_mentions_need_an_unshared_handle():
    people = [
        (1, "Ada Lovelace", "ada@example.org"),
        (2, "Ada King", "countess@example.org"),
        (3, "Bob Builder", "bob.b@example.org"),
    ]
    assert find_mentions("@ada look", people) == frozenset()
    assert find_mentions("@AdaLovelace and @countess", people) == {1, 2}
    assert find_mentions("@bob.b, then @builder.", people) == {3}
    assert find_mentions("write to bob@example.org", people) == frozenset()


@pytest.mark.parametrize(
    ("now", "window", "zone", "due"),
    [
        ((2026, 3, 2, 23, 30), (22 * 60, 7 * 60), "UTC", (2026, 3, 3, 7, 0)),
        ((2026, 3, 2, 6, 59), (22 * 60, 7 * 60), "UTC", (2026, 3, 2, 7, 0)),
        ((2026, 3, 2, 7, 0), (22 * 60, 7 * 60), "UTC", (2026, 3, 2, 7, 0)),
        ((2026, 3, 2, 12, 0), (12 * 60, 13 * 60), "UTC", (2026, 3, 2, 13, 0)),
        # 22:30 UTC is 23:30 in Paris (winter): quiet until 07:00 Paris = 06:00 UTC.
        ((2026, 3, 2, 22, 30), (22 * 60, 7 * 60), "Europe/Paris", (2026, 3, 3, 6, 0)),
        ((2026, 3, 2, 23, 30), (22 * 60, 7 * 60), "Not/AZone", (2026, 3, 3, 7, 0)),
    ],
)
def test_quiet_hours_hold_mail_until_they_end(now, window, zone, due):
    at = datetime(*now, tzinfo=UTC)
    assert after_quiet_hours(at, *window, zone) == datetime(*due, tzinfo=UTC)

"""Hostile socket payloads get a documented error code, never ``internal`` (issue #16, item 2):
integers beyond 64 bits and lone surrogates, in every event that takes them."""

from __future__ import annotations

import pytest

HUGE = 99999999999999999999  # above 2**63 - 1


@pytest.fixture
def ticket(claimed_ticket):
    return claimed_ticket("Outlook freezes", "Since Monday")


def payloads(ticket_id):
    return [
        ("join_ticket", {"ticket_id": HUGE}),
        ("join_ticket", {"ticket_id": ticket_id, "since": HUGE}),
        ("leave_ticket", {"ticket_id": HUGE}),
        ("send_message", {"ticket_id": HUGE, "body": "hi", "client_id": "c1"}),
        ("send_message", {"ticket_id": ticket_id, "body": "hi \ud800", "client_id": "c2"}),
        ("send_message", {"ticket_id": ticket_id, "body": "hi", "client_id": "\udfff"}),
        ("send_message", {"ticket_id": ticket_id, "body": "nul \x00", "client_id": "c3"}),
        ("typing", {"ticket_id": HUGE}),
        ("raise_hand", {"ticket_id": ticket_id, "note": "help \udc00"}),
        ("watch_queue", {"tier": HUGE}),
        ("offer_help", {"ticket_id": HUGE}),
        ("invite", {"ticket_id": ticket_id, "agent_id": HUGE}),
        ("add_helper", {"ticket_id": ticket_id, "agent_id": -HUGE}),
        ("leave_swarm", {"ticket_id": HUGE}),
        ("respond_invitation", {"invitation_id": HUGE, "accept": True}),
        ("join_ticket", {"ticket_id": ticket_id, "\ud800": 1}),
    ]


def test_out_of_range_integers_and_lone_surrogates_are_invalid(connect, agent, ticket):
    client = connect(agent)
    assert client.emit("join_ticket", {"ticket_id": ticket["id"]}, callback=True)["ok"]
    for event, payload in payloads(ticket["id"]):
        ack = client.emit(event, payload, callback=True)
        assert ack["ok"] is False, (event, payload)
        assert ack["error"]["code"] == "invalid", (event, payload, ack)
        assert ack["error"]["message"].endswith("."), ack
    # Nothing was stored, and the connection still works.
    joined = client.emit("join_ticket", {"ticket_id": ticket["id"]}, callback=True)
    assert joined["ok"] and joined["messages"] == []


def test_the_refusals_say_what_is_wrong(connect, agent, ticket):
    client = connect(agent)
    big = client.emit("join_ticket", {"ticket_id": HUGE}, callback=True)
    assert big["error"]["message"] == "ticket_id is out of range."
    lone = client.emit(
        "send_message",
        {"ticket_id": ticket["id"], "body": "hi \ud800", "client_id": "c"},
        callback=True,
    )
    assert lone["error"]["message"] == "The JSON has an invalid character (a lone surrogate)."


def test_a_paired_surrogate_is_an_ordinary_character(connect, agent, ticket):
    client = connect(agent)
    client.emit("join_ticket", {"ticket_id": ticket["id"]}, callback=True)
    ack = client.emit(
        "send_message",
        {"ticket_id": ticket["id"], "body": "printer \U0001f5a8", "client_id": "c"},
        callback=True,
    )
    assert ack["ok"] and ack["message"]["body"] == "printer \U0001f5a8"

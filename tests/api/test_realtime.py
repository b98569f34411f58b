"""The Socket.IO protocol through Flask-SocketIO's test client, sharing the login cookie.

Each test asserts who received an event and who did not.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from swarm.models import TicketEvent
from tests.builders import make_agent, make_user


@pytest.fixture
def ticket(claimed_ticket):
    return claimed_ticket("Outlook freezes", "Since Monday")


def events_of(client, kind=None):
    received = [r["args"][0] for r in client.get_received() if r["name"] == "ticket_event"]
    return [e for e in received if kind is None or e["type"] == kind]


def test_a_connection_without_credentials_is_refused(app, socketio):
    client = socketio.test_client(app)
    assert not client.is_connected()


def test_a_connection_with_an_api_token_is_accepted(app, socketio, login, agent):
    token = login(agent).post("/api/v1/auth/tokens", json={"name": "bot"}).json["token"]
    assert socketio.test_client(app, auth={"token": token}).is_connected()
    assert not socketio.test_client(app, auth={"token": "swm_forged"}).is_connected()


def test_joining_returns_the_ticket_participants_and_messages(connect, agent, ticket):
    owner = connect(agent)
    sent = owner.emit(
        "send_message",
        {"ticket_id": ticket["id"], "body": "On it", "client_id": "a1"},
        callback=True,
    )
    assert (sent["ok"] is False and sent["error"]["code"] in ("not_found",)) or sent["ok"]
    ack = owner.emit("join_ticket", {"ticket_id": ticket["id"]}, callback=True)
    assert ack["ok"] is True
    assert ack["ticket"]["id"] == ticket["id"] and ack["ticket"]["owner"]["name"] == "Ada Agent"
    assert [p["name"] for p in ack["participants"]] == ["Ada Agent"]
    assert [m["body"] for m in ack["messages"]] == ["On it"]


def test_messages_reach_the_room_and_not_others(connect, agent, requester, ticket, db, clock):
    helper = make_agent(db, clock, name="Hugo Helper")
    outsider = make_agent(db, clock, name="Otto Outsider")
    owner_c, helper_c, outsider_c = connect(agent), connect(helper), connect(outsider)
    for client in (owner_c, helper_c):
        assert client.emit("join_ticket", {"ticket_id": ticket["id"]}, callback=True)["ok"]
    for client in (owner_c, helper_c, outsider_c):
        client.get_received()

    ack = owner_c.emit(
        "send_message",
        {"ticket_id": ticket["id"], "body": "Can you check the mailbox size?", "client_id": "m-1"},
        callback=True,
    )
    assert ack["ok"] and ack["message"]["body"] == "Can you check the mailbox size?"
    heard = events_of(helper_c, "message")
    assert len(heard) == 1 and heard[0]["message"]["id"] == ack["message"]["id"]
    assert heard[0]["message"]["author"] == {"id": agent.id, "name": "Ada Agent"}
    assert events_of(outsider_c) == []


def test_a_retried_send_is_stored_once_and_heard_once(connect, agent, ticket, db, clock):
    helper = make_agent(db, clock)
    owner_c, helper_c = connect(agent), connect(helper)
    for client in (owner_c, helper_c):
        client.emit("join_ticket", {"ticket_id": ticket["id"]}, callback=True)
    helper_c.get_received()
    payload = {"ticket_id": ticket["id"], "body": "retry me", "client_id": "same"}
    first = owner_c.emit("send_message", payload, callback=True)
    second = owner_c.emit("send_message", payload, callback=True)
    assert first["message"]["id"] == second["message"]["id"] and second["duplicate"] is True
    assert len(events_of(helper_c, "message")) == 1


def test_rejoining_with_since_replays_exactly_what_was_missed(connect, agent, ticket, db, clock):
    helper = make_agent(db, clock)
    owner_c, helper_c = connect(agent), connect(helper)
    owner_c.emit("join_ticket", {"ticket_id": ticket["id"]}, callback=True)
    seen = helper_c.emit("join_ticket", {"ticket_id": ticket["id"]}, callback=True)
    last = max([m["id"] for m in seen["messages"]], default=0)
    helper_c.disconnect()
    ids = [
        owner_c.emit(
            "send_message",
            {"ticket_id": ticket["id"], "body": f"while you were away {n}", "client_id": f"w{n}"},
            callback=True,
        )["message"]["id"]
        for n in range(3)
    ]
    back = connect(helper)
    again = back.emit("join_ticket", {"ticket_id": ticket["id"], "since": last}, callback=True)
    assert [m["id"] for m in again["messages"]] == ids and again["more"] is False


def test_a_requester_cannot_join_someone_elses_ticket(connect, ticket, db, clock):
    stranger = make_user(db, clock)
    client = connect(stranger)
    ack = client.emit("join_ticket", {"ticket_id": ticket["id"]}, callback=True)
    assert ack == {
        "ok": False,
        "error": {"code": "not_found", "message": f"There is no ticket {ticket['id']}."},
    }
    sent = client.emit(
        "send_message", {"ticket_id": ticket["id"], "body": "hi", "client_id": "x"}, callback=True
    )
    assert sent["ok"] is False and sent["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    "payload",
    [
        None,
        "ticket 1",
        {},
        {"ticket_id": "1"},
        {"ticket_id": True},
        {"ticket_id": 1, "colour": "red"},
    ],
)
@pytest.mark.parametrize("event", ["join_ticket", "send_message"])
def test_malformed_payloads_get_a_clear_error(connect, agent, ticket, payload, event):
    ack = connect(agent).emit(event, payload, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == "invalid"
    assert ack["error"]["message"]


@pytest.mark.parametrize("event", ["join_ticket", "send_message", "typing"])
def test_an_event_with_more_than_one_argument_gets_a_clear_error(connect, agent, ticket, event):
    client = connect(agent)
    ack = client.emit(event, {"ticket_id": ticket["id"]}, "extra", callback=True)
    assert ack == {
        "ok": False,
        "error": {"code": "invalid", "message": "Send one JSON object as the payload."},
    }
    assert client.emit("send_message", {}, callback=True)["error"]["code"] == "invalid"


def test_a_send_with_a_bad_body_is_refused_and_stores_nothing(connect, agent, ticket, login):
    client = connect(agent)
    for payload, code in [
        ({"ticket_id": ticket["id"], "body": "   ", "client_id": "e1"}, "invalid"),
        (
            {"ticket_id": ticket["id"], "body": "x" * (64 * 1024 + 1), "client_id": "e2"},
            "too_large",
        ),
        ({"ticket_id": ticket["id"], "body": "hi", "client_id": ""}, "invalid"),
        ({"ticket_id": ticket["id"], "body": "hi", "client_id": "e3", "kind": "shout"}, "invalid"),
    ]:
        ack = client.emit("send_message", payload, callback=True)
        assert ack["ok"] is False and ack["error"]["code"] == code, payload
    joined = client.emit("join_ticket", {"ticket_id": ticket["id"]}, callback=True)
    assert joined["messages"] == []


def test_invitations_reach_the_invitee_anywhere_and_accepting_joins(
    connect, agent, ticket, db, clock
):
    helper = make_agent(db, clock, name="Hugo Helper")
    owner_c, helper_c = connect(agent), connect(helper)
    owner_c.emit("join_ticket", {"ticket_id": ticket["id"]}, callback=True)
    helper_c.get_received()
    invited = owner_c.emit(
        "invite", {"ticket_id": ticket["id"], "agent_id": helper.id}, callback=True
    )
    assert invited["ok"]
    notices = events_of(helper_c, "helper_invited")
    assert len(notices) == 1 and notices[0]["invitation"]["ticket_subject"] == "Outlook freezes"

    owner_c.get_received()
    accepted = helper_c.emit(
        "respond_invitation",
        {"invitation_id": invited["invitation"]["id"], "accept": True},
        callback=True,
    )
    assert accepted["ok"] and accepted["invitation"]["status"] == "accepted"
    assert [e["agent_id"] for e in events_of(owner_c, "helper_joined")] == [helper.id]


def test_presence_follows_tabs_and_leaving(connect, agent, ticket, db, clock):
    helper = make_agent(db, clock, name="Hugo Helper")
    owner_c = connect(agent)
    owner_c.emit("join_ticket", {"ticket_id": ticket["id"]}, callback=True)
    tab1, tab2 = connect(helper), connect(helper)
    tab1.emit("join_ticket", {"ticket_id": ticket["id"]}, callback=True)
    tab2.emit("join_ticket", {"ticket_id": ticket["id"]}, callback=True)
    owner_c.get_received()
    tab1.disconnect()
    assert events_of(owner_c) == []  # still there in the other tab: nothing changed
    tab2.emit("leave_ticket", {"ticket_id": ticket["id"]}, callback=True)
    left = events_of(owner_c)
    # Presence only: looking is not swarming, so no helper_joined / helper_left, ever.
    assert [e["type"] for e in left] == ["presence"]
    assert [p["name"] for p in left[-1]["participants"]] == ["Ada Agent"]
    assert (
        db.scalar(
            select(func.count()).select_from(TicketEvent).where(TicketEvent.type.like("helper_%"))
        )
        == 0
    )


def test_typing_is_heard_by_others_but_not_the_typist(connect, agent, ticket, db, clock):
    helper = make_agent(db, clock)
    owner_c, helper_c = connect(agent), connect(helper)
    for client in (owner_c, helper_c):
        client.emit("join_ticket", {"ticket_id": ticket["id"]}, callback=True)
    for client in (owner_c, helper_c):
        client.get_received()
    assert owner_c.emit("typing", {"ticket_id": ticket["id"]}, callback=True)["ok"]
    assert [e["type"] for e in events_of(helper_c)] == ["typing"]
    assert events_of(owner_c) == []


def test_offering_help_reaches_the_owner_wherever_they_are(connect, agent, ticket, db, clock):
    volunteer = make_agent(db, clock, name="Vic Volunteer")
    owner_c, volunteer_c = connect(agent), connect(volunteer)  # the owner is not in the room
    owner_c.get_received()
    assert volunteer_c.emit("offer_help", {"ticket_id": ticket["id"]}, callback=True)["ok"]
    offers = events_of(owner_c, "help_offered")
    assert len(offers) == 1 and offers[0]["actor"]["name"] == "Vic Volunteer"


def test_the_one_who_offered_hears_the_owners_no_thanks(connect, agent, ticket, db, clock):
    volunteer = make_agent(db, clock, name="Vic Volunteer")
    owner_c, volunteer_c = connect(agent), connect(volunteer)  # neither has the room open
    assert volunteer_c.emit("offer_help", {"ticket_id": ticket["id"]}, callback=True)["ok"]
    volunteer_c.get_received()
    answer = owner_c.emit(
        "decline_offer",
        {"ticket_id": ticket["id"], "agent_id": volunteer.id, "note": "Sorted already."},
        callback=True,
    )
    assert answer == {"ok": True}
    [heard] = events_of(volunteer_c, "offer_declined")
    assert (heard["agent_id"], heard["note"]) == (volunteer.id, "Sorted already.")
    again = owner_c.emit(
        "decline_offer", {"ticket_id": ticket["id"], "agent_id": volunteer.id}, callback=True
    )
    assert again["error"]["code"] == "illegal_transition"


@pytest.mark.app_config(socket_burst=30.0, socket_rate=0.5)
def test_events_beyond_the_rate_limit_are_refused(app, connect, agent, ticket):
    # A burst of 30, then a slow refill, so that a slow machine sending the 40 events cannot
    # earn enough new tokens for them all (the limiter runs on real time).
    client = connect(agent)
    answers = [client.emit("typing", {"ticket_id": ticket["id"]}, callback=True) for _ in range(40)]
    codes = [None if a["ok"] else a["error"]["code"] for a in answers]
    assert "rate_limited" not in codes[:30]
    assert codes[30:].count("rate_limited") >= 8


def test_changes_over_http_are_heard_in_the_room(connect, login, agent, ticket, db, clock):
    watcher = make_agent(db, clock)
    client = connect(watcher)
    client.emit("join_ticket", {"ticket_id": ticket["id"]}, callback=True)
    client.get_received()
    login(agent).post(f"/api/v1/tickets/{ticket['id']}/status", json={"status": "pending"})
    changed = events_of(client, "status_changed")
    assert len(changed) == 1 and changed[0]["from"] == "open" and changed[0]["to"] == "pending"


def test_tier_queue_watchers_hear_when_their_queue_changes(
    connect, login, manager, agent, requester, db, clock
):
    assert login(manager).put("/api/v1/config/routing", json={"mode": "tiered"}).status_code == 200
    watcher = connect(agent)
    assert watcher.emit("watch_queue", {"tier": 1}, callback=True) == {"ok": True}
    other_tier = connect(make_agent(db, clock))
    other_tier.emit("watch_queue", {"tier": 3}, callback=True)
    watcher.get_received()
    other_tier.get_received()

    ticket = (
        login(requester)
        .post("/api/v1/tickets", json={"subject": "Printer offline", "body": "2nd floor"})
        .json
    )
    assert ticket["mode"] == "tiered"
    changes = [r["args"][0] for r in watcher.get_received() if r["name"] == "queue_changed"]
    assert changes and {c["tier"] for c in changes} == {1}
    assert changes[0]["ticket_id"] == ticket["id"]
    assert [r for r in other_tier.get_received() if r["name"] == "queue_changed"] == []


def test_only_agents_watch_queues_and_only_real_ones(connect, agent, requester):
    assert (
        connect(requester).emit("watch_queue", {"tier": 1}, callback=True)["error"]["code"]
        == "forbidden"
    )
    bad = connect(agent).emit("watch_queue", {"tier": 0}, callback=True)
    assert bad["ok"] is False and bad["error"]["code"] == "invalid"


def test_the_requester_hears_only_their_conversation_never_the_swarm(
    connect, agent, requester, ticket, db, clock
):
    helper = make_agent(db, clock, name="Hugo Helper")
    owner_c, helper_c, requester_c = connect(agent), connect(helper), connect(requester)
    joined = {}
    for name, client in (("owner", owner_c), ("helper", helper_c), ("requester", requester_c)):
        joined[name] = client.emit("join_ticket", {"ticket_id": ticket["id"]}, callback=True)
        assert joined[name]["ok"]
        client.get_received()
    assert joined["requester"]["audience"] == "requester"
    assert joined["requester"]["participants"] == []  # who swarms is staff business

    def send(client, body, client_id, kind=None):
        payload = {"ticket_id": ticket["id"], "body": body, "client_id": client_id}
        if kind:
            payload["kind"] = kind
        answer = client.emit("send_message", payload, callback=True)
        assert answer["ok"], answer
        return answer

    send(owner_c, "internal: VLAN 12 is misrouted", "n1", "note")
    send(owner_c, "Hugo, can you check the switch?", "c1")  # staff default: the swarm
    send(helper_c, "Port 14 is flapping", "c2", "solution")
    send(owner_c, "We found it, fixing now", "p1", "reply")
    asked = send(requester_c, "Thanks! How long?", "r1")  # requester default: a reply
    assert asked["message"]["kind"] == "reply"
    refused = requester_c.emit(
        "send_message",
        {"ticket_id": ticket["id"], "body": "let me in", "client_id": "r2", "kind": "chat"},
        callback=True,
    )
    assert refused["error"]["code"] == "forbidden"
    owner_c.emit("typing", {"ticket_id": ticket["id"]}, callback=True)  # to the swarm

    assert [e["message"]["body"] for e in events_of(helper_c, "message")] == [
        "internal: VLAN 12 is misrouted",
        "Hugo, can you check the switch?",
        "Port 14 is flapping",
        "We found it, fixing now",
        "Thanks! How long?",
    ]
    heard = events_of(requester_c)
    assert [e["message"]["body"] for e in heard if e["type"] == "message"] == [
        "We found it, fixing now",
        "Thanks! How long?",
    ]
    # Nothing of the swarm: no notes, no chat, no helper joining, no typing, no people list.
    assert {e["type"] for e in heard} == {"message"}
    assert "VLAN" not in repr(heard) and "Port 14" not in repr(heard)
    assert all("prev_id" not in e["message"] for e in heard)
    # Each staff member hears each message once.
    assert len(events_of(owner_c, "message")) == 5
    # The replay on joining again says the same.
    again = requester_c.emit("join_ticket", {"ticket_id": ticket["id"]}, callback=True)
    assert [m["body"] for m in again["messages"]] == [
        "We found it, fixing now",
        "Thanks! How long?",
    ]


def test_a_tiered_ticket_cannot_swarm_over_the_socket_while_collaboration_is_off(
    connect, login, manager, agent, claimed_ticket, db, clock
):
    assert login(manager).put("/api/v1/config/routing", json={"mode": "tiered"}).status_code == 200
    ticket = claimed_ticket("Docking station dead")  # the agent took it from the desk
    assert ticket["mode"] == "tiered"
    colleague = make_agent(db, clock, name="Cleo Colleague")
    owner_c, colleague_c = connect(agent), connect(colleague)
    owner_c.emit("join_ticket", {"ticket_id": ticket["id"]}, callback=True)
    owner_c.get_received()
    colleague_c.get_received()
    for event, payload, client in (
        ("raise_hand", {"ticket_id": ticket["id"]}, owner_c),
        ("invite", {"ticket_id": ticket["id"], "agent_id": colleague.id}, owner_c),
        ("offer_help", {"ticket_id": ticket["id"]}, colleague_c),
    ):
        ack = client.emit(event, payload, callback=True)
        assert ack["ok"] is False and ack["error"]["code"] == "tier_collaboration", event
        assert ack["error"]["message"].startswith("Tier collaboration is off: escalate instead")
    assert events_of(owner_c) == [] and events_of(colleague_c) == []  # nobody heard a thing


def test_the_owner_takes_up_an_offer_of_help_and_the_helper_can_leave_again(
    connect, agent, ticket, db, clock
):
    volunteer = make_agent(db, clock, name="Vic Volunteer")
    owner_c, volunteer_c = connect(agent), connect(volunteer)
    for client in (owner_c, volunteer_c):
        assert client.emit("join_ticket", {"ticket_id": ticket["id"]}, callback=True)["ok"]
    assert volunteer_c.emit("offer_help", {"ticket_id": ticket["id"]}, callback=True)["ok"]
    owner_c.get_received()
    refused = volunteer_c.emit(
        "add_helper", {"ticket_id": ticket["id"], "agent_id": volunteer.id}, callback=True
    )
    assert refused["error"]["code"] == "forbidden"  # only the owner or a manager adds

    added = owner_c.emit(
        "add_helper", {"ticket_id": ticket["id"], "agent_id": volunteer.id}, callback=True
    )
    assert added["ok"]
    heard = events_of(owner_c)
    joined = [e for e in heard if e["type"] == "helper_joined"]
    assert [(e["agent_id"], e["via"]) for e in joined] == [(volunteer.id, "offer")]
    [presence] = [e for e in heard if e["type"] == "presence"]
    roles = {p["name"]: p["role"] for p in presence["participants"]}
    assert roles["Vic Volunteer"] == "helper"

    assert volunteer_c.emit("leave_swarm", {"ticket_id": ticket["id"]}, callback=True)["ok"]
    [left] = events_of(owner_c, "helper_left")
    assert left["reason"] == "left"
    again = volunteer_c.emit("leave_swarm", {"ticket_id": ticket["id"]}, callback=True)
    assert again["error"]["code"] == "illegal_transition"

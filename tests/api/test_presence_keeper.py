"""The presence keeper (swarm/realtime/keeper.py) through the Socket.IO test client: people
whose connections went with a dead process drop out of who is here (and the room hears it),
helpers away and silent for the idle time stop helping, people with the room open stay."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from swarm.models import Participation, TicketEvent
from swarm.realtime import keeper
from swarm.realtime.keeper import Keeper, tend_presence
from swarm.realtime.presence import MemoryPresence
from tests.builders import make_agent


@pytest.fixture
def realtime(app):
    return app.extensions["swarm.realtime"]


@pytest.fixture
def ticket(claimed_ticket):
    return claimed_ticket("VPN drops", "Every hour")


def events_of(client, kind):
    received = [r["args"][0] for r in client.get_received() if r["name"] == "ticket_event"]
    return [e for e in received if e["type"] == kind]


def helper_lefts(db, ticket_id):
    db.commit()  # a new transaction, which sees what the keeper committed
    query = select(TicketEvent).where(
        TicketEvent.ticket_id == ticket_id, TicketEvent.type == "helper_left"
    )
    return [e.data for e in db.scalars(query)]


def open_people(db, ticket_id):
    db.commit()  # a new transaction, which sees what the keeper committed
    query = select(Participation.user_id).where(
        Participation.ticket_id == ticket_id, Participation.left_at.is_(None)
    )
    return sorted(db.scalars(query))


IDLE = timedelta(minutes=30)


def helping(client, ticket_id, body="On it"):
    """A staff member's first message begins their stint in the swarm."""
    payload = {"ticket_id": ticket_id, "body": body, "client_id": body}
    assert client.emit("send_message", payload, callback=True)["ok"]


def test_people_of_a_dead_process_drop_out_of_who_is_here_and_the_room_hears_it(
    app, realtime, connect, agent, ticket, db, clock
):
    helper = make_agent(db, clock, name="Hugo Helper")
    owner_c = connect(agent)
    assert owner_c.emit("join_ticket", {"ticket_id": ticket["id"]}, callback=True)["ok"]
    helping(connect(helper), ticket["id"])
    # Another process served the helper; this one learns of them through shared presence.
    shared = MemoryPresence(grace=0)
    shared.add(ticket["id"], agent.id, "owner-sid")
    shared.add(ticket["id"], helper.id, "helper-sid-on-a-process-that-dies")
    rounds = Keeper(app, realtime.socketio, shared, IDLE)
    assert rounds.tend() == 0
    owner_c.get_received()

    shared.remove(ticket["id"], helper.id, "helper-sid-on-a-process-that-dies")  # kill -9
    assert rounds.tend() == 0

    [presence] = events_of(owner_c, "presence")
    here = {p["name"]: (p["role"], p["here"]) for p in presence["participants"]}
    # Gone from the room, still in the swarm: a lost connection ends no stint by itself.
    assert here == {"Ada Agent": ("owner", True), "Hugo Helper": ("helper", False)}
    assert helper_lefts(db, ticket["id"]) == []
    assert rounds.tend() == 0 and events_of(owner_c, "presence") == []  # nothing new


def test_a_helper_away_and_silent_for_the_idle_time_stops_helping(
    app, realtime, connect, login, agent, ticket, db, clock
):
    helper = make_agent(db, clock, name="Hugo Helper")
    owner_c = connect(agent)
    owner_c.emit("join_ticket", {"ticket_id": ticket["id"]}, callback=True)
    helping(connect(helper), ticket["id"])  # wrote, never opened the room, then went away
    settled = MemoryPresence(grace=0)
    settled.add(ticket["id"], agent.id, "owner-sid")
    clock.advance(minutes=29)
    assert tend_presence(app, realtime.socketio, settled, IDLE) == 0
    owner_c.get_received()
    clock.advance(minutes=2)

    assert tend_presence(app, realtime.socketio, settled, IDLE) == 1

    [left] = helper_lefts(db, ticket["id"])
    assert left == {"agent_id": helper.id, "seconds": 0, "reason": "idle"}
    assert open_people(db, ticket["id"]) == [agent.id]
    [presence] = events_of(owner_c, "presence")
    assert [p["name"] for p in presence["participants"]] == ["Ada Agent"]
    page = login(agent).get(f"/tickets/{ticket['id']}").get_data(as_text=True)
    assert "Hugo Helper</a></strong> stopped helping (away and silent)" in page


def test_nobody_is_ended_before_presence_has_settled(
    app, realtime, connect, agent, ticket, db, clock
):
    helper = make_agent(db, clock)
    helping(connect(helper), ticket["id"])
    just_started = MemoryPresence(grace=3600)  # people of the old process may still reconnect
    clock.advance(hours=2)

    assert tend_presence(app, realtime.socketio, just_started, IDLE) == 0
    assert open_people(db, ticket["id"]) == sorted([agent.id, helper.id])


def test_people_with_the_room_open_keep_helping_and_are_seen(
    app, realtime, connect, agent, ticket, db, clock
):
    helper = make_agent(db, clock)
    helper_c = connect(helper)
    helping(helper_c, ticket["id"])
    helper_c.emit("join_ticket", {"ticket_id": ticket["id"]}, callback=True)
    settled = realtime.presence
    settled._started -= 3600  # the app's own presence, as if it had run for an hour
    clock.advance(hours=2)

    assert tend_presence(app, realtime.socketio, settled, IDLE) == 0

    assert open_people(db, ticket["id"]) == sorted([agent.id, helper.id])
    db.commit()
    seen = db.scalars(
        select(Participation.last_seen_at).where(Participation.user_id == helper.id)
    ).one()
    assert seen == clock.now()


class RecordingPresence(MemoryPresence):
    def __init__(self) -> None:
        super().__init__(grace=0)
        self.beats = 0

    def beat(self) -> None:
        self.beats += 1


def test_the_keeper_beats_even_when_the_database_is_away(app, realtime, monkeypatch, caplog):
    def database_away(*_args):
        raise ConnectionError("database away")

    monkeypatch.setattr(keeper, "end_lost_access", database_away)
    monkeypatch.setattr(keeper, "tend_presence", database_away)
    presence = RecordingPresence()
    stop = threading.Event()
    stop.set()  # one round

    keeper.keep_presence(app, realtime.socketio, presence, {}, 10.0, stop)

    assert presence.beats == 1
    assert "presence round failed" in caplog.text


def test_first_messages_begin_stints_in_the_recorders_own_worker_once_each(
    app, realtime, agent, ticket, db, clock
):
    """The serving path: stints are queued and written one at a time off the send's path,
    each (ticket, person) once while pending, and the room hears the swarm change."""
    from swarm.realtime.handlers import StintRecorder

    helpers = [make_agent(db, clock, name=f"Helper {n}") for n in range(3)]
    recorder = StintRecorder(app, realtime.socketio, realtime.presence)
    for helper in helpers:
        for message_id in (1, 2, 3):  # three first messages from three tabs: one stint
            recorder.submit(helper.id, ticket["id"], message_id)
    expected = sorted([agent.id, *(h.id for h in helpers)])
    for _ in range(500):
        if open_people(db, ticket["id"]) == expected:
            break
        threading.Event().wait(0.02)
    assert open_people(db, ticket["id"]) == expected
    db.commit()
    joins = db.scalars(select(TicketEvent).where(TicketEvent.type == "helper_joined")).all()
    assert sorted(j.data["agent_id"] for j in joins) == sorted(h.id for h in helpers)
    assert {j.data["via"] for j in joins} == {"message"}

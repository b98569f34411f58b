"""The presence keeper (swarm/realtime/keeper.py) through the Socket.IO test client: people
whose connections went with a dead process leave their rooms, people still connected stay,
and a participation closed while its owner was connected opens again."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from swarm.models import Participation, TicketEvent
from swarm.realtime import keeper
from swarm.realtime.keeper import tend_presence
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


def test_people_of_a_dead_process_leave_and_the_room_hears_it(
    app, realtime, connect, login, agent, ticket, db, clock
):
    helper = make_agent(db, clock, name="Hugo Helper")
    owner_c, helper_c = connect(agent), connect(helper)
    for client in (owner_c, helper_c):
        assert client.emit("join_ticket", {"ticket_id": ticket["id"]}, callback=True)["ok"]
    assert open_people(db, ticket["id"]) == sorted([agent.id, helper.id])
    # The process restarts: its memory is empty, and only the owner has come back yet.
    restarted = MemoryPresence(grace=0)
    restarted.add(ticket["id"], agent.id, "owner-again")
    owner_c.get_received()

    assert tend_presence(app, realtime.socketio, restarted) == (0, 1)

    assert open_people(db, ticket["id"]) == [agent.id]
    [left] = helper_lefts(db, ticket["id"])
    assert left["agent_id"] == helper.id and left["lost"] is True
    [presence] = events_of(owner_c, "presence")
    assert [p["name"] for p in presence["participants"]] == ["Ada Agent"]
    # The ticket's history says why they left.
    page = login(agent).get(f"/tickets/{ticket['id']}").get_data(as_text=True)
    assert "<strong>Hugo Helper</strong> left the swarm (connection lost)" in page
    # A second round finds nothing more to do.
    assert tend_presence(app, realtime.socketio, restarted) == (0, 0)
    assert len(helper_lefts(db, ticket["id"])) == 1


def test_nobody_is_closed_before_presence_has_settled(app, realtime, connect, agent, ticket, db):
    connect(agent).emit("join_ticket", {"ticket_id": ticket["id"]}, callback=True)
    just_started = MemoryPresence(grace=3600)  # people of the old process may still reconnect

    assert tend_presence(app, realtime.socketio, just_started) == (0, 0)
    assert open_people(db, ticket["id"]) == [agent.id]


def test_people_still_connected_stay(app, realtime, connect, agent, ticket, db, clock):
    helper = make_agent(db, clock)
    for user in (agent, helper):
        connect(user).emit("join_ticket", {"ticket_id": ticket["id"]}, callback=True)
    settled = realtime.presence
    settled._started -= 3600  # the app's own presence, as if it had run for an hour

    assert tend_presence(app, realtime.socketio, settled) == (0, 0)
    assert open_people(db, ticket["id"]) == sorted([agent.id, helper.id])


def test_a_participation_closed_under_a_connected_person_opens_again(
    app, realtime, connect, agent, ticket, db, clock
):
    helper = make_agent(db, clock, name="Hugo Helper")
    owner_c, helper_c = connect(agent), connect(helper)
    for client in (owner_c, helper_c):
        client.emit("join_ticket", {"ticket_id": ticket["id"]}, callback=True)
    # Another process took this one for dead (it stalled) and closed the helper's participation.
    db.execute(
        Participation.__table__.update()
        .where(Participation.user_id == helper.id)
        .values(left_at=clock.now())
    )
    db.commit()
    owner_c.get_received()

    assert tend_presence(app, realtime.socketio, realtime.presence) == (1, 0)

    assert open_people(db, ticket["id"]) == sorted([agent.id, helper.id])
    [presence] = events_of(owner_c, "presence")
    assert sorted(p["name"] for p in presence["participants"]) == ["Ada Agent", "Hugo Helper"]


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

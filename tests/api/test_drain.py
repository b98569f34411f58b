"""Draining a process (SIGTERM, swarm/realtime/drain.py), event by event: once it drains, a new
socket event is refused with ``unavailable`` and stores nothing, and a new connection is
refused; an event already being handled runs to its end. The whole drill, with a real process
and signal, is tests/integration/test_fault_drills.py."""

from __future__ import annotations

import threading

from sqlalchemy import select

from swarm.models import Message
from swarm.realtime.drain import DRAINING, Drain


def send(client, ticket_id, body, client_id):
    payload = {"ticket_id": ticket_id, "body": body, "client_id": client_id}
    return client.emit("send_message", payload, callback=True)


def test_a_draining_process_refuses_new_events_and_connections(
    app, connect, agent, claimed_ticket, db
):
    ticket_id = claimed_ticket("Printer jams")["id"]
    client = connect(agent)
    assert client.emit("join_ticket", {"ticket_id": ticket_id}, callback=True)["ok"]
    assert send(client, ticket_id, "before", "m1")["ok"]

    app.extensions["swarm.realtime"].drain.start()

    ack = send(client, ticket_id, "after", "m2")
    assert ack == {"ok": False, "error": {"code": "unavailable", "message": DRAINING}}
    assert client.emit("typing", {"ticket_id": ticket_id}, callback=True)["error"]["code"] == (
        "unavailable"
    )
    assert db.scalars(select(Message.body)).all() == ["before"]
    assert not connect(agent).is_connected()


def test_waiting_for_idle_waits_for_the_events_in_flight():
    drain = Drain()
    assert drain.enter()
    drain.start()
    assert not drain.enter()  # new ones refused at once
    assert not drain.wait_idle(0.05)  # one still in flight
    finished = threading.Timer(0.1, drain.leave)
    finished.start()
    assert drain.wait_idle(5)
    assert drain.in_flight == 0

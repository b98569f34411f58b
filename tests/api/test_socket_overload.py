"""A process sent more than it can answer sheds load instead of keeping it without bound
(found by bench/soak.py: at a load of 8–12 on two cores one server grew to 5 GB in ten
minutes): past ``SWARM_SOCKET_BACKLOG`` events in flight a new event is answered
``unavailable`` at once, nothing stored; a client that reads slower than its rooms talk is
disconnected (it reconnects and replays what it missed)."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from swarm.models import TicketEvent
from swarm.realtime.handlers import BUSY
from swarm.realtime.keeper import shed_slow_readers
from swarm.telemetry import SOCKET_EVENTS_IN_FLIGHT, SOCKET_SEND_BACKLOG
from tests.builders import make_agent


def stored_messages(db, ticket_id: int) -> int:
    db.commit()  # a fresh read
    query = select(func.count()).where(
        TicketEvent.ticket_id == ticket_id, TicketEvent.type == "message"
    )
    return int(db.scalar(query) or 0)


@pytest.mark.app_config(socket_backlog=1)
def test_past_the_backlog_an_event_is_refused_at_once_and_nothing_is_stored(
    app, connect, agent, claimed_ticket, db, clock
):
    ticket = claimed_ticket("Printer on fire")
    waiting, refused = connect(agent), connect(make_agent(db, clock, name="Bo"))
    for client in (waiting, refused):
        assert client.emit("join_ticket", {"ticket_id": ticket["id"]}, callback=True)["ok"]
    connections = app.extensions["swarm.realtime"].connections
    [held] = [c for c in connections.values() if c.user_id == agent.id]
    answers: list[dict] = []

    # The first connection's turn is held, so its event stays in flight…
    with held.turns.take():
        before = SOCKET_EVENTS_IN_FLIGHT._value.get()
        first = threading.Thread(
            target=lambda: answers.append(
                waiting.emit(
                    "send_message",
                    {"ticket_id": ticket["id"], "body": "first", "client_id": "a-1"},
                    callback=True,
                )
            )
        )
        first.start()
        for _ in range(500):
            if SOCKET_EVENTS_IN_FLIGHT._value.get() == before + 1:
                break
            first.join(0.01)
        assert SOCKET_EVENTS_IN_FLIGHT._value.get() == before + 1
        # …and the next one, on another connection, is answered at once.
        busy = refused.emit(
            "send_message",
            {"ticket_id": ticket["id"], "body": "second", "client_id": "b-1"},
            callback=True,
        )
        assert busy == {"ok": False, "error": {"code": "unavailable", "message": BUSY}}
        assert stored_messages(db, ticket["id"]) == 0
    first.join(10)

    assert answers[0]["ok"] and answers[0]["message"]["body"] == "first"
    assert SOCKET_EVENTS_IN_FLIGHT._value.get() == before
    # Sent again with the same client_id once the process has room: stored, once.
    again = refused.emit(
        "send_message",
        {"ticket_id": ticket["id"], "body": "second", "client_id": "b-1"},
        callback=True,
    )
    assert again["ok"] and not again["duplicate"]
    assert stored_messages(db, ticket["id"]) == 2


class Queue:
    def __init__(self, size: int) -> None:
        self.size = size

    def qsize(self) -> int:
        return self.size


class EngineIO:
    """engine.io's server as shed_slow_readers sees it: sockets by sid, each with its queue
    of packets not yet written, and a disconnect."""

    def __init__(self, sizes: dict[str, int]) -> None:
        self.sockets = {
            sid: SimpleNamespace(queue=Queue(size), closed=False) for sid, size in sizes.items()
        }
        self.disconnected: list[str] = []

    def disconnect(self, sid: str) -> None:
        self.disconnected.append(sid)
        self.sockets.pop(sid)


def test_clients_with_more_packets_waiting_than_the_limit_are_disconnected() -> None:
    eio = EngineIO({"quick": 0, "behind": 40, "stalled": 41, "gone": 5000})
    eio.sockets["gone"].closed = True  # already closing: left to engine.io
    socketio = SimpleNamespace(server=SimpleNamespace(eio=eio))

    assert shed_slow_readers(socketio, limit=40) == ["stalled"]
    assert eio.disconnected == ["stalled"]
    assert SOCKET_SEND_BACKLOG._value.get() == 0 + 40 + 5000
    assert shed_slow_readers(socketio, limit=40) == []


def test_a_join_that_fails_half_way_leaves_the_client_out_of_the_room(
    app, connect, agent, claimed_ticket, db, clock, monkeypatch
):
    ticket = claimed_ticket("Printer on fire")
    speaker, joiner = connect(agent), connect(make_agent(db, clock, name="Bo"))
    assert speaker.emit("join_ticket", {"ticket_id": ticket["id"]}, callback=True)["ok"]
    presence = app.extensions["swarm.realtime"].presence

    def away(*_args):
        raise ConnectionError("presence store away")

    monkeypatch.setattr(presence, "add", away)
    failed = joiner.emit("join_ticket", {"ticket_id": ticket["id"]}, callback=True)
    assert failed["ok"] is False
    monkeypatch.undo()
    joiner.get_received()

    sent = speaker.emit(
        "send_message",
        {"ticket_id": ticket["id"], "body": "anyone?", "client_id": "s-1"},
        callback=True,
    )
    assert sent["ok"]
    heard = [r for r in joiner.get_received() if r["name"] == "ticket_event"]
    assert heard == []  # told it is not in the room, and it is not


def test_every_pooled_connection_busy_is_answered_try_again() -> None:
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    from swarm.db import database_unavailable

    assert database_unavailable(PoolTimeout("QueuePool limit of size 20 overflow 20 reached"))
    assert not database_unavailable(ValueError("a bug"))

"""Several server processes, one PostgreSQL, one Redis: rooms span processes, and neither a
killed process nor a restarted Redis loses or duplicates a message."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from swarm.accounts.service import issue_token
from swarm.clock import SystemClock
from swarm.db import make_session_factory
from swarm.models import Message, TicketEvent
from swarm.tickets.notify import NullNotifier
from swarm.tickets.service import TicketService
from tests.builders import make_agent, make_user
from tests.integration.servers import RoomClient, Server, free_port

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
def org(pg_engine: Engine) -> dict[str, object]:
    clock = SystemClock()
    with make_session_factory(pg_engine)() as session:
        owner = make_agent(session, clock, name="Olga Owner")
        helper = make_agent(session, clock, name="Hugo Helper")
        third = make_agent(session, clock, name="Theo Third")
        requester = make_user(session, clock)
        ticket = TicketService(session, clock, NullNotifier()).open_ticket(
            requester, subject="Shared drive slow", body="Since the storage move"
        )
        tokens = {
            name: issue_token(session, clock, user, "test")[1]
            for name, user in (("owner", owner), ("helper", helper), ("third", third))
        }
        return {"ticket_id": ticket.id, "tokens": tokens}


def start_pair(pg_url: str, redis_url: str, tmp_path: Path, **more_env: str) -> list[Server]:
    env = {
        "SWARM_DATABASE_URL": pg_url,
        "SWARM_MESSAGE_QUEUE": redis_url,
        "SWARM_INSTANCE_PATH": str(tmp_path),
        "SWARM_SECRET_KEY": "shared-by-both-processes",
        "SWARM_SOCKET_RATE": "1000",
        "SWARM_SOCKET_BURST": "1000",
        **more_env,
    }
    started: list[Server] = []
    try:
        for _ in range(2):
            started.append(Server(env, tmp_path).start())
    except BaseException:
        for server in started:
            server.stop()
        raise
    return started


@pytest.fixture
def servers(pg_url: str, redis_url: str, tmp_path: Path, org) -> Iterator[list[Server]]:
    pair = start_pair(pg_url, redis_url, tmp_path)
    yield pair
    for server in pair:
        server.stop()


def stored(pg_engine: Engine, ticket_id: int) -> list[int]:
    with make_session_factory(pg_engine)() as session:
        query = select(Message.id).where(Message.ticket_id == ticket_id).order_by(Message.id)
        return list(session.scalars(query))


def wait_until(condition, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def test_a_client_on_one_process_hears_a_client_on_the_other(servers, org, pg_engine):
    a = RoomClient([servers[0].url], org["tokens"]["owner"], org["ticket_id"])
    b = RoomClient([servers[1].url], org["tokens"]["helper"], org["ticket_id"])
    a.connect()
    b.connect()
    try:
        sent = a.send("Hello from process one", "x-1")
        assert wait_until(lambda: sent["id"] in b.messages)
        reply = b.send("Heard you on process two", "y-1")
        assert wait_until(lambda: reply["id"] in a.messages)
    finally:
        a.close()
        b.close()


def test_people_on_a_killed_process_leave_the_room_for_everyone_else(
    pg_url, redis_url, tmp_path, org, pg_engine
):
    # Beats every second: a process silent for 3 s is taken for dead.
    pair = start_pair(pg_url, redis_url, tmp_path, SWARM_PRESENCE_SECONDS="1")
    owner = RoomClient([pair[0].url], org["tokens"]["owner"], org["ticket_id"])
    helper = RoomClient([pair[1].url], org["tokens"]["helper"], org["ticket_id"])
    try:
        owner.connect()
        helper.connect()
        both = {"Olga Owner", "Hugo Helper"}
        assert wait_until(lambda: owner.participants == both), owner.participants

        pair[1].kill()  # no goodbye: the helper's disconnect is never handled

        assert wait_until(lambda: owner.participants == {"Olga Owner"}, 30), owner.participants
        with make_session_factory(pg_engine)() as session:
            query = select(TicketEvent.type).where(
                TicketEvent.ticket_id == org["ticket_id"], TicketEvent.type.like("helper_%")
            )
            # Presence only: the helper looked, and left with the process; nothing was swarming.
            assert list(session.scalars(query)) == []
        # Still there for the survivor's people: the owner stays in the room.
        time.sleep(3)
        assert owner.participants == {"Olga Owner"}
    finally:
        owner.close()
        helper.close()
        for server in pair:
            server.stop()


def test_killing_a_process_mid_conversation_loses_and_duplicates_nothing(servers, org, pg_engine):
    urls = [s.url for s in servers]
    sender = RoomClient([urls[0]], org["tokens"]["owner"], org["ticket_id"])
    on_victim = RoomClient([urls[1], urls[0]], org["tokens"]["helper"], org["ticket_id"])
    watcher = RoomClient([urls[0]], org["tokens"]["third"], org["ticket_id"])
    clients = [sender, on_victim, watcher]
    for client in clients:
        client.connect()
    try:
        for n in range(40):
            sender.send(f"message {n}", f"kill-{n}")
            if n == 15:
                servers[1].kill()
            if n > 15 and not on_victim.sio.connected:
                on_victim.ensure_connected()  # fails over to the surviving process
        expected = stored(pg_engine, org["ticket_id"])
        assert len(expected) == 40
        for client in clients:
            assert wait_until(lambda c=client: sorted(c.messages) == expected), (
                f"missing {set(expected) - set(client.messages)}"
            )
            assert (
                list(client.messages) == sorted(client.messages)
                or sorted(client.messages) == expected
            )
    finally:
        for client in clients:
            client.close()


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[tuple[str, Callable[[], None]]]:
    """A Redis of our own on a free port, so that restarting it disturbs nobody else."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed: the Redis restart test needs its own")
    port = free_port()

    def start() -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [
                binary,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(tmp_path),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(0.5)
        return process

    state = {"process": start()}

    def restart() -> None:
        state["process"].kill()
        state["process"].wait()
        time.sleep(1.0)  # a real outage: publishes in this second go nowhere
        state["process"] = start()

    yield f"redis://127.0.0.1:{port}/0", restart
    state["process"].kill()
    state["process"].wait()


def test_restarting_redis_mid_conversation_loses_and_duplicates_nothing(
    pg_url, redis_url, private_redis, tmp_path, org, pg_engine
):
    queue_url, restart_redis = private_redis
    pair = start_pair(pg_url, queue_url, tmp_path)
    sender = RoomClient([pair[0].url], org["tokens"]["owner"], org["ticket_id"])
    listener = RoomClient([pair[1].url], org["tokens"]["helper"], org["ticket_id"])
    try:
        sender.connect()
        listener.connect()
        for n in range(30):
            sender.send(f"message {n}", f"redis-{n}")
            if n == 10:
                restart_redis()
            time.sleep(0.05)
        expected = stored(pg_engine, org["ticket_id"])
        assert len(expected) == 30
        assert wait_until(lambda: sorted(listener.messages) == expected, 30), (
            f"missing {set(expected) - set(listener.messages)}"
        )
    finally:
        sender.close()
        listener.close()
        for server in pair:
            server.stop()

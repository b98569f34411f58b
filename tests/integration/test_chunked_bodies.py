"""A body sent chunked (no Content-Length) to the real server, ``python -m swarm serve``: over
MAX_CONTENT_LENGTH it is 413 like any other, not "not valid JSON" (issue #16, item 2)."""

from __future__ import annotations

import http.client
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from swarm.accounts.service import issue_token
from swarm.clock import SystemClock
from swarm.db import make_session_factory
from swarm.models import Ticket
from tests.builders import make_user
from tests.integration.servers import Server

PORT = int(os.environ.get("SWARM_TEST_SERVER_PORT", "0"))


@pytest.fixture
def token(pg_engine: Engine) -> str:
    with make_session_factory(pg_engine)() as session:
        user = make_user(session, SystemClock())
        return issue_token(session, SystemClock(), user, "test")[1]


@pytest.fixture
def server(pg_url: str, tmp_path: Path, token: str) -> Iterator[Server]:
    env = {
        "SWARM_DATABASE_URL": pg_url,
        "SWARM_INSTANCE_PATH": str(tmp_path),
        "SWARM_SECRET_KEY": "chunked-bodies",
    }
    running = Server(env, tmp_path)
    if PORT:
        running.port, running.url = PORT, f"http://127.0.0.1:{PORT}"
    running.start()
    yield running
    running.stop()


def post_chunked(server: Server, token: str, pieces: Iterator[bytes]) -> tuple[int, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        connection.putrequest("POST", "/api/v1/tickets")
        connection.putheader("Authorization", f"Bearer {token}")
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Transfer-Encoding", "chunked")
        connection.endheaders()
        try:
            for piece in pieces:
                connection.send(b"%x\r\n%s\r\n" % (len(piece), piece))
            connection.send(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before the whole body was sent
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def body_of(size: int) -> Iterator[bytes]:
    yield b'{"subject": "Printer", "body": "'
    for _ in range(size // (64 * 1024)):
        yield b"x" * (64 * 1024)
    yield b'"}'


def tickets(engine: Engine) -> int:
    with make_session_factory(engine)() as session:
        return session.scalar(select(func.count()).select_from(Ticket)) or 0


def test_a_chunked_body_over_the_limit_is_413_from_the_real_server(server, token, pg_engine):
    status, body = post_chunked(server, token, body_of(10 * 1024 * 1024))
    assert status == 413, body
    assert body["error"]["code"] == "too_large"
    assert tickets(pg_engine) == 0


def test_a_chunked_body_within_the_limit_is_read_by_the_real_server(server, token, pg_engine):
    status, body = post_chunked(server, token, iter([b'{"subject": "Printer", ', b'"body": "x"}']))
    assert status == 201, body
    assert tickets(pg_engine) == 1

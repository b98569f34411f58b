"""A token's use is recorded at most once a minute, and recording it never waits for a lock.

bench/fanout.py connects 1,000 sockets with one token at once: each used to queue on the token
row's lock for a commit of its own, holding a pooled connection, until room joins timed out
waiting for the pool (QueuePool limit reached).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, event, select, text

from swarm.accounts.service import TOKEN_USE_SECONDS, issue_token, token_for
from swarm.clock import FakeClock
from swarm.db import make_session_factory
from swarm.models import ApiToken
from tests.builders import make_agent
from tests.conftest import START


def a_token(engine: Engine, clock: FakeClock) -> tuple[int, str]:
    with make_session_factory(engine)() as session:
        agent = make_agent(session, clock)
        row, token = issue_token(session, clock, agent, "script")
        return row.id, token


def last_used(engine: Engine, token_id: int) -> object:
    with make_session_factory(engine)() as session:
        return session.scalar(select(ApiToken.last_used_at).where(ApiToken.id == token_id))


def test_use_is_recorded_once_a_minute(sqlite_file_engine: Engine) -> None:
    clock = FakeClock(START)
    token_id, token = a_token(sqlite_file_engine, clock)
    factory = make_session_factory(sqlite_file_engine)
    with factory() as session:
        assert token_for(session, token, clock.now()) is not None
    assert last_used(sqlite_file_engine, token_id) == START
    with factory() as session:
        assert token_for(session, token, START + timedelta(seconds=30)) is not None
    assert last_used(sqlite_file_engine, token_id) == START
    later = START + timedelta(seconds=TOKEN_USE_SECONDS + 1)
    with factory() as session:
        assert token_for(session, token, later) is not None
    assert last_used(sqlite_file_engine, token_id) == later


@pytest.mark.postgres
def test_a_connection_does_not_wait_while_another_records_the_use(pg_engine: Engine) -> None:
    clock = FakeClock(START)
    token_id, token = a_token(pg_engine, clock)
    factory = make_session_factory(pg_engine)
    with pg_engine.connect() as other:
        # Another connection is recording the same token's use and has not committed yet.
        other.execute(text("SELECT id FROM api_tokens WHERE id = :id FOR UPDATE"), {"id": token_id})
        with factory() as session:
            # A wait on the lock would end in an error here, not in a slow pass.
            session.execute(text("SET lock_timeout = '5s'"))
            row = token_for(session, token, clock.now())
            assert row is not None and row.id == token_id
        other.rollback()
    assert last_used(pg_engine, token_id) is None  # the holder's turn to write it, not ours


def test_a_recently_used_token_costs_one_query(sqlite_file_engine: Engine) -> None:
    clock = FakeClock(START)
    _token_id, token = a_token(sqlite_file_engine, clock)
    factory = make_session_factory(sqlite_file_engine)
    with factory() as session:
        token_for(session, token, clock.now())
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(sqlite_file_engine, "before_cursor_execute", count)
    try:
        with factory() as session:
            row = token_for(session, token, clock.now())
            assert row is not None and row.user.active
    finally:
        event.remove(sqlite_file_engine, "before_cursor_execute", count)
    selects = [s for s in statements if s.startswith("SELECT")]
    assert len(selects) == 1, statements

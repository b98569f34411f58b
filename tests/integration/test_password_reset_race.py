"""A reset link used twice at the same moment sets the password once, on PostgreSQL (row lock)
and on an SQLite file (the write lock): the second use, under the lock, sees the new password's
fingerprint and is refused. And the worker claims and sends the reset mail on both engines."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select

from swarm.accounts import reset
from swarm.clock import FakeClock
from swarm.db import make_session_factory
from swarm.mail.send import Mailer
from swarm.models import AuditEntry, OutboxItem
from swarm.outbox.worker import deliver_due
from swarm.tickets.errors import NotFound
from tests.builders import make_user
from tests.integration.mailservers import free_port

SECRET = "reset-race-secret"
TTL = timedelta(minutes=60)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> Engine:
    name = "pg_engine" if request.param == "postgresql" else "sqlite_file_engine"
    found: Engine = request.getfixturevalue(name)
    return found


def test_two_uses_of_one_link_at_once_set_the_password_once(engine, clock: FakeClock):
    sessions = make_session_factory(engine, mail=True)
    with sessions() as session:
        rita = make_user(session, clock, email="rita@example.org")
        token = reset.make_token(SECRET, rita.id, clock.now(), reset.fingerprint(rita))
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def use(password: str) -> None:
        with sessions() as session:
            start.wait()
            try:
                reset.reset_password(session, clock, SECRET, TTL, token, password, password)
                outcomes.append("set")
            except NotFound:
                outcomes.append("dead")

    threads = [
        threading.Thread(target=use, args=(p,)) for p in ("first passphrase", "second passphrase")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["dead", "set"]
    with sessions() as session:
        actions = session.scalars(select(AuditEntry.action)).all()
        assert actions.count("password_reset") == 1


def test_the_worker_sends_the_reset_mail_and_skips_a_dead_one(engine, clock: FakeClock):
    sessions = make_session_factory(engine, mail=True)
    with sessions() as session:
        rita = make_user(session, clock, email="rita@example.org")
        otto = make_user(session, clock, email="otto@example.org")
        assert reset.request_reset(session, clock, rita.email, locale=None)
        assert reset.request_reset(session, clock, otto.email, locale="de")
        otto.active = False  # deactivated before the worker came by: nothing to send him
        session.commit()
    # Nobody listens: Rita's mail waits for the next attempt, Otto's is done with.
    mailer = Mailer(
        f"smtp://127.0.0.1:{free_port()}",
        "support@example.org",
        SECRET,
        public_url="https://s.example",
    )
    assert deliver_due(sessions, clock, mailer=mailer) == 2
    with sessions() as session:
        states = dict(session.execute(select(OutboxItem.id, OutboxItem.state)).all())
        assert sorted(states.values()) == ["delivered", "pending"]

"""``python -m swarm backup`` / ``restore`` as an operator runs them, on real databases: a SQLite
file backed up while a writer writes, and PostgreSQL through pg_dump / pg_restore (docs/
operations.md). A file that is not a whole Swarm database of a known revision changes nothing.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from swarm.clock import FakeClock
from swarm.db import make_engine, make_session_factory
from swarm.migrate import upgrade
from swarm.models import Message, Ticket, TicketEvent
from swarm.tickets.notify import RecordingNotifier
from swarm.tickets.rooms import RoomService
from tests.builders import make_agent, make_ticket, make_user
from tests.conftest import START

ROOT = Path(__file__).resolve().parents[2]


def swarm(args: list[str], url: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SWARM_DATABASE_URL": url, "SWARM_INSTANCE_PATH": str(tmp_path)}
    return subprocess.run(
        [sys.executable, "-m", "swarm", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def seed(engine: Engine, tickets: int = 30, messages: int = 5) -> None:
    """Tickets with their events and chat: what a backup must keep."""
    clock = FakeClock(START)
    with make_session_factory(engine)() as session:
        requester = make_user(session, clock)
        agent = make_agent(session, clock)
        rooms = RoomService(session, clock, RecordingNotifier())
        for n in range(tickets):
            ticket = make_ticket(rooms, requester, subject=f"Seeded ticket {n}")
            for m in range(messages):
                rooms.send_message(agent, ticket.id, f"Reply {m} to {n}", f"seed-{n}-{m}")


def rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Tickets, events and messages, in id order, as plain tuples."""
    with make_session_factory(engine)() as session:
        return {
            "tickets": [
                (t.id, t.subject, t.status, t.requester_id, t.created_at)
                for t in session.scalars(select(Ticket).order_by(Ticket.id))
            ],
            "events": [
                (e.id, e.ticket_id, e.type, e.actor_id, e.at, e.data)
                for e in session.scalars(select(TicketEvent).order_by(TicketEvent.id))
            ],
            "messages": [
                (m.id, m.ticket_id, m.author_id, m.body, m.client_id, m.created_at)
                for m in session.scalars(select(Message).order_by(Message.id))
            ],
        }


class Writer(threading.Thread):
    """Sends chat messages, one transaction each, until stopped."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(daemon=True)
        self.engine = engine
        self.stop = threading.Event()
        self.sent = 0

    def run(self) -> None:
        clock = FakeClock(START)
        with make_session_factory(self.engine)() as session:
            rooms = RoomService(session, clock, RecordingNotifier())
            agent = make_agent(session, clock)
            ticket_ids = list(session.scalars(select(Ticket.id).order_by(Ticket.id)))
            while not self.stop.is_set():
                ticket_id = ticket_ids[self.sent % len(ticket_ids)]
                rooms.send_message(agent, ticket_id, f"live {self.sent}", f"live-{self.sent}")
                self.sent += 1


# ---------------------------------------------------------------------------- SQLite


@pytest.fixture
def sqlite_db(tmp_path: Path) -> tuple[str, Engine]:
    url = f"sqlite:///{tmp_path / 'live.db'}"
    upgrade(url)
    engine = make_engine(url)
    seed(engine)
    yield url, engine
    engine.dispose()


def test_sqlite_backup_while_a_writer_writes_restores_a_consistent_copy(sqlite_db, tmp_path):
    url, engine = sqlite_db
    writer = Writer(engine)
    writer.start()
    try:
        while writer.sent < 5:  # the writer is under way before the copy starts
            writer.stop.wait(0.01)
        done = swarm(["backup", str(tmp_path / "copy.db")], url, tmp_path)
    finally:
        writer.stop.set()
        writer.join()
    assert done.returncode == 0, done.stderr
    assert "migration revision" in done.stdout
    assert not (tmp_path / "copy.db.partial").exists()

    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    restored = swarm(["restore", str(tmp_path / "copy.db")], fresh, tmp_path)
    assert restored.returncode == 0, restored.stderr
    fresh_engine = make_engine(fresh)
    try:
        copy, live = rows(fresh_engine), rows(engine)
    finally:
        fresh_engine.dispose()
    # The copy is the live database as it was at one moment: a prefix of every table, ...
    for table in ("tickets", "events", "messages"):
        assert copy[table] == live[table][: len(copy[table])], table
    assert len(copy["tickets"]) == 30 and len(copy["messages"]) >= 150 + 5
    # ... taken between two transactions: each message arrived with its event.
    message_events = [e for e in copy["events"] if e[2] == "message"]
    assert len(message_events) == len(copy["messages"])
    # And the writer was not stopped by it: it wrote on after the copy.
    assert writer.sent > len(copy["messages"]) - 150


def test_a_corrupt_or_foreign_file_is_refused_and_changes_nothing(sqlite_db, tmp_path):
    url, engine = sqlite_db
    before = rows(engine)
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database at all " * 100)
    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
    assert swarm(["backup", str(tmp_path / "good.db")], url, tmp_path).returncode == 0
    damaged = tmp_path / "damaged.db"
    data = bytearray((tmp_path / "good.db").read_bytes())
    data[len(data) // 2 : len(data) // 2 + 4096] = b"\xff" * 4096  # a page in the middle
    damaged.write_bytes(bytes(data))

    cases = {
        garbage: "is not a Swarm backup",
        foreign: "not Swarm's",
        damaged: "",  # damaged pages: "is damaged" or "not a Swarm backup", by which page
        tmp_path / "absent.db": "There is no backup file",
    }
    for path, reason in cases.items():
        done = swarm(["restore", "--force", str(path)], url, tmp_path)
        assert done.returncode == 1, (path, done.stdout)
        assert reason in done.stderr
        if path != tmp_path / "absent.db":
            assert "Nothing was changed" in done.stderr
        assert rows(engine) == before


def test_restore_refuses_a_database_in_use_without_force(sqlite_db, tmp_path):
    url, _engine = sqlite_db
    assert swarm(["backup", str(tmp_path / "copy.db")], url, tmp_path).returncode == 0
    live_path = make_url(url).database
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
            "c.execute('SELECT 1 FROM users').fetchall(); print('open', flush=True); "
            "sys.stdin.read()",
            live_path,
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "open\n"
        refused = swarm(["restore", str(tmp_path / "copy.db")], url, tmp_path)
        assert refused.returncode == 1
        # Named by process id (this test's own process has it open too, through ``engine``).
        assert "is in use (process " in refused.stderr and str(holder.pid) in refused.stderr
        assert "--force" in refused.stderr
        forced = swarm(["restore", "--force", str(tmp_path / "copy.db")], url, tmp_path)
        assert forced.returncode == 0, forced.stderr
    finally:
        holder.communicate("")


def test_older_revisions_are_restored_with_advice_and_newer_ones_refused(tmp_path):
    from alembic import command

    from swarm.backup import known_revisions
    from swarm.migrate import alembic_config

    old_url = f"sqlite:///{tmp_path / 'old.db'}"
    revisions = known_revisions()
    command.upgrade(alembic_config(old_url), revisions[-2])
    assert swarm(["backup", str(tmp_path / "old-copy.db")], old_url, tmp_path).returncode == 0
    target = f"sqlite:///{tmp_path / 'target.db'}"
    done = swarm(["restore", str(tmp_path / "old-copy.db")], target, tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"older than this Swarm's {revisions[-1]}" in done.stdout
    assert "python -m swarm init-db" in done.stdout

    newer = tmp_path / "newer.db"
    newer.write_bytes((tmp_path / "old-copy.db").read_bytes())
    with sqlite3.connect(newer) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    before = (tmp_path / "target.db").read_bytes()
    refused = swarm(["restore", "--force", str(newer)], target, tmp_path)
    assert refused.returncode == 1
    assert "'9999', which this Swarm does not know" in refused.stderr
    assert "made by a newer Swarm" in refused.stderr
    assert (tmp_path / "target.db").read_bytes() == before


def test_backup_never_overwrites_a_file(sqlite_db, tmp_path):
    url, _engine = sqlite_db
    existing = tmp_path / "keep.db"
    existing.write_text("precious")
    done = swarm(["backup", str(existing)], url, tmp_path)
    assert done.returncode == 1 and "exists already" in done.stderr
    assert existing.read_text() == "precious"


# ---------------------------------------------------------------------------- PostgreSQL

SCRATCH = "_restore"


@pytest.fixture
def scratch_pg(pg_url: str) -> str:
    """A database of its own beside the test database, dropped afterwards."""
    url = make_url(pg_url)
    name = f"{url.database}{SCRATCH}"
    admin = make_engine(pg_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_postgres_backup_and_restore_with_pg_dump(pg_engine, pg_url, scratch_pg, tmp_path):
    seed(pg_engine, tickets=10, messages=3)
    dump = tmp_path / "swarm.dump"
    done = swarm(["backup", str(dump)], pg_url, tmp_path)
    assert done.returncode == 0, done.stderr
    assert dump.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format

    restored = swarm(["restore", str(dump)], scratch_pg, tmp_path)
    assert restored.returncode == 0, restored.stderr
    scratch = make_engine(scratch_pg, poolclass=NullPool)
    try:
        assert rows(scratch) == rows(pg_engine)
        # Restoring again over the same database replaces it (--clean --if-exists).
        with make_session_factory(scratch)() as session:
            session.execute(text("DELETE FROM messages"))
            session.commit()
        again = swarm(["restore", str(dump)], scratch_pg, tmp_path)
        assert again.returncode == 0, again.stderr
        assert rows(scratch) == rows(pg_engine)

        # A database someone is connected to is not overwritten without --force.
        with scratch.connect() as held:
            held.execute(text("SELECT 1"))
            refused = swarm(["restore", str(dump)], scratch_pg, tmp_path)
            assert refused.returncode == 1
            assert "is in use (1 other connection(s))" in refused.stderr

        # Not an archive (a SQLite file, junk): refused, nothing changed.
        before = rows(scratch)
        junk = tmp_path / "junk.dump"
        junk.write_bytes(b"PGDMP but not really" * 10)
        lite = tmp_path / "lite.db"
        with sqlite3.connect(lite) as conn:
            conn.execute("CREATE TABLE users (id INTEGER)")
        for wrong in (junk, lite):
            refused = swarm(["restore", "--force", str(wrong)], scratch_pg, tmp_path)
            assert refused.returncode == 1
            assert "is not a pg_dump archive" in refused.stderr
        assert rows(scratch) == before
    finally:
        scratch.dispose()


def test_postgres_tools_missing_from_path_are_named(pg_url, tmp_path):
    env = {
        **os.environ,
        "PATH": str(tmp_path),  # no pg_dump there
        "SWARM_DATABASE_URL": pg_url,
        "SWARM_INSTANCE_PATH": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "-m", "swarm", "backup", str(tmp_path / "x.dump")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "pg_dump is not on PATH" in done.stderr
    assert not (tmp_path / "x.dump").exists()

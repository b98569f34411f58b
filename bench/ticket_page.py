"""The ticket page of a long swarm: time and memory of one request; print one JSON object.

    python bench/ticket_page.py --events 3000 --json
    python bench/ticket_page.py --events 3000 --json \\
        --database-url postgresql://postgres@127.0.0.1:5432/test_timeline

It makes a fresh database with the application's schema (the Alembic migrations; a PostgreSQL
database named by ``--database-url`` is emptied first), a requester, an agent and one ticket the
requester opened and the agent claimed, then ``--events`` events as a busy swarm writes them:
room chat, solutions, replies to the requester, internal notes, raised hands and status
changes in turn, each message with its row. Then, through Flask's test client signed in as the
agent and as the requester, it asks for ``/tickets/<id>`` ``--repeat`` times each:

- ``ms_median``, ``ms_best``: the request's wall time (the test client: no network, no server);
- ``heap_peak_mb``: the peak of Python's heap during one request above what it held before
  (``tracemalloc``, in a pass of its own so that tracing does not slow the timed ones);
- ``events_loaded``: ``TicketEvent`` rows the ORM built during one request;
- ``entries``: timeline entries on the page; ``kb``: the page's size.

``load_1min`` is the machine's load average when the run ended: the figures are only
comparable within one run on one machine.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import tempfile
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, text

from swarm.accounts.passwords import hash_password
from swarm.app import create_app
from swarm.config import Config
from swarm.migrate import upgrade
from swarm.models import AgentProfile, Message, Ticket, TicketEvent, User

PASSWORD = "correct horse battery"  # noqa: S105 - two throwaway accounts in a temporary database
CYCLE = ("chat", "reply", "note", "chat", "status_changed", "hand_raised", "solution")


def fill(session: Any, ticket: Ticket, staff: User, requester: User, events: int) -> None:
    """``events`` events of a busy swarm on ``ticket``, a second apart."""
    start = ticket.created_at + timedelta(minutes=1)
    kinds = [CYCLE[n % len(CYCLE)] for n in range(events)]
    messages = {
        n: Message(
            ticket_id=ticket.id,
            author_id=(requester if what == "reply" else staff).id,
            body=f"{what} {n}: " + "words of a long conversation " * 4,
            kind=what,
            created_at=start + timedelta(seconds=n),
        )
        for n, what in enumerate(kinds)
        if what in ("chat", "reply", "note", "solution")
    }
    session.add_all(messages.values())
    session.flush()
    for n, what in enumerate(kinds):
        row = TicketEvent(
            ticket_id=ticket.id, type=what, actor_id=staff.id, at=start + timedelta(seconds=n)
        )
        if n in messages:
            row.actor_id = messages[n].author_id
            row.type = "note" if what == "note" else "message"
            row.data = {"message_id": messages[n].id}
            if what != "note":
                row.data["kind"] = what
        elif what == "status_changed":
            row.data = (
                {"from": "open", "to": "pending"} if n % 2 else {"from": "pending", "to": "open"}
            )
        else:
            row.data = {"note": f"hand {n}"}
        session.add(row)
    session.commit()


def measure(client: Any, path: str, repeat: int) -> dict[str, Any]:
    loaded = [0]

    def count(target: Any, context: Any) -> None:
        loaded[0] += 1

    event.listen(TicketEvent, "load", count)
    try:
        answer = client.get(path)  # warm: templates compiled, caches filled
        assert answer.status_code == 200, answer.status_code
        body = answer.get_data(as_text=True)
        loaded[0] = 0
        client.get(path)
        events_loaded = loaded[0]
    finally:
        event.remove(TicketEvent, "load", count)
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        client.get(path)
        times.append((time.perf_counter() - began) * 1000)
    tracemalloc.start()
    before, _peak = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    client.get(path)
    _now, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "ms_median": round(statistics.median(times), 1),
        "ms_best": round(min(times), 1),
        "heap_peak_mb": round((peak - before) / 2**20, 2),
        "events_loaded": events_loaded,
        "entries": len(re.findall(r'<li class="ev ev-', body)),
        "kb": round(len(body.encode()) / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--database-url")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'swarm.db'}"
        if url.startswith("postgresql"):
            from swarm.db import make_engine

            engine = make_engine(url)
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            engine.dispose()
        upgrade(url)
        config = Config(
            database_url=url,
            secret_key="bench-only",  # noqa: S106 - a throwaway app, never served
            instance_path=Path(folder),
            testing=True,
        )
        app = create_app(config)
        runtime = app.extensions["swarm"]
        digest = hash_password(PASSWORD)
        with runtime.sessions() as session:
            now = runtime.clock.now()
            requester = User(
                email="rita@example.test",
                name="Rita Requester",
                role="requester",
                password_hash=digest,
                active=True,
                created_at=now,
            )
            agent = User(
                email="ada@example.test",
                name="Ada Agent",
                role="agent",
                password_hash=digest,
                active=True,
                created_at=now,
            )
            agent.profile = AgentProfile(capacity=5, presence="online", timezone="UTC")
            session.add_all([requester, agent])
            session.commit()
        clients = {}
        for who, email in (("agent", "ada@example.test"), ("requester", "rita@example.test")):
            client = app.test_client()
            answer = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
            assert answer.status_code == 200, answer.json
            clients[who] = client
        ticket_id = (
            clients["requester"]
            .post("/api/v1/tickets", json={"subject": "VPN drops", "body": "Every five minutes."})
            .json["id"]
        )
        clients["agent"].post(f"/api/v1/tickets/{ticket_id}/claim", json={})
        with runtime.sessions() as session:
            ticket = session.get(Ticket, ticket_id)
            fill(
                session,
                ticket,
                session.get(User, agent.id),
                session.get(User, requester.id),
                args.events,
            )
        figures = {
            who: measure(client, f"/tickets/{ticket_id}", args.repeat)
            for who, client in clients.items()
        }
        runtime.engine.dispose()
    result = {
        "events": args.events,
        "database": url.split(":", 1)[0],
        **figures,
        "load_1min": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(result, indent=None if args.json else 2))


if __name__ == "__main__":
    main()

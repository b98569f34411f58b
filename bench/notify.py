"""Notification mails per second through the outbox: the worker's rounds (``deliver_due``)
sending to a real SMTP server on loopback (aiosmtpd, which takes every mail at once).

    python bench/notify.py --json                      # SQLite (a temporary file), 300 mails
    python bench/notify.py --json --mails 1000 \\
        --database-url postgresql://postgres@127.0.0.1:5432/test_notify   # that database

Set-up, not timed: N requesters each open a ticket, one agent answers each of them in the
public conversation — one ``requester_answered`` notification and one outbox mail row per
requester, written in the answer's transaction, as in the service. Timed: the worker's rounds
from the first claim until no row is left, each mail composed from its templates (text and
HTML, the signed Reply-To and Message-ID) and sent over its own SMTP connection. Prints one
JSON object with the 1-minute load average (the machine is shared).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from swarm.clock import SystemClock  # noqa: E402
from swarm.db import Base, make_engine, make_session_factory  # noqa: E402
from swarm.mail.send import Mailer  # noqa: E402
from swarm.models import AgentProfile, OutboxItem, User  # noqa: E402
from swarm.models.outbox import OutboxState  # noqa: E402
from swarm.outbox.worker import deliver_due  # noqa: E402
from swarm.tickets.notify import RecordingNotifier  # noqa: E402
from swarm.tickets.rooms import RoomService  # noqa: E402


class Sink:
    """Takes every mail and counts it."""

    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.count += 1
        return "250 OK"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare(sessions: Any, clock: SystemClock, mails: int) -> None:
    with sessions() as session:
        agent = User(
            email="agent@bench.test",
            name="Ada Agent",
            role="agent",
            active=True,
            created_at=clock.now(),
        )
        agent.profile = AgentProfile(capacity=mails + 1, presence="online", timezone="UTC")
        people = [
            User(
                email=f"requester{n}@bench.test",
                name=f"Requester {n}",
                role="requester",
                active=True,
                created_at=clock.now(),
            )
            for n in range(mails)
        ]
        session.add_all([agent, *people])
        session.commit()
        service = RoomService(session, clock, RecordingNotifier())
        for n, person in enumerate(people):
            ticket = service.open_ticket(person, subject=f"Printer {n}", body="It jams.")
            service.assign(agent, ticket.id, agent.id)
            service.send_message(agent, ticket.id, "Try tray B, please.", f"b{n}", "reply")


def run(args: argparse.Namespace) -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    folder = tempfile.TemporaryDirectory()
    url = args.database_url or f"sqlite:///{folder.name}/notify.db"
    engine = make_engine(url)
    if args.database_url:
        Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    sessions = make_session_factory(engine, mail=True)
    clock = SystemClock()
    prepare(sessions, clock, args.mails)
    with sessions() as session:
        rows = session.scalar(select(func.count()).select_from(OutboxItem)) or 0
    sink, port = Sink(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    mailer = Mailer(f"smtp://127.0.0.1:{port}", "support@bench.test", "bench-secret")
    try:
        started = time.perf_counter()
        while deliver_due(sessions, clock, mailer=mailer):
            pass
        seconds = time.perf_counter() - started
    finally:
        controller.stop()
    with sessions() as session:
        delivered = session.scalar(
            select(func.count())
            .select_from(OutboxItem)
            .where(OutboxItem.state == OutboxState.DELIVERED)
        )
    if args.database_url:
        Base.metadata.drop_all(engine)
    engine.dispose()
    folder.cleanup()
    return {
        "database": engine.dialect.name,
        "outbox_rows": rows,
        "delivered": delivered,
        "received": sink.count,
        "seconds": round(seconds, 2),
        "mails_per_s": round(sink.count / seconds, 1) if seconds else None,
        "load": {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mails", type=int, default=300)
    parser.add_argument("--database-url", help="a scratch PostgreSQL database (emptied)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    figures = run(args)
    print(json.dumps(figures) if args.json else json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()

"""Several outbox workers on one PostgreSQL: each delivery claimed by one of them (``FOR
UPDATE SKIP LOCKED``), none twice, none left behind."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import Engine, select

from swarm.clock import SystemClock
from swarm.db import make_session_factory
from swarm.models import OutboxItem
from swarm.outbox import worker
from swarm.outbox.service import WebhookService
from swarm.tickets.notify import NullNotifier
from swarm.tickets.service import TicketService
from tests.builders import make_user
from tests.service.test_outbox import LOOPBACK, Receiver

pytestmark = pytest.mark.postgres


def test_four_workers_deliver_each_row_exactly_once(pg_engine: Engine):
    receiver = Receiver()
    clock = SystemClock()
    sessions = make_session_factory(pg_engine)
    with sessions() as session:
        admin = make_user(session, clock, role="admin")
        requester = make_user(session, clock)
        WebhookService(session, clock).create(admin, f"{receiver.base}/ok", ["created"])
        tickets = TicketService(session, clock, NullNotifier())
        for n in range(60):
            tickets.open_ticket(requester, subject=f"Ticket {n}", body="x")

    def work() -> None:
        while worker.deliver_due(sessions, clock, limit=3, post=LOOPBACK):
            pass

    threads = [threading.Thread(target=work) for _ in range(4)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        receiver.close()
    keys = Counter(headers["webhook-id"] for _, headers, _ in receiver.received)
    assert len(keys) == 60 and set(keys.values()) == {1}
    with sessions() as session:
        states = Counter(session.scalars(select(OutboxItem.state)))
    assert states == {"delivered": 60}

"""Deadlines fire exactly once, however many sweepers run against one database."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select

from swarm.clock import FakeClock
from swarm.db import make_session_factory
from swarm.dispatch.caches import RoutingCaches
from swarm.dispatch.service import RoutingService
from swarm.matching.policy import RETRY_DEADLINE
from swarm.models import AgentSkill, Skill, Ticket, TicketDeadline, TicketEvent, TicketSkill
from swarm.tickets.notify import RecordingNotifier
from tests.builders import make_agent, make_user
from tests.conftest import START

TICKETS = 40


def due_tickets(engine: Engine, clock: FakeClock) -> list[int]:
    """Unowned tickets with a VPN need and a retry deadline that is already due."""
    with make_session_factory(engine)() as session:
        vpn = Skill(name="VPN", aliases=[], description="")
        session.add(vpn)
        session.commit()
        expert = make_agent(session, clock, capacity=TICKETS * 2)
        session.add(AgentSkill(user_id=expert.id, skill_id=vpn.id, proficiency=5))
        requester = make_user(session, clock)
        ids = []
        for n in range(TICKETS):
            ticket = Ticket(
                subject=f"VPN {n}",
                body="down",
                priority="P3",
                status="new",
                mode="swarm",
                requester_id=requester.id,
                created_at=clock.now(),
                updated_at=clock.now(),
            )
            session.add(ticket)
            session.flush()
            session.add(TicketSkill(ticket_id=ticket.id, skill_id=vpn.id, weight=1.0))
            session.add(
                TicketDeadline(
                    ticket_id=ticket.id,
                    kind=RETRY_DEADLINE,
                    due_at=clock.now() - timedelta(minutes=1),
                    created_at=clock.now(),
                )
            )
            ids.append(ticket.id)
        session.commit()
        return ids


def race_sweepers(engine: Engine, count: int) -> list[int]:
    clock = FakeClock(START)
    ids = due_tickets(engine, clock)
    factory = make_session_factory(engine)
    start = threading.Barrier(count)
    fired: list[int] = []
    errors: list[BaseException] = []

    def sweep() -> None:
        # Each sweeper has its own caches, as separate processes would.
        with factory() as session:
            service = RoutingService(session, clock, RecordingNotifier(), RoutingCaches())
            start.wait()
            try:
                fired.append(service.sweep(limit=TICKETS))
            except BaseException as exc:  # surfaced below
                errors.append(exc)

    threads = [threading.Thread(target=sweep) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    with factory() as session:
        assigned = Counter(
            session.scalars(select(TicketEvent.ticket_id).where(TicketEvent.type == "assigned"))
        )
        remaining = session.scalars(select(TicketDeadline)).all()
    assert sum(fired) == TICKETS, fired
    assert all(assigned[i] == 1 for i in ids), assigned
    assert remaining == []
    return fired


@pytest.mark.postgres
def test_two_sweepers_on_postgres_fire_each_deadline_once(pg_engine: Engine) -> None:
    fired = race_sweepers(pg_engine, 2)
    assert len(fired) == 2


def test_two_sweepers_on_sqlite_fire_each_deadline_once(sqlite_file_engine: Engine) -> None:
    race_sweepers(sqlite_file_engine, 2)

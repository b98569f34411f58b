"""Two agents claiming one ticket at the same moment: exactly one wins, on real databases."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine, func, select

from swarm.clock import SystemClock
from swarm.db import make_session_factory
from swarm.models import Ticket, TicketEvent
from swarm.tickets.errors import DomainError
from swarm.tickets.notify import RecordingNotifier
from swarm.tickets.service import TicketService
from tests.builders import make_agent, make_ticket, make_user

CLAIMANTS = 8


def race_to_claim(engine: Engine) -> tuple[list[int], list[str], int]:
    """Let CLAIMANTS agents claim one ticket at once; returns winners, refusals, ticket id."""
    factory = make_session_factory(engine)
    clock = SystemClock()
    with factory() as session:
        requester = make_user(session, clock)
        agents = [make_agent(session, clock) for _ in range(CLAIMANTS)]
        ticket = make_ticket(TicketService(session, clock, RecordingNotifier()), requester)
        agent_ids, ticket_id = [a.id for a in agents], ticket.id

    start = threading.Barrier(CLAIMANTS)
    winners: list[int] = []
    refusals: list[str] = []
    lock = threading.Lock()

    def claim(agent_id: int) -> None:
        with factory() as session:
            from swarm.models import User

            agent = session.get(User, agent_id)
            service = TicketService(session, clock, RecordingNotifier())
            start.wait()
            try:
                service.claim(agent, ticket_id)
            except DomainError as exc:
                with lock:
                    refusals.append(exc.message)
            else:
                with lock:
                    winners.append(agent_id)

    threads = [threading.Thread(target=claim, args=(a,)) for a in agent_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return winners, refusals, ticket_id


def assert_exactly_one_winner(engine: Engine) -> None:
    winners, refusals, ticket_id = race_to_claim(engine)
    assert len(winners) == 1, (winners, refusals)
    assert len(refusals) == CLAIMANTS - 1
    assert all("already owned" in r or "changed by someone else" in r for r in refusals)
    with make_session_factory(engine)() as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None and ticket.owner_id == winners[0]
        assigned = session.scalar(
            select(func.count())
            .select_from(TicketEvent)
            .where(TicketEvent.ticket_id == ticket_id, TicketEvent.type == "assigned")
        )
        assert assigned == 1


@pytest.mark.postgres
def test_exactly_one_concurrent_claim_wins_on_postgres(pg_engine: Engine) -> None:
    assert_exactly_one_winner(pg_engine)


def test_exactly_one_concurrent_claim_wins_on_sqlite(sqlite_file_engine: Engine) -> None:
    assert_exactly_one_winner(sqlite_file_engine)

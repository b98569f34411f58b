"""Tier deadlines fire once with two sweepers, and a manual escalation racing the timer is
applied once — on PostgreSQL (``FOR UPDATE SKIP LOCKED``) and SQLite (one writer)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select

from swarm.clock import FakeClock
from swarm.db import make_session_factory
from swarm.dispatch.caches import RoutingCaches
from swarm.dispatch.service import RoutingService
from swarm.dispatch.tiered import TieredService
from swarm.models import Ticket, TicketDeadline, TicketEvent, User
from swarm.tickets.errors import Conflict, IllegalTransition
from swarm.tickets.notify import RecordingNotifier
from tests.builders import make_agent, make_manager, make_user
from tests.conftest import START

TICKETS = 30


def tiered_org(engine: Engine, clock: FakeClock) -> tuple[list[int], int]:
    """``TICKETS`` tiered P3 tickets in Tier 1, opened 15 minutes ago: all due now."""
    factory = make_session_factory(engine)
    with factory() as session:
        manager = make_manager(session, clock)
        for tier in (1, 2):
            agent = make_agent(session, clock, capacity=TICKETS * 2)
            assert agent.profile is not None
            agent.profile.tier = tier
        requester = make_user(session, clock)
        session.commit()
        caches = RoutingCaches()
        TieredService(session, clock, RecordingNotifier(), caches).set_routing_config(
            manager, {"mode": "tiered"}
        )
        routing = RoutingService(session, clock, RecordingNotifier(), caches)
        ids = [
            routing.open_ticket(requester, subject=f"Printer {n}", body="jams").id
            for n in range(TICKETS)
        ]
        manager_id = manager.id
    clock.advance(minutes=15)
    return ids, manager_id


def run_together(*jobs: Callable[[], None]) -> None:
    start = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(job: Callable[[], None]) -> None:
        start.wait()
        try:
            job()
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []


def sweeper(engine: Engine, clock: FakeClock, fired: list[int]) -> Callable[[], None]:
    def job() -> None:
        # Each sweeper has its own caches, as separate processes would.
        with make_session_factory(engine)() as session:
            service = RoutingService(session, clock, RecordingNotifier(), RoutingCaches())
            # Sweep until nothing is left: a sweeper leaves a ticket another one is
            # changing for its next round.
            while (n := service.sweep(limit=TICKETS)) > 0:
                fired.append(n)

    return job


def escalations(engine: Engine) -> Counter[tuple[int, int, int]]:
    with make_session_factory(engine)() as session:
        rows = session.scalars(select(TicketEvent).where(TicketEvent.type == "escalated"))
        return Counter((e.ticket_id, e.data["from_tier"], e.data["to_tier"]) for e in rows.unique())


def race_two_sweepers(engine: Engine) -> None:
    clock = FakeClock(START)
    ids, _ = tiered_org(engine, clock)
    fired: list[int] = []
    run_together(sweeper(engine, clock, fired), sweeper(engine, clock, fired))
    assert sum(fired) == TICKETS, fired
    moves = escalations(engine)
    assert all(moves[(i, 1, 2)] == 1 for i in ids), moves
    assert sum(moves.values()) == TICKETS
    with make_session_factory(engine)() as session:
        tiers = set(session.scalars(select(Ticket.tier)))
        # Each ticket has exactly its new Tier 2 deadline, 4 hours out.
        due = session.scalars(select(TicketDeadline.due_at)).all()
    assert tiers == {2}
    assert len(due) == TICKETS and set(due) == {clock.now() + timedelta(hours=4)}


def race_manual_and_automatic(engine: Engine) -> None:
    clock = FakeClock(START)
    ids, manager_id = tiered_org(engine, clock)
    outcomes: Counter[str] = Counter()
    fired: list[int] = []

    def person() -> None:
        with make_session_factory(engine)() as session:
            manager = session.get(User, manager_id)
            assert manager is not None
            service = TieredService(session, clock, RecordingNotifier(), RoutingCaches())
            # From the other end of the list than the sweeper, so that the two meet in the middle.
            for ticket_id in reversed(ids):
                try:
                    service.escalate(
                        manager, ticket_id, reason="looks like a server fault", to_tier=2
                    )
                    outcomes["manual"] += 1
                except (Conflict, IllegalTransition):
                    outcomes["refused"] += 1  # the timer was first: refused, not re-applied

    run_together(person, sweeper(engine, clock, fired))
    moves = escalations(engine)
    # Whoever won, every ticket went from Tier 1 to Tier 2 exactly once.
    assert all(moves[(i, 1, 2)] == 1 for i in ids), moves
    assert sum(moves.values()) == TICKETS
    assert outcomes["manual"] + outcomes["refused"] == TICKETS
    with make_session_factory(engine)() as session:
        reasons = Counter(
            e.data["reason"]
            for e in session.scalars(
                select(TicketEvent).where(TicketEvent.type == "escalated")
            ).unique()
        )
    assert reasons["manual"] == outcomes["manual"]
    assert reasons["time_limit"] == outcomes["refused"]


@pytest.mark.postgres
def test_two_sweepers_on_postgres_fire_each_tier_deadline_once(pg_engine: Engine) -> None:
    race_two_sweepers(pg_engine)


@pytest.mark.postgres
def test_manual_and_automatic_escalation_racing_on_postgres_apply_once(
    pg_engine: Engine,
) -> None:
    race_manual_and_automatic(pg_engine)


def test_two_sweepers_on_sqlite_fire_each_tier_deadline_once(sqlite_file_engine: Engine) -> None:
    race_two_sweepers(sqlite_file_engine)


def test_manual_and_automatic_escalation_racing_on_sqlite_apply_once(
    sqlite_file_engine: Engine,
) -> None:
    race_manual_and_automatic(sqlite_file_engine)

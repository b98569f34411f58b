"""``TicketQueries.timeline`` on PostgreSQL (JSONB) and SQLite (JSON text) alike: each
audience's stretches, newest first read, join into exactly what ``swarm.events.view`` lets that
audience see, and the API's ``after`` pages (``events_page``) say the same."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from swarm.clock import SystemClock
from swarm.db import make_session_factory
from swarm.events import Audience, view
from swarm.models import TicketEvent
from swarm.tickets.guests import GuestService
from swarm.tickets.notify import RecordingNotifier
from swarm.tickets.service import TicketService
from tests.builders import add_long_swarm, make_agent, make_ticket, make_user


@pytest.fixture(params=["postgresql", "sqlite"])
def engine(request: pytest.FixtureRequest) -> Engine:
    name = "pg_engine" if request.param == "postgresql" else "sqlite_file_engine"
    eng: Engine = request.getfixturevalue(name)
    return eng


def test_every_audience_reads_its_whole_timeline_a_stretch_at_a_time(engine: Engine) -> None:
    clock = SystemClock()
    with make_session_factory(engine)() as session:
        requester = make_user(session, clock, name="Rita")
        agent = make_agent(session, clock, name="Olga")
        service = TicketService(session, clock, RecordingNotifier())
        ticket = make_ticket(service, requester)
        add_long_swarm(session, ticket, staff=agent, requester=requester, events=500)
        granted, _token = GuestService(session, clock, RecordingNotifier()).invite_guest(
            agent, ticket.id, "Sam Vendor"
        )
        guest = granted.user
        rows = list(
            session.scalars(
                select(TicketEvent)
                .where(TicketEvent.ticket_id == ticket.id)
                .order_by(TicketEvent.id)
            )
        )
        readers: dict[Audience, Any] = {
            Audience.STAFF: agent,
            Audience.REQUESTER: requester,
            Audience.GUEST: guest,
        }
        for audience, reader in readers.items():
            expected = [r.id for r in rows if view(r.type, r.data or {}, audience) is not None]
            assert len(expected) > 60, audience

            stretches, before = [], None
            while True:
                stretch = service.timeline(reader, ticket.id, before, limit=60)
                ids = [e.id for e in stretch.items]
                assert ids == sorted(ids)
                assert stretch.earlier == len([i for i in expected if i < ids[0]])
                stretches.append(ids)
                if stretch.before is None:
                    break
                assert len(ids) == 60  # the filter is in the query: every stretch is full
                before = stretch.before
            assert [i for s in reversed(stretches) for i in s] == expected, audience
            # The data trimmed as everywhere else: a requester never gets routing's "why".
            newest = service.timeline(reader, ticket.id, limit=60).items
            assert all(e.data == view(e.type, e.data, audience) for e in newest)

            pages, after = [], None
            while True:
                page, after = service.events_page(reader, ticket.id, after, 45)
                pages.extend(e.id for e in page)
                if after is None:
                    break
                assert len(page) == 45
            assert pages == expected, audience
        assert service.timeline(agent, ticket.id, before=rows[0].id).items == []

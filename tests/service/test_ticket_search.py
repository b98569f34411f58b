"""The ticket list's search on both engines: SQLite FTS5 (``tickets_fts``, made by
``create_all``) and PostgreSQL (the generated ``search_vector``, made by the migrations). Words,
not substrings; the last word a prefix while typing; kept in step with edits; filtered by who
asks exactly as the list was (staff every ticket, a requester their own) — and no query a
person can type reaches the engines' syntax."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from swarm.clock import FakeClock
from swarm.models import Ticket, User
from swarm.tickets import search as ticket_search
from swarm.tickets.notify import RecordingNotifier
from swarm.tickets.service import TicketService
from tests.builders import make_agent, make_ticket, make_user
from tests.conftest import START
from tests.service.search_databases import HOSTILE, both_databases  # noqa: F401 - the fixture ``engine``


@pytest.fixture
def tickets(session: Session) -> TicketService:
    return TicketService(session, FakeClock(START), RecordingNotifier())


@pytest.fixture
def people(session: Session) -> dict[str, User]:
    clock = FakeClock(START)
    return {
        "alice": make_user(session, clock, name="Alice"),
        "bob": make_user(session, clock, name="Bob"),
        "agent": make_agent(session, clock, name="Ada Agent"),
    }


def subjects(tickets: TicketService, viewer: User, q: str, **kw: object) -> list[str]:
    return [t.subject for t in tickets.list(viewer, q=q, **kw).items]  # type: ignore[arg-type]


def test_finds_tickets_by_the_words_of_subject_or_body(tickets, people):
    alice, agent = people["alice"], people["agent"]
    make_ticket(tickets, alice, subject="Printer jams", body="Tray B is stuck on floor two.")
    make_ticket(tickets, alice, subject="VPN drops", body="The tunnel resets every 5 minutes.")
    make_ticket(tickets, alice, subject="Laptop 3 will not boot", body="Black screen.")
    assert subjects(tickets, agent, "printer") == ["Printer jams"]
    assert subjects(tickets, agent, "TUNNEL resets") == ["VPN drops"]  # body words, any case
    assert subjects(tickets, agent, "tray tunnel") == []  # every word must occur
    assert subjects(tickets, agent, "laptop 3") == ["Laptop 3 will not boot"]
    assert subjects(tickets, agent, "rint") == []  # words, not substrings
    page = tickets.list(agent, q="screen")
    assert page.total == 1


def test_the_last_word_is_a_prefix_while_typing(tickets, people):
    alice, agent = people["alice"], people["agent"]
    make_ticket(tickets, alice, subject="Printer jams", body="Open tray B.")
    make_ticket(tickets, alice, subject="Privacy screen", body="Ask facilities.")
    assert subjects(tickets, agent, "pri") == ["Privacy screen", "Printer jams"]  # newest first
    assert subjects(tickets, agent, "prin") == ["Printer jams"]
    assert subjects(tickets, agent, "jams tr") == ["Printer jams"]
    assert subjects(tickets, agent, "pri ") == []  # a finished word is matched whole


def test_requesters_find_only_their_own_tickets_staff_find_all(tickets, people):
    alice, bob, agent = people["alice"], people["bob"], people["agent"]
    make_ticket(tickets, alice, subject="Alice: VPN token expired", body="vpn token")
    make_ticket(tickets, bob, subject="Bob: VPN token expired", body="vpn token")
    assert subjects(tickets, alice, "vpn token") == ["Alice: VPN token expired"]
    assert subjects(tickets, bob, "vpn tok") == ["Bob: VPN token expired"]
    assert tickets.list(bob, q="alice").items == []  # another's ticket is not found by its words
    assert sorted(subjects(tickets, agent, "vpn token")) == [
        "Alice: VPN token expired",
        "Bob: VPN token expired",
    ]
    assert tickets.list(alice, q="vpn").total == 1


def test_search_combines_with_the_other_filters_and_sorts(tickets, people):
    alice, agent = people["alice"], people["agent"]
    first = make_ticket(tickets, alice, subject="Disk full", body="disk", priority="P1")
    make_ticket(tickets, alice, subject="Disk slow", body="disk", priority="P4")
    tickets.claim(agent, first.id)
    assert subjects(tickets, agent, "disk", status="open") == ["Disk full"]
    assert subjects(tickets, agent, "disk", sort="oldest") == ["Disk full", "Disk slow"]
    assert subjects(tickets, agent, "disk", sort="priority") == ["Disk full", "Disk slow"]
    assert subjects(tickets, agent, "disk", owner_id=agent.id) == ["Disk full"]


def test_no_typed_query_breaks_the_list(tickets, people):
    alice, agent = people["alice"], people["agent"]
    make_ticket(tickets, alice, subject="VPN drops", body="The VPN drops: lower the MTU.")
    for q in [*HOSTILE, "100%", "a_b", "%", "_", "\\%", "x" * 10_000, "vpn " * 5_000]:
        for viewer in (agent, alice):
            page = tickets.list(viewer, q=q)
            assert all(t.id for t in page.items), q
    assert subjects(tickets, agent, "vpn*") == subjects(tickets, agent, '"vpn') == ["VPN drops"]
    assert subjects(tickets, agent, "NEAR(vpn mtu)") == []  # NEAR is a word here
    assert subjects(tickets, agent, "vpn OR zebra") == []  # OR too: not "either word"
    assert subjects(tickets, agent, "mtu -vpn") == ["VPN drops"]  # not "without vpn"
    # No words: nothing found (no query reaches the database's syntax).
    for q in ("((( * )", "!!!", "%", "\"'"):
        assert tickets.list(agent, q=q).items == [] and tickets.list(agent, q=q).total == 0


def test_the_index_follows_edits_and_deletes(session, tickets, people):
    alice, agent = people["alice"], people["agent"]
    ticket = make_ticket(tickets, alice, subject="Printer", body="Pull the paper tray.")
    session.execute(
        update(Ticket).where(Ticket.id == ticket.id).values(body="Reseat the toner cartridge.")
    )
    session.commit()
    assert subjects(tickets, agent, "tray") == []
    assert subjects(tickets, agent, "cartridge") == ["Printer"]
    session.execute(update(Ticket).where(Ticket.id == ticket.id).values(subject="Laser printer"))
    session.commit()
    assert subjects(tickets, agent, "laser") == ["Laser printer"]
    session.delete(session.scalars(select(Ticket).where(Ticket.id == ticket.id)).one())
    session.commit()
    assert subjects(tickets, agent, "printer") == []


def test_parse_keeps_words_only():
    query = ticket_search.parse('vpn "drops" AND (wifi pri')
    assert query.terms == ("vpn", "drops", "and", "wifi", "pri") and query.prefix
    assert ticket_search.parse("((( * )").terms == ()
    assert len(ticket_search.parse("word " * 100).terms) == 16

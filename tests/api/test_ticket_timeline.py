"""The ticket page's timeline a stretch at a time: the newest entries, "Show earlier" for the
ones before (a page of its own without JavaScript, a fragment with it), each reader their own
view on every stretch, and no query that reads the whole log."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from swarm.events import Audience, view
from swarm.models import Ticket, TicketEvent, User
from swarm.runtime import Runtime
from swarm.web.ticket_pages import TIMELINE_PAGE
from tests.builders import add_long_swarm

EVENTS = 1200
ENTRY = re.compile(r'<li class="ev ev-[a-z_]+" data-event-id="(\d+)"')
EARLIER = re.compile(r'href="/tickets/(\d+)\?before=(\d+)#timeline" data-fragment="([^"]+)"')


@pytest.fixture
def long_ticket(
    db: Session, login: Callable[[User], FlaskClient], requester: User, agent: User
) -> int:
    """A ticket the requester opened and the agent claimed, then 1,200 events of a swarm."""
    created = login(requester).post("/api/v1/tickets", json={"subject": "VPN", "body": "Down"})
    ticket_id: int = created.json["id"]
    login(agent).post(f"/api/v1/tickets/{ticket_id}/claim", json={})
    ticket = db.get(Ticket, ticket_id)
    assert ticket is not None
    add_long_swarm(db, ticket, staff=agent, requester=requester, events=EVENTS)
    return ticket_id


def visible_ids(db: Session, ticket_id: int, audience: Audience) -> list[int]:
    """Every event id ``audience`` sees of the ticket, oldest first, the slow obvious way."""
    rows = db.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
    )
    return [row.id for row in rows if view(row.type, row.data or {}, audience) is not None]


def entries(html: str) -> list[int]:
    return [int(i) for i in ENTRY.findall(html)]


def walk(client: FlaskClient, ticket_id: int, *, fragments: bool) -> list[list[int]]:
    """Every stretch from the newest back to the first, following "Show earlier": its link
    (the page) or its ``data-fragment`` (what the page's script fetches)."""
    html = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    stretches = [entries(html)]
    while (found := EARLIER.search(html)) is not None:
        assert int(found[1]) == ticket_id and int(found[2]) == stretches[-1][0]
        url = (
            found[3].replace("&amp;", "&")
            if fragments
            else f"/tickets/{ticket_id}?before={found[2]}"
        )
        answer = client.get(url)
        assert answer.status_code == 200
        html = answer.get_data(as_text=True)
        stretches.append(entries(html))
    return stretches


@pytest.mark.parametrize("fragments", [False, True], ids=["page", "fragment"])
@pytest.mark.parametrize("who", ["agent", "requester"])
def test_show_earlier_walks_back_through_every_entry_once(
    db, login, long_ticket, agent, requester, who, fragments
):
    reader, audience = {
        "agent": (agent, Audience.STAFF),
        "requester": (requester, Audience.REQUESTER),
    }[who]
    expected = visible_ids(db, long_ticket, audience)
    stretches = walk(login(reader), long_ticket, fragments=fragments)

    # The page opens on the newest entries; every stretch before is a full one but the first.
    assert stretches[0] == expected[-TIMELINE_PAGE:]
    assert all(len(s) == TIMELINE_PAGE for s in stretches[:-1])
    assert 1 <= len(stretches[-1]) <= TIMELINE_PAGE
    # Read back to front they are the whole timeline: nothing skipped, nothing twice.
    joined = [i for s in reversed(stretches) for i in s]
    assert joined == expected
    assert len(stretches) == -(-len(expected) // TIMELINE_PAGE)


def test_each_reader_sees_only_their_view_on_every_stretch(db, login, long_ticket, requester):
    staff_only = set(visible_ids(db, long_ticket, Audience.STAFF)) - set(
        visible_ids(db, long_ticket, Audience.REQUESTER)
    )
    client = login(requester)
    html = client.get(f"/tickets/{long_ticket}").get_data(as_text=True)
    pages = [html]
    while (found := EARLIER.search(html)) is not None:
        html = client.get(f"/tickets/{long_ticket}?before={found[2]}").get_data(as_text=True)
        pages.append(html)
        pages.append(client.get(found[3].replace("&amp;", "&")).get_data(as_text=True))
    assert len(pages) >= 3
    for html in pages:
        assert not staff_only & set(entries(html))
        # The swarm's chat, solutions, notes and raised hands are the staff's.
        for secret in ("wrote in the swarm room", "internal note", "raised a hand", "note 2"):
            assert secret not in html
        assert "wrote in the public conversation" in html


def test_a_staff_stretch_shows_the_bodies_of_its_own_notes(login, long_ticket, agent):
    client = login(agent)
    html = client.get(f"/tickets/{long_ticket}").get_data(as_text=True)
    bodies = re.findall(r'<div class="body-text note">note (\d+)</div>', html)
    assert len(bodies) == TIMELINE_PAGE // 7 or len(bodies) == TIMELINE_PAGE // 7 + 1
    assert re.search(r"1,0\d\d earlier entries", html)  # grouped as the reader writes numbers


def test_the_page_back_in_time_links_to_the_latest(login, long_ticket, agent):
    client = login(agent)
    newest = entries(client.get(f"/tickets/{long_ticket}").get_data(as_text=True))
    older = client.get(f"/tickets/{long_ticket}?before={newest[0]}").get_data(as_text=True)
    assert f'href="/tickets/{long_ticket}#timeline">Back to the latest entries' in older
    assert "Back to the latest entries" not in client.get(f"/tickets/{long_ticket}").get_data(
        as_text=True
    )


def test_a_short_timeline_has_no_show_earlier(login, requester):
    client = login(requester)
    created = client.post("/api/v1/tickets", json={"subject": "Printer", "body": "Jams"}).json
    html = client.get(f"/tickets/{created['id']}").get_data(as_text=True)
    assert len(entries(html)) >= 1
    assert "Show earlier" not in html and "data-timeline-earlier" not in html


@pytest.mark.parametrize("before", ["abc", "²", str(2**70), "-5", "0", "1.5", "+3", " 7", "１"])
@pytest.mark.parametrize("path", ["/tickets/{}", "/tickets/{}/timeline"])
def test_a_bad_before_is_a_400_that_says_why(login, requester, before, path):
    client = login(requester)
    ticket = client.post("/api/v1/tickets", json={"subject": "VPN", "body": "Down"}).json
    answer = client.get(path.format(ticket["id"]), query_string={"before": before})
    assert answer.status_code == 400
    assert "something that is not an entry" in answer.get_data(as_text=True)


def test_the_fragment_is_the_tickets_readers_only(login, long_ticket, requester, db, clock):
    from tests.builders import make_user

    stranger = make_user(db, clock, name="Sam Stranger")
    assert login(stranger).get(f"/tickets/{long_ticket}/timeline").status_code == 404
    assert login(requester).get(f"/tickets/{long_ticket}/timeline").status_code == 200


@pytest.fixture
def statements(app: Flask) -> Iterator[list[tuple[str, Any]]]:
    """Every SQL statement the app's engine runs while the test reads, with its parameters."""
    runtime: Runtime = app.extensions["swarm"]
    seen: list[tuple[str, Any]] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        seen.append((statement, parameters))

    event.listen(runtime.engine, "before_cursor_execute", record)
    yield seen
    event.remove(runtime.engine, "before_cursor_execute", record)


@pytest.mark.parametrize("who", ["agent", "requester"])
def test_no_query_of_the_page_reads_the_whole_log(
    login, long_ticket, agent, requester, statements, who
):
    client = login(agent if who == "agent" else requester)
    statements.clear()
    assert client.get(f"/tickets/{long_ticket}").status_code == 200
    assert client.get(f"/tickets/{long_ticket}/timeline?before=600").status_code == 200
    reads = [(s, p) for s, p in statements if re.search(r"\bFROM ticket_events\b", s)]
    assert any("LIMIT" in s for s, _p in reads)
    for statement, parameters in reads:
        if "LIMIT" in statement or re.search(r"\b(count|max)\(", statement, re.IGNORECASE):
            continue  # a page of events, a count, the latest of a kind
        # Else only events of a few rare types (hand-offs, articles shown): never the
        # messages and notes that make a long swarm long.
        assert "ticket_events.type" in statement, statement
        assert not {"message", "note"} & set(map(str, parameters)), (statement, parameters)


def test_show_earlier_speaks_german(app, login, long_ticket, agent):
    client = login(agent)
    html = client.get(f"/tickets/{long_ticket}", headers={"Accept-Language": "de"}).get_data(
        as_text=True
    )
    assert ">Frühere anzeigen</a>" in html
    assert re.search(r"1\.0\d\d frühere Einträge", html)
    older = client.get(
        f"/tickets/{long_ticket}?before={entries(html)[0]}", headers={"Accept-Language": "de"}
    ).get_data(as_text=True)
    assert "Zurück zu den neuesten Einträgen" in older
    refused = client.get(f"/tickets/{long_ticket}?before=x", headers={"Accept-Language": "de"})
    assert "kein Eintrag ist" in refused.get_data(as_text=True)


def test_the_pages_refusals_now_say_their_sentence(login, requester):
    # The ticket pages' abort() is APIFlask's, whose sentence the error page shows (Flask's
    # kept it in a description nobody read): the list's unknown filter says so too.
    client = login(requester)
    listing = client.get("/tickets?status=bogus")
    assert listing.status_code == 400
    assert "Unknown status, mode, priority or sort in the address." in listing.get_data(
        as_text=True
    )

"""A long swarm's ticket page in Chromium: the newest stretch of the timeline, "Show earlier"
adding the ones before in place (and, without JavaScript, opening them as a page), each reader
their own view, the swarm room still live after it, at a laptop's and a phone's width."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from swarm.db import make_engine, make_session_factory
from swarm.events import Audience, view
from swarm.models import Ticket, TicketEvent, User
from swarm.web.ticket_pages import TIMELINE_PAGE
from tests.browser.conftest import ARTIFACTS, WIDTHS, wait_until
from tests.browser.test_pages import open_as_requester, sign_in
from tests.builders import add_long_swarm

pytestmark = pytest.mark.browser

# Staff see every one of them (four stretches); the requester about two sevenths (two).
EVENTS = 760
IDS = "[...document.querySelectorAll('#timeline ol.timeline > li')].map(li => +li.dataset.eventId)"


@pytest.fixture(scope="module")
def long_ticket(browser, server) -> str:  # type: ignore[no-untyped-def]
    """The path of a ticket the requester opened, then a long swarm on it."""
    page, path = open_as_requester(browser, server, "Long swarm: the VPN again", "It drops.")
    page.context.close()
    engine = make_engine(server["database"])
    with make_session_factory(engine)() as session:
        ticket = session.get(Ticket, int(path.rsplit("/", 1)[1]))
        assert ticket is not None
        people = {
            who: session.scalars(select(User).where(User.email == server[who])).one()
            for who in ("helper", "requester")
        }
        add_long_swarm(
            session, ticket, staff=people["helper"], requester=people["requester"], events=EVENTS
        )
    engine.dispose()
    return path


def visible(server: dict[str, str], path: str, audience: Audience) -> list[int]:
    """Every event id of the ticket that ``audience`` sees, oldest first, read now (the tests
    add to the ticket: a message in the room)."""
    engine = make_engine(server["database"])
    with make_session_factory(engine)() as session:
        rows = session.scalars(
            select(TicketEvent)
            .where(TicketEvent.ticket_id == int(path.rsplit("/", 1)[1]))
            .order_by(TicketEvent.id)
        ).all()
        ids = [r.id for r in rows if view(r.type, r.data or {}, audience) is not None]
    engine.dispose()
    return ids


def look(page: Page, name: str) -> None:
    """A picture of the timeline's top as the person sees it (the full page is thousands of
    pixels of entries)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#timeline").scroll_into_view_if_needed()
    page.evaluate("document.getElementById('timeline').scrollIntoView()")
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def test_show_earlier_adds_the_older_entries_in_place(people, server, long_ticket, width):
    path = long_ticket
    staff = visible(server, path, Audience.STAFF)
    page = people("agent")
    page.goto(path)
    timeline = page.locator("#timeline")
    expect(timeline.locator("ol.timeline > li")).to_have_count(TIMELINE_PAGE)
    assert page.evaluate(IDS) == staff[-TIMELINE_PAGE:]
    control = timeline.locator("[data-timeline-earlier]")
    expect(control).to_contain_text(f"{len(staff) - TIMELINE_PAGE:,} earlier entries")
    look(page, f"timeline-agent-newest-{WIDTHS[width]}")

    for shown in range(2 * TIMELINE_PAGE, len(staff) + TIMELINE_PAGE, TIMELINE_PAGE):
        control.get_by_role("link", name="Show earlier").click()
        expect(timeline.locator("ol.timeline > li")).to_have_count(min(shown, len(staff)))
        # In place: the same page, the older entries above, none twice, none missing.
        assert page.url.endswith(path)
        assert page.evaluate(IDS) == staff[-shown:]
        if shown == 2 * TIMELINE_PAGE:
            look(page, f"timeline-agent-earlier-{WIDTHS[width]}")
            # The added entries' times are in the reader's zone too (swarm.js's localiseTimes).
            expect(timeline.locator("ol.timeline > li").first.locator("time")).to_have_attribute(
                "title", re.compile(".+")
            )
    expect(control).to_have_count(0)
    last = len(staff) % TIMELINE_PAGE or TIMELINE_PAGE
    expect(timeline.get_by_role("status")).to_have_text(f"Earlier entries added: {last}.")
    # The swarm room is still live: a message sent now arrives over the socket.
    wait_until(page, "document.getElementById('room').dataset.joined === 'true'")
    page.locator("#room-input").fill(f"Still here after reading back ({width})")
    page.locator("#room-input").press("Enter")
    expect(page.locator("#room-messages")).to_contain_text(
        f"Still here after reading back ({width})"
    )


def test_the_requester_reads_back_only_their_view(people, server, long_ticket, width):
    path = long_ticket
    public = visible(server, path, Audience.REQUESTER)
    assert TIMELINE_PAGE < len(public) <= 2 * TIMELINE_PAGE
    page = people("requester")
    page.goto(path)
    timeline = page.locator("#timeline")
    assert page.evaluate(IDS) == public[-TIMELINE_PAGE:]
    look(page, f"timeline-requester-newest-{WIDTHS[width]}")
    timeline.get_by_role("link", name="Show earlier").click()
    expect(timeline.locator("ol.timeline > li")).to_have_count(len(public))
    assert page.evaluate(IDS) == public
    expect(timeline.locator("[data-timeline-earlier]")).to_have_count(0)
    expect(timeline).not_to_contain_text("swarm room")
    expect(timeline).not_to_contain_text("internal note")
    # Nothing earlier to show: the focus is on the first entry, where reading goes on.
    assert page.evaluate("document.activeElement.dataset.eventId") == str(public[0])
    look(page, f"timeline-requester-earlier-{WIDTHS[width]}")


def test_without_javascript_show_earlier_opens_the_older_stretch(browser, server, long_ticket):
    path = long_ticket
    staff = visible(server, path, Audience.STAFF)
    context = browser.new_context(
        base_url=server["base"],
        java_script_enabled=False,
        viewport={"width": WIDTHS["phone"], "height": 860},
    )
    page = context.new_page()
    sign_in(page, server["agent"])
    page.goto(path)
    page.get_by_role("link", name="Show earlier").click()
    assert f"{path}?before={staff[-TIMELINE_PAGE]}" in page.url
    shown = [int(i) for i in re.findall(r'data-event-id="(\d+)"', page.content())]
    assert shown == staff[-2 * TIMELINE_PAGE : -TIMELINE_PAGE]
    expect(page.get_by_role("link", name="Back to the latest entries")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "timeline-agent-nojs-390.png"))
    context.close()

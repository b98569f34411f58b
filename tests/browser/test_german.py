"""Swarm in German at a laptop's width (1366 px) and a phone's (390 px): German words are
longer, so nothing may overflow and the laptop's nav stays one line. Screenshots of each page
go to test-artifacts/ (german-*.png)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.browser.test_layout import horizontal_overflow, nav_is_one_line
from tests.browser.test_pages import open_as_requester
from tests.builders import PASSWORD

pytestmark = pytest.mark.browser

PAGES = {
    "requester": ["/portal", "/tickets/new", "/tickets", "/account", "/notifications"],
    "agent": [
        "/my-work",
        "/tickets",
        "/queues/1",
        "/account",
        "/me/skills",
        "/notifications",
        "/account/notifications",
    ],
    "manager": ["/dashboard", "/settings/routing"],
}


@pytest.fixture(scope="module")
def ticket_path(browser, server) -> str:  # type: ignore[no-untyped-def]
    """A ticket opened by the requester, for the agent and the manager to look at in German."""
    page, path = open_as_requester(
        browser, server, "Dockingstation: zweiter Bildschirm bleibt dunkel", "Seit dem Update."
    )
    page.context.close()
    # The manager gives it to the agent: the agent's bell then shows an unread count, which
    # must fit the phone's bar too (it did not, once: the badge pushed "Abmelden" off screen).
    manager = browser.new_context(base_url=server["base"]).new_page()
    signed = manager.request.post(
        "/api/v1/auth/login", data={"email": server["manager"], "password": PASSWORD}
    )
    assert signed.ok
    agents = manager.request.get("/api/v1/agents").json()["items"]
    agent_id = next(a["id"] for a in agents if a["email"] == server["agent"])
    ticket_id = int(path.rstrip("/").rsplit("/", 1)[1])
    assigned = manager.request.post(
        f"/api/v1/tickets/{ticket_id}/assign", data={"agent_id": agent_id}
    )
    assert assigned.ok, assigned.text()
    manager.context.close()
    return path


def german_page(browser, server, width: int) -> Page:  # type: ignore[no-untyped-def]
    context = browser.new_context(
        base_url=server["base"], viewport={"width": width, "height": 860}, locale="de-DE"
    )
    return context.new_page()


def anmelden(page: Page, email: str) -> None:
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    page.get_by_label("E-Mail").fill(email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("button", name="Abmelden")).to_be_visible()


@pytest.mark.parametrize("width", [1366, 390])
@pytest.mark.parametrize("who", list(PAGES))
def test_german_pages_fit_the_window(browser, server, ticket_path, who, width):
    page = german_page(browser, server, width)
    anmelden(page, server[who])
    for path in [*PAGES[who], ticket_path]:
        page.goto(path)
        expect(page.locator("html")).to_have_attribute("lang", "de")
        name = "ticket" if path == ticket_path else path.strip("/").replace("/", "-")
        screenshot(page, f"german-{who}-{name}-{width}")
        if who == "agent":
            expect(page.locator("[data-bell] .nav-badge")).to_be_visible()
        assert horizontal_overflow(page) == 0, f"{who} on {path} at {width} px overflows"
        if width == 1366:
            assert nav_is_one_line(page), f"{who} on {path}: the German nav wraps"
    page.context.close()


def test_a_requester_opens_a_ticket_in_german(browser, server):
    page = german_page(browser, server, 390)
    anmelden(page, server["requester"])
    page.goto("/tickets/new")
    page.get_by_label("Betreff").fill("Drucker druckt nicht")
    page.get_by_label("Beschreibung").fill("Seit heute früh.")
    page.get_by_role("button", name="Ticket eröffnen").click()

    expect(page.get_by_text("eröffnet.")).to_be_visible()  # the flash, in German
    expect(page.get_by_role("heading", name="Drucker druckt nicht")).to_be_visible()
    assert horizontal_overflow(page) == 0
    screenshot(page, "german-requester-ticket-390")
    page.context.close()


def test_an_admin_writes_a_rule_in_german_and_it_reads_in_german(browser, server):
    """The rules page's sentences come from a pure module (swarm/rules/describe.py) in English;
    the page says them in German, values and all, and the long German form still fits."""
    page = german_page(browser, server, 1366)
    anmelden(page, server["admin"])
    page.goto("/admin/rules/new")
    expect(page.get_by_role("heading", name="Neue Regel")).to_be_visible()
    page.get_by_label("Name", exact=True).fill("Ausfälle zuerst")
    page.locator("#c-words").fill("Ausfall, Störung")
    page.locator("input[name=c_status][value=new]").check()
    page.locator("#c-opened-at-least").fill("120")
    page.get_by_label("Aktion 1: was zu tun ist").select_option("set_priority")
    page.locator("#a0-priority").select_option("P1")
    page.get_by_label("Aktion 2: was zu tun ist").select_option("escalate")
    page.get_by_role("button", name="Regel anlegen").click()

    expect(page.get_by_text("Regel „Ausfälle zuerst“ gespeichert.")).to_be_visible()
    sentence = page.locator(".rule-when")
    expect(sentence).to_have_text(
        "Wenn ein Ticket eröffnet wird, falls der Status neu ist, Betreff oder Beschreibung"
        " „ausfall“ oder „störung“ erwähnen und es mindestens 2 Stunden alt ist:"
    )
    expect(page.locator(".rule-actions")).to_contain_text("Priorität auf P1 setzen")
    expect(page.locator(".rule-actions")).to_contain_text("An die nächste Stufe eskalieren")
    rule_path = page.url.removeprefix(server["base"])
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 860})
        for path, name in [
            ("/admin/rules", "rules"),
            (rule_path, "rule"),
            (f"{rule_path}/edit", "rule-form"),
        ]:
            page.goto(path)
            expect(page.locator("html")).to_have_attribute("lang", "de")
            screenshot(page, f"german-admin-{name}-{width}")
            assert horizontal_overflow(page) == 0, f"the admin's {path} at {width} px overflows"
    page.context.close()

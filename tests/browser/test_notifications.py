"""The bell and the notifications page: a mention reaches the bell live, the page lists it,
opening or marking read clears it; a requester is told their ticket was resolved. At 1366 and
390 px, as an agent and as a requester (screenshots in test-artifacts/)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.browser.test_pages import sign_in
from tests.builders import PASSWORD

pytestmark = pytest.mark.browser


def api_as(browser, server, email: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=server["base"])
    signed = context.request.post("/api/v1/auth/login", data={"email": email, "password": PASSWORD})
    assert signed.ok, signed.text()
    return context


def test_a_mention_rings_the_bell_and_the_page_lists_it(page: Page, server, browser):
    requester = api_as(browser, server, server["requester"])
    agent = api_as(browser, server, server["agent"])
    ticket = requester.request.post(
        "/api/v1/tickets",
        data={"subject": "Badge <b>reader</b> at the door", "body": "It beeps red."},
    ).json()
    assert agent.request.post(f"/api/v1/tickets/{ticket['id']}/claim", data={}).ok

    sign_in(page, server["helper"])
    page.goto("/tickets")
    expect(page.locator("body")).to_have_attribute("data-live", "connected")
    bell = page.locator("[data-bell]")
    before = int(page.locator("[data-notification-count]").text_content() or 0)

    note = agent.request.post(
        f"/api/v1/tickets/{ticket['id']}/notes", data={"body": "@hugo can you check the reader?"}
    )
    assert note.ok, note.text()
    expect(bell).to_have_attribute("aria-label", f"Notifications: {before + 1} unread")
    expect(page.locator("[data-notification-count]")).to_be_visible()
    screenshot(page, "notifications-bell-agent-1366")

    bell.click()
    item = page.locator(".notification.unread").first
    expect(item).to_contain_text(f"Ada Agent mentioned you on ticket #{ticket['id']}")
    expect(item).to_contain_text("Badge <b>reader</b> at the door")  # text, not markup
    screenshot(page, "notifications-agent-1366")

    small = browser.new_context(
        base_url=server["base"], viewport={"width": 390, "height": 844}
    ).new_page()
    sign_in(small, server["helper"])
    small.goto("/notifications")
    expect(small.locator(".notification.unread").first).to_contain_text("mentioned you")
    screenshot(small, "notifications-agent-390")
    small.get_by_role("button", name="Mark all read").click()
    expect(small.locator("[data-bell]")).to_have_attribute("aria-label", "Notifications: 0 unread")
    expect(small.locator(".notification.unread")).to_have_count(0)
    small.goto("/account/notifications")
    expect(small.get_by_text("E-mail is off on this site")).to_be_visible()
    screenshot(small, "notification-settings-agent-390")
    small.context.close()

    # The requester: told their ticket was resolved, never of the note.
    resolved = agent.request.post(
        f"/api/v1/tickets/{ticket['id']}/resolve", data={"resolution": "Re-seated the reader."}
    )
    assert resolved.ok, resolved.text()
    for width in (1366, 390):
        rita = browser.new_context(
            base_url=server["base"], viewport={"width": width, "height": 844}
        ).new_page()
        sign_in(rita, server["requester"])
        rita.goto("/notifications")
        items = rita.locator(".notification")
        expect(items.first).to_contain_text(f"Your ticket #{ticket['id']} was resolved")
        expect(rita.locator("main")).not_to_contain_text("mentioned")
        screenshot(rita, f"notifications-requester-{width}")
        if width == 390:
            rita.get_by_role("button", name=f"Open #{ticket['id']}").first.click()
            expect(rita).to_have_url(f"{server['base']}/tickets/{ticket['id']}")
            rita.goto("/notifications")  # opened is read
            expect(rita.locator(".notification").first).not_to_have_class("notification unread")
        rita.context.close()
    requester.close()
    agent.close()

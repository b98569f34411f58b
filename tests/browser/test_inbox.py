"""An invitation to someone offline waits for them: the badge, the inbox, accepting it there."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.browser.test_pages import sign_in
from tests.browser.test_room import open_ticket_as_owner
from tests.builders import PASSWORD

pytestmark = pytest.mark.browser


def add_agent(browser, server, name: str, email: str) -> None:
    """The admin adds an agent through the API; a new agent is offline until they sign in."""
    context = browser.new_context(base_url=server["base"])
    api = context.request
    signed = api.post("/api/v1/auth/login", data={"email": server["admin"], "password": PASSWORD})
    assert signed.ok, signed.text()
    created = api.post(
        "/api/v1/users",
        data={"email": email, "name": name, "password": PASSWORD, "role": "agent"},
    )
    assert created.status == 201, created.text()
    assert created.json()["profile"]["presence"] == "offline"
    context.close()


def test_an_invitation_to_an_offline_agent_waits_in_their_inbox(page: Page, server, browser):
    add_agent(browser, server, "Mateo Marin", "mateo@example.test")
    ticket_url = open_ticket_as_owner(page, server)

    page.get_by_role("combobox", name="Invite").fill("Mateo Marin")
    page.get_by_role("combobox", name="Invite").press("Enter")
    page.get_by_role("button", name="Send invitation").click()
    expect(
        page.get_by_text(
            "Mateo Marin is offline — they will see it in their inbox when they sign in."
        )
    ).to_be_visible()

    for width in (1366, 390):
        mateo = browser.new_context(
            base_url=server["base"], viewport={"width": width, "height": 900}
        ).new_page()
        sign_in(mateo, "mateo@example.test")
        expect(mateo).to_have_url(f"{server['base']}/my-work")  # staff land on My work
        expect(mateo.get_by_text("1 item waits for you in your inbox.")).to_be_visible()
        expect(mateo.get_by_role("link", name="Inbox: 1 waiting")).to_be_visible()
        # First in the nav (folded behind the Menu button at 390 px, so read from the list).
        expect(mateo.locator("#nav-links a").first).to_have_text("My work")
        screenshot(mateo, f"my-work-agent-{width}")
        mateo.get_by_role("link", name="Inbox: 1 waiting").click()
        invitation = mateo.locator("[data-invitation]")
        expect(invitation).to_contain_text("Ada Agent invites you to")
        expect(invitation).to_contain_text("Shared mailbox not showing in Outlook")
        screenshot(mateo, f"inbox-agent-{width}")
        if width == 1366:
            mateo.context.close()  # looked at only; the invitation is answered at 390 px

    mateo.get_by_role("button", name="Accept and join").click()
    mateo.wait_for_url(ticket_url)
    expect(mateo.get_by_text("You joined the swarm.")).to_be_visible()
    expect(page.locator("#room-people")).to_contain_text("Mateo Marin")
    expect(mateo.get_by_role("link", name="Inbox: 0 waiting")).to_be_visible()
    mateo.context.close()


def test_the_owner_says_no_thanks_to_an_offer_and_the_one_who_offered_sees_it(
    page: Page, server, browser
):
    ticket_url = open_ticket_as_owner(page, server)
    helper = browser.new_context(base_url=server["base"]).new_page()
    sign_in(helper, server["helper"])
    helper.goto(ticket_url)
    expect(helper.locator("body")).to_have_attribute("data-live", "connected")
    helper.get_by_role("button", name="Offer help to the owner").click()

    # In the owner's open room: both answers, beside the offer.
    offer_line = page.locator("li.msg-system", has_text="Hugo Helper offers help")
    expect(offer_line.get_by_role("button", name="No, thanks")).to_be_visible()
    expect(offer_line.get_by_role("button", name="Add to the swarm")).to_be_visible()

    for width in (1366, 390):
        owner = browser.new_context(
            base_url=server["base"], viewport={"width": width, "height": 900}
        ).new_page()
        sign_in(owner, server["agent"])
        owner.goto("/inbox")
        item = owner.locator(".inbox-item", has_text="Hugo Helper offers help on")
        expect(item.get_by_role("button", name="No, thanks")).to_be_visible()
        screenshot(owner, f"inbox-offer-owner-{width}")
        if width == 1366:
            owner.context.close()

    item.get_by_role("button", name="No, thanks").click()
    expect(owner.get_by_text("Offer declined.")).to_be_visible()
    expect(owner.get_by_text("Nobody is waiting for your answer to an offer.")).to_be_visible()
    # The one who offered, in the room, reads the answer as it happens.
    expect(helper.locator("li.msg-system", has_text="said no, thanks")).to_be_visible()
    owner.context.close()
    helper.context.close()

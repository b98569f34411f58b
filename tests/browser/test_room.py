"""The swarm room in two browsers: invite, accept, talk, see each other, survive a reload."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.browser.test_pages import sign_in

pytestmark = pytest.mark.browser


def open_ticket_as_owner(page: Page, server) -> str:
    sign_in(page, server["agent"])
    page.goto("/tickets/new")
    page.get_by_label("Subject").fill("Shared mailbox not showing in Outlook")
    page.get_by_label("Description").fill("Finance cannot see the invoices mailbox since today.")
    page.get_by_role("button", name="Open ticket").click()
    page.get_by_role("button", name="Claim this ticket").click()
    expect(page.get_by_text("You own this ticket now.")).to_be_visible()
    expect(page.locator("#room")).to_have_attribute("data-joined", "true")
    return page.url


def test_owner_invites_helper_who_accepts_and_they_talk(page: Page, server, browser):
    ticket_url = open_ticket_as_owner(page, server)

    helper_page = browser.new_context(base_url=server["base"]).new_page()
    sign_in(helper_page, server["helper"])
    helper_page.goto("/tickets")  # anywhere in the app
    expect(helper_page.locator("body")).to_have_attribute("data-live", "connected")

    page.get_by_role("combobox", name="Invite").fill("Hugo Helper")
    page.get_by_role("combobox", name="Invite").press("Enter")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("Invitation sent.")).to_be_visible()

    invitation = helper_page.get_by_role("alertdialog", name="Invitation to help")
    expect(invitation).to_contain_text("Shared mailbox not showing in Outlook")
    screenshot(helper_page, "room-invitation")
    invitation.get_by_role("button", name="Accept").click()
    helper_page.wait_for_url(ticket_url)
    expect(helper_page.locator("#room")).to_have_attribute("data-joined", "true")

    people = page.locator("#room-people")
    expect(people).to_contain_text("Hugo Helper")
    expect(helper_page.locator("#room-people")).to_contain_text("Ada Agent")

    page.get_by_label("Message to the swarm", exact=True).fill(
        "Can you check the mailbox permissions?"
    )
    page.get_by_label("Message to the swarm", exact=True).press("Enter")
    expect(helper_page.locator("#room-messages")).to_contain_text(
        "Can you check the mailbox permissions?"
    )
    helper_page.get_by_label("Message to the swarm", exact=True).fill(
        "Full access was removed; re-adding it."
    )
    helper_page.get_by_role("button", name="Send to the swarm", exact=True).click()
    expect(page.locator("#room-messages")).to_contain_text("re-adding it.")
    screenshot(page, "room-conversation")

    # A reload replays the conversation from the database.
    helper_page.reload()
    expect(helper_page.locator("#room-messages")).to_contain_text("Can you check the mailbox")
    expect(helper_page.locator("#room-messages .msg[data-message-id]")).to_have_count(2)
    helper_page.context.close()
    # Closing the page ends presence, not the stint: Hugo is still helping, away for now.
    expect(people).to_contain_text("Hugo Helper helper · away")


def test_shift_enter_makes_a_new_line_and_enter_sends(page: Page, server):
    open_ticket_as_owner(page, server)
    box = page.get_by_label("Message to the swarm", exact=True)
    box.fill("first line")
    box.press("Shift+Enter")
    box.type("second line")
    assert box.input_value() == "first line\nsecond line"
    box.press("Enter")
    expect(page.locator("#room-messages .msg[data-message-id]").last).to_contain_text("second line")
    assert box.input_value() == ""


def test_a_guest_link_brings_a_vendor_engineer_into_the_room_until_it_is_revoked(
    page: Page, server, browser
):
    ticket_url = open_ticket_as_owner(page, server)
    page.get_by_label("Guest's name").fill("Sam Lee, Acme Networks")
    page.get_by_label("Link works for").select_option(label="4 hours")
    page.get_by_role("button", name="Create guest link").click()
    expect(page.get_by_text("Copy it now")).to_be_visible()
    expect(page.get_by_label("New guest link")).to_be_in_viewport()  # scrolled to the card
    link = page.get_by_label("New guest link").input_value()
    assert "/guest/swg_" in link
    screenshot(page, "guest-link-created")

    # Someone with no account, in a browser of their own.
    guest_page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    guest_page.goto(link)
    expect(
        guest_page.get_by_role("heading", name="Shared mailbox not showing in Outlook")
    ).to_be_visible()
    expect(guest_page.locator("#room")).to_have_attribute("data-joined", "true")
    expect(guest_page.get_by_role("navigation", name="Main")).to_have_count(0)
    expect(page.locator("#room-people")).to_contain_text("Sam Lee, Acme Networks (guest)")
    expect(guest_page.locator("#room-people")).to_contain_text("Ada Agent")

    page.get_by_label("Message to the swarm", exact=True).fill(
        "Sam, the tunnel drops every hour on the ASA."
    )
    page.get_by_label("Message to the swarm", exact=True).press("Enter")
    expect(guest_page.locator("#room-messages")).to_contain_text("tunnel drops every hour")
    guest_page.get_by_label("Message to the swarm", exact=True).fill(
        "Known bug: firmware 9.2 fixes it."
    )
    guest_page.get_by_label("Message to the swarm", exact=True).press("Enter")
    expect(page.locator("#room-messages")).to_contain_text("Sam Lee, Acme Networks (guest)")
    expect(page.locator("#room-messages")).to_contain_text("firmware 9.2 fixes it")
    screenshot(guest_page, "guest-room")

    page.goto(ticket_url)
    page.locator("#guests").get_by_role("button", name="Revoke").click()
    expect(page.get_by_text("link no longer works")).to_be_visible()
    expect(page.locator("#room")).to_have_attribute("data-joined", "true")
    expect(page.locator("#room-people")).not_to_contain_text("Sam Lee")
    # The server drops the guest at its next presence round (every 10 s by default).
    expect(guest_page.locator("body")).to_have_attribute("data-live", "ended", timeout=30_000)
    expect(guest_page.get_by_text("This guest link has ended")).to_be_visible()
    expect(guest_page.get_by_label("Message to the swarm", exact=True)).to_be_disabled()
    screenshot(guest_page, "guest-link-ended")
    guest_page.context.close()


def test_the_requester_and_staff_see_one_ticket_side_by_side_each_their_own_view(
    page: Page, server, browser
):
    """The requester talks live with the owner in their conversation; the swarm's chat,
    notes and comings and goings never reach them; the composer says where a message goes."""
    sign_in(page, server["requester"])
    page.goto("/tickets/new")
    page.get_by_label("Subject").fill("VPN drops every 10 minutes")
    page.get_by_label("Description").fill("On Windows 11, since Monday.")
    page.get_by_role("button", name="Open ticket").click()
    ticket_url = page.url
    expect(page.locator("#room")).to_have_attribute("data-joined", "true")
    expect(page.locator("#room-messages")).to_have_count(0)  # no swarm room for requesters
    expect(page.get_by_role("heading", name="Conversation with support")).to_be_visible()

    staff = browser.new_context(base_url=server["base"]).new_page()
    sign_in(staff, server["agent"])
    staff.goto(ticket_url)
    claim = staff.get_by_role("button", name="Claim this ticket")
    if claim.count():  # routing may have given it to Ada already (she knows VPN)
        claim.click()
    expect(staff.locator("#room")).to_have_attribute("data-joined", "true")
    expect(staff.get_by_text("Staff and invited guests only")).to_be_visible()
    expect(staff.get_by_text("Rita Requester reads everything sent here.")).to_be_visible()

    staff.get_by_label("Message to the swarm", exact=True).fill("Hugo, is the ASA flapping?")
    staff.get_by_label("Message to the swarm", exact=True).press("Enter")
    staff.get_by_label("Reply to Rita Requester").fill("We are looking at the VPN now.")
    staff.get_by_role("button", name="Send reply to Rita Requester").click()
    expect(staff.locator("#conv-messages")).to_contain_text("We are looking at the VPN now.")

    expect(page.locator("#conv-messages")).to_contain_text("We are looking at the VPN now.")
    page.get_by_label("Message to support").fill("Thanks — it just dropped again.")
    page.get_by_label("Message to support").press("Enter")
    expect(staff.locator("#conv-messages")).to_contain_text("it just dropped again")
    expect(staff.locator("#room-messages")).to_contain_text("is the ASA flapping?")
    expect(staff.locator("#room-messages")).not_to_contain_text("dropped again")

    page.reload()
    expect(page.locator("#conv-messages .msg[data-message-id]")).to_have_count(2)
    body = page.locator("body")
    for secret in ("ASA flapping", "joined the swarm", "routed it", "Suggestions", "mode"):
        expect(body).not_to_contain_text(secret)
    for width, height in ((1366, 900), (390, 844)):
        for who, view in (("requester", page), ("staff", staff)):
            view.set_viewport_size({"width": width, "height": height})
            screenshot(view, f"conversation-{who}-{width}")
    staff.context.close()

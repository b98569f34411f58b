"""The requester answers "How did we do?" on a resolved ticket in Chromium, at a laptop's and a
phone's width, and staff read the answer."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.browser.test_pages import open_as_requester, sign_in

pytestmark = pytest.mark.browser


def resolve_as_agent(browser, server, path: str, resolution: str) -> Page:  # type: ignore[no-untyped-def]
    staff = browser.new_context(base_url=server["base"]).new_page()
    sign_in(staff, server["agent"])
    staff.goto(path)
    staff.get_by_role("button", name="Claim this ticket").click()
    expect(staff.get_by_text("You own this ticket now.")).to_be_visible()
    staff.get_by_label("Resolution").fill(resolution)
    staff.get_by_role("button", name="Resolve").click()
    expect(staff.get_by_text("Ticket resolved.")).to_be_visible()
    return staff


@pytest.mark.parametrize("width", [1366, 390])
def test_the_requester_rates_a_resolved_ticket_and_staff_read_it(browser, server, width):
    requester, path = open_as_requester(
        browser,
        server,
        f"Outlook asks for my password every hour ({width})",
        "Since the new laptop arrived; I type it in and it asks again an hour later.",
    )
    staff = resolve_as_agent(
        browser, server, path, "Removed the stale credential from Windows Credential Manager."
    )
    requester.set_viewport_size({"width": width, "height": 900})
    requester.goto(path)

    question = requester.get_by_role("group", name="How did we do?")
    expect(question).to_be_visible()
    expect(question.get_by_role("radio")).to_have_count(5)
    good = question.get_by_role("radio", name="4 Good")
    expect(good).not_to_be_checked()
    requester.locator("label[for=score-4]").click()
    expect(good).to_be_checked()
    requester.get_by_label("Anything to add?").fill("Sorted within the morning, thank you.")
    screenshot(requester, f"satisfaction-form-{width}")
    requester.get_by_role("button", name="Send my answer").click()

    expect(requester.get_by_text("Thank you: your answer was recorded.")).to_be_visible()
    thanks = requester.locator("#satisfaction")
    expect(thanks.get_by_role("heading", name="Thank you for your answer")).to_be_visible()
    expect(thanks).to_contain_text("4 of 5 (Good)")
    expect(thanks).to_contain_text("Sorted within the morning, thank you.")
    expect(requester.get_by_role("group", name="How did we do?")).to_have_count(0)
    screenshot(requester, f"satisfaction-thanks-{width}")

    staff.goto(path)
    expect(staff.locator(".satisfaction-line")).to_contain_text("4 of 5 (Good)")
    expect(staff.locator(".timeline")).to_contain_text("rated the help 4 of 5 (Good)")
    staff.set_viewport_size({"width": width, "height": 900})
    screenshot(staff, f"satisfaction-staff-{width}")
    requester.context.close()
    staff.context.close()

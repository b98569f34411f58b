"""A form refused by the API's schema, seen in the browser: the refusal beside the field, the
field marked for screen readers, what was typed still there — on a laptop and a phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.test_pages import open_as_requester

pytestmark = pytest.mark.browser


def _post_anyway(page, selector: str) -> None:  # type: ignore[no-untyped-def]
    # What a script (or an old browser) could still post: the browser's own checks off.
    page.locator(selector).evaluate("el => el.closest('form').setAttribute('novalidate', '')")


def test_a_refused_note_and_resolution_stay_beside_their_fields(  # type: ignore[no-untyped-def]
    people, browser, server, width
):
    requester, path = open_as_requester(
        browser, server, f"Scanner offline ({width})", "The scanner on floor 2 is offline."
    )
    requester.context.close()
    agent = people("agent")
    agent.goto(path)
    agent.get_by_role("button", name="Claim this ticket").click()
    expect(agent.get_by_text("You own this ticket now.")).to_be_visible()

    agent.get_by_label("Resolution").fill("   ")
    agent.get_by_label("Other article numbers").fill("1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11")
    _post_anyway(agent, "#resolution")
    agent.get_by_role("button", name="Resolve", exact=True).click()

    expect(agent.get_by_text("Not saved: see the messages beside the fields.")).to_be_visible()
    expect(agent.locator("#resolution-error")).to_have_text("Empty, or has a NUL character.")
    expect(agent.locator("#more-articles-error")).to_contain_text("Length must be between 0 and 10")
    expect(agent.get_by_label("Resolution")).to_have_attribute("aria-invalid", "true")
    expect(agent.get_by_label("Other article numbers")).to_have_value(
        "1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11"
    )
    agent.locator("#resolution").scroll_into_view_if_needed()
    screenshot(agent, f"form-refused-resolve-{width}")


def test_a_refused_rating_keeps_the_comment(people, browser, server, width):  # type: ignore[no-untyped-def]
    requester, path = open_as_requester(
        browser, server, f"Badge reader ({width})", "The badge reader at door B beeps red."
    )
    requester.context.close()
    agent = people("agent")
    agent.goto(path)
    agent.get_by_role("button", name="Claim this ticket").click()
    agent.get_by_label("Resolution").fill("Re-enrolled the badge.")
    agent.get_by_role("button", name="Resolve", exact=True).click()
    expect(agent.get_by_text("Ticket resolved.")).to_be_visible()

    customer = people("requester")
    customer.goto(path)
    customer.get_by_label("Anything to add?").fill("Fast, thank you.")
    _post_anyway(customer, "#satisfaction-comment")
    customer.get_by_role("button", name="Send my answer").click()
    expect(
        customer.get_by_text("The score is a whole number from 1 (bad) to 5 (great).")
    ).to_be_visible()
    expect(customer.locator("#score-error")).to_have_text("Missing data for required field.")
    expect(customer.get_by_label("Anything to add?")).to_have_value("Fast, thank you.")
    customer.locator("#score-error").scroll_into_view_if_needed()
    screenshot(customer, f"form-refused-rating-{width}")


def test_a_refused_webhook_keeps_what_was_typed(people, width):  # type: ignore[no-untyped-def]
    admin = people("admin")
    admin.goto("/admin/webhooks")
    admin.get_by_label("URL").fill("https://crm.example.test/hooks/swarm")
    admin.get_by_label("Description").evaluate("el => el.removeAttribute('maxlength')")
    admin.get_by_label("Description").fill("d" * 201)
    for box in admin.locator("input[name=event_types]").all():
        box.uncheck()
    admin.get_by_role("button", name="Add webhook").click()
    expect(admin.locator("#w-description-error")).to_be_visible()
    expect(admin.locator("#w-events-error")).to_be_visible()
    expect(admin.get_by_label("URL")).to_have_value("https://crm.example.test/hooks/swarm")
    screenshot(admin, f"form-refused-webhook-{width}")

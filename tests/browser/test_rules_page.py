"""The automation rules page in Chromium: an admin writes a rule with the form (a bad pattern
first: the message beside the field, nothing typed lost), a requester's ticket makes it fire
and reads the canned reply from the support team, the run shows on the rule's page; a manager
reads it all without a way to change it; the admin removes it after confirming. At a desk's
width and a phone's."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.test_pages import open_as_requester, sign_in

pytestmark = pytest.mark.browser

NAME = "Zebrafish outages first"


def fits(page) -> None:  # type: ignore[no-untyped-def]
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def test_an_admin_writes_a_rule_that_fires_and_a_manager_reads_it(browser, server):
    admin = browser.new_context(base_url=server["base"], viewport={"width": 1366, "height": 900})
    page = admin.new_page()
    sign_in(page, server["admin"])
    page.get_by_text("More", exact=True).click()
    page.get_by_role("link", name="Rules", exact=True).click()
    expect(page.get_by_role("heading", name="Automation rules")).to_be_visible()
    page.get_by_role("link", name="New rule").click()

    page.get_by_label("Name").fill(NAME)
    page.get_by_label("Mentions any of these words").fill("zebrafish")
    page.get_by_label("Or matches this pattern").fill("(tank+)+")
    page.get_by_label("Action 1: what to do").select_option("set_priority")
    expect(page.locator("#a0-body")).to_be_hidden()  # only the chosen action's fields
    page.locator("#a0-priority").select_option("P1")
    page.get_by_label("Action 2: what to do").select_option("post_reply")
    page.locator("#a1-body").fill("We know about the zebrafish outage and are on it.")
    page.get_by_role("button", name="Create rule").click()

    expect(page.locator("#c_regex-error")).to_have_text("Nested quantifiers are not allowed.")
    expect(page.get_by_label("Name")).to_have_value(NAME)
    expect(page.locator("#a1-body")).to_have_value(
        "We know about the zebrafish outage and are on it."
    )
    expect(page.locator("#a0-priority")).to_have_value("P1")
    screenshot(page, "rules-form-error-1366")
    page.get_by_label("Or matches this pattern").fill("")
    page.get_by_role("button", name="Create rule").click()
    expect(page.get_by_role("heading", name=NAME)).to_be_visible()
    expect(page.get_by_text("Set the priority to P1")).to_be_visible()
    rule_path = page.url.removeprefix(server["base"])

    requester, ticket_path = open_as_requester(
        browser, server, "Zebrafish tank outage", "The aquarium monitor is down."
    )
    conversation = requester.locator("#conv-messages")
    expect(conversation).to_contain_text("Support team")
    expect(conversation).to_contain_text("automatic reply")
    expect(conversation).not_to_contain_text("Ava Admin")
    requester.set_viewport_size({"width": 390, "height": 844})
    screenshot(requester, "rules-canned-reply-requester-390")
    requester.context.close()

    page.goto(rule_path)
    runs = page.locator("table.rule-runs")
    expect(runs.get_by_role("link", name=f"#{ticket_path.rsplit('/', 1)[1]}")).to_be_visible()
    expect(runs).to_contain_text("set_priority done · post_reply done")
    screenshot(page, "rules-rule-admin-1366")
    page.goto("/admin/rules")
    expect(page.get_by_text("fired 1 time")).to_be_visible()
    screenshot(page, "rules-list-admin-1366")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/admin/rules")
    fits(page)
    screenshot(page, "rules-list-admin-390")
    page.get_by_role("link", name=f"Edit {NAME}").click()
    expect(page.get_by_role("button", name="Save rule")).to_be_visible()
    fits(page)
    screenshot(page, "rules-form-admin-390")

    for width, height in ((1366, 900), (390, 844)):
        manager = browser.new_context(
            base_url=server["base"], viewport={"width": width, "height": height}
        ).new_page()
        sign_in(manager, server["manager"])
        manager.goto("/admin/rules")
        expect(manager.get_by_text(NAME)).to_be_visible()
        expect(manager.get_by_role("link", name="New rule")).to_have_count(0)
        expect(manager.get_by_role("button", name=f"Disable {NAME}")).to_have_count(0)
        fits(manager)
        screenshot(manager, f"rules-list-manager-{width}")
        manager.get_by_role("link", name=NAME).click()
        expect(manager.locator("table.rule-runs")).to_contain_text("post_reply done")
        expect(manager.get_by_role("link", name="Edit")).to_have_count(0)
        fits(manager)
        screenshot(manager, f"rules-rule-manager-{width}")
        manager.context.close()

    # Removing asks first; the rule is gone after (and fires on nothing else in this session).
    page.goto(rule_path)
    page.get_by_role("link", name="Remove").click()
    expect(page.get_by_role("heading", name=f"Remove “{NAME}”?")).to_be_visible()
    screenshot(page, "rules-remove-admin-390")
    page.get_by_role("button", name="Remove rule").click()
    expect(page.get_by_text(f"Rule “{NAME}” removed.")).to_be_visible()
    expect(page.get_by_role("link", name=NAME)).to_have_count(0)
    admin.close()

"""What if, in chromium: a manager runs the small example from the page, watches the progress
arrive over Socket.IO without reloading, and opens the result in the dashboard with both arms;
an agent is refused. Screenshots at 1366 and 390 px go to test-artifacts/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.browser.test_pages import sign_in

pytestmark = pytest.mark.browser


def test_a_manager_runs_a_scenario_and_opens_it_in_the_dashboard(page: Page, server) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, server["manager"])
    page.get_by_text("More", exact=True).click()
    page.get_by_role("link", name="What if").click()
    expect(page.get_by_role("heading", name="What if: tiers against swarming")).to_be_visible()
    page.get_by_label("Scenario", exact=True).select_option("small")
    page.get_by_label("Name of the run").fill("Browser run")
    page.get_by_label("Days of arrivals").fill("3")
    page.get_by_role("button", name="Run both arms").click()

    row = page.locator("tr[data-run]").filter(has_text="Browser run")
    expect(row).to_have_count(1)
    # Marked after the redirect: if the page reloaded to learn the outcome, the mark is gone.
    page.evaluate("window.stillTheSamePage = true")
    expect(row.locator("[data-state-label]")).to_have_text("Done", timeout=120_000)
    assert page.evaluate("window.stillTheSamePage === true")
    expect(row.locator("[data-progress]")).to_have_js_property("value", 1)
    expect(row.get_by_text(re.compile(r"Swarming: [\d,]+ of [\d,]+ resolved"))).to_be_visible()
    screenshot(page, "simulations-manager-1366")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "simulations-manager-390")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.set_viewport_size({"width": 1366, "height": 900})

    row.get_by_role("link", name="Open in the dashboard").click()
    expect(page).to_have_url(re.compile(r"/dashboard\?dataset=sim(:|%3A)browser-run-"))
    expect(page.locator("#dash-period")).to_contain_text("sim:browser-run-")
    expect(page.locator("body")).to_contain_text("Swarming")
    expect(page.locator("body")).to_contain_text("Tiered")
    screenshot(page, "simulations-dashboard-1366")


def test_a_bad_field_is_shown_beside_it(page: Page, server) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, server["manager"])
    page.goto("/simulations")
    runs = page.locator("tr[data-run]").count()
    page.get_by_label("Tickets per hour").fill("-4")
    page.get_by_label("Agents").fill("many")
    page.get_by_role("button", name="Run both arms").click()
    expect(page.get_by_text("Give a number above zero.")).to_be_visible()
    expect(page.get_by_text("Not a valid integer.")).to_be_visible()
    expect(page.get_by_label("Tickets per hour")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Tickets per hour")).to_have_value("-4")  # what was typed stays
    expect(page.get_by_text("Nothing started: see the messages beside the fields.")).to_be_visible()
    expect(page.locator("tr[data-run]")).to_have_count(runs)  # nothing started
    screenshot(page, "simulations-refused-manager-1366")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "simulations-refused-manager-390")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_an_agent_is_refused(page: Page, server) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, server["agent"])
    expect(page.get_by_role("link", name="What if")).to_have_count(0)
    answer = page.goto("/simulations")
    assert answer is not None and answer.status == 403

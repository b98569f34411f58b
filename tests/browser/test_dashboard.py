"""The manager dashboard in chromium, on a server seeded with the demo organisation: every
chart draws the demo's data, a filter redraws them, nothing is wider than a phone, and the
printed report is one page. Screenshots go to test-artifacts/."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from swarm.clock import SystemClock
from swarm.db import make_engine, make_session_factory
from swarm.demo import DEMO_PASSWORD, seed_demo
from swarm.migrate import upgrade
from tests.browser.conftest import running_server, screenshot

pytestmark = pytest.mark.browser

CHARTS = [
    "chart-handoffs",
    "chart-ttr-handoffs",
    "chart-survival",
    "chart-volume",
    "chart-weekly-ttr",
    "chart-backlog",
    "chart-knowledge",
]
#: Every chart has a Chart.js instance with at least one number in its data.
DRAWN = """ids => ids.every(id => {
  const chart = window.Chart && Chart.getChart(document.getElementById(id));
  return chart && chart.data.datasets.some(d => d.data.some(v =>
    v !== null && (typeof v === 'number' ? v > 0 : v.y > 0)));
})"""
CHART_DATA = """ids => JSON.stringify(ids.map(id =>
  Chart.getChart(document.getElementById(id)).data.datasets.map(d => d.data)))"""


@pytest.fixture(scope="module")
def demo(browser, tmp_path_factory) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A second server, over the demo organisation; yields its base URL."""
    instance = tmp_path_factory.mktemp("dashboard-demo")
    url = f"sqlite:///{instance / 'swarm.db'}"
    upgrade(url)
    engine = make_engine(url)
    seed_demo(make_session_factory(engine), SystemClock())
    engine.dispose()
    with running_server(url, instance) as base:
        yield base


def signed_in(browser, demo: str, who: str, width: int = 1366) -> Page:  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=demo, viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("E-mail").fill(f"{who}@example.com")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    return page


def open_dashboard(browser, demo: str, who: str, width: int = 1366) -> Page:  # type: ignore[no-untyped-def]
    page = signed_in(browser, demo, who, width)
    page.goto("/dashboard")
    page.wait_for_function(DRAWN, arg=CHARTS)
    return page


def test_every_chart_draws_the_demo_data(browser, demo):
    page = open_dashboard(browser, demo, "manager")

    assert page.locator("canvas").count() == len(CHARTS)
    expect(page.locator("article.arm h2")).to_have_text(["Swarming", "Tiered"])
    expect(page.locator(".verdict")).not_to_be_empty()
    # Each chart's figures are also a table, for whoever does not see the chart.
    page.locator("#table-handoffs summary").click()
    expect(page.locator("#table-handoffs tbody tr")).to_have_count(4)
    page.context.close()


def test_a_priority_filter_redraws_the_charts(browser, demo):
    page = open_dashboard(browser, demo, "manager")
    before = page.evaluate(CHART_DATA, CHARTS)

    page.get_by_label("P1").check()
    page.get_by_role("button", name="Apply").click()

    page.wait_for_function(
        "([ids, before]) => (" + CHART_DATA + ")(ids) !== before", arg=[CHARTS, before]
    )
    assert "priority=P1" in page.url
    assert "P1" in page.locator("#dash-period").inner_text()
    assert "priority=P1" in page.locator("#dash-csv").get_attribute("href")
    page.wait_for_function(DRAWN, arg=CHARTS)
    page.context.close()


@pytest.mark.parametrize("who", ["manager", "admin"])
@pytest.mark.parametrize("width", [1366, 390])
def test_nothing_is_wider_than_the_window(browser, demo, who, width):
    page = open_dashboard(browser, demo, who, width)

    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow == 0
    screenshot(page, f"dashboard-{who}-{width}")
    page.context.close()


def test_the_printed_report_is_one_page_without_the_nav(browser, demo):
    page = open_dashboard(browser, demo, "manager")
    expect(page.get_by_role("button", name="Print report")).to_be_visible()

    pdf = page.pdf(format="A4", print_background=True)

    assert [int(n) for n in re.findall(rb"/Count (\d+)", pdf)] == [1]
    page.emulate_media(media="print")
    expect(page.locator(".topbar")).to_be_hidden()
    expect(page.locator(".dash-filters")).to_be_hidden()
    screenshot(page, "dashboard-print")
    page.context.close()


def test_the_embedded_report_is_the_one_the_charts_draw(browser, demo):
    page = open_dashboard(browser, demo, "manager")
    data = json.loads(page.locator("#dashboard-data").text_content())["report"]

    shares = page.evaluate(
        "() => Chart.getChart(document.getElementById('chart-handoffs')).data.datasets[0].data"
    )
    assert shares == [data["arms"]["swarm"]["handoffs"]["share"][b] for b in ("0", "1", "2", "3+")]
    page.context.close()


def test_a_new_ticket_makes_the_open_dashboard_read_again(browser, demo):
    page = open_dashboard(browser, demo, "manager")
    status = page.locator("[data-live-status]")
    expect(status).to_have_text("Updates as tickets change.")
    expect(page.locator("[data-live-status][data-watching]")).to_have_count(1)

    requester = signed_in(browser, demo, "requester01")
    requester.goto("/tickets/new")
    requester.get_by_label("Subject").fill("Badge reader at the side door rejects my card")
    requester.get_by_label("Description").fill("Since this morning, red light.")
    requester.get_by_role("button", name="Open ticket").click()

    expect(status).to_contain_text("Updated at")
    page.wait_for_function(DRAWN, arg=CHARTS)
    requester.context.close()
    page.context.close()

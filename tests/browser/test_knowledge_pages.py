"""The knowledge base in the browser, at a laptop's width and a phone's: an agent writes an
article with the live preview, a manager publishes it, a requester finds it from the nav and
reads it — and nothing typed into it runs."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def go_to_kb(page: Page) -> None:
    """Through the nav, as a person would (behind the Menu button on a phone; for staff under
    "More", since their bar is full at 1366 px)."""
    page.wait_for_selector(".mainnav[data-enhanced]", state="attached")  # swarm.js ran
    menu = page.get_by_role("button", name="Menu")
    if menu.is_visible():
        menu.click()
    link = page.locator(".mainnav").get_by_role("link", name="Knowledge base")
    if not link.is_visible():  # staff find it under "More", beside the skill graph
        page.locator(".mainnav summary", has_text="More").click()
    link.click()
    expect(page.get_by_role("heading", name="Knowledge base", level=1)).to_be_visible()


def test_write_preview_publish_find_and_read(people, width):  # type: ignore[no-untyped-def]
    title = f"VPN drops on hotel Wi-Fi ({width})"
    agent = people("agent")
    go_to_kb(agent)
    agent.get_by_role("link", name="New article").click()
    agent.get_by_label("Title").fill(title)
    agent.get_by_label("Who may read it once published").select_option("public")
    body = agent.get_by_label("Text")
    body.fill(
        "Lower the **MTU** to 1380.\n\n<img src=x onerror=alert(1)> "
        "[help](javascript:alert(1))\n\n1. Open settings\n2. Save"
    )
    preview = agent.locator("#kb-preview")
    expect(preview.locator("strong")).to_have_text("MTU")
    expect(preview.locator("ol li")).to_have_count(2)
    expect(preview).to_contain_text("<img src=x onerror=alert(1)>")  # shown as text
    assert preview.locator("img, script, a[href^='javascript']").count() == 0
    screenshot(agent, f"kb-editor-{width}")
    agent.get_by_role("button", name="Save draft").click()
    expect(agent.get_by_role("heading", name=title, level=1)).to_be_visible()
    expect(agent.get_by_text("Draft saved.")).to_be_visible()
    agent.get_by_role("button", name="Submit for review").click()
    expect(agent.get_by_text("Sent for review.")).to_be_visible()
    article_path = re.sub(r"^https?://[^/]+", "", agent.url)

    manager = people("manager")
    manager.goto(article_path)
    manager.get_by_role("button", name="Publish").click()
    expect(manager.get_by_text("Published.")).to_be_visible()
    expect(manager.get_by_text(re.compile("reviewed by Mia Manager"))).to_be_visible()

    requester = people("requester")
    go_to_kb(requester)
    requester.get_by_role("searchbox", name="Search").fill("hotel mt")
    requester.get_by_role("button", name="Search").click()
    result = requester.get_by_role("link", name=title)
    expect(result).to_be_visible()
    expect(requester.locator(".kb-snippet mark").first).to_have_text(re.compile("MTU", re.I))
    screenshot(requester, f"kb-search-{width}")
    result.click()
    expect(requester.locator(".kb-body strong")).to_have_text("MTU")
    expect(requester.get_by_role("button", name="Publish")).to_have_count(0)
    expect(requester.get_by_text("version")).to_have_count(0)  # staff-only workings
    # Nothing wider than the screen: the article reads without scrolling sideways.
    overflow = requester.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    screenshot(requester, f"kb-article-{width}")


def test_an_edit_that_lost_keeps_the_text_typed(people, width):  # type: ignore[no-untyped-def]
    first = people("agent")
    first.goto("/kb/new")
    first.get_by_label("Title").fill(f"Printer jams ({width})")
    first.get_by_label("Text").fill("Open tray B.")
    first.get_by_role("button", name="Save draft").click()
    edit_path = re.sub(r"^https?://[^/]+", "", first.url) + "/edit"

    second = people("helper")
    second.goto(edit_path)
    first.goto(edit_path)
    first.get_by_label("Text").fill("Open tray B, then tray C.")
    first.get_by_role("button", name="Save").click()
    expect(first.get_by_text("Saved.")).to_be_visible()

    second.get_by_label("Text").fill("My careful rewrite.")
    second.get_by_role("button", name="Save").click()
    expect(second.get_by_text(re.compile("someone saved it meanwhile"))).to_be_visible()
    expect(second.get_by_label("Text")).to_have_value("My careful rewrite.")
    screenshot(second, f"kb-conflict-{width}")

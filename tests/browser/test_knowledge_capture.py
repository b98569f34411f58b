"""Knowledge in the workflow, in the browser at 1366 and 390 px: the agent's Knowledge panel
on a ticket suggests a published article, the agent names it on resolve (a reuse), drafts an
article from the swarm and lands in the editor with its live preview; the requester's page of
the same ticket shows none of it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


def test_panel_reuse_on_resolve_and_draft_from_the_swarm(people, server, width):  # type: ignore[no-untyped-def]
    manager = people("manager")
    title = f"Hotel Wi-Fi drops the VPN tunnel ({width})"
    api = {"Origin": server["base"], "Content-Type": "application/json"}
    made = manager.request.post(
        "/api/v1/articles",
        headers=api,
        data={"title": title, "body": "Lower the **MTU** to 1380.", "visibility": "public"},
    )
    assert made.status == 201, made.text()
    article_id = made.json()["id"]
    assert manager.request.post(f"/api/v1/articles/{article_id}/publish", headers=api, data={}).ok

    requester = people("requester")
    subject = f"Hotel Wi-Fi: VPN tunnel drops every few minutes ({width})"
    requester.goto("/tickets/new")
    requester.get_by_label("Subject").fill(subject)
    requester.get_by_label("Description").fill("On the hotel Wi-Fi the VPN tunnel drops.")
    requester.get_by_role("button", name="Open ticket").click()
    expect(requester.get_by_role("heading", name=subject)).to_be_visible()
    ticket_path = re.sub(r"^https?://[^/]+", "", requester.url)

    agent = people("agent")
    agent.goto(ticket_path)
    panel = agent.locator("#knowledge")
    expect(panel.get_by_role("heading", name="Knowledge")).to_be_visible()
    expect(panel.locator("#similar-articles").get_by_role("link", name=title)).to_be_visible()
    # Routing may already have given it to someone: the manager hands it to this agent.
    me = agent.request.get("/api/v1/auth/me").json()["user"]
    ticket_id = int(ticket_path.rsplit("/", 1)[-1])
    shown = agent.request.get(f"/api/v1/tickets/{ticket_id}").json()
    if (shown.get("owner") or {}).get("id") != me["id"]:
        assigned = manager.request.post(
            f"/api/v1/tickets/{ticket_id}/assign", headers=api, data={"agent_id": me["id"]}
        )
        assert assigned.ok, assigned.text()
        agent.reload()
    agent.get_by_label("Resolution").fill("Lowered the VPN client's MTU to 1380 on the laptop.")
    agent.locator(".kb-helped").get_by_label(title).check()
    panel.scroll_into_view_if_needed()
    screenshot(agent, f"kb-panel-resolving-{width}")
    agent.get_by_role("button", name="Resolve", exact=True).click()
    expect(agent.get_by_text("Ticket resolved.")).to_be_visible()
    expect(
        agent.get_by_text(f"linked article {article_id}: it helped resolve this")
    ).to_be_visible()
    expect(panel.get_by_text("helped resolve it")).to_be_visible()
    draft_button = panel.get_by_role("button", name="Draft an article from this swarm")
    draft_button.scroll_into_view_if_needed()
    no_sideways_scroll(agent)
    screenshot(agent, f"kb-panel-resolved-{width}")

    draft_button.click()
    expect(agent.get_by_text("Draft assembled from the swarm's work.")).to_be_visible()
    expect(agent.get_by_label("Title")).to_have_value(subject)
    expect(agent.get_by_label("Text")).to_have_value(re.compile("Lowered the VPN client's MTU"))
    preview = agent.locator("#kb-preview")
    expect(preview.get_by_role("heading", name="Solution")).to_be_visible()
    expect(preview).to_contain_text("resolved by")
    screenshot(agent, f"kb-draft-editor-{width}")
    agent.get_by_label("Text").fill(
        agent.get_by_label("Text").input_value() + "\n\nAlso: forget the hotel network."
    )
    agent.get_by_role("button", name="Save").click()
    expect(agent.get_by_text("Saved.")).to_be_visible()
    expect(agent.get_by_text(re.compile("From the work of Ada Agent"))).to_be_visible()
    agent.get_by_role("button", name="Submit for review").click()
    manager.goto(re.sub(r"^https?://[^/]+", "", agent.url))
    manager.get_by_role("button", name="Publish").click()
    expect(manager.get_by_text("Published.")).to_be_visible()
    expect(manager.get_by_role("link", name=re.compile(r"#\d+"))).to_be_visible()  # its source
    screenshot(manager, f"kb-captured-article-{width}")

    agent.goto(ticket_path)
    expect(panel.get_by_text("Drafted from this swarm:")).to_be_visible()
    expect(
        agent.get_by_text(re.compile(r"published article \d+, drafted from this swarm"))
    ).to_be_visible()

    requester.goto(ticket_path)
    expect(requester.get_by_text("Lowered the VPN client's MTU").first).to_be_visible()
    expect(requester.get_by_role("heading", name="Knowledge", exact=True)).to_have_count(0)
    expect(requester.locator("#knowledge, .kb-helped")).to_have_count(0)
    # The published article itself is the requester's to see: the portal shows the public
    # articles linked to their ticket inline (tests/browser/test_portal.py).
    for hidden in ("Draft an article", "linked article", "published article"):
        expect(requester.get_by_text(hidden)).to_have_count(0)
    no_sideways_scroll(requester)
    screenshot(requester, f"kb-requester-ticket-{width}")

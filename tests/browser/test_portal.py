"""The self-service portal in the browser, at a laptop's width and a phone's: a requester lands
on it, sees a matching article appear beside the form as they type, reads it, says "this solved
it" (no ticket), then for another problem still needs help and finds the article on the ticket
they opened — and the page reported what it displayed, nothing more."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def published_article(people, title: str, body: str) -> int:  # type: ignore[no-untyped-def]
    agent, manager = people("agent"), people("manager")
    created = agent.request.post(
        "/api/v1/articles", data={"title": title, "body": body, "visibility": "public"}
    )
    assert created.status == 201, created.text()
    article_id = int(created.json()["id"])
    done = manager.request.post(f"/api/v1/articles/{article_id}/publish", data={})
    assert done.status == 200, done.text()
    return article_id


def deflections(people) -> int:  # type: ignore[no-untyped-def]
    found = people("manager").request.get("/api/v1/metrics/knowledge")
    assert found.status == 200, found.text()
    return int(found.json()["deflection"]["deflected"])


def test_suggest_read_solve_then_still_need_help(people, width):  # type: ignore[no-untyped-def]
    title = f"Scanner on floor {width} shows error E52"
    published_article(
        people, title, f"Switch the **{width}** scanner off, wait ten seconds, switch it on."
    )
    before = deflections(people)

    requester = people("requester")
    expect(requester.get_by_role("heading", name="How can we help?")).to_be_visible()
    requester.get_by_label("Subject").fill(f"The {width} scanner says E52")
    suggestion = requester.locator(".portal-suggestion", has_text=title)
    expect(suggestion).to_be_visible()
    expect(requester.get_by_role("button", name="Still need help: open a ticket")).to_be_visible()
    overflow = requester.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    screenshot(requester, f"portal-suggestions-{width}")
    suggestion.get_by_role("button", name="Read it").click()
    expect(suggestion.locator(".portal-reader strong")).to_have_text(width)
    screenshot(requester, f"portal-reading-{width}")
    suggestion.get_by_role("button", name="This solved it").click()
    expect(requester.get_by_text("Glad that helped. No ticket was opened")).to_be_visible()
    expect(requester.get_by_label("Subject")).to_have_value("")
    screenshot(requester, f"portal-solved-{width}")
    assert deflections(people) == before + 1

    # Another problem: the article shows again, but this time it does not answer it.
    requester.get_by_label("Subject").fill(f"{width} scanner E52 again")
    requester.get_by_label("Description").fill("Switching it off and on did not help.")
    expect(requester.locator(".portal-suggestion", has_text=title)).to_be_visible()
    requester.wait_for_load_state("networkidle")  # the display report has reached the server
    requester.get_by_role("button", name="Still need help: open a ticket").click()
    expect(requester.get_by_text("opened.")).to_be_visible()
    articles = requester.locator("#ticket-articles")
    expect(articles).to_contain_text(title)
    expect(articles).to_contain_text("you saw it before asking")
    screenshot(requester, f"portal-ticket-{width}")
    assert deflections(people) == before + 1

    requester.goto("/portal")
    expect(requester.locator(".portal-tickets")).to_contain_text(f"{width} scanner E52 again")
    screenshot(requester, f"portal-home-{width}")

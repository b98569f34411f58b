"""Capture and reuse over HTTP (issue 14, items 2 and 6): draft an article from a resolved
ticket, name the articles that helped on resolve, the ticket's knowledge, and the "still
accurate?" flag with its confirmation — each with what requesters may not see."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.test_knowledge_api import publish


@pytest.fixture
def as_(login):  # type: ignore[no-untyped-def]
    """One signed-in client per person (signing in again and again hits the login limit)."""
    clients: dict[int, Any] = {}

    def client(user):  # type: ignore[no-untyped-def]
        if user.id not in clients:
            clients[user.id] = login(user)
        return clients[user.id]

    return client


@pytest.fixture
def claimed_ticket(as_, requester, agent):  # type: ignore[no-untyped-def]
    def open_claimed(subject: str) -> dict[str, Any]:
        created = as_(requester).post("/api/v1/tickets", json={"subject": subject, "body": "x"})
        as_(agent).post(f"/api/v1/tickets/{created.json['id']}/claim", json={})
        return dict(created.json)

    return open_claimed


def resolve(client, ticket_id: int, **body: Any):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/v1/tickets/{ticket_id}/resolve", json={"resolution": "Lowered the MTU.", **body}
    )


def test_draft_from_a_resolved_ticket(as_, agent, manager, requester, claimed_ticket):
    ticket = claimed_ticket("VPN drops on hotel Wi-Fi")
    early = as_(agent).post(f"/api/v1/tickets/{ticket['id']}/article-draft")
    assert early.status_code == 409 and early.json["error"]["code"]
    assert resolve(as_(agent), ticket["id"]).status_code == 200
    assert as_(requester).post(f"/api/v1/tickets/{ticket['id']}/article-draft").status_code == 403
    made = as_(manager).post(f"/api/v1/tickets/{ticket['id']}/article-draft")
    assert made.status_code == 201, made.json
    article = made.json
    assert (article["title"], article["state"], article["visibility"]) == (
        "VPN drops on hotel Wi-Fi",
        "draft",
        "internal",
    )
    assert "Lowered the MTU." in article["body"] and article["author"]["id"] == manager.id
    assert article["contributors"] == [{"id": agent.id, "name": "Ada Agent", "role": "owner"}]
    assert article["still_accurate"] is None  # not published
    again = as_(agent).post(f"/api/v1/tickets/{ticket['id']}/article-draft")
    assert again.status_code == 409 and str(article["id"]) in again.json["error"]["message"]
    around = as_(agent).get(f"/api/v1/tickets/{ticket['id']}/knowledge").json
    assert around["captured_article_id"] == article["id"]
    assert [(link["kind"], link["article"]["id"]) for link in around["linked"]] == [
        ("source", article["id"])
    ]


def test_articles_that_helped_are_named_on_resolve(as_, agent, manager, claimed_ticket):
    article = publish(as_, agent, manager)
    draft = as_(agent).post("/api/v1/articles", json={"title": "Draft", "body": "x"}).json
    ticket = claimed_ticket("VPN drops every few minutes again")
    refused = resolve(as_(agent), ticket["id"], articles=[article["id"], draft["id"]])
    assert refused.status_code == 422
    assert refused.json["error"]["fields"] == {"articles": [f"No published article {draft['id']}."]}
    assert as_(agent).get(f"/api/v1/tickets/{ticket['id']}").json["status"] == "open"
    assert resolve(as_(agent), ticket["id"], articles=["x"]).status_code == 422
    assert resolve(as_(agent), ticket["id"], articles=list(range(1, 12))).status_code == 422
    done = resolve(as_(agent), ticket["id"], articles=[article["id"]])
    assert done.status_code == 200, done.json
    events = as_(agent).get(f"/api/v1/tickets/{ticket['id']}/events").json["items"]
    [linked] = [e for e in events if e["type"] == "article_linked"]
    assert linked["data"] == {"article_id": article["id"], "kind": "resolved"}
    around = as_(agent).get(f"/api/v1/tickets/{ticket['id']}/knowledge").json
    assert [(link["kind"], link["article"]["id"]) for link in around["linked"]] == [
        ("resolved", article["id"])
    ]


def test_the_requester_sees_neither_the_links_nor_the_knowledge(
    as_, agent, manager, requester, claimed_ticket
):
    article = publish(as_, agent, manager)
    ticket = claimed_ticket("VPN drops every few minutes")
    resolve(as_(agent), ticket["id"], articles=[article["id"]])
    events = as_(requester).get(f"/api/v1/tickets/{ticket['id']}/events").json["items"]
    assert "article_linked" not in {e["type"] for e in events}
    assert as_(requester).get(f"/api/v1/tickets/{ticket['id']}/knowledge").status_code == 403
    seen = as_(requester).get(f"/api/v1/articles/{article['id']}").json
    assert "contributors" not in seen and "still_accurate" not in seen
    listed = as_(requester).get("/api/v1/articles").json["items"]
    assert all("still_accurate" not in item for item in listed)


@pytest.mark.app_config(kb_stale_reuses=2)
def test_a_reused_article_is_flagged_until_confirmed(
    as_, agent, manager, requester, claimed_ticket, clock
):
    article = publish(as_, agent, manager)
    for n in range(2):
        ticket = claimed_ticket(f"VPN drops {n}")
        clock.advance(minutes=1)
        assert resolve(as_(agent), ticket["id"], articles=[article["id"]]).status_code == 200
    flag = as_(agent).get(f"/api/v1/articles/{article['id']}").json["still_accurate"]
    assert (flag["flagged"], flag["reason"], flag["reuses"]) == (True, "reuses", 2)
    [item] = as_(agent).get("/api/v1/articles").json["items"]
    assert item["still_accurate"]["flagged"] is True
    assert as_(requester).post(f"/api/v1/articles/{article['id']}/confirm").status_code == 403
    clock.advance(minutes=1)
    confirmed = as_(agent).post(f"/api/v1/articles/{article['id']}/confirm")
    assert confirmed.status_code == 200, confirmed.json
    assert confirmed.json["still_accurate"] == {
        "flagged": False,
        "reason": None,
        "reuses": 0,
        "reviewed_at": confirmed.json["still_accurate"]["reviewed_at"],
    }
    draft = as_(agent).post("/api/v1/articles", json={"title": "Draft", "body": "x"}).json
    assert as_(agent).post(f"/api/v1/articles/{draft['id']}/confirm").status_code == 409

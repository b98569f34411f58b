"""The knowledge base over HTTP: who may write, publish and read; stale edits; limits; search
and suggestions; the JSON error shape; the OpenAPI document."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from swarm.models import User
from tests.api.test_knowledge_hostile import HOSTILE_QUERIES

Login = Callable[[User], FlaskClient]


@pytest.fixture
def colleague(db, clock) -> User:  # type: ignore[no-untyped-def]
    from tests.builders import make_agent

    return make_agent(db, clock, name="Cole Colleague")


def write(client: FlaskClient, **fields: Any) -> dict[str, Any]:
    body = {"title": "VPN drops every few minutes", "body": "Lower the **MTU** to 1380.", **fields}
    response = client.post("/api/v1/articles", json=body)
    assert response.status_code == 201, response.json
    return dict(response.json)


def publish(login: Login, agent: User, manager: User, **fields: Any) -> dict[str, Any]:
    article = write(login(agent), visibility="public", **fields)
    response = login(manager).post(f"/api/v1/articles/{article['id']}/publish", json={})
    assert response.status_code == 200, response.json
    return dict(response.json)


def test_staff_write_a_draft_and_read_it_rendered(login, agent):
    created = write(login(agent), category="Network")
    assert created["state"] == "draft" and created["version"] == 1
    assert created["html"] == "<p>Lower the <strong>MTU</strong> to 1380.</p>\n"
    assert created["author"]["id"] == agent.id and created["visibility"] == "internal"
    got = login(agent).get(f"/api/v1/articles/{created['id']}").json
    assert got["title"] == "VPN drops every few minutes" and got["category"] == "Network"


def test_requesters_may_not_write(login, requester):
    response = login(requester).post("/api/v1/articles", json={"title": "x", "body": "y"})
    assert response.status_code == 403
    assert response.json["error"]["code"] == "forbidden"


def test_a_requester_reads_a_published_public_article_without_the_workings(
    login, agent, manager, requester
):
    article = publish(login, agent, manager)
    seen = login(requester).get(f"/api/v1/articles/{article['id']}").json
    assert seen["title"] == article["title"] and "<strong>MTU</strong>" in seen["html"]
    for staff_only in ("author", "reviewers", "state", "visibility", "version", "created_at"):
        assert staff_only not in seen
    assert login(requester).get(f"/api/v1/articles/{article['id']}/versions").status_code == 404


@pytest.mark.parametrize("kind", ["draft", "internal", "archived"])
def test_a_requester_gets_404_for_what_is_not_published_and_public(
    login, agent, manager, requester, kind
):
    if kind == "draft":
        article = write(login(agent), visibility="public")
    elif kind == "internal":
        article = write(login(agent), visibility="internal")
        login(manager).post(f"/api/v1/articles/{article['id']}/publish", json={})
    else:
        article = publish(login, agent, manager)
        login(manager).post(f"/api/v1/articles/{article['id']}/archive")
    response = login(requester).get(f"/api/v1/articles/{article['id']}")
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"
    assert login(requester).get("/api/v1/articles?q=mtu").json == {"items": []}
    assert login(requester).get("/api/v1/articles/999999").status_code == 404


def test_a_stale_edit_is_a_conflict_and_the_first_text_is_kept(login, agent, colleague):
    article = write(login(agent))
    url = f"/api/v1/articles/{article['id']}"
    first = login(agent).put(url, json={"version": 1, "body": "First."})
    assert first.status_code == 200 and first.json["version"] == 2
    second = login(colleague).put(url, json={"version": 1, "body": "Second."})
    assert second.status_code == 409
    assert second.json["error"]["code"] == "conflict"
    assert "version 2, not 1" in second.json["error"]["message"]
    assert login(agent).get(url).json["body"] == "First."
    versions = login(agent).get(f"{url}/versions").json["items"]
    assert [v["number"] for v in versions] == [1, 2]
    diff = login(agent).get(f"{url}/diff?from=1&to=2").json
    assert diff["from"] == 1 and "+First." in diff["body"]


def test_edits_need_the_version(login, agent):
    article = write(login(agent))
    response = login(agent).put(f"/api/v1/articles/{article['id']}", json={"body": "x"})
    assert response.status_code == 422 and "version" in response.json["error"]["fields"]


def test_publishing_needs_a_reviewer_other_than_the_author(login, agent, colleague):
    article = write(login(agent), visibility="public")
    url = f"/api/v1/articles/{article['id']}"
    assert login(colleague).post(f"{url}/publish", json={}).status_code == 409  # a draft
    assert login(agent).post(f"{url}/submit").json["state"] == "in_review"
    refused = login(agent).post(f"{url}/publish", json={})
    assert refused.status_code == 403 and "reviewer" in refused.json["error"]["message"]
    published = login(colleague).post(f"{url}/publish", json={"version": 1}).json
    assert published["state"] == "published"
    assert [r["id"] for r in published["reviewers"]] == [colleague.id]


@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [
        ({"title": "x" * 201}, 422, "invalid"),
        ({"title": ""}, 422, "invalid"),
        ({"body": "x" * (100 * 1024 + 1)}, 413, "too_large"),
        ({"visibility": "secret"}, 422, "invalid"),
        ({"skills": [999]}, 422, "invalid"),
        ({"skills": ["1"]}, 422, "invalid"),
        ({"colour": "red"}, 422, "invalid"),
    ],
)
def test_bad_articles_get_a_clear_error(login, agent, fields, status, code):
    body = {"title": "VPN", "body": "x", **fields}
    response = login(agent).post("/api/v1/articles", json=body)
    assert response.status_code == status, response.json
    assert response.json["error"]["code"] == code and response.json["error"]["message"]


def test_a_huge_body_says_the_limit(login, agent):
    response = login(agent).post(
        "/api/v1/articles", json={"title": "Big", "body": "x" * 200 * 1024}
    )
    assert response.status_code == 413
    assert "at most 100 KB" in response.json["error"]["message"]


def test_search_is_ranked_highlighted_and_filtered(login, agent, manager, requester):
    publish(login, agent, manager, title="VPN drops", body="Lower the MTU.")
    publish(login, agent, manager, title="Printer", body="The VPN is unrelated.")
    write(login(agent), title="VPN draft", body="Not yet.", visibility="public")
    items = login(requester).get("/api/v1/articles?q=vpn").json["items"]
    assert [i["title"] for i in items] == ["VPN drops", "Printer"]
    assert items[0]["title_html"] == "<mark>VPN</mark> drops"
    assert "<mark>VPN</mark>" in items[1]["snippet_html"] and "state" not in items[0]
    staff = login(agent).get("/api/v1/articles?q=vp").json["items"]
    assert sorted(i["title"] for i in staff) == ["Printer", "VPN draft", "VPN drops"]
    latest = login(requester).get("/api/v1/articles").json["items"]
    assert [i["title"] for i in latest] == ["Printer", "VPN drops"]


@pytest.mark.parametrize("q", HOSTILE_QUERIES)
def test_no_query_is_a_500(login, agent, manager, q):
    publish(login, agent, manager)
    response = login(agent).get("/api/v1/articles", query_string={"q": q})
    assert response.status_code in (200, 422), response.json
    if response.status_code == 422:
        assert response.json["error"]["code"] == "invalid"


def test_suggestions_for_a_draft_ticket_are_published_public_articles(
    login, agent, manager, requester
):
    publish(login, agent, manager, title="VPN drops", body="Lower the MTU.")
    internal = write(login(agent), title="VPN internals", body="Gateway IPs.")
    login(manager).post(f"/api/v1/articles/{internal['id']}/publish", json={})
    text = "Hello, my VPN keeps dropping since this morning. Thanks!"
    for user in (requester, agent):
        items = login(user).post("/api/v1/articles/suggest", json={"text": text}).json["items"]
        assert [i["title"] for i in items] == ["VPN drops"]
    empty = login(requester).post("/api/v1/articles/suggest", json={"text": ""})
    assert empty.json == {"items": []}


def test_preview_renders_sanitised_html_for_staff_only(login, agent, requester):
    body = {"body": "**bold** <script>alert(1)</script> [x](javascript:alert(1))"}
    html = login(agent).post("/api/v1/articles/preview", json=body).json["html"]
    assert "<strong>bold</strong>" in html and "<script" not in html and "href" not in html
    assert login(requester).post("/api/v1/articles/preview", json=body).status_code == 403


def test_delete_and_archive(login, agent, manager):
    draft = write(login(agent))
    assert login(agent).delete(f"/api/v1/articles/{draft['id']}").status_code == 204
    assert login(agent).get(f"/api/v1/articles/{draft['id']}").status_code == 404
    article = publish(login, agent, manager)
    assert login(agent).delete(f"/api/v1/articles/{article['id']}").status_code == 403
    archived = login(agent).post(f"/api/v1/articles/{article['id']}/archive").json
    assert archived["state"] == "archived"


def test_the_routes_are_in_the_openapi_document(app):
    paths = app.test_client().get("/api/v1/openapi.json").json["paths"]
    for path in (
        "/api/v1/articles",
        "/api/v1/articles/{article_id}",
        "/api/v1/articles/{article_id}/publish",
        "/api/v1/articles/{article_id}/versions",
        "/api/v1/articles/{article_id}/diff",
        "/api/v1/articles/suggest",
    ):
        assert path in paths, path

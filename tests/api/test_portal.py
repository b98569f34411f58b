"""The self-service portal over HTTP: what a requester finds and sees, what is recorded as
evidence (suggestions displayed, articles opened, deflections), and "still need help"."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from swarm.models import PortalEvent, TicketEvent, User
from tests.builders import make_user

Login = Callable[[User], FlaskClient]
VISIT = "visit-0001-abcdef"


def html(response: Any) -> str:
    return str(response.get_data(as_text=True))


def csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    return found.group(1)


def article(login: Login, agent: User, manager: User, *, publish: bool = True, **fields: Any):
    body = {"title": "VPN drops every few minutes", "body": "Lower the MTU to 1380.", **fields}
    created = login(agent).post("/api/v1/articles", json=body)
    assert created.status_code == 201, created.json
    if publish:
        done = login(manager).post(f"/api/v1/articles/{created.json['id']}/publish", json={})
        assert done.status_code == 200, done.json
    return int(created.json["id"])


@pytest.fixture
def kb(login, agent, manager) -> dict[str, int]:
    return {
        "public": article(login, agent, manager, visibility="public"),
        "internal": article(
            login, agent, manager, visibility="internal", title="VPN secret gateway list"
        ),
        "draft": article(
            login, agent, manager, visibility="public", publish=False, title="VPN draft notes"
        ),
    }


def seen(client: FlaskClient, kind: str, ids: list[int], visit: str = VISIT) -> Any:
    return client.post(
        "/api/v1/portal/events", json={"visit": visit, "type": kind, "article_ids": ids}
    )


def rows(db, user: User) -> list[tuple[str, int, int | None]]:
    db.expire_all()
    found = db.scalars(
        select(PortalEvent).where(PortalEvent.user_id == user.id).order_by(PortalEvent.id)
    )
    return [(r.type, r.article_id, r.ticket_id) for r in found]


# ------------------------------------------------------------------------------ the page


def test_a_requester_lands_on_the_portal(login, requester):
    response = login(requester).get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/portal")


def test_the_portal_finds_only_published_public_articles(login, requester, kb):
    page = html(login(requester).get("/portal?q=vpn"))
    assert "1 article found" in page
    assert f'/kb/{kb["public"]}"' in page
    assert "secret gateway" not in page and "draft notes" not in page


def test_the_portal_lists_only_the_requesters_own_tickets(login, requester, db, clock):
    other = make_user(db, clock, name="Otto Other")
    login(requester).post("/api/v1/tickets", json={"subject": "My printer jams", "body": "x"})
    login(other).post("/api/v1/tickets", json={"subject": "Otto's laptop is slow", "body": "y"})
    page = html(login(requester).get("/portal"))
    assert "My printer jams" in page and "laptop is slow" not in page


def test_rendering_the_portal_records_nothing(login, requester, kb, db):
    login(requester).get("/portal?q=vpn")
    assert rows(db, requester) == []


# ------------------------------------------------------------------------ the evidence


def test_a_suggestion_displayed_is_recorded_once_per_visit(login, requester, kb, db):
    client = login(requester)
    assert seen(client, "article_suggested", [kb["public"]]).json == {"recorded": 1}
    assert seen(client, "article_suggested", [kb["public"]]).json == {"recorded": 0}
    assert seen(client, "article_viewed", [kb["public"]]).json == {"recorded": 1}
    assert seen(client, "article_suggested", [kb["public"]], "another-visit-01").json == {
        "recorded": 1
    }
    assert [r[:2] for r in rows(db, requester)] == [
        ("article_suggested", kb["public"]),
        ("article_viewed", kb["public"]),
        ("article_suggested", kb["public"]),
    ]


@pytest.mark.parametrize("which", ["internal", "draft"])
def test_an_article_a_requester_may_not_read_is_not_recorded(login, requester, kb, db, which):
    response = seen(login(requester), "article_suggested", [kb["public"], kb[which]])
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"
    assert rows(db, requester) == []  # nothing half-stored


@pytest.mark.parametrize(
    "body",
    [
        {"visit": "short", "type": "article_suggested", "article_ids": [1]},
        {"visit": "bad visit id!", "type": "article_suggested", "article_ids": [1]},
        {"visit": VISIT, "type": "deflected", "article_ids": [1]},
        {"visit": VISIT, "type": "article_viewed", "article_ids": []},
        {"visit": VISIT, "type": "article_viewed", "article_ids": list(range(1, 12))},
    ],
)
def test_malformed_reports_are_refused(login, requester, body):
    response = login(requester).post("/api/v1/portal/events", json=body)
    assert response.status_code == 422 and response.json["error"]["code"]


def test_staff_reports_are_refused(login, agent, kb):
    assert seen(login(agent), "article_suggested", [kb["public"]]).status_code == 403


def test_a_deflection_needs_an_article_seen_in_the_visit_and_ends_it(login, requester, kb, db):
    client = login(requester)
    unseen = client.post(
        "/api/v1/portal/deflections", json={"visit": VISIT, "article_id": kb["public"]}
    )
    assert unseen.status_code == 409
    seen(client, "article_suggested", [kb["public"]])
    done = client.post(
        "/api/v1/portal/deflections", json={"visit": VISIT, "article_id": kb["public"]}
    )
    assert done.status_code == 201 and done.json["article_id"] == kb["public"]
    again = client.post(
        "/api/v1/portal/deflections", json={"visit": VISIT, "article_id": kb["public"]}
    )
    assert again.status_code == 409
    assert seen(client, "article_viewed", [kb["public"]]).status_code == 409
    assert rows(db, requester) == [
        ("article_suggested", kb["public"], None),
        ("deflected", kb["public"], None),
    ]


def test_still_need_help_opens_the_ticket_with_the_shown_articles_attached(
    login, requester, kb, db, agent, manager
):
    other = article(login, agent, manager, visibility="public", title="Printer jams on tray 2")
    client = login(requester)
    seen(client, "article_suggested", [kb["public"]])
    token = csrf(html(client.get("/portal")))
    response = client.post(
        "/portal/tickets",
        data={
            "csrf_token": token,
            "subject": "VPN keeps dropping",
            "body": "Every few minutes since Monday.",
            "priority": "P3",
            "visit": VISIT,
            # `other` was never reported displayed: the form cannot attach it.
            "shown": [str(kb["public"]), str(other)],
        },
    )
    assert response.status_code == 302, html(response)
    ticket_id = int(response.headers["Location"].rsplit("/", 1)[1])
    db.expire_all()
    attached = db.scalars(
        select(TicketEvent).where(
            TicketEvent.ticket_id == ticket_id, TicketEvent.type == "article_suggested"
        )
    ).all()
    assert [(e.data["article_id"], e.data["via"], e.actor_id) for e in attached] == [
        (kb["public"], "portal", requester.id)
    ]
    assert rows(db, requester) == [("article_suggested", kb["public"], ticket_id)]
    # The visit is over: the same draft cannot also be a deflection.
    late = client.post(
        "/api/v1/portal/deflections", json={"visit": VISIT, "article_id": kb["public"]}
    )
    assert late.status_code == 409
    # On their ticket the requester finds the article inline, and no classification.
    page = html(client.get(f"/tickets/{ticket_id}"))
    assert "Help articles" in page and "you saw it before asking" in page
    assert "Lower the MTU to 1380." in page
    events = client.get(f"/api/v1/tickets/{ticket_id}/events").json
    items = events["items"] if isinstance(events, dict) else events
    assert "classified" not in {e["type"] for e in items}


def test_another_requester_cannot_see_the_ticket_page(login, requester, db, clock):
    other = make_user(db, clock, name="Otto Other")
    created = login(requester).post("/api/v1/tickets", json={"subject": "Mine", "body": "x"})
    assert login(other).get(f"/tickets/{created.json['id']}").status_code == 404


# ------------------------------------------------------------------------------ the metrics


def test_the_knowledge_metrics_count_the_portals_deflections(login, requester, kb, manager, clock):
    client = login(requester)
    seen(client, "article_suggested", [kb["public"]])
    client.post("/api/v1/portal/deflections", json={"visit": VISIT, "article_id": kb["public"]})
    seen(client, "article_suggested", [kb["public"]], "second-visit-01")
    token = csrf(html(client.get("/portal")))
    client.post(
        "/portal/tickets",
        data={"csrf_token": token, "subject": "VPN", "body": "Drops", "visit": "second-visit-01"},
    )
    clock.advance(minutes=1)  # live tickets are measured as of now: their events before it
    found = login(manager).get("/api/v1/metrics/knowledge")
    assert found.status_code == 200, found.json
    deflection = found.json["deflection"]
    assert (deflection["visits"], deflection["deflected"], deflection["ticketed"]) == (2, 1, 1)
    assert deflection["rate"] == 0.5
    assert sum(arm["tickets"] for arm in found.json["arms"].values()) == 1
    assert login(requester).get("/api/v1/metrics/knowledge").status_code == 403

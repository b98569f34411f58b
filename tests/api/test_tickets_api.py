"""The ticket endpoints: validation, access rules, lifecycle, errors — all as JSON."""

from __future__ import annotations

import pytest

from tests.builders import make_agent, make_user


def open_ticket(client, **fields):
    body = {"subject": "Cannot print to 3rd floor printer", "body": "Jobs stay queued."}
    body.update(fields)
    response = client.post("/api/v1/tickets", json=body)
    assert response.status_code == 201, response.json
    return response.json


def test_opening_a_ticket_returns_201_with_its_id(login, requester):
    client = login(requester)
    ticket = open_ticket(client, priority="P2")
    assert isinstance(ticket["id"], int)
    assert ticket["status"] == "new" and ticket["priority"] == "P2"
    assert ticket["requester"] == {"id": requester.id, "name": "Rita Requester"}
    assert client.get(f"/api/v1/tickets/{ticket['id']}").json["subject"] == ticket["subject"]


def test_priority_defaults_to_p3(login, requester):
    assert open_ticket(login(requester))["priority"] == "P3"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"body": "no subject"}, "subject"),
        ({"subject": "no body"}, "body"),
        ({"subject": "s", "body": "b", "priority": "urgent"}, "priority"),
        ({"subject": "s", "body": "b", "colour": "red"}, "colour"),
        ({"subject": "x" * 201, "body": "b"}, "subject"),
        ({"subject": 5, "body": "b"}, "subject"),
    ],
)
def test_invalid_fields_get_422_naming_the_field(login, requester, payload, field):
    response = login(requester).post("/api/v1/tickets", json=payload)
    assert response.status_code == 422
    assert response.json["error"]["code"] == "invalid"
    assert field in response.json["error"]["fields"]
    assert field in response.json["error"]["message"]


def test_malformed_json_is_400(login, requester):
    response = login(requester).post(
        "/api/v1/tickets", data="{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json["error"]["message"] == "The request body is not valid JSON."


def test_a_body_over_64_kb_is_413_and_nothing_is_stored(login, requester):
    client = login(requester)
    response = client.post(
        "/api/v1/tickets", json={"subject": "Huge log", "body": "é" * (33 * 1024)}
    )
    assert response.status_code == 413
    assert response.json["error"]["code"] == "too_large"
    assert client.get("/api/v1/tickets").json["items"] == []


def test_a_request_over_one_megabyte_is_413(login, requester):
    response = login(requester).post(
        "/api/v1/tickets", json={"subject": "Huge", "body": "x" * (1024 * 1024 + 10)}
    )
    assert response.status_code == 413
    assert response.json["error"]["code"] == "too_large"


def test_a_requester_gets_404_for_someone_elses_ticket(login, requester, db, clock):
    other = make_user(db, clock)
    ticket = open_ticket(login(other))
    client = login(requester)
    for path in ("", "/events"):
        response = client.get(f"/api/v1/tickets/{ticket['id']}{path}")
        assert response.status_code == 404
        assert response.json["error"] == {
            "code": "not_found",
            "message": f"There is no ticket {ticket['id']}.",
            "request_id": response.headers["X-Request-Id"],
        }
    missing = client.get("/api/v1/tickets/99999")
    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"


def test_events_are_listed_in_order_with_actor_and_data(login, requester, agent):
    ticket = open_ticket(login(requester))
    staff = login(agent)
    assert staff.post(f"/api/v1/tickets/{ticket['id']}/claim", json={}).status_code == 200
    events = staff.get(f"/api/v1/tickets/{ticket['id']}/events").json["items"]
    # No skill is known in this empty organisation: routing puts the ticket in triage.
    assert [e["type"] for e in events] == ["created", "queued", "assigned", "status_changed"]
    assert events[1]["data"]["tier"] is None and events[1]["actor"] is None
    assert set(events[0]) == {"id", "type", "ticket_id", "at", "actor", "data"}
    assert events[2]["actor"] == {"id": agent.id, "name": "Ada Agent"}
    assert events[2]["data"]["by"] == "pull"
    assert [e["id"] for e in events] == sorted(e["id"] for e in events)


def test_lifecycle_through_the_api(login, requester, agent, manager):
    customer, staff = login(requester), login(agent)
    ticket_id = open_ticket(customer)["id"]
    url = f"/api/v1/tickets/{ticket_id}"

    assert staff.post(f"{url}/claim", json={}).json["owner"]["id"] == agent.id
    assert staff.post(f"{url}/status", json={"status": "pending"}).json["status"] == "pending"
    note = staff.post(f"{url}/notes", json={"body": "Waiting on the user to reboot."})
    assert note.status_code == 201 and note.json["kind"] == "note"
    assert staff.post(f"{url}/status", json={"status": "open"}).json["status"] == "open"
    resolved = staff.post(f"{url}/resolve", json={"resolution": "Cleared the spooler."})
    assert resolved.json["status"] == "resolved"
    assert resolved.json["resolution"] == "Cleared the spooler."
    assert customer.post(f"{url}/reopen", json={"reason": "Still stuck"}).json["status"] == "open"
    reassigned = login(manager).post(f"{url}/assign", json={"agent_id": manager.id})
    assert reassigned.json["owner"]["id"] == manager.id

    customer_view = [e["type"] for e in customer.get(f"{url}/events").json["items"]]
    assert "note" not in customer_view
    assert customer_view[-2:] == ["reopened", "assigned"]
    assert customer.get(f"{url}/notes").status_code == 403


def test_illegal_transitions_are_409_with_a_sentence(login, requester, agent):
    ticket_id = open_ticket(login(requester))["id"]
    staff = login(agent)
    response = staff.post(f"/api/v1/tickets/{ticket_id}/status", json={"status": "pending"})
    assert response.status_code == 409
    assert response.json["error"]["code"] == "illegal_transition"
    assert "cannot go from new to pending" in response.json["error"]["message"]

    staff.post(f"/api/v1/tickets/{ticket_id}/claim", json={})
    again = login(make_agent_in(agent)).post(f"/api/v1/tickets/{ticket_id}/claim", json={})
    assert again.status_code == 409 and "Ada Agent" in again.json["error"]["message"]


def make_agent_in(agent):
    """A second agent in the same database as ``agent``."""
    from sqlalchemy.orm import object_session

    from swarm.clock import SystemClock

    session = object_session(agent)
    return make_agent(session, SystemClock())


def test_resolution_is_required(login, requester, agent):
    ticket_id = open_ticket(login(requester))["id"]
    staff = login(agent)
    staff.post(f"/api/v1/tickets/{ticket_id}/claim", json={})
    missing = staff.post(f"/api/v1/tickets/{ticket_id}/resolve", json={})
    assert missing.status_code == 422 and "resolution" in missing.json["error"]["fields"]
    blank = staff.post(f"/api/v1/tickets/{ticket_id}/resolve", json={"resolution": "  "})
    assert blank.status_code == 422 and "resolution" in blank.json["error"]["fields"]


def test_a_requester_cannot_act_as_an_agent(login, requester):
    client = login(requester)
    ticket_id = open_ticket(client)["id"]
    response = client.post(f"/api/v1/tickets/{ticket_id}/claim", json={})
    assert response.status_code == 403 and response.json["error"]["code"] == "forbidden"
    assert client.get("/api/v1/agents").status_code == 403


def test_listing_filters_and_paginates(login, requester, agent):
    customer = login(requester)
    ids = [open_ticket(customer, subject=f"Laptop {i} will not boot")["id"] for i in range(5)]
    staff = login(agent)
    staff.post(f"/api/v1/tickets/{ids[0]}/claim", json={})

    page = staff.get("/api/v1/tickets?limit=2").json
    assert [t["id"] for t in page["items"]] == [ids[4], ids[3]]
    page2 = staff.get(f"/api/v1/tickets?limit=2&cursor={page['next']}").json
    assert [t["id"] for t in page2["items"]] == [ids[2], ids[1]]

    mine = staff.get("/api/v1/tickets?owner=me").json["items"]
    assert [t["id"] for t in mine] == [ids[0]]
    unowned = staff.get("/api/v1/tickets?owner=none&status=new").json["items"]
    assert ids[0] not in [t["id"] for t in unowned] and len(unowned) == 4
    assert [t["id"] for t in staff.get("/api/v1/tickets?q=laptop%203").json["items"]] == [ids[3]]
    assert staff.get("/api/v1/tickets?mode=tiered").json["items"] == []

    assert staff.get("/api/v1/tickets?limit=0").status_code == 422
    assert staff.get("/api/v1/tickets?bogus=1").status_code == 422
    assert staff.get("/api/v1/tickets?cursor=abc").status_code == 422


def test_cookie_requests_from_another_origin_are_refused(login, requester):
    client = login(requester)
    response = client.post(
        "/api/v1/tickets",
        json={"subject": "s", "body": "b"},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403
    assert client.get("/api/v1/tickets").json["items"] == []


def test_cookie_requests_must_be_json(login, requester):
    client = login(requester)
    response = client.post("/api/v1/tickets", data={"subject": "s", "body": "b"})
    assert response.status_code == 415
    assert response.json["error"]["code"] == "unsupported_media_type"


def test_token_requests_work_without_cookies(app, login, requester):
    token = login(requester).post("/api/v1/auth/tokens", json={"name": "cli"}).json["token"]
    response = app.test_client().post(
        "/api/v1/tickets",
        json={"subject": "From a script", "body": "Disk almost full on fs01"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201


def test_assign_rejects_an_unknown_agent(login, requester, agent):
    ticket_id = open_ticket(login(requester))["id"]
    response = login(agent).post(f"/api/v1/tickets/{ticket_id}/assign", json={"agent_id": 424242})
    assert response.status_code == 422
    assert response.json["error"]["fields"] == {"agent_id": ["Not an active agent."]}


def test_agents_are_listed_for_staff(login, agent, manager, db, clock):
    make_user(db, clock)  # a requester is not an agent
    names = [a["name"] for a in login(agent).get("/api/v1/agents").json["items"]]
    assert names == ["Ada Agent", "Max Manager"]


def test_a_page_of_tickets_costs_the_same_queries_however_many_have_vendor_handoffs(
    app, login, requester, agent, db, clock
):
    """Each ticket shows its vendor hand-off: loaded for the whole page at once, not per row."""
    from sqlalchemy import event

    from swarm.models import Vendor, VendorHandoff

    vendor = Vendor(name="Acme Networks", sla_seconds=3600, created_at=clock.now())
    db.add(vendor)
    db.commit()
    client, customer = login(agent), login(requester)

    def queries_for_a_page_with(handoffs: int) -> int:
        for n in range(handoffs):
            ticket_id = open_ticket(customer, subject=f"Router {n}")["id"]
            db.add(
                VendorHandoff(
                    ticket_id=ticket_id,
                    vendor_id=vendor.id,
                    external_ref=f"ACME-{n}",
                    handed_off_at=clock.now(),
                    status_at=clock.now(),
                    sla_seconds=3600,
                )
            )
        db.commit()
        statements: list[str] = []
        engine = app.extensions["swarm"].engine
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            page = client.get("/api/v1/tickets?limit=25")
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        assert page.status_code == 200
        assert all(t["vendor"]["vendor"]["name"] == "Acme Networks" for t in page.json["items"])
        return len(statements)

    assert queries_for_a_page_with(2) == queries_for_a_page_with(10)


def test_the_requester_reads_the_public_timeline_and_staff_the_whole_log(
    login, requester, agent, manager, claimed_ticket, connect, db, clock
):
    ticket = claimed_ticket("Printer jams", "Tray 2")
    tid = ticket["id"]
    staff = login(agent)
    staff.post(
        f"/api/v1/tickets/{tid}/assign",
        json={"agent_id": manager.id, "why": "Jonas has 5 open; Lucía owned 2 earlier"},
    )
    login(manager).post(f"/api/v1/tickets/{tid}/notes", json={"body": "Tray sensor, VLAN 12"})
    client = connect(manager)
    assert client.emit("raise_hand", {"ticket_id": tid, "note": "anyone on HP?"}, callback=True)[
        "ok"
    ]
    login(manager).post(f"/api/v1/tickets/{tid}/status", json={"status": "pending"})

    mine = login(requester).get(f"/api/v1/tickets/{tid}/events")
    assert mine.status_code == 200
    public = mine.json["items"]
    assert [e["type"] for e in public] == [
        "created",
        "assigned",
        "status_changed",
        "assigned",
        "status_changed",
    ]
    assert public[3]["data"] == {"agent_id": manager.id}
    text = repr(public)
    for secret in ("why", "Jonas has 5", "VLAN", "anyone on HP", "mode", "previous_owner_id"):
        assert secret not in text
    whole = [e["type"] for e in staff.get(f"/api/v1/tickets/{tid}/events").json["items"]]
    assert {"note", "hand_raised"} <= set(whole)


def test_listing_sorts_filters_by_priority_counts_and_pages_by_number(login, requester, agent):
    customer = login(requester)
    priorities = ["P3", "P1", "P4", "P1", "P2"]
    ids = [
        open_ticket(customer, subject=f"Printer {i} jams", priority=p)["id"]
        for i, p in enumerate(priorities)
    ]
    staff = login(agent)

    newest = staff.get("/api/v1/tickets?limit=2").json
    assert newest["total"] == 5 and [t["id"] for t in newest["items"]] == [ids[4], ids[3]]
    oldest = staff.get("/api/v1/tickets?sort=oldest&limit=2").json
    assert [t["id"] for t in oldest["items"]] == [ids[0], ids[1]]
    after = staff.get(f"/api/v1/tickets?sort=oldest&limit=2&cursor={oldest['next']}").json
    assert [t["id"] for t in after["items"]] == [ids[2], ids[3]]

    by_priority = staff.get("/api/v1/tickets?sort=priority").json["items"]
    # P1 first; equal priorities newest first, so the order never shuffles between readings.
    assert [t["id"] for t in by_priority] == [ids[3], ids[1], ids[4], ids[0], ids[2]]
    page2 = staff.get("/api/v1/tickets?sort=priority&limit=2&page=2").json
    assert [t["id"] for t in page2["items"]] == [ids[4], ids[0]]
    assert page2["total"] == 5 and page2["next"] is None

    p1 = staff.get("/api/v1/tickets?priority=P1").json
    assert p1["total"] == 2 and {t["id"] for t in p1["items"]} == {ids[1], ids[3]}
    assert customer.get("/api/v1/tickets?priority=P4").json["total"] == 1

    assert staff.get("/api/v1/tickets?sort=priority&cursor=3").status_code == 422
    assert staff.get("/api/v1/tickets?cursor=3&page=1").status_code == 422
    assert staff.get("/api/v1/tickets?sort=random").status_code == 422
    assert staff.get("/api/v1/tickets?priority=P9").status_code == 422


def test_the_event_log_comes_a_page_at_a_time(login, requester, agent):
    owner = login(agent)
    ticket = open_ticket(login(requester))
    path = f"/api/v1/tickets/{ticket['id']}"
    owner.post(f"{path}/claim", json={})
    for n in range(5):
        assert owner.post(f"{path}/notes", json={"body": f"note {n}"}).status_code == 201
    everything = owner.get(f"{path}/events").json
    assert everything["next_after"] is None
    ids = [e["id"] for e in everything["items"]]
    assert len(ids) >= 7  # created, assigned, five notes (and what routing wrote)

    pages, after = [], None
    while True:
        query = f"?limit=3&after={after}" if after else "?limit=3"
        page = owner.get(f"{path}/events{query}").json
        assert len(page["items"]) <= 3
        pages.append([e["id"] for e in page["items"]])
        after = page["next_after"]
        if after is None:
            break
    assert [i for p in pages for i in p] == ids
    assert [len(p) for p in pages[:-1]] == [3] * (len(pages) - 1) and 1 <= len(pages[-1]) <= 3


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=1001", "after=-1", "after=x", "after=99999999999999999999"]
)
def test_a_bad_event_page_is_422(login, requester, query):
    client = login(requester)
    ticket = open_ticket(client)
    answer = client.get(f"/api/v1/tickets/{ticket['id']}/events?{query}")
    assert answer.status_code == 422
    assert query.split("=")[0] in answer.json["error"]["fields"]

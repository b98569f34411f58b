"""The tiered-mode API: configuration, queues, manual moves and vendors, with every refusal
answered by a status and a sentence."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from swarm.dispatch.sweeper import sweep_once
from tests.builders import make_agent


def agent_in(db, clock, tier: int, name: str):
    agent = make_agent(db, clock, name=name)
    agent.profile.tier = tier
    db.commit()
    return agent


@pytest.fixture
def desk(app, db, clock, login, requester, manager) -> dict[str, Any]:
    """A tiered organisation: one agent per tier, a manager, and their signed-in clients."""
    people = {
        "l1": agent_in(db, clock, 1, "Lee One"),
        "l2": agent_in(db, clock, 2, "Tess Two"),
        "l3": agent_in(db, clock, 3, "Theo Three"),
        "vc": agent_in(db, clock, 4, "Vic Vendors"),
    }
    clients = {name: login(user) for name, user in people.items()}
    clients["manager"] = login(manager)
    clients["requester"] = login(requester)
    answer = clients["manager"].put("/api/v1/config/routing", json={"mode": "tiered"})
    assert answer.status_code == 200, answer.json
    return {**people, "clients": clients}


def open_ticket(client: FlaskClient, **kw: Any) -> dict[str, Any]:
    body = {"subject": "Printer jams", "body": "Tray 2 jams on every job.", **kw}
    response = client.post("/api/v1/tickets", json=body)
    assert response.status_code == 201, response.json
    return response.json


def error(response) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return response.json["error"]


def set_limit(client: FlaskClient, tier: int, priority: str, seconds: Any):  # type: ignore[no-untyped-def]
    doc = client.get("/api/v1/tiers").json
    for item in doc["tiers"]:
        if item["tier"] == tier:
            item["limits"][priority] = seconds
    return client.put("/api/v1/tiers", json={"tiers": doc["tiers"]})


def test_a_p3_ticket_escalates_by_time_within_the_limit_and_one_sweep(app, desk, clock):
    """The issue's "done when": mode tiered, Tier 1 limit of a few seconds."""
    c = desk["clients"]
    assert set_limit(c["manager"], 1, "P3", 3).status_code == 200
    ticket = open_ticket(c["requester"])
    assert ticket["mode"] == "tiered" and ticket["tier"] == 1
    assert ticket["tier_entered_at"] is not None
    clock.advance(seconds=3)
    assert sweep_once(app.extensions["swarm"]) == 1
    events = c["l1"].get(f"/api/v1/tickets/{ticket['id']}/events").json["items"]
    escalated = [e for e in events if e["type"] == "escalated"]
    assert len(escalated) == 1
    assert escalated[0]["data"]["reason"] == "time_limit"
    assert escalated[0]["data"]["from_tier"] == 1 and escalated[0]["data"]["to_tier"] == 2
    assert escalated[0]["actor"] is None


def test_agents_read_the_configuration_and_only_managers_write_it(desk):
    c = desk["clients"]
    assert c["l1"].get("/api/v1/config/routing").json["mode"] == "tiered"
    tiers = c["l1"].get("/api/v1/tiers").json["tiers"]
    assert [t["tier"] for t in tiers] == [0, 1, 2, 3, 4]
    assert tiers[1]["limits"]["P3"] == 900
    refused = c["l1"].put("/api/v1/config/routing", json={"mode": "swarm"})
    assert refused.status_code == 403 and "managers and admins" in error(refused)["message"]
    assert set_limit(c["l1"], 1, "P3", 60).status_code == 403
    assert c["requester"].get("/api/v1/tiers").status_code == 403


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"mode": "split", "split_ratio": 1.5}, "between 0 and 1"),
        ({"mode": "split", "split_ratio": -0.1}, "between 0 and 1"),
        ({"mode": "split", "split_ratio": "half"}, "must be a number"),
        ({"mode": "chaos"}, "Unknown routing mode 'chaos'"),
        ({"mode": "swarm", "overrides": {"printers": "fast"}}, "Override for 'printers'"),
    ],
)
def test_a_bad_routing_configuration_is_refused_with_its_sentence(desk, body, words):
    c = desk["clients"]
    response = c["manager"].put("/api/v1/config/routing", json=body)
    assert response.status_code == 422
    assert words in error(response)["message"]
    assert c["manager"].get("/api/v1/config/routing").json["mode"] == "tiered"


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (0, "more than 0 seconds"),
        (-60, "more than 0 seconds"),
        (10**9, "more than 30 days"),
        (1.5, "whole number of seconds"),
        ("15m", "must be a number of seconds or null"),
    ],
)
def test_bad_limits_are_refused_and_the_old_ones_stay(desk, seconds, words):
    c = desk["clients"]
    response = set_limit(c["manager"], 1, "P3", seconds)
    assert response.status_code == 422, response.json
    assert words in error(response)["message"]
    assert c["manager"].get("/api/v1/tiers").json["tiers"][1]["limits"]["P3"] == 900


def test_a_gap_in_the_tiers_is_refused(desk):
    tiers = [{"tier": 1, "name": "Desk", "limits": {}}, {"tier": 3, "name": "Eng", "limits": {}}]
    response = desk["clients"]["manager"].put("/api/v1/tiers", json={"tiers": tiers})
    assert response.status_code == 422
    assert "Tier 2 is missing between Tier 1 and Tier 3" in error(response)["message"]


def test_intake_and_collaboration_are_set_per_tier_and_read_back(desk):
    c = desk["clients"]
    tiers = c["manager"].get("/api/v1/tiers").json["tiers"]
    assert [t["intake"] for t in tiers] == ["push", "pull", "push", "push", "push"]
    tiers[2]["intake"] = "pull"
    body = {"tiers": tiers, "collaboration": "within_tier"}
    saved = c["manager"].put("/api/v1/tiers", json=body)
    assert saved.status_code == 200, saved.json
    doc = c["l1"].get("/api/v1/tiers").json
    assert [t["intake"] for t in doc["tiers"]] == ["push", "pull", "pull", "push", "push"]
    assert doc["collaboration"] == "within_tier"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"collaboration": "sometimes"}, "Unknown collaboration setting 'sometimes'"),
        ({"collaboration": "swarm"}, "use one of off, within_tier, open"),
        ({"tiers": [{"tier": 1, "name": "Desk", "intake": "auto"}]}, "Tier 1 intake must be"),
        ({"tiers": [{"tier": 1, "name": "Desk", "intake": True}]}, "Tier 1 intake must be"),
    ],
)
def test_bad_intake_or_collaboration_is_refused_and_nothing_changes(desk, body, words):
    c = desk["clients"]
    response = c["manager"].put("/api/v1/tiers", json=body)
    assert response.status_code == 422, response.json
    assert words in error(response)["message"]
    doc = c["manager"].get("/api/v1/tiers").json
    assert doc["collaboration"] == "off" and doc["tiers"][1]["intake"] == "pull"


def test_suggestions_on_a_tiered_ticket_follow_the_collaboration_setting(desk):
    c = desk["clients"]
    ticket = open_ticket(c["requester"])
    refused = c["l1"].get(f"/api/v1/tickets/{ticket['id']}/suggestions")
    assert refused.status_code == 403
    assert error(refused) == {
        "code": "tier_collaboration",
        "message": "Tier collaboration is off: escalate instead of asking for suggested helpers.",
        "request_id": refused.headers["X-Request-Id"],
    }
    assert c["manager"].put("/api/v1/tiers", json={"collaboration": "open"}).status_code == 200
    assert c["l1"].get(f"/api/v1/tickets/{ticket['id']}/suggestions").status_code == 200


def test_unknown_fields_are_refused(desk):
    response = desk["clients"]["manager"].put(
        "/api/v1/config/routing", json={"mode": "tiered", "ratio": 0.3}
    )
    assert response.status_code == 422 and "ratio" in error(response)["fields"]


# ------------------------------------------------------------------ queues


@pytest.fixture
def pull_only(desk):
    c = desk["clients"]["manager"]
    tiers = c.get("/api/v1/tiers").json["tiers"]
    assert c.put("/api/v1/tiers", json={"tiers": tiers, "strategy": "pull_only"}).status_code == 200


def test_an_agent_takes_the_next_ticket_of_their_tier(desk, clock):
    # No configuration: a new install's service desk pulls.
    c = desk["clients"]
    older = open_ticket(c["requester"], subject="older P3")
    clock.advance(minutes=2)
    urgent = open_ticket(c["requester"], subject="P1 outage", priority="P1")
    queue = c["l1"].get("/api/v1/queues/1").json
    assert queue["name"] == "Service desk" and queue["unowned"] == 2
    assert [i["id"] for i in queue["items"]] == [urgent["id"], older["id"]]
    assert queue["items"][1]["age_seconds"] == 120
    assert queue["items"][1]["seconds_left"] == 13 * 60
    taken = c["l1"].post("/api/v1/queues/1/next")
    assert taken.status_code == 200
    assert taken.json["id"] == urgent["id"] and taken.json["owner"]["name"] == "Lee One"
    assert c["l1"].post("/api/v1/queues/1/next").json["id"] == older["id"]
    empty = c["l1"].post("/api/v1/queues/1/next")
    assert empty.status_code == 404 and error(empty)["code"] == "queue_empty"
    assert "queue has no ticket for you" in error(empty)["message"]


def test_only_the_tier_s_agents_or_managers_pull_from_it(desk, pull_only):
    c = desk["clients"]
    open_ticket(c["requester"])
    refused = c["l2"].post("/api/v1/queues/1/next")
    assert refused.status_code == 403 and "you serve Tier 2" in error(refused)["message"]
    assert c["manager"].post("/api/v1/queues/1/next").status_code == 200
    assert c["requester"].get("/api/v1/queues/1").status_code == 403
    assert c["l1"].get("/api/v1/queues/0").status_code == 404


# ------------------------------------------------------------------ moves


def test_escalate_and_deescalate_with_a_reason(desk):
    c = desk["clients"]
    ticket = open_ticket(c["requester"])
    up = c["l1"].post(
        f"/api/v1/tickets/{ticket['id']}/escalate",
        json={"reason": "Needs the print server team", "from_tier": 1},
    )
    assert up.status_code == 200, up.json
    assert up.json["tier"] == 2 and up.json["owner"]["name"] == "Tess Two"
    down = c["l2"].post(
        f"/api/v1/tickets/{ticket['id']}/deescalate", json={"reason": "Just a paper jam"}
    )
    assert down.json["tier"] == 1
    events = c["l1"].get(f"/api/v1/tickets/{ticket['id']}/events").json["items"]
    moves = [e for e in events if e["type"] in ("escalated", "deescalated")]
    assert [(e["type"], e["data"]["reason"], e["data"]["note"]) for e in moves] == [
        ("escalated", "manual", "Needs the print server team"),
        ("deescalated", "manual", "Just a paper jam"),
    ]
    assert moves[0]["actor"]["name"] == "Lee One"


@pytest.mark.parametrize(
    ("setup_tier", "move", "body", "status", "words"),
    [
        (4, "escalate", {"reason": "more"}, 422, "the last tier"),
        (4, "escalate", {"reason": "more", "to_tier": 5}, 422, "past the last tier"),
        (1, "deescalate", {"reason": "less"}, 422, "below Tier 1"),
        (2, "escalate", {"reason": "again", "to_tier": 2}, 409, "already in Tier 2"),
        (2, "escalate", {"reason": "stale", "from_tier": 1}, 409, "moved meanwhile"),
        (1, "escalate", {"reason": " "}, 422, "Say why"),
    ],
)
def test_impossible_moves_are_answered_clearly(desk, setup_tier, move, body, status, words):
    c = desk["clients"]
    ticket = open_ticket(c["requester"])
    url = f"/api/v1/tickets/{ticket['id']}"
    if setup_tier > 1:
        setup = c["manager"].post(f"{url}/escalate", json={"reason": "s", "to_tier": setup_tier})
        assert setup.status_code == 200
    response = c["manager"].post(f"{url}/{move}", json=body)
    assert response.status_code == status, response.json
    # A blank reason is refused by the schema: its sentence is the field's.
    assert words in error(response)["message"] + str(error(response).get("fields", ""))


def test_a_swarm_ticket_cannot_be_escalated(desk):
    c = desk["clients"]
    c["manager"].put("/api/v1/config/routing", json={"mode": "swarm"})
    ticket = open_ticket(c["requester"])
    response = c["l1"].post(f"/api/v1/tickets/{ticket['id']}/escalate", json={"reason": "x"})
    assert response.status_code == 409
    assert "only tiered tickets move between tiers" in error(response)["message"]


def test_pending_pauses_the_tier_clock_in_the_ticket_json(desk, clock):
    c = desk["clients"]
    ticket = open_ticket(c["requester"])
    assert c["l1"].post("/api/v1/queues/1/next").json["id"] == ticket["id"]  # the desk pulls
    paused = c["l1"].post(f"/api/v1/tickets/{ticket['id']}/status", json={"status": "pending"})
    assert paused.status_code == 200
    assert paused.json["tier_paused_at"] == clock.now().isoformat()
    resumed = c["l1"].post(f"/api/v1/tickets/{ticket['id']}/status", json={"status": "open"})
    assert resumed.json["tier_paused_at"] is None


# ------------------------------------------------------------------ vendors


def test_vendors_crud_for_managers(desk):
    c = desk["clients"]
    created = c["manager"].post(
        "/api/v1/vendors", json={"name": "Acme", "sla_seconds": 3600, "contact": "a@acme.test"}
    )
    assert created.status_code == 201 and created.json["active"] is True
    vendor_id = created.json["id"]
    assert [v["name"] for v in c["l1"].get("/api/v1/vendors").json["items"]] == ["Acme"]
    patched = c["manager"].patch(f"/api/v1/vendors/{vendor_id}", json={"sla_seconds": 7200})
    assert patched.json["sla_seconds"] == 7200
    assert c["l1"].post("/api/v1/vendors", json={"name": "X", "sla_seconds": 60}).status_code == 403
    bad = c["manager"].post("/api/v1/vendors", json={"name": "Y", "sla_seconds": -1})
    assert bad.status_code == 422 and "more than 0 seconds" in error(bad)["message"]
    twice = c["manager"].post("/api/v1/vendors", json={"name": "Acme", "sla_seconds": 60})
    assert twice.status_code == 409
    assert c["manager"].delete(f"/api/v1/vendors/{vendor_id}").status_code == 204
    assert c["manager"].delete(f"/api/v1/vendors/{vendor_id}").status_code == 404


def test_vendor_handoff_updates_and_overdue_flag(app, desk, clock):
    c = desk["clients"]
    vendor = c["manager"].post("/api/v1/vendors", json={"name": "Acme", "sla_seconds": 600}).json
    ticket = open_ticket(c["requester"], priority="P2")
    url = f"/api/v1/tickets/{ticket['id']}"
    c["l1"].post(f"{url}/escalate", json={"reason": "firmware bug", "to_tier": 4})

    nobody = c["vc"].post(f"{url}/vendor", json={"external_ref": "ACME-1"})
    # Both are required by the schema now (docs/api.md): the field is named.
    assert nobody.status_code == 422 and "vendor_id" in error(nobody)["fields"]
    handed = c["vc"].post(f"{url}/vendor", json={"vendor_id": vendor["id"], "external_ref": "A-1"})
    assert handed.status_code == 200, handed.json
    assert handed.json["vendor"]["vendor"]["name"] == "Acme"
    assert handed.json["vendor"]["overdue"] is False

    update = c["vc"].post(f"{url}/vendor/updates", json={"status": "acknowledged", "note": "ok"})
    assert update.status_code == 200 and update.json["vendor"]["status"] == "acknowledged"
    unknown = c["vc"].post(f"{url}/vendor/updates", json={"status": "lost"})
    assert unknown.status_code == 422

    clock.advance(seconds=601)
    sweep_once(app.extensions["swarm"])
    flagged = c["vc"].get(url).json["vendor"]
    assert flagged["overdue"] is True and flagged["overdue_at"] == clock.now().isoformat()
    events = c["vc"].get(f"{url}/events").json["items"]
    assert [e["type"] for e in events][-2:] == ["vendor_handoff", "vendor_update"]


def test_handoff_outside_the_vendor_tier_is_refused(desk):
    c = desk["clients"]
    vendor = c["manager"].post("/api/v1/vendors", json={"name": "Acme", "sla_seconds": 600}).json
    ticket = open_ticket(c["requester"])
    response = c["l1"].post(
        f"/api/v1/tickets/{ticket['id']}/vendor",
        json={"vendor_id": vendor["id"], "external_ref": "A-1"},
    )
    assert response.status_code == 409 and "escalate it to Tier 4" in error(response)["message"]

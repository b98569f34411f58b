"""GET /api/v1/metrics/*: managers and admins compare the modes, agents see their own
contribution, everyone else is refused; bad input is a 4xx with a sentence, never a 500."""

from __future__ import annotations

import pytest

from swarm.demo.seed import seed_demo
from swarm.runtime import Runtime


@pytest.fixture
def demo(app, clock):
    rt: Runtime = app.extensions["swarm"]
    seed_demo(rt.sessions, clock)
    return rt


def sign_in_demo(app, email):
    client = app.test_client()
    answer = client.post("/api/v1/auth/login", json={"email": email, "password": "swarm-demo"})
    assert answer.status_code == 200, answer.json
    return client


def test_the_manager_compares_both_arms_of_the_demo_with_intervals_and_a_verdict(app, demo):
    client = sign_in_demo(app, "manager@example.com")

    answer = client.get("/api/v1/metrics/compare")

    assert answer.status_code == 200, answer.json
    report = answer.json
    assert report["dataset"] == "live" and report["tickets"] == 325
    assert set(report["arms"]) == {"swarm", "tiered"}
    swarm, tiered = report["arms"]["swarm"], report["arms"]["tiered"]
    assert swarm["tickets"] + tiered["tickets"] == 325
    for arm in (swarm, tiered):
        assert arm["resolved"] + arm["open"] == arm["tickets"]
        shares = arm["handoffs"]["share"]
        assert set(shares) == {"0", "1", "2", "3+"}
        assert sum(shares.values()) == pytest.approx(1.0)
        lo, hi = arm["ttr_hours"]["median_ci"]
        assert lo <= arm["ttr_hours"]["median"] <= hi
        rate = arm["metrics"]["fcr_rate"]
        assert rate["ci"][0] <= rate["rate"] <= rate["ci"][1]
    # The demo's story: fewer handoffs and faster resolution in the swarm, and it is conclusive.
    assert swarm["handoffs"]["mean"] < tiered["handoffs"]["mean"]
    ttr = report["differences"]["ttr_hours"]
    assert ttr["estimate"] < 0 and ttr["ci"][1] < 0 and ttr["conclusive"] is True
    assert ttr["p_holm"] >= ttr["p"]
    assert "faster" in report["verdict"] and report["randomised"] is False
    assert ttr["adjusted"]["priority"]["strata"][0]["stratum"] == "P1"


def test_a_filter_narrows_the_comparison(app, demo):
    client = sign_in_demo(app, "manager@example.com")

    everything = client.get("/api/v1/metrics/summary").json
    urgent = client.get("/api/v1/metrics/summary?priority=P1&priority=P2").json

    assert 0 < urgent["tickets"] < everything["tickets"]
    assert urgent["filters"]["priority"] == ["P1", "P2"]


def test_time_series_exceptions_and_contribution_answer_for_the_demo(app, demo):
    client = sign_in_demo(app, "manager@example.com")

    series = client.get("/api/v1/metrics/timeseries?bucket=week").json
    exceptions = client.get("/api/v1/metrics/exceptions")
    people = client.get("/api/v1/metrics/contribution").json

    assert series["bucket"] == "week" and len(series["points"]) >= 8
    assert series["backlog"]["open"] == sum(series["backlog"]["by_age"].values())
    assert exceptions.status_code == 200 and "items" in exceptions.json
    assert len(people["people"]) > 10 and all(p["name"] for p in people["people"])


def test_an_agent_sees_only_their_own_contribution_and_no_comparison(app, demo):
    client = sign_in_demo(app, "agent01@example.com")

    refused = client.get("/api/v1/metrics/compare")
    own = client.get("/api/v1/metrics/contribution").json["people"]

    assert refused.status_code == 403
    assert refused.json["error"]["message"] == "Only managers and admins may compare the modes."
    assert len(own) <= 1 and all(p["name"] == own[0]["name"] for p in own)


def test_requesters_are_refused_and_strangers_must_sign_in(app, login, requester):
    assert login(requester).get("/api/v1/metrics/summary").status_code == 403
    assert login(requester).get("/api/v1/metrics/contribution").status_code == 403
    assert app.test_client().get("/api/v1/metrics/compare").status_code == 401


def test_an_empty_dataset_is_a_well_formed_empty_answer(login, manager):
    report = login(manager).get("/api/v1/metrics/compare").json

    assert report["tickets"] == 0 and report["arms"] == {} and report["differences"] == {}
    assert report["verdict"] == "No tickets in this selection: there is nothing to compare."


def test_one_arm_only_is_reported_without_differences(login, manager, requester, agent):
    for n in range(3):
        created = login(requester).post(
            "/api/v1/tickets", json={"subject": f"Printer {n}", "body": "Jammed"}
        )
        assert created.status_code == 201

    report = login(manager).get("/api/v1/metrics/compare").json

    assert list(report["arms"]) == ["swarm"] and report["differences"] == {}
    assert report["arms"]["swarm"]["open"] == 3
    assert "there is no tiered arm to compare with" in report["verdict"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("priority=P9", "priority"),
        ("from=2026-11-01T00:00:00", "from"),
        ("from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z", "to"),
        ("level=2", "level"),
        ("skill=99999999999999999999", "skill"),
        ("tier=7", "tier"),
        ("bogus=1", "bogus"),
    ],
)
def test_bad_queries_are_422_with_the_field_named(login, manager, query, field):
    answer = login(manager).get(f"/api/v1/metrics/compare?{query}")

    assert answer.status_code == 422, answer.json
    assert answer.json["error"]["message"]
    assert field in str(answer.json["error"]), answer.json


def test_an_unknown_dataset_is_404(login, manager):
    answer = login(manager).get("/api/v1/metrics/compare?dataset=nowhere")

    assert answer.status_code == 404
    assert answer.json["error"]["message"] == "There is no dataset 'nowhere'."


def test_datasets_list_live_first(app, demo):
    client = sign_in_demo(app, "admin@example.com")

    datasets = client.get("/api/v1/metrics/datasets").json["datasets"]

    assert datasets[0]["name"] == "live" and datasets[0]["tickets"] == 325


def test_managers_price_a_resolve_and_the_cost_follows(app, demo):
    client = sign_in_demo(app, "manager@example.com")
    before = client.get("/api/v1/metrics/summary").json["arms"]["swarm"]["cost"]["per_resolved"]

    changed = client.put("/api/v1/config/metrics", json={"rates": {"l1": 90, "l2": 160, "l3": 300}})
    after = client.get("/api/v1/metrics/summary").json["arms"]["swarm"]["cost"]["per_resolved"]

    assert changed.status_code == 200, changed.json
    assert changed.json["rates"]["l1"] == 90 and changed.json["rates"]["field"] == 450
    assert after == pytest.approx(before * 2, rel=0.35)
    assert client.get("/api/v1/config/metrics").json["rates"]["l3"] == 300


def test_bad_settings_are_refused_and_nothing_changes(login, manager):
    client = login(manager)

    answer = client.put("/api/v1/config/metrics", json={"rates": {"l1": -5, "l9": 1}})

    assert answer.status_code == 422
    assert set(answer.json["error"]["fields"]) == {"rates.l1", "rates.l9"}
    assert client.get("/api/v1/config/metrics").json["rates"]["l1"] == 45


def test_agents_may_not_change_the_prices(login, agent):
    answer = login(agent).put("/api/v1/config/metrics", json={"rates": {"l1": 1}})

    assert answer.status_code == 403


def test_the_metrics_endpoints_are_in_the_openapi_document(app):
    paths = app.test_client().get("/api/v1/openapi.json").json["paths"]

    for name in ("summary", "compare", "timeseries", "exceptions", "contribution", "datasets"):
        assert f"/api/v1/metrics/{name}" in paths
    assert "/api/v1/config/metrics" in paths


def test_an_imported_dataset_is_listed_picked_and_compared(app, demo):
    from datetime import UTC, datetime, timedelta

    from swarm.simulation.store import DatasetWriter

    t0 = datetime(2013, 4, 1, 9, tzinfo=UTC)
    with DatasetWriter(demo.engine, "volvo", fmt="xes", origin="bpi13.xes.gz") as w:
        for ticket in (1, 2):
            w.add(
                [
                    {"ticket_id": ticket, "type": "created", "at": t0, "data": {"mode": "tiered"}},
                    {"ticket_id": ticket, "type": "assigned", "at": t0, "data": {"agent_id": 3}},
                    {
                        "ticket_id": ticket,
                        "type": "resolved",
                        "at": t0 + timedelta(hours=ticket),
                        "actor_id": 3,
                        "data": {"to": "resolved"},
                    },
                ]
            )
        w.add_actor(3, "V5 2nd", 2)
        w.finish({})
    client = sign_in_demo(app, "manager@example.com")

    listed = client.get("/api/v1/metrics/datasets").json["datasets"]
    compared = client.get("/api/v1/metrics/compare?dataset=volvo").json
    page = client.get("/dashboard?dataset=volvo").get_data(as_text=True)

    assert [d["name"] for d in listed] == ["live", "volvo"]
    assert listed[1]["kind"] == "import" and listed[1]["tickets"] == 2
    assert compared["tickets"] == 2 and list(compared["arms"]) == ["tiered"]
    assert '<option value="volvo" selected>volvo (2 tickets)</option>' in page
    # The live ticket list knows nothing of the imported tickets.
    assert client.get("/api/v1/metrics/compare").json["tickets"] == listed[0]["tickets"]

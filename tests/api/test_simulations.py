"""What-if runs over REST and the page: who may start them, what a bad scenario answers, and a
real run in a child process whose dataset the metrics then read with both arms."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from swarm.models import RunState, SimulationRun, User
from swarm.simulation.runs import examples

pytestmark = pytest.mark.skipif(not examples(), reason="the example scenarios are not here")


def wait_done(client: FlaskClient, run_id: int, seconds: float = 120) -> dict[str, Any]:
    """Poll the run until it ends (bounded; the child process imports numpy and the policies)."""
    deadline = time.monotonic() + seconds
    while True:
        view: dict[str, Any] = client.get(f"/api/v1/simulations/{run_id}").json
        if view["state"] in ("done", "failed") or time.monotonic() > deadline:
            return view
        time.sleep(0.3)


def test_a_manager_runs_both_arms_and_the_metrics_read_the_result(
    login: Callable[[User], FlaskClient], manager: User
) -> None:
    client = login(manager)
    started = client.post(
        "/api/v1/simulations",
        json={"example": "small", "days": 2, "title": "Two days", "seed": 5},
    )
    assert started.status_code == 202, started.json
    assert started.json["state"] in ("queued", "running")
    assert started.json["dataset"].startswith("sim:two-days-")
    view = wait_done(client, started.json["id"])
    assert view["state"] == "done", view
    assert view["done"] == view["total"] > 0
    arms = view["summary"]["arms"]
    # Common random numbers: both arms got the very same tickets.
    assert arms["swarm"]["tickets"] == arms["tiered"]["tickets"] == view["total"] // 2

    names = [d["name"] for d in client.get("/api/v1/metrics/datasets").json["datasets"]]
    assert view["dataset"] in names
    report = client.get("/api/v1/metrics/compare", query_string={"dataset": view["dataset"]}).json
    assert set(report["arms"]) == {"swarm", "tiered"}
    assert report["arms"]["swarm"]["tickets"] == arms["swarm"]["tickets"]
    assert report["design"] == "simulation"
    assert "Both arms ran the very same tickets" in report["verdict"]
    # Runs are listed newest first, with the shipped examples.
    listing = client.get("/api/v1/simulations").json
    assert listing["runs"][0]["id"] == view["id"]
    assert "small" in listing["examples"]
    # The page offers it in the dashboard.
    page = client.get("/simulations")
    assert f'href="/dashboard?dataset={view["dataset"]}">Open in the dashboard' in page.text


@pytest.mark.parametrize("who", ["agent", "requester"])
def test_only_managers_and_admins_run_or_read_simulations(
    login: Callable[[User], FlaskClient], who: str, agent: User, requester: User
) -> None:
    client = login(agent if who == "agent" else requester)
    assert client.post("/api/v1/simulations", json={"example": "small"}).status_code == 403
    assert client.get("/api/v1/simulations").status_code == 403
    assert client.get("/simulations").status_code == 403


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"scenario": "seed: 1\narrivals: {per_hour: -3}\n"}, "per_hour"),
        ({"scenario": "seed: [1\n"}, "line"),
        ({"scenario": "- just\n- a list\n"}, "mapping"),
        ({"example": "nonesuch"}, "no example scenario 'nonesuch'"),
        ({}, "Give a scenario"),
        ({"example": "small", "days": 365, "per_hour": 5000}, "stop at 100,000"),
    ],
)
def test_a_bad_scenario_is_refused_with_what_is_wrong(
    login: Callable[[User], FlaskClient], manager: User, body: dict[str, Any], words: str
) -> None:
    answer = login(manager).post("/api/v1/simulations", json=body)
    assert answer.status_code == 422, answer.json
    assert words in str(answer.json)
    assert login(manager).get("/api/v1/simulations").json["runs"] == []


def test_schema_bounds_and_unknown_runs(
    login: Callable[[User], FlaskClient], manager: User
) -> None:
    client = login(manager)
    assert (
        client.post("/api/v1/simulations", json={"example": "small", "agents": 0}).status_code
        == 422
    )
    assert (
        client.post("/api/v1/simulations", json={"example": "small", "arms": "x"}).status_code
        == 422
    )
    assert (
        client.post("/api/v1/simulations", json={"example": "small", "what": 1}).status_code == 422
    )
    missing = client.get("/api/v1/simulations/999")
    assert missing.status_code == 404
    assert "no simulation run 999" in missing.json["error"]["message"]


def test_a_run_whose_process_went_away_is_reported_failed(
    login: Callable[[User], FlaskClient], manager: User, db: Session
) -> None:
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    run = SimulationRun(
        dataset="sim:lost-1",
        title="Lost",
        scenario="seed: 1",
        state=RunState.RUNNING,
        done=3,
        total=10,
        summary={},
        requested_by=manager.id,
        created_at=long_ago,
        started_at=long_ago,
        beat_at=long_ago,
    )
    db.add(run)
    db.commit()
    view = login(manager).get(f"/api/v1/simulations/{run.id}").json
    assert view["state"] == "failed"
    assert "stopped without finishing" in view["error"]


def test_the_page_shows_a_bad_field_next_to_it(
    login: Callable[[User], FlaskClient], manager: User
) -> None:
    client = login(manager)
    page = client.get("/simulations")
    assert page.status_code == 200
    assert 'name="example"' in page.text and "small" in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    refused = client.post(
        "/simulations", data={"csrf_token": token, "example": "small", "per_hour": "-2"}
    )
    assert refused.status_code == 422
    assert "Give a number above zero." in refused.text
    bad_yaml = client.post(
        "/simulations", data={"csrf_token": token, "example": "small", "scenario": "arrivals: [\n"}
    )
    assert bad_yaml.status_code == 422
    assert "not valid YAML" in bad_yaml.text


def test_no_more_than_two_runs_go_at_once(
    login: Callable[[User], FlaskClient], manager: User, db: Session
) -> None:
    now = datetime.now(UTC)
    for number in (1, 2):
        db.add(
            SimulationRun(
                dataset=f"sim:busy-{number}",
                title=f"Busy {number}",
                scenario="seed: 1",
                state=RunState.RUNNING,
                done=1,
                total=10,
                summary={},
                requested_by=manager.id,
                created_at=now,
                started_at=now,
                beat_at=now,
            )
        )
    db.commit()
    refused = login(manager).post("/api/v1/simulations", json={"example": "small", "days": 1})
    assert refused.status_code == 409
    assert "2 runs are already going" in refused.json["error"]["message"]


def test_a_scenario_too_long_is_refused(
    login: Callable[[User], FlaskClient], manager: User
) -> None:
    client = login(manager)
    text = "seed: 1\n" + "# padding\n" * 25_000
    too_long = client.post("/api/v1/simulations", json={"scenario": text})
    assert too_long.status_code == 422
    page = client.get("/simulations")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    refused = client.post("/simulations", data={"csrf_token": token, "scenario": text})
    assert refused.status_code == 422
    assert "at most 200,000 are accepted" in refused.text
    assert client.get("/api/v1/simulations").json["runs"] == []

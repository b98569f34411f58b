"""Calibration's reader of a stored dataset (simulation/calibrate_db.py), and the command's
refusals."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from swarm.simulation.calibrate import CalibrationError, derive, to_yaml
from swarm.simulation.calibrate_db import read_calibration
from swarm.simulation.scenario import parse_scenario
from swarm.simulation.store import DatasetWriter
from tests.service.test_dataset_store import T0, case_rows

ROOT = Path(__file__).resolve().parents[2]


def write(engine, name: str) -> None:
    with DatasetWriter(engine, name, fmt="xes", origin="log.xes") as w:
        for t in range(1, 31):
            w.add(case_rows(t, handoffs=t % 3))
        w.add_actor(10, "G1", 1)
        w.add_actor(11, "G2 2nd", 2)
        w.add_actor(12, "G3 3rd", 3)
        w.finish({"cases": 30})


def test_the_reader_folds_a_stored_dataset_into_a_scenario(engine):
    write(engine, "volvo")
    shape, actors = read_calibration(engine, "volvo")
    assert shape.tickets == 30
    assert shape.handoff_counts == [10, 10, 10, 0]
    assert actors[11] == ("G2 2nd", 2)
    # Owners' tiers come from the actors' levels (the rows carry no tier).
    assert set(shape.outcomes) == {1, 2, 3}
    doc, notes = derive(shape, "volvo", actors, agents=5)
    scenario = parse_scenario(to_yaml(doc, notes), "volvo.yaml")
    assert scenario.tickets == 30 and len(scenario.agents) == 5


def test_unknown_datasets_and_empty_ones_are_refused(engine):
    write(engine, "volvo")
    with pytest.raises(CalibrationError, match=r"Unknown dataset 'nope'\. Datasets: volvo"):
        read_calibration(engine, "nope")
    with DatasetWriter(engine, "hollow", fmt="xes", origin="x.xes") as w:
        w.finish({"cases": 0})
    with pytest.raises(CalibrationError, match="'hollow' has no tickets"):
        read_calibration(engine, "hollow")
    # The live log without tickets: nothing to calibrate on either.
    with pytest.raises(CalibrationError, match="'live' has no tickets"):
        read_calibration(engine, "live")


def test_a_ticket_reopened_after_its_resolution_is_open(engine):
    with DatasetWriter(engine, "reopen", fmt="xes", origin="x.xes") as w:
        rows = case_rows(1, handoffs=1)
        rows.append(
            {
                "ticket_id": 1,
                "type": "reopened",
                "at": T0 + timedelta(hours=5),
                "data": {"from": "resolved", "to": "open"},
            }
        )
        w.add(rows)
        w.finish({"cases": 1})
    shape, _ = read_calibration(engine, "reopen")
    assert shape.resolved_hours == {} and shape.handoff_counts == [0, 1, 0, 0]


def run(args: list[str], url: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SWARM_INSTANCE_PATH": str(tmp_path), "SWARM_DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "swarm", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_command_prints_a_scenario_or_a_clear_refusal(tmp_path: Path):
    from swarm.db import make_engine
    from swarm.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'calib.db'}"
    upgrade(url)
    engine = make_engine(url)
    write(engine, "volvo")
    engine.dispose()
    unknown = run(["calibrate", "--dataset", "nope"], url, tmp_path)
    assert unknown.returncode == 1 and "Unknown dataset 'nope'" in unknown.stderr
    live = run(["calibrate", "--dataset", "live"], url, tmp_path)
    assert live.returncode == 1 and "'live' has no tickets" in live.stderr
    ok = run(
        ["calibrate", "--dataset", "volvo", "--agents", "4", "--pilot-rounds", "1"], url, tmp_path
    )
    assert ok.returncode == 0, ok.stderr
    scenario = parse_scenario(ok.stdout, "volvo.yaml")
    assert len(scenario.agents) == 4 and scenario.model.handoff is not None
    assert "# 30 tickets of volvo" in ok.stdout and "pilot run" in ok.stdout

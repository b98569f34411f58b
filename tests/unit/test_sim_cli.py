"""``simulate --mmc`` and ``validate-sim`` as the command line answers them (click's runner)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from swarm.cli import cli

MMC = ["simulate", "--mmc", "--arrival-rate", "9", "--service-rate", "1", "--agents", "10"]


def invoke(args: list[str]):
    return CliRunner().invoke(cli, args)


def test_simulate_mmc_prints_the_figures_as_one_json_object():
    result = invoke([*MMC, "--tickets", "20000", "--seed", "4", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    for key in ("mean_wait", "p_wait", "mean_time_in_system", "tickets_per_s"):
        assert isinstance(out[key], float)
    assert out["warmup"] == 2000 and out["utilisation"] == 0.9 and out["seed"] == 4
    assert round(out["expected"]["mean_wait"], 3) == 0.669
    assert result.stderr == ""
    again = json.loads(invoke([*MMC, "--tickets", "20000", "--seed", "4", "--json"]).stdout)
    assert again["mean_wait"] == out["mean_wait"]


def test_simulate_without_a_model_says_what_it_needs():
    result = invoke(["simulate", "--json"])
    assert result.exit_code == 2
    assert "simulate needs --scenario FILE, or --mmc" in result.output


def test_simulate_takes_one_model_at_a_time(tmp_path):
    result = invoke(["simulate", "--mmc", "--scenario", str(tmp_path / "s.yaml")])
    assert result.exit_code == 2
    assert "either --scenario FILE or --mmc" in result.output
    stored = invoke(["simulate", "--mmc", "--store", "x", *MMC[2:]])
    assert stored.exit_code == 2
    assert "--store keeps a scenario's run" in stored.output


def test_simulate_mmc_names_the_missing_rates():
    result = invoke(["simulate", "--mmc", "--agents", "3"])
    assert result.exit_code == 2
    assert "--arrival-rate, --service-rate" in result.output


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--arrival-rate", "0"),
        ("--arrival-rate", "-2"),
        ("--service-rate", "nan"),
        ("--service-rate", "inf"),
        ("--arrival-rate", "fast"),
        ("--agents", "0"),
        ("--tickets", "0"),
        ("--warmup", "-1"),
    ],
)
def test_bad_input_is_refused_naming_the_option(option, value):
    args = [*MMC, "--tickets", "100"]
    if option in args:
        args[args.index(option) + 1] = value
    else:
        args += [option, value]
    result = invoke(args)
    assert result.exit_code == 2
    assert f"Invalid value for '{option}'" in result.output


def test_a_warmup_as_long_as_the_run_is_refused():
    result = invoke([*MMC, "--tickets", "100", "--warmup", "100"])
    assert result.exit_code == 2 and "--warmup" in result.output


def test_utilisation_of_one_or_more_runs_with_a_warning_on_stderr():
    overloaded = ["--arrival-rate", "3", "--service-rate", "1", "--agents", "3"]
    result = invoke(
        ["simulate", "--mmc", *overloaded, "--tickets", "2000", "--seed", "1", "--json"]
    )
    assert result.exit_code == 0
    assert "utilisation 1.000 ≥ 1" in result.stderr
    out = json.loads(result.stdout)  # stdout stays one clean object
    assert out["expected"] is None and out["utilisation"] == 1.0


def test_validate_sim_prints_json_and_exits_with_its_verdict():
    result = invoke(
        ["validate-sim", "--json", "--replications", "2", "--tickets", "5000", "--workers", "1"]
    )
    report = json.loads(result.stdout)
    assert len(report["cases"]) >= 8 and report["replications"] == 2
    # The plumbing, not the statistics (tests/unit/test_sim_validate.py): on this budget the
    # 2 % gate need not hold, but the exit code must agree with the verdict.
    assert result.exit_code == (0 if report["passed"] else 1)
    assert all("relative_error" in f for c in report["cases"] for f in c["figures"].values())


def test_validate_sim_refuses_a_single_replication():
    result = invoke(["validate-sim", "--replications", "1"])
    assert result.exit_code == 2 and "--replications" in result.output

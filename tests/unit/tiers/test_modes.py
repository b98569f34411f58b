"""Routing mode assignment: reproducible arms, the split ratio respected, overrides first."""

import subprocess
import sys
from pathlib import Path

import pytest

from swarm.tiers.modes import (
    RoutingConfig,
    RoutingConfigError,
    assign_mode,
    routing_config_from_dict,
    routing_config_to_dict,
    split_position,
)

IDS = range(1, 10_001)
REPO = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("ratio", [0.1, 0.3, 0.5, 0.8])
def test_split_ratio_is_respected_within_two_points_over_ten_thousand_ids(ratio):
    config = RoutingConfig("split", split_ratio=ratio)
    tiered = sum(assign_mode(i, None, config) == "tiered" for i in IDS)
    # One standard deviation is at most 0.5 %; the hash is fixed, so this never flickers.
    assert abs(tiered / len(IDS) - ratio) < 0.02


def test_ratio_zero_is_all_swarm_and_one_all_tiered():
    assert {assign_mode(i, None, RoutingConfig("split", split_ratio=0)) for i in IDS} == {"swarm"}
    assert {assign_mode(i, None, RoutingConfig("split", split_ratio=1)) for i in IDS} == {"tiered"}


def test_the_same_id_always_gets_the_same_arm():
    first = [assign_mode(i, None, RoutingConfig("split")) for i in range(500)]
    again = [assign_mode(i, None, RoutingConfig("split")) for i in range(500)]
    assert first == again


def test_arms_do_not_depend_on_the_process_hash_seed():
    code = "from swarm.tiers.modes import split_position; print(split_position(12345))"
    runs = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={"PYTHONHASHSEED": seed},
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for seed in ("1", "2")
    }
    assert runs == {repr(split_position(12345))}


def test_a_ticket_keeps_its_arm_when_the_ratio_grows():
    # Position < ratio: raising the ratio only moves swarm tickets to tiered, never back.
    low, high = RoutingConfig("split", split_ratio=0.2), RoutingConfig("split", split_ratio=0.6)
    for i in range(2000):
        if assign_mode(i, None, low) == "tiered":
            assert assign_mode(i, None, high) == "tiered"


def test_a_new_salt_reshuffles_the_arms():
    a = [assign_mode(i, None, RoutingConfig("split")) for i in range(200)]
    b = [assign_mode(i, None, RoutingConfig("split", salt="experiment-2")) for i in range(200)]
    assert a != b


def test_fixed_modes_ignore_the_ratio():
    assert {assign_mode(i, None, RoutingConfig("swarm", split_ratio=1)) for i in IDS} == {"swarm"}
    assert {assign_mode(i, "x", RoutingConfig("tiered")) for i in range(100)} == {"tiered"}


def test_a_category_override_beats_the_organisation_mode():
    config = RoutingConfig(
        "swarm", split_ratio=1, overrides={"hardware": "tiered", " access ": "split"}
    )
    assert assign_mode(1, "hardware", config) == "tiered"
    assert assign_mode(1, "access", config) == "tiered"  # split at ratio 1
    assert assign_mode(1, "software", config) == "swarm"
    assert assign_mode(1, None, config) == "swarm"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"mode": "hybrid"}, "Unknown routing mode 'hybrid'"),
        ({"mode": "split", "split_ratio": -0.1}, "between 0 and 1"),
        ({"mode": "split", "split_ratio": 1.01}, "between 0 and 1"),
        ({"mode": "split", "split_ratio": float("nan")}, "must be a number"),
        ({"mode": "split", "split_ratio": "0.5"}, "must be a number"),
        ({"mode": "split", "split_ratio": True}, "must be a number"),
        ({"mode": "swarm", "overrides": {"": "tiered"}}, "non-empty category"),
        ({"mode": "swarm", "overrides": {"hw": "tier"}}, "Override for 'hw': unknown mode"),
        ({"mode": "swarm", "salt": ""}, "salt must be"),
    ],
)
def test_bad_routing_configs_are_refused(fields, message):
    with pytest.raises(RoutingConfigError, match=message):
        RoutingConfig(**fields)


def test_api_body_round_trips_and_defaults_the_ratio():
    config = routing_config_from_dict({"mode": "split", "overrides": {"hw": "tiered"}})
    assert config.split_ratio == 0.5
    assert routing_config_from_dict(routing_config_to_dict(config)) == config


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("swarm", "must be a JSON object"),
        ({}, "needs a mode"),
        ({"mode": "split", "overrides": ["hw"]}, "overrides must map"),
        ({"mode": "split", "split_ratio": 2}, "between 0 and 1"),
    ],
)
def test_bad_api_bodies_are_routing_config_errors(data, message):
    with pytest.raises(RoutingConfigError, match=message):
        routing_config_from_dict(data)

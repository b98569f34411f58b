"""Tiers, limits and their validation."""

import math
from datetime import timedelta

import pytest

from swarm.tickets.sla import DEFAULT_TARGETS
from swarm.tiers.config import (
    DEFAULT_TIERS,
    MAX_LIMIT_SECONDS,
    PRIORITIES,
    TierConfig,
    TierConfigError,
    TieredSettings,
    settings_from_dict,
    settings_to_dict,
)

L1, L2, L3 = TierConfig(1, "L1"), TierConfig(2, "L2"), TierConfig(3, "L3")


@pytest.mark.parametrize(("priority", "minutes"), [("P1", 5), ("P2", 10), ("P3", 15), ("P4", 15)])
def test_default_tier1_limits_follow_the_fifteen_minute_rule_and_shorten_for_urgent(
    priority, minutes
):
    assert TieredSettings().limit(1, priority) == timedelta(minutes=minutes)


@pytest.mark.parametrize("priority", PRIORITIES)
def test_default_limits_grow_with_each_tier(priority):
    settings = TieredSettings()
    assert settings.limit(1, priority) < settings.limit(2, priority) < settings.limit(3, priority)


@pytest.mark.parametrize("priority", PRIORITIES)
def test_default_chain_fits_inside_the_resolution_target_with_a_third_to_spare(priority):
    settings = TieredSettings()
    chain = sum((settings.limit(t, priority) for t in (1, 2, 3)), timedelta(0))
    _, resolve = DEFAULT_TARGETS[priority]
    assert chain <= resolve * 2 / 3


def test_vendor_tier_and_self_service_have_no_time_limit():
    settings = TieredSettings()
    for priority in PRIORITIES:
        assert settings.limit(4, priority) is None
        assert settings.limit(0, priority) is None
    assert settings.tier(4).external


def test_missing_priority_means_no_limit_and_limits_are_frozen_copies():
    limits = {"P3": 600}
    tier = TierConfig(1, "  Desk ", limits)
    limits["P3"] = 1
    assert tier.limit("P3") == timedelta(seconds=600)
    assert tier.limit("P1") is None
    assert tier.name == "Desk"
    with pytest.raises(TypeError):
        tier.limits["P3"] = 5  # type: ignore[index]


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        ({"P3": 0}, "Tier 1 limit for P3 must be more than 0 seconds (got 0)"),
        ({"P1": -60}, "Tier 1 limit for P1 must be more than 0 seconds (got -60)"),
        ({"P2": math.nan}, "Tier 1 limit for P2 must be more than 0 seconds"),
        ({"P4": MAX_LIMIT_SECONDS + 1}, "more than 30 days: give the limit in seconds"),
        ({"P3": True}, "must be a number of seconds or null"),
        ({"P3": "900"}, "must be a number of seconds or null"),
        ({"P3": 90.5}, "must be a whole number of seconds"),
        ({"P5": 60}, "unknown priority P5"),
    ],
)
def test_bad_limits_are_refused_with_a_sentence(limits, message):
    with pytest.raises(TierConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        TierConfig(1, "Desk", limits)


def test_a_limit_of_exactly_thirty_days_is_allowed():
    assert TierConfig(3, "L3", {"P4": MAX_LIMIT_SECONDS}).limit("P4") == timedelta(days=30)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: TierConfig(5, "L5"), "Tier 5 does not exist"),
        (lambda: TierConfig(-1, "L"), "Tier -1 does not exist"),
        (lambda: TierConfig(True, "L"), "must be an integer"),
        (lambda: TierConfig(2, "   "), "Tier 2 needs a name"),
        (lambda: TierConfig(0, "Self", {"P3": 60}), "Tier 0 is self-service"),
    ],
)
def test_bad_tiers_are_refused(build, message):
    with pytest.raises(TierConfigError, match=message):
        build()


@pytest.mark.parametrize(
    ("tiers", "message"),
    [
        ([], "needs at least Tier 1"),
        ([L1, L2, TierConfig(2, "again")], "Tier 2 is configured more than once"),
        ([L1, L3], "Tier 2 is missing between Tier 1 and Tier 3"),
        ([L1, TierConfig(4, "V")], "Tier 2, Tier 3 are missing between Tier 1 and Tier 4"),
        ([L2, L3], "Tier 1 is missing"),
    ],
)
def test_a_broken_chain_is_refused(tiers, message):
    with pytest.raises(TierConfigError, match=message):
        TieredSettings(tiers=tiers)


def test_tiers_are_kept_sorted_whatever_the_input_order():
    assert [t.tier for t in TieredSettings(tiers=[L3, L1, L2]).tiers] == [1, 2, 3]


def test_unknown_strategy_and_last_automatic_tier_are_refused():
    with pytest.raises(TierConfigError, match="Unknown assignment strategy 'random'"):
        TieredSettings(strategy="random")  # type: ignore[arg-type]
    with pytest.raises(TierConfigError, match="last_automatic_tier 7 is not a configured tier"):
        TieredSettings(last_automatic_tier=7)
    with pytest.raises(TierConfigError, match="last_automatic_tier 0"):
        TieredSettings(last_automatic_tier=0)


def test_next_automatic_tier_stops_at_the_last_or_at_the_configured_ceiling():
    settings = TieredSettings()
    assert [settings.next_automatic(t) for t in (1, 2, 3, 4)] == [2, 3, 4, None]
    capped = TieredSettings(last_automatic_tier=3)
    assert [capped.next_automatic(t) for t in (1, 2, 3, 4)] == [2, 3, None, None]


def test_names_read_well_and_survive_a_removed_tier():
    settings = TieredSettings(tiers=[L1, L2])
    assert settings.name(2) == "Tier 2 (L2)"
    assert settings.name(3) == "Tier 3"
    assert settings.limit(3, "P3") is None
    with pytest.raises(TierConfigError, match="Tier 3 is not configured"):
        settings.tier(3)


def test_api_document_round_trips():
    settings = TieredSettings(strategy="least_loaded", last_automatic_tier=3)
    assert settings_from_dict(settings_to_dict(settings)) == settings
    assert settings_to_dict(TieredSettings())["tiers"][1] == {
        "tier": 1,
        "name": "Service desk",
        "limits": {"P1": 300, "P2": 600, "P3": 900, "P4": 900},
        "external": False,
        "intake": "pull",
    }
    assert settings_to_dict(TieredSettings())["collaboration"] == "off"


def test_api_document_keeps_base_values_for_keys_left_out():
    base = TieredSettings(strategy="least_loaded", collaboration="within_tier")
    settings = settings_from_dict({"last_automatic_tier": 3}, base)
    assert settings.tiers == DEFAULT_TIERS
    assert (settings.strategy, settings.collaboration) == ("least_loaded", "within_tier")


def test_the_service_desk_pulls_and_the_tiers_above_push_by_default():
    settings = TieredSettings()
    assert [settings.intake(t) for t in (1, 2, 3, 4)] == ["pull", "push", "push", "push"]
    assert settings.collaboration == "off"


def test_a_tier_given_without_intake_keeps_the_one_it_had():
    pushing = settings_from_dict({"tiers": [{"tier": 1, "name": "Desk", "intake": "push"}]})
    renamed = settings_from_dict({"tiers": [{"tier": 1, "name": "Front desk"}]}, pushing)
    assert renamed.intake(1) == "push"
    # A document stored before intake existed reads with the defaults: the desk pulls.
    assert settings_from_dict({"tiers": [{"tier": 1, "name": "Desk"}]}).intake(1) == "pull"


def test_pull_only_of_older_documents_becomes_every_tier_pulling():
    settings = settings_from_dict({"strategy": "pull_only"})
    assert settings.strategy == "round_robin"
    assert [settings.intake(t) for t in (1, 2, 3, 4)] == ["pull"] * 4
    assert settings.intake(0) == "push"  # self-service has no queue to pull from


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "must be a JSON object"),
        ({"tiers": {"tier": 1}}, '"tiers" must be a list'),
        ({"tiers": [3]}, "Each tier must be an object"),
        ({"tiers": [{"name": "x"}]}, "needs its number"),
        ({"tiers": [{"tier": 1, "name": "x", "limits": [900]}]}, "'limits' must map"),
        ({"tiers": [{"tier": 1, "name": "x", "external": "no"}]}, "'external' must be true"),
        ({"tiers": [{"tier": 1, "limits": {"P1": 60}}]}, "Tier 1 needs a name"),
        ({"tiers": [{"tier": 1, "name": "x", "intake": "auto"}]}, "Tier 1 intake must be push"),
        ({"tiers": [{"tier": 0, "name": "KB", "intake": "pull"}]}, "no queue to pull from"),
        ({"collaboration": "sometimes"}, "Unknown collaboration setting 'sometimes'"),
        ({"strategy": "random"}, "Unknown assignment strategy 'random'"),
    ],
)
def test_api_document_errors_are_tier_config_errors(data, message):
    with pytest.raises(TierConfigError, match=message):
        settings_from_dict(data)

from datetime import datetime, timedelta

import pytest

from swarm.skills.proficiency import (
    Proficiency,
    ProficiencyError,
    accrue_evidence,
    decay_factor,
    effective_level,
    validate_level,
)


@pytest.mark.parametrize("level", [-1, 6, 2.5, "3", True, None])
def test_proficiency_outside_zero_to_five_is_rejected(level):
    with pytest.raises(ProficiencyError):
        validate_level(level)
    with pytest.raises(ProficiencyError):
        Proficiency(level)


@pytest.mark.parametrize("level", [0, 1, 5])
def test_proficiency_from_zero_to_five_is_accepted(level):
    assert Proficiency(level).level == level


def test_negative_evidence_and_naive_dates_are_rejected():
    with pytest.raises(ProficiencyError):
        Proficiency(3, evidence=-1)
    with pytest.raises(ProficiencyError):
        Proficiency(3, last_used=datetime(2025, 1, 1))


def test_unused_skill_decays_with_a_180_day_time_constant(now):
    assert decay_factor(now, now) == 1.0
    assert decay_factor(now - timedelta(days=180), now) == pytest.approx(0.36788, abs=1e-5)
    assert effective_level(Proficiency(5, last_used=now - timedelta(days=360)), now) == (
        pytest.approx(5 * 0.13534, abs=1e-4)
    )


def test_never_used_skill_does_not_decay(now):
    assert effective_level(Proficiency(4), now) == 4.0


def test_use_in_the_future_counts_as_just_now(now):
    assert decay_factor(now + timedelta(days=3), now) == 1.0


def test_owner_and_helpers_gain_evidence_on_every_ticket_skill(now):
    earlier = now - timedelta(days=40)
    profiles = {1: {7: Proficiency(4, last_used=earlier, evidence=9)}, 2: {}}
    updates = accrue_evidence(
        [7, 8], owner_id=1, helper_ids=[2, 1], profiles=profiles, resolved_at=now
    )
    got = {(u.agent_id, u.skill_id): (u.role, u.after) for u in updates}
    assert got == {
        (1, 7): ("owner", Proficiency(4, last_used=now, evidence=10)),
        (1, 8): ("owner", Proficiency(1, last_used=now, evidence=1)),
        (2, 7): ("helper", Proficiency(1, last_used=now, evidence=1)),
        (2, 8): ("helper", Proficiency(1, last_used=now, evidence=1)),
    }
    assert profiles[1][7].evidence == 9  # nothing mutated


def test_evidence_raises_level_to_its_floor_but_never_lowers_it(now):
    profiles = {1: {7: Proficiency(1, evidence=4)}, 2: {7: Proficiency(5, evidence=4)}}
    updates = {u.agent_id: u for u in accrue_evidence([7], 1, [2], profiles, now)}
    assert updates[1].after.level == 2
    assert updates[1].level_raised
    assert updates[2].after.level == 5
    assert not updates[2].level_raised


def test_late_evidence_does_not_make_a_skill_look_stale(now):
    profiles = {1: {7: Proficiency(3, last_used=now)}}
    (update,) = accrue_evidence([7], 1, [], profiles, now - timedelta(days=10))
    assert update.after.last_used == now

"""Clocks that pause: arithmetic of pauses, and a limit that never fires during one."""

from datetime import datetime, timedelta

import pytest

from swarm.tiers.sla import ClockError, SlaClock, remaining_after_pause
from tests.unit.tiers.tiers_builders import MINUTE, NOW

LIMIT = 15 * MINUTE


def test_a_running_clock_is_due_at_start_plus_limit():
    clock = SlaClock(NOW)
    assert clock.due_at(LIMIT) == NOW + LIMIT
    assert clock.elapsed(NOW + 4 * MINUTE) == 4 * MINUTE
    assert clock.remaining(LIMIT, NOW + 4 * MINUTE) == 11 * MINUTE
    assert clock.due_at(None) is None


def test_two_pauses_push_the_due_time_by_their_total():
    clock = SlaClock(NOW).pause(NOW + 5 * MINUTE).resume(NOW + 25 * MINUTE)
    clock = clock.pause(NOW + 30 * MINUTE).resume(NOW + 40 * MINUTE)
    assert clock.paused_total == 30 * MINUTE
    assert clock.due_at(LIMIT) == NOW + 45 * MINUTE
    assert clock.elapsed(NOW + 40 * MINUTE) == 10 * MINUTE


def test_a_paused_clock_has_no_due_time_and_stops_counting():
    clock = SlaClock(NOW).pause(NOW + 5 * MINUTE)
    assert clock.paused
    assert clock.due_at(LIMIT) is None
    assert clock.elapsed(NOW + 3 * 60 * MINUTE) == 5 * MINUTE
    assert not clock.is_overdue(LIMIT, NOW + 3 * 60 * MINUTE)


def test_a_pause_across_the_deadline_moves_the_deadline_past_it():
    # Paused at minute 10, resumed at minute 40: the original minute-15 deadline was never due.
    clock = SlaClock(NOW).pause(NOW + 10 * MINUTE)
    assert not clock.is_overdue(LIMIT, NOW + 20 * MINUTE)
    clock = clock.resume(NOW + 40 * MINUTE)
    assert clock.due_at(LIMIT) == NOW + 45 * MINUTE
    assert clock.remaining(LIMIT, NOW + 40 * MINUTE) == 5 * MINUTE


def test_a_clock_paused_after_its_limit_is_due_in_the_past_on_resume():
    clock = SlaClock(NOW).pause(NOW + 20 * MINUTE).resume(NOW + 60 * MINUTE)
    assert clock.due_at(LIMIT) == NOW + 55 * MINUTE
    assert clock.is_overdue(LIMIT, NOW + 60 * MINUTE)


def test_exactly_at_the_limit_is_due_but_not_overdue():
    clock = SlaClock(NOW)
    assert clock.remaining(LIMIT, NOW + LIMIT) == timedelta(0)
    assert not clock.is_overdue(LIMIT, NOW + LIMIT)
    assert clock.is_overdue(LIMIT, NOW + LIMIT + timedelta(microseconds=1))


def test_pausing_twice_keeps_the_first_pause_and_resuming_a_running_clock_changes_nothing():
    first = SlaClock(NOW).pause(NOW + 5 * MINUTE)
    assert first.pause(NOW + 9 * MINUTE) == first
    running = SlaClock(NOW)
    assert running.resume(NOW + 9 * MINUTE) == running


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: SlaClock(NOW).pause(NOW - MINUTE), "paused before it started"),
        (lambda: SlaClock(NOW).pause(NOW).resume(NOW - MINUTE), "resume before it was paused"),
        (lambda: SlaClock(NOW).elapsed(NOW - MINUTE), "before the clock started"),
        (lambda: SlaClock(NOW, paused_at=NOW - MINUTE), "paused before it started"),
        (lambda: SlaClock(NOW, paused_total=-MINUTE), "cannot be negative"),
        (lambda: SlaClock(datetime(2025, 1, 1)), "timezone-aware"),  # naive on purpose
        (lambda: SlaClock(NOW).pause(datetime(2025, 1, 1)), "timezone-aware"),  # naive on purpose
    ],
)
def test_a_clock_refuses_to_go_backwards_or_take_naive_times(make, message):
    with pytest.raises(ClockError, match=message):
        make()


def test_remaining_after_pause_is_what_the_deadline_had_left():
    assert remaining_after_pause(NOW + LIMIT, NOW + 10 * MINUTE) == 5 * MINUTE
    assert remaining_after_pause(NOW + LIMIT, NOW + 20 * MINUTE) == -5 * MINUTE

"""Due times by priority, and the clocks that services read time from."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from swarm.clock import FakeClock, SystemClock
from swarm.tickets.sla import due_times

OPENED = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("priority", "respond", "resolve"),
    [
        ("P1", timedelta(minutes=15), timedelta(hours=4)),
        ("P2", timedelta(hours=1), timedelta(hours=8)),
        ("P3", timedelta(hours=4), timedelta(days=3)),
        ("P4", timedelta(hours=8), timedelta(days=5)),
    ],
)
def test_due_times_follow_the_priority(priority, respond, resolve):
    assert due_times(priority, OPENED) == (OPENED + respond, OPENED + resolve)


def test_higher_priorities_are_always_due_sooner():
    order = [due_times(p, OPENED) for p in ("P1", "P2", "P3", "P4")]
    assert order == sorted(order)


def test_system_clock_is_utc_aware():
    assert SystemClock().now().tzinfo is not None


def test_fake_clock_moves_only_when_told():
    clock = FakeClock(OPENED)
    assert clock.now() == OPENED
    assert clock.advance(minutes=15) == OPENED + timedelta(minutes=15)
    with pytest.raises(ValueError, match="aware"):
        FakeClock(datetime(2026, 1, 1))

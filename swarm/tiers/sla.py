"""Clocks that pause: time in a tier, or at a vendor, counts only while the ticket is workable.

While a ticket waits on the requester (status ``pending``) or on a vendor, nobody in the tier can
move it forward, so its tier clock stops — the top SLA complaint in peers' trackers is clocks that
keep running then. An :class:`SlaClock` is a value: every change returns a new clock, so the live
driver stores its three fields on the ticket and the simulator keeps it in memory.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

__all__ = ["ClockError", "SlaClock", "remaining_after_pause"]

_ZERO = timedelta(0)


class ClockError(ValueError):
    """A clock asked to go backwards, or given a naive datetime."""


def _aware(when: datetime, what: str) -> None:
    if when.tzinfo is None or when.utcoffset() is None:
        raise ClockError(f"{what} must be a timezone-aware datetime (UTC), got {when!r}.")


@dataclass(frozen=True)
class SlaClock:
    """A stopwatch that can be paused and resumed, any number of times.

    Parameters
    ----------
    started_at : datetime
        When the clock started (the ticket entered the tier, or was handed to the vendor).
    paused_at : datetime or None
        When the current pause began; ``None`` while running.
    paused_total : timedelta
        Sum of the pauses that have ended.

    Examples
    --------
    >>> from datetime import UTC
    >>> t0 = datetime(2025, 1, 1, 9, 0, tzinfo=UTC)
    >>> clock = SlaClock(t0).pause(t0 + timedelta(minutes=5))
    >>> clock.due_at(timedelta(minutes=15)) is None  # nothing can fall due while paused
    True
    >>> clock = clock.resume(t0 + timedelta(minutes=65))
    >>> clock.due_at(timedelta(minutes=15)).time()  # 15 minutes of work plus the 1 h pause
    datetime.time(10, 15)
    """

    started_at: datetime
    paused_at: datetime | None = None
    # Only the sum of ended pauses is kept: the due time needs nothing else, and three columns
    # are all the live driver has to store.
    paused_total: timedelta = _ZERO

    def __post_init__(self) -> None:
        _aware(self.started_at, "started_at")
        if self.paused_at is not None:
            _aware(self.paused_at, "paused_at")
            if self.paused_at < self.started_at:
                raise ClockError("A clock cannot be paused before it started.")
        if self.paused_total < _ZERO:
            raise ClockError("paused_total cannot be negative.")

    @property
    def paused(self) -> bool:
        return self.paused_at is not None

    def pause(self, now: datetime) -> SlaClock:
        """Stop the clock at ``now``.

        Pausing a paused clock keeps the first pause: a ticket can go pending while it is with a
        vendor, and the second reason to wait must not restart (and so shorten) the pause.
        """
        _aware(now, "now")
        if self.paused_at is not None:
            if now < self.paused_at:
                raise ClockError("A clock cannot be paused before its current pause began.")
            return self
        if now < self.started_at:
            raise ClockError("A clock cannot be paused before it started.")
        # A pause past the due time is allowed: the sweeper may not have fired yet, and the
        # deadline simply falls due again (in the past) on resume.
        return replace(self, paused_at=now)

    def resume(self, now: datetime) -> SlaClock:
        """Restart the clock at ``now``; a running clock is returned unchanged."""
        _aware(now, "now")
        if self.paused_at is None:
            return self
        if now < self.paused_at:
            raise ClockError("A clock cannot resume before it was paused.")
        return replace(
            self, paused_at=None, paused_total=self.paused_total + (now - self.paused_at)
        )

    def elapsed(self, now: datetime) -> timedelta:
        """Running time up to ``now`` (or up to the current pause), pauses left out."""
        _aware(now, "now")
        # Time stops at the pause: asking later must not count the pause as work.
        end = now if self.paused_at is None else min(now, self.paused_at)
        if end < self.started_at:
            raise ClockError("now is before the clock started.")
        return end - self.started_at - self.paused_total

    def due_at(self, limit: timedelta | None) -> datetime | None:
        """When ``limit`` of running time will have passed; ``None`` while paused or no limit.

        A deadline of a paused clock does not exist — that is what keeps a limit from firing
        during a pause; it comes back, pushed by the pause, on :meth:`resume`.
        """
        if limit is None or self.paused_at is not None:
            return None
        return self.started_at + self.paused_total + limit

    def remaining(self, limit: timedelta, now: datetime) -> timedelta:
        """Running time left before ``limit``; zero or negative once it has passed."""
        return limit - self.elapsed(now)

    def is_overdue(self, limit: timedelta, now: datetime) -> bool:
        """More than ``limit`` of running time has passed (exactly at the limit is on time)."""
        return self.elapsed(now) > limit


def remaining_after_pause(due_at: datetime, paused_at: datetime) -> timedelta:
    """Time a deadline had left when its clock was paused at ``paused_at``.

    For a driver that keeps a remaining duration instead of an :class:`SlaClock`: store this on
    pause, and on resume set the deadline to ``resumed_at + remaining``. Zero or negative means it
    was already due when the pause began; it fires as soon as the clock resumes.

    Examples
    --------
    >>> from datetime import UTC
    >>> t0 = datetime(2025, 1, 1, 9, 0, tzinfo=UTC)
    >>> remaining_after_pause(t0 + timedelta(minutes=15), paused_at=t0 + timedelta(minutes=10))
    datetime.timedelta(seconds=300)
    """
    _aware(due_at, "due_at")
    _aware(paused_at, "paused_at")
    return due_at - paused_at

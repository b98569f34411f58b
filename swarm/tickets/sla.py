"""Service-level targets by priority: how soon a ticket should be answered and resolved.

The defaults follow common IT service desk practice (ITIL-style priority matrix); an
organisation changes them in one place.
"""

from __future__ import annotations

from datetime import datetime, timedelta

# priority -> (first response within, resolution within)
DEFAULT_TARGETS: dict[str, tuple[timedelta, timedelta]] = {
    "P1": (timedelta(minutes=15), timedelta(hours=4)),
    "P2": (timedelta(hours=1), timedelta(hours=8)),
    "P3": (timedelta(hours=4), timedelta(days=3)),
    "P4": (timedelta(hours=8), timedelta(days=5)),
}


def due_times(priority: str, opened_at: datetime) -> tuple[datetime, datetime]:
    """Return ``(response_due_at, resolve_due_at)`` for a ticket opened at ``opened_at``.

    >>> from datetime import UTC
    >>> due_times("P1", datetime(2026, 1, 1, tzinfo=UTC))[0].isoformat()
    '2026-01-01T00:15:00+00:00'
    """
    respond, resolve = DEFAULT_TARGETS[priority]
    return opened_at + respond, opened_at + resolve

"""Hand-built event logs for the people and exceptions metrics, shared by the SQLite unit tests
and the PostgreSQL test that checks both databases give the same answers."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from swarm.metrics.dialect import SQLITE_TIME_FORMAT

# A Monday, so that week buckets start here.
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

REQUESTER = 90
GUEST = 95


def event(
    ticket_id: int,
    type: str,
    minute: float = 0,
    actor: int | None = None,
    source: str = "live",
    **data: Any,
) -> dict[str, Any]:
    """One event ``minute`` minutes after T0."""
    return {
        "ticket_id": ticket_id,
        "type": type,
        "at": T0 + timedelta(minutes=minute),
        "actor_id": actor,
        "data": data,
        "source": source,
    }


def created(ticket_id: int, minute: float = 0, subject: str | None = None, **kw: Any) -> dict:
    data: dict[str, Any] = {"mode": "swarm", "priority": "P3", "requester_id": REQUESTER}
    if subject is not None:
        data["subject"] = subject
    return event(ticket_id, "created", minute, REQUESTER, **kw, **data)


def assigned(ticket_id: int, agent: int, minute: float = 0) -> dict:
    return event(ticket_id, "assigned", minute, agent, agent_id=agent, by="pull")


def joined(ticket_id: int, agent: int, minute: float = 0, via: str = "added") -> dict:
    return event(ticket_id, "helper_joined", minute, agent, agent_id=agent, via=via)


def left(ticket_id: int, agent: int, minute: float, seconds: int) -> dict:
    return event(ticket_id, "helper_left", minute, agent, agent_id=agent, seconds=seconds)


def message(ticket_id: int, author: int, minute: float, kind: str = "chat") -> dict:
    return event(ticket_id, "message", minute, author, message_id=1, kind=kind)


def resolved(ticket_id: int, actor: int, minute: float) -> dict:
    return event(ticket_id, "resolved", minute, actor, to="resolved", resolution="done")


def contribution_log() -> list[dict[str, Any]]:
    """Three tickets worked by agents 1-4; a requester and a guest who write; agent 5 only
    looked (so is absent); ticket 4 in another dataset; ticket 5 created two days earlier."""
    return [
        created(1, subject="VPN down"),
        assigned(1, 1, 1),
        event(1, "hand_raised", 2, 1),
        event(1, "helper_invited", 3, 1, agent_id=2, invitation_id=1),
        joined(1, 2, 4, via="invitation"),
        message(1, 2, 5),
        message(1, 1, 6, kind="solution"),
        event(1, "note", 7, 1, message_id=2),
        message(1, REQUESTER, 8, kind="reply"),
        left(1, 2, 9, 600),
        resolved(1, 1, 10),
        created(2),
        assigned(2, 2, 1),
        event(2, "help_offered", 2, 3, agent_id=3),
        joined(2, 3, 3, via="offer"),
        message(2, 3, 4),
        left(2, 3, 20, 1200),
        event(2, "unassigned", 21, 2, previous_owner_id=2),
        assigned(2, 1, 22),
        resolved(2, 1, 30),
        event(2, "reopened", 40, REQUESTER, to="open"),
        created(3),
        event(3, "guest_invited", 1, 3, guest_id=GUEST, name="Vendor tech"),
        message(3, GUEST, 2),
        assigned(3, 3, 3),
        joined(3, 4, 4, via="message"),
        message(3, 4, 4),
        left(3, 4, 9, 300),
        resolved(3, 3, 10),
        created(4, source="sim:x"),
        event(4, "assigned", 1, 6, source="sim:x", agent_id=6),
        created(5, -2 * 24 * 60),
        assigned(5, 7, -2 * 24 * 60 + 1),
    ]


# skill_growth rows: (id, user_id, skill_id, at, cause, before, after, evidence)
GROWTH_ROWS: list[tuple[Any, ...]] = [
    (1, 1, 10, T0, "self", None, 1, 0),
    (2, 1, 10, T0 + timedelta(days=2), "evidence", 1, 2, 3),
    # Sunday 23:59: still the week of Monday 2 March.
    (3, 1, 10, datetime(2026, 3, 8, 23, 59, tzinfo=UTC), "self", 2, 2, 3),
    (4, 1, 10, datetime(2026, 3, 9, 0, 0, tzinfo=UTC), "manager", 2, 1, 3),
    (5, 1, 11, T0 + timedelta(days=1), "removed", 3, None, 0),
    (6, 2, 10, T0 + timedelta(days=8), "evidence", 2, 3, 4),
]

GROWTH_SCHEMA = """
CREATE TABLE skill_growth (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL,
    skill_id INTEGER NOT NULL,
    at DATETIME NOT NULL,
    cause VARCHAR(16) NOT NULL,
    proficiency_before INTEGER,
    proficiency_after INTEGER,
    wants_to_learn BOOLEAN NOT NULL DEFAULT 0,
    evidence INTEGER NOT NULL DEFAULT 0,
    actor_id INTEGER,
    ticket_id INTEGER
)
"""


def add_growth(db: sqlite3.Connection, rows: Iterable[tuple[Any, ...]] = GROWTH_ROWS) -> None:
    """A ``skill_growth`` table beside the in-memory log, times in SQLAlchemy's SQLite form."""
    db.execute(GROWTH_SCHEMA)
    db.executemany(
        "INSERT INTO skill_growth (id, user_id, skill_id, at, cause, proficiency_before, "
        "proficiency_after, evidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(r[0], r[1], r[2], r[3].strftime(SQLITE_TIME_FORMAT), *r[4:]) for r in rows],
    )


# ---------------------------------------------------------------------------- exceptions

HANDS_AS_OF = T0 + timedelta(hours=2)


def hands_log() -> list[dict[str, Any]]:
    """As of T0 + 2 h, with the default 15 minutes: tickets 10, 14, 15 and 16 are exceptions."""
    return [
        created(10, subject="Printer on fire"),
        event(10, "hand_raised", 0, 1),  # nobody ever joins
        created(11),
        event(11, "hand_raised", 0, 1),
        joined(11, 2, 10),  # answered within 10 minutes
        created(12),
        event(12, "hand_raised", 110, 1),  # only 10 minutes old
        created(13),
        event(13, "hand_raised", 0, 1),
        resolved(13, 1, 30),  # nothing left to help with
        created(14),
        event(14, "hand_raised", 0, 1),
        joined(14, 2, 5),
        event(14, "hand_raised", 30, 1),  # raised again, unanswered
        event(14, "hand_raised", 60, 1),
        created(15),
        event(15, "hand_raised", 0, 3),
        joined(15, 2, 180),  # after as_of: not yet known
        created(16),
        event(16, "hand_raised", 105, 1),  # exactly 15 minutes old
    ]


def swarms_log() -> list[dict[str, Any]]:
    """On Monday 2 March: agent 20 joins 5 swarms, 21 joins 6, 22 joins 3 tickets six times;
    agent 23 joins 3 on Monday and 3 on Tuesday."""
    rows: list[dict[str, Any]] = [created(t) for t in range(100, 112)]
    rows += [joined(100 + n, 20, n) for n in range(5)]
    rows += [joined(100 + n, 21, n) for n in range(6)]
    rows += [joined(100 + n % 3, 22, n) for n in range(6)]
    rows += [joined(100 + n, 23, n) for n in range(3)]
    rows += [joined(106 + n, 23, 24 * 60 + n) for n in range(3)]
    return rows


SWARMS_AS_OF = T0 + timedelta(days=3)


def owners_log() -> list[dict[str, Any]]:
    """Owner sequences: 30: 1,2,1; 31: 1,2,3; 32: 1,1,2; 33: 1,2,2,1; 34: 1,2,1,2;
    35: 1,2 and back to 1 only after as_of."""
    sequences = {
        30: [1, 2, 1],
        31: [1, 2, 3],
        32: [1, 1, 2],
        33: [1, 2, 2, 1],
        34: [1, 2, 1, 2],
        35: [1, 2],
    }
    rows: list[dict[str, Any]] = []
    for ticket_id, owners in sequences.items():
        rows.append(created(ticket_id, subject=f"Ticket {ticket_id}"))
        rows += [assigned(ticket_id, agent, 10 * (n + 1)) for n, agent in enumerate(owners)]
    rows.append(assigned(35, 1, 24 * 60))
    return rows


OWNERS_AS_OF = T0 + timedelta(hours=12)

DAY = 24 * 60
VENDOR_AS_OF = T0 + timedelta(days=2)


def handoff(ticket_id: int, minute: float, due_minute: float | None, ref: str) -> dict:
    due = "soon" if due_minute is None else (T0 + timedelta(minutes=due_minute)).isoformat()
    return event(
        ticket_id,
        "vendor_handoff",
        minute,
        1,
        vendor="Acme",
        vendor_id=4,
        external_ref=ref,
        due_at=due,
    )


def vendor_said(ticket_id: int, minute: float, status: str, ref: str) -> dict:
    return event(
        ticket_id, "vendor_update", minute, 1, status=status, vendor_id=4, external_ref=ref
    )


def vendor_log() -> list[dict[str, Any]]:
    """As of T0 + 2 d: tickets 40, 42, 46 and 49 are overdue."""
    return [
        created(40, subject="Disk array"),
        handoff(40, 0, DAY, "AC-40"),
        created(41),
        handoff(41, 0, DAY, "AC-41"),
        vendor_said(41, 12 * 60, "resolved", "AC-41"),  # back before due
        created(42),
        handoff(42, 0, DAY, "AC-42"),
        vendor_said(42, 60, "waiting_on_us", "AC-42"),  # an hour's pause
        vendor_said(42, 120, "acknowledged", "AC-42"),
        created(43),
        handoff(43, 0, 3 * DAY, "AC-43"),  # not due yet
        created(44),
        handoff(44, 0, DAY, "AC-44"),
        vendor_said(44, DAY + 60, "rejected", "AC-44"),  # late, but done
        created(45),
        handoff(45, 0, DAY, "AC-45"),
        resolved(45, 1, 60),  # the ticket no longer waits
        created(46),
        handoff(46, 0, DAY // 2, "AC-46a"),
        vendor_said(46, 60, "resolved", "AC-46a"),
        handoff(46, 120, DAY + DAY // 2, "AC-46b"),  # the second hand-off is late
        created(47),
        handoff(47, 0, None, "AC-47"),  # due_at is not a time
        created(48),
        handoff(48, 0, DAY, "AC-48"),
        vendor_said(48, 60, "waiting_on_us", "AC-48"),  # still waiting on us
        created(49),
        handoff(49, 0, DAY // 2, "AC-49"),
        vendor_said(49, 60, "waiting_on_us", "AC-49"),  # two hours' pause
        vendor_said(49, 180, "in_progress", "AC-49"),
    ]

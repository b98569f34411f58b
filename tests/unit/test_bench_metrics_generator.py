"""The metrics benchmark's generated log follows the event vocabulary (bench/metrics.py)."""

from __future__ import annotations

import importlib.util
import itertools
import json
import sqlite3
import sys
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from swarm.events import EventType

ROOT = Path(__file__).resolve().parents[2]
KNOWN_TYPES = {t.value for t in EventType}
# What each status event moves to, so the ticket row can be checked against its log.
STATUS_AFTER = {"resolved": "resolved", "closed": "closed", "reopened": "open"}


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_metrics", ROOT / "bench" / "metrics.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while defining
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return _bench()


@pytest.fixture(scope="module")
def loaded(
    bench: ModuleType, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[sqlite3.Connection]:
    path = tmp_path_factory.mktemp("bench") / "metrics.sqlite3"
    bench.load(bench.SqliteLoader(path), 2000, 7, bar=False)
    db = sqlite3.connect(path)
    yield db
    db.close()


def _events(db: sqlite3.Connection) -> list[tuple[Any, ...]]:
    return db.execute(
        "SELECT id, ticket_id, type, actor_id, at, data, source FROM ticket_events ORDER BY id"
    ).fetchall()


def test_ids_increase_without_gaps_and_time_follows_them(loaded: sqlite3.Connection) -> None:
    events = _events(loaded)
    assert len(events) >= 2000
    assert [e[0] for e in events] == list(range(1, len(events) + 1))
    # Overlapping tickets interleave, and ids follow time across the whole log.
    assert all(a[4] < b[4] for a, b in itertools.pairwise(events))
    assert any(a[1] > b[1] for a, b in itertools.pairwise(events))


def test_every_ticket_starts_with_created_and_uses_known_types(loaded: sqlite3.Connection) -> None:
    by_ticket: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for event in _events(loaded):
        by_ticket[event[1]].append(event)
    assert all(events[0][2] == "created" for events in by_ticket.values())
    assert all(sum(e[2] == "created" for e in events) == 1 for events in by_ticket.values())
    assert {e[2] for events in by_ticket.values() for e in events} <= KNOWN_TYPES
    assert {e[6] for events in by_ticket.values() for e in events} == {"live"}


def test_assignments_name_an_agent_and_handoffs_their_previous_owner(
    loaded: sqlite3.Connection,
) -> None:
    staff = {uid for (uid,) in loaded.execute("SELECT id FROM users WHERE role <> 'requester'")}
    assigned = [
        json.loads(d)
        for (d,) in loaded.execute("SELECT data FROM ticket_events WHERE type = 'assigned'")
    ]
    assert assigned
    assert all(isinstance(a["agent_id"], int) and a["agent_id"] in staff for a in assigned)
    assert all(a["by"] in {"policy", "manual", "pull"} for a in assigned)
    assert all(a["previous_owner_id"] != a["agent_id"] for a in assigned)
    tiered = [a for a in assigned if a["by"] == "pull"]
    assert tiered and all(a["tier"] in {1, 2, 3} for a in tiered)


def test_both_arms_with_their_own_events(loaded: sqlite3.Connection) -> None:
    arms = dict(
        loaded.execute(
            "SELECT json_extract(data, '$.mode'), count(*) FROM ticket_events "
            "WHERE type = 'created' GROUP BY 1"
        ).fetchall()
    )
    assert set(arms) == {"swarm", "tiered"} and min(arms.values()) > 50
    by_arm = dict(
        loaded.execute(
            "SELECT t.mode || ':' || e.type, count(*) FROM ticket_events e "
            "JOIN tickets t ON t.id = e.ticket_id GROUP BY 1"
        ).fetchall()
    )
    assert by_arm.get("tiered:escalated", 0) > 0 and by_arm.get("tiered:queued", 0) > 0
    assert by_arm.get("swarm:helper_joined", 0) > 0 and by_arm.get("swarm:escalated") is None
    scores = {
        s
        for (s,) in loaded.execute(
            "SELECT json_extract(data, '$.score') FROM ticket_events "
            "WHERE type = 'satisfaction_rated'"
        )
    }
    assert scores and scores <= {1, 2, 3, 4, 5}


def test_ticket_rows_agree_with_their_logs(loaded: sqlite3.Connection) -> None:
    assert loaded.execute("PRAGMA foreign_key_check").fetchall() == []
    rows = {r[0]: r[1:] for r in loaded.execute("SELECT id, mode, priority, status FROM tickets")}
    created: dict[int, dict[str, Any]] = {}
    status: dict[int, str] = {}
    for _, ticket_id, type_, _, _, data, _ in _events(loaded):
        payload = json.loads(data)
        if type_ == "created":
            created[ticket_id] = payload
            status[ticket_id] = "new"
        elif type_ == "status_changed":
            status[ticket_id] = payload["to"]
        elif type_ in STATUS_AFTER:
            status[ticket_id] = STATUS_AFTER[type_]
    assert set(rows) == set(created)
    for ticket_id, (mode, priority, final) in rows.items():
        assert (mode, priority, final) == (
            created[ticket_id]["mode"],
            created[ticket_id]["priority"],
            status[ticket_id],
        )
    assert {"new", "open"} & set(status.values()), "some tickets are still open"


def test_the_same_seed_gives_the_same_log(bench: ModuleType) -> None:
    def run(seed: int) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = []
        bench.generate(300, seed, lambda _: None, rows.extend)
        return rows

    assert run(3) == run(3)
    assert run(3) != run(4)


def test_a_database_it_did_not_make_is_refused(bench: ModuleType, tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite3"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE settings (key TEXT, value TEXT)")
    db.commit()
    db.close()
    with pytest.raises(SystemExit, match="only replaces its own"):
        bench.SqliteLoader(path).reset()

"""Datasets are written apart from the live log and appear all at once (simulation/store.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from swarm.clock import FakeClock
from swarm.models import Dataset, DatasetActor, DatasetEvent, TicketEvent, User
from swarm.models.users import Role
from swarm.reporting.service import MetricsQuery, MetricsService
from swarm.simulation import store
from swarm.simulation.store import DatasetNameError, DatasetWriter
from swarm.tickets.errors import NotFound

T0 = datetime(2013, 4, 1, 9, 0, tzinfo=UTC)


def case_rows(ticket: int, handoffs: int = 0, owner: int = 10) -> list[dict]:
    at = T0 + timedelta(hours=ticket)
    rows = [
        {
            "ticket_id": ticket,
            "type": "created",
            "at": at,
            "actor_id": 99,
            "data": {"mode": "tiered", "priority": "P3", "requester_id": 99, "subject": "x"},
        }
    ]
    for k in range(handoffs + 1):
        rows.append(
            {
                "ticket_id": ticket,
                "type": "assigned",
                "at": at + timedelta(minutes=k + 1),
                "data": {"agent_id": owner + k, "by": "import"},
            }
        )
    rows.append(
        {
            "ticket_id": ticket,
            "type": "resolved",
            "at": at + timedelta(hours=2),
            "actor_id": owner + handoffs,
            "data": {"from": "open", "to": "resolved"},
        }
    )
    return rows


def write(engine, name: str, tickets: int, handoffs: int = 0, batch: int = 7) -> Dataset:
    with DatasetWriter(engine, name, fmt="xes", origin="log.xes", batch=batch) as w:
        for t in range(1, tickets + 1):
            w.add(case_rows(t, handoffs))
        w.add_actor(10, "G1", 1)
        w.add_actor(11, "G2 2nd", 2)
        return w.finish({"cases": tickets})


def counts(session, name: str) -> tuple[int, int]:
    events = session.scalar(select(func.count()).where(DatasetEvent.source == name))
    actors = session.scalar(select(func.count()).where(DatasetActor.source == name))
    return events, actors


def manager() -> User:
    return User(id=0, name="m", email="m@x", role=Role.MANAGER, active=True)


def test_a_dataset_is_written_in_batches_and_named_at_the_end(engine, session):
    stored = write(engine, "volvo", tickets=5)
    assert (stored.name, stored.cases, stored.events, stored.kind) == ("volvo", 5, 15, "import")
    assert stored.last_event_at == T0 + timedelta(hours=7)
    assert counts(session, "volvo") == (15, 2)
    # Nothing of it reaches the live log.
    assert session.scalar(select(func.count()).select_from(TicketEvent)) == 0
    assert session.scalar(select(func.count()).where(Dataset.name.like("~%"))) == 0


def test_reimporting_a_name_replaces_it(engine, session):
    write(engine, "volvo", tickets=5)
    write(engine, "volvo", tickets=3, handoffs=1)
    assert counts(session, "volvo") == (12, 2)
    assert session.get(Dataset, "volvo").cases == 3
    assert session.scalar(select(func.count()).select_from(DatasetEvent)) == 12


def test_a_failed_import_leaves_the_previous_dataset_and_no_staging_rows(engine, session):
    write(engine, "volvo", tickets=5)
    writer = DatasetWriter(engine, "volvo", fmt="xes", batch=2)
    with pytest.raises(RuntimeError, match="disk full"), writer as w:
        w.add(case_rows(1) + case_rows(2))
        raise RuntimeError("disk full")
    assert counts(session, "volvo") == (15, 2)
    assert session.scalar(select(func.count()).select_from(DatasetEvent)) == 15
    assert session.scalar(select(func.count()).select_from(Dataset)) == 1


def test_staging_rows_of_a_dead_import_are_never_listed_and_cleaned_later(engine, session):
    dead = DatasetWriter(engine, "half", fmt="uci", batch=2)
    dead.__enter__()
    dead.add(case_rows(1))  # flushed in batches; then the process "dies"
    service = MetricsService(session, FakeClock(T0))
    assert [d["name"] for d in service.datasets(manager())] == ["live"]
    with pytest.raises(NotFound):
        service.report(manager(), MetricsQuery(dataset=dead.staging))
    session.rollback()  # one in-memory connection: end the reads before writing
    # Too recent to be dead: another writer leaves it alone.
    write(engine, "other", tickets=1)
    assert session.get(Dataset, dead.staging) is not None
    session.rollback()
    with engine.begin() as conn:
        conn.execute(
            update(Dataset)
            .where(Dataset.name == dead.staging)
            .values(created_at=datetime.now(UTC) - store.STALE_AFTER - timedelta(minutes=1))
        )
    write(engine, "other", tickets=1)
    session.expire_all()
    assert session.get(Dataset, dead.staging) is None
    assert counts(session, dead.staging) == (0, 0)


@pytest.mark.parametrize(
    ("name", "kind", "message"),
    [
        ("live", "import", "live is the application's own log"),
        ("LIVE", "import", "live is the application's own log"),
        ("", "import", "1 to 64 characters"),
        ("x" * 65, "import", "1 to 64 characters"),
        ("sim:run", "import", "reserved for simulator runs"),
        ("run", "sim", "sim:<run>"),
        ("~tmp", "import", "cannot start with '~'"),
    ],
)
def test_names_that_cannot_be_a_dataset(engine, name, kind, message):
    with pytest.raises(DatasetNameError, match=message):
        DatasetWriter(engine, name, kind=kind, fmt="sim")


def test_a_simulator_run_is_a_sim_dataset(engine, session):
    with DatasetWriter(engine, "sim:r1", kind="sim", fmt="sim", params={"seed": 7}) as w:
        w.add(case_rows(1))
        w.finish({"arms": 2})
    assert session.get(Dataset, "sim:r1").params == {"seed": 7}


def test_metrics_read_a_dataset_with_its_actors_names_and_levels(engine, session):
    write(engine, "volvo", tickets=6, handoffs=1)
    service = MetricsService(session, FakeClock(datetime(2030, 1, 1, tzinfo=UTC)))
    listed = service.datasets(manager())
    assert listed[0]["name"] == "live"
    assert listed[1] == {
        "name": "volvo",
        "kind": "import",
        "format": "xes",
        "origin": "log.xes",
        "tickets": 6,
        "events": 24,
        "last_event_at": (T0 + timedelta(hours=8)).isoformat(),
    }
    report = service.compare(manager(), MetricsQuery(dataset="volvo"))
    tiered = report["arms"]["tiered"]
    assert report["tickets"] == 6 and tiered["resolved"] == 6
    assert tiered["metrics"]["handoffs"]["mean"] == 1.0
    assert service.levels("volvo") == {10: 1, 11: 2}
    people = service.contribution(manager(), MetricsQuery(dataset="volvo"))["people"]
    assert {p["name"] for p in people} >= {"G1", "G2 2nd"}

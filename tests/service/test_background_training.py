"""The skill model trains beside the request path: keyed on what it learns from, swapped whole.

Trainings are counted on the trainer, never timed: a room joined and a ticket opened must cost
none; a correction, a resolution or a taxonomy change one, run later while the old model routes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from swarm.db import Base, make_engine, make_session_factory
from swarm.dispatch.background import ThreadRunner
from swarm.dispatch.caches import RoutingCaches
from swarm.dispatch.inference import InfererCache
from swarm.dispatch.service import RoutingService
from swarm.models import AgentSkill, Participation, Skill, User
from swarm.skills.graph import SkillGraph
from swarm.skills.inference import SkillInferer, train_inferer
from swarm.tickets.rooms import RoomService
from tests.builders import make_agent, make_user


class QueuedRunner:
    """Background jobs run only when the test says so; "meanwhile" is the time in between."""

    concurrent = True

    def __init__(self) -> None:
        self.jobs: list[Callable[[], None]] = []

    def start(self, job: Callable[[], None]) -> None:
        self.jobs.append(job)

    def offload(self, fn: Callable[..., Any], *args: Any) -> Any:
        return fn(*args)

    def run(self) -> None:
        jobs, self.jobs = self.jobs, []
        for job in jobs:
            job()


class JoinableThreads(ThreadRunner):
    def __init__(self) -> None:
        self.threads: list[threading.Thread] = []

    def start(self, job: Callable[[], None]) -> None:
        thread = threading.Thread(target=job, daemon=True)
        self.threads.append(thread)
        thread.start()

    def join(self) -> None:
        for thread in self.threads:
            thread.join(timeout=60)
            assert not thread.is_alive(), "the training thread never finished"


class CountingTrainer:
    def __init__(self) -> None:
        self.calls = 0
        self.broken = False
        self.gate: threading.Event | None = None
        self.started = threading.Event()

    def __call__(
        self, graph: SkillGraph, examples: Sequence[tuple[str, Iterable[int]]]
    ) -> SkillInferer:
        self.calls += 1
        self.started.set()
        if self.gate is not None:
            assert self.gate.wait(timeout=60), "the test never opened the gate"
        if self.broken:
            raise RuntimeError("out of memory")
        return train_inferer(graph, examples)


@pytest.fixture
def file_engine(tmp_path: Path) -> Iterator[Engine]:
    # A file, not :memory:: a background job opens a connection of its own.
    import swarm.models  # noqa: F401 - registers the tables

    engine = make_engine(f"sqlite:///{tmp_path / 'training.db'}")
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def db(file_engine: Engine) -> Iterator[Session]:
    with make_session_factory(file_engine)() as s:
        yield s


@pytest.fixture
def trainer() -> CountingTrainer:
    return CountingTrainer()


@pytest.fixture
def runner() -> QueuedRunner:
    return QueuedRunner()


@pytest.fixture
def caches(runner: QueuedRunner, trainer: CountingTrainer) -> RoutingCaches:
    return RoutingCaches(inference=InfererCache(runner, train=trainer))


@pytest.fixture
def routing(db: Session, clock, notifier, caches: RoutingCaches) -> RoutingService:
    return RoutingService(db, clock, notifier, caches)


def add_skill(db: Session, name: str, *aliases: str) -> Skill:
    skill = Skill(name=name, aliases=list(aliases), description="")
    db.add(skill)
    db.commit()
    return skill


@pytest.fixture
def org(db: Session, clock) -> dict[str, Any]:
    printing = add_skill(db, "Printing", "printer")
    dns = add_skill(db, "DNS")
    pia = make_agent(db, clock, name="Pia Print")
    dan = make_agent(db, clock, name="Dan DNS")
    db.add_all(
        [
            AgentSkill(user_id=pia.id, skill_id=printing.id, proficiency=4),
            AgentSkill(user_id=dan.id, skill_id=dns.id, proficiency=4),
        ]
    )
    db.commit()
    return {
        "printing": printing,
        "dns": dns,
        "pia": pia,
        "dan": dan,
        "requester": make_user(db, clock, name="Rita"),
    }


def open_ticket(routing: RoutingService, org: dict[str, Any], subject: str, body: str) -> Any:
    return routing.open_ticket(org["requester"], subject=subject, body=body)


def served(routing: RoutingService) -> SkillInferer:
    """The inferer a routing call would use right now."""
    graph = routing.caches.org.graph(routing.session)
    return routing.caches.inference.inferer(routing.session, graph)


@pytest.fixture
def trained(routing, org, runner, trainer) -> SkillInferer:
    """Two corrected tickets, and the model trained on them (one training)."""
    jam = open_ticket(routing, org, "Tray 2 shows paper jam", "Cannot print invoices")
    routing.set_skills(org["pia"], jam.id, [(org["printing"].id, 1.0)])
    site = open_ticket(routing, org, "Intranet site not found", "name does not resolve")
    routing.set_skills(org["dan"], site.id, [(org["dns"].id, 1.0)])
    runner.run()
    open_ticket(routing, org, "Anything", "to notice the corrections")
    runner.run()
    assert trainer.calls >= 1 and routing.caches.inference.status()["examples"] == 2
    trainer.calls = 0
    inferer = served(routing)
    assert inferer.model is not None and runner.jobs == []
    return inferer


def test_a_room_joined_then_a_ticket_opened_costs_no_retraining(
    routing, org, trained, runner, trainer, db, clock, notifier
):
    rooms = RoomService(db, clock, notifier, invitation_ttl=timedelta(minutes=10))
    ticket = open_ticket(routing, org, "Printer offline", "3rd floor")
    helper = org["dan"] if ticket.owner_id != org["dan"].id else org["pia"]
    before = db.scalar(select(func.count(Participation.id)))
    graph = routing.caches.org.graph(db)

    rooms.send_message(helper, ticket.id, "I can look at it", "c-1")  # the helper joins
    assert db.scalar(select(func.count(Participation.id))) == before + 1
    # The organisation snapshot did rebuild its graph: the old cache keyed on it retrained here.
    assert routing.caches.org.graph(db) is not graph
    second = open_ticket(routing, org, "Printer offline again", "4th floor")

    assert second.owner_id is not None
    assert runner.jobs == [] and trainer.calls == 0
    assert served(routing) is trained


def correct(routing, org, db) -> None:
    ticket = open_ticket(routing, org, "Toner low", "the printer says replace toner")
    routing.set_skills(org["pia"], ticket.id, [(org["printing"].id, 1.0)])


def resolve(routing, org, db) -> None:
    ticket = open_ticket(routing, org, "Printer offline", "it shows an error")
    assert ticket.skills and ticket.owner_id is not None
    owner = db.get(User, ticket.owner_id)
    routing.tickets.resolve(owner, ticket.id, "Power-cycled it")


def label_a_jam(routing, org, db) -> None:
    ticket = open_ticket(routing, org, "Tray 4 shows paper jam", "Cannot print labels")
    routing.set_skills(org["pia"], ticket.id, [(org["printing"].id, 1.0)])


def swap_a_correction(routing, org, db) -> None:
    """Same number of labelled rows, another skill: a count and a maximum would not move."""
    ticket = open_ticket(routing, org, "Tray 4 shows paper jam", "Cannot print labels")
    routing.set_skills(org["dan"], ticket.id, [(org["dns"].id, 1.0)])


def rename_taxonomy(routing, org, db) -> None:
    add_skill(db, "VPN", "AnyConnect")


@pytest.mark.parametrize(
    ("prepare", "change"),
    [(None, correct), (None, resolve), (label_a_jam, swap_a_correction), (None, rename_taxonomy)],
)
def test_what_the_model_learns_from_retrains_it_while_the_old_model_routes(
    prepare, change, routing, org, trained, runner, trainer, db
):
    if prepare is not None:
        prepare(routing, org, db)
        served(routing)
        runner.run()
        trained = served(routing)
        trainer.calls = 0
    change(routing, org, db)
    open_ticket(routing, org, "Printer offline", "5th floor")

    # Scheduled, not run: routing meanwhile used the model it had.
    assert len(runner.jobs) == 1 and trainer.calls == 0
    assert served(routing).model is trained.model
    assert routing.caches.inference.status()["status"] == "training"

    runner.run()
    assert trainer.calls == 1
    new = served(routing)
    assert new is not trained and new.model is not trained.model
    assert routing.caches.inference.status()["status"] == "ok"


def test_changes_during_a_training_are_folded_into_one_more(
    routing, org, trained, runner, trainer, db
):
    correct(routing, org, db)
    served(routing)
    correct(routing, org, db)
    served(routing)
    assert len(runner.jobs) == 1  # the second change joined the queued training
    runner.run()
    assert trainer.calls == 1 and routing.caches.inference.status()["examples"] == 4


def test_a_real_thread_trains_while_requests_route_on_the_old_model(
    file_engine, clock, notifier, org, db
):
    threads, trainer = JoinableThreads(), CountingTrainer()
    caches = RoutingCaches(inference=InfererCache(threads, train=trainer))
    routing = RoutingService(db, clock, notifier, caches)
    jam = open_ticket(routing, org, "Tray 2 shows paper jam", "Cannot print invoices")
    routing.set_skills(org["pia"], jam.id, [(org["printing"].id, 1.0)])
    site = open_ticket(routing, org, "Intranet site not found", "name does not resolve")
    routing.set_skills(org["dan"], site.id, [(org["dns"].id, 1.0)])
    served(routing)
    threads.join()
    old = served(routing)
    assert old.model is not None

    trainer.gate = threading.Event()
    trainer.started.clear()
    correct(routing, org, db)
    open_ticket(routing, org, "Printer jam", "tray 1")
    assert trainer.started.wait(timeout=60)
    # The training thread is inside the fit: requests keep routing, on the old model.
    ticket = open_ticket(routing, org, "Printer jam again", "tray 3")
    assert ticket.owner_id is not None
    assert served(routing).model is old.model
    calls = trainer.calls

    trainer.gate.set()
    threads.join()
    assert trainer.calls == calls  # the requests meanwhile started no second training
    assert served(routing).model is not old.model
    assert caches.inference.status()["examples"] == 3


def test_a_failed_training_keeps_the_old_model_and_says_so(
    routing, org, trained, runner, trainer, db, caplog
):
    trainer.broken = True
    correct(routing, org, db)
    with caplog.at_level(logging.ERROR, logger="swarm.dispatch.inference"):
        ticket = open_ticket(routing, org, "Printer jam", "tray 1")
        runner.run()

    assert trainer.calls == 1
    assert "training the skill model failed; the previous model keeps serving" in caplog.text
    assert served(routing) is trained and ticket.skills
    status = routing.caches.inference.status()
    assert status["status"] == "degraded" and status["error"] == "RuntimeError: out of memory"
    assert status["model"] == "trained" and status["examples"] == 2
    # The same data is not retried on every call; new data is.
    open_ticket(routing, org, "Printer jam", "tray 2")
    assert runner.jobs == []
    trainer.broken = False
    correct(routing, org, db)
    served(routing)
    runner.run()
    assert routing.caches.inference.status()["status"] == "ok"
    assert served(routing) is not trained


def test_before_the_first_model_names_and_aliases_route(routing, org, runner, trainer, db):
    jam = open_ticket(routing, org, "Tray 2 shows paper jam", "Cannot print invoices")
    routing.set_skills(org["pia"], jam.id, [(org["printing"].id, 1.0)])
    runner.jobs.clear()
    ticket = open_ticket(routing, org, "Printer offline", "3rd floor")

    assert [s.skill_id for s in ticket.skills] == [org["printing"].id]
    assert "mentions" in ticket.skills[0].why
    assert served(routing).model is None and trainer.calls == 0
    assert routing.caches.inference.status()["model"] == "names and aliases only"


def test_warming_schedules_the_first_training_and_routes_meanwhile(
    routing, org, runner, trainer, db
):
    jam = open_ticket(routing, org, "Tray 2 shows paper jam", "Cannot print invoices")
    routing.set_skills(org["pia"], jam.id, [(org["printing"].id, 1.0)])
    site = open_ticket(routing, org, "Intranet site not found", "name does not resolve")
    routing.set_skills(org["dan"], site.id, [(org["dns"].id, 1.0)])
    fresh = RoutingService(
        db, routing.clock, routing.tickets.notifier, RoutingCaches(inference=InfererCache(runner))
    )
    runner.jobs.clear()
    fresh.warm_inference()
    assert len(runner.jobs) == 1 and fresh.caches.inference.status()["status"] == "training"
    runner.run()
    assert fresh.caches.inference.status() | {"trained_at": None} == {
        "status": "ok",
        "model": "trained",
        "examples": 2,
        "trained_at": None,
        "training": False,
        "error": None,
    }

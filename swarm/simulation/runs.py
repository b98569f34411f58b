"""What-if runs started by a manager from the pages or the API.

:class:`SimulationService` checks who asks (managers and admins), validates the scenario (the
same parser as ``python -m swarm simulate --scenario``, whose errors name the field and the
line), applies the page's main knobs on top of it and records a :class:`SimulationRun`. The run
itself is CPU work of seconds to minutes, which must not stall a server that serves rooms, so it
happens in a child process — ``python -m swarm run-simulation ID`` calls :func:`execute` —
that streams the events into the dataset ``sim:<name>`` through
:class:`~swarm.simulation.store.DatasetWriter` (visible all at once when it finishes, like an
import) and writes its progress to the run's row. The server relays that progress to the
managers' pages (swarm/realtime/simulations.py).
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml
from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from swarm.models import RunState, SimulationRun, User
from swarm.models.users import Role
from swarm.resources import examples_dir
from swarm.simulation.runner import simulate_arms
from swarm.simulation.scenario import Scenario, ScenarioError, parse_scenario
from swarm.simulation.store import DatasetWriter
from swarm.simulation.workload import draw_tickets
from swarm.tickets.errors import Conflict, Forbidden, Invalid, NotFound

__all__ = [
    "EXAMPLES_DIR",
    "MAX_UI_TICKETS",
    "Knobs",
    "SimulationService",
    "examples",
    "execute",
    "run_view",
    "store_arms",
]

log = logging.getLogger(__name__)

#: The example scenarios shipped with the project (``examples/*.yaml``).
EXAMPLES_DIR = examples_dir()
#: Runs from the pages are for questions a manager asks while waiting: a bigger one belongs to
#: ``python -m swarm simulate`` (and its replications), not to a server's child process.
MAX_UI_TICKETS = 100_000
#: Runs that may be queued or running at once: each is a process busy on a core.
MAX_ACTIVE = 2
#: The longest scenario text accepted (a generous desk listing every agent is ~100 KB).
MAX_SCENARIO_CHARS = 200_000
#: A running run whose child has not written for this long lost its process.
LOST_AFTER = timedelta(minutes=5)
#: How often the child writes its progress (seconds of wall time).
PROGRESS_EVERY = 0.5
_SLUG = re.compile(r"[^a-z0-9]+")


def examples() -> dict[str, str]:
    """``name -> YAML text`` of the shipped example scenarios, by file name."""
    if not EXAMPLES_DIR.is_dir():
        return {}
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(EXAMPLES_DIR.glob("*.yaml"))}


@dataclass(frozen=True)
class Knobs:
    """The main knobs a page offers on top of a scenario; ``None`` keeps the scenario's."""

    title: str | None = None
    seed: int | None = None
    days: float | None = None
    per_hour: float | None = None
    agents: int | None = None
    arms: str | None = None


def _apply(text: str, knobs: Knobs) -> str:
    """The scenario ``text`` with ``knobs`` written into it (YAML out; comments are not kept —
    the stored text is what ran)."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise Invalid(
            f"The scenario is not valid YAML{where}.", fields={"scenario": [str(error)]}
        ) from error
    if not isinstance(doc, dict):
        raise Invalid(
            "A scenario is a YAML mapping (name, seed, arrivals, agents, …).",
            fields={"scenario": ["expected a mapping at the top level"]},
        )
    if knobs.title is not None:
        doc["name"] = knobs.title
    if knobs.seed is not None:
        doc["seed"] = knobs.seed
    if knobs.days is not None:
        doc["duration_days"] = knobs.days
        doc.pop("tickets", None)
    if knobs.per_hour is not None:
        arrivals = doc.get("arrivals")
        doc["arrivals"] = (
            {**arrivals, "per_hour": knobs.per_hour}
            if isinstance(arrivals, dict)
            else {"per_hour": knobs.per_hour}
        )
    if knobs.agents is not None:
        agents = doc.get("agents")
        if isinstance(agents, list):
            raise Invalid(
                "This scenario lists its agents one by one: change the list instead of the "
                "number of agents.",
                fields={"agents": ["the scenario lists its agents"]},
            )
        doc["agents"] = (
            {**agents, "count": knobs.agents}
            if isinstance(agents, dict)
            else {"count": knobs.agents}
        )
    if knobs.arms is not None:
        doc["arms"] = knobs.arms
    return str(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))


def _expected_tickets(scenario: Scenario) -> int:
    """About how many tickets the scenario draws per arm (the mean of its arrivals)."""
    if scenario.tickets is not None:
        return scenario.tickets
    return round(scenario.arrivals.per_hour * 24 * (scenario.duration_days or 0))


def run_view(run: SimulationRun, now: datetime) -> dict[str, Any]:
    """A run as the pages and the API show it (staff-only: managers and admins)."""
    state = run.state
    error = run.error
    if state in (RunState.QUEUED, RunState.RUNNING) and _lost(run, now):
        state, error = RunState.FAILED, "The run stopped without finishing: its process ended."
    return {
        "id": run.id,
        "title": run.title,
        "dataset": run.dataset,
        "state": state,
        "done": run.done,
        "total": run.total,
        "progress": round(run.done / run.total, 4) if run.total else 0.0,
        "error": error,
        "summary": run.summary or {},
        "requested_by": run.requested_by,
        "created_at": run.created_at.isoformat(),
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
    }


def _lost(run: SimulationRun, now: datetime) -> bool:
    last = run.beat_at or run.started_at or run.created_at
    return now - last > LOST_AFTER


class SimulationService:
    """Starting and reading what-if runs, for managers and admins.

    A run's times are the wall clock's, not the application's clock: they are stamped by a
    child process that has no other, and whether a run's process is still alive is a question
    about real time (:data:`LOST_AFTER`).
    """

    def __init__(self, session: Session) -> None:
        self.session = session

    def _require_manager(self, viewer: User, doing: str) -> None:
        if not viewer.is_active or viewer.role not in (Role.MANAGER, Role.ADMIN):
            raise Forbidden(f"Only managers and admins may {doing}.")

    def examples(self, viewer: User) -> dict[str, str]:
        self._require_manager(viewer, "read the example scenarios")
        return examples()

    def prepare(
        self, viewer: User, *, scenario: str | None, example: str | None, knobs: Knobs
    ) -> tuple[str, Scenario]:
        """The scenario text a run would use, validated: ``scenario`` (YAML) or the shipped
        ``example``, with ``knobs`` applied. Raises :class:`Invalid` with the field and the
        line of what is wrong."""
        self._require_manager(viewer, "run simulations")
        if scenario is None or not scenario.strip():
            if example is None:
                raise Invalid(
                    "Give a scenario (YAML) or the name of an example.",
                    fields={"scenario": ["missing"]},
                )
            shipped = examples()
            if example not in shipped:
                names = ", ".join(sorted(shipped)) or "none"
                raise Invalid(
                    f"There is no example scenario {example!r} (there are: {names}).",
                    fields={"example": ["unknown example"]},
                )
            scenario = shipped[example]
        if len(scenario) > MAX_SCENARIO_CHARS:
            raise Invalid(
                f"The scenario is {len(scenario):,} characters long; at most "
                f"{MAX_SCENARIO_CHARS:,} are accepted.",
                fields={"scenario": ["too long"]},
            )
        text = _apply(scenario, knobs)
        try:
            parsed = parse_scenario(text, source="scenario")
        except ScenarioError as error:
            raise Invalid(str(error), fields={"scenario": [str(error)]}) from error
        expected = _expected_tickets(parsed)
        if expected > MAX_UI_TICKETS:
            raise Invalid(
                f"This scenario draws about {expected:,} tickets per arm; runs started here "
                f"stop at {MAX_UI_TICKETS:,}. Shorten it, or run it with `python -m swarm "
                "simulate --scenario FILE`.",
                fields={"scenario": ["too many tickets for a run from the page"]},
            )
        return text, parsed

    def start(
        self,
        viewer: User,
        *,
        scenario: str | None = None,
        example: str | None = None,
        knobs: Knobs | None = None,
    ) -> SimulationRun:
        """Record a run (state ``queued``); the caller starts its process
        (:func:`swarm.realtime.simulations.launch`) after the commit."""
        text, parsed = self.prepare(
            viewer, scenario=scenario, example=example, knobs=knobs or Knobs()
        )
        now = datetime.now(UTC)
        active = [
            run
            for run in self.session.scalars(
                select(SimulationRun).where(
                    SimulationRun.state.in_((RunState.QUEUED, RunState.RUNNING))
                )
            )
            if not _lost(run, now)
        ]
        if len(active) >= MAX_ACTIVE:
            raise Conflict(
                f"{len(active)} runs are already going (at most {MAX_ACTIVE} at once, each busy "
                "on a processor core): start this one when one of them is done."
            )
        slug = _SLUG.sub("-", parsed.name.lower()).strip("-")[:40] or "run"
        for _ in range(5):
            run = SimulationRun(
                dataset=f"sim:{slug}-{secrets.token_hex(3)}",
                title=parsed.name[:120],
                scenario=text,
                state=RunState.QUEUED,
                done=0,
                total=0,
                summary={"warnings": list(parsed.warnings)} if parsed.warnings else {},
                requested_by=viewer.id,
                created_at=now,
            )
            try:
                with self.session.begin_nested():
                    self.session.add(run)
            except IntegrityError:  # the random suffix was taken: draw again
                continue
            return run
        raise Invalid("Could not name the run's dataset; try again.")

    def runs(self, viewer: User, limit: int = 50) -> list[dict[str, Any]]:
        """The latest runs, newest first."""
        self._require_manager(viewer, "read simulation runs")
        now = datetime.now(UTC)
        rows = self.session.scalars(
            select(SimulationRun).order_by(SimulationRun.id.desc()).limit(limit)
        )
        return [run_view(run, now) for run in rows]

    def run(self, viewer: User, run_id: int) -> dict[str, Any]:
        self._require_manager(viewer, "read simulation runs")
        run = self.session.get(SimulationRun, run_id)
        if run is None:
            raise NotFound(f"There is no simulation run {run_id}.")
        return run_view(run, datetime.now(UTC))


def store_arms(
    engine: Engine,
    scenario: Scenario,
    dataset: str,
    *,
    params: Mapping[str, Any],
    on_tickets: Callable[[int], object] | None = None,
) -> dict[str, dict[str, int]]:
    """Run the scenario's arms (replication 1) and stream their events into ``dataset``, which
    appears all at once when both are done (replacing a dataset of that name); the agents are
    named in it. ``on_tickets(n)`` hears each batch's new tickets. Returns per arm its tickets,
    resolved tickets and events."""
    with DatasetWriter(
        engine,
        dataset,
        kind="sim",
        fmt="sim",
        origin=scenario.name,
        params=params,
        arm=scenario.arms[0] if len(scenario.arms) == 1 else "both",
    ) as writer:

        def sink(rows: list[Mapping[str, Any]]) -> None:
            writer.add(rows)
            if on_tickets is not None:
                on_tickets(sum(1 for row in rows if row["type"] == "created"))

        arms = simulate_arms(scenario, sink)
        named: set[int] = set()
        for summary in arms.values():
            for agent_id, name, level in summary.agents:
                if agent_id not in named:
                    named.add(agent_id)
                    writer.add_actor(agent_id, name, level if 1 <= level <= 3 else None)
        figures = {
            arm: {"tickets": s.tickets, "resolved": s.resolved, "events": s.events}
            for arm, s in arms.items()
        }
        writer.finish({"arms": figures, "scenario": scenario.name})
    return figures


def execute(
    engine: Engine,
    run_id: int,
    progress: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Run a recorded run to the end, in this process: claim it (only a ``queued`` run is
    taken, so two launches never run it twice), stream its events into its dataset, keep its
    row's progress current, and end it ``done`` or ``failed``. Returns the final view;
    ``progress`` hears each step (the server relays them to the pages)."""
    with Session(engine) as session:
        now = datetime.now(UTC)
        claimed = session.execute(  # type: ignore[attr-defined]  # an UPDATE's CursorResult
            update(SimulationRun)
            .where(SimulationRun.id == run_id, SimulationRun.state == RunState.QUEUED)
            .values(state=RunState.RUNNING, pid=os.getpid(), started_at=now, beat_at=now)
        ).rowcount
        session.commit()
        run = session.get(SimulationRun, run_id)
        if run is None:
            raise NotFound(f"There is no simulation run {run_id}.")
        if not claimed:
            return run_view(run, now)
        dataset, text = run.dataset, run.scenario

    def save(**values: Any) -> dict[str, Any]:
        with Session(engine) as session:
            session.execute(
                update(SimulationRun).where(SimulationRun.id == run_id).values(**values)
            )
            session.commit()
            row = session.get(SimulationRun, run_id)
            assert row is not None
            view = run_view(row, datetime.now(UTC))
        if progress is not None:
            progress(view)
        return view

    try:
        scenario = parse_scenario(text, source=dataset)
        per_arm = len(draw_tickets(scenario, 0))
        total = per_arm * len(scenario.arms)
        save(total=total, beat_at=datetime.now(UTC))
        state = {"done": 0, "told": time.monotonic()}

        def step(tickets: int) -> None:
            state["done"] += tickets
            if time.monotonic() - state["told"] >= PROGRESS_EVERY:
                state["told"] = time.monotonic()
                save(done=state["done"], beat_at=datetime.now(UTC))

        figures = store_arms(
            engine, scenario, dataset, params={"scenario": text, "run": run_id}, on_tickets=step
        )
        return save(
            state=RunState.DONE,
            done=total,
            summary={"arms": figures, "warnings": list(scenario.warnings)},
            finished_at=datetime.now(UTC),
            beat_at=datetime.now(UTC),
        )
    except ScenarioError as error:
        return save(state=RunState.FAILED, error=str(error), finished_at=datetime.now(UTC))
    except Exception as error:
        log.exception("simulation run %s failed", run_id)
        return save(
            state=RunState.FAILED,
            error=f"The run failed: {type(error).__name__}: {error}",
            finished_at=datetime.now(UTC),
        )

"""The product's skill inference: trained from the organisation's own labelled tickets.

Training examples are the tickets whose skills a person set (corrections) and the resolved or
closed tickets' skills; the taxonomy's names and aliases always count. The model depends on
those two things only, so that is what it is keyed on: a room joined, a profile edited or the
organisation snapshot rebuilt for any other reason leaves it alone.

Training never runs on the request path. When the key moves, the next routing call schedules
a training on the app's :class:`~swarm.dispatch.background.Runner` and goes on with the model
it has; the new one replaces it in a single assignment when it is ready, so a request sees the
old model or the new one, never half of each. At most one training runs at a time; changes
that arrive meanwhile are folded into one more. A training that fails leaves the previous model
serving, logs the exception and says so in :meth:`InfererCache.status` (``/readyz``); the
same key is tried again after :data:`RETRY_SECONDS`.

Cold start: until the first model is ready, inference uses the taxonomy's names and aliases
alone — the same inferer as with fewer than two labelled skills — rather than make the first
routed ticket wait seconds for a training. ``python -m swarm serve`` starts that first
training before it listens.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, or_, select
from sqlalchemy.orm import Session

from swarm.dispatch.background import InlineRunner, Runner
from swarm.models import Ticket, TicketSkill
from swarm.models.tickets import Status
from swarm.skills.graph import SkillGraph
from swarm.skills.inference import SkillInferer, train_inferer

log = logging.getLogger(__name__)

LABELLED = or_(TicketSkill.source == "manual", Ticket.status.in_([Status.RESOLVED, Status.CLOSED]))
#: A training that failed is tried again for the same data after this long, not on every call.
RETRY_SECONDS = 60.0

Examples = list[tuple[str, list[int]]]
Source = Session | Engine | Connection
Trainer = Callable[[SkillGraph, Examples], SkillInferer]


def ticket_text(subject: str, body: str) -> str:
    return f"{subject}\n{body}"


def taxonomy_key(graph: SkillGraph) -> tuple[Any, ...]:
    """What of the graph the inferer reads: skills with names and aliases, and relations.

    The organisation snapshot rebuilds its graph object whenever anything in its stamp moves
    (a participation, a proficiency): equal content must not mean a new model.
    """
    return (tuple(sorted(graph.skills.values(), key=lambda s: s.id)), graph.relations)


def labelled_stamp(session: Session) -> tuple[Any, ...]:
    """Moves whenever the labelled set does: a ticket resolved, reopened or corrected.

    The sums change when a correction swaps one skill for another on the same ticket, which a
    count and a maximum would miss.
    """
    row = session.execute(
        select(
            func.count(TicketSkill.ticket_id),
            func.sum(TicketSkill.ticket_id),
            func.sum(TicketSkill.skill_id),
            func.sum(TicketSkill.ticket_id * TicketSkill.skill_id),
        )
        .join(Ticket, Ticket.id == TicketSkill.ticket_id)
        .where(LABELLED)
    ).one()
    return tuple(int(value or 0) for value in row)


def labelled_examples(session: Session) -> Examples:
    """Every labelled ticket's text and skill ids, oldest ticket first."""
    labels: dict[int, list[int]] = {}
    texts: dict[int, str] = {}
    rows = session.execute(
        select(Ticket.id, Ticket.subject, Ticket.body, TicketSkill.skill_id)
        .join(TicketSkill, TicketSkill.ticket_id == Ticket.id)
        .where(LABELLED)
        .order_by(Ticket.id)
    )
    for ticket_id, subject, body, skill_id in rows:
        texts[ticket_id] = ticket_text(subject, body)
        labels.setdefault(ticket_id, []).append(skill_id)
    return [(texts[t], labels[t]) for t in texts]


@dataclass(frozen=True)
class Model:
    """A trained inferer and what it was trained on."""

    key: tuple[Any, ...]
    inferer: SkillInferer
    examples: int
    trained_at: datetime
    seconds: float


@dataclass(frozen=True)
class Failure:
    key: tuple[Any, ...]
    error: str
    at: datetime
    monotonic: float


class InfererCache:
    """The serving skill model of one process, retrained in the background when its data moves.

    Parameters
    ----------
    runner : Runner
        Where trainings run; :class:`~swarm.dispatch.background.InlineRunner` (the default,
        for scripts and service tests) trains at once in the caller.
    train : callable
        ``train(graph, examples) -> SkillInferer``; :func:`train_inferer` unless a test counts
        or breaks it.
    """

    def __init__(self, runner: Runner | None = None, train: Trainer = train_inferer) -> None:
        self._runner: Runner = runner or InlineRunner()
        self._train = train
        # Guards the scheduling state below; never held while reading or training.
        self._lock = threading.Lock()
        self._model: Model | None = None
        # The last graph asked about and its taxonomy key (the snapshot keeps one graph a while).
        self._taxonomy: tuple[SkillGraph, tuple[Any, ...]] | None = None
        # The serving model's text model over the caller's taxonomy, or names and aliases alone.
        self._view: tuple[tuple[Any, ...], Model | None, SkillInferer] | None = None
        # The newest key asked for, its graph, and where to read the examples: the caller's
        # session for an inline runner, else the engine to open a session of the job's own.
        self._wanted: tuple[tuple[Any, ...], SkillGraph, Source] | None = None
        self._running = False
        self._failure: Failure | None = None
        #: Trainings started by this process (also the failed ones).
        self.trainings = 0

    def inferer(self, session: Session, graph: SkillGraph) -> SkillInferer:
        """The inferer to use now: the newest model that is ready, over ``graph``'s names.

        Costs one aggregate query when nothing changed; when something did, schedules a
        training and returns at once.
        """
        last = self._taxonomy
        if last is not None and last[0] is graph:
            taxonomy = last[1]
        else:
            taxonomy = taxonomy_key(graph)
            self._taxonomy = (graph, taxonomy)
        key = (taxonomy, labelled_stamp(session))
        model = self._model
        if model is None or model.key != key:
            source = session.get_bind() if self._runner.concurrent else session
            self._schedule(key, graph, source)
            model = self._model  # an inline runner has just trained it
        if model is not None and model.key[0] == taxonomy:
            return model.inferer
        return self._over(taxonomy, graph, model)

    def status(self) -> dict[str, Any]:
        """How inference stands, for ``/readyz``: ``ok``, ``training`` or ``degraded``."""
        model, failure = self._model, self._failure
        state = "degraded" if failure is not None else "training" if self._running else "ok"
        return {
            "status": state,
            # Fewer than two labelled skills teach nothing: names and aliases alone, trained or not.
            "model": "trained"
            if model is not None and model.inferer.model is not None
            else "names and aliases only",
            "examples": model.examples if model else 0,
            "trained_at": model.trained_at.isoformat() if model else None,
            "training": self._running,
            "error": failure.error if failure else None,
        }

    # ------------------------------------------------------------------ internals

    def _over(
        self, taxonomy: tuple[Any, ...], graph: SkillGraph, model: Model | None
    ) -> SkillInferer:
        """The serving model's text model over a taxonomy it was not trained with, until the
        retraining is ready; names and aliases only if it names a skill no longer there."""
        view = self._view
        if view is not None and view[0] == taxonomy and view[1] is model:
            return view[2]
        text_model = model.inferer.model if model is not None else None
        if text_model is not None and not set(text_model.labels) <= graph.skills.keys():
            text_model = None
        inferer = SkillInferer(graph, model=text_model)
        self._view = (taxonomy, model, inferer)
        return inferer

    def _schedule(self, key: tuple[Any, ...], graph: SkillGraph, source: Source) -> None:
        with self._lock:
            self._wanted = (key, graph, source)
            failure = self._failure
            if (
                failure is not None
                and failure.key == key
                and time.monotonic() - failure.monotonic < RETRY_SECONDS
            ):
                return
            if self._running:
                return  # the running training looks at _wanted again when it ends
            self._running = True
        self._runner.start(self._train_wanted)

    def _train_wanted(self) -> None:
        """Train for the newest wanted key, then again while newer keys arrived meanwhile."""
        while True:
            with self._lock:
                assert self._wanted is not None
                key, graph, source = self._wanted
                self.trainings += 1
            try:
                self._train_one(key, graph, source)
            except BaseException:  # a killed greenlet or thread: let the next call start again
                with self._lock:
                    self._running = False
                raise
            with self._lock:
                model, failure = self._model, self._failure
                done = (model is not None and model.key == self._wanted[0]) or (
                    failure is not None and failure.key == self._wanted[0]
                )
                if done:
                    self._running = False
                    return

    def _train_one(self, key: tuple[Any, ...], graph: SkillGraph, source: Source) -> None:
        started = time.monotonic()
        try:
            # The reading waits on the database like any request; only the fitting is offloaded.
            if isinstance(source, Session):
                examples = labelled_examples(source)
            else:
                with Session(source) as session:
                    examples = labelled_examples(session)
            inferer = self._runner.offload(self._train, graph, examples)
        except Exception as exc:
            serving = "the previous model keeps serving" if self._model else "names only"
            log.exception("training the skill model failed; %s", serving)
            now = datetime.now(UTC)
            self._failure = Failure(key, f"{type(exc).__name__}: {exc}", now, time.monotonic())
            return
        seconds = time.monotonic() - started
        # One assignment: a concurrent request reads the old model or the new one, whole.
        self._model = Model(key, inferer, len(examples), datetime.now(UTC), seconds)
        self._failure = None
        log.info("skill model trained on %d tickets in %.2f s", len(examples), seconds)

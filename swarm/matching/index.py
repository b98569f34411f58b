"""Precomputed agent matrices for the matching hot path, refreshable one agent at a time.

Ranking 10,000 agents in about a millisecond cannot afford to walk ``AgentView`` objects or the
networkx graph per ticket. :class:`AgentIndex` holds, in agent-id order,

* ``proficiency``: a sparse agents × skills matrix (CSC, so that the columns of a ticket's
  skill neighbourhood are contiguous slices) of *effective* level / 5, decayed at ``as_of``;
* ``wants``: the same shape, 1 where the agent has the skill as a learning goal;
* dense vectors of presence, load, capacity and recent ownership.

The declared levels and last-use times are kept as flat arrays beside the matrix, so that a
profile change rebuilds the CSC arrays from them (one C-level COO→CSC pass, a few milliseconds for
200,000 entries) instead of re-reading every agent, and the decay can be re-evaluated for a new
``now`` in one vectorised ``exp``.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from datetime import datetime, timedelta
from typing import TypeVar

import numpy as np
import numpy.typing as npt
from scipy import sparse  # type: ignore[import-untyped]  # no stubs in the pinned venv

from swarm.routing import AgentView
from swarm.skills.graph import SkillGraph, UnknownSkillError
from swarm.skills.proficiency import DECAY_TIME_CONSTANT, MAX_LEVEL

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Re-evaluate decay when ``now`` moved more than this from ``as_of``. With τ = 180 days an hour
#: changes an effective level by at most 0.02 %, far below anything that should reorder owners.
DEFAULT_DECAY_RESOLUTION = timedelta(hours=1)

#: Values kept by :meth:`AgentIndex.memo` before it starts afresh (a driver sees a few dozen
#: distinct skill sets; a bound keeps memory flat when every ticket is different).
MEMO_SIZE = 1024

_T = TypeVar("_T")


class AgentIndex:
    """Matrices of all agents' proficiencies, goals and availability, in agent-id order.

    Parameters
    ----------
    agents : iterable of AgentView
    skills : SkillGraph
        Column order is ``skills.ids``. Proficiencies on skills that the graph does not have raise
        :class:`~swarm.skills.graph.UnknownSkillError`.
    as_of : datetime
        Moment at which the decay is evaluated (UTC aware).
    decay_resolution : timedelta
        See :meth:`at`.

    Notes
    -----
    The index is mutable and not thread-safe: :meth:`update_agent`, :meth:`remove_agent` and
    :meth:`at` replace several arrays in turn. A multi-threaded driver serialises them with the
    rankings (one lock), or builds a fresh index and swaps the reference.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> from swarm.routing import AgentView, Proficiency
    >>> from swarm.skills.graph import Skill, build_skill_graph
    >>> g = build_skill_graph([Skill(1, "VPN")])
    >>> now = datetime(2025, 1, 1, tzinfo=timezone.utc)
    >>> ada = AgentView(1, "Ada", True, load=0, capacity=3, proficiencies={1: Proficiency(4)})
    >>> index = AgentIndex([ada], g, as_of=now)
    >>> index.proficiency.toarray().tolist()
    [[0.8]]
    """

    def __init__(
        self,
        agents: Iterable[AgentView],
        skills: SkillGraph,
        as_of: datetime,
        decay_resolution: timedelta = DEFAULT_DECAY_RESOLUTION,
    ) -> None:
        self.skills = skills
        self.as_of = as_of
        self.decay_resolution = decay_resolution
        self.views: dict[int, AgentView] = {}
        for agent in agents:
            self.views[agent.id] = agent
        self.ids: IntArray = np.array(sorted(self.views), dtype=np.int64)
        self.row: dict[int, int] = {int(agent_id): i for i, agent_id in enumerate(self.ids)}
        self.active = np.ones(len(self.ids), dtype=bool)
        self.present = np.zeros(len(self.ids), dtype=bool)
        self.load = np.zeros(len(self.ids), dtype=np.float64)
        self.capacity = np.zeros(len(self.ids), dtype=np.float64)
        self.recent = np.zeros(len(self.ids), dtype=np.float64)

        entry_rows: list[int] = []
        entry_cols: list[int] = []
        levels: list[float] = []
        last_used: list[float] = []
        want_rows: list[int] = []
        want_cols: list[int] = []
        for agent_id, row in self.row.items():
            agent = self.views[agent_id]
            self._set_scalars(row, agent)
            for col, level, used in self._entries(agent):
                entry_rows.append(row)
                entry_cols.append(col)
                levels.append(level)
                last_used.append(used)
            for col in self._wants(agent):
                want_rows.append(row)
                want_cols.append(col)
        self._rows = np.array(entry_rows, dtype=np.int64)
        self._cols = np.array(entry_cols, dtype=np.int64)
        self._levels = np.array(levels, dtype=np.float64)
        self._last_used = np.array(last_used, dtype=np.float64)
        self._want_rows = np.array(want_rows, dtype=np.int64)
        self._want_cols = np.array(want_cols, dtype=np.int64)
        self._fit_matrix: sparse.csc_array | None = None
        self._fit_cache: dict[int, FloatArray] = {}
        self._want_matrix: sparse.csc_array | None = None
        self._want_cache: dict[int, FloatArray] = {}
        self._memo_of: tuple[object, object] | None = None
        self._memo: dict[Hashable, object] = {}
        self._rebuild()

    # -- building ---------------------------------------------------------------------------

    def _set_scalars(self, row: int, agent: AgentView) -> None:
        self.present[row] = agent.present
        self.load[row] = agent.load
        self.capacity[row] = agent.capacity
        self.recent[row] = agent.recent_owned

    def _entries(self, agent: AgentView) -> list[tuple[int, float, float]]:
        self.skills.require(agent.proficiencies, f"the profile of agent {agent.id}")
        entries = []
        for skill_id, proficiency in agent.proficiencies.items():
            # Level 0 means "does not know it": storing it would only add explicit zeros.
            if proficiency.level == 0:
                continue
            used = np.nan if proficiency.last_used is None else proficiency.last_used.timestamp()
            entries.append((self.skills.column[skill_id], float(proficiency.level), used))
        return entries

    def _wants(self, agent: AgentView) -> list[int]:
        self.skills.require(agent.wants_to_learn, f"the learning goals of agent {agent.id}")
        return [self.skills.column[skill_id] for skill_id in agent.wants_to_learn]

    def _effective(self) -> FloatArray:
        idle = np.maximum(self.as_of.timestamp() - self._last_used, 0.0)
        # NaN marks "never used": no date to decay from, so the declared level stands.
        factor = np.where(np.isnan(idle), 1.0, np.exp(-idle / DECAY_TIME_CONSTANT.total_seconds()))
        return np.asarray(self._levels * factor / MAX_LEVEL, dtype=np.float64)

    def _rebuild(self) -> None:
        shape = (len(self.ids), len(self.skills.ids))
        # Data = position + 1 gives the CSC order of our flat arrays (no duplicates can be summed:
        # one proficiency per agent and skill), so decay can later be re-applied in place.
        self._decays = bool(np.isfinite(self._last_used).any())
        order = sparse.csc_array(
            (np.arange(1, len(self._rows) + 1, dtype=np.int64), (self._rows, self._cols)),
            shape=shape,
        )
        self._order = order.data - 1
        self.proficiency = sparse.csc_array(
            (self._effective()[self._order], order.indices, order.indptr), shape=shape
        )
        self.wants = sparse.csc_array(
            (np.ones(len(self._want_rows)), (self._want_rows, self._want_cols)), shape=shape
        )

    # -- keeping it current -----------------------------------------------------------------

    def at(self, now: datetime) -> AgentIndex:
        """Re-evaluate decay for ``now`` if it moved more than ``decay_resolution``; returns self.

        Only the data array of the matrix changes, in one vectorised pass.
        """
        if abs(now - self.as_of) > self.decay_resolution:
            self.as_of = now
            if not self._decays:
                # No level has a last use to decay from: the matrix would be rebuilt identical.
                return self
            # A new matrix rather than writing into .data: a reader holding the old one keeps a
            # consistent view.
            current = self.proficiency
            self.proficiency = sparse.csc_array(
                (self._effective()[self._order], current.indices, current.indptr),
                shape=current.shape,
            )
        return self

    def update_agent(self, agent: AgentView) -> None:
        """Replace (or add) one agent's row after a change of profile, presence or load.

        Presence and load changes only touch the dense vectors. A profile change filters the
        agent's old entries out of the flat arrays, appends the new ones and rebuilds the CSC
        arrays: O(entries) in numpy, without revisiting any other ``AgentView``.
        """
        old = self.views.get(agent.id)
        row = self.row.get(agent.id)
        if (
            row is not None
            and old is not None
            and (
                old.proficiencies is agent.proficiencies or old.proficiencies == agent.proficiencies
            )
            and (
                old.wants_to_learn is agent.wants_to_learn
                or old.wants_to_learn == agent.wants_to_learn
            )
        ):
            # The hot path of a driver (load and presence): the profile was validated when it
            # was stored, so only the dense vectors change.
            self.views[agent.id] = agent
            self.active[row] = True
            self._set_scalars(row, agent)
            return
        new_entries = self._entries(agent)
        new_wants = self._wants(agent)
        if row is None:
            row = self._append_row(agent.id)
        self.views[agent.id] = agent
        self.active[row] = True
        self._set_scalars(row, agent)
        self._replace_row(row, new_entries, new_wants)

    def remove_agent(self, agent_id: int) -> None:
        """Take an agent out of matching (left the organisation); unknown ids are ignored."""
        row = self.row.get(agent_id)
        if row is None or not self.active[row]:
            return
        self.active[row] = False
        self.present[row] = False
        self.views.pop(agent_id, None)
        self._replace_row(row, [], [])

    def _append_row(self, agent_id: int) -> int:
        # A new agent goes at the end so that existing rows keep their numbers; ids are then
        # no longer sorted, which ranking tolerates (it breaks ties by id, not by row).
        row = len(self.ids)
        self.ids = np.append(self.ids, agent_id)
        self.row[agent_id] = row
        self.active = np.append(self.active, True)
        self.present = np.append(self.present, False)
        self.load = np.append(self.load, 0.0)
        self.capacity = np.append(self.capacity, 0.0)
        self.recent = np.append(self.recent, 0.0)
        return row

    def _replace_row(
        self, row: int, entries: list[tuple[int, float, float]], wants: list[int]
    ) -> None:
        keep = self._rows != row
        self._rows = np.concatenate([self._rows[keep], np.full(len(entries), row)])
        self._cols = np.concatenate([self._cols[keep], [col for col, _, _ in entries]])
        self._levels = np.concatenate([self._levels[keep], [lvl for _, lvl, _ in entries]])
        self._last_used = np.concatenate([self._last_used[keep], [u for _, _, u in entries]])
        self._cols = self._cols.astype(np.int64)
        keep_wants = self._want_rows != row
        self._want_rows = np.concatenate([self._want_rows[keep_wants], np.full(len(wants), row)])
        self._want_cols = np.concatenate(
            [self._want_cols[keep_wants], np.array(wants, dtype=np.int64)]
        )
        self._rebuild()

    # -- reading ----------------------------------------------------------------------------

    def want_column(self, skill_id: int) -> FloatArray:
        """1.0 for the agents with ``skill_id`` as a learning goal, else 0.0 (read-only; cached
        like :meth:`fit_column`, until the goals matrix is replaced)."""
        if self._want_matrix is not self.wants:
            self._want_matrix = self.wants
            self._want_cache = {}
        column = self._want_cache.get(skill_id)
        if column is None:
            col = self.skills.column[skill_id]
            start, end = self.wants.indptr[col], self.wants.indptr[col + 1]
            column = np.zeros(len(self.ids), dtype=np.float64)
            column[self.wants.indices[start:end]] = self.wants.data[start:end]
            column.flags.writeable = False
            self._want_cache[skill_id] = column
        return column

    def fit_column(self, skill_id: int) -> FloatArray:
        """Every agent's fit to one skill: ``max_k p̃[a, k] · σ(k, skill_id)`` (read-only).

        Cached per skill until the proficiency matrix is replaced (a profile change, an agent
        added or removed, decay moved by :meth:`at`): a driver routing thousands of tickets
        between two such changes computes each skill's column once. The caller must have
        checked that ``skill_id`` is in the graph.
        """
        if self._fit_matrix is not self.proficiency:
            self._fit_matrix = self.proficiency
            self._fit_cache = {}
        column = self._fit_cache.get(skill_id)
        if column is None:
            cols, sims = self.skills.neighbourhood(skill_id)
            rows, values = gather_columns(self.proficiency, cols, sims)
            column = np.zeros(len(self.ids), dtype=np.float64)
            # An agent may reach the skill through several of its own skills: keep the best.
            np.maximum.at(column, rows, values)
            column.flags.writeable = False
            self._fit_cache[skill_id] = column
        return column

    def memo(self, key: Hashable, compute: Callable[[], _T]) -> _T:
        """``compute()``, cached under ``key`` until the proficiency or goals matrix is replaced.

        For values derived from those two matrices only (a ticket's weighted fit, its learning
        column, its cover matrix), which a driver asks for again and again for the same skill set
        between two profile changes. ``compute`` must not read presence, load or ``recent`` (they
        change without replacing a matrix), and the caller must not write into the value.

        Examples
        --------
        >>> from datetime import datetime, timezone
        >>> from swarm.routing import AgentView, Proficiency
        >>> from swarm.skills.graph import Skill, build_skill_graph
        >>> g = build_skill_graph([Skill(1, "VPN")])
        >>> ada = AgentView(1, "Ada", True, 0, 3, proficiencies={1: Proficiency(4)})
        >>> index = AgentIndex([ada], g, as_of=datetime(2025, 1, 1, tzinfo=timezone.utc))
        >>> calls = []
        >>> _ = index.memo("x", lambda: calls.append(1) or 1.0), index.memo("x", lambda: 2.0)
        >>> index.memo("x", lambda: 2.0), len(calls)
        (1.0, 1)
        >>> index.update_agent(AgentView(1, "Ada", True, 0, 3, proficiencies={1: Proficiency(5)}))
        >>> index.memo("x", lambda: 2.0)
        2.0
        """
        source = (self.proficiency, self.wants)
        memo_of = self._memo_of
        if memo_of is None or memo_of[0] is not source[0] or memo_of[1] is not source[1]:
            self._memo_of = source
            self._memo = {}
        try:
            return self._memo[key]  # type: ignore[return-value]  # stored by compute() below
        except KeyError:
            pass
        if len(self._memo) >= MEMO_SIZE:
            self._memo = {}
        value = compute()
        self._memo[key] = value
        return value

    def __len__(self) -> int:
        return int(self.active.sum())

    def columns(self, skill_ids: Iterable[int]) -> IntArray:
        """Matrix columns of ``skill_ids``; raises UnknownSkillError for ids not in the graph."""
        ids = list(skill_ids)
        missing = [skill_id for skill_id in ids if skill_id not in self.skills.column]
        if missing:
            raise UnknownSkillError(missing, "the ticket's required skills")
        return np.array([self.skills.column[skill_id] for skill_id in ids], dtype=np.int64)


def gather_columns(
    matrix: sparse.csc_array, cols: npt.NDArray[np.integer], scale: FloatArray
) -> tuple[IntArray, FloatArray]:
    """Rows and values of the entries in ``cols`` of a CSC matrix, each multiplied by its scale.

    A hand-rolled column gather: scipy's fancy indexing builds a new matrix and costs about ten
    times more for the few dozen columns of a skill neighbourhood.

    Examples
    --------
    >>> m = sparse.csc_array(np.array([[1.0, 0.0], [0.5, 2.0]]))
    >>> rows, values = gather_columns(m, np.array([1, 0]), np.array([1.0, 0.5]))
    >>> rows.tolist(), values.tolist()
    ([1, 0, 1], [2.0, 0.5, 0.25])
    """
    starts = matrix.indptr[cols]
    lengths = matrix.indptr[cols + 1] - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    # positions = starts[j] + (0 .. lengths[j]-1) for every column j, without a Python loop.
    offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
    positions = offsets + np.arange(total)
    rows = matrix.indices[positions].astype(np.int64)
    values = matrix.data[positions] * np.repeat(scale, lengths)
    return rows, values

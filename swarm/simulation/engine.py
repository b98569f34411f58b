"""A discrete-event engine: a heap of timed actions and a virtual clock.

Time is a float of seconds since the run's start (the model converts it to the ``datetime`` a
routing policy is given as ``now``). Actions due at the same moment run in the order they were
scheduled (a counter breaks ties), so a run depends only on its inputs and its seeded random
generator — never on the heap's internals, the wall clock or global state.

Each heap entry is a small list ``[at, seq, action, argument]``; cancelling sets the action to
``None`` and the loop skips it when it comes up (lazy deletion: O(1) to cancel, no heap repair).
One argument (or ``None``) is passed to the action, which keeps the loop free of ``*args``
packing — the engine's speed is the simulator's speed (bench/simulator.py).

Examples
--------
>>> sim = Simulation()
>>> seen = []
>>> _ = sim.at(5.0, seen.append, "b")
>>> _ = sim.at(1.0, seen.append, "a")
>>> late = sim.after(9.0, seen.append, "never")
>>> sim.cancel(late)
>>> sim.run()
2
>>> seen, sim.now
(['a', 'b'], 5.0)
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any

__all__ = ["Handle", "Simulation", "SimulationError"]

#: A scheduled action: ``[at, seq, action, argument]``; ``action`` is ``None`` once cancelled.
Handle = list[Any]


class SimulationError(RuntimeError):
    """An action was scheduled in the past, or the run was asked to go backwards."""


class Simulation:
    """The event loop of one run.

    Parameters
    ----------
    start : float
        The virtual time the run starts at (seconds).
    """

    __slots__ = ("_heap", "_seq", "executed", "now")

    def __init__(self, start: float = 0.0) -> None:
        self.now: float = start
        self._heap: list[Handle] = []
        self._seq = 0
        #: Actions run so far (cancelled ones are not counted).
        self.executed = 0

    def at(self, when: float, action: Callable[[Any], object], argument: Any = None) -> Handle:
        """Run ``action(argument)`` at virtual time ``when`` (not before ``now``)."""
        if when < self.now:
            raise SimulationError(f"cannot schedule at {when} before now ({self.now})")
        self._seq += 1
        entry: Handle = [when, self._seq, action, argument]
        heapq.heappush(self._heap, entry)
        return entry

    def after(self, delay: float, action: Callable[[Any], object], argument: Any = None) -> Handle:
        """Run ``action(argument)`` ``delay`` seconds from now (``delay`` ≥ 0)."""
        if delay < 0:
            raise SimulationError(f"negative delay {delay}")
        self._seq += 1
        entry: Handle = [self.now + delay, self._seq, action, argument]
        heapq.heappush(self._heap, entry)
        return entry

    @staticmethod
    def cancel(handle: Handle) -> None:
        """Forget a scheduled action; cancelling one that already ran or was cancelled is a
        no-op."""
        handle[2] = None

    @staticmethod
    def pending(handle: Handle) -> bool:
        """Whether ``handle`` is still due to run."""
        return handle[2] is not None

    def peek(self) -> float | None:
        """The time of the next live action, or ``None`` when nothing is scheduled."""
        heap = self._heap
        while heap and heap[0][2] is None:
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def run(self, until: float | None = None, max_actions: int | None = None) -> int:
        """Run actions in time order until the heap is empty, the next action is after
        ``until`` (the clock then stands at ``until``), or ``max_actions`` have run. Returns
        how many ran in this call."""
        if until is not None and until < self.now:
            raise SimulationError(f"cannot run until {until}: now is {self.now}")
        heap = self._heap
        pop = heapq.heappop
        limit = float("inf") if until is None else until
        budget = -1 if max_actions is None else max_actions
        done = 0
        while heap and done != budget:
            entry = heap[0]
            if entry[0] > limit:
                break
            pop(heap)
            action = entry[2]
            if action is None:
                continue
            entry[2] = None
            self.now = entry[0]
            action(entry[3])
            done += 1
        if until is not None and done != budget:
            # Nothing left before ``until``: the clock stands there, as a run "for a day" should.
            self.now = until
        self.executed += done
        return done

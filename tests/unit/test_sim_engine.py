"""The discrete-event engine: time order, ties in schedule order, lazy cancel, run(until)."""

from __future__ import annotations

import pytest

from swarm.simulation.engine import Simulation, SimulationError


def test_actions_run_in_time_order_and_the_clock_follows():
    sim = Simulation()
    seen: list[tuple[float, str]] = []
    for when, name in ((3.0, "c"), (1.0, "a"), (2.0, "b")):
        sim.at(when, lambda n, w=when: seen.append((sim.now, n)), name)
    assert sim.run() == 3
    assert seen == [(1.0, "a"), (2.0, "b"), (3.0, "c")]
    assert sim.now == 3.0
    assert sim.executed == 3


def test_ties_run_in_the_order_they_were_scheduled():
    sim = Simulation()
    seen: list[str] = []
    for name in "edcba":
        sim.at(1.0, seen.append, name)
    sim.run()
    assert seen == list("edcba")


def test_an_action_scheduled_now_runs_after_those_already_due_now():
    sim = Simulation()
    seen: list[str] = []

    def first(_: object) -> None:
        seen.append("first")
        sim.after(0.0, seen.append, "scheduled by first")

    sim.at(1.0, first)
    sim.at(1.0, seen.append, "second")
    sim.run()
    assert seen == ["first", "second", "scheduled by first"]


def test_a_cancelled_action_never_runs_and_cancelling_twice_or_late_is_harmless():
    sim = Simulation()
    seen: list[str] = []
    kept = sim.at(1.0, seen.append, "kept")
    dropped = sim.at(2.0, seen.append, "dropped")
    sim.cancel(dropped)
    sim.cancel(dropped)
    assert not Simulation.pending(dropped)
    assert Simulation.pending(kept)
    assert sim.run() == 1
    sim.cancel(kept)  # already ran
    assert seen == ["kept"]
    assert sim.now == 1.0  # the cancelled action at 2.0 did not move the clock


def test_an_action_can_cancel_a_later_one():
    sim = Simulation()
    seen: list[str] = []
    later = sim.at(5.0, seen.append, "later")
    sim.at(1.0, lambda _: sim.cancel(later))
    sim.run()
    assert seen == []


def test_peek_skips_cancelled_actions():
    sim = Simulation()
    assert sim.peek() is None
    first = sim.at(1.0, print)
    sim.at(4.0, print)
    sim.cancel(first)
    assert sim.peek() == 4.0


def test_run_until_stops_before_later_actions_and_leaves_the_clock_there():
    sim = Simulation()
    seen: list[str] = []
    sim.at(1.0, seen.append, "a")
    sim.at(10.0, seen.append, "b")
    assert sim.run(until=5.0) == 1
    assert seen == ["a"] and sim.now == 5.0
    assert sim.run(until=10.0) == 1  # an action exactly at ``until`` runs
    assert seen == ["a", "b"] and sim.now == 10.0


def test_max_actions_bounds_one_call():
    sim = Simulation()
    for when in (1.0, 2.0, 3.0):
        sim.at(when, lambda _: None)
    assert sim.run(max_actions=2) == 2
    assert sim.now == 2.0
    assert sim.run() == 1


@pytest.mark.parametrize(
    "misuse",
    [
        lambda sim: sim.at(4.0, print),
        lambda sim: sim.after(-0.1, print),
        lambda sim: sim.run(until=4.0),
    ],
    ids=["at in the past", "negative delay", "run backwards"],
)
def test_going_back_in_time_is_refused(misuse):
    sim = Simulation()
    sim.at(5.0, lambda _: None)
    sim.run()
    with pytest.raises(SimulationError):
        misuse(sim)


def test_after_counts_from_now():
    sim = Simulation(start=100.0)
    seen: list[float] = []
    sim.after(2.5, lambda _: seen.append(sim.now))
    sim.run()
    assert seen == [102.5]

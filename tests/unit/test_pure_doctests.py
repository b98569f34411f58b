"""The examples in the pure packages' docstrings run and stay true."""

import doctest
import importlib
import pkgutil

import pytest

import swarm.matching
import swarm.metrics
import swarm.rules
import swarm.skills
import swarm.tiers

# Listed one by one: other modules of swarm.simulation (importers, storage) are not pure.
SIMULATION = [
    "swarm.simulation.engine",
    "swarm.simulation.queueing",
    "swarm.simulation.mmc",
    "swarm.simulation.validate",
]


def modules() -> list[str]:
    names = ["swarm.routing", *SIMULATION]
    for package in (swarm.skills, swarm.matching, swarm.tiers, swarm.metrics, swarm.rules):
        names += [
            f"{package.__name__}.{info.name}" for info in pkgutil.iter_modules(package.__path__)
        ]
    # The simulator's pure modules by name: the package also holds the importers' database code.
    names += [f"swarm.simulation.{name}" for name in ("scenario", "workload", "model", "runner")]
    # The demo desk as a scenario: pure, though its package also writes the demo's rows.
    names.append("swarm.demo.simulated")
    # Who hears of an event: the one pure module of the notifications package.
    names.append("swarm.notifications.kinds")
    return sorted(names)


@pytest.mark.parametrize("name", modules())
def test_docstring_examples_hold(name):
    result = doctest.testmod(
        importlib.import_module(name), optionflags=doctest.ELLIPSIS, verbose=False
    )
    assert result.failed == 0

"""The deterministic demo organisation behind ``python -m swarm seed --demo``.

``taxonomy`` and ``content`` hold the hand-written data, ``generate`` turns it into people and
ticket histories without touching a database, and ``seed`` writes them in one transaction.
"""

from swarm.demo.seed import DEMO_PASSWORD, DemoSummary, seed_demo

__all__ = ["DEMO_PASSWORD", "DemoSummary", "seed_demo"]

"""When a failed delivery is tried again: exponential back-off with jitter, then the dead
letter. 8 attempts span about 42 minutes (30 s, 1, 2, 4, 8, 16, 32 min between them)."""

from __future__ import annotations

import random

MAX_ATTEMPTS = 8
FIRST_DELAY_SECONDS = 30.0
LONGEST_DELAY_SECONDS = 3600.0


def delay_after(attempts: int, rng: random.Random | None = None) -> float | None:
    """Seconds to wait after the ``attempts``-th failed attempt, or None: give up (dead)."""
    if attempts >= MAX_ATTEMPTS:
        return None
    base = min(LONGEST_DELAY_SECONDS, FIRST_DELAY_SECONDS * 2 ** (attempts - 1))
    # ±10 %: many deliveries that failed together (a receiver down) do not return together.
    jitter = (rng or random).uniform(-0.1, 0.1)
    return base * (1 + jitter)

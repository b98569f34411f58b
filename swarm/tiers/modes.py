"""Which routing a new ticket gets: swarm, tiered, or a reproducible split between the two.

In ``split`` mode each ticket falls in an arm by a stable hash of its id, so the arms are
comparable (the split does not depend on who is online, the hour, or arrival order) and
reproducible (the same id always lands in the same arm, in every process and every run — Python's
``hash()`` is salted per process and would not be). The arm is stored on the ticket when it is
created; changing this configuration later never rewrites existing tickets.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, get_args

__all__ = [
    "Arm",
    "RoutingConfig",
    "RoutingConfigError",
    "RoutingMode",
    "assign_mode",
    "drawn_by_split",
    "routing_config_from_dict",
    "routing_config_to_dict",
    "split_position",
]

RoutingMode = Literal["swarm", "tiered", "split"]
#: What a ticket ends up with (``Ticket.mode``).
Arm = Literal["swarm", "tiered"]
MODES: tuple[str, ...] = get_args(RoutingMode)

#: Part of the hashed text: a new experiment can reshuffle the arms by changing it.
DEFAULT_SALT = "swarm-split-v1"


class RoutingConfigError(ValueError):
    """A routing configuration that cannot work; the message says what to change."""


@dataclass(frozen=True)
class RoutingConfig:
    """The organisation's routing mode.

    Parameters
    ----------
    mode : {"swarm", "tiered", "split"}
    split_ratio : float
        In ``split`` mode, the share of tickets routed **tiered**, in [0, 1]; the rest swarm.
    overrides : mapping
        ``category -> mode`` for categories routed differently (e.g. ``{"hardware": "tiered"}``);
        a ``split`` override uses ``split_ratio``.
    salt : str
        Mixed into the hash; keep it to keep the arms, change it for a fresh random split.

    Examples
    --------
    >>> RoutingConfig("split", split_ratio=1.5)
    Traceback (most recent call last):
    ...
    swarm.tiers.modes.RoutingConfigError: split_ratio must be between 0 and 1 (the share of tic...
    """

    mode: RoutingMode = "swarm"
    split_ratio: float = 0.5
    overrides: Mapping[str, RoutingMode] = field(default_factory=dict, hash=False)
    salt: str = DEFAULT_SALT

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise RoutingConfigError(
                f"Unknown routing mode {self.mode!r}; use one of {', '.join(MODES)}."
            )
        ratio = self.split_ratio
        if isinstance(ratio, bool) or not isinstance(ratio, int | float) or math.isnan(ratio):
            raise RoutingConfigError(f"split_ratio must be a number, got {ratio!r}.")
        if not 0 <= ratio <= 1:
            raise RoutingConfigError(
                "split_ratio must be between 0 and 1 (the share of tickets routed tiered), "
                f"got {ratio}."
            )
        overrides: dict[str, RoutingMode] = {}
        for category, mode in self.overrides.items():
            if not isinstance(category, str) or not category.strip():
                raise RoutingConfigError("An override needs a non-empty category name.")
            if mode not in MODES:
                raise RoutingConfigError(
                    f"Override for {category!r}: unknown mode {mode!r}; use one of "
                    f"{', '.join(MODES)}."
                )
            overrides[category.strip()] = mode
        if not isinstance(self.salt, str) or not self.salt:
            raise RoutingConfigError("salt must be a non-empty string.")
        object.__setattr__(self, "split_ratio", float(ratio))
        object.__setattr__(self, "overrides", MappingProxyType(overrides))


def split_position(ticket_id: int, salt: str = DEFAULT_SALT) -> float:
    """A stable position of ``ticket_id`` in [0, 1), uniform over ids.

    blake2b is fast, in the standard library, and its output is the same on every platform and
    Python version; 64 bits leave no visible grain at any ratio.

    Examples
    --------
    >>> split_position(42) == split_position(42)
    True
    >>> 0 <= split_position(42) < 1
    True
    """
    # The salt goes first and a separator after it, so that "v1" + "23" and "v12" + "3" differ.
    digest = hashlib.blake2b(f"{salt}:{ticket_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def assign_mode(ticket_id: int, category: str | None, config: RoutingConfig) -> Arm:
    """The arm of a new ticket: the category's override, else the organisation's mode.

    Examples
    --------
    >>> config = RoutingConfig("split", split_ratio=0.0, overrides={"hardware": "tiered"})
    >>> assign_mode(7, "software", config), assign_mode(7, "hardware", config)
    ('swarm', 'tiered')
    """
    # The override is looked up at creation only: the arm is then stored on the ticket.
    mode = config.mode
    if category is not None and category.strip() in config.overrides:
        mode = config.overrides[category.strip()]
    if mode != "split":
        return mode
    # Strictly below: ratio 0 never picks tiered, ratio 1 always does (positions are < 1).
    return "tiered" if split_position(ticket_id, config.salt) < config.split_ratio else "swarm"


def drawn_by_split(category: str | None, config: RoutingConfig) -> bool:
    """Whether :func:`assign_mode` draws a ticket of ``category`` at random (the ``split``),
    rather than by a mode someone chose: only such tickets make a randomised comparison.

    >>> config = RoutingConfig("split", overrides={"hardware": "tiered"})
    >>> drawn_by_split("software", config), drawn_by_split("hardware", config)
    (True, False)
    """
    mode = config.mode
    if category is not None and category.strip() in config.overrides:
        mode = config.overrides[category.strip()]
    return mode == "split"


def routing_config_from_dict(data: Mapping[str, Any]) -> RoutingConfig:
    """Read ``{mode, split_ratio?, overrides?}`` (the ``/api/v1/config/routing`` body)."""
    if not isinstance(data, Mapping):
        raise RoutingConfigError("The routing configuration must be a JSON object.")
    if "mode" not in data:
        raise RoutingConfigError("The routing configuration needs a mode.")
    overrides = data.get("overrides") or {}
    if not isinstance(overrides, Mapping):
        raise RoutingConfigError("overrides must map a category to a mode.")
    ratio = data.get("split_ratio")
    return RoutingConfig(
        mode=data["mode"],
        split_ratio=0.5 if ratio is None else ratio,
        overrides=dict(overrides),
        salt=data.get("salt", DEFAULT_SALT),
    )


def routing_config_to_dict(config: RoutingConfig) -> dict[str, Any]:
    """The inverse of :func:`routing_config_from_dict`."""
    return {
        "mode": config.mode,
        "split_ratio": config.split_ratio,
        "overrides": dict(config.overrides),
        "salt": config.salt,
    }

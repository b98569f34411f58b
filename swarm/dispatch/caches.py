"""What routing keeps between calls, one per app: the caches every routing service reads.

Apart from ``service.py`` so that the services that read them (``RoutingService``,
``TieredService``, mail intake, the sweeper) import them without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from swarm.dispatch.inference import InfererCache
from swarm.dispatch.settings import SettingsCache
from swarm.dispatch.snapshot import OrgSnapshots
from swarm.matching.policy import SwarmPolicy, SwarmSettings
from swarm.routing import RoutingPolicy


@dataclass
class RoutingCaches:
    """What routing keeps between calls, one per app."""

    org: OrgSnapshots = field(default_factory=OrgSnapshots)
    inference: InfererCache = field(default_factory=InfererCache)
    policies: dict[str, RoutingPolicy] = field(
        # Offers need live notifications to reach people; until the rooms can deliver them the
        # live service assigns the best owner directly.
        default_factory=lambda: {"swarm": SwarmPolicy(SwarmSettings(offer=False))}
    )
    # The routing mode and tier settings; the "tiered" policy above is rebuilt from them.
    settings: SettingsCache = field(default_factory=SettingsCache)

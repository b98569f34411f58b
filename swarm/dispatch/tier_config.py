"""Tiered mode's configuration use cases: the routing mode and the tiers (managers change them).

Stored through ``swarm/dispatch/settings.py``; every change is audited there.
"""

from __future__ import annotations

from typing import Any

from swarm.dispatch.caches import RoutingCaches
from swarm.dispatch.settings import store_routing, store_tiers, write_config
from swarm.models import User
from swarm.tickets.access import require_manager, require_staff
from swarm.tickets.errors import Invalid
from swarm.tickets.service import TicketService
from swarm.tickets.unit import UnitOfWork
from swarm.tiers.config import TierConfigError, settings_from_dict, settings_to_dict
from swarm.tiers.modes import RoutingConfigError, routing_config_from_dict, routing_config_to_dict


class TierConfig:
    """The routing mode and tier settings, read by staff and changed by managers."""

    def __init__(self, unit: UnitOfWork, tickets: TicketService, caches: RoutingCaches) -> None:
        self.unit = unit
        self.tickets = tickets
        self.session = unit.session
        self.clock = unit.clock
        self.caches = caches

    def routing_config(self, viewer: User) -> dict[str, Any]:
        require_staff(viewer, "see the routing configuration")
        return routing_config_to_dict(self.caches.settings.routing(self.session))

    def set_routing_config(self, actor: User, data: dict[str, Any]) -> dict[str, Any]:
        """Replace the routing mode; existing tickets keep the mode they were given."""
        require_manager(actor, "change the routing mode")
        current = routing_config_to_dict(self.caches.settings.routing(self.session))
        try:
            config = routing_config_from_dict({"salt": current["salt"], **data})
        except RoutingConfigError as exc:
            raise Invalid(str(exc), fields=_field_of(exc, data)) from exc
        write_config(
            self.session, self.clock, lambda now: store_routing(self.session, config, actor, now)
        )
        return routing_config_to_dict(config)

    def tier_settings(self, viewer: User) -> dict[str, Any]:
        require_staff(viewer, "see the tier configuration")
        return settings_to_dict(self.caches.settings.tiers(self.session))

    def set_tier_settings(self, actor: User, data: dict[str, Any]) -> dict[str, Any]:
        """Replace tiers and limits; keys left out keep their values. New limits apply to
        tickets entering a tier from now on (a deadline already set is not moved)."""
        require_manager(actor, "change the tiers")
        try:
            settings = settings_from_dict(data, base=self.caches.settings.tiers(self.session))
        except TierConfigError as exc:
            raise Invalid(str(exc), fields={"tiers": [str(exc)]}) from exc
        write_config(
            self.session, self.clock, lambda now: store_tiers(self.session, settings, actor, now)
        )
        return settings_to_dict(settings)


def _field_of(exc: RoutingConfigError, data: dict[str, Any]) -> dict[str, list[str]]:
    text = str(exc)
    for name in ("split_ratio", "overrides", "salt"):
        if name in text or (name == "overrides" and "Override" in text):
            return {name: [text]}
    return {"mode": [text]}

"""Vendors (the external tier): the list managers keep, and hand-offs of tickets to them.

A hand-off pauses the tier clock and starts the vendor's SLA clock (``swarm/dispatch/clocks.py``);
the vendor's answer ends it and resumes the tier clock. See ``docs/tiers.md``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from swarm.dispatch.caches import RoutingCaches
from swarm.dispatch.clocks import (
    TIERED,
    WORKABLE,
    fresh_ticket,
    open_handoff,
    pause_tier_clock,
    resume_tier_clock,
    ticket_view,
    vendor_clock,
)
from swarm.dispatch.settings import write_config
from swarm.events import EventType
from swarm.models import Ticket, User, Vendor, VendorHandoff
from swarm.routing import ClearDeadline, Decision, SetDeadline
from swarm.tickets.access import require_manager, require_staff
from swarm.tickets.decisions import carry_out
from swarm.tickets.errors import Conflict, IllegalTransition, Invalid, NotFound
from swarm.tickets.service import TicketService
from swarm.tickets.states import require_active
from swarm.tickets.unit import UnitOfWork
from swarm.tiers.config import TieredSettings
from swarm.tiers.vendors import (
    FINAL_STATUSES,
    VENDOR_SLA,
    VENDOR_STATUSES,
    VendorError,
    plan_vendor_handoff,
    vendor_clock_after_update,
)
from swarm.tiers.vendors import Vendor as VendorTerms


class VendorDesk:
    """Vendors and the hand-offs of tickets to them."""

    def __init__(self, unit: UnitOfWork, tickets: TicketService, caches: RoutingCaches) -> None:
        self.unit = unit
        self.tickets = tickets
        self.session = unit.session
        self.clock = unit.clock
        self.caches = caches

    def vendors(self, viewer: User, *, include_inactive: bool = True) -> list[Vendor]:
        require_staff(viewer, "see vendors")
        query = select(Vendor).order_by(Vendor.name)
        if not include_inactive:
            query = query.where(Vendor.active.is_(True))
        return list(self.session.scalars(query))

    def create_vendor(
        self, actor: User, *, name: str, sla_seconds: int, contact: str = ""
    ) -> Vendor:
        require_manager(actor, "add vendors")
        terms = _vendor_terms(name, sla_seconds, contact)

        def change(now: datetime) -> Vendor:
            vendor = Vendor(
                name=terms.name,
                contact=terms.contact.strip(),
                sla_seconds=terms.sla_seconds,
                active=True,
                created_at=now,
            )
            self.session.add(vendor)
            return vendor

        return write_config(
            self.session,
            self.clock,
            change,
            duplicate=f"There is already a vendor named {terms.name!r}.",
        )

    def update_vendor(self, actor: User, vendor_id: int, changes: dict[str, Any]) -> Vendor:
        """Rename, change the contact or SLA (for future hand-offs only), or (de)activate."""
        require_manager(actor, "change vendors")
        vendor = self._vendor(vendor_id)
        terms = _vendor_terms(
            changes.get("name", vendor.name),
            changes.get("sla_seconds", vendor.sla_seconds),
            changes.get("contact", vendor.contact),
        )

        def change(_now: datetime) -> Vendor:
            vendor.name = terms.name
            vendor.contact = terms.contact.strip()
            vendor.sla_seconds = terms.sla_seconds
            if "active" in changes:
                vendor.active = bool(changes["active"])
            return vendor

        return write_config(
            self.session,
            self.clock,
            change,
            duplicate=f"There is already a vendor named {terms.name!r}.",
        )

    def delete_vendor(self, actor: User, vendor_id: int) -> None:
        require_manager(actor, "delete vendors")
        vendor = self._vendor(vendor_id)
        used = self.session.scalars(
            select(VendorHandoff.id).where(VendorHandoff.vendor_id == vendor.id).limit(1)
        ).first()
        if used is not None:
            raise Conflict(
                f"{vendor.name} has hand-offs in tickets' history, so it cannot be deleted; "
                "deactivate it instead (PATCH active=false)."
            )

        def change(_now: datetime) -> None:
            self.session.delete(vendor)

        write_config(self.session, self.clock, change)

    def hand_off(
        self, actor: User, ticket_id: int, vendor_id: int | None, external_ref: str
    ) -> Ticket:
        """Hand the ticket to a vendor (Tier 4): appends ``vendor_handoff``, pauses the tier
        clock and starts the vendor's SLA clock (its ``vendor_sla`` deadline)."""
        require_staff(actor, "hand tickets to vendors")

        def change() -> Ticket:
            ticket = self.unit.lock(actor, ticket_id)
            require_active(ticket, "handed to a vendor")
            if vendor_id is None:
                raise Invalid(
                    f"Choose the vendor to hand ticket {ticket.id} to: a hand-off needs a vendor.",
                    fields={"vendor_id": ["Required."]},
                )
            self._require_external_tier(ticket)
            current = open_handoff(ticket)
            if current is not None:
                raise IllegalTransition(
                    f"Ticket {ticket.id} is already with {current.vendor.name} (ref "
                    f"{current.external_ref}); record their answer before handing it on."
                )
            vendor = self.session.get(Vendor, vendor_id)
            if vendor is None or not vendor.active:
                raise Invalid(
                    f"There is no active vendor {vendor_id}.",
                    fields={"vendor_id": ["Unknown or inactive vendor."]},
                )
            now = self.clock.now()
            ref = (external_ref or "").strip()
            terms = VendorTerms(vendor.name, vendor.sla_seconds, vendor.contact)
            try:
                decisions = plan_vendor_handoff(ticket_view(self.session, ticket), terms, ref, now)
            except VendorError as exc:
                raise Invalid(str(exc), fields={"external_ref": ["Required."]}) from exc
            if len(ref) > 120:
                raise Invalid(
                    "The vendor's reference has at most 120 characters.",
                    fields={"external_ref": ["Too long."]},
                )
            ticket.handoffs.append(
                VendorHandoff(
                    vendor_id=vendor.id,
                    vendor=vendor,
                    external_ref=ref,
                    status="handed_off",
                    handed_off_at=now,
                    status_at=now,
                    sla_seconds=vendor.sla_seconds,
                    paused_seconds=0.0,
                    actor_id=actor.id,
                )
            )
            self.unit.record(
                ticket,
                EventType.VENDOR_HANDOFF,
                actor,
                vendor=vendor.name,
                vendor_id=vendor.id,
                external_ref=ref,
                due_at=(now + terms.sla).isoformat(),
            )
            policy = self.caches.settings.policy(self.session)
            carry_out(
                self.unit, ticket, [*pause_tier_clock(self.session, ticket, policy, now)], TIERED
            )
            carry_out(self.unit, ticket, decisions, TIERED, actor)
            return ticket

        self.unit.run(change)
        return fresh_ticket(self.unit, actor, ticket_id)

    def vendor_update(self, actor: User, ticket_id: int, status: str, note: str = "") -> Ticket:
        """Record what the vendor said; appends ``vendor_update``. ``waiting_on_us`` pauses the
        vendor clock; ``resolved`` and ``rejected`` end the hand-off and resume the tier clock."""
        require_staff(actor, "record vendor updates")
        if status not in VENDOR_STATUSES:
            raise Invalid(
                f"Unknown vendor status {status!r}; use one of {', '.join(VENDOR_STATUSES)}.",
                fields={"status": ["Unknown status."]},
            )
        text = (note or "").strip()
        if len(text.encode()) > 64 * 1024:
            raise Invalid("The note is larger than 64 KB.", fields={"note": ["Too large."]})

        def change() -> Ticket:
            ticket = self.unit.lock(actor, ticket_id)
            handoff = open_handoff(ticket)
            if handoff is None:
                raise IllegalTransition(
                    f"Ticket {ticket.id} is not with a vendor: hand it off before recording "
                    "vendor updates."
                )
            now = self.clock.now()
            clock = vendor_clock_after_update(vendor_clock(handoff), status, now)
            handoff.paused_at = clock.paused_at
            handoff.paused_seconds = clock.paused_total.total_seconds()
            handoff.status = status
            handoff.status_at = now
            handoff.note = text or None
            decisions: list[Decision] = []
            if status in FINAL_STATUSES:
                handoff.closed_at = now
                decisions.append(ClearDeadline(VENDOR_SLA))
                if ticket.status in WORKABLE:
                    policy = self.caches.settings.policy(self.session)
                    decisions += resume_tier_clock(self.session, ticket, policy, now)
            elif clock.paused:
                decisions.append(ClearDeadline(VENDOR_SLA))
            elif handoff.overdue_at is None:
                due = clock.due_at(timedelta(seconds=handoff.sla_seconds))
                if due is not None:
                    decisions.append(SetDeadline(VENDOR_SLA, due))
            self.unit.record(
                ticket,
                EventType.VENDOR_UPDATE,
                actor,
                status=status,
                note=text or None,
                vendor_id=handoff.vendor_id,
                external_ref=handoff.external_ref,
            )
            carry_out(self.unit, ticket, decisions, TIERED, actor)
            return ticket

        self.unit.run(change)
        return fresh_ticket(self.unit, actor, ticket_id)

    def _vendor(self, vendor_id: int) -> Vendor:
        vendor = self.session.get(Vendor, vendor_id)
        if vendor is None:
            raise NotFound(f"There is no vendor {vendor_id}.")
        return vendor

    def _require_external_tier(self, ticket: Ticket) -> TieredSettings:
        settings = self.caches.settings.tiers(self.session)
        if ticket.mode != TIERED or ticket.tier is None:
            raise IllegalTransition(
                f"Ticket {ticket.id} is routed by swarming: vendor hand-offs belong to tiered "
                "mode's external tier."
            )
        external = [t for t in settings.tiers if t.external]
        if not external:
            raise IllegalTransition(
                "The tier configuration has no external (vendor) tier: add Tier 4 first."
            )
        if not settings.has_tier(ticket.tier) or not settings.tier(ticket.tier).external:
            raise IllegalTransition(
                f"Ticket {ticket.id} is in {settings.name(ticket.tier)}: escalate it to "
                f"{settings.name(external[0].tier)} before handing it to a vendor."
            )
        return settings


def _vendor_terms(name: Any, sla_seconds: Any, contact: Any) -> VendorTerms:
    try:
        terms = VendorTerms(name, sla_seconds, contact or "")
    except VendorError as exc:
        field = "name" if "name" in str(exc) and "SLA" not in str(exc) else "sla_seconds"
        raise Invalid(str(exc), fields={field: [str(exc)]}) from exc
    if len(terms.name) > 120 or len(terms.contact) > 254:
        raise Invalid(
            "A vendor's name has at most 120 characters and its contact at most 254.",
            fields={"name": ["Too long."]},
        )
    return terms

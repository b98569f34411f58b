"""Tiered mode, live: the tier clock on real tickets, queues, manual moves and vendor hand-offs.

The pure package (``swarm.tiers``) decides; this module reads the database into its views,
stores the clocks it returns (three columns each, on ``tickets`` and ``vendor_handoffs``) and
applies its decisions through the ticket service, in the ticket's transaction, so that a move,
its events and its deadlines commit together. See ``docs/tiers.md``.

The tier clock runs only while the ticket is workable (``new`` or ``open``) and not with a
vendor: going ``pending`` (or resolved) or handing off pauses it and clears the ``tier_limit``
deadline; coming back sets the deadline again, pushed back by the pause.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from swarm.clock import Clock
from swarm.db import begin_write
from swarm.dispatch.caches import RoutingCaches
from swarm.dispatch.collaboration import collaboration_on
from swarm.dispatch.settings import SettingsCache, store_routing, store_tiers
from swarm.events import AssignedBy, EventType
from swarm.models import Ticket, TicketDeadline, TicketEvent, User, Vendor, VendorHandoff
from swarm.models.tickets import Mode, Status
from swarm.models.users import Role
from swarm.routing import ClearDeadline, Decision, Escalate, OrgView, SetDeadline, TicketView
from swarm.skills.graph import SkillGraphError
from swarm.tickets.access import require_staff
from swarm.tickets.deadlines import deadlines_of
from swarm.tickets.decisions import carry_out, set_owner
from swarm.tickets.errors import Conflict, Forbidden, IllegalTransition, Invalid, NotFound
from swarm.tickets.notify import Notifier
from swarm.tickets.service import TicketService
from swarm.tickets.states import ACTIVE_STATUSES, require_active
from swarm.tickets.unit import StatusHook, UnitOfWork
from swarm.tiers.config import (
    SELF_SERVICE_TIER,
    TierConfigError,
    TieredSettings,
    settings_from_dict,
    settings_to_dict,
)
from swarm.tiers.modes import RoutingConfigError, routing_config_from_dict, routing_config_to_dict
from swarm.tiers.policy import (
    TIER_LIMIT,
    NotInTierError,
    SameTierError,
    TieredPolicy,
    TierMoveError,
    plan_deescalation,
    plan_escalation,
)
from swarm.tiers.queue import QueuedTicket, next_ticket, pull_order
from swarm.tiers.sla import SlaClock
from swarm.tiers.vendors import (
    FINAL_STATUSES,
    VENDOR_SLA,
    VENDOR_STATUSES,
    VendorError,
    is_overdue,
    plan_vendor_handoff,
    vendor_clock_after_update,
)
from swarm.tiers.vendors import Vendor as VendorTerms

W = TypeVar("W")

TIERED = "tiered"
#: The tier clock runs in these statuses; pending, resolved and closed pause it.
WORKABLE = frozenset({Status.NEW, Status.OPEN})
#: How many times "next ticket" tries again when someone else took the ticket it chose.
PULL_ATTEMPTS = 5


class QueueEmpty(NotFound):
    code = "queue_empty"


# ---------------------------------------------------------------------- clocks


def tier_clock(ticket: Ticket) -> SlaClock | None:
    """The ticket's tier clock, or ``None`` before it was first queued in a tier."""
    if ticket.tier_entered_at is None:
        return None
    return SlaClock(
        ticket.tier_entered_at,
        ticket.tier_paused_at,
        timedelta(seconds=ticket.tier_paused_seconds or 0.0),
    )


def _store_tier_clock(ticket: Ticket, clock: SlaClock) -> None:
    ticket.tier_entered_at = clock.started_at
    ticket.tier_paused_at = clock.paused_at
    ticket.tier_paused_seconds = clock.paused_total.total_seconds()


def vendor_clock(handoff: VendorHandoff) -> SlaClock:
    return SlaClock(
        handoff.handed_off_at, handoff.paused_at, timedelta(seconds=handoff.paused_seconds)
    )


def vendor_overdue(handoff: VendorHandoff, now: datetime) -> bool:
    """Flagged by the sweeper, or past its SLA right now (the page does not wait for a sweep)."""
    if handoff.overdue_at is not None:
        return True
    if handoff.closed_at is not None:
        return False
    return is_overdue(
        handoff.handed_off_at,
        timedelta(seconds=handoff.sla_seconds),
        now,
        paused_total=timedelta(seconds=handoff.paused_seconds),
        paused_at=handoff.paused_at,
    )


def open_handoff(ticket: Ticket) -> VendorHandoff | None:
    return next((h for h in reversed(ticket.handoffs) if h.closed_at is None), None)


def ticket_view(session: Session, ticket: Ticket) -> TicketView:
    """What the tiered policy needs of a ticket (it reads no skills)."""
    return TicketView(
        id=ticket.id,
        priority=ticket.priority,  # type: ignore[arg-type]  # checked by the table
        requester_id=ticket.requester_id,
        owner_id=ticket.owner_id,
        tier=ticket.tier,
        mode=ticket.mode,  # type: ignore[arg-type]
        excluded_agents=frozenset(_released_by(session, [ticket.id]).get(ticket.id, set())),
        deadlines=deadlines_of(session, ticket.id),
    )


def pause_tier_clock(
    session: Session, ticket: Ticket, policy: TieredPolicy, now: datetime
) -> list[Decision]:
    """Stop the tier clock (a second reason to wait keeps the first pause) and its deadline."""
    clock = tier_clock(ticket)
    if clock is None:
        return []
    view = ticket_view(session, ticket)
    _store_tier_clock(ticket, clock.pause(now))
    return policy.on_paused(view, now)


def resume_tier_clock(
    session: Session, ticket: Ticket, policy: TieredPolicy, now: datetime
) -> list[Decision]:
    """Restart the tier clock; the deadline comes back pushed by the time paused."""
    clock = tier_clock(ticket)
    if clock is None or not clock.paused:
        return []
    # Stored before the decisions are applied: a tier deadline is never set on a paused clock.
    _store_tier_clock(ticket, clock.resume(now))
    return policy.on_resumed(ticket_view(session, ticket), clock, now)


def tier_clock_hook(session: Session, settings: SettingsCache) -> StatusHook:
    """The ``TicketService.on_status`` hook that pauses and resumes tiered tickets' clocks."""

    def on_status(ticket: Ticket, previous: str, now: datetime) -> list[Decision]:
        if ticket.mode != TIERED or ticket.tier_entered_at is None:
            return []
        was, now_workable = previous in WORKABLE, ticket.status in WORKABLE
        if was and not now_workable:
            return pause_tier_clock(session, ticket, settings.policy(session), now)
        if now_workable and not was and open_handoff(ticket) is None:
            return resume_tier_clock(session, ticket, settings.policy(session), now)
        return []

    return on_status


def vendor_deadline_fired(ticket: Ticket, now: datetime) -> list[Decision]:
    """The ``vendor_sla`` deadline is due: flag the hand-off overdue (once).

    Exactly at the SLA is still on time, so a deadline fired at that instant asks again a
    second later rather than flagging early.
    """
    handoff = open_handoff(ticket)
    if handoff is None or handoff.paused_at is not None or handoff.overdue_at is not None:
        return []
    sla = timedelta(seconds=handoff.sla_seconds)
    paused = timedelta(seconds=handoff.paused_seconds)
    if is_overdue(handoff.handed_off_at, sla, now, paused_total=paused):
        handoff.overdue_at = now
        return []
    return [SetDeadline(VENDOR_SLA, handoff.handed_off_at + paused + sla + timedelta(seconds=1))]


def tier_rotation(session: Session) -> dict[int, int]:
    """``tier -> agent`` assigned last by the policy in that tier: the round-robin cursor."""
    tier = TicketEvent.data["tier"].as_integer()
    rotation: dict[int, int] = {}
    rows = session.execute(
        select(tier, TicketEvent.data["agent_id"].as_integer())
        .where(
            TicketEvent.type == EventType.ASSIGNED,
            TicketEvent.data["by"].as_string() == AssignedBy.POLICY,
            tier.is_not(None),
        )
        .order_by(TicketEvent.id.desc())
        .limit(200)
    )
    for t, agent in rows:
        if t is not None and agent is not None:
            rotation.setdefault(int(t), int(agent))
    return rotation


def _released_by(session: Session, ticket_ids: list[int]) -> dict[int, set[int]]:
    """Agents who released each ticket themselves (not those a move took it from)."""
    released: dict[int, set[int]] = {}
    rows = session.execute(
        select(TicketEvent.ticket_id, TicketEvent.data).where(
            TicketEvent.ticket_id.in_(ticket_ids), TicketEvent.type == EventType.UNASSIGNED
        )
    )
    for ticket_id, data in rows:
        agent = (data or {}).get("previous_owner_id")
        if agent and (data or {}).get("reason") not in ("escalated", "deescalated"):
            released.setdefault(ticket_id, set()).add(int(agent))
    return released


# ---------------------------------------------------------------------- use cases


class TieredService:
    """The tiered mode's use cases, beside the ticket lifecycle (and in its units of work).

    Made per request around one session, like ``TicketService``; ``caches`` is the app's
    ``RoutingCaches`` (settings, the tiered policy, organisation snapshots).
    """

    def __init__(
        self, session: Session, clock: Clock, notifier: Notifier, caches: RoutingCaches
    ) -> None:
        self.unit = UnitOfWork(
            session, clock, notifier, on_status=tier_clock_hook(session, caches.settings)
        )
        self.tickets = TicketService.on(self.unit)
        self.session = session
        self.clock = clock
        self.notifier = notifier
        self.caches = caches

    def __getattr__(self, name: str) -> Any:
        # Callers written when this class subclassed TicketService ask it for the lifecycle's
        # use cases (``rooms.claim``, ``rooms.resolve``); it answers them through the ticket
        # service it holds, in the same unit of work.
        if name.startswith("_") or name in ("unit", "tickets"):
            raise AttributeError(name)
        return getattr(self.tickets, name)

    # ------------------------------------------------------------------ configuration

    def routing_config(self, viewer: User) -> dict[str, Any]:
        require_staff(viewer, "see the routing configuration")
        return routing_config_to_dict(self.caches.settings.routing(self.session))

    def set_routing_config(self, actor: User, data: dict[str, Any]) -> dict[str, Any]:
        """Replace the routing mode; existing tickets keep the mode they were given."""
        _require_manager(actor, "change the routing mode")
        current = routing_config_to_dict(self.caches.settings.routing(self.session))
        try:
            config = routing_config_from_dict({"salt": current["salt"], **data})
        except RoutingConfigError as exc:
            raise Invalid(str(exc), fields=_field_of(exc, data)) from exc
        self._write(lambda now: store_routing(self.session, config, actor, now))
        return routing_config_to_dict(config)

    def tier_settings(self, viewer: User) -> dict[str, Any]:
        require_staff(viewer, "see the tier configuration")
        return settings_to_dict(self.caches.settings.tiers(self.session))

    def set_tier_settings(self, actor: User, data: dict[str, Any]) -> dict[str, Any]:
        """Replace tiers and limits; keys left out keep their values. New limits apply to
        tickets entering a tier from now on (a deadline already set is not moved)."""
        _require_manager(actor, "change the tiers")
        try:
            settings = settings_from_dict(data, base=self.caches.settings.tiers(self.session))
        except TierConfigError as exc:
            raise Invalid(str(exc), fields={"tiers": [str(exc)]}) from exc
        self._write(lambda now: store_tiers(self.session, settings, actor, now))
        return settings_to_dict(settings)

    # ------------------------------------------------------------------ vendors

    def vendors(self, viewer: User, *, include_inactive: bool = True) -> list[Vendor]:
        require_staff(viewer, "see vendors")
        query = select(Vendor).order_by(Vendor.name)
        if not include_inactive:
            query = query.where(Vendor.active.is_(True))
        return list(self.session.scalars(query))

    def create_vendor(
        self, actor: User, *, name: str, sla_seconds: int, contact: str = ""
    ) -> Vendor:
        _require_manager(actor, "add vendors")
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

        return self._write(change, duplicate=f"There is already a vendor named {terms.name!r}.")

    def update_vendor(self, actor: User, vendor_id: int, changes: dict[str, Any]) -> Vendor:
        """Rename, change the contact or SLA (for future hand-offs only), or (de)activate."""
        _require_manager(actor, "change vendors")
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

        return self._write(change, duplicate=f"There is already a vendor named {terms.name!r}.")

    def delete_vendor(self, actor: User, vendor_id: int) -> None:
        _require_manager(actor, "delete vendors")
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

        self._write(change)

    # ------------------------------------------------------------------ queues

    def queue(self, viewer: User, tier: int) -> dict[str, Any]:
        """The tickets in ``tier``: unowned first, each part in pull order (priority, age)."""
        require_staff(viewer, "see tier queues")
        settings = self._queue_tier(tier)
        now = self.clock.now()
        tickets = self._in_tier(tier)
        due = dict(
            self.session.execute(
                select(TicketDeadline.ticket_id, TicketDeadline.due_at).where(
                    TicketDeadline.ticket_id.in_([t.id for t in tickets]),
                    TicketDeadline.kind == TIER_LIMIT,
                )
            ).all()
        )
        by_id = {t.id: t for t in tickets}
        excluded = _released_by(self.session, list(by_id))
        queued = [_queued(t, excluded) for t in tickets]
        unowned = pull_order(q for q in queued if by_id[q.id].owner_id is None)
        owned = pull_order(q for q in queued if by_id[q.id].owner_id is not None)
        items = []
        for q in [*unowned, *owned]:
            ticket = by_id[q.id]
            at = due.get(ticket.id)
            handoff = open_handoff(ticket)
            items.append(
                {
                    "id": ticket.id,
                    "subject": ticket.subject,
                    "priority": ticket.priority,
                    "status": ticket.status,
                    "owner": ticket.owner,
                    "created_at": ticket.created_at,
                    "age_seconds": int((now - ticket.created_at).total_seconds()),
                    "tier_entered_at": ticket.tier_entered_at,
                    "due_at": at,
                    "seconds_left": None if at is None else int((at - now).total_seconds()),
                    "paused": ticket.tier_paused_at is not None,
                    "vendor": handoff.vendor.name if handoff else None,
                    "vendor_overdue": bool(handoff and vendor_overdue(handoff, now)),
                }
            )
        return {
            "tier": tier,
            "name": settings.tier(tier).name,
            "unowned": len(unowned),
            "items": items,
        }

    def pull_next(self, actor: User, tier: int) -> Ticket:
        """The agent takes the next ticket of the tier's queue (``assigned`` by ``pull``).

        Only agents who serve the tier, or managers. Two agents asking at once get two different
        tickets: the take is checked under the ticket's row lock and retried on the next one.
        """
        require_staff(actor, "take tickets from a queue")
        settings = self._queue_tier(tier)
        serves = sorted(actor.profile.served_tiers) if actor.profile else []
        if tier not in serves and not actor.has_role(Role.MANAGER):
            yours = (
                "you serve " + ", ".join(f"Tier {t}" for t in serves)
                if serves
                else "you serve no tier"
            )
            raise Forbidden(
                f"Only agents who serve {settings.name(tier)} or managers can take tickets from "
                f"its queue; {yours}."
            )
        taken: set[int] = set()
        for _ in range(PULL_ATTEMPTS):
            tickets = [t for t in self._in_tier(tier) if t.owner_id is None and t.id not in taken]
            excluded = _released_by(self.session, [t.id for t in tickets])
            chosen = next_ticket([_queued(t, excluded) for t in tickets], actor.id)
            if chosen is None:
                raise QueueEmpty(f"The {settings.name(tier)} queue has no ticket for you to take.")
            try:
                return self._take(actor, chosen.id, tier)
            except IllegalTransition:
                taken.add(chosen.id)  # someone else took it a moment ago: the next one
        raise Conflict("Others took the next tickets while you asked; try again.")

    # ------------------------------------------------------------------ manual moves

    def escalate(
        self,
        actor: User,
        ticket_id: int,
        *,
        reason: str,
        to_tier: int | None = None,
        from_tier: int | None = None,
    ) -> Ticket:
        """A person escalates the ticket (default: the next tier); appends ``escalated``
        ``{reason: manual, note}``, the handoff, and the new tier's queueing."""
        return self._move(actor, ticket_id, reason, to_tier, from_tier, down=False)

    def deescalate(
        self,
        actor: User,
        ticket_id: int,
        *,
        reason: str,
        to_tier: int | None = None,
        from_tier: int | None = None,
    ) -> Ticket:
        """A person sends the ticket down (default: one tier, never below Tier 1)."""
        return self._move(actor, ticket_id, reason, to_tier, from_tier, down=True)

    def escalate_by_rule(
        self, ticket_id: int, note: str, to_tier: int | None, cause: dict[str, int]
    ) -> Ticket:
        """An automation rule escalates a tiered ticket (default: the next tier), as a person
        would (the same checks and plan) but with no actor, ``reason: rule``, and ``cause`` on
        every event it writes (the escalation, the handoff, the new queue)."""
        self.unit.cause = cause
        try:
            return self._move(None, ticket_id, note, to_tier, None, down=False)
        finally:
            self.unit.cause = None

    def _move(
        self,
        actor: User | None,
        ticket_id: int,
        reason: str,
        to_tier: int | None,
        from_tier: int | None,
        *,
        down: bool,
    ) -> Ticket:
        verb = "de-escalate" if down else "escalate"
        if actor is not None:
            require_staff(actor, f"{verb} tickets")
        note = (reason or "").strip()
        if not note:
            raise Invalid(
                f"Say why you {verb} the ticket: the next tier reads it first.",
                fields={"reason": ["Required."]},
            )
        if actor is None:
            found = self.unit.reload(ticket_id)
            if found is None:
                raise NotFound(f"There is no ticket {ticket_id}.")
            self.session.expire(found, ["handoffs"])
            ticket = found
            if ticket.mode != TIERED:
                raise IllegalTransition(
                    f"Ticket {ticket.id} is a swarm ticket: only tiered tickets are escalated."
                )
        else:
            ticket = self._fresh(actor, ticket_id)
        require_active(ticket, f"{verb}d")
        if from_tier is not None and ticket.tier != from_tier:
            raise Conflict(
                f"Ticket {ticket.id} is in Tier {ticket.tier} now, not Tier {from_tier}: it was "
                "moved meanwhile. Reload it and decide again."
            )
        handoff = open_handoff(ticket)
        if handoff is not None:
            raise IllegalTransition(
                f"Ticket {ticket.id} is with {handoff.vendor.name} (ref {handoff.external_ref}): "
                "record their answer (resolved or rejected) before moving it."
            )
        settings = self.caches.settings.tiers(self.session)
        now = self.clock.now()
        view = ticket_view(self.session, ticket)
        if ticket.mode != TIERED:
            view = replace(view, tier=None)  # a swarm ticket is in no tier queue
        plan = plan_deescalation if down else plan_escalation
        try:
            decisions = plan(
                view, to_tier, settings, now=now, org=self._org(ticket, now), note=note
            )
        except TierMoveError as exc:
            raise _move_error(exc) from exc
        if actor is None:
            decisions = [
                replace(d, reason="rule") if isinstance(d, Escalate) else d for d in decisions
            ]
        self.tickets.apply_decisions(
            ticket.id, decisions, TIERED, actor=actor, note=note, expect_tier=view.tier
        )
        if actor is None:
            return ticket
        return self._fresh(actor, ticket.id)

    # ------------------------------------------------------------------ vendors on tickets

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
        return self._fresh(actor, ticket_id)

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
        return self._fresh(actor, ticket_id)

    # ------------------------------------------------------------------ for the pages

    def tier_status(self, ticket: Ticket) -> dict[str, Any] | None:
        """Where a tiered ticket stands: its tier, time left before escalation, the tiers it
        can move to. ``None`` for a swarm ticket."""
        if ticket.mode != TIERED or ticket.tier is None:
            return None
        settings = self.caches.settings.tiers(self.session)
        now = self.clock.now()
        due = deadlines_of(self.session, ticket.id).get(TIER_LIMIT)
        limit = settings.limit(ticket.tier, ticket.priority)  # type: ignore[arg-type]
        handoff = ticket.vendor_handoff
        tier = settings.tier(ticket.tier) if settings.has_tier(ticket.tier) else None
        return {
            "tier": ticket.tier,
            "name": settings.name(ticket.tier),
            "intake": settings.intake(ticket.tier),
            "collaboration": settings.collaboration,
            "external": bool(tier and tier.external),
            "paused": ticket.tier_paused_at is not None,
            "entered_at": ticket.tier_entered_at,
            "limit_seconds": None if limit is None else int(limit.total_seconds()),
            "due_at": due,
            "seconds_left": None if due is None else int((due - now).total_seconds()),
            "up": [(t.tier, settings.name(t.tier)) for t in settings.tiers if t.tier > ticket.tier],
            "down": [
                (t.tier, settings.name(t.tier))
                for t in settings.tiers
                if SELF_SERVICE_TIER < t.tier < ticket.tier
            ],
            "handoff": handoff,
            "at_vendor": handoff is not None and handoff.closed_at is None,
            "vendor_overdue": bool(handoff and vendor_overdue(handoff, now)),
            "vendor_due_at": handoff.due_at if handoff else None,
        }

    def collaboration(self, ticket: Ticket, viewer: User) -> dict[str, Any]:
        """What the tiered arm's collaboration setting lets ``viewer`` do on ``ticket`` (ask
        for help, offer it); everything on a swarm ticket."""
        return collaboration_on(self.caches.settings.tiers(self.session), ticket, viewer)

    # ------------------------------------------------------------------ internals

    def _write(self, change: Callable[[datetime], W], duplicate: str = "") -> W:
        begin_write(self.session)
        try:
            result = change(self.clock.now())
            self.session.commit()
        except IntegrityError as exc:
            self.session.rollback()
            raise Conflict(duplicate or "Someone changed this at the same moment; retry.") from exc
        except BaseException:
            self.session.rollback()
            raise
        return result

    def _vendor(self, vendor_id: int) -> Vendor:
        vendor = self.session.get(Vendor, vendor_id)
        if vendor is None:
            raise NotFound(f"There is no vendor {vendor_id}.")
        return vendor

    def _fresh(self, viewer: User, ticket_id: int) -> Ticket:
        ticket = self.unit.reload(ticket_id)
        if ticket is not None:
            # Hand-offs change through their own rows; read them again too.
            self.session.expire(ticket, ["handoffs"])
        if ticket is None or not (viewer.is_staff or ticket.requester_id == viewer.id):
            raise NotFound(f"There is no ticket {ticket_id}.")
        return ticket

    def _queue_tier(self, tier: int) -> TieredSettings:
        settings = self.caches.settings.tiers(self.session)
        if tier == SELF_SERVICE_TIER:
            raise NotFound("Tier 0 is self-service (the knowledge base): it has no queue.")
        if not settings.has_tier(tier):
            raise NotFound(f"There is no Tier {tier} in the tier configuration.")
        return settings

    def _in_tier(self, tier: int) -> list[Ticket]:
        query = (
            select(Ticket)
            .where(
                Ticket.mode == Mode.TIERED,
                Ticket.tier == tier,
                Ticket.status.in_(list(ACTIVE_STATUSES)),
            )
            .order_by(Ticket.id)
            .execution_options(populate_existing=True)
        )
        return list(self.session.scalars(query).unique())

    def _take(self, actor: User, ticket_id: int, tier: int) -> Ticket:
        def change() -> Ticket:
            ticket = self.unit.lock(actor, ticket_id)
            if (
                ticket.owner_id is not None
                or ticket.tier != tier
                or ticket.status not in ACTIVE_STATUSES
            ):
                raise IllegalTransition(f"Ticket {ticket.id} left the queue meanwhile.")
            set_owner(self.unit, ticket, actor, actor, AssignedBy.PULL)
            return ticket

        return self.unit.run(change)

    def _org(self, ticket: Ticket, now: datetime) -> OrgView | None:
        """The organisation for assignment in the new tier; ``None`` (queue only) when the
        skill taxonomy is broken — a move must not depend on it."""
        try:
            org = self.caches.org.org(self.session, now, ticket.requester_id)
        except SkillGraphError:
            return None
        return replace(org, tier_rotation=tier_rotation(self.session))

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


def _queued(ticket: Ticket, excluded: dict[int, set[int]]) -> QueuedTicket:
    # The age that counts is the ticket's, so an escalated ticket keeps its place by age.
    return QueuedTicket(
        ticket.id,
        ticket.priority,  # type: ignore[arg-type]
        ticket.created_at,
        frozenset(excluded.get(ticket.id, set())),
    )


def _require_manager(user: User, doing: str) -> None:
    if not user.has_role(Role.MANAGER):
        raise Forbidden(f"Only managers and admins can {doing}.")


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


def _field_of(exc: RoutingConfigError, data: dict[str, Any]) -> dict[str, list[str]]:
    text = str(exc)
    for name in ("split_ratio", "overrides", "salt"):
        if name in text or (name == "overrides" and "Override" in text):
            return {name: [text]}
    return {"mode": [text]}


def _move_error(exc: TierMoveError) -> IllegalTransition | Invalid:
    # The ticket's state refuses it (409) or the requested tier is wrong (422).
    if isinstance(exc, NotInTierError | SameTierError):
        return IllegalTransition(str(exc))
    return Invalid(str(exc), fields={"to_tier": [str(exc)]})

"""Routing use cases: open-and-route, re-route on release, deadlines, suggestions, inference.

A ``RoutingService`` is made per request (or per sweep) around one session, like
``TicketService``; the caches it reads live on the app and are shared by its threads.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from swarm.clock import Clock
from swarm.db import begin_write
from swarm.dispatch.caches import RoutingCaches
from swarm.dispatch.clocks import (
    TIERED,
    tier_clock_hook,
    tier_rotation,
    vendor_deadline_fired,
)
from swarm.dispatch.collaboration import CollaborationRefused, within_tier
from swarm.dispatch.inference import ticket_text
from swarm.knowledge.known import any_published, classify
from swarm.matching.coverage import assess_coverage
from swarm.matching.scoring import rank_owners
from swarm.matching.team import recommend_team
from swarm.models import Ticket, User
from swarm.routing import OrgView
from swarm.skills.graph import SkillGraphError
from swarm.skills.inference import InferredSkill
from swarm.telemetry import ROUTING_DECISIONS
from swarm.tickets.access import require_staff
from swarm.tickets.deadlines import claim_due, deadlines_of
from swarm.tickets.decisions import TIER_LIMIT
from swarm.tickets.errors import Conflict, Invalid, NotFound
from swarm.tickets.notify import Notifier
from swarm.tickets.service import TicketService
from swarm.tiers.collaboration import collaboration_allows, collaboration_refusal
from swarm.tiers.config import tiered_variant
from swarm.tiers.modes import assign_mode, drawn_by_split
from swarm.tiers.vendors import VENDOR_SLA

log = logging.getLogger(__name__)

#: Inferred skills below this weight are not attached to the ticket (they stay suggestions).
MIN_ATTACHED_WEIGHT = 0.5


class RoutingService:
    def __init__(
        self, session: Session, clock: Clock, notifier: Notifier, caches: RoutingCaches
    ) -> None:
        self.session = session
        self.clock = clock
        self.caches = caches
        self.tickets = TicketService(
            session, clock, notifier, on_status=tier_clock_hook(session, caches.settings)
        )

    # ------------------------------------------------------------------ use cases

    def open_ticket(self, actor: User, **fields: Any) -> Ticket:
        """Open a ticket, then infer its skills and route it.

        The ticket is committed first: if inference or routing fails, the ticket still exists,
        unowned, in the unassigned list — a routing problem never loses what a requester wrote.
        Unless a mode is given, the organisation's routing configuration chooses it from the
        ticket's id and category, in the ticket's own transaction. A tiered ticket's ``created``
        records the tiered variant in force (collaboration, each tier's intake), and ``split:
        true`` when the arm was drawn at random (the comparison of such tickets is causal).
        """
        fields["tiered_variant"] = tiered_variant(self.caches.settings.tiers(self.session))
        if "mode" not in fields:
            config = self.caches.settings.routing(self.session)
            category = fields.get("category")
            fields["mode_for"] = lambda ticket_id: assign_mode(ticket_id, category, config)
            fields["split"] = drawn_by_split(category, config)
        ticket = self.tickets.open_ticket(actor, **fields)
        try:
            self.route_new(ticket.id)
        except Exception:  # routing is best effort; the ticket is safe and visible
            log.exception("routing ticket %s failed; it stays unassigned", ticket.id)
            self.session.rollback()
        return self.tickets.get(actor, ticket.id)

    def route_new(self, ticket_id: int) -> None:
        """Classify the ticket new or known, infer skills when it has none, then ask its
        mode's policy.

        The classification (``classified``, staff-only) comes first so that whoever is
        assigned finds the article attached: a known ticket is routed as any other — the best
        owner in swarming, Tier 1 in tiered mode, where the requester is offered the article
        (docs/knowledge.md, "New or known") — and a new one goes to the swarm. With no
        published article at all there is nothing to classify against, and no verdict.
        """
        ticket = self._ticket(ticket_id)
        if any_published(self.session):
            verdict = classify(self.session, ticket.subject, ticket.body)
            self.tickets.record_classification(ticket.id, verdict.as_data())
            ticket = self._ticket(ticket_id)
        if not ticket.skills:
            inferred = self.infer(ticket_text(ticket.subject, ticket.body))
            attached = [s for s in inferred if s.weight >= MIN_ATTACHED_WEIGHT]
            if attached:
                self.tickets.set_skills(
                    None, ticket.id, [(s.skill_id, s.weight, s.why) for s in attached], "inferred"
                )
                ticket = self._ticket(ticket_id)
        self._decide(ticket, "on_opened")

    def release(self, actor: User, ticket_id: int, reason: str | None = None) -> Ticket:
        """The owner lets go; the policy routes the ticket again, never back to them."""
        self.tickets.release(actor, ticket_id, reason)
        try:
            self._decide(self._ticket(ticket_id), "on_released")
        except Exception:
            log.exception("re-routing ticket %s failed; it stays unassigned", ticket_id)
            self.session.rollback()
        return self.tickets.get(actor, ticket_id)

    def sweep(self, limit: int = 100) -> int:
        """Fire due deadlines, one transaction each; returns how many fired.

        Claiming the row and applying the policy's decisions commit together, so a deadline is
        never lost and, with ``SKIP LOCKED``, never fired twice by two sweepers.
        """
        fired = 0
        busy: set[int] = set()
        for _ in range(limit):
            begin_write(self.session)
            now = self.clock.now()
            claimed = claim_due(self.session, now, limit=1, skip_tickets=busy)
            if not claimed:
                self.session.rollback()
                break
            ticket_id, kind = claimed[0]
            ticket = self._lock_unless_busy(ticket_id)
            if ticket is None:
                # Someone is changing the ticket (a manual escalation clears this very row):
                # waiting for its lock while holding the deadline's would deadlock, so the
                # deadline goes back and a later sweep looks again.
                self.session.rollback()
                busy.add(ticket_id)
                continue
            # The view is read under the ticket's lock: a move that committed first is seen.
            deadlines = {**deadlines_of(self.session, ticket_id), kind: now}
            if kind == VENDOR_SLA:
                decisions = vendor_deadline_fired(ticket, now)
            elif kind == TIER_LIMIT and ticket.tier_paused_at is not None:
                decisions = []  # a paused tier clock never fires (its deadline is a leftover)
            else:
                decisions = self._policy_decisions(ticket, "on_deadline", deadlines, now)
            self.tickets.apply_decisions(ticket_id, decisions, ticket.mode, expect_tier=ticket.tier)
            fired += 1
        return fired

    def suggestions(self, viewer: User, ticket_id: int, limit: int = 5) -> dict[str, Any]:
        """Best owners and the swarm that would cover the ticket, each with its reasons.

        ``team`` is one :func:`~swarm.matching.coverage.assess_coverage` in JSON: its ``skills``
        (state, level, sentence), ``coverage``, ``summary`` and ``members`` are read off the same
        computation, so the page's bar, colours and sentences agree. While nobody owns the ticket
        the swarm is formed around the best candidate, given as ``proposed_owner_id``.

        On a tiered ticket the tiered arm's collaboration setting decides: ``off`` refuses
        (``CollaborationRefused``: pure tiers have no swarm to suggest), ``within_tier``
        suggests only agents who serve the ticket's tier, ``open`` suggests as for swarming.
        """
        ticket = self.tickets.get(viewer, ticket_id)
        require_staff(viewer, "see routing suggestions")
        now = self.clock.now()
        org = self._org(now, ticket.requester_id)
        if ticket.mode == TIERED:
            settings = self.caches.settings.tiers(self.session)
            if not collaboration_allows(settings.collaboration, ticket.tier):
                name = "any tier yet" if ticket.tier is None else settings.name(ticket.tier)
                refusal = collaboration_refusal(
                    settings.collaboration, "asking for suggested helpers", name
                )
                raise CollaborationRefused(refusal)
            if settings.collaboration == "within_tier":
                org = within_tier(org, ticket.tier, ticket.owner_id)
        view = self.caches.org.ticket(self.session, ticket, deadlines_of(self.session, ticket.id))
        graph = org.skills
        if not view.required_skills:
            return {
                "triage": "No skills are known for this ticket yet: set them, or let a "
                "dispatcher triage it.",
                "owners": [],
                "team": {"members": [], "covered": [], "uncovered": [], "skills": []},
            }
        owners = rank_owners(view, org, now, limit=limit)
        proposed = owners[0].agent_id if ticket.owner_id is None and owners else None
        team = recommend_team(view, org, now, owner_id=ticket.owner_id or proposed)
        coverage = assess_coverage(view, org, now, team, proposed_owner_id=proposed)

        def agent(agent_id: int) -> dict[str, Any]:
            a = org.agents[agent_id]
            return {
                "id": a.id,
                "name": a.name,
                "present": a.present,
                "load": a.load,
                "capacity": a.capacity,
            }

        def skills(ids: list[int]) -> list[dict[str, Any]]:
            return [{"id": s, "name": graph.name(s)} for s in ids]

        # Best first, but whoever is online before whoever is not: a stable sort keeps the
        # ranking within each group, and the page says who is away.
        owners = sorted(owners, key=lambda o: not org.agents[o.agent_id].present)
        helpers = sorted(coverage.helpers, key=lambda h: not h.online)
        return {
            "triage": None,
            "owners": [
                {
                    "agent": agent(o.agent_id),
                    "score": round(o.score, 3),
                    "meaning": o.meaning,
                    "reasons": o.reasons,
                    "over_capacity": o.over_capacity,
                    "absent": o.absent,
                }
                for o in owners
            ],
            "team": {
                "owner_id": coverage.owner_id,
                "proposed_owner_id": coverage.proposed_owner_id,
                "summary": coverage.summary,
                "members": [
                    {
                        "agent": agent(h.agent_id),
                        "online": h.online,
                        "covers": skills(h.covers),
                        "partly": skills(h.partly),
                        "reasons": h.reasons,
                    }
                    for h in helpers
                ],
                "skills": [
                    {
                        "id": s.skill_id,
                        "name": s.name,
                        "weight": round(s.weight, 6),
                        "level": round(s.level, 3),
                        "state": s.state,
                        "by": s.by,
                        "role": s.role,
                        "sentence": s.sentence,
                    }
                    for s in coverage.skills
                ],
                "covered": skills(coverage.covered),
                "uncovered": skills(coverage.uncovered),
                "coverage": round(coverage.share("covered"), 3),
                "percent": coverage.percent,
            },
        }

    def infer(self, text: str) -> list[InferredSkill]:
        """The skills ``text`` needs, strongest first, each with why; empty means triage."""
        if not text.strip():
            raise Invalid("Give some text to infer skills from.", fields={"text": ["Empty."]})
        graph = self._org(self.clock.now()).skills
        return self.caches.inference.inferer(self.session, graph).infer(text)

    def warm_inference(self) -> None:
        """Start the first training of the skill model, so the first tickets find it ready.

        Returns at once with a background runner; the model swaps in when it is trained.
        """
        self.caches.inference.inferer(self.session, self.caches.org.graph(self.session))

    def set_skills(self, actor: User, ticket_id: int, skills: list[tuple[int, float]]) -> Ticket:
        """A person corrects the ticket's skills; the correction trains later inferences."""
        return self.tickets.set_skills(actor, ticket_id, [(s, w, None) for s, w in skills])

    # ------------------------------------------------------------------ internals

    def _org(self, now: datetime, requester_id: int | None = None) -> OrgView:
        try:
            return self.caches.org.org(self.session, now, requester_id)
        except SkillGraphError as exc:
            raise Conflict(
                f"Routing is paused: the skill taxonomy is inconsistent ({exc}); "
                "an admin must correct it."
            ) from exc

    def _ticket(self, ticket_id: int) -> Ticket:
        ticket = self.tickets.reload(ticket_id)
        if ticket is None:
            raise NotFound(f"There is no ticket {ticket_id}.")
        return ticket

    def _lock_unless_busy(self, ticket_id: int) -> Ticket | None:
        query = (
            select(Ticket)
            .where(Ticket.id == ticket_id)
            .with_for_update(of=Ticket, skip_locked=True)
            .execution_options(populate_existing=True)
        )
        return self.session.scalars(query).unique().one_or_none()

    def _decide(self, ticket: Ticket, hook: str) -> None:
        now = self.clock.now()
        decisions = self._policy_decisions(ticket, hook, deadlines_of(self.session, ticket.id), now)
        if decisions:
            # Decided outside the ticket's lock: if it moved tier meanwhile, nothing applies.
            self.tickets.apply_decisions(ticket.id, decisions, ticket.mode, expect_tier=ticket.tier)

    def _policy_decisions(
        self, ticket: Ticket, hook: str, deadlines: dict[str, datetime], now: datetime
    ) -> list[Any]:
        if ticket.mode == TIERED:
            # Rebuilt only when the stored tier settings changed (a version stamp).
            self.caches.policies[TIERED] = self.caches.settings.policy(self.session)
        policy = self.caches.policies.get(ticket.mode)
        if policy is None:
            log.info(
                "no live policy for %s mode; ticket %s waits in its queue", ticket.mode, ticket.id
            )
            return []
        try:
            org = self.caches.org.org(self.session, now, ticket.requester_id)
        except SkillGraphError:
            log.exception("the skill taxonomy is inconsistent; routing is paused")
            return []
        if ticket.mode == TIERED:
            org = replace(org, tier_rotation=tier_rotation(self.session))
        view = self.caches.org.ticket(self.session, ticket, deadlines)
        decisions = list(getattr(policy, hook)(view, org, now))
        for decision in decisions:
            ROUTING_DECISIONS.labels(ticket.mode, hook, type(decision).__name__).inc()
        return decisions

"""Runs the rules on committed events: a notifier (``swarm.tickets.notify``), so that it is
called with each transaction's events only after that transaction committed — a rolled-back
change fires nothing, and the change is saved whatever the rules then do.

For each event of a trigger type that no rule caused, the runner builds the ticket's view,
asks the engine (``swarm.rules.engine.evaluate``) which rules fire, and for each firing:

1. stores a ``rule_runs`` row (``running``), one per rule and event (a second look at the same
   event finds it and fires nothing);
2. carries out the actions in order through the ticket services, each action its own
   transaction, every event they write carrying ``cause: {rule_id, run_id}``; an action that is
   refused (a closed ticket, nobody free to invite, a webhook removed meanwhile) is recorded
   as failed and the next one still runs;
3. appends ``rule_fired`` to the ticket with each action's outcome, and closes the run
   (``done`` or ``failed``).

Nothing the runner does raises into the request that wrote the event: it runs after the answer
was decided, and every failure is logged and, where it can be, recorded in the run.

The runner runs in the thread (greenlet) that committed the event, so a rule's work is done
before the request answers. While it runs, the events its actions publish reach the live rooms
but fire no rule (the depth guard, :data:`swarm.rules.engine.MAX_DEPTH`, on top of ``cause``).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from flask_socketio import SocketIO
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from swarm.automation.service import stored_spec
from swarm.dispatch.clocks import tier_clock_hook
from swarm.dispatch.tiered import TieredService
from swarm.models import Rule, RuleRun, Ticket, TicketEvent, User
from swarm.models.outbox import OutboxItem, OutboxState, Webhook
from swarm.outbox.capture import webhook_payload
from swarm.realtime.names import user_room
from swarm.rules import engine
from swarm.rules.engine import EventView, Firing, TicketView
from swarm.rules.spec import (
    TRIGGERS,
    Action,
    AddSkills,
    CallWebhook,
    Escalate,
    InviteHelper,
    Notify,
    PostReply,
    RuleError,
    SetCategory,
    SetPriority,
)
from swarm.runtime import Runtime
from swarm.tickets.errors import DomainError, IllegalTransition, Invalid, NotFound
from swarm.tickets.notify import EventPayload
from swarm.tickets.rooms import RoomService
from swarm.tickets.service import TicketService

log = logging.getLogger(__name__)

#: The Socket.IO event a person's notification arrives as, in their room ``user:<id>``.
NOTIFICATION = "notification"
_TRIGGERS = frozenset(TRIGGERS)


class RuleRunner:
    """Fires rules on published events; plugged into the app's notifier after the rooms."""

    def __init__(self, runtime: Runtime, socketio: SocketIO | None = None) -> None:
        self.runtime = runtime
        self.socketio = socketio
        self._local = threading.local()

    # ----------------------------------------------------------------- notifier

    def publish(self, events: Sequence[EventPayload]) -> None:
        if getattr(self._local, "depth", 0) >= engine.MAX_DEPTH:
            return
        for event in events:
            data = event.get("data") or {}
            if event.get("type") not in _TRIGGERS or data.get("cause") is not None:
                continue
            try:
                self.on_event(event)
            except Exception:  # the event is committed; a rule's trouble must not undo it
                log.exception("rules could not run on event %s", event.get("id"))

    # ----------------------------------------------------------------- one event

    def on_event(self, event: EventPayload) -> list[int]:
        """Fire the rules on one committed event; the ids of the runs it wrote."""
        session = self.runtime.sessions()
        try:
            rules = session.scalars(
                select(Rule).where(Rule.trigger == event["type"], Rule.enabled.is_(True))
            ).all()
            if not rules:
                return []
            view = self._ticket_view(session, event)
            if view is None:
                return []
            triggering = EventView(
                id=int(event["id"]),
                type=str(event["type"]),
                ticket_id=int(event["ticket_id"]),
                at=datetime.fromisoformat(str(event["at"])),
                data=dict(event.get("data") or {}),
            )
            known = {r.id: r for r in rules}
            firings = engine.evaluate(triggering, view, self._engine_rules(rules))
            session.commit()  # end the read; each step below is its own transaction
            return [
                run_id
                for firing in firings
                if (run_id := self._fire(session, known[firing.rule_id], firing, triggering))
                is not None
            ]
        finally:
            session.close()

    def _engine_rules(self, rules: Sequence[Rule]) -> list[engine.Rule]:
        parsed = []
        for rule in rules:
            try:
                spec = stored_spec(rule)
            except RuleError:
                log.warning("rule %s no longer reads as a rule; skipped", rule.id)
                continue
            parsed.append(engine.Rule(rule.id, rule.name, rule.enabled, spec, rule.version))
        return parsed

    def _ticket_view(self, session: Session, event: EventPayload) -> TicketView | None:
        ticket = session.get(Ticket, int(event["ticket_id"]))
        if ticket is None:
            return None
        previous = session.scalar(
            select(func.max(TicketEvent.at)).where(
                TicketEvent.ticket_id == ticket.id, TicketEvent.id < int(event["id"])
            )
        )
        return TicketView(
            id=ticket.id,
            subject=ticket.subject,
            body=ticket.body,
            priority=ticket.priority,
            status=ticket.status,
            mode=ticket.mode,
            tier=ticket.tier,
            category=ticket.category,
            skill_ids=frozenset(s.skill_id for s in ticket.skills),
            created_at=ticket.created_at,
            previous_event_at=previous,
        )

    # ----------------------------------------------------------------- one run

    def _fire(self, session: Session, rule: Rule, firing: Firing, event: EventView) -> int | None:
        now = self.runtime.clock.now()
        run = RuleRun(
            rule_id=rule.id,
            rule_version=firing.rule_version,
            ticket_id=event.ticket_id,
            event_id=event.id,
            at=now,
            outcome="running",
            results=[],
        )
        try:
            session.add(run)
            session.commit()
        except IntegrityError:  # this rule already ran on this event
            session.rollback()
            return None
        cause = engine.cause(rule.id, run.id)
        author = session.get(User, rule.created_by)
        results: list[dict[str, Any]] = []
        self._local.depth = getattr(self._local, "depth", 0) + 1
        try:
            for action in firing.actions:
                try:
                    self._do(session, action, event, rule, author, cause)
                    results.append({"type": action.kind, "outcome": "done"})
                except DomainError as exc:
                    session.rollback()
                    results.append({"type": action.kind, "outcome": "failed", "error": str(exc)})
                except Exception as exc:
                    session.rollback()
                    log.exception("rule %s: action %s failed", rule.id, action.kind)
                    results.append(
                        {"type": action.kind, "outcome": "failed", "error": type(exc).__name__}
                    )
            failed = [r for r in results if r["outcome"] == "failed"]
            outcome = "failed" if failed else "done"
            error = failed[0]["error"] if failed else None
            self._services(session)[0].record_rule_fired(
                event.ticket_id,
                {
                    "rule_id": rule.id,
                    "rule_name": rule.name,
                    "rule_version": firing.rule_version,
                    "run_id": run.id,
                    "trigger_event_id": event.id,
                    "trigger": event.type,
                    "outcome": outcome,
                    "actions": results,
                    "error": error,
                    "cause": cause,
                },
            )
        finally:
            self._local.depth -= 1
        stored = session.get(RuleRun, run.id)
        if stored is not None:
            stored.outcome, stored.results, stored.error = outcome, results, error
            session.commit()
        return run.id

    def _services(self, session: Session) -> tuple[TicketService, RoomService, TieredService]:
        rt = self.runtime
        hook = tier_clock_hook(session, rt.routing.settings)
        return (
            TicketService(session, rt.clock, rt.notifier, on_status=hook),
            RoomService(session, rt.clock, rt.notifier, rt.config.invitation_ttl, on_status=hook),
            TieredService(session, rt.clock, rt.notifier, rt.routing),
        )

    def _do(
        self,
        session: Session,
        action: Action,
        event: EventView,
        rule: Rule,
        author: User | None,
        cause: dict[str, int],
    ) -> None:
        tickets, rooms, tiered = self._services(session)
        ticket_id = event.ticket_id
        if isinstance(action, SetPriority):
            tickets.set_priority(None, ticket_id, action.priority, cause=cause)
        elif isinstance(action, SetCategory):
            tickets.set_category(None, ticket_id, action.category, cause=cause)
        elif isinstance(action, AddSkills):
            tickets.add_skills(None, ticket_id, action.skill_ids, cause=cause)
        elif isinstance(action, InviteHelper):
            rooms.invite_by_rule(
                ticket_id,
                _author(author),
                agent_id=action.agent_id,
                skill_id=action.skill_id,
                cause=cause,
            )
        elif isinstance(action, PostReply):
            tickets.post_automatic_reply(ticket_id, action.body, cause=cause)
        elif isinstance(action, Escalate):
            tiered.escalate_by_rule(
                ticket_id, f"Escalated by the rule “{rule.name}”.", action.to_tier, cause
            )
        elif isinstance(action, Notify):
            self._notify(session, action, ticket_id, rule)
        elif isinstance(action, CallWebhook):
            self._call_webhook(session, action, event, rule, cause)

    def _notify(self, session: Session, action: Notify, ticket_id: int, rule: Rule) -> None:
        person = session.get(User, action.user_id)
        ticket = session.get(Ticket, ticket_id)
        if person is None or not person.active or ticket is None:
            raise NotFound(f"There is no active person {action.user_id} to notify.")
        if not (person.is_staff or person.id == ticket.requester_id):
            # The notification names the ticket: only those who may see it are told.
            raise IllegalTransition(f"{person.name} may not see ticket {ticket_id}.")
        session.commit()
        if self.socketio is None:
            return
        self.socketio.emit(
            NOTIFICATION,
            {
                "kind": "rule",
                "ticket_id": ticket_id,
                "subject": ticket.subject,
                "message": action.message,
                "rule": {"id": rule.id, "name": rule.name},
                "at": self.runtime.clock.now().isoformat(),
            },
            to=user_room(person.id),
        )

    def _call_webhook(
        self,
        session: Session,
        action: CallWebhook,
        event: EventView,
        rule: Rule,
        cause: dict[str, int],
    ) -> None:
        hook = session.get(Webhook, action.webhook_id)
        if hook is None or not hook.active:
            raise Invalid(f"Webhook {action.webhook_id} is gone or paused.")
        row = session.get(TicketEvent, event.id)
        if row is None:
            raise NotFound(f"Event {event.id} is gone.")
        names = {row.actor.id: row.actor.name} if row.actor is not None else {}
        payload = webhook_payload(row, names)
        payload["data"]["rule"] = {"id": rule.id, "name": rule.name, **cause}
        now = self.runtime.clock.now()
        session.add(
            OutboxItem(
                kind="webhook",
                webhook_id=hook.id,
                key=f"msg_{uuid.uuid4().hex}",
                event_id=row.id,
                event_type=row.type,
                payload=payload,
                state=OutboxState.PENDING,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )
        session.commit()


def _author(author: User | None) -> User:
    if author is None or not author.active:
        raise IllegalTransition(
            "The rule's author is no longer active, and an invitation names who invites: an "
            "active admin can create the rule again under their own name."
        )
    return author

"""Ticket lifecycle use cases.

Each public method is one transaction: it takes the write lock, checks the change is allowed,
changes the ticket, appends its events, commits, and only then publishes the events. A refused
change raises a ``DomainError`` subclass and leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from swarm.clock import Clock
from swarm.events import AssignedBy, EventType
from swarm.knowledge.links import add_link, helpful_articles
from swarm.models import Message, Skill, Ticket, TicketEvent, TicketSkill, User
from swarm.models.tickets import MessageKind, Mode, Priority, Status
from swarm.routing import Decision
from swarm.tickets.access import require_owner_or_manager, require_staff
from swarm.tickets.deadlines import wake_unowned
from swarm.tickets.decisions import TIER_LIMIT as TIER_LIMIT
from swarm.tickets.decisions import carry_out, set_owner, set_status
from swarm.tickets.errors import Conflict, IllegalTransition, Invalid, TooLarge
from swarm.tickets.evidence import record_evidence
from swarm.tickets.notify import Notifier
from swarm.tickets.payloads import author_ref
from swarm.tickets.queries import SORTS as SORTS
from swarm.tickets.queries import Page as Page
from swarm.tickets.queries import Satisfaction as Satisfaction
from swarm.tickets.queries import TicketQueries, current_rating, require_rateable
from swarm.tickets.queries import Timeline as Timeline
from swarm.tickets.queries import VisibleEvent as VisibleEvent
from swarm.tickets.queries import staff_users as staff_users
from swarm.tickets.sla import due_times
from swarm.tickets.states import ACTIVE_STATUSES as ACTIVE_STATUSES
from swarm.tickets.states import TRANSITIONS as TRANSITIONS
from swarm.tickets.states import check_transition, require_active
from swarm.tickets.stints import contribute, end_all_stints, hand_over_stints, open_owner_stint
from swarm.tickets.unit import StatusHook as StatusHook
from swarm.tickets.unit import UnitOfWork

# The names imported above ``as`` themselves moved out of this module (to states.py, unit.py,
# decisions.py and queries.py); they stay importable from here for code written before.

SUBJECT_MAX = 200
#: The satisfaction question's answers: a score from 1 (bad) to 5 (great) and a short comment.
SCORES = range(1, 6)
COMMENT_MAX = 2000
BODY_MAX_BYTES = 64 * 1024
RESOLUTION_MAX_BYTES = 64 * 1024


class TicketService:
    """The ticket use cases, bound to one unit of work (a session, a clock and a notifier).

    ``TicketService(session, clock, notifier)`` makes its own unit of work;
    ``TicketService.on(unit)`` shares another service's, so that both write in the same
    transactions and publish through the same queue.
    """

    def __init__(
        self,
        session: Session,
        clock: Clock,
        notifier: Notifier,
        *,
        on_status: StatusHook | None = None,
    ) -> None:
        self.unit = UnitOfWork(session, clock, notifier, on_status=on_status)
        self.queries = TicketQueries(session, clock)
        self.session = session
        self.clock = clock
        self.notifier = notifier

    @classmethod
    def on(cls, unit: UnitOfWork) -> TicketService:
        """The ticket use cases in ``unit``, the unit of work of another service."""
        service = cls(unit.session, unit.clock, unit.notifier)
        service.unit = unit
        return service

    @property
    def cause(self) -> dict[str, int] | None:
        """Set while an automation rule's action runs (``UnitOfWork.cause``)."""
        return self.unit.cause

    @cause.setter
    def cause(self, value: dict[str, int] | None) -> None:
        self.unit.cause = value

    @property
    def on_status(self) -> StatusHook | None:
        return self.unit.on_status

    def reload(self, ticket_id: int) -> Ticket | None:
        """The ticket as the database has it now, without access checks (``UnitOfWork.reload``)."""
        return self.unit.reload(ticket_id)

    # ----------------------------------------------------------------- reading (queries.py)

    def get(self, viewer: User, ticket_id: int) -> Ticket:
        return self.queries.get(viewer, ticket_id)

    def list(
        self,
        viewer: User,
        *,
        status: str | None = None,
        mode: str | None = None,
        priority: str | None = None,
        owner_id: int | None = None,
        unowned: bool = False,
        q: str | None = None,
        sort: str = "newest",
        after: int | None = None,
        offset: int = 0,
        limit: int = 25,
    ) -> Page:
        """Tickets the viewer may see (``TicketQueries.list``: filters, sort, pages)."""
        return self.queries.list(
            viewer,
            status=status,
            mode=mode,
            priority=priority,
            owner_id=owner_id,
            unowned=unowned,
            q=q,
            sort=sort,
            after=after,
            offset=offset,
            limit=limit,
        )

    def events(self, viewer: User, ticket_id: int) -> list[VisibleEvent]:
        return self.queries.events(viewer, ticket_id)

    def events_page(
        self, viewer: User, ticket_id: int, after: int | None = None, limit: int | None = None
    ) -> tuple[list[VisibleEvent], int | None]:
        return self.queries.events_page(viewer, ticket_id, after, limit)

    def timeline(
        self, viewer: User, ticket_id: int, before: int | None = None, limit: int = 200
    ) -> Timeline:
        return self.queries.timeline(viewer, ticket_id, before, limit)

    def notes(
        self, viewer: User, ticket_id: int, ids: Collection[int] | None = None
    ) -> list[Message]:
        return self.queries.notes(viewer, ticket_id, ids)

    def satisfaction(self, viewer: User, ticket_id: int) -> Satisfaction:
        return self.queries.satisfaction(viewer, ticket_id)

    # ----------------------------------------------------------------- changing

    def open_ticket(
        self,
        actor: User,
        *,
        subject: str,
        body: str,
        priority: str = Priority.P3,
        requester_id: int | None = None,
        mode: str = Mode.SWARM,
        category: str | None = None,
        mode_for: Callable[[int], str] | None = None,
        tiered_variant: Mapping[str, Any] | None = None,
        split: bool = False,
        shown_articles: Sequence[int] = (),
        on_created: Callable[[Ticket], None] | None = None,
    ) -> Ticket:
        """Open a ticket for ``actor`` (or, for staff, on behalf of ``requester_id``).

        Appends a ``created`` event carrying the subject, priority and mode. ``mode_for``, when
        given, chooses the mode from the new ticket's id in the same transaction (the split
        between swarm and tiered is a hash of the id, known only after the insert). A tiered
        ticket's ``created`` also carries ``tiered_variant`` (``collaboration``, ``intake``),
        so that metrics can tell which tiered variant it ran under. ``split`` (recorded as
        ``split: true``) says the mode came from the random split, not from a choice.

        ``shown_articles`` are the knowledge-base articles the requester was shown before
        asking for help (the portal's "still need help"): each is attached as an
        ``article_suggested`` event (``via: "portal"``) after ``created``. ``on_created`` runs
        inside the transaction with the new ticket (the portal checks there that those
        articles were shown, and ties its visit to the ticket); if it raises, nothing is kept.
        """
        category = (category or "").strip() or None
        subject = subject.strip()
        errors: dict[str, list[str]] = {}
        if not subject:
            errors["subject"] = ["A subject is required."]
        elif len(subject) > SUBJECT_MAX:
            errors["subject"] = [f"A subject has at most {SUBJECT_MAX} characters."]
        if not body.strip():
            errors["body"] = ["Describe the problem: the body is empty."]
        if priority not in Priority.__members__.values():
            errors["priority"] = ["Priority is one of P1, P2, P3, P4."]
        if mode not in Mode.__members__.values():
            errors["mode"] = ["Mode is swarm or tiered."]
        if category is not None and len(category) > 80:
            errors["category"] = ["A category has at most 80 characters."]
        if errors:
            raise Invalid("The ticket has invalid fields.", fields=errors)
        if len(body.encode()) > BODY_MAX_BYTES:
            raise TooLarge(
                f"The body is larger than {BODY_MAX_BYTES // 1024} KB.",
                fields={"body": ["Too large."]},
            )

        def change() -> Ticket:
            requester = actor
            if requester_id is not None and requester_id != actor.id:
                require_staff(actor, "open tickets on behalf of someone else")
                found = self.session.get(User, requester_id)
                if found is None or not found.active:
                    raise Invalid(
                        f"There is no active user {requester_id}.",
                        fields={"requester_id": ["Unknown user."]},
                    )
                requester = found
            now = self.clock.now()
            response_due, resolve_due = due_times(priority, now)
            ticket = Ticket(
                subject=subject,
                body=body,
                priority=priority,
                status=Status.NEW,
                mode=mode,
                category=category,
                requester_id=requester.id,
                created_at=now,
                updated_at=now,
                response_due_at=response_due,
                resolve_due_at=resolve_due,
            )
            self.session.add(ticket)
            self.session.flush()
            if mode_for is not None:
                ticket.mode = mode_for(ticket.id)
            self.unit.record(
                ticket,
                EventType.CREATED,
                actor,
                subject=subject,
                priority=priority,
                mode=ticket.mode,
                requester_id=requester.id,
                category=category,
                **(dict(tiered_variant or {}) if ticket.mode == Mode.TIERED else {}),
                **({"split": True} if split and mode_for is not None else {}),
            )
            if on_created is not None:
                on_created(ticket)
            for article_id in dict.fromkeys(shown_articles):
                self.unit.record(
                    ticket,
                    EventType.ARTICLE_SUGGESTED,
                    requester,
                    article_id=article_id,
                    via="portal",
                )
            return ticket

        return self.unit.run(change)

    def record_classification(self, ticket_id: int, data: Mapping[str, Any]) -> None:
        """Append the system's ``classified`` event (new or known, swarm/knowledge/known.py):
        staff-only, as every event type the audience table does not grant."""

        def change() -> None:
            ticket = self.unit.lock_by_system(ticket_id)
            self.unit.record(ticket, EventType.CLASSIFIED, None, **data)

        self.unit.run(change)

    def claim(self, actor: User, ticket_id: int) -> Ticket:
        """The actor takes ownership of an unowned ticket: exactly one of two claims wins.

        Appends ``assigned`` (by ``pull``), and ``status_changed`` when a new ticket opens.
        """

        def change() -> Ticket:
            ticket = self.unit.lock(actor, ticket_id)
            require_staff(actor, "claim tickets")
            require_active(ticket, "claimed")
            if ticket.owner_id == actor.id:
                raise IllegalTransition(f"You already own ticket {ticket.id}.")
            if ticket.owner_id is not None:
                owner = ticket.owner.name if ticket.owner else f"user {ticket.owner_id}"
                raise IllegalTransition(
                    f"Ticket {ticket.id} is already owned by {owner}; ask them or a manager "
                    "to reassign it."
                )
            set_owner(self.unit, ticket, actor, actor, AssignedBy.PULL)
            return ticket

        return self.unit.run(change)

    def assign(self, actor: User, ticket_id: int, agent_id: int, why: str | None = None) -> Ticket:
        """Give the ticket to ``agent_id`` (a reassignment when it already has an owner).

        Appends ``assigned`` (by ``manual``) with the previous owner, so that handoffs count.
        """

        def change() -> Ticket:
            ticket = self.unit.lock(actor, ticket_id)
            require_staff(actor, "assign tickets")
            require_active(ticket, "assigned")
            agent = self.session.get(User, agent_id)
            if agent is None or not agent.active or not agent.is_staff:
                raise Invalid(
                    f"There is no active agent {agent_id}.",
                    fields={"agent_id": ["Not an active agent."]},
                )
            if ticket.owner_id == agent.id:
                raise IllegalTransition(f"{agent.name} already owns ticket {ticket.id}.")
            if ticket.owner_id is not None and ticket.owner_id != actor.id:
                # Taking a ticket away from its owner is a manager's call, not a colleague's.
                require_owner_or_manager(actor, ticket, "reassign it")
            set_owner(self.unit, ticket, agent, actor, AssignedBy.MANUAL, why=why)
            return ticket

        return self.unit.run(change)

    def release(self, actor: User, ticket_id: int, reason: str | None = None) -> Ticket:
        """The owner (or a manager) gives the ticket back; appends ``unassigned``."""

        def change() -> Ticket:
            ticket = self.unit.lock(actor, ticket_id)
            require_staff(actor, "release tickets")
            if ticket.owner_id is None:
                raise IllegalTransition(f"Ticket {ticket.id} has no owner to release.")
            require_owner_or_manager(actor, ticket, "release it")
            previous = ticket.owner_id
            ticket.owner_id = None
            self.unit.record(
                ticket, EventType.UNASSIGNED, actor, previous_owner_id=previous, reason=reason
            )
            hand_over_stints(self.unit, ticket, previous, None)
            # The releaser has room for another ticket now (the released one is routed again
            # by the caller, never back to them).
            wake_unowned(self.session, self.clock.now(), skip=ticket.id)
            return ticket

        return self.unit.run(change)

    def change_status(self, actor: User, ticket_id: int, status: str) -> Ticket:
        """Move between new, open and pending, or close a resolved ticket.

        Appends ``status_changed`` (or ``closed``); resolving and reopening have their own use
        cases because they carry more than a status.
        """
        if status not in Status.__members__.values():
            raise Invalid(
                "Status is one of new, open, pending, resolved, closed.",
                fields={"status": ["Unknown status."]},
            )
        if status == Status.RESOLVED:
            raise IllegalTransition(
                "Resolve a ticket with its resolution (POST …/resolve {resolution})."
            )
        if status == Status.CLOSED:
            return self.close(actor, ticket_id)

        def change() -> Ticket:
            ticket = self.unit.lock(actor, ticket_id)
            require_staff(actor, "change a ticket's status")
            if status == Status.OPEN and ticket.status in (Status.RESOLVED, Status.CLOSED):
                raise IllegalTransition(
                    f"Ticket {ticket.id} is {ticket.status}; reopen it (POST …/reopen)."
                )
            check_transition(ticket, status)
            if ticket.status != Status.NEW:
                require_owner_or_manager(actor, ticket, f"set it to {status}")
            set_status(self.unit, ticket, status, actor, EventType.STATUS_CHANGED)
            return ticket

        return self.unit.run(change)

    def resolve(
        self, actor: User, ticket_id: int, resolution: str, articles: Sequence[int] = ()
    ) -> Ticket:
        """The owner records how the ticket was solved; appends ``resolved``. ``articles``:
        published articles that helped — each linked to the ticket as ``resolved`` (a reuse)
        with an ``article_linked`` event, in the same transaction."""
        text = resolution.strip()
        if not text:
            raise Invalid(
                "A resolution is required: say what solved it.",
                fields={"resolution": ["Empty."]},
            )
        if len(text.encode()) > RESOLUTION_MAX_BYTES:
            raise TooLarge(
                "The resolution is larger than 64 KB.", fields={"resolution": ["Too large."]}
            )

        def change() -> Ticket:
            ticket = self.unit.lock(actor, ticket_id)
            require_staff(actor, "resolve tickets")
            if ticket.status == Status.NEW:
                raise IllegalTransition(
                    f"Ticket {ticket.id} is new: claim or assign it before resolving it."
                )
            check_transition(ticket, Status.RESOLVED)
            require_owner_or_manager(actor, ticket, "resolve it")
            helped = helpful_articles(self.session, articles)
            now = self.clock.now()
            ticket.resolution = text
            ticket.resolved_at = now
            set_status(
                self.unit, ticket, Status.RESOLVED, actor, EventType.RESOLVED, resolution=text
            )
            for article_id in helped:
                if add_link(self.session, article_id, ticket.id, "resolved", actor.id, now):
                    self.unit.record(
                        ticket,
                        EventType.ARTICLE_LINKED,
                        actor,
                        article_id=article_id,
                        kind="resolved",
                    )
            # Evidence before the swarm disbands: it reads who helped, and how, from the log.
            record_evidence(self.session, ticket, now)
            wake_unowned(self.session, now)  # the owner has room for another ticket now
            end_all_stints(self.unit, ticket, "resolved")
            return ticket

        return self.unit.run(change)

    def close(self, actor: User, ticket_id: int) -> Ticket:
        """Close a resolved ticket (its owner, a manager, or the requester confirming)."""

        def change() -> Ticket:
            ticket = self.unit.lock(actor, ticket_id)
            check_transition(ticket, Status.CLOSED)
            if ticket.requester_id != actor.id:
                require_staff(actor, "close tickets")
                require_owner_or_manager(actor, ticket, "close it")
            ticket.closed_at = self.clock.now()
            set_status(self.unit, ticket, Status.CLOSED, actor, EventType.CLOSED)
            return ticket

        return self.unit.run(change)

    def reopen(self, actor: User, ticket_id: int, reason: str | None = None) -> Ticket:
        """Reopen a resolved or closed ticket (its requester or any agent); keeps the owner."""

        def change() -> Ticket:
            ticket = self.unit.lock(actor, ticket_id)
            if ticket.status not in (Status.RESOLVED, Status.CLOSED):
                raise IllegalTransition(
                    f"Ticket {ticket.id} is {ticket.status}: only a resolved or closed ticket "
                    "can be reopened."
                )
            ticket.resolved_at = None
            ticket.closed_at = None
            set_status(self.unit, ticket, Status.OPEN, actor, EventType.REOPENED, reason=reason)
            if ticket.owner_id is not None:
                open_owner_stint(self.session, ticket, ticket.owner_id, self.clock.now())
            return ticket

        return self.unit.run(change)

    def rate_ticket(
        self, actor: User, ticket_id: int, score: Any, comment: str | None = None
    ) -> TicketEvent:
        """The requester answers "How did we do?" for the ticket's latest resolution.

        Preconditions: the actor is the ticket's requester (anyone else who may see the ticket
        gets ``Forbidden``, anyone else ``NotFound``); the ticket is resolved or closed; no answer
        was given since it was last resolved (a reopened and re-resolved ticket may be rated
        again). ``score`` is an integer 1–5 and ``comment`` at most 2000 characters once
        stripped. Appends ``satisfaction_rated {score, comment?}``; publishes it after commit
        (the staff room and the requester's, per ``AUDIENCE_FIELDS``).
        """
        # bool is an int to Python, but True is not an answer to "from 1 to 5".
        if isinstance(score, bool) or not isinstance(score, int) or score not in SCORES:
            raise Invalid(
                "The score is a whole number from 1 (bad) to 5 (great).",
                fields={"score": ["A whole number from 1 to 5."]},
            )
        if comment is not None and not isinstance(comment, str):
            raise Invalid("The comment is text.", fields={"comment": ["Text."]})
        text = (comment or "").strip() or None
        if text is not None and len(text) > COMMENT_MAX:
            raise Invalid(
                f"The comment has at most {COMMENT_MAX} characters; yours has {len(text)}.",
                fields={"comment": [f"At most {COMMENT_MAX} characters."]},
            )

        def change() -> TicketEvent:
            ticket = self.unit.lock(actor, ticket_id)
            require_rateable(actor, ticket, current_rating(self.session, ticket))
            return self.unit.record(
                ticket, EventType.SATISFACTION_RATED, actor, score=score, comment=text
            )

        return self.unit.run(change)

    def add_note(self, actor: User, ticket_id: int, body: str) -> Message:
        """An internal note for the people working the ticket; appends ``note``."""
        text = body.strip()
        if not text:
            raise Invalid("A note needs some text.", fields={"body": ["Empty."]})
        if len(text.encode()) > BODY_MAX_BYTES:
            raise TooLarge("The note is larger than 64 KB.", fields={"body": ["Too large."]})

        def change() -> Message:
            ticket = self.unit.lock(actor, ticket_id)
            require_staff(actor, "write internal notes")
            now = self.clock.now()
            note = Message(
                ticket_id=ticket.id,
                author_id=actor.id,
                body=text,
                kind=MessageKind.NOTE,
                created_at=now,
            )
            self.session.add(note)
            self.session.flush()
            ticket.updated_at = now
            contribute(self.unit, ticket, actor, "note")
            self.unit.record(ticket, EventType.NOTE, actor, message_id=note.id)
            return note

        return self.unit.run(change)

    def set_skills(
        self,
        actor: User | None,
        ticket_id: int,
        skills: Sequence[tuple[int, float, str | None]],
        source: str = "manual",
    ) -> Ticket:
        """Replace the ticket's required skills (``(skill id, weight, why)``); appends
        ``skills_set``. ``source`` is ``manual`` (a person's correction, which later trains the
        inference) or ``inferred``."""
        if source not in ("manual", "inferred"):
            raise Invalid("Skills are set manually or inferred.", fields={"source": ["Unknown."]})
        seen: set[int] = set()
        for skill_id, weight, _why in skills:
            if skill_id in seen:
                raise Invalid(f"Skill {skill_id} is listed twice.", fields={"skills": ["Twice."]})
            seen.add(skill_id)
            if not 0 < weight <= 1:
                raise Invalid(
                    "A skill's weight is above 0 and at most 1.", fields={"skills": ["Weight."]}
                )

        def change() -> Ticket:
            if actor is None:
                ticket = self.unit.lock_by_system(ticket_id)
            else:
                ticket = self.unit.lock(actor, ticket_id)
                require_staff(actor, "change a ticket's skills")
            known = set(self.session.scalars(select(Skill.id).where(Skill.id.in_(seen))))
            unknown = sorted(seen - known)
            if unknown:
                raise Invalid(
                    f"Unknown skill ids: {', '.join(map(str, unknown))}.",
                    fields={"skills": ["Unknown skill."]},
                )
            ticket.skills.clear()
            self.session.flush()
            for skill_id, weight, why in skills:
                ticket.skills.append(
                    TicketSkill(skill_id=skill_id, weight=weight, source=source, why=why)
                )
            self.unit.record(
                ticket,
                EventType.SKILLS_SET,
                actor,
                skills=[{"skill_id": s, "weight": w} for s, w, _ in skills],
                by=source,
            )
            return ticket

        return self.unit.run(change)

    # ----------------------------------------------------------------- automation

    def set_priority(
        self,
        actor: User | None,
        ticket_id: int,
        priority: str,
        *,
        cause: Mapping[str, int] | None = None,
    ) -> Ticket:
        """Change the priority of an active ticket (its response and resolution due times
        follow, counted from when it was opened); appends ``priority_changed {from, to,
        cause?}``. ``actor`` None is the system (an automation rule, named by ``cause``)."""
        if priority not in Priority.__members__.values():
            raise Invalid("Priority is one of P1, P2, P3, P4.", fields={"priority": ["Unknown."]})

        def change() -> Ticket:
            ticket = self._for_change(actor, ticket_id, "reprioritised")
            previous = ticket.priority
            if previous == priority:
                return ticket
            ticket.priority = priority
            ticket.response_due_at, ticket.resolve_due_at = due_times(priority, ticket.created_at)
            self.unit.record(
                ticket,
                EventType.PRIORITY_CHANGED,
                actor,
                **{"from": previous, "to": priority},
                cause=dict(cause) if cause else None,
            )
            return ticket

        return self.unit.run(change)

    def set_category(
        self,
        actor: User | None,
        ticket_id: int,
        category: str | None,
        *,
        cause: Mapping[str, int] | None = None,
    ) -> Ticket:
        """Change (or clear, with None) the category of an active ticket; appends
        ``category_changed {from, to, cause?}``."""
        category = (category or "").strip() or None
        if category is not None and len(category) > 80:
            raise Invalid("A category has at most 80 characters.", fields={"category": ["Long."]})

        def change() -> Ticket:
            ticket = self._for_change(actor, ticket_id, "recategorised")
            previous = ticket.category
            if previous == category:
                return ticket
            ticket.category = category
            self.unit.record(
                ticket,
                EventType.CATEGORY_CHANGED,
                actor,
                **{"from": previous, "to": category},
                cause=dict(cause) if cause else None,
            )
            return ticket

        return self.unit.run(change)

    def add_skills(
        self,
        actor: User | None,
        ticket_id: int,
        skill_ids: Sequence[int],
        *,
        cause: Mapping[str, int] | None = None,
    ) -> Ticket:
        """Add required skills to an active ticket (weight 1; those it has already are left
        as they are); appends ``skills_set`` with the whole list, ``by: rule`` when ``cause``
        is given (so that a rule's choice never trains the inference as a person's would)."""

        def change() -> Ticket:
            ticket = self._for_change(actor, ticket_id, "given skills")
            have = {s.skill_id for s in ticket.skills}
            wanted = [s for s in dict.fromkeys(skill_ids) if s not in have]
            known = set(self.session.scalars(select(Skill.id).where(Skill.id.in_(wanted))))
            unknown = [s for s in wanted if s not in known]
            if unknown:
                raise Invalid(
                    f"Unknown skill ids: {', '.join(map(str, unknown))}.",
                    fields={"skill_ids": ["Unknown skill."]},
                )
            if not wanted:
                return ticket
            for skill_id in wanted:
                ticket.skills.append(
                    TicketSkill(
                        skill_id=skill_id,
                        weight=1.0,
                        source="inferred" if cause else "manual",
                        why="added by a rule" if cause else None,
                    )
                )
            self.session.flush()
            self.unit.record(
                ticket,
                EventType.SKILLS_SET,
                actor,
                skills=[{"skill_id": s.skill_id, "weight": s.weight} for s in ticket.skills],
                by="rule" if cause else "manual",
                cause=dict(cause) if cause else None,
            )
            return ticket

        return self.unit.run(change)

    def post_automatic_reply(
        self, ticket_id: int, body: str, *, cause: Mapping[str, int]
    ) -> Message:
        """A canned reply from an automation rule to the requester, in their conversation.

        The message has no author: it is the support team speaking (``AUTOMATIC_AUTHOR``), not
        the admin who wrote the rule, and its ``message`` event has no actor and carries
        ``cause`` — nobody answered, so it is not a first response in the metrics, and nobody
        joins the swarm."""
        text = body.strip()
        if not text:
            raise Invalid("A reply needs some text.", fields={"body": ["Empty."]})

        def change() -> Message:
            ticket = self.unit.lock_by_system(ticket_id)
            require_active(ticket, "answered automatically")
            now = self.clock.now()
            previous = self.session.scalar(
                select(func.max(Message.id)).where(Message.ticket_id == ticket.id)
            )
            message = Message(
                ticket_id=ticket.id,
                author_id=None,
                body=text,
                kind=MessageKind.REPLY,
                client_id=None,
                created_at=now,
            )
            self.session.add(message)
            self.session.flush()
            shaped = {
                "id": message.id,
                "ticket_id": ticket.id,
                "author": author_ref(None),
                "body": text,
                "kind": MessageKind.REPLY.value,
                "client_id": None,
                "at": now.isoformat(),
                "prev_id": previous or 0,
            }
            self.unit.record(
                ticket,
                EventType.MESSAGE,
                None,
                live={"message": shaped},
                message_id=message.id,
                kind=MessageKind.REPLY.value,
                cause=dict(cause),
            )
            return message

        return self.unit.run(change)

    def record_rule_fired(self, ticket_id: int, data: Mapping[str, Any]) -> TicketEvent:
        """Append ``rule_fired`` (staff only) with the run's outcome, whatever the ticket's
        status: the log says a rule acted, or tried to."""

        def change() -> TicketEvent:
            ticket = self.unit.lock_by_system(ticket_id)
            return self.unit.record(ticket, EventType.RULE_FIRED, None, **data)

        return self.unit.run(change)

    def _for_change(self, actor: User | None, ticket_id: int, doing: str) -> Ticket:
        if actor is None:
            ticket = self.unit.lock_by_system(ticket_id)
        else:
            ticket = self.unit.lock(actor, ticket_id)
            require_staff(actor, f"change a ticket ({doing})")
        require_active(ticket, doing)
        return ticket

    def apply_decisions(
        self,
        ticket_id: int,
        decisions: Sequence[Decision],
        policy: str,
        *,
        actor: User | None = None,
        note: str = "",
        expect_tier: int | None = None,
    ) -> Ticket:
        """Carry out a routing policy's decisions on one ticket, in one transaction.

        ``Assign`` appends ``assigned`` (by ``policy``, with the policy's ``why``); ``Queue``
        appends ``queued``; ``Escalate`` moves the tier, clears the owner (a handoff, with an
        ``unassigned`` event), restarts the tier clock and appends ``escalated`` or
        ``deescalated`` (by ``actor`` with ``note`` for a manual move); ``SetDeadline``/
        ``ClearDeadline`` keep the deadline rows the sweeper reads. ``SuggestHelpers`` changes
        nothing stored: suggestions are computed when shown. An ``Assign`` to someone who can no
        longer take the ticket (gone, or the ticket was claimed meanwhile) is skipped rather than
        overriding a person's choice.

        ``expect_tier`` is the tier of the view the decisions were made from: when the ticket
        has moved since (a manual and an automatic escalation racing), nothing is applied and
        ``Conflict`` is raised — a move is never applied twice.
        """

        def change() -> Ticket:
            ticket = self.unit.lock_by_system(ticket_id)
            if expect_tier is not None and ticket.tier != expect_tier:
                raise Conflict(
                    f"Ticket {ticket.id} is in Tier {ticket.tier} now, not Tier {expect_tier}: "
                    "it was moved meanwhile, so nothing was changed. Reload and decide again."
                )
            carry_out(self.unit, ticket, decisions, policy, actor, note)
            return ticket

        return self.unit.run(change)

    # ----------------------------------------------------------------- internals

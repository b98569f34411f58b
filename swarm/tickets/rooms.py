"""The swarm room of a ticket: messages, who is in it, invitations, raising a hand.

Same rules as the rest of the ticket service: each use case is one transaction with its events,
published after commit. Messages are stored before anyone hears of them, their ids increase
strictly (the database sequence), and a ``client_id`` chosen by the sender makes a retried send
return the stored message instead of storing it twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, tuple_, update
from sqlalchemy.exc import IntegrityError

from swarm.clock import Clock
from swarm.db import begin_write
from swarm.dispatch.collaboration import require_collaboration
from swarm.events import MESSAGE_KINDS, Audience, EventType
from swarm.models import (
    AgentSkill,
    GuestPass,
    Invitation,
    Message,
    Participation,
    Ticket,
    TicketEvent,
    User,
)
from swarm.models.tickets import InvitationStatus
from swarm.models.users import Role
from swarm.tickets.access import audience_of, require_owner_or_manager, require_staff
from swarm.tickets.errors import (
    Conflict,
    DomainError,
    Forbidden,
    IllegalTransition,
    Invalid,
    NotFound,
)
from swarm.tickets.messages import StoredMessage, new_message, store_messages
from swarm.tickets.notify import Notifier
from swarm.tickets.payloads import author_ref, user_ref
from swarm.tickets.posting import DEFAULT_KIND, Standing
from swarm.tickets.service import TicketService
from swarm.tickets.states import ACTIVE_STATUSES, require_active
from swarm.tickets.stints import contribute, end_stint, open_stints
from swarm.tickets.unit import StatusHook, UnitOfWork

REPLAY_LIMIT = 500
#: Characters of the note an owner may give when declining an offer of help.
OFFER_NOTE_LIMIT = 2000
DEFAULT_INVITATION_TTL = timedelta(minutes=15)


def message_payload(message: Message, prev_id: int | None = None) -> dict[str, Any]:
    """``{id, ticket_id, author: {id, name}, body, kind, client_id, at}`` — the protocol's shape.

    Live messages also carry ``prev_id``, the id of the ticket's message before this one (0 for
    the first): a client whose last id differs has missed something and asks for a replay.
    """
    stored = StoredMessage(
        message.id,
        message.ticket_id,
        author_ref(message.author),
        message.body,
        message.kind,
        message.client_id,
        message.created_at,
    )
    return stored.payload(prev_id)


def default_kind(author: User, guest: bool | None = None) -> str:
    """The kind of a message sent without one: staff write to the swarm, a guest chats in it,
    and a requester replies in their conversation (the only kind they may write)."""
    if author.is_staff:
        return DEFAULT_KIND[Standing.STAFF]
    is_guest = guest if guest is not None else author.guest_pass is not None
    return DEFAULT_KIND[Standing.GUEST if is_guest else Standing.REQUESTER]


@dataclass(frozen=True)
class Replay:
    messages: list[Message]
    more: bool


class RoomService:
    """Use cases of a ticket's swarm room, bound to one session, a clock and a notifier.

    Holds a unit of work (``self.unit``) and the ticket use cases on it (``self.tickets``).
    """

    def __init__(
        self,
        session: Any,
        clock: Clock,
        notifier: Notifier,
        invitation_ttl: timedelta = DEFAULT_INVITATION_TTL,
        *,
        on_status: StatusHook | None = None,
    ) -> None:
        self.unit = UnitOfWork(session, clock, notifier, on_status=on_status)
        self.tickets = TicketService.on(self.unit)
        self.session = session
        self.clock = clock
        self.notifier = notifier
        self.invitation_ttl = invitation_ttl

    def __getattr__(self, name: str) -> Any:
        # Callers written when this class subclassed TicketService ask it for the lifecycle's
        # use cases (``rooms.claim``, ``rooms.resolve``); it answers them through the ticket
        # service it holds, in the same unit of work.
        if name.startswith("_") or name in ("unit", "tickets"):
            raise AttributeError(name)
        return getattr(self.tickets, name)

    # ------------------------------------------------------------------ reading

    def replay(
        self, viewer: User, ticket_id: int, since: int | None = None, limit: int = REPLAY_LIMIT
    ) -> Replay:
        """The messages the viewer's audience reads (``swarm.events.MESSAGE_KINDS``), oldest
        first, at most ``limit``: those right after ``since`` (``more``: there are later ones
        still), or with no ``since`` — a room opened afresh — the newest ``limit`` (``more``:
        there are earlier ones, which the ticket's timeline pages through). A long swarm's room
        opens on its latest messages, not on its first 500."""
        ticket = self.tickets.get(viewer, ticket_id)
        query = select(Message).where(Message.ticket_id == ticket.id)
        if since is not None:
            query = query.where(Message.id > since)
        audience = audience_of(viewer, ticket)
        if audience is not Audience.STAFF:
            query = query.where(Message.kind.in_(sorted(MESSAGE_KINDS[audience])))
        order = Message.id if since is not None else Message.id.desc()
        rows = list(self.session.scalars(query.order_by(order).limit(limit + 1)).unique())
        more, rows = len(rows) > limit, rows[:limit]
        if since is None:
            rows.reverse()
        return Replay(rows, more)

    def participants(self, ticket_id: int) -> list[dict[str, Any]]:
        """The swarm now: people with an open stint (owner first, then helpers by arrival).
        Who has the page open is presence (``swarm.realtime``), not this."""
        rows = self.session.execute(
            select(User, Participation.role, Participation.joined_at)
            .join(Participation, Participation.user_id == User.id)
            .where(Participation.ticket_id == ticket_id, Participation.left_at.is_(None))
            .order_by(Participation.role.desc(), Participation.joined_at)
        ).unique()
        return [
            {"id": u.id, "name": u.name, "role": role, "since": joined.isoformat()}
            for u, role, joined in rows
        ]

    def onlookers(self, ticket_id: int, user_ids: Iterable[int]) -> list[dict[str, Any]]:
        """Of people who have the room open but are not in the swarm, ``{id, name, role}``:
        ``requester`` for the ticket's requester, ``viewer`` for staff, by name. Others (a
        guest, or anyone who lost access) are left out."""
        ids = set(user_ids)
        if not ids:
            return []
        ticket = self.session.get(Ticket, ticket_id)
        if ticket is None:
            return []
        people = self.session.scalars(
            select(User).where(User.id.in_(ids), User.active.is_(True)).order_by(User.name)
        ).unique()
        out = []
        for person in people:
            if person.id == ticket.requester_id and not person.is_staff:
                out.append({"id": person.id, "name": person.name, "role": "requester"})
            elif person.is_staff:
                out.append({"id": person.id, "name": person.name, "role": "viewer"})
        return out

    def guests_with_access(self, ticket_id: int) -> list[dict[str, Any]]:
        """Guests whose link to the ticket's room works now, as ``{id, name, role: "guest",
        since}`` (since: when the link was made), oldest link first."""
        now = self.clock.now()
        rows = self.session.execute(
            select(User.id, User.name, GuestPass.created_at)
            .join(GuestPass, GuestPass.user_id == User.id)
            .where(
                GuestPass.ticket_id == ticket_id,
                GuestPass.revoked_at.is_(None),
                GuestPass.expires_at > now,
                User.active.is_(True),
            )
            .order_by(GuestPass.id)
        )
        return [
            {"id": uid, "name": name, "role": "guest", "since": made.isoformat()}
            for uid, name, made in rows
        ]

    def pending_invitations(self, user: User) -> list[Invitation]:
        now = self.clock.now()
        query = select(Invitation).where(
            Invitation.invitee_id == user.id,
            Invitation.status == InvitationStatus.PENDING,
            Invitation.expires_at > now,
        )
        return list(self.session.scalars(query.order_by(Invitation.id)))

    # ------------------------------------------------------------------ messages

    def send_message(
        self, actor: User, ticket_id: int, body: str, client_id: str, kind: str | None = None
    ) -> tuple[Message, bool]:
        """Store a message and publish it; returns it and whether it is new.

        A ``client_id`` this author used before returns the stored message and stores nothing
        (so a client that retries after a lost acknowledgement never duplicates). Appends a
        ``message`` event whose live payload carries the message. A staff member who writes
        begins a helper stint if they had none (``helper_joined {via: message}``), in the same
        transaction. The live rooms send through :class:`swarm.tickets.messages.MessageWriter`,
        which stores the same way in batches, and then call :meth:`wrote`.
        """
        send = new_message(actor.id, ticket_id, body, client_id, kind or default_kind(actor))

        def change() -> StoredMessage:
            batch = store_messages(self.session, self.clock.now(), [send])
            [outcome] = batch.outcomes
            if isinstance(outcome, DomainError):
                raise outcome
            self.unit.publish_after_commit(batch.events)
            if outcome.created:
                ticket = self.unit.lock_by_system(ticket_id)
                contribute(self.unit, ticket, actor, "message", message_id=outcome.id)
            return outcome

        for attempt in range(2):
            try:
                stored = self.unit.run(change)
                break
            except IntegrityError:
                # The same client_id raced in on another connection; the second look finds it.
                if attempt:
                    raise
        message = Message(
            id=stored.id,
            ticket_id=stored.ticket_id,
            author_id=actor.id,
            author=actor,
            body=stored.body,
            kind=stored.kind,
            client_id=stored.client_id,
            created_at=stored.at,
        )
        return message, stored.created

    # ------------------------------------------------------------------ stints

    def wrote(self, actor: User, ticket_id: int, message_id: int) -> bool:
        """The actor's message ``message_id`` was stored by the live rooms' writer: a staff
        member without a stint begins one (``helper_joined {via: message}``). Its own short
        transaction after the message's; True when a stint began."""

        def change() -> bool:
            ticket = self.unit.lock(actor, ticket_id)
            had = bool(open_stints(self.session, ticket.id, {actor.id}))
            stint = contribute(self.unit, ticket, actor, "message", message_id=message_id)
            return stint is not None and not had

        return self.unit.run(change)

    def in_swarm(self, actor: User, ticket_id: int) -> bool:
        """Whether the actor owns the ticket or has an open stint on it."""
        ticket = self.tickets.get(actor, ticket_id)
        return (
            ticket.owner_id == actor.id or self._open_participation(ticket.id, actor.id) is not None
        )

    def add_helper(self, actor: User, ticket_id: int, agent_id: int) -> Participation:
        """The owner (or a manager) adds an agent to the swarm: accepting their offer of help
        (``helper_joined {via: offer}``) or on their own account (``via: added``)."""

        def change() -> Participation:
            ticket = self.unit.lock(actor, ticket_id)
            require_staff(actor, "add helpers")
            require_active(ticket, "swarmed on")
            require_owner_or_manager(actor, ticket, "add helpers")
            require_collaboration(self.session, ticket, "adding a helper", agent_id)
            helper = self._active_agent(agent_id)
            if helper.id == ticket.owner_id or self._open_participation(ticket.id, helper.id):
                raise Conflict(f"{helper.name} is already in this swarm.")
            offered = self._offered_since_last_stint(ticket.id, helper.id)
            stint = contribute(self.unit, ticket, helper, "offer" if offered else "added")
            assert stint is not None  # an active agent who is not the owner, on an active ticket
            return stint

        return self.unit.run(change)

    def leave_swarm(self, actor: User, ticket_id: int) -> None:
        """A helper is done: their stint ends (``helper_left {reason: left}``). The owner
        releases the ticket instead."""

        def change() -> None:
            ticket = self.unit.lock(actor, ticket_id)
            if ticket.owner_id == actor.id:
                raise IllegalTransition("You own this ticket: release it, or resolve it.")
            stint = self._open_participation(ticket.id, actor.id)
            if stint is None:
                raise IllegalTransition("You are not helping on this ticket.")
            end_stint(self.unit, ticket, stint, self.clock.now(), "left")

        self.unit.run(change)

    def mark_seen(self, pairs: Iterable[tuple[int, int]]) -> int:
        """``(ticket_id, user_id)`` with the room open now: their open stints were seen now
        (no event: presence is not evidence). Returns the rows changed."""
        pairs = set(pairs)
        if not pairs:
            return 0
        begin_write(self.session)
        result = self.session.execute(
            update(Participation)
            .where(
                tuple_(Participation.ticket_id, Participation.user_id).in_(sorted(pairs)),
                Participation.left_at.is_(None),
            )
            .values(last_seen_at=self.clock.now())
        )
        self.session.commit()
        return int(getattr(result, "rowcount", 0) or 0)

    def end_idle_stints(
        self, idle: timedelta, gone: Callable[[int, int], bool]
    ) -> list[tuple[int, int]]:
        """End the helper stints of people who went silent and away: no sign of them (room
        open, or something written) for ``idle``, and ``gone(ticket_id, user_id)`` — asked
        under the ticket's lock — says they do not have the room open now. ``helper_left``
        says ``reason: idle`` and counts the seconds up to their last sign of life. Returns
        the ``(ticket_id, user_id)`` ended."""
        now = self.clock.now()
        cutoff = now - idle
        candidates = [
            (stint_id, ticket_id, user_id)
            for stint_id, ticket_id, user_id, seen, joined in self.session.execute(
                select(
                    Participation.id,
                    Participation.ticket_id,
                    Participation.user_id,
                    Participation.last_seen_at,
                    Participation.joined_at,
                ).where(Participation.left_at.is_(None), Participation.role == "helper")
            )
            if (seen or joined) <= cutoff
        ]
        self.session.rollback()
        ended: list[tuple[int, int]] = []
        for stint_id, ticket_id, user_id in candidates:

            def change(stint_id: int = stint_id, t: int = ticket_id, u: int = user_id) -> bool:
                try:
                    ticket = self.unit.lock_by_system(t)
                except NotFound:
                    return False
                stint = self.session.get(Participation, stint_id)
                if stint is None or stint.left_at is not None:
                    return False
                last = self._last_sign(stint)
                if last > cutoff or not gone(t, u):
                    return False
                end_stint(self.unit, ticket, stint, self.clock.now(), "idle", until=last)
                return True

            if self.unit.run(change):
                ended.append((ticket_id, user_id))
        return ended

    def _last_sign(self, stint: Participation) -> datetime:
        """The latest of a stint's start, when it was last seen, and its person's last message."""
        wrote = self.session.scalar(
            select(func.max(Message.created_at)).where(
                Message.ticket_id == stint.ticket_id, Message.author_id == stint.user_id
            )
        )
        signs = [stint.joined_at, stint.last_seen_at, wrote]
        return max(s for s in signs if s is not None)

    def _offered_since_last_stint(self, ticket_id: int, agent_id: int) -> bool:
        """Whether their latest offer came after their latest stint began and nobody has
        declined it since."""
        last = {
            kind: at
            for kind, at in self.session.execute(
                select(TicketEvent.type, func.max(TicketEvent.id))
                .where(
                    TicketEvent.ticket_id == ticket_id,
                    TicketEvent.actor_id == agent_id,
                    TicketEvent.type.in_([EventType.HELP_OFFERED, EventType.HELPER_JOINED]),
                )
                .group_by(TicketEvent.type)
            )
        }
        offered = last.get(EventType.HELP_OFFERED)
        joined = last.get(EventType.HELPER_JOINED)
        if offered is None or (joined is not None and joined > offered):
            return False
        declined = self.session.scalar(
            select(func.max(TicketEvent.id)).where(
                TicketEvent.ticket_id == ticket_id,
                TicketEvent.type == EventType.OFFER_DECLINED,
                TicketEvent.data["agent_id"].as_integer() == agent_id,
            )
        )
        return declined is None or declined < offered

    def _active_agent(self, agent_id: int) -> User:
        agent = self.session.get(User, agent_id)
        if agent is None or not agent.active or not agent.is_staff:
            raise Invalid(
                f"There is no active agent {agent_id}.",
                fields={"agent_id": ["Not an active agent."]},
            )
        return agent

    def _open_participation(self, ticket_id: int, user_id: int) -> Participation | None:
        stints = open_stints(self.session, ticket_id, {user_id})
        return stints[0] if stints else None

    # ------------------------------------------------------------------ asking for help

    def invite(
        self, actor: User, ticket_id: int, agent_id: int, note: str | None = None
    ) -> Invitation:
        """The owner, someone in the room, or a manager invites an agent to help.

        Appends ``helper_invited`` (the realtime layer also tells the invitee wherever they are).
        Inviting someone already in the room, or already invited, is refused.
        """

        def change() -> Invitation:
            ticket = self.unit.lock(actor, ticket_id)
            require_staff(actor, "invite helpers")
            require_collaboration(self.session, ticket, "inviting", agent_id)
            if ticket.status not in ACTIVE_STATUSES:
                raise IllegalTransition(f"Ticket {ticket.id} is {ticket.status}; reopen it first.")
            in_swarm = self._open_participation(ticket.id, actor.id) is not None
            if not (ticket.owner_id == actor.id or in_swarm or actor.has_role(Role.MANAGER)):
                raise Forbidden("Only the owner, people in the swarm, or a manager can invite.")
            invitee = self._active_agent(agent_id)
            if invitee.id == ticket.owner_id or self._open_participation(ticket.id, invitee.id):
                raise Conflict(f"{invitee.name} is already in this swarm.")
            now = self.clock.now()
            already = self.session.scalars(
                select(Invitation).where(
                    Invitation.ticket_id == ticket.id,
                    Invitation.invitee_id == invitee.id,
                    Invitation.status == InvitationStatus.PENDING,
                    Invitation.expires_at > now,
                )
            ).first()
            if already is not None:
                raise Conflict(f"{invitee.name} has been invited already and not answered yet.")
            invitation = Invitation(
                ticket_id=ticket.id,
                inviter_id=actor.id,
                invitee_id=invitee.id,
                status=InvitationStatus.PENDING,
                note=(note or "").strip() or None,
                created_at=now,
                expires_at=now + self.invitation_ttl,
            )
            self.session.add(invitation)
            self.session.flush()
            self.unit.record(
                ticket,
                EventType.HELPER_INVITED,
                actor,
                live={"invitation": invitation_payload(invitation, ticket, actor)},
                agent_id=invitee.id,
                invitation_id=invitation.id,
            )
            return invitation

        return self.unit.run(change)

    def invite_by_rule(
        self,
        ticket_id: int,
        inviter: User,
        *,
        agent_id: int | None = None,
        skill_id: int | None = None,
        cause: dict[str, int],
    ) -> Invitation:
        """An automation rule invites ``agent_id``, or the best-placed agent for ``skill_id``
        (the active agent with the highest proficiency in it who is not in the swarm, not
        invited already and not the owner; the lowest id on a tie). The invitation names the
        rule's author as inviter; its ``helper_invited`` event has no actor and carries
        ``cause``. Refused as a person's invitation would be: a finished ticket, someone
        already in the swarm or invited, a collaboration setting that forbids it."""

        def change() -> Invitation:
            ticket = self.unit.lock_by_system(ticket_id)
            if ticket.status not in ACTIVE_STATUSES:
                raise IllegalTransition(f"Ticket {ticket.id} is {ticket.status}; reopen it first.")
            now = self.clock.now()
            pending = set(
                self.session.scalars(
                    select(Invitation.invitee_id).where(
                        Invitation.ticket_id == ticket.id,
                        Invitation.status == InvitationStatus.PENDING,
                        Invitation.expires_at > now,
                    )
                )
            )
            in_swarm = set(
                self.session.scalars(
                    select(Participation.user_id).where(
                        Participation.ticket_id == ticket.id, Participation.left_at.is_(None)
                    )
                )
            )
            busy = pending | in_swarm | ({ticket.owner_id} if ticket.owner_id else set())
            chosen = agent_id
            if chosen is None:
                query = (
                    select(AgentSkill.user_id)
                    .join(User, User.id == AgentSkill.user_id)
                    .where(
                        AgentSkill.skill_id == skill_id,
                        AgentSkill.proficiency > 0,
                        User.active.is_(True),
                        User.role.in_([Role.AGENT, Role.MANAGER, Role.ADMIN]),
                    )
                    .order_by(AgentSkill.proficiency.desc(), AgentSkill.user_id)
                )
                chosen = next((u for u in self.session.scalars(query) if u not in busy), None)
                if chosen is None:
                    raise Conflict(f"Nobody with skill {skill_id} is free to invite.")
            require_collaboration(self.session, ticket, "inviting", chosen)
            invitee = self._active_agent(chosen)
            if invitee.id in busy:
                raise Conflict(f"{invitee.name} is already in this swarm or invited.")
            invitation = Invitation(
                ticket_id=ticket.id,
                inviter_id=inviter.id,
                invitee_id=invitee.id,
                status=InvitationStatus.PENDING,
                note="Invited by an automation rule.",
                created_at=now,
                expires_at=now + self.invitation_ttl,
            )
            self.session.add(invitation)
            self.session.flush()
            self.unit.record(
                ticket,
                EventType.HELPER_INVITED,
                None,
                live={"invitation": invitation_payload(invitation, ticket, inviter)},
                agent_id=invitee.id,
                invitation_id=invitation.id,
                cause=cause,
            )
            return invitation

        return self.unit.run(change)

    def respond(
        self, actor: User, invitation_id: int, accept: bool, reason: str | None = None
    ) -> Invitation:
        """The invitee accepts (joins the swarm) or declines (with an optional reason)."""

        def change() -> Invitation:
            invitation = self.session.get(Invitation, invitation_id)
            if invitation is None or invitation.invitee_id != actor.id:
                raise NotFound(f"You have no invitation {invitation_id}.")
            ticket = self.unit.lock_by_system(invitation.ticket_id)
            now = self.clock.now()
            if invitation.status != InvitationStatus.PENDING:
                raise IllegalTransition(f"This invitation was already {invitation.status}.")
            if invitation.expires_at <= now:
                raise IllegalTransition("This invitation has expired; ask to be invited again.")
            invitation.responded_at = now
            if accept:
                invitation.status = InvitationStatus.ACCEPTED
                contribute(self.unit, ticket, actor, "invitation", invitation_id=invitation.id)
            else:
                invitation.status = InvitationStatus.DECLINED
                invitation.reason = (reason or "").strip() or None
                self.unit.record(
                    ticket,
                    EventType.INVITATION_DECLINED,
                    actor,
                    agent_id=actor.id,
                    invitation_id=invitation.id,
                    reason=invitation.reason,
                )
            return invitation

        return self.unit.run(change)

    def expire_invitations(self, now: datetime | None = None) -> int:
        """Mark overdue pending invitations expired, each with ``invitation_expired``, once.

        The conditional UPDATE (``status = 'pending'``) makes concurrent sweepers harmless: a
        row changes, and its event is written, by exactly one of them.
        """
        moment = now or self.clock.now()
        due = list(
            self.session.scalars(
                select(Invitation.id).where(
                    Invitation.status == InvitationStatus.PENDING, Invitation.expires_at <= moment
                )
            )
        )
        self.session.rollback()
        expired = 0
        for invitation_id in due:

            def change(invitation_id: int = invitation_id) -> bool:
                result = self.session.execute(
                    update(Invitation)
                    .where(
                        Invitation.id == invitation_id,
                        Invitation.status == InvitationStatus.PENDING,
                    )
                    .values(status=InvitationStatus.EXPIRED)
                    .returning(Invitation.ticket_id, Invitation.invitee_id)
                ).first()
                if result is None:
                    return False
                ticket = self.unit.lock_by_system(result.ticket_id)
                self.unit.record(
                    ticket,
                    EventType.INVITATION_EXPIRED,
                    None,
                    agent_id=result.invitee_id,
                    invitation_id=invitation_id,
                )
                return True

            expired += self.unit.run(change)
        return expired

    def raise_hand(self, actor: User, ticket_id: int, note: str | None = None) -> None:
        """Ask for help: appends ``hand_raised``; the realtime layer tells suggested experts."""

        def change() -> None:
            ticket = self.unit.lock(actor, ticket_id)
            require_staff(actor, "raise a hand")
            require_collaboration(self.session, ticket, "raising a hand")
            self.unit.record(
                ticket, EventType.HAND_RAISED, actor, note=(note or "").strip() or None
            )

        self.unit.run(change)

    def offer_help(self, actor: User, ticket_id: int) -> None:
        """Volunteer: appends ``help_offered``; the realtime layer tells the owner."""

        def change() -> None:
            ticket = self.unit.lock(actor, ticket_id)
            require_staff(actor, "offer help")
            require_collaboration(self.session, ticket, "offering help", actor.id)
            if ticket.owner_id == actor.id:
                raise IllegalTransition("You own this ticket; raise your hand to ask for help.")
            self.unit.record(
                ticket,
                EventType.HELP_OFFERED,
                actor,
                agent_id=actor.id,
                live={"owner_id": ticket.owner_id},
            )

        self.unit.run(change)

    def decline_offer(
        self, actor: User, ticket_id: int, agent_id: int, note: str | None = None
    ) -> None:
        """The owner (or a manager) says no to an open offer of help: ``offer_declined``
        (staff-only), the offer leaves the owner's inbox, and its maker is told. They may
        offer again later; a declined offer never lets them in (``add_helper`` counts it no
        more)."""
        note = (note or "").strip() or None
        if note is not None and len(note) > OFFER_NOTE_LIMIT:
            raise Invalid(
                f"A note is at most {OFFER_NOTE_LIMIT} characters.",
                fields={"note": [f"At most {OFFER_NOTE_LIMIT} characters."]},
            )

        def change() -> None:
            ticket = self.unit.lock(actor, ticket_id)
            require_staff(actor, "answer offers of help")
            require_active(ticket, "swarmed on")
            require_owner_or_manager(actor, ticket, "answer offers of help")
            if not self._offered_since_last_stint(ticket.id, agent_id):
                raise IllegalTransition("There is no open offer of help from them on this ticket.")
            self.unit.record(ticket, EventType.OFFER_DECLINED, actor, agent_id=agent_id, note=note)

        self.unit.run(change)


def invitation_payload(invitation: Invitation, ticket: Ticket, inviter: User) -> dict[str, Any]:
    return {
        "id": invitation.id,
        "ticket_id": ticket.id,
        "ticket_subject": ticket.subject,
        "inviter": user_ref(inviter),
        "invitee_id": invitation.invitee_id,
        "note": invitation.note,
        "expires_at": invitation.expires_at.isoformat(),
    }

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

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from swarm.clock import Clock
from swarm.dispatch.collaboration import require_collaboration
from swarm.events import EventType
from swarm.models import GuestPass, Invitation, Message, Participation, Ticket, User
from swarm.models.tickets import InvitationStatus, MessageKind
from swarm.models.users import Role
from swarm.tickets.access import require_staff
from swarm.tickets.errors import (
    Conflict,
    DomainError,
    Forbidden,
    IllegalTransition,
    Invalid,
    NotFound,
)
from swarm.tickets.messages import INTERNAL_KINDS, StoredMessage, new_message, store_messages
from swarm.tickets.notify import Notifier
from swarm.tickets.payloads import user_ref
from swarm.tickets.service import ACTIVE_STATUSES, StatusHook, TicketService

REPLAY_LIMIT = 500
DEFAULT_INVITATION_TTL = timedelta(minutes=15)


def message_payload(message: Message, prev_id: int | None = None) -> dict[str, Any]:
    """``{id, ticket_id, author: {id, name}, body, kind, client_id, at}`` — the protocol's shape.

    Live messages also carry ``prev_id``, the id of the ticket's message before this one (0 for
    the first): a client whose last id differs has missed something and asks for a replay.
    """
    stored = StoredMessage(
        message.id,
        message.ticket_id,
        user_ref(message.author) or {},
        message.body,
        message.kind,
        message.client_id,
        message.created_at,
    )
    return stored.payload(prev_id)


@dataclass(frozen=True)
class Replay:
    messages: list[Message]
    more: bool


class RoomService(TicketService):
    """Use cases of a ticket's swarm room, bound to one session, a clock and a notifier."""

    def __init__(
        self,
        session: Any,
        clock: Clock,
        notifier: Notifier,
        invitation_ttl: timedelta = DEFAULT_INVITATION_TTL,
        *,
        on_status: StatusHook | None = None,
    ) -> None:
        super().__init__(session, clock, notifier, on_status=on_status)
        self.invitation_ttl = invitation_ttl

    # ------------------------------------------------------------------ reading

    def replay(
        self, viewer: User, ticket_id: int, since: int | None = None, limit: int = REPLAY_LIMIT
    ) -> Replay:
        """Messages after ``since`` (all when None), oldest first, at most ``limit``."""
        ticket = self.get(viewer, ticket_id)
        query = select(Message).where(Message.ticket_id == ticket.id)
        if since is not None:
            query = query.where(Message.id > since)
        if not viewer.is_staff:
            query = query.where(Message.kind.not_in(INTERNAL_KINDS))
        rows = list(self.session.scalars(query.order_by(Message.id).limit(limit + 1)).unique())
        return Replay(rows[:limit], len(rows) > limit)

    def participants(self, ticket_id: int) -> list[dict[str, Any]]:
        """People in the room now (an open participation), owner first."""
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
        self, actor: User, ticket_id: int, body: str, client_id: str, kind: str = MessageKind.CHAT
    ) -> tuple[Message, bool]:
        """Store a message and publish it; returns it and whether it is new.

        A ``client_id`` this author used before returns the stored message and stores nothing
        (so a client that retries after a lost acknowledgement never duplicates). Appends a
        ``message`` event whose live payload carries the message. The live rooms send through
        :class:`swarm.tickets.messages.MessageWriter`, which stores the same way in batches.
        """
        send = new_message(actor.id, ticket_id, body, client_id, kind)

        def change() -> StoredMessage:
            batch = store_messages(self.session, self.clock.now(), [send])
            [outcome] = batch.outcomes
            if isinstance(outcome, DomainError):
                raise outcome
            self._ready.extend(batch.events)
            return outcome

        for attempt in range(2):
            try:
                stored = self._transaction(change)
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

    # ------------------------------------------------------------------ presence

    def enter(self, actor: User, ticket_id: int) -> bool:
        """The actor is now in the room (first connection); returns whether that is news.

        Staff get an open participation — as ``owner`` or ``helper`` — and a helper's arrival
        appends ``helper_joined``, so metrics can count who swarmed and for how long.
        Requesters may read and write chat but are not swarm participants, and nobody joins
        the swarm of a resolved or closed ticket by opening its page.
        """
        ticket = self.get(actor, ticket_id)
        if not actor.is_staff or ticket.status not in ACTIVE_STATUSES:
            # Reading a requester's own ticket, or a finished one, is not swarming on it: the
            # metrics count collaboration from these rows, so looking must not create them.
            return False

        def change() -> bool:
            locked = self._locked(actor, ticket.id)
            if self._open_participation(locked.id, actor.id) is not None:
                return False
            role = "owner" if locked.owner_id == actor.id else "helper"
            self.session.add(
                Participation(
                    ticket_id=locked.id, user_id=actor.id, role=role, joined_at=self.clock.now()
                )
            )
            if role == "helper":
                self._record(locked, EventType.HELPER_JOINED, actor, agent_id=actor.id)
            return True

        return self._transaction(change)

    def leave(self, actor: User, ticket_id: int) -> bool:
        """The actor's last connection left the room; closes the participation."""
        return self._transaction(lambda: self._close(actor, ticket_id, lambda: True))

    def open_participations(self) -> list[tuple[int, int]]:
        """``(ticket_id, user_id)`` of everyone the database has in a room now."""
        query = select(Participation.ticket_id, Participation.user_id).where(
            Participation.left_at.is_(None)
        )
        return [(ticket_id, user_id) for ticket_id, user_id in self.session.execute(query)]

    def leave_if_gone(self, user_id: int, ticket_id: int, gone: Callable[[], bool]) -> bool:
        """Close a participation whose connections all went with a process that died.

        ``gone`` is asked with the ticket locked: a join takes the same lock after counting
        its connection, so it either counts before the question (and nobody is closed) or
        opens a new participation after the answer. ``helper_left`` says ``lost: true``.
        """

        def change() -> bool:
            user = self.session.get(User, user_id)
            return user is not None and self._close(user, ticket_id, gone, lost=True)

        return self._transaction(change)

    def missing_participations(self, pairs: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
        """Of ``(ticket_id, user_id)`` connected to rooms, those that would have an open
        participation (staff in an active ticket) but have none: their process was taken for
        dead while it was not. Three small queries, whatever the number of pairs."""
        pairs = set(pairs)
        if not pairs:
            return []
        tickets = {t for t, _ in pairs}
        users = {u for _, u in pairs}
        active = set(
            self.session.scalars(
                select(Ticket.id).where(Ticket.id.in_(tickets), Ticket.status.in_(ACTIVE_STATUSES))
            )
        )
        staff = set(
            self.session.scalars(
                select(User.id).where(
                    User.id.in_(users), User.active.is_(True), User.role != Role.REQUESTER
                )
            )
        )
        opened = {
            (t, u)
            for t, u in self.session.execute(
                select(Participation.ticket_id, Participation.user_id).where(
                    Participation.ticket_id.in_(tickets), Participation.left_at.is_(None)
                )
            )
        }
        return sorted(p for p in pairs - opened if p[0] in active and p[1] in staff)

    def rejoin(self, user_id: int, ticket_id: int) -> bool:
        """Open the participation again of someone connected to the room whose participation
        was closed meanwhile (their process was taken for dead); True when that is news."""
        user = self.session.get(User, user_id)
        if user is None or not user.active:
            return False
        try:
            return self.enter(user, ticket_id)
        except NotFound:  # the ticket went, or the user may no longer see it
            return False

    def _close(
        self, actor: User, ticket_id: int, gone: Callable[[], bool], lost: bool = False
    ) -> bool:
        # Locked, so that a leave and a sweep of the same person record one helper_left.
        try:
            ticket = self._locked_by_system(ticket_id)
        except NotFound:
            return False
        open_row = self._open_participation(ticket_id, actor.id)
        if open_row is None or not gone():
            return False
        now = self.clock.now()
        open_row.left_at = now
        if open_row.role == "helper":
            seconds = int((now - open_row.joined_at).total_seconds())
            extra = {"lost": True} if lost else {}
            self._record(
                ticket, EventType.HELPER_LEFT, actor, agent_id=actor.id, seconds=seconds, **extra
            )
        return True

    def _open_participation(self, ticket_id: int, user_id: int) -> Participation | None:
        query = select(Participation).where(
            Participation.ticket_id == ticket_id,
            Participation.user_id == user_id,
            Participation.left_at.is_(None),
        )
        return self.session.scalars(query).first()

    # ------------------------------------------------------------------ asking for help

    def invite(
        self, actor: User, ticket_id: int, agent_id: int, note: str | None = None
    ) -> Invitation:
        """The owner, someone in the room, or a manager invites an agent to help.

        Appends ``helper_invited`` (the realtime layer also tells the invitee wherever they are).
        Inviting someone already in the room, or already invited, is refused.
        """

        def change() -> Invitation:
            ticket = self._locked(actor, ticket_id)
            require_staff(actor, "invite helpers")
            require_collaboration(self.session, ticket, "inviting", agent_id)
            if ticket.status not in ACTIVE_STATUSES:
                raise IllegalTransition(f"Ticket {ticket.id} is {ticket.status}; reopen it first.")
            in_room = self._open_participation(ticket.id, actor.id) is not None
            if not (ticket.owner_id == actor.id or in_room or actor.has_role(Role.MANAGER)):
                raise Forbidden("Only the owner, people in the swarm, or a manager can invite.")
            invitee = self.session.get(User, agent_id)
            if invitee is None or not invitee.active or not invitee.is_staff:
                raise Invalid(
                    f"There is no active agent {agent_id}.",
                    fields={"agent_id": ["Not an active agent."]},
                )
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
            self._record(
                ticket,
                EventType.HELPER_INVITED,
                actor,
                live={"invitation": invitation_payload(invitation, ticket, actor)},
                agent_id=invitee.id,
                invitation_id=invitation.id,
            )
            return invitation

        return self._transaction(change)

    def respond(
        self, actor: User, invitation_id: int, accept: bool, reason: str | None = None
    ) -> Invitation:
        """The invitee accepts (joins the swarm) or declines (with an optional reason)."""

        def change() -> Invitation:
            invitation = self.session.get(Invitation, invitation_id)
            if invitation is None or invitation.invitee_id != actor.id:
                raise NotFound(f"You have no invitation {invitation_id}.")
            ticket = self._locked_by_system(invitation.ticket_id)
            now = self.clock.now()
            if invitation.status != InvitationStatus.PENDING:
                raise IllegalTransition(f"This invitation was already {invitation.status}.")
            if invitation.expires_at <= now:
                raise IllegalTransition("This invitation has expired; ask to be invited again.")
            invitation.responded_at = now
            if accept:
                invitation.status = InvitationStatus.ACCEPTED
                if self._open_participation(ticket.id, actor.id) is None:
                    self.session.add(
                        Participation(
                            ticket_id=ticket.id, user_id=actor.id, role="helper", joined_at=now
                        )
                    )
                    self._record(
                        ticket,
                        EventType.HELPER_JOINED,
                        actor,
                        agent_id=actor.id,
                        invitation_id=invitation.id,
                    )
            else:
                invitation.status = InvitationStatus.DECLINED
                invitation.reason = (reason or "").strip() or None
                self._record(
                    ticket,
                    EventType.INVITATION_DECLINED,
                    actor,
                    agent_id=actor.id,
                    invitation_id=invitation.id,
                    reason=invitation.reason,
                )
            return invitation

        return self._transaction(change)

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
                ticket = self._locked_by_system(result.ticket_id)
                self._record(
                    ticket,
                    EventType.INVITATION_EXPIRED,
                    None,
                    agent_id=result.invitee_id,
                    invitation_id=invitation_id,
                )
                return True

            expired += self._transaction(change)
        return expired

    def raise_hand(self, actor: User, ticket_id: int, note: str | None = None) -> None:
        """Ask for help: appends ``hand_raised``; the realtime layer tells suggested experts."""

        def change() -> None:
            ticket = self._locked(actor, ticket_id)
            require_staff(actor, "raise a hand")
            require_collaboration(self.session, ticket, "raising a hand")
            self._record(ticket, EventType.HAND_RAISED, actor, note=(note or "").strip() or None)

        self._transaction(change)

    def offer_help(self, actor: User, ticket_id: int) -> None:
        """Volunteer: appends ``help_offered``; the realtime layer tells the owner."""

        def change() -> None:
            ticket = self._locked(actor, ticket_id)
            require_staff(actor, "offer help")
            require_collaboration(self.session, ticket, "offering help", actor.id)
            if ticket.owner_id == actor.id:
                raise IllegalTransition("You own this ticket; raise your hand to ask for help.")
            self._record(
                ticket,
                EventType.HELP_OFFERED,
                actor,
                agent_id=actor.id,
                live={"owner_id": ticket.owner_id},
            )

        self._transaction(change)


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

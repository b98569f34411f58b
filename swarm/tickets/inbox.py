"""What waits for one person: their inbox (invitations, raised hands near their skills, offers of
help on their tickets, and for managers unowned urgent tickets) and their work (owned, helping).

Nothing here is stored for the purpose: invitations are their own rows, hands and offers are
derived from the ticket events, alerts from the tickets themselves. So an item appears for
someone who was offline when it happened, and goes when it is answered or stale, without a
table to keep in step.

- An **invitation** waits while it is pending and not expired (``RoomService.pending_invitations``).
- A **raised hand** waits for staff who know one of the ticket's skills (proficiency at least
  ``NEAR_LEVEL``) until somebody joins the swarm after it, the ticket ends, or ``hand_ttl``
  passes. Whoever raised it, the owner, and people already in the swarm are not asked.
- An **offer of help** waits for the ticket's owner until the offerer joins, is invited or
  assigned, or the ticket ends.
- An **alert** (managers and admins): a swarm ticket of an alerting priority (P1, P2) with no
  owner for ``unowned_alert_after`` or longer, counted from its creation or its last release.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from swarm.clock import Clock
from swarm.events import LIVE_SOURCE, EventType
from swarm.models import (
    AgentSkill,
    Participation,
    Skill,
    Ticket,
    TicketEvent,
    TicketSkill,
    User,
)
from swarm.models.tickets import Mode, Priority
from swarm.models.users import Presence, Role
from swarm.tickets.notify import NullNotifier
from swarm.tickets.rooms import RoomService
from swarm.tickets.states import ACTIVE_STATUSES

#: The proficiency (0–5) from which a raised hand on a skill is shown to someone.
NEAR_LEVEL = 2
#: Events after an offer of help that answer it, when they name the offerer.
OFFER_ANSWERS = (
    EventType.HELPER_JOINED,
    EventType.HELPER_INVITED,
    EventType.ASSIGNED,
    EventType.OFFER_DECLINED,
)


@dataclass(frozen=True)
class InboxSettings:
    hand_ttl: timedelta = timedelta(minutes=60)
    unowned_alert_after: timedelta = timedelta(minutes=30)
    alert_priorities: frozenset[str] = frozenset({Priority.P1, Priority.P2})


@dataclass(frozen=True)
class TicketRef:
    id: int
    subject: str
    priority: str
    status: str


@dataclass(frozen=True)
class PendingInvitation:
    id: int
    ticket: TicketRef
    inviter: dict[str, Any] | None
    note: str | None
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class RaisedHand:
    ticket: TicketRef
    raised_by: dict[str, Any] | None
    note: str | None
    at: datetime
    until: datetime
    skills: tuple[str, ...]


@dataclass(frozen=True)
class HelpOffer:
    ticket: TicketRef
    agent: dict[str, Any]
    at: datetime


@dataclass(frozen=True)
class UnownedAlert:
    ticket: TicketRef
    since: datetime
    minutes: int


@dataclass(frozen=True)
class Inbox:
    invitations: list[PendingInvitation] = field(default_factory=list)
    hands: list[RaisedHand] = field(default_factory=list)
    offers: list[HelpOffer] = field(default_factory=list)
    alerts: list[UnownedAlert] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.invitations) + len(self.hands) + len(self.offers) + len(self.alerts)


@dataclass(frozen=True)
class MyWork:
    inbox: Inbox
    owned: list[Ticket]
    helping: list[Ticket]


def invitation_notice(invitee: User) -> str:
    """What the inviter is told: whether the invitee hears of it now or later."""
    presence = invitee.profile.presence if invitee.profile else Presence.OFFLINE
    if presence == Presence.ONLINE:
        return f"Invitation sent. {invitee.name} is online and has been told."
    if presence == Presence.OFFLINE:
        return f"{invitee.name} is offline — they will see it in their inbox when they sign in."
    return f"{invitee.name} is {presence} — the invitation waits in their inbox."


def is_online(user: User) -> bool:
    return user.profile is not None and user.profile.presence == Presence.ONLINE


class InboxService:
    """Reads one person's inbox and work; writes nothing."""

    def __init__(self, session: Session, clock: Clock, settings: InboxSettings) -> None:
        self.session = session
        self.clock = clock
        self.settings = settings

    def inbox(self, user: User) -> Inbox:
        """Everything waiting for ``user`` now; empty for requesters and guests."""
        if not user.is_staff:
            return Inbox()
        now = self.clock.now()
        return Inbox(
            invitations=self._invitations(user),
            hands=self._hands(user, now),
            offers=self._offers(user),
            alerts=self.unowned_alerts(now) if user.has_role(Role.MANAGER) else [],
        )

    def my_work(self, user: User) -> MyWork:
        """The inbox, the active tickets ``user`` owns (most urgent first), and those they help."""
        inbox = self.inbox(user)
        if not user.is_staff:
            return MyWork(inbox, [], [])
        urgent_first = (Ticket.priority, Ticket.id)
        owned = self.session.scalars(
            select(Ticket)
            .where(Ticket.owner_id == user.id, Ticket.status.in_(ACTIVE_STATUSES))
            .order_by(*urgent_first)
        )
        helping = self.session.scalars(
            select(Ticket)
            .join(Participation, Participation.ticket_id == Ticket.id)
            .where(
                Participation.user_id == user.id,
                Participation.role == "helper",
                Participation.left_at.is_(None),
                Ticket.status.in_(ACTIVE_STATUSES),
            )
            .order_by(*urgent_first)
        )
        return MyWork(inbox, list(owned.unique()), list(helping.unique()))

    def unowned_alerts(self, now: datetime | None = None) -> list[UnownedAlert]:
        """Swarm tickets of an alerting priority unowned for too long, most urgent first."""
        now = now or self.clock.now()
        candidates = list(
            self.session.scalars(
                select(Ticket).where(
                    Ticket.owner_id.is_(None),
                    Ticket.mode == Mode.SWARM,
                    Ticket.status.in_(ACTIVE_STATUSES),
                    Ticket.priority.in_(self.settings.alert_priorities),
                    Ticket.created_at <= now - self.settings.unowned_alert_after,
                )
            ).unique()
        )
        if not candidates:
            return []
        # Unowned since the last time it lost its owner, if it ever had one.
        released = {
            ticket_id: at
            for ticket_id, at in self.session.execute(
                select(TicketEvent.ticket_id, func.max(TicketEvent.at))
                .where(
                    TicketEvent.ticket_id.in_([t.id for t in candidates]),
                    TicketEvent.type == EventType.UNASSIGNED,
                    TicketEvent.source == LIVE_SOURCE,
                )
                .group_by(TicketEvent.ticket_id)
            )
        }
        alerts = []
        for ticket in candidates:
            since = max(ticket.created_at, released.get(ticket.id, ticket.created_at))
            waited = now - since
            if waited >= self.settings.unowned_alert_after:
                alerts.append(UnownedAlert(_ref(ticket), since, int(waited.total_seconds() // 60)))
        return sorted(alerts, key=lambda a: (a.ticket.priority, a.since))

    # ------------------------------------------------------------------ internals

    def _invitations(self, user: User) -> list[PendingInvitation]:
        rooms = RoomService(self.session, self.clock, NullNotifier())
        pending = rooms.pending_invitations(user)
        if not pending:
            return []
        tickets = self._tickets({i.ticket_id for i in pending})
        people = self._people({i.inviter_id for i in pending})
        return [
            PendingInvitation(
                i.id,
                _ref(tickets[i.ticket_id]),
                people.get(i.inviter_id),
                i.note,
                i.created_at,
                i.expires_at,
            )
            for i in pending
        ]

    def _hands(self, user: User, now: datetime) -> list[RaisedHand]:
        mine = {
            skill_id: name
            for skill_id, name in self.session.execute(
                select(AgentSkill.skill_id, Skill.name)
                .join(Skill, Skill.id == AgentSkill.skill_id)
                .where(AgentSkill.user_id == user.id, AgentSkill.proficiency >= NEAR_LEVEL)
            )
        }
        if not mine:
            return []
        since = now - self.settings.hand_ttl
        raised = list(
            self.session.execute(
                select(TicketEvent, Ticket)
                .join(Ticket, Ticket.id == TicketEvent.ticket_id)
                .where(
                    TicketEvent.type == EventType.HAND_RAISED,
                    TicketEvent.source == LIVE_SOURCE,
                    TicketEvent.at > since,
                    Ticket.status.in_(ACTIVE_STATUSES),
                    Ticket.owner_id.is_distinct_from(user.id),
                    TicketEvent.actor_id.is_distinct_from(user.id),
                )
                .order_by(TicketEvent.id)
            ).unique()
        )
        latest = {ticket.id: (event, ticket) for event, ticket in raised}  # one hand per ticket
        if not latest:
            return []
        ids = list(latest)
        skills: dict[int, set[int]] = {}
        for ticket_id, skill_id in self.session.execute(
            select(TicketSkill.ticket_id, TicketSkill.skill_id).where(
                TicketSkill.ticket_id.in_(ids), TicketSkill.skill_id.in_(list(mine))
            )
        ):
            skills.setdefault(ticket_id, set()).add(skill_id)
        joined = self._last_joined(ids)
        helping = set(
            self.session.scalars(
                select(Participation.ticket_id).where(
                    Participation.user_id == user.id,
                    Participation.ticket_id.in_(ids),
                    Participation.left_at.is_(None),
                )
            )
        )
        hands = []
        for ticket_id, (event, ticket) in latest.items():
            answered = joined.get(ticket_id, 0) > event.id
            if ticket_id not in skills or answered or ticket_id in helping:
                continue
            names = tuple(sorted(mine[s] for s in skills[ticket_id]))
            hands.append(
                RaisedHand(
                    _ref(ticket),
                    _person(event.actor),
                    (event.data or {}).get("note"),
                    event.at,
                    event.at + self.settings.hand_ttl,
                    names,
                )
            )
        return sorted(hands, key=lambda h: (h.ticket.priority, h.at))

    def _last_joined(self, ticket_ids: list[int]) -> dict[int, int]:
        """The id of each ticket's latest ``helper_joined`` by someone who came to help (an
        owner staying on after handing over answers no hand)."""
        last: dict[int, int] = {}
        rows = self.session.execute(
            select(TicketEvent.ticket_id, TicketEvent.id, TicketEvent.data).where(
                TicketEvent.ticket_id.in_(ticket_ids),
                TicketEvent.type == EventType.HELPER_JOINED,
                TicketEvent.source == LIVE_SOURCE,
            )
        )
        for ticket_id, event_id, data in rows:
            if not (data or {}).get("was_owner") and (data or {}).get("via") != "was_owner":
                last[ticket_id] = max(last.get(ticket_id, 0), event_id)
        return last

    def _offers(self, user: User) -> list[HelpOffer]:
        # Columns only: this runs for the nav badge on every page a staff member opens.
        rows = self.session.execute(
            select(TicketEvent.ticket_id, TicketEvent.type, TicketEvent.at, TicketEvent.data)
            .join(Ticket, Ticket.id == TicketEvent.ticket_id)
            .where(
                Ticket.owner_id == user.id,
                Ticket.status.in_(ACTIVE_STATUSES),
                TicketEvent.source == LIVE_SOURCE,
                TicketEvent.type.in_([EventType.HELP_OFFERED, *OFFER_ANSWERS]),
            )
            .order_by(TicketEvent.id)
        )
        open_offers: dict[tuple[int, int], datetime] = {}
        for ticket_id, kind, at, data in rows:
            agent_id = (data or {}).get("agent_id")
            if agent_id is None or agent_id == user.id:
                continue
            if kind == EventType.HELP_OFFERED:
                open_offers[(ticket_id, agent_id)] = at
            else:
                open_offers.pop((ticket_id, agent_id), None)
        if not open_offers:
            return []
        tickets = self._tickets({ticket_id for ticket_id, _ in open_offers})
        people = self._people({agent_id for _, agent_id in open_offers})
        return [
            HelpOffer(_ref(tickets[ticket_id]), people[agent_id], at)
            for (ticket_id, agent_id), at in open_offers.items()
            if agent_id in people
        ]

    def _tickets(self, ids: set[int]) -> dict[int, Ticket]:
        rows = self.session.scalars(select(Ticket).where(Ticket.id.in_(ids))).unique()
        return {t.id: t for t in rows}

    def _people(self, ids: set[int]) -> dict[int, dict[str, Any]]:
        rows = self.session.scalars(select(User).where(User.id.in_(ids))).unique()
        return {u.id: _card(u) for u in rows}


def _ref(ticket: Ticket) -> TicketRef:
    return TicketRef(ticket.id, ticket.subject, ticket.priority, ticket.status)


def _person(user: User | None) -> dict[str, Any] | None:
    return None if user is None else _card(user)


def _card(user: User) -> dict[str, Any]:
    presence = user.profile.presence if user.profile else Presence.OFFLINE
    return {"id": user.id, "name": user.name, "online": is_online(user), "presence": presence}


def online_first(people: list[User]) -> list[User]:
    """The same people, those online first, each group in its previous order (a stable sort),
    so pickers and suggestions show whoever can answer now at the top."""
    return sorted(people, key=lambda person: not is_online(person))

"""Generate the demo organisation as plain data: deterministic, pure, no database.

``generate_demo(now)`` draws people, skill profiles and about three hundred ticket histories
from a ``random.Random`` with a fixed seed. Every timestamp is ``now`` minus a drawn offset, so
the same call at another moment yields the same organisation with the same relative shape,
shifted in time. References between rows (who was assigned, which message an event points at)
are ``UserRef``/``MessageRef``/``InvitationRef`` values that the writer in ``seed.py`` turns
into database ids.

How a ticket's life is made
---------------------------
No ticket's life is drawn here: the simulator runs both arms (``simulated.simulate``: the
production ``SwarmPolicy`` and ``TieredPolicy`` on the demo desk, the desk's stored tier
settings, its forty agents with their levels, tiers and capacities), and ``_Generator._replay``
writes each simulated ticket as the live service writes it, with the demo's words (``_Writer``:
a list of events at offsets from its creation, grouped in steps — one step is what the live
service would commit in one transaction, such as ``assigned`` followed by ``status_changed``).
A swarm ticket is routed to the best owner, who invites helpers; a tiered one waits in the Tier
1 queue, is pulled there, and climbs the tiers — by hand when its owner sees they cannot finish
it before the tier's time limit, or by the limit itself — until someone can resolve it; its
owner takes one that needs a vendor to the vendors' tier by hand. A historical ticket ends
before ``now``; an open ticket's life is cut between two steps, so that its state is exactly
what the kept events say. What follows a resolution (a reopen a few days later, the requester's
rating, the close) is added after the simulated life.

How long each step takes follows the ticket's complexity (``TicketTemplate.complexity``): the
same hands-on work (``WORK``) in both modes, at the simulator's speed for the owner's level (a
helper's when they know it better); every owner after the first finds out again what the ticket
is about. The history's modes are drawn in pairs of alike tickets (``_Generator._arms``), so that
the two modes can be compared.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

from swarm.demo.content import (
    ADMIN_EMAIL,
    ADMIN_NAME,
    ESCALATION_NOTES,
    FILLERS,
    HANDOVER_LINES,
    HELPER_LINES,
    INCIDENTS,
    INVITE_NOTES,
    INVITE_REASONS,
    MANAGERS,
    NAMES,
    OWNER_OPENERS,
    OWNER_REPLIES,
    PENDING_NOTES,
    REOPEN_REASONS,
    REPLY_ANSWERS,
    REPLY_ASKS,
    SIGN_OFFS,
    TEAMS,
    TEMPLATES,
    VENDOR_NOTES,
    VENDORS,
    Case,
    TeamSpec,
    TicketTemplate,
    VendorSpec,
)
from swarm.demo.simulated import DEMO_TIERS, DemoAgent, DemoArrival, simulate
from swarm.demo.taxonomy import RELATED, SKILLS, SkillSpec
from swarm.events import AssignedBy, EventType
from swarm.metrics.memory import EventRow
from swarm.models.skills import RelationKind
from swarm.models.tickets import InvitationStatus, MessageKind, Mode, Priority, Status
from swarm.models.users import Presence, Role
from swarm.routing import TicketView
from swarm.skills.proficiency import Proficiency, accrue_evidence
from swarm.tickets.sla import due_times
from swarm.tiers.config import tiered_variant
from swarm.tiers.policy import TIER_LIMIT, TIME_LIMIT
from swarm.tiers.sla import SlaClock
from swarm.tiers.vendors import VENDOR_SLA, vendor_clock_after_update

DEMO_SEED = 20260302
HISTORY_DAYS = 60
HISTORICAL_TICKETS = 300  # including the incident bursts
OPEN_TICKETS = 25
OPEN_AT_VENDOR = 1  # open tiered tickets caught while a vendor works on them
AGENT_COUNT = 40
REQUESTER_COUNT = 10

# How fast each priority moves, as a factor on every waiting time, and on working time where it
# speeds work up: an urgent ticket has everyone's attention, but a low one, once someone is on
# it, takes as long to fix as any other.
PACE: dict[str, float] = {"P1": 0.12, "P2": 0.35, "P3": 1.0, "P4": 1.5}
# Tiered mode runs the desk's tier settings (``simulated.DEMO_TIERS``; seed.py stores them): the
# history is the simulator's run of the production ``TieredPolicy`` under them, so it obeys the
# time limits the sweeper applies once the demo runs.
TIERS = DEMO_TIERS
# The vendors' tier: a tiered ticket that needs a vendor is taken there by its owner.
VENDOR_TIER = next(t.tier for t in TIERS.tiers if t.external)
# Hands-on minutes a ticket needs from someone who can solve it (at level-3 speed), by
# complexity (content.py: simple, moderate, complex), whichever mode it is worked in.
WORK: dict[int, tuple[float, float]] = {1: (2, 8), 2: (30, 180), 3: (90, 600)}
# (low, high) hours a vendor takes on a case, drawn log-uniformly (scaled by PACE, at least
# 0.4): a day or two, now and then hours or three days.
VENDOR_HOURS = (4.0, 72.0)
# The systems behind the first-line tickets (their second skills outside the desk's basics): a
# desk agent knows some of them well enough to resolve a simple ticket before the tier's limit.
FIRST_LINE_CONTEXT: tuple[str, ...] = tuple(
    dict.fromkeys(
        skill
        for template in TEMPLATES
        if template.complexity == 1
        for skill, _ in template.skills[1:]
        if skill not in next(t for t in TEAMS if t.name == "Service Desk").core
    )
)
# The live default (SWARM_INVITATION_MINUTES); every demo invitation is answered within it.
INVITATION_TTL = timedelta(minutes=15)
REOPEN_RATE = 0.04
# Requester <-> staff conversation (message kind "reply") in the history.
REQUESTER_REPLIES = True
REPLY_KIND = MessageKind.REPLY.value
REOPEN_FOLLOW_UP = "Reopened once: applied the fix again and confirmed with the user a day later."
_SECOND = timedelta(seconds=1)
_WORKABLE = frozenset({Status.NEW.value, Status.OPEN.value})
# Stories keep their clocks on this arbitrary origin; materialise moves them to the ticket's time.
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
VENDORS_BY_NAME = {v.name: v for v in VENDORS}


# ---------------------------------------------------------------------------- the output


@dataclass(frozen=True)
class UserRef:
    """A user, by e-mail, inside event data; the writer replaces it with the user's id."""

    email: str


@dataclass(frozen=True)
class SkillRef:
    """A skill, by name, inside event data; the writer replaces it with the skill's id."""

    name: str


@dataclass(frozen=True)
class MessageRef:
    key: int


@dataclass(frozen=True)
class InvitationRef:
    key: int


@dataclass(frozen=True)
class VendorRef:
    """A vendor, by name, inside event data; the writer replaces it with the vendor's id."""

    name: str


@dataclass(frozen=True)
class PersonSpec:
    email: str
    name: str
    role: str
    created_at: datetime
    # The agent profile; ``team is None and not has_profile`` for requesters.
    has_profile: bool = False
    team: str | None = None
    tier: int | None = None
    timezone: str = "UTC"
    capacity: int = 5
    presence: str = Presence.OFFLINE.value
    presence_at: datetime | None = None


@dataclass
class AgentSkillSpec:
    email: str
    skill: str
    proficiency: int
    wants_to_learn: bool = False
    evidence: int = 0
    last_used_at: datetime | None = None


@dataclass(frozen=True)
class EventSpec:
    type: str
    at: datetime
    actor: str | None  # e-mail, or None for the system
    data: dict[str, Any]


@dataclass(frozen=True)
class MessageSpec:
    key: int
    author: str
    body: str
    kind: str
    at: datetime


@dataclass(frozen=True)
class InvitationSpec:
    key: int
    inviter: str
    invitee: str
    status: str
    note: str
    reason: str
    created_at: datetime
    expires_at: datetime
    responded_at: datetime | None


@dataclass(frozen=True)
class ParticipationSpec:
    user: str
    role: str  # "owner" | "helper"
    joined_at: datetime
    left_at: datetime | None


@dataclass(frozen=True)
class HandoffSpec:
    """A ``vendor_handoffs`` row: the vendor's case and its SLA clock (``clock``)."""

    vendor: str
    external_ref: str
    actor: str | None
    handed_off_at: datetime
    sla_seconds: int
    status: str
    status_at: datetime
    note: str | None
    clock: SlaClock
    overdue_at: datetime | None = None
    closed_at: datetime | None = None
    vendor_due_at: datetime | None = None  # the ``vendor_sla`` deadline, while it runs


@dataclass(frozen=True)
class TicketSpec:
    subject: str
    body: str
    priority: str
    mode: str
    requester: str
    status: str
    owner: str | None
    tier: int | None
    created_at: datetime
    updated_at: datetime
    response_due_at: datetime
    resolve_due_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    resolution: str | None
    skills: tuple[tuple[str, float, str], ...]  # (skill, weight, why inference chose it)
    events: tuple[EventSpec, ...]
    messages: tuple[MessageSpec, ...]
    invitations: tuple[InvitationSpec, ...]
    participations: tuple[ParticipationSpec, ...]
    handoffs: tuple[HandoffSpec, ...] = ()
    # The tier clock (tiered tickets once queued) and the routing deadlines, as of seeding.
    tier_entered_at: datetime | None = None
    tier_paused_at: datetime | None = None
    tier_paused_seconds: float = 0.0
    deadlines: tuple[tuple[str, datetime], ...] = ()


@dataclass(frozen=True)
class GrowthSpec:
    """A ``skill_growth`` row: evidence a resolved ticket gave one agent on one skill."""

    email: str
    skill: str
    at: datetime
    before: int | None
    after: int
    wants_to_learn: bool
    evidence: int
    ticket: int  # index into DemoData.tickets


@dataclass(frozen=True)
class DemoData:
    """The whole demo organisation, ready to be written by ``seed.write_demo``."""

    skills: tuple[SkillSpec, ...]
    relations: tuple[tuple[str, str, str, float], ...]  # (source, target, kind, weight)
    people: tuple[PersonSpec, ...]
    agent_skills: tuple[AgentSkillSpec, ...]
    tickets: tuple[TicketSpec, ...]  # oldest first
    growth: tuple[GrowthSpec, ...]  # in time order
    vendors: tuple[VendorSpec, ...] = VENDORS


# ------------------------------------------------------------------------- the skill graph


def skill_relations() -> tuple[tuple[str, str, str, float], ...]:
    """The taxonomy's edges: ``is_a`` from each skill to its parent, then ``related_to``.

    Raises ``ValueError`` when an edge names an unknown skill, loops on itself, or a weight
    is outside (0, 1], so that a typo in ``taxonomy.py`` fails loudly.
    """
    names = [s.name for s in SKILLS]
    known = set(names)
    if len(known) != len(names):
        raise ValueError("duplicate skill names in the taxonomy")
    edges: list[tuple[str, str, str, float]] = [
        (s.name, s.parent, RelationKind.IS_A.value, 1.0) for s in SKILLS if s.parent is not None
    ]
    edges += [(a, b, RelationKind.RELATED_TO.value, w) for a, b, w in RELATED]
    for source, target, _, weight in edges:
        if source not in known or target not in known:
            raise ValueError(f"unknown skill in relation {source!r} -> {target!r}")
        if source == target or not 0 < weight <= 1:
            raise ValueError(f"invalid relation {source!r} -> {target!r} ({weight})")
    return tuple(edges)


@dataclass(frozen=True)
class _Neighbours:
    parent: dict[str, str]
    children: dict[str, list[str]]
    related: dict[str, list[tuple[str, float]]]

    @classmethod
    def build(cls) -> _Neighbours:
        parent = {s.name: s.parent for s in SKILLS if s.parent is not None}
        children: dict[str, list[str]] = {s.name: [] for s in SKILLS}
        related: dict[str, list[tuple[str, float]]] = {s.name: [] for s in SKILLS}
        for child, up in parent.items():
            children[up].append(child)
        for a, b, w in RELATED:
            related[a].append((b, w))
            related[b].append((a, w))
        return cls(parent, children, related)

    def near(self, skill: str) -> list[str]:
        """Skills one step away: parent, children, related (in a stable order)."""
        out = [self.parent[skill]] if skill in self.parent else []
        return out + self.children[skill] + [other for other, _ in self.related[skill]]


# ------------------------------------------------------------------------------ a story


@dataclass(frozen=True)
class _Opening:
    """What the requester sends: who, how urgent, which case, and the body as written."""

    requester: str
    priority: str
    case: Case
    body: str


@dataclass(frozen=True)
class _Plan:
    """A ticket before its life is drawn: what it is about, its mode, and its moment of
    creation when that is fixed (an incident's, or the simulator's arrival)."""

    template: TicketTemplate
    opening: _Opening
    mode: Mode
    created: datetime | None
    open: bool = False
    at_vendor: bool = False


@dataclass(frozen=True)
class _State:
    status: str
    owner: str | None
    tier: int | None
    resolution: str | None
    # The tier clock as the live service keeps it (tiered tickets, once queued), on _EPOCH.
    clock: SlaClock | None


@dataclass(frozen=True)
class _Event:
    offset: timedelta
    type: str
    actor: str | None
    data: dict[str, Any]
    step: int
    state: _State  # the ticket just after this event


@dataclass
class _Invitation:
    key: int
    inviter: str
    invitee: str
    note: str
    reason: str
    created: timedelta
    status: str = InvitationStatus.PENDING.value
    responded: timedelta | None = None


@dataclass
class _Stint:
    user: str
    role: str
    joined: timedelta
    left: timedelta | None = None


@dataclass(frozen=True)
class _At:
    """A moment inside event data (the vendor's due time), written as ISO text once the
    story is placed in time."""

    offset: timedelta


def _moved(previous: str, status: str) -> dict[str, Any]:
    """The ``{"from", "to"}`` data of a status change ("from" is a keyword in Python)."""
    return {"from": previous, "to": status}


def _on(offset: timedelta) -> datetime:
    return _EPOCH + offset


def _off(moment: datetime) -> timedelta:
    return moment - _EPOCH


@dataclass
class _Writer:
    """Writes one simulated ticket as live rows, on offsets from its creation; keeps the ticket's
    state as it goes. It decides nothing about the ticket's life: ``_Generator._replay`` applies
    the simulator's rows of either arm to it, adding the demo's words between them.

    Every event gets a later offset than the one before (one second later at least), and the
    helpers that change the state record it the way the live services do, with the same data
    keys, so that the ticket's columns can be read off the last event kept. Tiered tickets also
    keep the live tier clock (paused while pending or with a vendor), so that an open ticket is
    seeded with the deadline the sweeper will fire.
    """

    mode: str
    keys: Iterator[int]
    priority: str = Priority.P3.value
    t: timedelta = timedelta(0)
    status: str = Status.NEW.value
    owner: str | None = None
    tier: int | None = None
    resolution: str | None = None
    clock: SlaClock | None = None
    at_vendor: bool = False
    events: list[_Event] = field(default_factory=list)
    messages: list[tuple[timedelta, int, str, str, str]] = field(default_factory=list)
    invitations: list[_Invitation] = field(default_factory=list)
    stints: list[_Stint] = field(default_factory=list)
    _step: int = 0

    # -------------------------------------------------------------- time and events

    def wait(self, minutes: float) -> None:
        self.t += timedelta(seconds=max(1, round(minutes * 60)))

    def settle(self) -> None:
        """Move to the moment the next event will have (what ``emit`` would do), so that
        clocks and durations computed before emitting use the event's own time."""
        if self.events and self.t <= self.events[-1].offset:
            self.t = self.events[-1].offset + _SECOND

    def emit(
        self, type_: EventType, actor: str | None, *, same_step: bool = False, **data: Any
    ) -> None:
        self.settle()
        if not same_step:
            self._step += 1
        state = _State(self.status, self.owner, self.tier, self.resolution, self.clock)
        self.events.append(_Event(self.t, type_.value, actor, data, self._step, state))

    # ------------------------------------------------------------------ the tier clock

    def due(self) -> timedelta | None:
        """When the current tier's time limit fires, as the live ``tier_limit`` deadline;
        ``None`` while the clock is paused, or where no time limit can move the ticket."""
        if self.clock is None or self.tier is None or TIERS.next_automatic(self.tier) is None:
            return None
        due = self.clock.due_at(TIERS.limit(self.tier, self.priority))  # type: ignore[arg-type]
        return None if due is None else _off(due)

    def room(self) -> timedelta | None:
        """Running time left before the tier's limit; ``None`` where no limit applies."""
        if self.clock is None or self.tier is None or TIERS.next_automatic(self.tier) is None:
            return None
        limit = TIERS.limit(self.tier, self.priority)  # type: ignore[arg-type]
        return None if limit is None else self.clock.remaining(limit, _on(self.t))

    def _pause_clock(self) -> None:
        if self.clock is not None:
            self.clock = self.clock.pause(_on(self.t))

    def _resume_clock(self) -> None:
        # As the live status hook: the clock runs again unless a vendor still holds the ticket.
        if self.clock is not None and not self.at_vendor:
            self.clock = self.clock.resume(_on(self.t))

    def _restart_clock(self) -> None:
        clock = SlaClock(_on(self.t))
        self.clock = clock if self.status in _WORKABLE else clock.pause(_on(self.t))

    # ----------------------------------------------------------- lifecycle (service keys)

    def created(self, requester: str, subject: str, priority: str) -> None:
        self.emit(
            EventType.CREATED,
            requester,
            subject=subject,
            priority=priority,
            mode=self.mode,
            requester_id=UserRef(requester),
            **(tiered_variant(TIERS) if self.mode == Mode.TIERED else {}),
        )

    def skills_set(self, skills: Sequence[tuple[str, float]]) -> None:
        # Inference runs right after opening; one step with ``created`` here, so that an open
        # ticket never has skills without the event that set them.
        self.emit(
            EventType.SKILLS_SET,
            None,
            same_step=True,
            skills=[{"skill_id": SkillRef(name), "weight": weight} for name, weight in skills],
            by="inferred",
        )

    def assign(self, agent: str, by: AssignedBy, actor: str | None, why: str | None) -> None:
        self.settle()
        previous = self.owner
        self.owner = agent
        data: dict[str, Any] = {
            "agent_id": UserRef(agent),
            "by": by.value,
            "previous_owner_id": UserRef(previous) if previous else None,
        }
        if why:
            data["why"] = why
        if self.mode == Mode.TIERED and self.tier is not None:
            data["tier"] = self.tier  # the tier the agent took it in, as live
        self.emit(EventType.ASSIGNED, actor, **data)
        if self.mode == Mode.SWARM:
            assigned = self.t
            # As the live ``_hand_over_stints``: a helper who becomes the owner leaves the
            # swarm as a helper (``became_owner``), in the same step as the assignment.
            if any(s.user == agent and s.role == "helper" and s.left is None for s in self.stints):
                self.leave(agent, "became_owner", same_step=True, became_owner=True)
            # The owner's stint runs from the assignment to the hand-over or the resolution.
            self._end_owner_stint(previous)
            self.stints.append(_Stint(agent, "owner", assigned))
        if self.status == Status.NEW:
            self.set_status(Status.OPEN, actor, same_step=True)

    def release(self, actor: str, reason: str | None) -> None:
        """The owner lets go (live ``release``): ``unassigned``, and their owner stint ends."""
        self.settle()
        previous, self.owner = self.owner, None
        data: dict[str, Any] = {"previous_owner_id": UserRef(previous) if previous else None}
        if reason:
            data["reason"] = reason
        self.emit(EventType.UNASSIGNED, actor, **data)
        self._end_owner_stint(previous)

    def set_status(self, status: Status, actor: str | None, *, same_step: bool = False) -> None:
        self.settle()
        previous, self.status = self.status, status.value
        self._clock_follows(previous)
        self.emit(
            EventType.STATUS_CHANGED,
            actor,
            same_step=same_step,
            **_moved(previous, status.value),
        )

    def _clock_follows(self, previous: str) -> None:
        was, workable = previous in _WORKABLE, self.status in _WORKABLE
        if was and not workable:
            self._pause_clock()
        elif workable and not was:
            self._resume_clock()

    def resolve(self, actor: str, text: str) -> None:
        self.settle()
        previous, self.status, self.resolution = self.status, Status.RESOLVED.value, text
        self._clock_follows(previous)
        self.emit(EventType.RESOLVED, actor, resolution=text, **_moved(previous, "resolved"))
        self._end_owner_stint(self.owner)
        for stint in [s for s in self.stints if s.role == "helper" and s.left is None]:
            self.leave(stint.user, "resolved", same_step=True)

    def close(self, actor: str | None) -> None:
        previous, self.status = self.status, Status.CLOSED.value
        self.emit(EventType.CLOSED, actor, **_moved(previous, "closed"))

    def reopen(self, actor: str, reason: str) -> None:
        self.settle()
        previous, self.status = self.status, Status.OPEN.value
        self._clock_follows(previous)
        self.emit(EventType.REOPENED, actor, reason=reason, **_moved(previous, "open"))
        if self.mode == Mode.SWARM and self.owner:
            self.stints.append(_Stint(self.owner, "owner", self.t))

    # ------------------------------------------------------------ tiers and vendors

    def queue(self, tier: int, why: str, intake: str | None) -> None:
        """``Queue`` applied as live, in the step of what queued it (the opening, a move)."""
        self.settle()
        self.tier = tier
        if self.clock is None:
            self._restart_clock()  # the first queueing starts the tier clock, as live
        self.emit(
            EventType.QUEUED,
            None,
            same_step=True,
            tier=tier,
            why=why,
            policy=self.mode,
            intake=intake,
        )

    def escalate(self, to_tier: int, reason: str, actor: str | None, note: str = "") -> None:
        """Move up a tier as the live ``Escalate`` does: the owner is let go (``unassigned``,
        reason ``escalated``) and the new tier's clock starts."""
        self.settle()
        from_tier, previous = self.tier, self.owner
        data: dict[str, Any] = {"from_tier": from_tier, "to_tier": to_tier, "reason": reason}
        if note:
            data["note"] = note
        data["previous_owner_id"] = UserRef(previous) if previous else None
        self.tier, self.owner = to_tier, None
        self._restart_clock()
        self.emit(EventType.ESCALATED, actor, **data)
        if previous is not None:
            self.emit(
                EventType.UNASSIGNED,
                actor,
                same_step=True,
                previous_owner_id=UserRef(previous),
                reason="escalated",
            )

    def _view(self) -> TicketView:
        return TicketView(0, self.priority, tier=self.tier, mode="tiered")  # type: ignore[arg-type]

    def vendor_handoff(self, vendor: VendorSpec, external_ref: str, actor: str) -> None:
        self.settle()
        self.at_vendor = True
        self._pause_clock()
        self.emit(
            EventType.VENDOR_HANDOFF,
            actor,
            vendor=vendor.name,
            vendor_id=VendorRef(vendor.name),
            external_ref=external_ref,
            due_at=_At(self.t + timedelta(hours=vendor.sla_hours)),
        )

    def vendor_update(
        self, vendor: VendorSpec, external_ref: str, status: str, note: str, actor: str
    ) -> None:
        """What the vendor said, recorded by the owner (live, only staff record it)."""
        self.settle()
        if status in ("resolved", "rejected"):
            self.at_vendor = False
            if self.status in _WORKABLE:
                self._resume_clock()
        self.emit(
            EventType.VENDOR_UPDATE,
            actor,
            status=status,
            note=note,
            vendor_id=VendorRef(vendor.name),
            external_ref=external_ref,
        )

    # ---------------------------------------------------------------- messages, swarm

    def say(
        self,
        author: str,
        body: str,
        kind: str = MessageKind.CHAT,
        *,
        same_step: bool = False,
    ) -> int:
        key = next(self.keys)
        if kind == MessageKind.NOTE:
            # Internal notes are their own event type in the live service (add_note).
            self.emit(EventType.NOTE, author, same_step=same_step, message_id=MessageRef(key))
        else:
            self.emit(
                EventType.MESSAGE,
                author,
                same_step=same_step,
                message_id=MessageRef(key),
                kind=str(kind),
            )
        self.messages.append((self.t, key, author, body, str(kind)))
        return key

    def write_in(self, author: str, body: str) -> None:
        """A colleague without a stint writes in the swarm: as the live ``send_message``, the
        ``message`` first, then ``helper_joined {via: message, message_id}`` in the same step."""
        key = self.say(author, body)
        self.emit(
            EventType.HELPER_JOINED,
            author,
            same_step=True,
            agent_id=UserRef(author),
            via="message",
            message_id=MessageRef(key),
        )
        self.stints.append(_Stint(author, "helper", self.t))

    def invite(self, inviter: str, invitee: str, note: str, reason: str) -> _Invitation:
        invitation = _Invitation(next(self.keys), inviter, invitee, note, reason, self.t)
        self.emit(
            EventType.HELPER_INVITED,
            inviter,
            agent_id=UserRef(invitee),
            invitation_id=InvitationRef(invitation.key),
        )
        invitation.created = self.t
        self.invitations.append(invitation)
        return invitation

    def answer(self, invitation: _Invitation, accepted: bool, reason: str | None = None) -> None:
        who = invitation.invitee
        if accepted:
            invitation.status = InvitationStatus.ACCEPTED.value
            self.join(who, who, "invitation", invitation_id=InvitationRef(invitation.key))
        else:
            invitation.status = InvitationStatus.DECLINED.value
            self.emit(
                EventType.INVITATION_DECLINED,
                who,
                agent_id=UserRef(who),
                invitation_id=InvitationRef(invitation.key),
                **({} if reason is None else {"reason": reason}),  # type: ignore[arg-type]
            )
        invitation.responded = self.t

    def join(
        self, helper: str, actor: str, via: str, *, same_step: bool = False, **extra: Any
    ) -> None:
        """A helper's stint begins, for the reason ``via`` names (never by looking)."""
        self.emit(
            EventType.HELPER_JOINED,
            actor,
            same_step=same_step,
            agent_id=UserRef(helper),
            via=via,
            **extra,
        )
        self.stints.append(_Stint(helper, "helper", self.t))

    def leave(
        self, helper: str, reason: str = "left", *, same_step: bool = False, **extra: Any
    ) -> None:
        stint = next(s for s in reversed(self.stints) if s.user == helper and s.left is None)
        self.settle()
        seconds = int((self.t - stint.joined).total_seconds())
        self.emit(
            EventType.HELPER_LEFT,
            helper,
            same_step=same_step,
            agent_id=UserRef(helper),
            seconds=seconds,
            reason=reason,
            **extra,
        )
        stint.left = self.t

    def owners(self) -> int:
        """How many people have owned the ticket so far (one, again, counts once)."""
        return len({e.data["agent_id"] for e in self.events if e.type == EventType.ASSIGNED})

    def _end_owner_stint(self, user: str | None) -> None:
        for stint in self.stints:
            if stint.user == user and stint.role == "owner" and stint.left is None:
                stint.left = self.t

    # --------------------------------------------------------------------- cutting

    def step_starts(self) -> list[timedelta]:
        """The offset at which each step begins, in order."""
        starts: list[timedelta] = []
        seen = 0
        for event in self.events:
            if event.step != seen:
                starts.append(event.offset)
                seen = event.step
        return starts

    def materialise(
        self,
        *,
        created_at: datetime,
        cut: timedelta | None,
        now: datetime,
        opening: _Opening,
        skills: tuple[tuple[str, float, str], ...],
    ) -> TicketSpec:
        """The ticket with every event before ``cut`` (all of them when None), placed in time.

        Clocks are stated as of ``now``: the tier clock and the vendor's SLA clock carry on
        from the last event kept, and a deadline that would already have fired is not left
        behind (the history holds what firing it did).
        """

        def kept(offset: timedelta | None) -> bool:
            return offset is not None and (cut is None or offset < cut)

        def at(offset: timedelta) -> datetime:
            return created_at + offset

        def placed(value: Any) -> Any:
            return at(value.offset).isoformat() if isinstance(value, _At) else value

        events = [e for e in self.events if kept(e.offset)]
        state = events[-1].state
        resolved = [e for e in events if e.type == EventType.RESOLVED]
        closed = [e for e in events if e.type == EventType.CLOSED]
        assigned = [e for e in events if e.type == EventType.ASSIGNED]
        active = state.status not in (Status.RESOLVED, Status.CLOSED)
        response_due, resolve_due = due_times(opening.priority, created_at)
        clock = _placed_clock(state.clock, created_at)
        deadlines: list[tuple[str, datetime]] = []
        tier = state.tier
        if active and clock is not None and tier is not None and TIERS.next_automatic(tier):
            due = clock.due_at(TIERS.limit(tier, opening.priority))  # type: ignore[arg-type]
            if due is not None:
                deadlines.append((TIER_LIMIT, due))
        handoffs = _handoffs([(at(e.offset), e) for e in events], now)
        if active and handoffs and handoffs[-1].vendor_due_at is not None:
            deadlines.append((VENDOR_SLA, handoffs[-1].vendor_due_at))
        return TicketSpec(
            subject=opening.case.subject,
            body=opening.body,
            priority=opening.priority,
            mode=self.mode,
            requester=opening.requester,
            status=state.status,
            owner=state.owner,
            tier=state.tier,
            created_at=created_at,
            updated_at=at(events[-1].offset),
            response_due_at=response_due,
            resolve_due_at=resolve_due,
            first_response_at=at(assigned[0].offset) if assigned else None,
            resolved_at=None if active else at(resolved[-1].offset),
            closed_at=at(closed[-1].offset) if state.status == Status.CLOSED else None,
            resolution=state.resolution,
            skills=skills,
            events=tuple(
                EventSpec(e.type, at(e.offset), e.actor, {k: placed(v) for k, v in e.data.items()})
                for e in events
            ),
            messages=tuple(
                MessageSpec(key, author, text, kind, at(offset))
                for offset, key, author, text, kind in self.messages
                if kept(offset)
            ),
            invitations=tuple(
                InvitationSpec(
                    key=i.key,
                    inviter=i.inviter,
                    invitee=i.invitee,
                    status=i.status,
                    note=i.note,
                    reason=i.reason,
                    created_at=at(i.created),
                    expires_at=at(i.created + INVITATION_TTL),
                    responded_at=at(i.responded) if i.responded is not None else None,
                )
                for i in self.invitations
                if kept(i.created)
            ),
            participations=tuple(
                ParticipationSpec(
                    s.user,
                    s.role,
                    at(s.joined),
                    at(s.left) if s.left is not None and kept(s.left) else None,
                )
                for s in self.stints
                if kept(s.joined)
            ),
            handoffs=tuple(handoffs),
            tier_entered_at=clock.started_at if clock else None,
            tier_paused_at=clock.paused_at if clock else None,
            tier_paused_seconds=clock.paused_total.total_seconds() if clock else 0.0,
            deadlines=tuple(deadlines),
        )


def _placed_clock(clock: SlaClock | None, created_at: datetime) -> SlaClock | None:
    """A clock kept on ``_EPOCH`` offsets, moved to the ticket's place in time."""
    if clock is None:
        return None
    shift = created_at - _EPOCH
    return SlaClock(
        clock.started_at + shift,
        None if clock.paused_at is None else clock.paused_at + shift,
        clock.paused_total,
    )


def _handoffs(events: Sequence[tuple[datetime, _Event]], now: datetime) -> list[HandoffSpec]:
    """The ``vendor_handoffs`` rows the kept vendor events make, as the live service and the
    sweeper would have left them at ``now``: the vendor clock paused by ``waiting_on_us``,
    closed by ``resolved``, flagged overdue a second after its SLA ran out (the sweeper's
    rule), and, while it runs, the moment of its ``vendor_sla`` deadline."""
    rows: list[HandoffSpec] = []
    for moment, event in events:
        if event.type == EventType.VENDOR_HANDOFF:
            vendor = VENDORS_BY_NAME[event.data["vendor"]]
            rows.append(
                HandoffSpec(
                    vendor=vendor.name,
                    external_ref=event.data["external_ref"],
                    actor=event.actor,
                    handed_off_at=moment,
                    sla_seconds=vendor.sla_hours * 3600,
                    status="handed_off",
                    status_at=moment,
                    note=None,
                    clock=SlaClock(moment),
                )
            )
        elif event.type == EventType.VENDOR_UPDATE:
            row = _flag_overdue(rows[-1], moment)
            status = event.data["status"]
            rows[-1] = replace(
                row,
                status=status,
                status_at=moment,
                note=event.data.get("note"),
                clock=vendor_clock_after_update(row.clock, status, moment),
                closed_at=moment if status in ("resolved", "rejected") else None,
            )
    if rows and rows[-1].closed_at is None:
        row = _flag_overdue(rows[-1], now + _SECOND)
        due = row.clock.due_at(timedelta(seconds=row.sla_seconds))
        rows[-1] = replace(row, vendor_due_at=None if row.overdue_at else due)
    return rows


def _flag_overdue(row: HandoffSpec, moment: datetime) -> HandoffSpec:
    """``row`` flagged overdue if its SLA ran out more than a second before ``moment``."""
    due = row.clock.due_at(timedelta(seconds=row.sla_seconds))
    if row.overdue_at is None and due is not None and due + _SECOND < moment:
        return replace(row, overdue_at=due + _SECOND)
    return row


# ------------------------------------------------------------ "How did we do?" (issue #12)

#: The share of resolved tickets whose requester answers the satisfaction question.
RATING_SHARE = 0.65
#: What requesters add, now and then, to a score.
RATING_COMMENTS: dict[int, tuple[str, ...]] = {
    1: ("Passed around for days and nobody owned it.", "I had to chase this every day."),
    2: ("Fixed in the end, but it took far too long.", "I explained the problem three times."),
    3: ("Works now. It took a while.", "OK, though I was not told what was happening."),
    4: ("Sorted, thanks.", "Good fix, and kept me posted."),
    5: ("Fixed within the hour, thank you!", "Quick, friendly and it works.", "Brilliant."),
}


def _rate(story: _Writer, opening: _Opening, rng: random.Random, room: timedelta | None) -> None:
    """The requester answers "How did we do?" a little after the last resolution, for about
    two tickets in three (``RATING_SHARE``), if that is before ``room`` (offset from the
    ticket's creation; None: no limit).

    The score follows what they lived through: from 4.6, each handoff (a reassignment, or the
    owner taken away by an escalation or release) costs half a point, a reopen most of one,
    and a resolution slower than half the priority's target up to 1.75 — plus noise, rounded
    into 1–5. The draws come from a stream of their own, seeded from ``rng``'s state without
    drawing from it, so that adding ratings changes no other draw of the demo.
    """
    twin = random.Random()
    twin.setstate(rng.getstate())
    draw = random.Random(twin.getrandbits(64))
    if draw.random() >= RATING_SHARE:
        return
    handoffs = sum(
        e.type == EventType.UNASSIGNED
        or (e.type == EventType.ASSIGNED and e.data.get("previous_owner_id") is not None)
        for e in story.events
    )
    reopened = any(e.type == EventType.REOPENED for e in story.events)
    resolved = max(e.offset for e in story.events if e.type == EventType.RESOLVED)
    target = due_times(opening.priority, _EPOCH)[1] - _EPOCH
    slowness = min(max(math.log2(max(resolved / target, 1e-6)) + 1, 0.0), 2.5)
    mean = 4.6 - 0.5 * min(handoffs, 3) - 0.9 * reopened - 0.7 * slowness
    score = min(5, max(1, round(draw.gauss(mean, 0.8))))
    after = timedelta(seconds=round(math.exp(draw.uniform(math.log(300), math.log(43200)))))
    if room is not None and story.t + after >= room:
        return
    said: dict[str, Any] = {}
    if draw.random() < 0.35:
        said["comment"] = draw.choice(RATING_COMMENTS[score])
    story.t += after
    story.emit(EventType.SATISFACTION_RATED, opening.requester, score=score, **said)


# -------------------------------------------------------------------------- the generator


def generate_demo(
    now: datetime, seed: int = DEMO_SEED, *, replies: bool = REQUESTER_REPLIES
) -> DemoData:
    """Draw the demo organisation for a clock reading ``now`` (UTC-aware).

    Deterministic: the same ``seed`` gives the same people, skills and tickets, with every
    timestamp at the same distance before ``now`` (whole seconds, strictly before ``now``).
    ``replies`` adds the public conversation between requester and staff (kind "reply")
    where a ticket waits on its requester.

    >>> from datetime import UTC, datetime
    >>> data = generate_demo(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    >>> len([p for p in data.people if p.role == "agent"]), len(data.tickets) > 300
    (40, True)
    """
    if now.tzinfo is None:
        raise ValueError("generate_demo needs an aware datetime")
    moment = now.astimezone(UTC).replace(microsecond=0)
    return _Generator(moment, random.Random(seed), replies=replies).run()


class _Generator:
    def __init__(self, now: datetime, rng: random.Random, *, replies: bool) -> None:
        self.now = now
        self.rng = rng
        self.replies = replies
        self.graph = _Neighbours.build()
        self.aliases = {s.name: s.aliases for s in SKILLS}
        self.keys = count(1)
        self.people: list[PersonSpec] = []
        self.agents: list[PersonSpec] = []  # the forty who work tickets in the history
        self.requesters: list[str] = []
        self.skills: dict[str, dict[str, AgentSkillSpec]] = {}  # email -> skill -> row
        # The vendor each tiered ticket that needs one goes to, by plan index.
        self.vendors: dict[int, VendorSpec] = {}
        self.case_template = {c.subject: t for t in TEMPLATES for c in t.cases}
        # The simulator's agent ids, by the e-mail of the demo agent they stand for.
        self.simulated_emails: Mapping[int, str] = {}

    def run(self) -> DemoData:
        relations = skill_relations()
        self._people()
        self._profiles()
        tickets = self._tickets()
        growth = self._evidence(tickets)
        agent_skills = tuple(row for rows in self.skills.values() for row in rows.values())
        return DemoData(SKILLS, relations, tuple(self.people), agent_skills, tickets, growth)

    # ------------------------------------------------------------------------ drawing

    def minutes(self, low: float, high: float) -> float:
        """Log-uniform in [low, high]: most waits are short, a few are long."""
        return math.exp(self.rng.uniform(math.log(low), math.log(high)))

    def fill(self, text: str) -> str:
        return text.format_map({k: self.rng.choice(v) for k, v in FILLERS.items()})

    def days_ago(self, low: float, high: float) -> datetime:
        return self.now - timedelta(seconds=round(self.rng.uniform(low, high) * 86400))

    # ------------------------------------------------------------------------- people

    def _people(self) -> None:
        names = list(NAMES)
        self.rng.shuffle(names)
        self.people.append(
            PersonSpec(
                ADMIN_EMAIL,
                ADMIN_NAME,
                Role.ADMIN.value,
                self.days_ago(420, 420),
                has_profile=True,
                team="Service Desk",
                timezone="Europe/Amsterdam",
                capacity=3,
                presence=Presence.ONLINE.value,
                presence_at=self.now - timedelta(minutes=3),
            )
        )
        for email, name, led in MANAGERS:
            self.people.append(
                PersonSpec(
                    email,
                    name,
                    Role.MANAGER.value,
                    self.days_ago(300, 400),
                    has_profile=True,
                    team=led,
                    timezone="Europe/London",
                    capacity=3,
                    presence=Presence.ONLINE.value,
                    presence_at=self.now - timedelta(minutes=self.rng.randint(1, 30)),
                )
            )
        roster = [
            (team, tier)
            for team in TEAMS
            for tier, size in enumerate(team.tiers, start=1)
            for _ in range(size)
        ]
        if len(roster) != AGENT_COUNT:
            raise ValueError(f"TEAMS define {len(roster)} agents, expected {AGENT_COUNT}")
        self.rng.shuffle(roster)
        capacity = {1: (6, 8), 2: (4, 6), 3: (3, 5)}
        presences = [
            p.value for p in (Presence.ONLINE, Presence.AWAY, Presence.BUSY, Presence.OFFLINE)
        ]
        for n, (team, tier) in enumerate(roster, start=1):
            agent = PersonSpec(
                f"agent{n:02d}@example.com",
                names[n - 1],
                Role.AGENT.value,
                self.days_ago(75, 900),
                has_profile=True,
                team=team.name,
                tier=tier,
                timezone=self.rng.choice(team.timezones),
                capacity=self.rng.randint(*capacity[tier]),
                presence=self.rng.choices(presences, weights=(45, 15, 15, 25))[0],
                presence_at=self.now - timedelta(minutes=self.rng.randint(1, 600)),
            )
            self.people.append(agent)
            self.agents.append(agent)
        for n in range(1, REQUESTER_COUNT + 1):
            email = f"requester{n:02d}@example.com"
            name = names[AGENT_COUNT + n - 1]
            self.people.append(
                PersonSpec(email, name, Role.REQUESTER.value, self.days_ago(70, 700))
            )
            self.requesters.append(email)

    # ------------------------------------------------------------------- skill profiles

    def _profiles(self) -> None:
        teams = {team.name: team for team in TEAMS}
        basics = teams["Service Desk"].core
        for agent in self.agents:
            team = teams[agent.team or ""]
            rows = self.skills.setdefault(agent.email, {})

            def give(
                skill: str,
                level: int,
                rows: dict[str, AgentSkillSpec] = rows,
                email: str = agent.email,
            ) -> None:
                if skill not in rows or rows[skill].proficiency < level:
                    rows[skill] = AgentSkillSpec(email, skill, level)

            if agent.tier == 3:
                deep = self.rng.sample(team.core[:8], self.rng.randint(3, 4))
                for skill in deep:
                    give(skill, self.rng.choice((4, 5)))
                rest = [s for s in team.core if s not in deep]
                for skill in self.rng.sample(rest, min(len(rest), self.rng.randint(3, 5))):
                    give(skill, self.rng.choice((2, 3, 3)))
                # Specialists know the domain around their niche.
                give(self._root(deep[0]), self.rng.choice((3, 4)))
            elif agent.tier == 2:
                strong = self.rng.sample(team.core[:10], self.rng.randint(2, 3))
                for skill in strong:
                    give(skill, self.rng.choice((3, 4)))
                rest = [s for s in team.core if s not in strong]
                for skill in self.rng.sample(rest, min(len(rest), self.rng.randint(3, 5))):
                    give(skill, self.rng.choice((2, 3)))
                others = [s for t in TEAMS if t is not team for s in t.core[:6]]
                for skill in self.rng.sample(others, self.rng.randint(1, 2)):
                    give(skill, self.rng.choice((1, 2)))
            elif team.name == "Service Desk":
                # Generalists: most of the basics, and enough of the systems behind them (the
                # directory, the mail server …) to resolve the first-line tickets themselves.
                for skill in self.rng.sample(basics, self.rng.randint(14, 19)):
                    give(skill, self.rng.choices((1, 2, 3), weights=(10, 45, 45))[0])
                for skill in self.rng.sample(FIRST_LINE_CONTEXT, self.rng.randint(5, 8)):
                    give(skill, self.rng.choice((1, 2)))
            else:
                for skill in self.rng.sample(basics, self.rng.randint(5, 7)):
                    give(skill, self.rng.choice((1, 2)))
                for skill in self.rng.sample(team.core[:10], self.rng.randint(3, 4)):
                    give(skill, self.rng.choice((2, 3)))
            self._learning_goals(agent, rows)
        self._cover_templates(teams)
        admin = self.skills.setdefault(ADMIN_EMAIL, {})
        for skill, level in (("Access Requests", 3), ("Entra ID", 3), ("ServiceNow", 3)):
            admin[skill] = AgentSkillSpec(ADMIN_EMAIL, skill, level)

    def _root(self, skill: str) -> str:
        while skill in self.graph.parent:
            skill = self.graph.parent[skill]
        return skill

    def _learning_goals(self, agent: PersonSpec, rows: dict[str, AgentSkillSpec]) -> None:
        """One or two wants-to-learn skills next to what the agent already does well."""
        known = [s for s, row in rows.items() if row.proficiency >= 2]
        near = [n for s in known for n in self.graph.near(s) if n not in rows]
        candidates = list(dict.fromkeys(near))  # de-duplicated, order kept (determinism)
        goals = {1: (1, 2), 2: (1, 1), 3: (0, 1)}[agent.tier or 1]
        n = min(len(candidates), self.rng.randint(*goals))
        for skill in self.rng.sample(candidates, n):
            level = self.rng.choice((0, 0, 1, 2))
            rows[skill] = AgentSkillSpec(agent.email, skill, level, wants_to_learn=True)

    def _cover_templates(self, teams: dict[str, TeamSpec]) -> None:
        """Make sure every skill a ticket can need has experts: two at 3+ for a ticket's main
        skill (4+ for the hardest tickets), one for the others.

        The random profiles leave a gap now and then; it goes to the senior agents of the teams
        that own the skill, those with the fewest strong skills first.
        """

        def strength(agent: PersonSpec) -> tuple[int, int, str]:
            strong = sum(r.proficiency >= 3 for r in self.skills[agent.email].values())
            return (-(agent.tier or 0), strong, agent.email)

        for template in TEMPLATES:
            for index, (skill, _) in enumerate(template.skills):
                need = 4 if index == 0 and template.complexity == 3 else 3
                wanted = 2 if index == 0 else 1
                experts = [
                    a for a in self.agents if self.level(a.email, skill, direct=True) >= need
                ]
                owners = [a for a in self.agents if skill in teams[a.team or ""].core]
                candidates = sorted(
                    (a for a in owners or self.agents if a not in experts), key=strength
                )
                for chosen in candidates[: max(0, wanted - len(experts))]:
                    self.skills[chosen.email][skill] = AgentSkillSpec(chosen.email, skill, need)

    # -------------------------------------------------------------------------- matching

    def expertise(self, email: str, skill: str) -> float:
        """What an agent brings to one skill: their own level, or part of a neighbour's."""
        rows = self.skills.get(email, {})

        def level(name: str) -> float:
            row = rows.get(name)
            return float(row.proficiency) if row else 0.0

        best = level(skill)
        if skill in self.graph.parent:
            best = max(best, 0.6 * level(self.graph.parent[skill]))
        for child in self.graph.children[skill]:
            best = max(best, 0.7 * level(child))
        for other, weight in self.graph.related[skill]:
            best = max(best, 0.5 * weight * level(other))
        return best

    def level(self, email: str, skill: str, *, direct: bool = False) -> int:
        """The agent's proficiency in ``skill``; without a profile row, what neighbours give
        (``direct``: 0 instead)."""
        row = self.skills.get(email, {}).get(skill)
        if row is not None:
            return row.proficiency
        return 0 if direct else round(self.expertise(email, skill))

    # --------------------------------------------------------------------------- tickets

    def _tickets(self) -> tuple[TicketSpec, ...]:
        plans: list[_Plan] = []
        for key, days, n, gap in INCIDENTS:
            template = next(t for t in TEMPLATES if t.key == key)
            start = self.now - timedelta(days=days)
            for i in range(n):
                mode = (Mode.SWARM, Mode.TIERED)[i % 2]
                created = start + timedelta(minutes=i * gap + self.rng.uniform(0, gap / 2))
                opening = self._opening(template)
                plans.append(_Plan(template, opening, mode, created.replace(microsecond=0)))
        incident_count = len(plans)
        regular = [self._template() for _ in range(HISTORICAL_TICKETS - incident_count)]
        openings = [self._opening(template) for template in regular]
        modes = self._arms(regular, openings)
        for template, opening, mode in zip(regular, openings, modes, strict=True):
            plans.append(_Plan(template, opening, mode, None))
        for i in range(OPEN_TICKETS):
            mode = (Mode.SWARM, Mode.TIERED)[i % 2]
            # So that the vendor panel has a live case to show.
            at_vendor = i < 2 * OPEN_AT_VENDOR and mode == Mode.TIERED
            template = self._template(vendors=at_vendor)
            plans.append(_Plan(template, self._opening(template), mode, None, True, at_vendor))
        runs = self._simulate(plans)
        tickets = []
        for index, plan in enumerate(plans):
            story = _Writer(plan.mode.value, self.keys, priority=plan.opening.priority)
            story.created(plan.opening.requester, plan.opening.case.subject, plan.opening.priority)
            story.skills_set(plan.template.skills)
            self._replay(story, runs[index], plan, self.vendors.get(index))
            if plan.open:
                tickets.append(self._open(plan, story))
            else:
                tickets.append(self._historical(plan, story))
        return tuple(sorted(tickets, key=lambda t: t.created_at))

    def _simulate(self, plans: list[_Plan]) -> dict[int, tuple[EventRow, ...]]:
        """Run every ticket through the simulator (``simulated.simulate``), each arm on its own:
        the production ``SwarmPolicy`` decides who owns a swarm ticket and whom they invite, the
        production ``TieredPolicy`` (``DEMO_TIERS``) queues a tiered one and its time limits
        escalate it; the work each needs (``WORK`` by complexity, at level-3 speed) and the
        owners' levels decide when it is resolved, and whether a tier's agent can resolve it
        before the tier's limit. A tiered ticket of a template with vendors now and then needs
        one (``vendor_hours``): its owner takes it to the vendors' tier by hand.

        A history ticket without a fixed moment arrives anywhere in the window that leaves it
        three days before now; an open one arrives in the last days (where it is placed in
        the end is ``_open``'s choice: a cut of its life). Returns the rows by plan index.
        """
        start = self.now - timedelta(days=HISTORY_DAYS)
        window = (HISTORY_DAYS - 3) * 86400.0
        arrivals: dict[Mode, list[DemoArrival]] = {Mode.SWARM: [], Mode.TIERED: []}
        indices: dict[Mode, list[int]] = {Mode.SWARM: [], Mode.TIERED: []}
        for index, plan in enumerate(plans):
            if plan.open:
                at = window + self.rng.uniform(0, 2 * 86400.0)
            elif plan.created is not None:
                at = (plan.created - start).total_seconds()
            else:
                at = float(round(self.rng.uniform(3600.0, window)))
            pace = PACE[plan.opening.priority]
            work = self.minutes(*WORK[plan.template.complexity]) * min(pace, 1.0) / 60
            priority: Any = plan.opening.priority  # one of P1–P4, drawn from ``Priority``
            vendor_hours = 0.0
            if plan.mode == Mode.TIERED and plan.template.vendors:
                chance = 0.45 if plan.template.complexity == 3 else 0.25
                if plan.at_vendor or self.rng.random() < chance:
                    self.vendors[index] = VENDORS_BY_NAME[self.rng.choice(plan.template.vendors)]
                    vendor_hours = self.minutes(*VENDOR_HOURS) * max(pace, 0.4)
            arrival = DemoArrival(at, priority, plan.template.skills, work, vendor_hours)
            arrivals[plan.mode].append(arrival)
            indices[plan.mode].append(index)
            if not plan.open and plan.created is None:
                plans[index] = replace(plan, created=start + timedelta(seconds=at))
        agents = [
            DemoAgent(
                a.email,
                a.name,
                a.tier or 1,
                a.capacity,
                {s: row.proficiency for s, row in self.skills[a.email].items()},
                frozenset(s for s, row in self.skills[a.email].items() if row.wants_to_learn),
            )
            for a in self.agents
        ]
        rows: dict[int, tuple[EventRow, ...]] = {}
        for mode in (Mode.SWARM, Mode.TIERED):
            seed = self.rng.getrandbits(32)
            run = simulate(start, agents, arrivals[mode], seed=seed, arm=mode.value)
            self.simulated_emails = run.agent_email
            rows.update(zip(indices[mode], run.rows, strict=True))
        return rows

    def _replay(
        self, story: _Writer, rows: Sequence[EventRow], plan: _Plan, vendor: VendorSpec | None
    ) -> None:
        """The simulated life of a ticket, written as the live service writes it, with the
        demo's words.

        Swarm: who routing assigned and why, the helpers the owner invited (their note and
        reason), who accepted or declined, what was said in the swarm once they were in, an
        owner handing on (``unassigned``, then routing again; the new owner leaves the swarm as
        a helper with ``became_owner`` when they were in it, and the previous owner, writing
        what they tried, joins it ``via: message``), and the resolution. Tiered: the queues, who
        took it from which tier, each escalation (by the time limit, or by hand with the
        owner's note), the vendor case (the owner's hand-off, the vendor's answers recorded by
        the owner while the ticket is pending). Either arm: a wait on the requester (pending;
        with ``replies`` the question and the answer as public replies).

        Every row is placed at its simulated moment (whole seconds from the ``created`` row),
        or a second after the event before it; talk between two rows fits before the next.
        """
        if not rows or rows[0]["type"] != EventType.CREATED:
            raise ValueError("a simulated ticket starts with created")
        base: datetime = rows[0]["at"]

        def offset(row: EventRow) -> timedelta:
            return timedelta(seconds=round((row["at"] - base).total_seconds()))

        def email(agent_id: Any) -> str:
            return self.simulated_emails[int(agent_id)]

        invitations: dict[int, _Invitation] = {}
        handed_on: str | None = None
        opening = plan.opening
        case = opening.case
        reference = ""
        vendor_steps: list[tuple[timedelta, str]] = []
        vendor_answered = False
        # An escalation's note as the simulator wrote it and in the demo's words: the next
        # tier's ``queued`` reason quotes it.
        noted: tuple[str, str] | None = None
        for n, row in enumerate(rows):
            kind, data = row["type"], row["data"]
            until = offset(rows[n + 1]) if n + 1 < len(rows) else None
            if kind in (EventType.CREATED, EventType.SKILLS_SET):
                continue  # written above with the demo's content
            actor = None if row["actor_id"] is None else email(row["actor_id"])
            answer_first = kind == EventType.STATUS_CHANGED and data["from"] == Status.PENDING
            if answer_first and not vendor_answered and self.replies:
                # The requester answers a little before the owner picks the ticket up.
                early = timedelta(seconds=round(self.minutes(1, 30) * 60))
                story.t = max(story.t, offset(row) - early)
                story.say(opening.requester, self.rng.choice(REPLY_ANSWERS), REPLY_KIND)
            story.t = max(story.t, offset(row))
            if kind == EventType.STATUS_CHANGED and data["from"] == Status.NEW:
                continue  # ``assign`` opens the ticket
            if kind == EventType.QUEUED and data["tier"] is None:
                story.emit(EventType.QUEUED, None, tier=None, why=data.get("why"), policy="swarm")
            elif kind == EventType.QUEUED:
                why: str = data["why"]
                if noted is not None:
                    why = why.replace(f": {noted[0]}", f": {noted[1]}", 1)
                noted = None
                story.queue(data["tier"], why, data.get("intake"))
            elif kind == EventType.ASSIGNED:
                story.assign(
                    email(data["agent_id"]), AssignedBy(data["by"]), actor, data.get("why")
                )
                if handed_on is not None:
                    # The previous owner tells the new one what they tried: writing is acting.
                    self._talk(story, [(handed_on, self.rng.choice(HANDOVER_LINES))], until)
                    if until is None or until - story.t > timedelta(minutes=12):
                        story.wait(self.minutes(1, 10))
                        story.leave(handed_on)
                    handed_on = None
            elif kind == EventType.UNASSIGNED and data.get("reason") == "escalated":
                continue  # written with the escalation
            elif kind == EventType.UNASSIGNED:
                handed_on = email(data["previous_owner_id"])
                story.release(handed_on, data.get("reason"))
            elif kind == EventType.ESCALATED:
                if data["reason"] == TIME_LIMIT:
                    # At the limit of the writer's own tier clock, which started with the
                    # ``queued`` row a second or two after the simulated moment.
                    due = story.due()
                    story.t = max(story.t, due if due is not None else story.t)
                note = ""
                if data.get("note") and vendor is not None and data["to_tier"] == VENDOR_TIER:
                    note = f"Needs {vendor.name}: opening a case with them."
                elif data.get("note"):
                    primary = plan.template.skills[0][0]
                    note = self.rng.choice(ESCALATION_NOTES).format(skill=primary)
                if note:
                    noted = (data["note"], note)
                story.escalate(data["to_tier"], data["reason"], actor, note=note)
            elif kind == EventType.STATUS_CHANGED and data["to"] == Status.PENDING:
                assert actor is not None
                if story.at_vendor:
                    story.set_status(Status.PENDING, actor, same_step=True)
                    continue
                # What the owner needs: a note on the tiered desk (the swarm talks in its room)
                # and, with ``replies``, the question to the requester that sets it waiting.
                if story.mode == Mode.TIERED:
                    story.say(actor, self.rng.choice(PENDING_NOTES), MessageKind.NOTE)
                if self.replies:
                    story.say(actor, self.rng.choice(REPLY_ASKS), REPLY_KIND)
                story.set_status(Status.PENDING, actor, same_step=self.replies)
            elif kind == EventType.STATUS_CHANGED:
                assert actor is not None and data["to"] == Status.OPEN
                story.set_status(Status.OPEN, actor)
                vendor_answered = False
            elif kind == EventType.VENDOR_HANDOFF:
                assert vendor is not None and actor is not None
                reference = f"{vendor.ref_prefix}{self.rng.randint(100000, 999999)}"
                story.vendor_handoff(vendor, reference, actor)
                # The vendor's answers on the way, before the one the simulator times.
                answered = next(offset(r) for r in rows[n + 1 :] if r["type"] == "vendor_update")
                steps = ["acknowledged"]
                roll = self.rng.random()
                if roll < 0.25:
                    steps += ["waiting_on_us", "in_progress"]
                elif roll < 0.6:
                    steps.append("in_progress")
                vendor_steps = [
                    (story.t + (answered - story.t) * (k + 1) / (len(steps) + 1), status)
                    for k, status in enumerate(steps)
                ]
            elif kind == EventType.VENDOR_UPDATE:
                assert vendor is not None and actor is not None
                for moment, status in vendor_steps:
                    story.t = max(story.t, moment)
                    note = self.rng.choice(VENDOR_NOTES[status])
                    story.vendor_update(vendor, reference, status, note, actor)
                story.t = max(story.t, offset(row))
                note = self.rng.choice(VENDOR_NOTES["resolved"])
                story.vendor_update(vendor, reference, "resolved", note, actor)
                vendor_answered = True
            elif kind == EventType.HELPER_INVITED:
                invitee = email(data["agent_id"])
                answer = next(
                    (
                        r
                        for r in rows[n + 1 :]
                        if r["data"].get("invitation_id") == data["invitation_id"]
                        and r["type"] != EventType.HELPER_INVITED
                    ),
                    None,
                )
                if answer is None:
                    # Routing suggested someone who never got to answer (the ticket was
                    # resolved first): the owner did not send that invitation.
                    continue
                # The owner sends the invitation routing suggested; it is answered inside the
                # live expiry, so it went out at most 14 minutes before the answer.
                story.t = max(story.t, offset(answer) - timedelta(minutes=14))
                owner = story.owner
                assert owner is not None
                invitations[data["invitation_id"]] = self._invite(story, owner, invitee, case)
            elif kind == EventType.INVITATION_DECLINED:
                story.answer(invitations[data["invitation_id"]], False, data.get("reason"))
            elif kind == EventType.HELPER_JOINED:
                invitation = invitations[data["invitation_id"]]
                story.answer(invitation, True)
                owner = story.owner
                assert owner is not None
                helper = invitation.invitee
                lines = [
                    (owner, self.fill(self.rng.choice(OWNER_OPENERS))),
                    (helper, self.rng.choice(HELPER_LINES).format(cause=case.cause)),
                    (owner, self.rng.choice(OWNER_REPLIES)),
                ]
                self._talk(story, lines, until)
            elif kind == EventType.HELPER_LEFT:
                continue  # became_owner with the assignment, resolved with the resolution
            elif kind == EventType.RESOLVED:
                owner = story.owner
                assert owner is not None
                story.resolve(owner, case.resolution)
            else:
                raise ValueError(f"the demo's {story.mode} arm does not write {kind!r}")
        if story.status != Status.RESOLVED:
            raise ValueError("a simulated demo ticket was not resolved before the run ended")

    def _talk(
        self, story: _Writer, lines: Sequence[tuple[str, str]], until: timedelta | None
    ) -> None:
        """Messages a few minutes apart, the last before ``until`` (the next simulated event)
        where there is room; someone without a stint who writes joins the swarm by it."""
        for n, (author, body) in enumerate(lines):
            gap = timedelta(seconds=round(self.minutes(0.5, 6) * 60))
            latest = None if until is None else until - timedelta(seconds=len(lines) - n)
            story.t = story.t + gap if latest is None else max(story.t, min(story.t + gap, latest))
            if any(s.user == author and s.left is None for s in story.stints):
                story.say(author, body)
            else:
                story.write_in(author, body)

    def _invite(self, story: _Writer, owner: str, helper: str, case: Case) -> _Invitation:
        """The invitation's words: the ticket's skill the helper knows best."""
        template = self.case_template[case.subject]
        skill = max((s for s, _ in template.skills), key=lambda s: self.level(helper, s))
        note = self.rng.choice(INVITE_NOTES).format(skill=skill)
        reason = self.rng.choice(INVITE_REASONS).format(
            skill=skill, level=self.level(helper, skill)
        )
        return story.invite(owner, helper, note, reason)

    def _historical(self, plan: _Plan, story: _Writer) -> TicketSpec:
        """A ticket that ran its course: resolved, and closed when enough time has passed.

        A swarm ticket's moment is the simulator's; a tiered one is placed anywhere in the
        window that leaves room for its whole story before now.
        """
        opening, created = plan.opening, plan.created
        margin = timedelta(minutes=10)
        room = None if created is None else self.now - margin - created
        if self.rng.random() < REOPEN_RATE and (room is None or story.t + timedelta(days=4) < room):
            self._reopen(story, opening)
        _rate(story, opening, self.rng, room)
        if created is None:
            # Anywhere in the window that leaves room for the whole story before now.
            shortest = (story.t + margin).total_seconds()
            longest = max(shortest, HISTORY_DAYS * 86400.0)
            created = self.now - timedelta(seconds=round(self.rng.uniform(shortest, longest)))
        # The requester confirms within a day or two, or the system closes it after five.
        by_requester = self.rng.random() < 0.6
        delay = self.minutes(120, 2880) if by_requester else 5 * 1440 + self.rng.uniform(0, 60)
        if created + story.t + timedelta(minutes=delay) < self.now - margin:
            story.wait(delay)
            story.close(opening.requester if by_requester else None)
        skills = self._explained(plan.template, opening)
        return story.materialise(
            created_at=created, cut=None, now=self.now, opening=opening, skills=skills
        )

    def _arms(
        self, templates: Sequence[TicketTemplate], openings: Sequence[_Opening]
    ) -> list[Mode]:
        """Each history ticket's mode, drawn per ticket in blocks of two within its priority and
        complexity: of two tickets alike, one goes to each mode, which at random. Neither mode
        gets the easier or the less urgent work, so comparing them compares the modes."""
        modes: list[Mode] = []
        waiting: dict[tuple[str, int], list[Mode]] = {}
        for template, opening in zip(templates, openings, strict=True):
            block = waiting.setdefault((opening.priority, template.complexity), [])
            if not block:
                block += self.rng.sample([Mode.SWARM, Mode.TIERED], 2)
            modes.append(block.pop())
        return modes

    def _template(self, *, vendors: bool = False) -> TicketTemplate:
        pool = [t for t in TEMPLATES if t.vendors or not vendors]
        return self.rng.choices(pool, weights=[t.weight for t in pool])[0]

    def _opening(self, template: TicketTemplate) -> _Opening:
        requester = self.rng.choice(self.requesters)
        first_name = next(p.name for p in self.people if p.email == requester).split()[0]
        priority = self.rng.choices(list(Priority), weights=template.priorities)[0].value
        case = self.rng.choice(template.cases)
        body = f"{self.fill(case.body)}\n\n{self.rng.choice(SIGN_OFFS)},\n{first_name}"
        return _Opening(requester, priority, case, body)

    def _open(self, plan: _Plan, story: _Writer) -> TicketSpec:
        """A ticket still being worked: its story cut between two steps before resolution.

        The ticket is placed so that the cut is still ahead of ``now``: what the next step
        does (an escalation by time, say) has not happened yet, and no clock of the ticket has
        run out without the history showing what its running out did.
        """
        template, opening, mode, at_vendor = plan.template, plan.opening, plan.mode, plan.at_vendor
        starts = story.step_starts()
        resolved = next(e.offset for e in story.events if e.type == EventType.RESOLVED)
        assigned = next(e.offset for e in story.events if e.type == EventType.ASSIGNED)
        if at_vendor:
            # Somewhere between the hand-off and the vendor's last word.
            vendor = [e.offset for e in story.events if e.type.startswith("vendor_")]
            moment = vendor[0] + (vendor[-1] - vendor[0]) * self.rng.uniform(0.05, 0.95)
        elif mode == Mode.SWARM:
            # Routing assigns a swarm ticket as it opens, so one is seen owned or not at all
            # (the simulated run's own moments; where it falls in the window is this cut's).
            moment = assigned + (resolved - assigned) * self.rng.uniform(0.02, 0.98)
        elif self.rng.random() < 0.25:
            # Just arrived: nobody has acted on it yet.
            moment = starts[1] * self.rng.uniform(0.1, 0.9)
        else:
            # Seen at a uniform moment of its life, as a snapshot of a real desk would see it,
            # so long waits (tier queues, vendors, pending) show up as often as they last.
            moment = resolved * self.rng.uniform(0.02, 0.98)
        cut = next(start for start in starts if start > moment)
        # Never leave a helper in the swarm who has not written yet: a stint is begun by acting,
        # and the demo shows each helper's contribution.
        for stint in story.stints:
            wrote = [at for at, _, author, _, _ in story.messages if author == stint.user]
            # (A stint begun by writing starts a second after its message.)
            first = min((at for at in wrote if at >= stint.joined - _SECOND), default=None)
            if stint.role == "helper" and stint.joined < cut and (first is None or first >= cut):
                cut = stint.joined
                moment = min(moment, cut - _SECOND)
        # Never leave an invitation unanswered: a live one would need an expiry in the future.
        for invitation in story.invitations:
            answered = invitation.responded
            if invitation.created < cut and (answered is None or answered >= cut):
                cut = invitation.created
                moment = min(moment, cut - _SECOND)
        last = max(e.offset for e in story.events if e.offset < cut)
        # Whole seconds strictly between the last event kept and the cut.
        ago = max(last + _SECOND, timedelta(seconds=math.floor(moment.total_seconds())))
        ago = min(ago, max(last + _SECOND, cut - _SECOND))
        skills = self._explained(template, opening)
        return story.materialise(
            created_at=self.now - ago, cut=cut, now=self.now, opening=opening, skills=skills
        )

    def _explained(
        self, template: TicketTemplate, opening: _Opening
    ) -> tuple[tuple[str, float, str], ...]:
        """The ticket's skills with the kind of reason inference gives for each."""
        text = f"{opening.case.subject}\n{opening.body}".lower()
        explained = []
        for name, weight in template.skills:
            words = [name.lower(), *self.aliases[name]]
            said = next((w for w in words if w in text), None)
            why = f'mentions "{said}"' if said else f"resembles earlier tickets about {name}"
            explained.append((name, weight, why))
        return tuple(explained)

    def _reopen(self, story: _Writer, opening: _Opening) -> None:
        """The requester reopens a few days later; the same owner finishes it."""
        owner = story.owner
        work = self.minutes(30, 600) * PACE[opening.priority]
        room = story.room()  # the tier clock carries on where the resolution paused it
        if owner is None or (room is not None and room < timedelta(minutes=2)):
            return
        if room is not None:
            work = min(work, room.total_seconds() / 60 * 0.8)
        story.wait(self.minutes(720, 4320))
        story.reopen(opening.requester, self.rng.choice(REOPEN_REASONS))
        story.wait(work)  # inside the room left: the live limit would not move it meanwhile
        story.resolve(owner, f"{opening.case.resolution} {REOPEN_FOLLOW_UP}")

    # ----------------------------------------------------------------------- evidence

    def _evidence(self, tickets: Sequence[TicketSpec]) -> tuple[GrowthSpec, ...]:
        """Evidence, last use and growth, by the live rule (``accrue_evidence``).

        Profiles start with evidence from before the demo's window (never more than their
        level already reflects); then every resolution in the history, in time order, gives
        its owner and the helpers who had joined one unit of evidence on each required skill,
        as ``TicketService.resolve`` does, and each change becomes a ``skill_growth`` row.
        """
        for rows in self.skills.values():
            for row in rows.values():
                if row.proficiency > 0:
                    row.evidence = row.proficiency * self.rng.randint(1, 4)
                    row.last_used_at = self.days_ago(HISTORY_DAYS + 1, 400)
        # accrue_evidence speaks in ids; positions in these lists stand in for them.
        emails = list(self.skills)
        names = [s.name for s in SKILLS]
        agent_id = {email: n for n, email in enumerate(emails)}
        skill_id = {name: n for n, name in enumerate(names)}
        resolutions = sorted(
            (event.at, index, event.actor)
            for index, ticket in enumerate(tickets)
            for event in ticket.events
            if event.type == EventType.RESOLVED
        )
        growth: list[GrowthSpec] = []
        for at, index, owner in resolutions:
            ticket = tickets[index]
            if owner is None:
                continue
            helpers = [
                p.user for p in ticket.participations if p.role == "helper" and p.joined_at < at
            ]
            profiles = {
                agent_id[email]: {
                    skill_id[skill]: Proficiency(row.proficiency, row.last_used_at, row.evidence)
                    for skill, row in self.skills[email].items()
                }
                for email in (owner, *helpers)
            }
            updates = accrue_evidence(
                [skill_id[name] for name, _, _ in ticket.skills],
                agent_id[owner],
                [agent_id[h] for h in helpers],
                profiles,
                at,
            )
            for update in updates:
                email, skill = emails[update.agent_id], names[update.skill_id]
                rows = self.skills[email]
                row = rows.setdefault(skill, AgentSkillSpec(email, skill, 0))
                before = None if update.before is None else update.before.level
                row.proficiency = update.after.level
                row.evidence = update.after.evidence
                row.last_used_at = update.after.last_used
                growth.append(
                    GrowthSpec(
                        email,
                        skill,
                        at,
                        before,
                        row.proficiency,
                        row.wants_to_learn,
                        row.evidence,
                        index,
                    )
                )
        return tuple(growth)


def describe(data: DemoData) -> dict[str, int]:
    """Counts of what ``data`` holds, for summaries and progress totals."""
    return {
        "skills": len(data.skills),
        "relations": len(data.relations),
        "people": len(data.people),
        "agent_skills": len(data.agent_skills),
        "tickets": len(data.tickets),
        "events": sum(len(t.events) for t in data.tickets),
        "messages": sum(len(t.messages) for t in data.tickets),
        "growth": len(data.growth),
    }

"""Generate the demo organisation as plain data: deterministic, pure, no database.

``generate_demo(now)`` draws people, skill profiles and about three hundred ticket histories
from a ``random.Random`` with a fixed seed. Every timestamp is ``now`` minus a drawn offset, so
the same call at another moment yields the same organisation with the same relative shape,
shifted in time. References between rows (who was assigned, which message an event points at)
are ``UserRef``/``MessageRef``/``InvitationRef`` values that the writer in ``seed.py`` turns
into database ids.

How a ticket's life is drawn
----------------------------
Each ticket is written as a *story*: a list of events at offsets from its creation, grouped in
steps (one step is what the live service would commit in one transaction, such as ``assigned``
followed by ``status_changed``). Swarm tickets go to a qualified, lightly loaded expert, who may
invite helpers; tiered tickets wait in a tier queue, are pulled by an agent of that tier and
climb tiers (by time limit or by hand) until the tier that can solve them, sometimes ending with
a vendor. A historical story is placed so that it ends before ``now``; an open ticket's story is
cut between two steps, so that its state is exactly what the kept events say.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

from swarm.demo.content import (
    ADMIN_EMAIL,
    ADMIN_NAME,
    ESCALATION_NOTES,
    FILLERS,
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
    SIGN_OFFS,
    TEAMS,
    TEMPLATES,
    VENDOR_NOTES,
    VENDOR_REF_PREFIX,
    Case,
    TeamSpec,
    TicketTemplate,
)
from swarm.demo.taxonomy import RELATED, SKILLS, SkillSpec
from swarm.events import AssignedBy, EventType
from swarm.models.skills import RelationKind
from swarm.models.tickets import InvitationStatus, MessageKind, Mode, Priority, Status
from swarm.models.users import Presence, Role
from swarm.skills.proficiency import Proficiency, accrue_evidence
from swarm.tickets.sla import due_times

DEMO_SEED = 20260302
HISTORY_DAYS = 60
HISTORICAL_TICKETS = 300  # including the incident bursts
OPEN_TICKETS = 25
AGENT_COUNT = 40
REQUESTER_COUNT = 10

# How fast each priority moves, as a factor on every waiting and working time.
PACE: dict[str, float] = {"P1": 0.12, "P2": 0.35, "P3": 1.0, "P4": 1.5}
# Tiered mode: minutes a ticket may sit at a tier before it is escalated automatically.
TIER_TIME_LIMIT_MINUTES: dict[str, float] = {"P1": 30, "P2": 120, "P3": 480, "P4": 1440}
# (low, high) minutes, drawn log-uniformly and scaled by PACE.
TIER_QUEUE_WAIT: dict[int, tuple[float, float]] = {1: (3, 120), 2: (20, 720), 3: (60, 1440)}
TIER_WORK: dict[int, tuple[float, float]] = {1: (10, 90), 2: (45, 720), 3: (120, 2160)}
SWARM_WORK: dict[int, tuple[float, float]] = {1: (10, 120), 2: (40, 600), 3: (90, 1800)}
# The tiered variant the demo's tiered stories are drawn under (their ``created`` says so, as a
# live ticket's does): every tier pulls, and nobody swarms on a tiered ticket.
DEMO_TIERED_VARIANT: dict[str, Any] = {
    "collaboration": "off",
    "intake": {"1": "pull", "2": "pull", "3": "pull", "4": "pull"},
}
# Probability that a ticket of a given difficulty is solved at tier 1, 2, 3.
RESOLVE_TIER: dict[int, tuple[float, float, float]] = {
    1: (0.85, 0.15, 0.0),
    2: (0.25, 0.65, 0.10),
    3: (0.05, 0.35, 0.60),
}
# The lowest fit (0–5) that makes an agent a candidate owner, by difficulty.
SWARM_QUALIFIED: dict[int, float] = {1: 2.0, 2: 3.0, 3: 3.5}
INVITATION_TTL = timedelta(minutes=30)
REOPEN_RATE = 0.04
REOPEN_FOLLOW_UP = "Reopened once: applied the fix again and confirmed with the user a day later."
_SECOND = timedelta(seconds=1)


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
class _State:
    status: str
    owner: str | None
    tier: int | None
    resolution: str | None


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


def _moved(previous: str, status: str) -> dict[str, Any]:
    """The ``{"from", "to"}`` data of a status change ("from" is a keyword in Python)."""
    return {"from": previous, "to": status}


@dataclass
class _Story:
    """One ticket's life on offsets from its creation; keeps the ticket's state as it goes.

    Every event gets a later offset than the one before (one second later at least), and the
    helpers that change the state record it the way ``TicketService`` does, with the same data
    keys, so that the ticket's columns can be read off the last event kept.
    """

    mode: str
    keys: Iterator[int]
    t: timedelta = timedelta(0)
    status: str = Status.NEW.value
    owner: str | None = None
    tier: int | None = None
    resolution: str | None = None
    events: list[_Event] = field(default_factory=list)
    messages: list[tuple[timedelta, int, str, str, str]] = field(default_factory=list)
    invitations: list[_Invitation] = field(default_factory=list)
    stints: list[_Stint] = field(default_factory=list)
    _step: int = 0

    # -------------------------------------------------------------- time and events

    def wait(self, minutes: float) -> None:
        self.t += timedelta(seconds=max(1, round(minutes * 60)))

    def emit(
        self, type_: EventType, actor: str | None, *, same_step: bool = False, **data: Any
    ) -> None:
        if self.events and self.t <= self.events[-1].offset:
            self.t = self.events[-1].offset + _SECOND
        if not same_step:
            self._step += 1
        state = _State(self.status, self.owner, self.tier, self.resolution)
        self.events.append(_Event(self.t, type_.value, actor, data, self._step, state))

    # ----------------------------------------------------------- lifecycle (service keys)

    def created(self, requester: str, subject: str, priority: str) -> None:
        self.emit(
            EventType.CREATED,
            requester,
            subject=subject,
            priority=priority,
            mode=self.mode,
            requester_id=UserRef(requester),
            **(DEMO_TIERED_VARIANT if self.mode == Mode.TIERED else {}),
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
        previous = self.owner
        self.owner = agent
        data: dict[str, Any] = {
            "agent_id": UserRef(agent),
            "by": by.value,
            "previous_owner_id": UserRef(previous) if previous else None,
        }
        if why:
            data["why"] = why
        self.emit(EventType.ASSIGNED, actor, **data)
        if self.mode == Mode.SWARM:
            self._leave_stint(previous)
            self.stints.append(_Stint(agent, "owner", self.t))
        if self.status == Status.NEW:
            self.set_status(Status.OPEN, actor, same_step=True)

    def set_status(self, status: Status, actor: str | None, *, same_step: bool = False) -> None:
        previous, self.status = self.status, status.value
        self.emit(
            EventType.STATUS_CHANGED,
            actor,
            same_step=same_step,
            **_moved(previous, status.value),
        )

    def resolve(self, actor: str, text: str) -> None:
        previous, self.status, self.resolution = self.status, Status.RESOLVED.value, text
        self.emit(EventType.RESOLVED, actor, resolution=text, **_moved(previous, "resolved"))
        self._leave_stint(self.owner)

    def close(self, actor: str | None) -> None:
        previous, self.status = self.status, Status.CLOSED.value
        self.emit(EventType.CLOSED, actor, **_moved(previous, "closed"))

    def reopen(self, actor: str, reason: str) -> None:
        previous, self.status = self.status, Status.OPEN.value
        self.emit(EventType.REOPENED, actor, reason=reason, **_moved(previous, "open"))
        if self.mode == Mode.SWARM and self.owner:
            self.stints.append(_Stint(self.owner, "owner", self.t))

    # ------------------------------------------------------------ tiers and vendors

    def queue(self, tier: int) -> None:
        self.tier = tier
        # The demo's tiers all pull: an agent of the tier takes the ticket (``assign`` by pull).
        self.emit(
            EventType.QUEUED, None, same_step=True, tier=tier, policy=self.mode, intake="pull"
        )

    def escalate(self, to_tier: int, reason: str, actor: str | None) -> None:
        """Move up a tier. Like the live service's ``Escalate``, this clears the owner (the
        event names them); a hand-off to a vendor (tier 4) keeps the owner, who runs the case.
        """
        from_tier, self.tier = self.tier, to_tier
        data: dict[str, Any] = {"from_tier": from_tier, "to_tier": to_tier, "reason": reason}
        if to_tier < 4:
            previous, self.owner = self.owner, None
            data["previous_owner_id"] = UserRef(previous) if previous else None
        self.emit(EventType.ESCALATED, actor, **data)

    def vendor_handoff(self, vendor: str, external_ref: str, actor: str) -> None:
        self.emit(
            EventType.VENDOR_HANDOFF,
            actor,
            same_step=True,
            vendor=vendor,
            external_ref=external_ref,
        )

    def vendor_update(self, status: str, note: str) -> None:
        self.emit(EventType.VENDOR_UPDATE, None, status=status, note=note)

    # ---------------------------------------------------------------- messages, swarm

    def say(self, author: str, body: str, kind: MessageKind = MessageKind.CHAT) -> None:
        key = next(self.keys)
        if kind == MessageKind.NOTE:
            # Internal notes are their own event type in the live service (add_note).
            self.emit(EventType.NOTE, author, message_id=MessageRef(key))
        else:
            self.emit(EventType.MESSAGE, author, message_id=MessageRef(key), kind=kind.value)
        self.messages.append((self.t, key, author, body, kind.value))

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

    def answer(self, invitation: _Invitation, accepted: bool) -> None:
        who = invitation.invitee
        if accepted:
            invitation.status = InvitationStatus.ACCEPTED.value
            self.emit(EventType.HELPER_JOINED, who, agent_id=UserRef(who))
            self.stints.append(_Stint(who, "helper", self.t))
        else:
            invitation.status = InvitationStatus.DECLINED.value
            self.emit(
                EventType.INVITATION_DECLINED,
                who,
                agent_id=UserRef(who),
                invitation_id=InvitationRef(invitation.key),
            )
        invitation.responded = self.t

    def leave(self, helper: str) -> None:
        stint = next(s for s in reversed(self.stints) if s.user == helper and s.left is None)
        if self.events and self.t <= self.events[-1].offset:
            self.t = self.events[-1].offset + _SECOND  # what emit() would do; seconds need it
        seconds = int((self.t - stint.joined).total_seconds())
        self.emit(EventType.HELPER_LEFT, helper, agent_id=UserRef(helper), seconds=seconds)
        stint.left = self.t

    def _leave_stint(self, user: str | None) -> None:
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
        opening: _Opening,
        skills: tuple[tuple[str, float, str], ...],
    ) -> TicketSpec:
        """The ticket with every event before ``cut`` (all of them when None), placed in time."""

        def kept(offset: timedelta | None) -> bool:
            return offset is not None and (cut is None or offset < cut)

        def at(offset: timedelta) -> datetime:
            return created_at + offset

        events = [e for e in self.events if kept(e.offset)]
        state = events[-1].state
        resolved = [e for e in events if e.type == EventType.RESOLVED]
        closed = [e for e in events if e.type == EventType.CLOSED]
        assigned = [e for e in events if e.type == EventType.ASSIGNED]
        active = state.status not in (Status.RESOLVED, Status.CLOSED)
        response_due, resolve_due = due_times(opening.priority, created_at)
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
            events=tuple(EventSpec(e.type, at(e.offset), e.actor, e.data) for e in events),
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
        )


# -------------------------------------------------------------------------- the generator


def generate_demo(now: datetime, seed: int = DEMO_SEED) -> DemoData:
    """Draw the demo organisation for a clock reading ``now`` (UTC-aware).

    Deterministic: the same ``seed`` gives the same people, skills and tickets, with every
    timestamp at the same distance before ``now`` (whole seconds, strictly before ``now``).

    >>> from datetime import UTC, datetime
    >>> data = generate_demo(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    >>> len([p for p in data.people if p.role == "agent"]), len(data.tickets) > 300
    (40, True)
    """
    if now.tzinfo is None:
        raise ValueError("generate_demo needs an aware datetime")
    return _Generator(now.astimezone(UTC).replace(microsecond=0), random.Random(seed)).run()


class _Generator:
    def __init__(self, now: datetime, rng: random.Random) -> None:
        self.now = now
        self.rng = rng
        self.graph = _Neighbours.build()
        self.aliases = {s.name: s.aliases for s in SKILLS}
        self.keys = count(1)
        self.people: list[PersonSpec] = []
        self.agents: list[PersonSpec] = []  # the forty who work tickets in the history
        self.requesters: list[str] = []
        self.skills: dict[str, dict[str, AgentSkillSpec]] = {}  # email -> skill -> row
        self.owned: dict[str, int] = {}  # tickets each agent has owned so far: spreads load
        self.helped: dict[str, int] = {}

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
                for skill in self.rng.sample(basics, self.rng.randint(8, 12)):
                    give(skill, self.rng.choices((1, 2, 3), weights=(25, 50, 25))[0])
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
                need = 4 if index == 0 and template.difficulty == 3 else 3
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

    def fit(self, email: str, skills: Sequence[tuple[str, float]]) -> float:
        total = sum(w for _, w in skills)
        return sum(w * self.expertise(email, s) for s, w in skills) / total

    def swarm_owner(self, template: TicketTemplate, exclude: Sequence[str] = ()) -> str:
        """A qualified expert, preferring those who have owned fewer tickets so far."""
        scored = sorted(
            (
                (self.fit(a.email, template.skills), a.email)
                for a in self.agents
                if a.email not in exclude
            ),
            key=lambda pair: (-pair[0], pair[1]),
        )
        qualified = [p for p in scored if p[0] >= SWARM_QUALIFIED[template.difficulty]]
        if len(qualified) < 2:
            qualified = scored[:3]
        weights = [(0.01 + fit) / (1 + self.owned.get(email, 0)) ** 1.5 for fit, email in qualified]
        email = self.rng.choices([e for _, e in qualified], weights=weights)[0]
        self.owned[email] = self.owned.get(email, 0) + 1
        return email

    def tier_agent(self, tier: int, template: TicketTemplate) -> str:
        """Who pulls the ticket from a tier queue: anyone at that tier, fitting ones more often."""
        pool = [a.email for a in self.agents if a.tier == tier]
        weights = [
            (0.3 + self.fit(e, template.skills)) ** 2 / (1 + self.owned.get(e, 0)) for e in pool
        ]
        email = self.rng.choices(pool, weights=weights)[0]
        self.owned[email] = self.owned.get(email, 0) + 1
        return email

    def helper(self, template: TicketTemplate, involved: Sequence[str]) -> tuple[str, str]:
        """An expert in one of the ticket's skills (often a secondary one) who isn't in yet."""
        skills = [s for s, _ in template.skills]
        skill = (
            skills[0]
            if len(skills) == 1 or self.rng.random() < 0.4
            else self.rng.choice(skills[1:])
        )
        scored = sorted(
            (
                (self.expertise(a.email, skill), a.email)
                for a in self.agents
                if a.email not in involved
            ),
            key=lambda pair: (-pair[0], pair[1]),
        )[:5]
        weights = [0.1 + level / (1 + self.helped.get(email, 0)) for level, email in scored]
        email = self.rng.choices([e for _, e in scored], weights=weights)[0]
        self.helped[email] = self.helped.get(email, 0) + 1
        return email, skill

    def level(self, email: str, skill: str, *, direct: bool = False) -> int:
        """The agent's proficiency in ``skill``; without a profile row, what neighbours give
        (``direct``: 0 instead)."""
        row = self.skills.get(email, {}).get(skill)
        if row is not None:
            return row.proficiency
        return 0 if direct else round(self.expertise(email, skill))

    def why(self, email: str, template: TicketTemplate) -> str:
        """The explanation an assignment carries: the agent's levels in the ticket's skills."""
        levels = [(s, self.level(email, s, direct=True)) for s, _ in template.skills]
        known = ", ".join(f"{s} {level}/5" for s, level in levels if level > 0)
        if known:
            return f"Best available match: {known}"
        fit = self.fit(email, template.skills)
        return f"Closest available match through related skills (fit {fit:.1f}/5)"

    # --------------------------------------------------------------------------- tickets

    def _tickets(self) -> tuple[TicketSpec, ...]:
        tickets: list[TicketSpec] = []
        incident_count = sum(n for _, _, n, _ in INCIDENTS)
        for key, days, n, gap in INCIDENTS:
            template = next(t for t in TEMPLATES if t.key == key)
            start = self.now - timedelta(days=days)
            for i in range(n):
                mode = (Mode.SWARM, Mode.TIERED)[i % 2]
                created = start + timedelta(minutes=i * gap + self.rng.uniform(0, gap / 2))
                tickets.append(self._historical(template, mode, created.replace(microsecond=0)))
        regular = HISTORICAL_TICKETS - incident_count
        modes = [Mode.SWARM, Mode.TIERED] * (regular // 2) + [Mode.SWARM] * (regular % 2)
        self.rng.shuffle(modes)
        for mode in modes:
            tickets.append(self._historical(self._template(), mode, None))
        for i in range(OPEN_TICKETS):
            tickets.append(self._open(self._template(), (Mode.SWARM, Mode.TIERED)[i % 2]))
        return tuple(sorted(tickets, key=lambda t: t.created_at))

    def _template(self) -> TicketTemplate:
        return self.rng.choices(TEMPLATES, weights=[t.weight for t in TEMPLATES])[0]

    def _opening(self, template: TicketTemplate) -> _Opening:
        requester = self.rng.choice(self.requesters)
        first_name = next(p.name for p in self.people if p.email == requester).split()[0]
        priority = self.rng.choices(list(Priority), weights=template.priorities)[0].value
        case = self.rng.choice(template.cases)
        body = f"{self.fill(case.body)}\n\n{self.rng.choice(SIGN_OFFS)},\n{first_name}"
        return _Opening(requester, priority, case, body)

    def _historical(
        self, template: TicketTemplate, mode: Mode, created: datetime | None
    ) -> TicketSpec:
        """A ticket that ran its course: resolved, and closed when enough time has passed."""
        opening = self._opening(template)
        story = self._story(template, mode, opening)
        if self.rng.random() < REOPEN_RATE:
            self._reopen(story, opening)
        margin = timedelta(minutes=10)
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
        skills = self._explained(template, opening)
        return story.materialise(created_at=created, cut=None, opening=opening, skills=skills)

    def _open(self, template: TicketTemplate, mode: Mode) -> TicketSpec:
        """A ticket still being worked: its story cut between two steps before resolution."""
        opening = self._opening(template)
        story = self._story(template, mode, opening)
        starts = story.step_starts()
        resolved = next(e.offset for e in story.events if e.type == EventType.RESOLVED)
        if self.rng.random() < 0.25:
            # Just arrived: nobody has acted on it yet.
            moment = starts[1] * self.rng.uniform(0.1, 0.9)
        else:
            # Seen at a uniform moment of its life, as a snapshot of a real desk would see it,
            # so long waits (tier queues, vendors, pending) show up as often as they last.
            moment = resolved * self.rng.uniform(0.02, 0.98)
        cut = next(start for start in starts if start > moment)
        # Never leave an invitation unanswered: a live one would need an expiry in the future.
        for invitation in story.invitations:
            answered = invitation.responded
            if invitation.created < cut and (answered is None or answered >= cut):
                cut = invitation.created
                moment = min(moment, cut - _SECOND)
        last = max(e.offset for e in story.events if e.offset < cut)
        ago = max(last + _SECOND, timedelta(seconds=round(moment.total_seconds())))
        skills = self._explained(template, opening)
        return story.materialise(created_at=self.now - ago, cut=cut, opening=opening, skills=skills)

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

    def _story(self, template: TicketTemplate, mode: Mode, opening: _Opening) -> _Story:
        story = _Story(mode.value, self.keys)
        story.created(opening.requester, opening.case.subject, opening.priority)
        story.skills_set(template.skills)
        if mode == Mode.SWARM:
            self._swarm(story, template, opening)
        else:
            self._tiered(story, template, opening)
        return story

    def _swarm(self, story: _Story, template: TicketTemplate, opening: _Opening) -> None:
        """Policy assignment to an expert; helpers for harder tickets; resolution by the owner."""
        pace = PACE[opening.priority]
        story.wait(self.minutes(0.3, 4))
        owner = self.swarm_owner(template)
        story.assign(owner, AssignedBy.POLICY, None, self.why(owner, template))
        work = self.minutes(*SWARM_WORK[template.difficulty]) * pace
        if self.rng.random() < 0.07:
            # The owner sees early that a colleague is the better fit and hands it over.
            story.wait(self.minutes(10, 90) * pace)
            new_owner = self.swarm_owner(template, exclude=[owner])
            why = self.why(new_owner, template).replace("Best available match", "Better fit")
            story.assign(new_owner, AssignedBy.MANUAL, owner, why)
            owner = new_owner
        story.wait(work * 0.3)
        helpers = {1: (0.88, 0.12, 0.0), 2: (0.45, 0.45, 0.10), 3: (0.10, 0.60, 0.30)}
        n_helpers = self.rng.choices((0, 1, 2), weights=helpers[template.difficulty])[0]
        involved = [owner]
        for _ in range(n_helpers):
            self._swarm_helper(story, template, opening.case, owner, involved, pace)
            story.wait(self.minutes(5, 60) * pace)
        if self.rng.random() < 0.15:
            story.set_status(Status.PENDING, owner)
            story.wait(self.minutes(60, 1200))
            story.set_status(Status.OPEN, owner)
        story.wait(work * 0.7)
        story.resolve(owner, opening.case.resolution)

    def _swarm_helper(
        self,
        story: _Story,
        template: TicketTemplate,
        case: Case,
        owner: str,
        involved: list[str],
        pace: float,
    ) -> None:
        helper, skill = self.helper(template, involved)
        involved.append(helper)
        story.wait(self.minutes(2, 40) * pace)
        invitation = self._invite(story, owner, helper, skill)
        story.wait(self.minutes(1, 12))
        if self.rng.random() < 0.12:
            story.answer(invitation, accepted=False)
            helper, skill = self.helper(template, involved)
            involved.append(helper)
            story.wait(self.minutes(1, 5))
            invitation = self._invite(story, owner, helper, skill)
            story.wait(self.minutes(1, 12))
        story.answer(invitation, accepted=True)
        cause = case.cause
        story.wait(self.minutes(0.5, 3))
        story.say(owner, self.fill(self.rng.choice(OWNER_OPENERS)))
        story.wait(self.minutes(1, 15))
        story.say(helper, self.rng.choice(HELPER_LINES).format(cause=cause))
        story.wait(self.minutes(2, 30) * max(pace, 0.3))
        story.say(owner, self.rng.choice(OWNER_REPLIES))
        if self.rng.random() < 0.3:
            story.wait(self.minutes(2, 20))
            solution = f"Fix: {case.resolution}"
            story.say(helper, solution, MessageKind.SOLUTION)
        story.wait(self.minutes(1, 30) * max(pace, 0.3))
        story.leave(helper)

    def _invite(self, story: _Story, owner: str, helper: str, skill: str) -> _Invitation:
        note = self.rng.choice(INVITE_NOTES).format(skill=skill)
        reason = self.rng.choice(INVITE_REASONS).format(
            skill=skill, level=self.level(helper, skill)
        )
        return story.invite(owner, helper, note, reason)

    def _tiered(self, story: _Story, template: TicketTemplate, opening: _Opening) -> None:
        """Tier queues from L1 up to the tier that can solve it, maybe on to a vendor."""
        priority = opening.priority
        pace = PACE[priority]
        primary = template.skills[0][0]
        story.queue(1)
        target = self.rng.choices((1, 2, 3), weights=RESOLVE_TIER[template.difficulty])[0]
        to_vendor = bool(template.vendors) and self.rng.random() < (
            0.45 if template.difficulty == 3 else 0.25
        )
        if to_vendor:
            target = max(target, 2)
        tier = 1
        while True:
            queued_at = story.t
            story.wait(self.minutes(*TIER_QUEUE_WAIT[tier]) * pace)
            agent = self.tier_agent(tier, template)
            story.assign(agent, AssignedBy.PULL, agent, None)
            work = self.minutes(*TIER_WORK[tier]) * pace
            if tier >= target:
                break
            auto = self.rng.random() < (0.45 if priority in ("P1", "P2") else 0.3)
            if auto:
                limit = timedelta(minutes=TIER_TIME_LIMIT_MINUTES[priority])
                story.t = max(queued_at + limit, story.t + timedelta(minutes=1))
                story.escalate(tier + 1, "time_limit", None)
            else:
                story.wait(work * 0.8)
                story.say(
                    agent, self.rng.choice(ESCALATION_NOTES).format(skill=primary), MessageKind.NOTE
                )
                story.wait(1)
                story.escalate(tier + 1, "manual", agent)
            story.queue(tier + 1)
            tier += 1
        if to_vendor:
            self._vendor(story, template, agent, pace)
        else:
            story.wait(work * 0.5)
            if self.rng.random() < 0.15:
                story.say(agent, self.rng.choice(PENDING_NOTES), MessageKind.NOTE)
                story.set_status(Status.PENDING, agent)
                story.wait(self.minutes(60, 1200))
                story.set_status(Status.OPEN, agent)
            story.wait(work * 0.5)
        story.resolve(agent, opening.case.resolution)

    def _vendor(self, story: _Story, template: TicketTemplate, agent: str, pace: float) -> None:
        """Tier 4: the owner hands the case to a vendor and waits (pending) for the fix."""
        vendor = self.rng.choice(template.vendors)
        reference = f"{VENDOR_REF_PREFIX[vendor]}{self.rng.randint(100000, 999999)}"
        story.wait(self.minutes(30, 240) * pace)
        story.escalate(4, "manual", agent)
        story.vendor_handoff(vendor, reference, agent)
        story.set_status(Status.PENDING, agent, same_step=True)
        updates = ["acknowledged"]
        if self.rng.random() < 0.6:
            updates.append(self.rng.choice(("in_progress", "awaiting_info")))
        updates.append("solution_provided")
        for status in updates:
            story.wait(self.minutes(30, 1440) * max(pace, 0.4))
            story.vendor_update(status, self.rng.choice(VENDOR_NOTES[status]))
        story.wait(self.minutes(10, 240))
        story.set_status(Status.OPEN, agent)
        story.wait(self.minutes(15, 180) * max(pace, 0.4))

    def _reopen(self, story: _Story, opening: _Opening) -> None:
        """The requester reopens a few days later; the same owner finishes it."""
        owner = story.owner
        if owner is None:
            return
        story.wait(self.minutes(720, 4320))
        story.reopen(opening.requester, self.rng.choice(REOPEN_REASONS))
        story.wait(self.minutes(30, 600) * PACE[opening.priority])
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

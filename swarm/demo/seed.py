"""Write the demo organisation into the database, once, in one transaction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from swarm.accounts.passwords import hash_password
from swarm.clock import Clock
from swarm.db import begin_write
from swarm.demo.articles import LINKED_AFTER, demo_articles
from swarm.demo.content import ADMIN_EMAIL, MANAGERS
from swarm.demo.generate import (
    TIERS,
    DemoData,
    InvitationRef,
    MessageRef,
    SkillRef,
    UserRef,
    VendorRef,
    describe,
    generate_demo,
)
from swarm.dispatch.settings import store_tiers
from swarm.events import LIVE_SOURCE
from swarm.knowledge.capture import assemble
from swarm.models import (
    AgentProfile,
    AgentSkill,
    Article,
    ArticleContributor,
    ArticleReview,
    ArticleSkill,
    ArticleTicketLink,
    ArticleVersion,
    Invitation,
    Message,
    Participation,
    Skill,
    SkillGrowth,
    SkillRelation,
    Ticket,
    TicketDeadline,
    TicketEvent,
    TicketSkill,
    User,
    Vendor,
    VendorHandoff,
)
from swarm.models.knowledge import ArticleState, LinkKind
from swarm.models.users import Role

# Published in docs/demo.md and printed by the CLI: a demo database is not a place for secrets.
DEMO_PASSWORD = "swarm-demo"  # noqa: S105

Progress = Callable[[str, int, int], None]

_TICKET_CHUNK = 50
_EVENT_CHUNK = 500


@dataclass(frozen=True)
class DemoSummary:
    """What ``seed_demo`` wrote; all counts are 0 when ``created`` is False."""

    skills: int
    relations: int
    agents: int
    requesters: int
    tickets: int
    events: int
    created: bool
    articles: int = 0


NOTHING_CREATED = DemoSummary(0, 0, 0, 0, 0, 0, created=False)


def seed_demo(
    sessions: sessionmaker[Session],
    clock: Clock,
    *,
    progress: Progress | None = None,
) -> DemoSummary:
    """Seed the demo organisation unless it is already there.

    Preconditions: the schema exists. When ``admin@example.com`` already exists nothing is
    written and ``created`` is False; otherwise skills, people (password ``swarm-demo``),
    skill profiles, vendors and about 325 tickets with their events, messages, invitations,
    participations and vendor hand-offs are written in one transaction, with a history covering
    the 60 days before ``clock.now()`` — either all of it is committed or none. The open
    tickets' clocks and deadlines are stated as of ``clock.now()``: none is due then. On SQLite
    the write lock is taken first, so a second seeder waits and then finds the admin.
    ``progress(phase, done, total)`` is called as each phase advances. Events are written with
    source ``live`` and are not published: nobody is listening to a database being seeded.
    """
    report: Progress = progress or (lambda _phase, _done, _total: None)
    with sessions() as session:
        begin_write(session)
        if _demo_exists(session):
            session.rollback()
            return NOTHING_CREATED
        report("generate", 0, 1)
        data = generate_demo(clock.now())
        # argon2 is deliberately slow: one hash serves all 53 demo users.
        password_hash = hash_password(DEMO_PASSWORD)
        report("generate", 1, 1)
        try:
            summary = write_demo(session, data, password_hash, report)
            # The desk runs the tier settings its history was drawn with.
            admin = session.scalars(select(User).where(User.email == ADMIN_EMAIL)).one()
            store_tiers(session, TIERS, admin, clock.now())
            session.commit()
        except IntegrityError:
            # Another process (PostgreSQL has no up-front write lock) seeded it first.
            session.rollback()
            if _demo_exists(session):
                return NOTHING_CREATED
            raise
        return summary


def _demo_exists(session: Session) -> bool:
    return session.scalar(select(User.id).where(User.email == ADMIN_EMAIL)) is not None


def write_demo(
    session: Session, data: DemoData, password_hash: str, report: Progress
) -> DemoSummary:
    """Add every row of ``data`` to the session and flush; the caller commits.

    Rows are inserted in time order (tickets by creation, messages and events by timestamp),
    so that ids increase with time as they do in a live system.
    """
    counts = describe(data)
    skill_ids = _write_skills(session, data, report)
    user_ids = _write_people(session, data, password_hash, skill_ids, report)
    vendor_ids = _write_vendors(session, data)
    events, ticket_ids = _write_tickets(session, data, skill_ids, user_ids, vendor_ids, report)
    article_events, articles = _write_articles(session, data, ticket_ids, user_ids, skill_ids)
    events += article_events
    _write_events(session, events, report, len(events))
    roles = [p.role for p in data.people]
    return DemoSummary(
        skills=counts["skills"],
        relations=counts["relations"],
        agents=roles.count(Role.AGENT),
        requesters=roles.count(Role.REQUESTER),
        tickets=counts["tickets"],
        events=len(events),
        created=True,
        articles=articles,
    )


def _write_skills(session: Session, data: DemoData, report: Progress) -> dict[str, int]:
    total = len(data.skills) + len(data.relations)
    report("skills", 0, total)
    skills = {
        s.name: Skill(
            name=s.name, category=s.category, description=s.description, aliases=list(s.aliases)
        )
        for s in data.skills
    }
    session.add_all(skills.values())
    session.flush()
    ids = {name: skill.id for name, skill in skills.items()}
    session.add_all(
        SkillRelation(source_id=ids[source], target_id=ids[target], kind=kind, weight=weight)
        for source, target, kind, weight in data.relations
    )
    session.flush()
    report("skills", total, total)
    return ids


def _write_people(
    session: Session,
    data: DemoData,
    password_hash: str,
    skill_ids: dict[str, int],
    report: Progress,
) -> dict[str, int]:
    total = len(data.people) + len(data.agent_skills)
    report("people", 0, total)
    users: dict[str, User] = {}
    for person in data.people:
        user = User(
            email=person.email,
            name=person.name,
            role=person.role,
            password_hash=password_hash,
            active=True,
            created_at=person.created_at,
        )
        if person.has_profile:
            user.profile = AgentProfile(
                presence=person.presence,
                capacity=person.capacity,
                tier=person.tier,
                team=person.team,
                timezone=person.timezone,
                presence_at=person.presence_at,
            )
        users[person.email] = user
    session.add_all(users.values())
    session.flush()
    ids = {email: user.id for email, user in users.items()}
    session.add_all(
        AgentSkill(
            user_id=ids[row.email],
            skill_id=skill_ids[row.skill],
            proficiency=row.proficiency,
            wants_to_learn=row.wants_to_learn,
            evidence=row.evidence,
            last_used_at=row.last_used_at,
            updated_at=row.last_used_at,
        )
        for row in data.agent_skills
    )
    session.flush()
    report("people", total, total)
    return ids


def _write_vendors(session: Session, data: DemoData) -> dict[str, int]:
    # The vendor contracts date from when the desk was set up (its first account).
    since = min(person.created_at for person in data.people)
    vendors = {
        v.name: Vendor(
            name=v.name,
            contact=v.contact,
            sla_seconds=v.sla_hours * 3600,
            active=True,
            created_at=since,
        )
        for v in data.vendors
    }
    session.add_all(vendors.values())
    session.flush()
    return {name: vendor.id for name, vendor in vendors.items()}


@dataclass(frozen=True)
class _PendingEvent:
    ticket_id: int
    spec_index: int
    type: str
    at: datetime
    actor_id: int | None
    data: dict[str, Any]


def _write_tickets(
    session: Session,
    data: DemoData,
    skill_ids: dict[str, int],
    user_ids: dict[str, int],
    vendor_ids: dict[str, int],
    report: Progress,
) -> tuple[list[_PendingEvent], list[int]]:
    """Tickets with their skills, clocks, deadlines, invitations, participations, messages,
    vendor hand-offs and the skill growth their resolutions caused.

    Returns the events, with user ids resolved, for ``_write_events`` to insert once every
    message and invitation they point at has its id, and the tickets' ids in spec order.
    """
    total = len(data.tickets)
    report("tickets", 0, total)
    ticket_ids: list[int] = []
    for start in range(0, total, _TICKET_CHUNK):
        chunk = data.tickets[start : start + _TICKET_CHUNK]
        rows = [
            Ticket(
                subject=t.subject,
                body=t.body,
                priority=t.priority,
                status=t.status,
                mode=t.mode,
                requester_id=user_ids[t.requester],
                owner_id=user_ids[t.owner] if t.owner else None,
                tier=t.tier,
                created_at=t.created_at,
                updated_at=t.updated_at,
                response_due_at=t.response_due_at,
                resolve_due_at=t.resolve_due_at,
                first_response_at=t.first_response_at,
                resolved_at=t.resolved_at,
                closed_at=t.closed_at,
                resolution=t.resolution,
                tier_entered_at=t.tier_entered_at,
                tier_paused_at=t.tier_paused_at,
                tier_paused_seconds=t.tier_paused_seconds,
            )
            for t in chunk
        ]
        session.add_all(rows)
        session.flush()
        ticket_ids += [row.id for row in rows]
        report("tickets", start + len(chunk), total)

    invitation_ids = _write_invitations(session, data, ticket_ids, user_ids)
    message_ids = _write_messages(session, data, ticket_ids, user_ids)
    session.add_all(
        TicketSkill(
            ticket_id=tid, skill_id=skill_ids[name], weight=weight, source="inferred", why=why
        )
        for tid, t in zip(ticket_ids, data.tickets, strict=True)
        for name, weight, why in t.skills
    )
    session.add_all(
        TicketDeadline(ticket_id=tid, kind=kind, due_at=due, created_at=t.updated_at)
        for tid, t in zip(ticket_ids, data.tickets, strict=True)
        for kind, due in t.deadlines
    )
    session.add_all(
        VendorHandoff(
            ticket_id=tid,
            vendor_id=vendor_ids[h.vendor],
            external_ref=h.external_ref,
            status=h.status,
            note=h.note,
            handed_off_at=h.handed_off_at,
            status_at=h.status_at,
            sla_seconds=h.sla_seconds,
            paused_at=h.clock.paused_at,
            paused_seconds=h.clock.paused_total.total_seconds(),
            overdue_at=h.overdue_at,
            closed_at=h.closed_at,
            actor_id=user_ids[h.actor] if h.actor else None,
        )
        for tid, t in zip(ticket_ids, data.tickets, strict=True)
        for h in t.handoffs
    )
    session.add_all(
        Participation(
            ticket_id=tid,
            user_id=user_ids[p.user],
            role=p.role,
            joined_at=p.joined_at,
            left_at=p.left_at,
        )
        for tid, t in zip(ticket_ids, data.tickets, strict=True)
        for p in t.participations
    )
    session.flush()

    def resolve(value: Any) -> Any:
        if isinstance(value, UserRef):
            return user_ids[value.email]
        if isinstance(value, SkillRef):
            return skill_ids[value.name]
        if isinstance(value, MessageRef):
            return message_ids[value.key]
        if isinstance(value, InvitationRef):
            return invitation_ids[value.key]
        if isinstance(value, VendorRef):
            return vendor_ids[value.name]
        if isinstance(value, list):
            return [resolve(item) for item in value]
        if isinstance(value, dict):
            return {key: resolve(item) for key, item in value.items()}
        return value

    session.add_all(
        SkillGrowth(
            user_id=user_ids[g.email],
            skill_id=skill_ids[g.skill],
            at=g.at,
            cause="evidence",
            proficiency_before=g.before,
            proficiency_after=g.after,
            wants_to_learn=g.wants_to_learn,
            evidence=g.evidence,
            ticket_id=ticket_ids[g.ticket],
        )
        for g in data.growth
    )
    session.flush()
    events = [
        _PendingEvent(
            ticket_id=tid,
            spec_index=index,
            type=e.type,
            at=e.at,
            actor_id=user_ids[e.actor] if e.actor else None,
            data={key: resolve(value) for key, value in e.data.items()},
        )
        for index, (tid, t) in enumerate(zip(ticket_ids, data.tickets, strict=True))
        for e in t.events
    ]
    return events, ticket_ids


def _write_articles(
    session: Session,
    data: DemoData,
    ticket_ids: Sequence[int],
    user_ids: dict[str, int],
    skill_ids: dict[str, int],
) -> tuple[list[_PendingEvent], int]:
    """The demo's knowledge base (swarm/demo/articles.py): published articles with their
    version, review, skills, contributors and links; returns their events for
    ``_write_events`` to place in time order with the rest, and how many articles."""
    names = {p.email: p.name for p in data.people}
    specs = demo_articles(data, MANAGERS[0][0])
    events: list[_PendingEvent] = []
    for spec in specs:
        source = data.tickets[spec.source]
        source_id = ticket_ids[spec.source]
        assert source.owner is not None
        draft = assemble(
            ticket_id=source_id,
            subject=source.subject,
            resolution=source.resolution or "",
            owner=(user_ids[source.owner], names[source.owner]),
        )
        author, reviewer = user_ids[spec.author], user_ids[spec.reviewer]
        article = Article(
            title=draft.title,
            body=draft.body,
            visibility=spec.visibility,
            state=ArticleState.PUBLISHED,
            author_id=author,
            created_at=spec.created_at,
            updated_at=spec.created_at,
            published_at=spec.published_at,
            version=1,
        )
        article.skills = [
            ArticleSkill(skill_id=skill_ids[name]) for name, _w, _why in source.skills
        ]
        article.contributors = [
            ArticleContributor(user_id=user_ids[email], role=role, position=n)
            for n, (email, role) in enumerate(spec.contributors)
        ]
        article.reviews = [ArticleReview(reviewer_id=reviewer, version=1, at=spec.published_at)]
        session.add(article)
        session.flush()
        session.add(
            ArticleVersion(
                article_id=article.id,
                number=1,
                title=article.title,
                body=article.body,
                category=None,
                visibility=article.visibility,
                author_id=author,
                saved_at=spec.created_at,
            )
        )
        links = [(spec.source, LinkKind.SOURCE, author, spec.created_at)]
        for index in spec.reused:
            ticket = data.tickets[index]
            assert ticket.resolved_at is not None and ticket.owner is not None
            at = ticket.resolved_at + LINKED_AFTER
            links.append((index, LinkKind.RESOLVED, user_ids[ticket.owner], at))
        for index, kind, actor, at in links:
            session.add(
                ArticleTicketLink(
                    article_id=article.id,
                    ticket_id=ticket_ids[index],
                    kind=kind,
                    linked_by=actor,
                    linked_at=at,
                )
            )
            data_ = {"article_id": article.id, "kind": str(kind)}
            events.append(
                _PendingEvent(ticket_ids[index], index, "article_linked", at, actor, data_)
            )
        events.append(
            _PendingEvent(
                source_id,
                spec.source,
                "article_published",
                spec.published_at,
                reviewer,
                {"article_id": article.id, "version": 1},
            )
        )
    # A ticket's updated_at is its latest event's time, these included.
    for event in events:
        ticket_row = session.get(Ticket, event.ticket_id)
        if ticket_row is not None and ticket_row.updated_at < event.at:
            ticket_row.updated_at = event.at
    session.flush()
    return events, len(specs)


def _write_invitations(
    session: Session, data: DemoData, ticket_ids: Sequence[int], user_ids: dict[str, int]
) -> dict[int, int]:
    rows: dict[int, Invitation] = {
        i.key: Invitation(
            ticket_id=tid,
            inviter_id=user_ids[i.inviter],
            invitee_id=user_ids[i.invitee],
            status=i.status,
            note=i.note,
            reason=i.reason,
            created_at=i.created_at,
            expires_at=i.expires_at,
            responded_at=i.responded_at,
        )
        for tid, t in zip(ticket_ids, data.tickets, strict=True)
        for i in t.invitations
    }
    ordered: list[Invitation] = sorted(rows.values(), key=lambda inv: inv.created_at)
    session.add_all(ordered)
    session.flush()
    return {key: row.id for key, row in rows.items()}


def _write_messages(
    session: Session, data: DemoData, ticket_ids: Sequence[int], user_ids: dict[str, int]
) -> dict[int, int]:
    specs = sorted(
        ((m.at, index, m) for index, t in enumerate(data.tickets) for m in t.messages),
        key=lambda item: (item[0], item[1]),
    )
    rows = {
        m.key: Message(
            ticket_id=ticket_ids[index],
            author_id=user_ids[m.author],
            body=m.body,
            kind=m.kind,
            created_at=m.at,
        )
        for _, index, m in specs
    }
    # Added in time order, so ids increase with time: the live rooms replay from the last
    # message id a client saw.
    session.add_all(rows.values())
    session.flush()
    return {key: row.id for key, row in rows.items()}


def _write_events(
    session: Session, events: list[_PendingEvent], report: Progress, total: int
) -> None:
    report("events", 0, total)
    ordered = sorted(events, key=lambda e: (e.at, e.spec_index))
    for start in range(0, len(ordered), _EVENT_CHUNK):
        chunk = ordered[start : start + _EVENT_CHUNK]
        session.add_all(
            TicketEvent(
                ticket_id=e.ticket_id,
                type=e.type,
                actor_id=e.actor_id,
                at=e.at,
                data=e.data,
                source=LIVE_SOURCE,
            )
            for e in chunk
        )
        session.flush()
        report("events", start + len(chunk), total)

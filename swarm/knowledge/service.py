"""Knowledge-base use cases: write, review, publish, archive and find articles.

Who may do what (docs/knowledge.md):

- **staff** (agents, managers, admins) write: create, edit any article, submit for review;
- **publishing** needs a second pair of eyes: a staff member other than the author publishes an
  article that is in review (and is recorded as its reviewer); a manager or an admin may also
  publish their own, or straight from a draft, or bring back an archived one;
- **archiving** and **deleting**: the author (deleting only before publication) or a manager or
  admin;
- **requesters and guests** read published public articles only. Anything else does not exist
  for them (``NotFound``), so that ids tell nothing.

Every save writes an :class:`ArticleVersion`; ``Article.version`` is its number and the
optimistic lock. An edit names the version it started from: if another save came first the
edit is refused with ``Conflict`` and changes nothing, so the first writer's text is kept and
the second still holds theirs. The check runs on the locked row (``FOR UPDATE`` on
PostgreSQL, the write lock taken up front on SQLite), so two saves cannot both pass it.
State changes (submit, publish, archive) do not change the version: a reviewer approves a
text, and the text has a number. Each use case owns its transaction and commits it.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from swarm.clock import Clock
from swarm.db import begin_write
from swarm.events import LIVE_SOURCE, EventType
from swarm.knowledge import search as kb_search
from swarm.knowledge.capture import draft_for_ticket
from swarm.knowledge.freshness import Freshness, Staleness, freshness
from swarm.knowledge.links import add_link
from swarm.knowledge.render import clean_text, render_markdown
from swarm.knowledge.similar import SimilarTicket, similar_articles, similar_tickets
from swarm.models import (
    Article,
    ArticleCheck,
    ArticleContributor,
    ArticleReview,
    ArticleSkill,
    ArticleTicketLink,
    ArticleVersion,
    Skill,
    Ticket,
    TicketEvent,
    User,
)
from swarm.models.knowledge import (
    BODY_MAX_BYTES,
    CATEGORY_MAX,
    TITLE_MAX,
    ArticleState,
    LinkKind,
    Visibility,
)
from swarm.models.tickets import Status
from swarm.models.users import Role
from swarm.tickets.access import can_view
from swarm.tickets.errors import (
    Conflict,
    Forbidden,
    IllegalTransition,
    Invalid,
    NotFound,
    TooLarge,
)

T = TypeVar("T")
MAX_SKILLS = 20


@dataclass(frozen=True)
class Found:
    """An article a search found, with how it matched."""

    article: Article
    hit: kb_search.Hit


@dataclass(frozen=True)
class Diff:
    """What changed between two versions of an article (unified diffs, empty when equal)."""

    from_version: int
    to_version: int
    title: str
    body: str
    category_changed: bool
    visibility_changed: bool


@dataclass(frozen=True)
class TicketKnowledge:
    """What the knowledge base knows around one ticket (``KnowledgeService.around_ticket``)."""

    ticket_id: int
    similar: list[SimilarTicket]
    articles: list[Found]
    linked: list[tuple[ArticleTicketLink, Article]]
    captured: Article | None


def scope_for(user: User) -> kb_search.Scope:
    """What ``user`` may find: staff every article but archived ones, everyone else the
    published public ones."""
    return kb_search.STAFF if user.is_staff else kb_search.PUBLIC


def can_read(user: User, article: Article) -> bool:
    if user.is_staff:
        return True
    return article.state == ArticleState.PUBLISHED and article.visibility == Visibility.PUBLIC


def _is_lead(user: User) -> bool:
    return user.has_role(Role.MANAGER)


class KnowledgeService:
    def __init__(self, session: Session, clock: Clock, staleness: Staleness | None = None) -> None:
        self.session = session
        self.clock = clock
        self.staleness = staleness or Staleness()

    # ------------------------------------------------------------------ reading

    def get(self, user: User, article_id: int) -> Article:
        """The article, if ``user`` may read it; ``NotFound`` otherwise."""
        article = self.session.get(Article, article_id)
        if article is None or not can_read(user, article):
            raise NotFound(f"There is no article {article_id}.")
        return article

    def versions(self, user: User, article_id: int) -> list[ArticleVersion]:
        """Every saved version, oldest first (staff only; others get ``NotFound``)."""
        self._require_staff_view(user, article_id)
        return list(
            self.session.scalars(
                select(ArticleVersion)
                .where(ArticleVersion.article_id == article_id)
                .order_by(ArticleVersion.number)
            )
        )

    def diff(self, user: User, article_id: int, from_version: int, to_version: int) -> Diff:
        """Unified diffs of title and body from one saved version to another (staff only)."""
        by_number = {v.number: v for v in self.versions(user, article_id)}
        missing = [n for n in (from_version, to_version) if n not in by_number]
        if missing:
            raise NotFound(f"Article {article_id} has no version {missing[0]}.")
        old, new = by_number[from_version], by_number[to_version]

        def unified(a: str, b: str, what: str) -> str:
            lines = difflib.unified_diff(
                a.splitlines(keepends=True),
                b.splitlines(keepends=True),
                fromfile=f"{what} v{from_version}",
                tofile=f"{what} v{to_version}",
            )
            return "".join(line if line.endswith("\n") else line + "\n" for line in lines)

        return Diff(
            from_version,
            to_version,
            unified(old.title, new.title, "title"),
            unified(old.body, new.body, "body"),
            old.category != new.category,
            old.visibility != new.visibility,
        )

    def links(self, user: User, article_id: int) -> list[ArticleTicketLink]:
        """The article's links to tickets, oldest first (staff only)."""
        self._require_staff_view(user, article_id)
        return list(
            self.session.scalars(
                select(ArticleTicketLink)
                .where(ArticleTicketLink.article_id == article_id)
                .order_by(ArticleTicketLink.id)
            )
        )

    def browse(self, user: User, *, limit: int = 20, offset: int = 0) -> list[Article]:
        """Articles ``user`` may find, most recently updated first (the index without a
        query)."""
        scope = scope_for(user)
        return list(
            self.session.scalars(
                select(Article)
                .where(Article.state.in_(scope.states), Article.visibility.in_(scope.visibilities))
                .order_by(Article.updated_at.desc(), Article.id.desc())
                .limit(limit)
                .offset(offset)
            )
        )

    def search(self, user: User, q: str, *, limit: int = 20, offset: int = 0) -> list[Found]:
        """Articles ``user`` may read that match every word of ``q`` (the last one as a
        prefix while typing), best first."""
        hits = kb_search.search(self.session, q, scope_for(user), limit=limit, offset=offset)
        return self._with_articles(hits)

    def suggest(self, user: User, text: str, *, limit: int = 5) -> list[Found]:
        """Published public articles that match a draft ticket's ``text`` (any of its words,
        the more the better) — what a requester would be offered, whoever asks."""
        hits = kb_search.search(
            self.session, text, kb_search.PUBLIC, match=kb_search.Match.ANY, limit=limit
        )
        return self._with_articles(hits)

    def _with_articles(self, hits: Sequence[kb_search.Hit]) -> list[Found]:
        if not hits:
            return []
        ids = [hit.article_id for hit in hits]
        articles = {
            a.id: a for a in self.session.scalars(select(Article).where(Article.id.in_(ids)))
        }
        return [Found(articles[hit.article_id], hit) for hit in hits if hit.article_id in articles]

    def preview(self, user: User, body: str) -> str:
        """``body`` rendered as the article page would show it (staff, who write)."""
        self._require_staff(user, "preview articles")
        _checked(title="preview", body=body, category=None, visibility=Visibility.INTERNAL)
        return render_markdown(body)

    # ------------------------------------------------------------------ writing

    def create(
        self,
        user: User,
        *,
        title: str,
        body: str,
        category: str | None = None,
        skills: Iterable[int] = (),
        visibility: str = Visibility.INTERNAL,
    ) -> Article:
        """A new draft by ``user`` (staff), with its version 1."""
        self._require_staff(user, "write articles")
        fields = _checked(title=title, body=body, category=category, visibility=visibility)

        def change() -> Article:
            now = self.clock.now()
            article = Article(
                **fields,
                state=ArticleState.DRAFT,
                author_id=user.id,
                created_at=now,
                updated_at=now,
            )
            article.skills = [ArticleSkill(skill_id=i) for i in self._skill_ids(skills)]
            self.session.add(article)
            self.session.flush()
            self._record_version(article, user)
            return article

        return self._transaction(change)

    def update(self, user: User, article_id: int, version: int, changes: dict[str, Any]) -> Article:
        """Apply ``changes`` (title, body, category, skills, visibility) to the article as it
        was at ``version``; a new version is saved. ``Conflict`` if the article has moved on
        since (nothing is written). The state does not change: a published article stays
        published with its new text."""
        self._require_staff(user, "edit articles")

        def change() -> Article:
            article = self._for_update(article_id)
            if article.version != version:
                raise Conflict(
                    f"Article {article_id} is at version {article.version}, not {version}: "
                    "someone saved it meanwhile. Reload it, merge your changes and save again."
                )
            fields = _checked(
                title=changes.get("title", article.title),
                body=changes.get("body", article.body),
                category=changes.get("category", article.category),
                visibility=changes.get("visibility", article.visibility),
            )
            for name, value in fields.items():
                setattr(article, name, value)
            if "skills" in changes:
                wanted = self._skill_ids(changes["skills"])
                kept = [s for s in article.skills if s.skill_id in wanted]
                have = {s.skill_id for s in kept}
                article.skills = kept + [ArticleSkill(skill_id=i) for i in wanted if i not in have]
            article.updated_at = self.clock.now()
            article.version += 1
            self._record_version(article, user)
            return article

        return self._transaction(change)

    def submit(self, user: User, article_id: int) -> Article:
        """A draft goes to review (any staff member)."""
        self._require_staff(user, "submit articles")

        def change() -> Article:
            article = self._for_update(article_id)
            self._move(article, {ArticleState.DRAFT}, ArticleState.IN_REVIEW)
            return article

        return self._transaction(change)

    def publish(self, user: User, article_id: int, version: int | None = None) -> Article:
        """Publish: an article in review by a staff member other than its author (recorded as
        reviewer of this version); by a manager or admin also their own, a draft, or an
        archived article. Given ``version`` (the one the reviewer read), ``Conflict`` if the
        article was saved since."""
        self._require_staff(user, "publish articles")

        def change() -> Article:
            article = self._for_update(article_id)
            if version is not None and article.version != version:
                raise Conflict(
                    f"Article {article_id} is at version {article.version}, not {version}: "
                    "it changed after you read it. Review it again."
                )
            lead = _is_lead(user)
            if article.author_id == user.id and not lead:
                raise Forbidden(
                    "An article needs a reviewer other than its author: ask a colleague "
                    "or a manager to publish it."
                )
            allowed = {ArticleState.IN_REVIEW}
            if lead:
                allowed |= {ArticleState.DRAFT, ArticleState.ARCHIVED}
            if article.state == ArticleState.DRAFT and not lead:
                raise IllegalTransition("Submit the draft for review first.")
            self._move(article, allowed, ArticleState.PUBLISHED)
            article.published_at = self.clock.now()
            article.reviews.append(
                ArticleReview(reviewer_id=user.id, version=article.version, at=self.clock.now())
            )
            # The metrics' "time from resolve to published" reads this on the ticket the
            # article was captured from; an article written from nothing has no ticket.
            for ticket_id in self.session.scalars(
                select(ArticleTicketLink.ticket_id).where(
                    ArticleTicketLink.article_id == article_id,
                    ArticleTicketLink.kind == LinkKind.SOURCE,
                )
            ):
                self._event(
                    ticket_id,
                    EventType.ARTICLE_PUBLISHED,
                    user,
                    article_id=article_id,
                    version=article.version,
                )
            return article

        return self._transaction(change)

    def archive(self, user: User, article_id: int) -> Article:
        """Out of search and out of requesters' sight (its author, a manager or an admin)."""
        self._require_staff(user, "archive articles")

        def change() -> Article:
            article = self._for_update(article_id)
            if article.author_id != user.id and not _is_lead(user):
                raise Forbidden("Only the author, a manager or an admin can archive it.")
            self._move(
                article,
                {ArticleState.DRAFT, ArticleState.IN_REVIEW, ArticleState.PUBLISHED},
                ArticleState.ARCHIVED,
            )
            return article

        return self._transaction(change)

    def delete(self, user: User, article_id: int) -> None:
        """Gone with its versions and links: by its author before it is published, or by a
        manager or admin at any time (others archive instead)."""
        self._require_staff(user, "delete articles")

        def change() -> None:
            article = self._for_update(article_id)
            unpublished = article.state in (ArticleState.DRAFT, ArticleState.IN_REVIEW)
            if not (_is_lead(user) or (article.author_id == user.id and unpublished)):
                raise Forbidden(
                    "Only a manager or an admin can delete an article once it has been "
                    "published (or another's draft); archive it instead."
                )
            self.session.delete(article)

        self._transaction(change)

    def link_ticket(
        self, user: User, article_id: int, ticket_id: int, kind: str = LinkKind.RESOLVED
    ) -> ArticleTicketLink:
        """Record that the article came from (``source``) or helped resolve (``resolved``) a
        ticket, with an ``article_linked`` event on the ticket; linking the same pair twice
        returns the first link and writes nothing (staff only)."""
        self._require_staff(user, "link articles to tickets")
        if kind not in set(LinkKind):
            raise Invalid(f"A link is 'source' or 'resolved', not {kind!r}.")

        def change() -> ArticleTicketLink:
            self._for_update(article_id)
            if self.session.get(Ticket, ticket_id) is None:
                raise NotFound(f"There is no ticket {ticket_id}.")
            link = add_link(self.session, article_id, ticket_id, kind, user.id, self.clock.now())
            if link is None:
                existing = self.session.scalar(
                    select(ArticleTicketLink).where(
                        ArticleTicketLink.article_id == article_id,
                        ArticleTicketLink.ticket_id == ticket_id,
                        ArticleTicketLink.kind == kind,
                    )
                )
                assert existing is not None
                return existing
            self._event(ticket_id, EventType.ARTICLE_LINKED, user, article_id=article_id, kind=kind)
            return link

        return self._transaction(change)

    # ------------------------------------------------------------------ capture

    def draft_from_ticket(self, user: User, ticket_id: int) -> Article:
        """ "Draft an article from this swarm": a new internal draft by ``user`` (staff)
        assembled from a resolved or closed ticket (swarm/knowledge/capture.py), attributed
        to its owner and to who wrote the room's ``solution`` messages, linked to the ticket
        as its ``source`` (``article_linked``). ``Conflict`` naming the article when the
        ticket already has one that is not archived: one ticket, one captured article."""

        def change() -> Article:
            ticket = self.session.get(Ticket, ticket_id)
            # Another's ticket does not exist for a requester; their own is not theirs to draft.
            if ticket is None or not can_view(user, ticket, self.clock.now()):
                raise NotFound(f"There is no ticket {ticket_id}.")
            self._require_staff(user, "draft articles")
            if ticket.status not in (Status.RESOLVED, Status.CLOSED):
                raise IllegalTransition(
                    f"Ticket {ticket_id} is {ticket.status}: an article is drafted from a "
                    "resolved ticket, once it says what solved it."
                )
            existing = self.captured_from(ticket_id)
            if existing is not None:
                raise Conflict(
                    f"Ticket {ticket_id} already has article {existing.id} drafted from it "
                    f"({existing.state.replace('_', ' ')}): edit that one."
                )
            draft = draft_for_ticket(self.session, ticket)
            now = self.clock.now()
            fields = _checked(
                title=draft.title, body=draft.body, category=None, visibility=Visibility.INTERNAL
            )
            article = Article(
                **fields,
                state=ArticleState.DRAFT,
                author_id=user.id,
                created_at=now,
                updated_at=now,
            )
            article.skills = [ArticleSkill(skill_id=s.skill_id) for s in ticket.skills]
            article.contributors = [
                ArticleContributor(user_id=uid, role=role, position=n)
                for n, (uid, role) in enumerate(draft.contributors)
            ]
            self.session.add(article)
            self.session.flush()
            self._record_version(article, user)
            add_link(self.session, article.id, ticket_id, LinkKind.SOURCE, user.id, now)
            self._event(
                ticket_id, EventType.ARTICLE_LINKED, user, article_id=article.id, kind="source"
            )
            return article

        return self._transaction(change)

    def captured_from(self, ticket_id: int) -> Article | None:
        """The article drafted from ``ticket_id`` that is not archived, if any."""
        return self.session.scalar(
            select(Article)
            .join(ArticleTicketLink, ArticleTicketLink.article_id == Article.id)
            .where(
                ArticleTicketLink.ticket_id == ticket_id,
                ArticleTicketLink.kind == LinkKind.SOURCE,
                Article.state != ArticleState.ARCHIVED,
            )
            .order_by(Article.id)
            .limit(1)
        )

    def for_ticket(self, user: User, ticket_id: int) -> list[tuple[ArticleTicketLink, Article]]:
        """The articles linked to a ticket (drafted from it, or that helped resolve it), oldest
        link first — staff only: what requesters are shown is the portal's business."""
        if not user.is_staff:
            return []
        rows = self.session.execute(
            select(ArticleTicketLink, Article)
            .join(Article, Article.id == ArticleTicketLink.article_id)
            .where(ArticleTicketLink.ticket_id == ticket_id)
            .order_by(ArticleTicketLink.id)
        ).all()
        return [(link, article) for link, article in rows]

    def around_ticket(self, user: User, ticket_id: int) -> TicketKnowledge:
        """The ticket page's Knowledge panel (staff): similar resolved tickets, matching
        published articles, the articles linked to this ticket and the one drafted from it.
        ``NotFound`` for a ticket the caller may not see, ``Forbidden`` for a requester's own."""
        ticket = self.session.get(Ticket, ticket_id)
        if ticket is None or not can_view(user, ticket, self.clock.now()):
            raise NotFound(f"There is no ticket {ticket_id}.")
        self._require_staff(user, "see the knowledge around a ticket")
        tickets = similar_tickets(self.session, ticket)
        articles = self._with_articles(similar_articles(self.session, ticket))
        return TicketKnowledge(
            ticket_id=ticket_id,
            similar=tickets,
            articles=articles,
            linked=self.for_ticket(user, ticket_id),
            captured=self.captured_from(ticket_id),
        )

    # ------------------------------------------------------------------ still accurate?

    def freshness(self, user: User, article_ids: Iterable[int]) -> dict[int, Freshness]:
        """The "still accurate?" state of the published articles among ``article_ids``
        (swarm/knowledge/freshness.py); empty for anyone but staff."""
        if not user.is_staff:
            return {}
        return freshness(self.session, article_ids, self.clock.now(), self.staleness)

    def confirm(self, user: User, article_id: int) -> Article:
        """A staff member checked a published article and it is still accurate: recorded
        (``article_checks``, with the version read and why it was flagged), which clears the
        flag until the next ``SWARM_KB_STALE_REUSES`` reuses or ``SWARM_KB_STALE_MONTHS``."""
        self._require_staff(user, "confirm articles")

        def change() -> Article:
            article = self._for_update(article_id)
            if article.state != ArticleState.PUBLISHED:
                raise IllegalTransition(
                    f"Article {article_id} is {article.state.replace('_', ' ')}: only a "
                    "published article is confirmed as still accurate."
                )
            now = self.clock.now()
            state = freshness(self.session, [article_id], now, self.staleness).get(article_id)
            self.session.add(
                ArticleCheck(
                    article_id=article_id,
                    checked_by=user.id,
                    at=now,
                    version=article.version,
                    reason=state.reason if state else None,
                )
            )
            return article

        return self._transaction(change)

    def checks(self, user: User, article_id: int) -> list[ArticleCheck]:
        """Every confirmation of the article, oldest first (staff only)."""
        self._require_staff_view(user, article_id)
        return list(
            self.session.scalars(
                select(ArticleCheck)
                .where(ArticleCheck.article_id == article_id)
                .order_by(ArticleCheck.id)
            )
        )

    # ------------------------------------------------------------------ internals

    @staticmethod
    def _require_staff(user: User, doing: str) -> None:
        if not user.is_staff:
            raise Forbidden(f"Only agents, managers and admins can {doing}.")

    def _require_staff_view(self, user: User, article_id: int) -> None:
        # Version history is staff-only; to anyone else the article may as well not exist.
        if not user.is_staff or self.session.get(Article, article_id) is None:
            raise NotFound(f"There is no article {article_id}.")

    def _for_update(self, article_id: int) -> Article:
        # The row is locked (PostgreSQL) and read afresh: the version check below must see the
        # latest save, not the one this session loaded earlier.
        article = self.session.scalar(
            select(Article)
            .where(Article.id == article_id)
            .with_for_update(of=Article)
            .execution_options(populate_existing=True)
        )
        if article is None:
            raise NotFound(f"There is no article {article_id}.")
        return article

    @staticmethod
    def _move(article: Article, sources: set[ArticleState], target: ArticleState) -> None:
        if article.state not in sources:
            raise IllegalTransition(
                f"Article {article.id} is {article.state.replace('_', ' ')}: "
                f"it cannot become {target.replace('_', ' ')}."
            )
        article.state = target

    def _skill_ids(self, skills: Iterable[int]) -> list[int]:
        wanted = list(dict.fromkeys(int(i) for i in skills))
        if len(wanted) > MAX_SKILLS:
            raise Invalid(
                f"At most {MAX_SKILLS} skills per article.", fields={"skills": ["Too many."]}
            )
        if not wanted:
            return []
        known = set(self.session.scalars(select(Skill.id).where(Skill.id.in_(wanted))))
        unknown = [i for i in wanted if i not in known]
        if unknown:
            raise Invalid(
                f"There is no skill {', '.join(map(str, unknown))}.",
                fields={"skills": [f"Unknown skill id {i}." for i in unknown]},
            )
        return wanted

    def _record_version(self, article: Article, user: User) -> None:
        self.session.add(
            ArticleVersion(
                article_id=article.id,
                number=article.version,
                title=article.title,
                body=article.body,
                category=article.category,
                visibility=article.visibility,
                author_id=user.id,
                saved_at=article.updated_at,
            )
        )

    def _event(self, ticket_id: int, event_type: EventType, user: User, **data: Any) -> None:
        # Staff-only events (swarm/events.py gives requesters and guests no view of them),
        # written in the change's transaction. Not pushed to the live rooms: the knowledge
        # service has no notifier; the ticket page shows them on its next load. As every
        # event, it updates the ticket (its updated_at is its latest event's time).
        ticket = self.session.get(Ticket, ticket_id)
        if ticket is not None:
            ticket.updated_at = self.clock.now()
        self.session.add(
            TicketEvent(
                ticket_id=ticket_id,
                type=event_type.value,
                actor_id=user.id,
                at=self.clock.now(),
                data=data,
                source=LIVE_SOURCE,
            )
        )

    def _transaction(self, change: Callable[[], T]) -> T:
        begin_write(self.session)
        try:
            result = change()
            self.session.flush()
            self.session.commit()
        except BaseException:
            self.session.rollback()
            raise
        return result


def _checked(*, title: str, body: str, category: str | None, visibility: str) -> dict[str, Any]:
    """The article's fields cleaned (control characters out, spaces trimmed), or ``Invalid``
    / ``TooLarge`` with a sentence a person can act on."""
    title = " ".join(clean_text(title).split())
    body = clean_text(body)
    category = " ".join(clean_text(category or "").split()) or None
    if not title:
        raise Invalid("An article needs a title.", fields={"title": ["Required."]})
    if len(title) > TITLE_MAX:
        raise Invalid(
            f"A title is at most {TITLE_MAX} characters; this one has {len(title)}.",
            fields={"title": [f"Longer than {TITLE_MAX} characters."]},
        )
    size = len(body.encode())
    if size > BODY_MAX_BYTES:
        raise TooLarge(
            f"The body is {size / 1024:.0f} KB; an article may be at most "
            f"{BODY_MAX_BYTES // 1024} KB. Split it into several articles.",
            fields={"body": [f"Over {BODY_MAX_BYTES // 1024} KB."]},
        )
    if category is not None and len(category) > CATEGORY_MAX:
        raise Invalid(
            f"A category is at most {CATEGORY_MAX} characters.",
            fields={"category": [f"Longer than {CATEGORY_MAX} characters."]},
        )
    if visibility not in set(Visibility):
        raise Invalid(
            "Visibility is 'internal' or 'public'.", fields={"visibility": ["Unknown value."]}
        )
    return {"title": title, "body": body, "category": category, "visibility": visibility}

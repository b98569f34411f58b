"""The self-service portal's use cases: search the public knowledge base, record what a
requester was shown and opened while typing a ticket, a deflection ("this solved it"), and the
articles a requester sees on their own ticket.

What is recorded is evidence (docs/knowledge.md, "The portal"): an ``article_suggested`` row is
written only when the requester's page reports that it *displayed* the suggestion (the portal
script reports what it put on the screen, once per article and visit), an ``article_viewed``
only when they opened the article, and ``deflected`` only for an article they had been shown
or had opened in that visit. Rendering a page writes nothing. Until there is a ticket these
live in ``portal_events`` (swarm/models/portal.py); "still need help" opens the ticket with
the shown articles attached as its own ``article_suggested`` events and ties the visit to it.

Only requesters use the portal this way: staff asking would record nothing a metric should
count, so they are refused (``Forbidden``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from swarm.clock import Clock
from swarm.db import begin_write
from swarm.events import LIVE_SOURCE, EventType
from swarm.knowledge import search as kb_search
from swarm.knowledge.service import Found
from swarm.models import Article, ArticleTicketLink, PortalEvent, Ticket, TicketEvent, User
from swarm.models.knowledge import ArticleState, LinkKind, Visibility
from swarm.models.portal import VISIT_MAX
from swarm.models.tickets import Mode
from swarm.tickets.errors import Conflict, Forbidden, Invalid, NotFound

T = TypeVar("T")
#: At most this many articles in one report: the portal shows five suggestions at a time.
MAX_REPORTED = 10
ARTICLE_ID_MAX = 2**31 - 1
SEEN_TYPES = (EventType.ARTICLE_SUGGESTED.value, EventType.ARTICLE_VIEWED.value)
_VISIT = re.compile(rf"^[A-Za-z0-9_-]{{8,{VISIT_MAX}}}$")


@dataclass(frozen=True)
class TicketArticle:
    """A public article shown on a requester's ticket, and why it is there: ``attached``
    (shown to them before they asked), ``offered`` (the ticket is a known issue in tiered
    mode) or ``linked`` (staff linked it as what resolved the ticket)."""

    article: Article
    why: str


def _is_public(article: Article | None) -> bool:
    return (
        article is not None
        and article.state == ArticleState.PUBLISHED
        and article.visibility == Visibility.PUBLIC
    )


class PortalService:
    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    # ------------------------------------------------------------------ reading

    def search(self, q: str, *, limit: int = 10) -> list[Found]:
        """Published public articles matching every word of ``q``, best first — whoever
        asks: the portal shows what a requester would find."""
        hits = kb_search.search(self.session, q, kb_search.PUBLIC, limit=limit)
        if not hits:
            return []
        found = {
            a.id: a
            for a in self.session.scalars(
                select(Article).where(Article.id.in_([h.article_id for h in hits]))
            )
        }
        return [Found(found[h.article_id], h) for h in hits if h.article_id in found]

    def ticket_articles(self, ticket: Ticket) -> list[TicketArticle]:
        """The published public articles that belong on ``ticket``'s requester view (the
        caller has checked the viewer may see the ticket), each once, in the order above."""
        wanted: dict[int, str] = {}
        attached = self.session.scalars(
            select(TicketEvent.data).where(
                TicketEvent.ticket_id == ticket.id,
                TicketEvent.source == LIVE_SOURCE,
                TicketEvent.type.in_([EventType.ARTICLE_SUGGESTED, EventType.CLASSIFIED]),
            )
        )
        for data in attached:
            article_id = (data or {}).get("article_id")
            if not isinstance(article_id, int):
                continue
            if (data or {}).get("via") == "portal":
                wanted.setdefault(article_id, "attached")
            elif (data or {}).get("kind") == "known" and ticket.mode == Mode.TIERED:
                # Tier 0 in tiered mode: the known issue's answer is offered to the requester.
                wanted.setdefault(article_id, "offered")
        for article_id in self.session.scalars(
            select(ArticleTicketLink.article_id)
            .where(
                ArticleTicketLink.ticket_id == ticket.id,
                ArticleTicketLink.kind == LinkKind.RESOLVED,
            )
            .order_by(ArticleTicketLink.id)
        ):
            wanted.setdefault(article_id, "linked")
        if not wanted:
            return []
        articles = {
            a.id: a for a in self.session.scalars(select(Article).where(Article.id.in_(wanted)))
        }
        return [
            TicketArticle(articles[i], why)
            for i, why in wanted.items()
            if _is_public(articles.get(i))
        ]

    # ------------------------------------------------------------------ recording

    def record_seen(
        self, user: User, visit: str, event_type: str, article_ids: Sequence[int]
    ) -> int:
        """Record that the requester's page displayed (``article_suggested``) or that they
        opened (``article_viewed``) these articles during ``visit``. Each (visit, type,
        article) is kept once; returns how many rows are new. Every article must be one they
        may read, or nothing is recorded (``NotFound``)."""
        self._require_requester(user)
        visit = self._checked_visit(visit)
        if event_type not in SEEN_TYPES:
            raise Invalid(
                "A portal report is article_suggested or article_viewed.",
                fields={"type": ["Unknown type."]},
            )
        ids = list(dict.fromkeys(article_ids))
        if not ids or len(ids) > MAX_REPORTED:
            raise Invalid(
                f"Report 1 to {MAX_REPORTED} articles at a time.",
                fields={"article_ids": [f"1 to {MAX_REPORTED} ids."]},
            )

        def change() -> int:
            self._require_public(ids)
            self._require_open_visit(user, visit)
            already = set(
                self.session.scalars(
                    select(PortalEvent.article_id).where(
                        PortalEvent.user_id == user.id,
                        PortalEvent.visit == visit,
                        PortalEvent.type == event_type,
                        PortalEvent.article_id.in_(ids),
                    )
                )
            )
            now = self.clock.now()
            fresh = [i for i in ids if i not in already]
            for article_id in fresh:
                self.session.add(
                    PortalEvent(
                        user_id=user.id,
                        visit=visit,
                        type=event_type,
                        article_id=article_id,
                        at=now,
                        source=LIVE_SOURCE,
                        data={},
                    )
                )
            return len(fresh)

        return self._transaction(change)

    def deflect(self, user: User, visit: str, article_id: int) -> PortalEvent:
        """ "This solved it": the visit ends without a ticket, credited to ``article_id``,
        which must have been shown to or opened by the requester in this visit."""
        self._require_requester(user)
        visit = self._checked_visit(visit)

        def change() -> PortalEvent:
            self._require_public([article_id])
            self._require_open_visit(user, visit)
            seen = self.session.scalar(
                select(PortalEvent.id).where(
                    PortalEvent.user_id == user.id,
                    PortalEvent.visit == visit,
                    PortalEvent.type.in_(SEEN_TYPES),
                    PortalEvent.article_id == article_id,
                )
            )
            if seen is None:
                # A state of the visit, not a malformed request: 409, like an ended visit.
                raise Conflict(
                    f"Article {article_id} was not shown in this visit: only an article you "
                    "saw can have solved it."
                )
            row = PortalEvent(
                user_id=user.id,
                visit=visit,
                type=EventType.DEFLECTED.value,
                article_id=article_id,
                at=self.clock.now(),
                source=LIVE_SOURCE,
                data={},
            )
            self.session.add(row)
            return row

        return self._transaction(change)

    def shown_in(self, user: User, visit: str, article_ids: Sequence[int]) -> list[int]:
        """Of ``article_ids``, those the requester's page reported displaying in ``visit``
        (the articles a ticket opened from the portal may carry), in the given order."""
        if not article_ids or not _VISIT.match(visit or ""):
            return []
        shown = set(
            self.session.scalars(
                select(PortalEvent.article_id).where(
                    PortalEvent.user_id == user.id,
                    PortalEvent.visit == visit,
                    PortalEvent.type == EventType.ARTICLE_SUGGESTED,
                    PortalEvent.article_id.in_(list(article_ids)),
                )
            )
        )
        return [i for i in dict.fromkeys(article_ids) if i in shown]

    def end_visit_with(self, user: User, visit: str) -> Callable[[Ticket], None]:
        """The hook ``TicketService.open_ticket`` runs in the new ticket's transaction: the
        visit must not have ended already, and its rows are tied to the ticket."""

        def tie(ticket: Ticket) -> None:
            if not _VISIT.match(visit or ""):
                return
            self._require_open_visit(user, visit)
            for row in self.session.scalars(
                select(PortalEvent).where(
                    PortalEvent.user_id == user.id, PortalEvent.visit == visit
                )
            ):
                row.ticket_id = ticket.id

        return tie

    # ------------------------------------------------------------------ internals

    @staticmethod
    def _require_requester(user: User) -> None:
        if user.is_staff:
            raise Forbidden(
                "The portal records what requesters see and do; staff reports would skew "
                "the deflection figures."
            )

    @staticmethod
    def _checked_visit(visit: str) -> str:
        if not _VISIT.match(visit or ""):
            raise Invalid(
                "A visit is 8 to 64 letters, digits, '-' or '_' (the page makes one).",
                fields={"visit": ["Malformed."]},
            )
        return visit

    def _require_public(self, ids: Sequence[int]) -> None:
        if any(i > ARTICLE_ID_MAX for i in ids):  # beyond the column: no such article
            raise NotFound(f"There is no article {max(ids)}.")
        found = {a.id: a for a in self.session.scalars(select(Article).where(Article.id.in_(ids)))}
        for article_id in ids:
            if not _is_public(found.get(article_id)):
                raise NotFound(f"There is no article {article_id}.")

    def _require_open_visit(self, user: User, visit: str) -> None:
        ended = self.session.execute(
            select(PortalEvent.type, PortalEvent.ticket_id)
            .where(
                PortalEvent.user_id == user.id,
                PortalEvent.visit == visit,
                (PortalEvent.type == EventType.DEFLECTED) | PortalEvent.ticket_id.is_not(None),
            )
            .limit(1)
        ).first()
        if ended is not None:
            how = "with a ticket" if ended.ticket_id is not None else "solved by an article"
            raise Conflict(f"This visit has ended ({how}); start a new one.")

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

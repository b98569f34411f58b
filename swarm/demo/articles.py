"""The demo's knowledge base, written from its own history (issue 14, item 6).

The demo's resolved tickets repeat a few dozen problems (each ``Case`` of swarm/demo/content.py
ends with the same resolution). For the :data:`ARTICLES` problems solved most often, the first
ticket resolved is the article's **source**: a day after its resolution its owner drafted the
article from it (swarm/knowledge/capture.py's ``assemble``, credited to the owner and the staff
who wrote in its room) and a manager published it. Every later ticket with the same resolution,
resolved after the publication, names the article as having **helped** (a ``resolved`` link, a
reuse). Two in three are public, the rest internal. The events are those the live application
writes for the same acts (``article_linked``, ``article_published``), in time order with the
rest of the history.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from swarm.demo.generate import REOPEN_FOLLOW_UP, DemoData, TicketSpec
from swarm.models.knowledge import ContributorRole, Visibility
from swarm.models.tickets import MessageKind

#: How many articles the demo's knowledge base has (a few dozen).
ARTICLES = 36
#: From the resolution of the source ticket to the draft, and from the draft to publication.
#: The quarter second keeps a ticket's events strictly in time order: the history's own fall on
#: whole seconds.
DRAFTED_AFTER = timedelta(hours=3, milliseconds=250)
PUBLISHED_AFTER = timedelta(hours=20, milliseconds=250)
#: A reuse is named with the resolution; its event follows the ``resolved`` event by this much.
LINKED_AFTER = timedelta(milliseconds=250)


@dataclass(frozen=True)
class DemoArticle:
    """One article: its source and reused tickets as indexes into ``DemoData.tickets``."""

    source: int
    reused: tuple[int, ...]
    visibility: str
    author: str  # e-mail
    reviewer: str
    contributors: tuple[tuple[str, ContributorRole], ...]
    created_at: datetime
    published_at: datetime


def _resolution(ticket: TicketSpec) -> str:
    text = ticket.resolution or ""
    return text.removesuffix(REOPEN_FOLLOW_UP).strip()


def _contributors(ticket: TicketSpec) -> tuple[tuple[str, ContributorRole], ...]:
    """The owner, then the staff who wrote in the swarm room, in the order they first wrote."""
    assert ticket.owner is not None
    people: dict[str, ContributorRole] = {ticket.owner: ContributorRole.OWNER}
    for message in sorted(ticket.messages, key=lambda m: m.at):
        if message.kind == MessageKind.CHAT and message.author not in people:
            people[message.author] = ContributorRole.HELPER
    return tuple(people.items())


def demo_articles(data: DemoData, reviewer: str) -> list[DemoArticle]:
    """The articles of the demo, oldest source first; none is published after the history's
    last moment."""
    latest = max(t.updated_at for t in data.tickets)
    groups: dict[str, list[int]] = defaultdict(list)
    for index, ticket in enumerate(data.tickets):
        if ticket.resolved_at is not None and ticket.owner and _resolution(ticket):
            groups[_resolution(ticket)].append(index)
    by_use = sorted(groups.values(), key=lambda ids: (-len(ids), ids[0]))
    articles: list[DemoArticle] = []
    for rank, ids in enumerate(by_use[:ARTICLES]):
        ordered = sorted(ids, key=lambda i: data.tickets[i].resolved_at or latest)
        source = data.tickets[ordered[0]]
        assert source.resolved_at is not None and source.owner is not None
        created = source.resolved_at + DRAFTED_AFTER
        published = created + PUBLISHED_AFTER
        if published > latest:
            continue
        reused = tuple(
            i for i in ordered[1:] if (data.tickets[i].resolved_at or latest) > published
        )
        articles.append(
            DemoArticle(
                source=ordered[0],
                reused=reused,
                visibility=Visibility.INTERNAL if rank % 3 == 2 else Visibility.PUBLIC,
                author=source.owner,
                reviewer=reviewer,
                contributors=_contributors(source),
                created_at=created,
                published_at=published,
            )
        )
    return sorted(articles, key=lambda a: a.created_at)

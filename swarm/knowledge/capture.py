"""Capture in the workflow: a draft article assembled from what a swarm wrote while solving.

A resolved (or closed) ticket's subject becomes the title; the body says what the problem was
(the subject), what solved it (the resolution) and what the swarm found on the way (the room's
``solution`` messages, each attributed to who wrote it). The ticket's owner and the people who
wrote those messages are recorded as the article's contributors (``article_contributors``), the
ticket is linked to it as its ``source``, and the draft is saved as version 1 by the staff
member who asked — who then edits it in the editor with its live preview and sends it to
review like any other draft (docs/knowledge.md, "Capture").

:func:`assemble` is pure (it takes plain values), so the demo writes its articles with it too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from swarm.models import Message, Ticket, User
from swarm.models.knowledge import BODY_MAX_BYTES, TITLE_MAX, ContributorRole
from swarm.models.tickets import MessageKind
from swarm.models.users import Role

#: Room messages longer than this are cut in the draft (the person editing it has the room).
MESSAGE_MAX = 4000
#: At most this many ``solution`` messages go into a draft, the earliest first.
MESSAGES_MAX = 20
TRUNCATED = " …"


@dataclass(frozen=True)
class Note:
    """A ``solution`` message of the room: who wrote it (user id, name, role) and its text."""

    author_id: int
    author_name: str
    role: ContributorRole
    body: str


@dataclass(frozen=True)
class Draft:
    """What a captured draft holds: its title and Markdown body, and its contributors as
    ``(user_id, role)``, the owner first then helpers in the order they first wrote."""

    title: str
    body: str
    contributors: tuple[tuple[int, ContributorRole], ...]


def _quote(text: str) -> str:
    """``text`` as a Markdown block quote (every line, blank ones too)."""
    return "\n".join(f"> {line}".rstrip() for line in text.strip().splitlines())


def _cut(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - len(TRUNCATED)].rstrip() + TRUNCATED


def assemble(
    *,
    ticket_id: int,
    subject: str,
    resolution: str,
    owner: tuple[int, str] | None,
    notes: Sequence[Note] = (),
) -> Draft:
    """The draft of an article from a ticket: ``subject``, its ``resolution``, its ``owner``
    (id, name) and the room's ``solution`` messages in the order they were written.

    >>> d = assemble(ticket_id=7, subject="VPN drops", resolution="Updated the client.",
    ...     owner=(3, "Ada"), notes=[Note(5, "Bo", ContributorRole.HELPER, "MTU was 1500.")])
    >>> d.title, d.contributors
    ('VPN drops', ((3, <ContributorRole.OWNER: 'owner'>), (5, <ContributorRole.HELPER: 'helper'>)))
    >>> print(d.body)
    ## Problem
    <BLANKLINE>
    VPN drops
    <BLANKLINE>
    ## Solution
    <BLANKLINE>
    Updated the client.
    <BLANKLINE>
    ## What the swarm found
    <BLANKLINE>
    > MTU was 1500.
    <BLANKLINE>
    — Bo
    <BLANKLINE>
    *Captured from ticket #7, resolved by Ada, with Bo.*
    """
    title = " ".join(subject.split())[:TITLE_MAX] or f"Ticket #{ticket_id}"
    parts = ["## Problem", " ".join(subject.split()), "## Solution", resolution.strip() or "—"]
    kept = list(notes)[:MESSAGES_MAX]
    if kept:
        parts.append("## What the swarm found")
        for note in kept:
            parts += [_quote(_cut(note.body, MESSAGE_MAX)), f"— {note.author_name}"]
    contributors: dict[int, ContributorRole] = {}
    names: dict[int, str] = {}
    if owner is not None:
        contributors[owner[0]] = ContributorRole.OWNER
        names[owner[0]] = owner[1]
    for note in kept:
        if note.author_id not in contributors:
            contributors[note.author_id] = note.role
            names[note.author_id] = note.author_name
    helpers = [names[i] for i, role in contributors.items() if role != ContributorRole.OWNER]
    credit = f"*Captured from ticket #{ticket_id}"
    if owner is not None:
        credit += f", resolved by {owner[1]}"
    if helpers:
        credit += f", with {', '.join(helpers)}"
    parts.append(credit + ".*")
    body = "\n\n".join(parts)
    if len(body.encode()) > BODY_MAX_BYTES:
        # Only a room with many very long messages gets here: keep the start and say so.
        body = body.encode()[: BODY_MAX_BYTES - 200].decode(errors="ignore").rstrip()
        body += f"\n\n*(cut: the rest is in ticket #{ticket_id}'s room)*"
    return Draft(title, body, tuple(contributors.items()))


def draft_for_ticket(session: Session, ticket: Ticket) -> Draft:
    """:func:`assemble` fed from the database: ``ticket``'s subject, resolution, owner and the
    room's ``solution`` messages, the earliest first."""
    rows = session.execute(
        select(Message.author_id, User.name, User.role, Message.body)
        .join(User, User.id == Message.author_id)
        .where(Message.ticket_id == ticket.id, Message.kind == MessageKind.SOLUTION)
        .order_by(Message.id)
        .limit(MESSAGES_MAX)
    ).all()
    notes = [
        Note(
            author_id,
            name,
            # Only staff and guests (requester-rights users with a pass) write in the room.
            ContributorRole.GUEST if role == Role.REQUESTER else ContributorRole.HELPER,
            body,
        )
        for author_id, name, role, body in rows
    ]
    owner = (ticket.owner.id, ticket.owner.name) if ticket.owner is not None else None
    return assemble(
        ticket_id=ticket.id,
        subject=ticket.subject,
        resolution=ticket.resolution or "",
        owner=owner,
        notes=notes,
    )

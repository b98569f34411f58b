"""Who may post which kind of message in a ticket's room: the one table.

Staff write every kind; the ticket's requester writes replies (their conversation with
support); a guest with a valid pass chats in the swarm room; nobody else has the ticket (it
does not exist for them). The message writer's two paths read this table — the portable one in
Python (:func:`verdict`), the PostgreSQL statement through the ``CASE`` :func:`sql_verdict`
generates from it — and the live rooms take a send's default kind from it
(:data:`DEFAULT_KIND`). ``tests/integration/test_posting_rights.py`` holds all three to it over
every standing and kind. Where an author stands is ``swarm.tickets.access``'s
(:data:`~swarm.tickets.access.STANDING_RULES`), read by those paths alike.
"""

from __future__ import annotations

from swarm.models.tickets import MessageKind
from swarm.tickets.access import Standing

__all__ = ["DEFAULT_KIND", "MAY_POST", "Standing", "sql_verdict", "verdict"]


#: The kinds each standing may post.
MAY_POST: dict[Standing, frozenset[str]] = {
    Standing.STAFF: frozenset(MessageKind),
    Standing.REQUESTER: frozenset({MessageKind.REPLY}),
    Standing.GUEST: frozenset({MessageKind.CHAT}),
    Standing.STRANGER: frozenset(),
    Standing.GONE: frozenset(),
}

#: The kind of a send that names none.
DEFAULT_KIND: dict[Standing, str] = {
    Standing.STAFF: MessageKind.CHAT,
    Standing.REQUESTER: MessageKind.REPLY,
    Standing.GUEST: MessageKind.CHAT,
}

#: Verdicts (``swarm.tickets.messages`` turns the refusals into typed errors).
ALLOWED, UNAUTHENTICATED, NOT_FOUND, FORBIDDEN = (
    "allowed",
    "unauthenticated",
    "not_found",
    "forbidden",
)


def verdict(standing: Standing, kind: str) -> str:
    """Whether an author of ``standing`` may post a message of ``kind``.

    >>> verdict(Standing.GUEST, "note"), verdict(Standing.STRANGER, "chat")
    ('forbidden', 'not_found')
    """
    if standing is Standing.GONE:
        return UNAUTHENTICATED
    if standing is Standing.STRANGER:
        return NOT_FOUND
    return ALLOWED if kind in MAY_POST[standing] else FORBIDDEN


def sql_verdict(standing: str, kind: str) -> str:
    """:func:`verdict` as a SQL ``CASE`` over the expressions ``standing`` (text naming a
    :class:`Standing`) and ``kind``; the kinds are this module's constants, never input."""
    allowed = " OR ".join(
        f"({standing} = '{s.value}' AND {kind} IN ({', '.join(_quoted(k) for k in sorted(kinds))}))"
        for s, kinds in MAY_POST.items()
        if kinds
    )
    return (
        f"CASE WHEN {standing} = '{Standing.GONE.value}' THEN '{UNAUTHENTICATED}' "
        f"WHEN {standing} = '{Standing.STRANGER.value}' THEN '{NOT_FOUND}' "
        f"WHEN {allowed} THEN '{ALLOWED}' ELSE '{FORBIDDEN}' END"
    )


def _quoted(kind: str) -> str:
    if not kind.isalpha():
        raise ValueError(f"not a message kind: {kind!r}")
    return f"'{kind}'"

"""Full-text search over tickets' subject and body, behind the knowledge base's interface
(``swarm.knowledge.search``): the same query parsing, the same two engines — SQLite FTS5
(``tickets_fts``, kept in step by triggers) and PostgreSQL's text search (the generated
``tickets.search_vector`` and its GIN index). Both made by migration 0014 and ``create_all``.

What a person types never reaches either engine's query syntax: ``parse_query`` cuts it into
words (``\\w+``, at most 16 of at most 64 characters), each is quoted, the last is a prefix while
typing. A query with no words matches nothing. The ticket list keeps its order (newest first
unless sorted otherwise) and its viewer filter: :func:`matching` is one more condition in the
same statement, so who may see which ticket is decided where it always was
(``TicketService.list``: staff every ticket, anyone else only the tickets they requested).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, false, func, literal, literal_column, select, text
from sqlalchemy.dialects.postgresql import REGCONFIG, TSVECTOR
from sqlalchemy.orm import Session

from swarm.knowledge.search import Match, PostgresSearch, Query, SqliteSearch, parse_query
from swarm.models.tickets import Ticket


def parse(raw: str) -> Query:
    """The words of a ticket-list search box (all must occur; the last may be half typed)."""
    return parse_query(raw, Match.ALL)


def matching(session: Session, raw: str) -> ColumnElement[bool]:
    """A condition on ``tickets``: the ticket's subject or body holds every word of ``raw``
    (English stems or whole words on PostgreSQL; whole words on SQLite; the last word a prefix
    while typing). Nothing matches a query without words."""
    query = parse(raw)
    if not query.terms:
        return false()
    if session.get_bind().dialect.name == "postgresql":
        english, simple = PostgresSearch.tsquery_texts(query)
        return literal_column("tickets.search_vector", TSVECTOR).bool_op("@@")(
            func.to_tsquery(literal("english", REGCONFIG), english).op("||")(
                func.to_tsquery(literal("simple", REGCONFIG), simple)
            )
        )
    found: Select[tuple[Any]] = (
        select(literal_column("rowid"))
        .select_from(text("tickets_fts"))
        .where(
            text("tickets_fts MATCH :ticket_q_fts").bindparams(
                ticket_q_fts=SqliteSearch.fts_query(query)
            )
        )
    )
    return Ticket.id.in_(found)

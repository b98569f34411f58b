"""The knowledge base (Tier 0): articles, each saved version of them, who reviewed them, and
their links to the tickets they came from and the tickets they helped resolve.

Full-text search keeps its own structures beside ``articles``, which the ORM does not map:
on SQLite an FTS5 table (``articles_fts``, external content, kept in step by triggers), on
PostgreSQL a narrow table ``article_search`` (the vector, with the scope as a lexeme) with a GIN
index, kept in step by a trigger. The migration creates them,
and so does ``create_all`` (the DDL listeners below), so tests on either path search alike.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Any

from markdown_it import MarkdownIt
from sqlalchemy import (
    DDL,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from swarm.db import Base, UTCDateTime
from swarm.models.skills import Skill
from swarm.models.users import User

TITLE_MAX = 200
BODY_MAX_BYTES = 100 * 1024
CATEGORY_MAX = 80
# The parser of swarm/knowledge/render.py, with the same options, read here for its words only.
_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
# Control characters other than tab and line breaks: the search snippets' highlight markers
# are two of them, so the text they are cut from must hold none.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def markdown_text(body: str) -> str:
    """The words a reader sees in the Markdown ``body``: no emphasis markers, headings' ``#``,
    list bullets, link targets or table pipes; code, link texts and images' alt texts kept;
    HTML typed in the body stays text, as the page shows it. One line per block.

    >>> markdown_text("# Fix\\n\\nA **laptop** [guide](https://x.test) `ping` ![alt](i.png)")
    'Fix\\nA laptop guide ping alt'
    """
    lines: list[str] = []
    words: list[str] = []
    for token in _MARKDOWN.parse(_CONTROL.sub("", body)):
        if token.type == "inline":
            for child in token.children or []:
                if child.type in ("text", "code_inline", "image"):
                    words.append(child.content)
                elif child.type in ("softbreak", "hardbreak"):
                    words.append(" ")
        elif token.type in ("fence", "code_block"):
            words.append(token.content)
        if token.block and (token.nesting == -1 or token.type in ("fence", "code_block")):
            line = " ".join("".join(words).split())
            if line:
                lines.append(line)
            words = []
    return "\n".join(lines)


class ArticleState(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class Visibility(StrEnum):
    """``internal``: staff only; ``public``: requesters and guests too, once published."""

    INTERNAL = "internal"
    PUBLIC = "public"


class LinkKind(StrEnum):
    """``source``: the ticket the article was written from; ``resolved``: a ticket it helped
    resolve (a reuse)."""

    SOURCE = "source"
    RESOLVED = "resolved"


class Article(Base):
    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    # Markdown, as written; rendered and sanitised on the way out (swarm/knowledge/render.py).
    body: Mapped[str] = mapped_column(Text)
    # The body's words without Markdown's markup (markdown_text), set whenever the body is:
    # what search indexes and what its snippets quote, so that they show no ``**`` or ``#``.
    body_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    category: Mapped[str | None] = mapped_column(String(CATEGORY_MAX))
    visibility: Mapped[str] = mapped_column(String(8), default=Visibility.INTERNAL)
    state: Mapped[str] = mapped_column(String(12), default=ArticleState.DRAFT, index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The number of the latest ArticleVersion, and the optimistic lock of edits: an edit names
    # the version it started from and is refused if the article has moved on (checked on the
    # locked row, swarm/knowledge/service.py). State changes leave it alone.
    version: Mapped[int] = mapped_column(Integer, default=1)

    author: Mapped[User] = relationship(lazy="joined")
    skills: Mapped[list[ArticleSkill]] = relationship(
        cascade="all, delete-orphan", order_by="ArticleSkill.skill_id", lazy="selectin"
    )
    reviews: Mapped[list[ArticleReview]] = relationship(
        cascade="all, delete-orphan", order_by="ArticleReview.id", lazy="selectin"
    )
    contributors: Mapped[list[ArticleContributor]] = relationship(
        cascade="all, delete-orphan", order_by="ArticleContributor.position", lazy="selectin"
    )

    @validates("body")
    def _body_text_follows(self, _key: str, body: str) -> str:
        self.body_text = markdown_text(body)
        return body

    __table_args__ = (
        CheckConstraint("visibility IN ('internal','public')", name="visibility"),
        CheckConstraint("state IN ('draft','in_review','published','archived')", name="state"),
    )


class ArticleSkill(Base):
    __tablename__ = "article_skills"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    skill_id: Mapped[int] = mapped_column(
        ForeignKey("skills.id", ondelete="CASCADE"), primary_key=True
    )

    skill: Mapped[Skill] = relationship(lazy="joined")


class ArticleVersion(Base):
    """The article as one save left it. Rows are only ever inserted; diffs are computed
    between two of them when asked (difflib), never stored."""

    __tablename__ = "article_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    body: Mapped[str] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(CATEGORY_MAX))
    visibility: Mapped[str] = mapped_column(String(8))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime())

    author: Mapped[User] = relationship(lazy="joined")

    __table_args__ = (UniqueConstraint("article_id", "number", name="uq_article_versions_number"),)


class ArticleReview(Base):
    """A staff member other than the author approved a version for publication."""

    __tablename__ = "article_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime())

    reviewer: Mapped[User] = relationship(lazy="joined")


class ArticleTicketLink(Base):
    __tablename__ = "article_ticket_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    linked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("article_id", "ticket_id", "kind", name="uq_article_ticket_links_kind"),
        CheckConstraint("kind IN ('source','resolved')", name="kind"),
        Index("ix_article_ticket_links_kind_linked_at", "kind", "linked_at"),
    )


class ContributorRole(StrEnum):
    """How someone contributed to an article captured from a ticket: its ``owner`` (who
    resolved it), a ``helper`` (staff who wrote one of the room's ``solution`` messages) or a
    ``guest`` (a vendor's engineer with a link to the room who wrote one)."""

    OWNER = "owner"
    HELPER = "helper"
    GUEST = "guest"


class ArticleContributor(Base):
    """Someone whose work an article was assembled from (capture in the workflow,
    swarm/knowledge/capture.py): the attribution, kept beside the author who saved it."""

    __tablename__ = "article_contributors"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(8))
    # The order the draft names them in: the owner first, then helpers by their first message.
    position: Mapped[int] = mapped_column(Integer)

    user: Mapped[User] = relationship(lazy="joined")

    __table_args__ = (CheckConstraint("role IN ('owner','helper','guest')", name="role"),)


class ArticleCheck(Base):
    """A staff member confirmed that a published article is still accurate, which clears its
    "still accurate?" flag (swarm/knowledge/freshness.py). Rows are only ever inserted."""

    __tablename__ = "article_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    checked_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The text confirmed, and why the article was flagged then (``reuses``, ``age`` or null
    # when it was confirmed before being flagged).
    version: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(String(8))

    checker: Mapped[User] = relationship(lazy="joined")


# ---------------------------------------------------------------- full-text search structures
# Kept in SQL, not in the ORM: migrations 0010, 0014 and 0019 hold the same statements (a
# migration is frozen history, so it keeps its own copy). swarm/db.py's ``include_object``
# tells Alembic's comparison that these are not differences from the models.

SQLITE_SEARCH_DDL = (
    # External content: the text lives once, in ``articles``; the index holds tokens only.
    # ``prefix`` keeps 2- and 3-letter prefix indexes so that search-as-you-type stays fast.
    # The body is indexed as its plain text (``body_text``), so snippets quote no Markdown.
    "CREATE VIRTUAL TABLE articles_fts USING fts5(title, body_text, content='articles', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='2 3')",
    "CREATE TRIGGER articles_fts_ai AFTER INSERT ON articles BEGIN "
    "INSERT INTO articles_fts(rowid, title, body_text) "
    "VALUES (new.id, new.title, new.body_text); END",
    "CREATE TRIGGER articles_fts_ad AFTER DELETE ON articles BEGIN "
    "INSERT INTO articles_fts(articles_fts, rowid, title, body_text) "
    "VALUES ('delete', old.id, old.title, old.body_text); END",
    "CREATE TRIGGER articles_fts_au AFTER UPDATE OF title, body_text ON articles BEGIN "
    "INSERT INTO articles_fts(articles_fts, rowid, title, body_text) "
    "VALUES ('delete', old.id, old.title, old.body_text); "
    "INSERT INTO articles_fts(rowid, title, body_text) "
    "VALUES (new.id, new.title, new.body_text); END",
)
SQLITE_SEARCH_DROP = (
    "DROP TRIGGER IF EXISTS articles_fts_au",
    "DROP TRIGGER IF EXISTS articles_fts_ad",
    "DROP TRIGGER IF EXISTS articles_fts_ai",
    "DROP TABLE IF EXISTS articles_fts",
)
# Both configurations in one vector: ``english`` stems (a search for "printing" finds
# "printers"), ``simple`` keeps words whole, for prefix matching as one types. Titles weigh A.
# The vector lives in a narrow table of its own, with the article's state and visibility as one
# position-less lexeme beginning with ``#`` and holding spaces (which no parsed word has, and
# which no query word's prefix matches), so that the GIN index filters
# the scope with the words (docs/knowledge.md, "Search"); a trigger keeps it in step. The body
# is indexed as its plain text. The vector is kept in the row (``MAIN``), compressed with lz4
# where the server has it: ranking reads a few hundred vectors per search, and a vector out of
# line costs a TOAST index lookup and two chunks each (migration 0019).
POSTGRES_SEARCH_DDL = (
    "CREATE FUNCTION article_search_document(title text, body text, state text, "
    "visibility text) RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT "
    "setweight(to_tsvector('english'::regconfig, title), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, title), 'A') || "
    "setweight(to_tsvector('english'::regconfig, body), 'B') || "
    "setweight(to_tsvector('simple'::regconfig, body), 'B') || "
    "array_to_tsvector(ARRAY['#scope ' || state || ' ' || visibility]) $$",
    "CREATE TABLE article_search (article_id integer PRIMARY KEY "
    "REFERENCES articles (id) ON DELETE CASCADE, document tsvector NOT NULL)",
    "ALTER TABLE article_search ALTER COLUMN document SET STORAGE MAIN",
    "DO $$ BEGIN IF 'lz4' = ANY((SELECT enumvals FROM pg_settings "
    "WHERE name = 'default_toast_compression')::text[]) THEN "
    "ALTER TABLE article_search ALTER COLUMN document SET COMPRESSION lz4; END IF; END $$",
    "CREATE FUNCTION article_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "INSERT INTO article_search (article_id, document) VALUES (NEW.id, "
    "article_search_document(NEW.title, NEW.body_text, NEW.state, NEW.visibility) || "
    "array_to_tsvector(ARRAY['#block ' || NEW.id / 1000])) "
    "ON CONFLICT (article_id) DO UPDATE SET document = EXCLUDED.document; "
    "RETURN NULL; END $$",
    "CREATE TRIGGER article_search_sync AFTER INSERT OR UPDATE OF title, body_text, state, "
    "visibility ON articles FOR EACH ROW EXECUTE FUNCTION article_search_sync()",
    # No pending list (migration 0022): with GIN's ``fastupdate`` new vectors wait in a list of
    # up to 4 MB that every search reads whole until a vacuum merges it.
    "CREATE INDEX ix_article_search_document ON article_search USING gin (document) "
    "WITH (fastupdate = off)",
)
POSTGRES_SEARCH_DROP = (
    "DROP TRIGGER IF EXISTS article_search_sync ON articles",
    "DROP FUNCTION IF EXISTS article_search_sync()",
    "DROP TABLE IF EXISTS article_search",
    "DROP FUNCTION IF EXISTS article_search_document(text, text, text, text)",
)
SEARCH_TABLE_PREFIXES = ("articles_fts", "article_search")


def _ddl(statement: str, dialect: str) -> Any:
    # SQLAlchemy's DDL() carries no annotations: mypy --strict would refuse the bare call.
    return DDL(statement).execute_if(dialect=dialect)  # type: ignore[no-untyped-call]


for _event, _dialect, _statements in (
    ("after_create", "sqlite", SQLITE_SEARCH_DDL),
    ("after_create", "postgresql", POSTGRES_SEARCH_DDL),
    ("before_drop", "sqlite", SQLITE_SEARCH_DROP),
    ("before_drop", "postgresql", POSTGRES_SEARCH_DROP),
):
    for _statement in _statements:
        event.listen(Article.__table__, _event, _ddl(_statement, _dialect))

_unmapped = Base.metadata.info.setdefault("unmapped", {})
_unmapped["table_prefixes"] = (*_unmapped.get("table_prefixes", ()), *SEARCH_TABLE_PREFIXES)

"""knowledge base: articles, their versions, reviews, skills and links to tickets, and search

Articles are Markdown, kept as written and sanitised when rendered. Each save is a row of
article_versions; ``articles.version`` is the optimistic lock and the latest version's number.
Search is the database's own: on SQLite an FTS5 table over title and body (external content,
kept in step by triggers), on PostgreSQL a generated tsvector column (``english`` and
``simple`` configurations) with a GIN index. These statements repeat those of
swarm/models/knowledge.py on purpose: a migration is history and must not change with the code.

A later batch-mode migration that recreates ``articles`` on SQLite drops its triggers with it:
such a migration recreates them (and runs ``INSERT INTO articles_fts(articles_fts)
VALUES ('rebuild')``).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_SEARCH = (
    "CREATE VIRTUAL TABLE articles_fts USING fts5(title, body, content='articles', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='2 3')",
    "CREATE TRIGGER articles_fts_ai AFTER INSERT ON articles BEGIN "
    "INSERT INTO articles_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
    "CREATE TRIGGER articles_fts_ad AFTER DELETE ON articles BEGIN "
    "INSERT INTO articles_fts(articles_fts, rowid, title, body) "
    "VALUES ('delete', old.id, old.title, old.body); END",
    "CREATE TRIGGER articles_fts_au AFTER UPDATE OF title, body ON articles BEGIN "
    "INSERT INTO articles_fts(articles_fts, rowid, title, body) "
    "VALUES ('delete', old.id, old.title, old.body); "
    "INSERT INTO articles_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
)
SQLITE_SEARCH_DROP = (
    "DROP TRIGGER IF EXISTS articles_fts_au",
    "DROP TRIGGER IF EXISTS articles_fts_ad",
    "DROP TRIGGER IF EXISTS articles_fts_ai",
    "DROP TABLE IF EXISTS articles_fts",
)
POSTGRES_SEARCH = (
    "ALTER TABLE articles ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('english'::regconfig, title), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, title), 'A') || "
    "setweight(to_tsvector('english'::regconfig, body), 'B') || "
    "setweight(to_tsvector('simple'::regconfig, body), 'B')) STORED",
    "CREATE INDEX ix_articles_search_vector ON articles USING gin (search_vector)",
)
POSTGRES_SEARCH_DROP = (
    "DROP INDEX IF EXISTS ix_articles_search_vector",
    "ALTER TABLE articles DROP COLUMN IF EXISTS search_vector",
)


def _create_search() -> None:
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": SQLITE_SEARCH, "postgresql": POSTGRES_SEARCH}.get(dialect, ()):
        op.execute(statement)


def _drop_search() -> None:
    dialect = op.get_bind().dialect.name
    drops = {"sqlite": SQLITE_SEARCH_DROP, "postgresql": POSTGRES_SEARCH_DROP}
    for statement in drops.get(dialect, ()):
        op.execute(statement)


def upgrade() -> None:
    op.create_table(
        "articles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=80), nullable=True),
        sa.Column("visibility", sa.String(length=8), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "state IN ('draft','in_review','published','archived')", name=op.f("ck_articles_state")
        ),
        sa.CheckConstraint(
            "visibility IN ('internal','public')", name=op.f("ck_articles_visibility")
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_articles_author_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_articles")),
    )
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_articles_author_id"), ["author_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_articles_state"), ["state"], unique=False)

    op.create_table(
        "article_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_reviews_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["users.id"], name=op.f("fk_article_reviews_reviewer_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_reviews")),
    )
    with op.batch_alter_table("article_reviews", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_article_reviews_article_id"), ["article_id"], unique=False
        )

    op.create_table(
        "article_skills",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("skill_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_skills_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["skill_id"],
            ["skills.id"],
            name=op.f("fk_article_skills_skill_id_skills"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", "skill_id", name=op.f("pk_article_skills")),
    )
    op.create_table(
        "article_ticket_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("linked_by", sa.Integer(), nullable=True),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('source','resolved')", name=op.f("ck_article_ticket_links_kind")
        ),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_ticket_links_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["linked_by"], ["users.id"], name=op.f("fk_article_ticket_links_linked_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_article_ticket_links_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_ticket_links")),
        sa.UniqueConstraint("article_id", "ticket_id", "kind", name="uq_article_ticket_links_kind"),
    )
    with op.batch_alter_table("article_ticket_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_article_ticket_links_article_id"), ["article_id"], unique=False
        )
        batch_op.create_index(
            "ix_article_ticket_links_kind_linked_at", ["kind", "linked_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_article_ticket_links_ticket_id"), ["ticket_id"], unique=False
        )

    op.create_table(
        "article_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=80), nullable=True),
        sa.Column("visibility", sa.String(length=8), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_versions_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_article_versions_author_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_versions")),
        sa.UniqueConstraint("article_id", "number", name="uq_article_versions_number"),
    )
    _create_search()


def downgrade() -> None:
    _drop_search()
    op.drop_table("article_versions")
    with op.batch_alter_table("article_ticket_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_article_ticket_links_ticket_id"))
        batch_op.drop_index("ix_article_ticket_links_kind_linked_at")
        batch_op.drop_index(batch_op.f("ix_article_ticket_links_article_id"))

    op.drop_table("article_ticket_links")
    op.drop_table("article_skills")
    with op.batch_alter_table("article_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_article_reviews_article_id"))

    op.drop_table("article_reviews")
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_articles_state"))
        batch_op.drop_index(batch_op.f("ix_articles_author_id"))

    op.drop_table("articles")

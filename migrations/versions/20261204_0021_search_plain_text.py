"""search over plain text: ``articles.body_text`` (the body's words without Markdown's markup)
is what both engines index and quote in snippets, so a snippet shows ``laptop``, not
``**laptop**``; on PostgreSQL the search vectors stay in their rows (``STORAGE MAIN``, lz4 where
the server has it), which halves the cost of reading them to rank (issue 14; docs/knowledge.md,
"Search").

The column is filled here from each body with this file's own copy of the text extraction
(swarm/models/knowledge.py ``markdown_text`` at the time of writing: a migration is history and
must not change with the code), then the indexes are rebuilt from it: on SQLite ``articles_fts``
is recreated over ``(title, body_text)`` with its triggers and rebuilt; on PostgreSQL the
trigger function reads ``body_text`` and every row of ``article_search`` is computed again.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from markdown_it import MarkdownIt

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def markdown_text(body: str) -> str:
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


# ``column`` is ``body`` or ``body_text``, named in this file: no input reaches these statements.
def _fts(column: str) -> tuple[str, ...]:
    return (
        "DROP TRIGGER IF EXISTS articles_fts_au",
        "DROP TRIGGER IF EXISTS articles_fts_ad",
        "DROP TRIGGER IF EXISTS articles_fts_ai",
        "DROP TABLE IF EXISTS articles_fts",
        f"CREATE VIRTUAL TABLE articles_fts USING fts5(title, {column}, content='articles', "
        "content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='2 3')",
        "CREATE TRIGGER articles_fts_ai AFTER INSERT ON articles BEGIN "  # noqa: S608
        f"INSERT INTO articles_fts(rowid, title, {column}) "
        f"VALUES (new.id, new.title, new.{column}); END",
        "CREATE TRIGGER articles_fts_ad AFTER DELETE ON articles BEGIN "  # noqa: S608
        f"INSERT INTO articles_fts(articles_fts, rowid, title, {column}) "
        f"VALUES ('delete', old.id, old.title, old.{column}); END",
        f"CREATE TRIGGER articles_fts_au AFTER UPDATE OF title, {column} ON articles BEGIN "  # noqa: S608
        f"INSERT INTO articles_fts(articles_fts, rowid, title, {column}) "
        f"VALUES ('delete', old.id, old.title, old.{column}); "
        f"INSERT INTO articles_fts(rowid, title, {column}) "
        f"VALUES (new.id, new.title, new.{column}); END",
        "INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')",
    )


def _document(scope: str) -> str:
    """0014's function with the scope lexeme named ``<scope> <state> <visibility>``."""
    return (
        "CREATE OR REPLACE FUNCTION article_search_document(title text, body text, state text, "
        "visibility text) RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT "
        "setweight(to_tsvector('english'::regconfig, title), 'A') || "
        "setweight(to_tsvector('simple'::regconfig, title), 'A') || "
        "setweight(to_tsvector('english'::regconfig, body), 'B') || "
        "setweight(to_tsvector('simple'::regconfig, body), 'B') || "
        f"array_to_tsvector(ARRAY['{scope} ' || state || ' ' || visibility]) $$"
    )


def _postgres(column: str) -> tuple[str, ...]:
    return (
        # 0014's ``scope …`` lexeme began with a word, so that a query prefix (``sco``)
        # matched every article; ``#scope …`` and ``#block …`` begin with what no word does.
        _document("#scope" if column == "body_text" else "scope"),
        "DROP TRIGGER IF EXISTS article_search_sync ON articles",
        "CREATE OR REPLACE FUNCTION article_search_sync() RETURNS trigger LANGUAGE plpgsql "  # noqa: S608
        "AS $$ BEGIN INSERT INTO article_search (article_id, document) VALUES (NEW.id, "
        f"article_search_document(NEW.title, NEW.{column}, NEW.state, NEW.visibility) || "
        "array_to_tsvector(ARRAY['#block ' || NEW.id / 1000])) "
        "ON CONFLICT (article_id) DO UPDATE SET document = EXCLUDED.document; "
        "RETURN NULL; END $$",
        f"CREATE TRIGGER article_search_sync AFTER INSERT OR UPDATE OF title, {column}, "
        "state, visibility ON articles FOR EACH ROW EXECUTE FUNCTION article_search_sync()",
        "UPDATE article_search s SET document = article_search_document(a.title, "  # noqa: S608
        f"a.{column}, a.state, a.visibility) || "
        "array_to_tsvector(ARRAY['#block ' || a.id / 1000]) "
        "FROM articles a WHERE a.id = s.article_id",
    )


POSTGRES_STORAGE = (
    "ALTER TABLE article_search ALTER COLUMN document SET STORAGE MAIN",
    "DO $$ BEGIN IF 'lz4' = ANY((SELECT enumvals FROM pg_settings "
    "WHERE name = 'default_toast_compression')::text[]) THEN "
    "ALTER TABLE article_search ALTER COLUMN document SET COMPRESSION lz4; END IF; END $$",
)
POSTGRES_STORAGE_DROP = (
    "ALTER TABLE article_search ALTER COLUMN document SET STORAGE EXTENDED",
    "ALTER TABLE article_search ALTER COLUMN document SET COMPRESSION DEFAULT",
)


def upgrade() -> None:
    bind = op.get_bind()
    op.add_column("articles", sa.Column("body_text", sa.Text(), server_default="", nullable=False))
    articles = sa.table("articles", sa.column("id", sa.Integer), sa.column("body", sa.Text),
                        sa.column("body_text", sa.Text))  # fmt: skip
    rows = bind.execute(sa.select(articles.c.id, articles.c.body)).all()
    for row in rows:
        bind.execute(
            articles.update().where(articles.c.id == row.id),
            {"body_text": markdown_text(row.body)},
        )
    if bind.dialect.name == "postgresql":
        # The storage first: the rows computed again below are then stored the new way.
        for statement in POSTGRES_STORAGE + _postgres("body_text"):
            op.execute(statement)
    elif bind.dialect.name == "sqlite":
        for statement in _fts("body_text"):
            op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for statement in _postgres("body") + POSTGRES_STORAGE_DROP:
            op.execute(statement)
    elif bind.dialect.name == "sqlite":
        for statement in _fts("body"):
            op.execute(statement)
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("body_text")

"""search that scales: articles' search data in a narrow table with the scope in the vector
(PostgreSQL), and full-text search over tickets on both databases (issue 14 item 3, issue 17
item 6; docs/knowledge.md and docs/tickets.md, "Search")

Articles, PostgreSQL: ``articles.search_vector`` (a generated column in the wide row, whose GIN
index the planner declined for common words, reading every row's vector instead) moves to
``article_search(article_id, document)``: the same ``english`` and ``simple`` vectors plus one
position-less lexeme naming the article's state and visibility (``'scope published public'`` —
it holds spaces, which no parsed word or query word can), so that the GIN index filters the
scope together with the words. A trigger on ``articles`` keeps it in step; the rows are filled
here. SQLite keeps its FTS5 table (already narrow).

Tickets: on SQLite an FTS5 table ``tickets_fts(subject, body)`` (external content, three
triggers, rebuilt here from the existing rows); on PostgreSQL a generated ``search_vector``
column on ``tickets`` (filled by the ALTER itself) with a GIN index.

These statements repeat those of swarm/models/knowledge.py and swarm/models/tickets.py on
purpose: a migration is history and must not change with the code. A later batch-mode
migration that recreates ``tickets`` on SQLite drops its triggers with it: such a migration
recreates them and runs ``INSERT INTO tickets_fts(tickets_fts) VALUES ('rebuild')``.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POSTGRES_ARTICLES = (
    "CREATE FUNCTION article_search_document(title text, body text, state text, "
    "visibility text) RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT "
    "setweight(to_tsvector('english'::regconfig, title), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, title), 'A') || "
    "setweight(to_tsvector('english'::regconfig, body), 'B') || "
    "setweight(to_tsvector('simple'::regconfig, body), 'B') || "
    "array_to_tsvector(ARRAY['scope ' || state || ' ' || visibility]) $$",
    "CREATE TABLE article_search (article_id integer PRIMARY KEY "
    "REFERENCES articles (id) ON DELETE CASCADE, document tsvector NOT NULL)",
    "CREATE FUNCTION article_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "INSERT INTO article_search (article_id, document) VALUES (NEW.id, "
    "article_search_document(NEW.title, NEW.body, NEW.state, NEW.visibility)) "
    "ON CONFLICT (article_id) DO UPDATE SET document = EXCLUDED.document; "
    "RETURN NULL; END $$",
    "CREATE TRIGGER article_search_sync AFTER INSERT OR UPDATE OF title, body, state, "
    "visibility ON articles FOR EACH ROW EXECUTE FUNCTION article_search_sync()",
    "INSERT INTO article_search (article_id, document) SELECT id, "
    "article_search_document(title, body, state, visibility) FROM articles",
    "CREATE INDEX ix_article_search_document ON article_search USING gin (document)",
    "DROP INDEX IF EXISTS ix_articles_search_vector",
    "ALTER TABLE articles DROP COLUMN IF EXISTS search_vector",
)
POSTGRES_ARTICLES_DROP = (
    "ALTER TABLE articles ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('english'::regconfig, title), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, title), 'A') || "
    "setweight(to_tsvector('english'::regconfig, body), 'B') || "
    "setweight(to_tsvector('simple'::regconfig, body), 'B')) STORED",
    "CREATE INDEX ix_articles_search_vector ON articles USING gin (search_vector)",
    "DROP TRIGGER IF EXISTS article_search_sync ON articles",
    "DROP FUNCTION IF EXISTS article_search_sync()",
    "DROP TABLE IF EXISTS article_search",
    "DROP FUNCTION IF EXISTS article_search_document(text, text, text, text)",
)
POSTGRES_TICKETS = (
    "ALTER TABLE tickets ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('english'::regconfig, subject), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, subject), 'A') || "
    "setweight(to_tsvector('english'::regconfig, body), 'B') || "
    "setweight(to_tsvector('simple'::regconfig, body), 'B')) STORED",
    "CREATE INDEX ix_tickets_search_vector ON tickets USING gin (search_vector)",
)
POSTGRES_TICKETS_DROP = (
    "DROP INDEX IF EXISTS ix_tickets_search_vector",
    "ALTER TABLE tickets DROP COLUMN IF EXISTS search_vector",
)
SQLITE_TICKETS = (
    "CREATE VIRTUAL TABLE tickets_fts USING fts5(subject, body, content='tickets', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='2 3')",
    "CREATE TRIGGER tickets_fts_ai AFTER INSERT ON tickets BEGIN "
    "INSERT INTO tickets_fts(rowid, subject, body) VALUES (new.id, new.subject, new.body); END",
    "CREATE TRIGGER tickets_fts_ad AFTER DELETE ON tickets BEGIN "
    "INSERT INTO tickets_fts(tickets_fts, rowid, subject, body) "
    "VALUES ('delete', old.id, old.subject, old.body); END",
    "CREATE TRIGGER tickets_fts_au AFTER UPDATE OF subject, body ON tickets BEGIN "
    "INSERT INTO tickets_fts(tickets_fts, rowid, subject, body) "
    "VALUES ('delete', old.id, old.subject, old.body); "
    "INSERT INTO tickets_fts(rowid, subject, body) VALUES (new.id, new.subject, new.body); END",
    "INSERT INTO tickets_fts(tickets_fts) VALUES ('rebuild')",
)
SQLITE_TICKETS_DROP = (
    "DROP TRIGGER IF EXISTS tickets_fts_au",
    "DROP TRIGGER IF EXISTS tickets_fts_ad",
    "DROP TRIGGER IF EXISTS tickets_fts_ai",
    "DROP TABLE IF EXISTS tickets_fts",
)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for statement in POSTGRES_ARTICLES + POSTGRES_TICKETS:
            op.execute(statement)
    elif dialect == "sqlite":
        for statement in SQLITE_TICKETS:
            op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for statement in POSTGRES_TICKETS_DROP + POSTGRES_ARTICLES_DROP:
            op.execute(statement)
    elif dialect == "sqlite":
        for statement in SQLITE_TICKETS_DROP:
            op.execute(statement)

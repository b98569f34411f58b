"""search index without a pending list: ``ix_article_search_document`` gets ``fastupdate =
off``, and the list it has is merged into the index (issue 14; docs/knowledge.md, "Search").

With ``fastupdate`` on (GIN's default) new and changed vectors wait in a pending list of up to
``gin_pending_list_limit`` (4 MB) until a vacuum merges them, and every search reads that whole
list besides the index: on the benchmark's 50,000 freshly loaded articles 407 pages, read by
each of a search's GIN scans (a query matching nothing took 1.08 ms instead of 0.05). Articles
are written a few times a day and searched on every keystroke, so each write now updates the
index itself.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER INDEX ix_article_search_document SET (fastupdate = off)")
        op.execute("SELECT gin_clean_pending_list('ix_article_search_document'::regclass)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER INDEX ix_article_search_document RESET (fastupdate)")

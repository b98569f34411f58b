"""user locale: the language a person chose for pages and messages (issue 17 item 7,
docs/translations.md); none means the browser's Accept-Language decides

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("locale", sa.String(length=16), nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # Batch mode would copy and drop ``users``, which every other table refers to: with
        # foreign keys on, that fails as soon as people exist. SQLite >= 3.35 drops a column
        # in place.
        op.execute("ALTER TABLE users DROP COLUMN locale")
    else:
        op.drop_column("users", "locale")

"""article capture: who an article captured from a ticket is attributed to, and the
confirmations that an article is still accurate (issue 14, items 2 and 6; docs/knowledge.md)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "article_contributors",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "role IN ('owner','helper','guest')", name=op.f("ck_article_contributors_role")
        ),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_contributors_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_article_contributors_user_id_users")
        ),
        sa.PrimaryKeyConstraint("article_id", "user_id", name=op.f("pk_article_contributors")),
    )
    op.create_table(
        "article_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("checked_by", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=8), nullable=True),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_checks_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["checked_by"], ["users.id"], name=op.f("fk_article_checks_checked_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_checks")),
    )
    with op.batch_alter_table("article_checks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_article_checks_article_id"), ["article_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("article_checks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_article_checks_article_id"))
    op.drop_table("article_checks")
    op.drop_table("article_contributors")

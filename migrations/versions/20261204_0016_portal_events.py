"""portal events: what a requester saw and did in the self-service portal before any ticket
(article_suggested, article_viewed, deflected; issue 14 item 4, docs/knowledge.md "The portal")

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "portal_events",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("visit", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("data", _JSON, nullable=False),
        sa.CheckConstraint(
            "type IN ('article_suggested','article_viewed','deflected')",
            name=op.f("ck_portal_events_type"),
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_portal_events_ticket_id_tickets"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_portal_events_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_events")),
        sa.UniqueConstraint("user_id", "visit", "type", "article_id", name="uq_portal_events_once"),
    )
    with op.batch_alter_table("portal_events", schema=None) as batch_op:
        batch_op.create_index("ix_portal_events_source_at", ["source", "at"], unique=False)
        batch_op.create_index(batch_op.f("ix_portal_events_ticket_id"), ["ticket_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("portal_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portal_events_ticket_id"))
        batch_op.drop_index("ix_portal_events_source_at")
    op.drop_table("portal_events")

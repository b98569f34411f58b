"""mail intake: every mail taken in (once per Message-ID) and the attachments kept with it
(issue 15 item 2; docs/mail.md)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mail_intake",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.String(length=998), nullable=False),
        sa.Column("sender", sa.String(length=254), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_mail_intake_ticket_id_tickets"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_intake")),
        sa.UniqueConstraint("key", name=op.f("uq_mail_intake_key")),
    )
    with op.batch_alter_table("mail_intake", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mail_intake_ticket_id"), ["ticket_id"], unique=False)

    op.create_table(
        "mail_attachments",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("intake_id", _ID, nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=127), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["intake_id"],
            ["mail_intake.id"],
            name=op.f("fk_mail_attachments_intake_id_mail_intake"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_attachments")),
    )
    with op.batch_alter_table("mail_attachments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mail_attachments_intake_id"), ["intake_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("mail_attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mail_attachments_intake_id"))
    op.drop_table("mail_attachments")
    with op.batch_alter_table("mail_intake", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mail_intake_ticket_id"))
    op.drop_table("mail_intake")

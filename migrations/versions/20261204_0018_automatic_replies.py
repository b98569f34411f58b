"""automatic replies: a rule's canned reply has no author (the support team speaks, not the
admin who wrote the rule); only a reply may be without one (docs/rules.md)

Replies rules already posted (their ``message`` event carries ``cause``) lose the author they
were stored under. Downgrading gives them back to the rule's author, else the first admin.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHECK = "author_id IS NOT NULL OR kind = 'reply'"


def _automatic(bind: sa.Connection) -> dict[int, int | None]:
    """Message id → the rule id of each reply a rule posted (from its event's ``cause``)."""
    rows = bind.execute(
        sa.text(
            "SELECT data FROM ticket_events WHERE type = 'message' "
            "AND CAST(data AS TEXT) LIKE '%cause%'"
        )
    )
    found: dict[int, int | None] = {}
    for (data,) in rows:
        data = json.loads(data) if isinstance(data, str) else data
        cause = data.get("cause") if isinstance(data, dict) else None
        if isinstance(cause, dict) and data.get("message_id") is not None:
            found[int(data["message_id"])] = cause.get("rule_id")
    return found


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.alter_column("author_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_check_constraint(op.f("ck_messages_author"), _CHECK)
    bind = op.get_bind()
    for message_id in _automatic(bind):
        bind.execute(
            sa.text("UPDATE messages SET author_id = NULL WHERE id = :id AND kind = 'reply'"),
            {"id": message_id},
        )


def downgrade() -> None:
    bind = op.get_bind()
    fallback = bind.scalar(
        sa.text("SELECT min(id) FROM users WHERE role = 'admin'")
    ) or bind.scalar(sa.text("SELECT min(id) FROM users"))
    authors = dict(bind.execute(sa.text("SELECT id, created_by FROM rules")).all())
    for message_id, rule_id in _automatic(bind).items():
        bind.execute(
            sa.text("UPDATE messages SET author_id = :a WHERE id = :id AND author_id IS NULL"),
            {"a": authors.get(rule_id, fallback), "id": message_id},
        )
    bind.execute(sa.text("DELETE FROM messages WHERE author_id IS NULL"))
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_messages_author"), type_="check")
        batch_op.alter_column("author_id", existing_type=sa.Integer(), nullable=False)

"""datasets: imported and simulated event logs, apart from the live log

``datasets`` names each imported or simulated log (where it came from, its size, the rows the
import rejected and why); ``dataset_events`` holds their events, shaped like ``ticket_events``
but without foreign keys (a dataset's ticket and actor ids are numbers inside it), so that no
live query — routing, ticket pages, deadlines — ever reads them; ``dataset_actors`` names the
groups or people a dataset's events refer to, with their support level when known.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "datasets",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("origin", sa.String(length=255), nullable=False),
        sa.Column("arm", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.Column("events", sa.BigInteger(), nullable=False),
        sa.Column("rejected", _JSON, nullable=False),
        sa.Column("summary", _JSON, nullable=False),
        sa.Column("params", _JSON, nullable=False),
        sa.Column("last_event_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_datasets")),
    )
    op.create_table(
        "dataset_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", _JSON, nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dataset_events")),
    )
    with op.batch_alter_table("dataset_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_dataset_events_source_ticket_id_id", ["source", "ticket_id", "id"], unique=False
        )
        batch_op.create_index("ix_dataset_events_source_type", ["source", "type"], unique=False)
        batch_op.create_index("ix_dataset_events_source_at", ["source", "at"], unique=False)
    op.create_table(
        "dataset_actors",
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("level", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("source", "id", name=op.f("pk_dataset_actors")),
    )


def downgrade() -> None:
    op.drop_table("dataset_actors")
    with op.batch_alter_table("dataset_events", schema=None) as batch_op:
        batch_op.drop_index("ix_dataset_events_source_at")
        batch_op.drop_index("ix_dataset_events_source_type")
        batch_op.drop_index("ix_dataset_events_source_ticket_id_id")
    op.drop_table("dataset_events")
    op.drop_table("datasets")

"""looking is not swarming: reply messages, participations' last_seen_at, view-only stints removed

Until this revision, opening an active ticket's page made a staff member a helper: a
participation row, ``helper_joined`` / ``helper_left`` events, and skill evidence when the
ticket was resolved. From now on a stint begins only when someone acts for the ticket
(docs/events.md, "Participation"). This revision removes what looking wrote, so that metrics and
skill profiles start from a true log:

* a **view-only stint** is a helper participation whose person neither came through an
  invitation (its ``helper_joined`` names an ``invitation_id``) nor wrote anything on the ticket
  (a message of any kind, or a note) between joining and leaving;
* its participation row goes, and so do its ``helper_joined`` and ``helper_left`` events (same
  ticket, same person, at the stint's start and end);
* skill evidence that resolving the ticket gave that person (``skill_growth`` rows of cause
  ``evidence`` for that ticket) is taken back: the evidence count goes down by one, a level the
  growth raised goes back (unless it changed since), a skill row that looking alone created is
  deleted, and the growth row goes.

It also allows the message kind ``reply`` (the requester's conversation) and adds
``participations.last_seen_at``. The clean-up reads the affected tables into memory once; the
downgrade keeps the clean-up (what was removed was never true) and refuses to run while
``reply`` messages exist.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_participations = sa.table(
    "participations",
    sa.column("id", sa.Integer),
    sa.column("ticket_id", sa.Integer),
    sa.column("user_id", sa.Integer),
    sa.column("role", sa.String),
    sa.column("joined_at", sa.DateTime(timezone=True)),
    sa.column("left_at", sa.DateTime(timezone=True)),
)
_events = sa.table(
    "ticket_events",
    sa.column("id", sa.BigInteger),
    sa.column("ticket_id", sa.Integer),
    sa.column("type", sa.String),
    sa.column("actor_id", sa.Integer),
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("data", sa.JSON),
)
_messages = sa.table(
    "messages",
    sa.column("ticket_id", sa.Integer),
    sa.column("author_id", sa.Integer),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
_growth = sa.table(
    "skill_growth",
    sa.column("id", sa.Integer),
    sa.column("user_id", sa.Integer),
    sa.column("skill_id", sa.Integer),
    sa.column("cause", sa.String),
    sa.column("proficiency_before", sa.Integer),
    sa.column("proficiency_after", sa.Integer),
    sa.column("ticket_id", sa.Integer),
)
_skills = sa.table(
    "agent_skills",
    sa.column("user_id", sa.Integer),
    sa.column("skill_id", sa.Integer),
    sa.column("proficiency", sa.Integer),
    sa.column("evidence", sa.Integer),
    sa.column("wants_to_learn", sa.Boolean),
)


def _utc(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; every stored time is UTC.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _agent(data: object) -> int | None:
    if isinstance(data, dict) and isinstance(data.get("agent_id"), int):
        return int(data["agent_id"])
    return None


def remove_view_only_stints(conn: sa.Connection) -> int:
    """Delete the view-only helper stints, their events and the evidence they earned; returns
    how many stints went."""
    stints = conn.execute(
        sa.select(_participations).where(_participations.c.role == "helper")
    ).all()
    if not stints:
        return 0
    wrote: dict[tuple[int, int], list[datetime]] = defaultdict(list)
    for ticket_id, author_id, at in conn.execute(
        sa.select(_messages.c.ticket_id, _messages.c.author_id, _messages.c.created_at)
    ):
        wrote[(ticket_id, author_id)].append(_utc(at))  # type: ignore[arg-type]
    moves = conn.execute(
        sa.select(_events.c.id, _events.c.ticket_id, _events.c.type, _events.c.at, _events.c.data)
        .where(_events.c.type.in_(["helper_joined", "helper_left"]))
        .order_by(_events.c.id)
    ).all()
    by_key: dict[tuple[int, int, str], list[tuple[int, datetime, object]]] = defaultdict(list)
    for event_id, ticket_id, kind, at, data in moves:
        agent = _agent(data)
        if agent is not None:
            by_key[(ticket_id, agent, kind)].append((event_id, _utc(at), data))  # type: ignore[arg-type]

    doomed_stints: list[int] = []
    doomed_events: list[int] = []
    doomed_pairs: set[tuple[int, int]] = set()
    kept_pairs: set[tuple[int, int]] = set()
    for stint in stints:
        joined, left = _utc(stint.joined_at), _utc(stint.left_at)
        assert joined is not None
        key = (stint.ticket_id, stint.user_id)
        joins = [e for e in by_key[(*key, "helper_joined")] if e[1] == joined]
        invited = any(isinstance(d, dict) and d.get("invitation_id") for _, _, d in joins)
        acted = any(joined <= at and (left is None or at <= left) for at in wrote[key])
        if invited or acted:
            kept_pairs.add(key)
            continue
        doomed_stints.append(stint.id)
        doomed_pairs.add(key)
        doomed_events += [event_id for event_id, _, _ in joins]
        if left is not None:
            doomed_events += [e[0] for e in by_key[(*key, "helper_left")] if e[1] == left]
    if doomed_stints:
        conn.execute(sa.delete(_participations).where(_participations.c.id.in_(doomed_stints)))
    if doomed_events:
        conn.execute(sa.delete(_events).where(_events.c.id.in_(doomed_events)))
    # Evidence goes back only where the person had no true stint on that ticket.
    _take_back_evidence(conn, doomed_pairs - kept_pairs)
    return len(doomed_stints)


def _take_back_evidence(conn: sa.Connection, pairs: set[tuple[int, int]]) -> None:
    if not pairs:
        return
    tickets = {ticket for ticket, _ in pairs}
    rows = conn.execute(
        sa.select(_growth).where(_growth.c.cause == "evidence", _growth.c.ticket_id.in_(tickets))
    ).all()
    for row in rows:
        if (row.ticket_id, row.user_id) not in pairs:
            continue
        where = sa.and_(_skills.c.user_id == row.user_id, _skills.c.skill_id == row.skill_id)
        current = conn.execute(sa.select(_skills).where(where)).first()
        if current is not None:
            evidence = max(0, (current.evidence or 0) - 1)
            created_by_looking = row.proficiency_before is None
            if created_by_looking and evidence == 0 and not current.wants_to_learn:
                conn.execute(sa.delete(_skills).where(where))
            else:
                values: dict[str, object] = {"evidence": evidence}
                if current.proficiency == row.proficiency_after:
                    values["proficiency"] = row.proficiency_before or 0
                conn.execute(sa.update(_skills).where(where).values(**values))
        conn.execute(sa.delete(_growth).where(_growth.c.id == row.id))


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_messages_kind"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_messages_kind"), "kind IN ('chat','note','solution','reply')"
        )
    with op.batch_alter_table("participations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True))
    remove_view_only_stints(op.get_bind())


def downgrade() -> None:
    conn = op.get_bind()
    replies = conn.execute(sa.text("SELECT count(*) FROM messages WHERE kind = 'reply'")).scalar()
    if replies:
        raise RuntimeError(
            f"{replies} reply message(s) exist; revision 0005 has no place for them. "
            "Export or delete them before downgrading."
        )
    with op.batch_alter_table("participations", schema=None) as batch_op:
        batch_op.drop_column("last_seen_at")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_messages_kind"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_messages_kind"), "kind IN ('chat','note','solution')"
        )

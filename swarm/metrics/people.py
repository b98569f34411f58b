"""Who contributes, and how people's skills grow: SQL over the event log and ``skill_growth``.

Credit goes to everyone who worked a ticket, owners and helpers alike — "who contributes, not
who closes most" (Consortium for Service Innovation, Intelligent Swarming) — so a person's row
counts the tickets they owned, the ones they helped on, what they wrote and how long they
stayed, beside the tickets they happened to resolve. Looking at a ticket is not in the log
(docs/events.md, "Participation"), so it earns nothing here.

Each figure is one SQL text for SQLite or PostgreSQL (the shims of
:mod:`swarm.metrics.dialect`) with its bound parameters, and a function turning the rows the
database returns into JSON-able dicts. Nothing here touches a connection.

How to call (``conn`` is a DB-API or SQLAlchemy connection; SQLAlchemy needs ``text(sql)``):

>>> from datetime import datetime, UTC
>>> from swarm.metrics.memory import memory_log
>>> at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
>>> db = memory_log([
...     {"ticket_id": 1, "type": "created", "at": at, "actor_id": 9,
...      "data": {"subject": "VPN down", "mode": "swarm", "requester_id": 9}},
...     {"ticket_id": 1, "type": "assigned", "at": at, "actor_id": 3, "data": {"agent_id": 3}},
...     {"ticket_id": 1, "type": "resolved", "at": at, "actor_id": 3, "data": {}},
... ])
>>> sql, params = contribution_sql("sqlite", "live")
>>> rows = db.execute(sql, params).fetchall()
>>> [(p["person_id"], p["tickets_owned"], p["tickets_resolved"]) for p in contribution(rows)]
[(3, 1, 1)]
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from swarm.metrics.dialect import Dialect, event_table, jnum, jtext, time_param

__all__ = [
    "MESSAGE_KINDS",
    "contribution",
    "contribution_sql",
    "day_text",
    "skill_growth",
    "skill_growth_sql",
    "subject_of",
    "ticket_scope",
    "week_text",
]

#: The kinds of written contribution counted per person; a ``note`` event counts as ``note``.
MESSAGE_KINDS: tuple[str, ...] = ("chat", "solution", "reply", "note")

Params = dict[str, Any]


def day_text(dialect: Dialect, expr: str) -> str:
    """The UTC calendar day of a timestamp expression, as text ``YYYY-MM-DD``.

    >>> day_text("postgresql", "e.at")
    "to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
    """
    if dialect == "postgresql":
        return f"to_char({expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
    return f"substr({expr}, 1, 10)"


def week_text(dialect: Dialect, expr: str) -> str:
    """The Monday (UTC) starting the ISO week of a timestamp expression, as ``YYYY-MM-DD``.

    >>> week_text("sqlite", "g.at")
    "date(g.at, '-6 days', 'weekday 1')"
    """
    if dialect == "postgresql":
        return f"to_char(date_trunc('week', {expr} AT TIME ZONE 'UTC'), 'YYYY-MM-DD')"
    # 'weekday 1' moves forward to the next Monday unless already on one; stepping back six
    # days first lands every day of a week on the Monday that starts it.
    return f"date({expr}, '-6 days', 'weekday 1')"


def ticket_scope(
    dialect: Dialect,
    source: str,
    start: datetime | None = None,
    end: datetime | None = None,
    as_of: datetime | None = None,
) -> tuple[str, Params]:
    """Two CTEs every people and exceptions query starts from: ``scope`` (the ids of the
    tickets of one dataset created in ``[start, end)``) and ``ev`` (their events of that
    dataset before ``as_of``).

    ``ev`` selects by ``ticket_id IN scope`` rather than joining: with no statistics SQLite
    would otherwise walk the dataset's whole ``(source, at)`` index once per ticket. Queries
    built on it then work per ticket with window functions and aggregates, never by joining
    one CTE to another (CTEs have no indexes).

    Parameters
    ----------
    dialect : {"sqlite", "postgresql"}
    source : str
        The dataset: ``live``, an imported name or ``sim:<run>``.
    start, end : datetime, optional
        The period (aware); a missing bound is open.
    as_of : datetime, optional
        Events after this moment are ignored (none when missing); one at it counts, as in
        the comparison (swarm.metrics.facts).

    Returns
    -------
    tuple of (str, dict)
        ``WITH scope AS (...), ev AS (...)`` — without a final ``SELECT`` — and its parameters.

    Examples
    --------
    >>> sql, params = ticket_scope("sqlite", "live")
    >>> sql.startswith("WITH scope AS") and params
    {'source': 'live'}
    """
    params: Params = {"source": source}
    created = ["c.source = :source", "c.type = 'created'"]
    if start is not None:
        created.append("c.at >= :start")
        params["start"] = time_param(dialect, start)
    if end is not None:
        created.append("c.at < :end")
        params["end"] = time_param(dialect, end)
    events = ["e.source = :source", "e.ticket_id IN (SELECT ticket_id FROM scope)"]
    if as_of is not None:
        events.append("e.at <= :as_of")
        params["as_of"] = time_param(dialect, as_of)
    table = event_table(source)
    # On SQLite the per-ticket index is named (swarm.metrics.facts._per_ticket).
    read = f"{table} AS e"
    if dialect == "sqlite" and table == "dataset_events":
        read += " INDEXED BY ix_dataset_events_source_ticket_id_id"
    sql = f"""WITH scope AS (
    SELECT c.ticket_id FROM {table} c WHERE {" AND ".join(created)}
),
ev AS (
    SELECT e.id, e.ticket_id, e.type, e.actor_id, e.at, e.data
    FROM {read}
    WHERE {" AND ".join(events)}
)"""
    return sql, params


def subject_of(dialect: Dialect, ticket: str, table: str = "ticket_events") -> str:
    """A scalar subquery: the subject of ticket ``ticket`` (an SQL expression) from its first
    ``created`` event in the ``:source`` dataset, NULL when it has none.

    For the few rows a query finally returns; it reads ``table`` (:func:`event_table`) by its
    ``(ticket_id, id)`` index.

    >>> subject_of("sqlite", "h.ticket_id").startswith("(SELECT json_extract(c.data")
    True
    """
    return (
        f"(SELECT {jtext(dialect, 'subject', 'c.data')} FROM {table} c "
        f"WHERE c.ticket_id = {ticket} AND c.source = :source AND c.type = 'created' "
        "ORDER BY c.id LIMIT 1)"
    )


def contribution_sql(
    dialect: Dialect,
    source: str,
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    as_of: datetime | None = None,
    person: int | None = None,
) -> tuple[str, Params]:
    """Per person, what they did on the tickets of ``source`` created in ``[start, end)``.

    A person is anyone an event names as owner (``assigned.agent_id``), helper
    (``helper_*.agent_id``, ``help_offered.agent_id``), writer (the actor of ``message`` and
    ``note``) or resolver. A ticket's requester (``created.requester_id``) and guests
    (anyone a ``guest_invited.guest_id`` of the dataset names) write replies and chat but are
    not staff, so their messages are not counted.

    Parameters
    ----------
    dialect : {"sqlite", "postgresql"}
    source : str
        The dataset.
    start, end : datetime, optional
        The period of ticket creation (aware).
    as_of : datetime, optional
        Only events before this moment count.
    person : int, optional
        Only this person's row (an agent sees only their own).

    Returns
    -------
    tuple of (str, dict)
        The query and its parameters (``source``, and ``start``, ``end``, ``as_of``,
        ``person`` when given). Rows: ``person_id, tickets_contributed, tickets_owned,
        tickets_resolved, tickets_helped, chat, solution, reply, note, helper_seconds,
        invitations_accepted, offers_taken_up, times_invited, offers_made``, for
        :func:`contribution`.

    Examples
    --------
    >>> sql, params = contribution_sql("postgresql", "live", person=7)
    >>> params
    {'source': 'live', 'person': 7}
    """
    scope, params = ticket_scope(dialect, source, start, end, as_of)
    agent = f"CAST({jnum(dialect, 'agent_id', 'w.data')} AS BIGINT)"
    via = jtext(dialect, "via", "w.data")
    kind = jtext(dialect, "kind", "w.data")
    seconds = jnum(dialect, "seconds", "w.data")
    requester = f"CAST({jnum(dialect, 'requester_id', 'ev.data')} AS BIGINT)"
    only = "WHERE a.person IS NOT NULL"
    if person is not None:
        only = "WHERE a.person = :person"
        params["person"] = person
    ticket = "PARTITION BY ev.ticket_id"
    joined = "'joined', 'joined:invitation', 'joined:offer'"
    # One pass: each event becomes (person, ticket, what, amount); then per person and
    # ticket, then per person (cheaper than several COUNT(DISTINCT …) over every act).
    sql = f"""{scope},
guests AS (
    SELECT CAST({jnum(dialect, "guest_id", "g.data")} AS BIGINT) AS guest_id
    FROM {event_table(source)} g WHERE g.source = :source AND g.type = 'guest_invited'
),
w AS (
    SELECT ev.ticket_id, ev.id, ev.type, ev.actor_id, ev.data,
           MAX(CASE WHEN ev.type = 'created' THEN {requester} END) OVER ({ticket}) AS requester_id,
           MAX(CASE WHEN ev.type = 'resolved' THEN ev.id END) OVER ({ticket}) AS resolved_id,
           MAX(CASE WHEN ev.type = 'reopened' THEN ev.id END) OVER ({ticket}) AS reopened_id
    FROM ev
),
acts AS (
    SELECT w.ticket_id,
           CASE
               WHEN w.type IN ('assigned', 'helper_joined', 'helper_left', 'helper_invited',
                               'help_offered') THEN {agent}
               WHEN w.type = 'resolved' THEN w.actor_id
               WHEN (w.requester_id IS NULL OR w.actor_id <> w.requester_id)
                    AND w.actor_id NOT IN (SELECT guest_id FROM guests
                                           WHERE guest_id IS NOT NULL) THEN w.actor_id
           END AS person,
           CASE w.type
               WHEN 'assigned' THEN 'owned'
               WHEN 'resolved' THEN 'resolved'
               WHEN 'helper_joined' THEN
                   CASE {via} WHEN 'invitation' THEN 'joined:invitation'
                              WHEN 'offer' THEN 'joined:offer' ELSE 'joined' END
               WHEN 'helper_left' THEN 'seconds'
               WHEN 'helper_invited' THEN 'invited'
               WHEN 'help_offered' THEN 'offered'
               WHEN 'note' THEN 'note'
               ELSE 'message:' || COALESCE({kind}, '')
           END AS what,
           CASE WHEN w.type = 'helper_left' THEN COALESCE({seconds}, 0.0) ELSE 0.0 END AS amount
    FROM w
    WHERE w.type IN ('assigned', 'helper_joined', 'helper_left', 'helper_invited',
                     'help_offered', 'message', 'note')
       OR (w.type = 'resolved' AND w.id = w.resolved_id
           AND (w.reopened_id IS NULL OR w.reopened_id < w.id))
),
per_ticket AS (
    SELECT a.person, a.ticket_id,
           MAX(CASE WHEN a.what = 'owned' THEN 1 ELSE 0 END) AS owned,
           MAX(CASE WHEN a.what = 'resolved' THEN 1 ELSE 0 END) AS resolved,
           MAX(CASE WHEN a.what IN ({joined}) THEN 1 ELSE 0 END) AS helped,
           SUM(CASE WHEN a.what = 'message:chat' THEN 1 ELSE 0 END) AS chat,
           SUM(CASE WHEN a.what = 'message:solution' THEN 1 ELSE 0 END) AS solution,
           SUM(CASE WHEN a.what = 'message:reply' THEN 1 ELSE 0 END) AS reply,
           SUM(CASE WHEN a.what IN ('note', 'message:note') THEN 1 ELSE 0 END) AS note,
           SUM(a.amount) AS seconds,
           SUM(CASE WHEN a.what = 'joined:invitation' THEN 1 ELSE 0 END) AS by_invitation,
           SUM(CASE WHEN a.what = 'joined:offer' THEN 1 ELSE 0 END) AS by_offer,
           SUM(CASE WHEN a.what = 'invited' THEN 1 ELSE 0 END) AS invited,
           SUM(CASE WHEN a.what = 'offered' THEN 1 ELSE 0 END) AS offered
    FROM acts a
    {only}
    GROUP BY a.person, a.ticket_id
)
SELECT p.person,
       SUM(CASE WHEN p.owned = 1 OR p.helped = 1 THEN 1 ELSE 0 END),
       SUM(p.owned), SUM(p.resolved), SUM(p.helped),
       SUM(p.chat), SUM(p.solution), SUM(p.reply), SUM(p.note), SUM(p.seconds),
       SUM(p.by_invitation), SUM(p.by_offer), SUM(p.invited), SUM(p.offered)
FROM per_ticket p
GROUP BY p.person
ORDER BY p.person"""
    return sql, params


def contribution(rows: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    """The rows of :func:`contribution_sql` as one dict per person, most tickets contributed
    to first (then by id).

    ``tickets_contributed`` counts the distinct tickets a person owned or helped on;
    ``helper_minutes`` is the sum of their ``helper_left.seconds`` over 60.

    Examples
    --------
    >>> row = (7, 3, 2, 1, 1, 4, 1, 0, 2, 1800.0, 1, 0, 2, 0)
    >>> person = contribution([row])[0]
    >>> person["tickets_contributed"], person["messages"], person["helper_minutes"]
    (3, {'chat': 4, 'solution': 1, 'reply': 0, 'note': 2}, 30.0)
    """
    people: list[dict[str, Any]] = []
    for row in rows:
        (person_id, contributed, owned, resolved, helped, chat, solution, reply, note) = row[:9]
        seconds, by_invitation, by_offer, invited, offered = row[9:14]
        messages = {
            "chat": int(chat or 0),
            "solution": int(solution or 0),
            "reply": int(reply or 0),
            "note": int(note or 0),
        }
        people.append(
            {
                "person_id": int(person_id),
                "tickets_contributed": int(contributed or 0),
                "tickets_owned": int(owned or 0),
                "tickets_resolved": int(resolved or 0),
                "tickets_helped": int(helped or 0),
                "messages": messages,
                "messages_total": sum(messages.values()),
                "helper_minutes": round(float(seconds or 0.0) / 60.0, 2),
                "invitations_accepted": int(by_invitation or 0),
                "offers_taken_up": int(by_offer or 0),
                "times_invited": int(invited or 0),
                "offers_made": int(offered or 0),
            }
        )
    people.sort(key=lambda p: (-p["tickets_contributed"], p["person_id"]))
    return people


def skill_growth_sql(
    dialect: Dialect,
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    person: int | None = None,
    skill: int | None = None,
) -> tuple[str, Params]:
    """Per person, skill and ISO week (Monday, UTC), how the ``skill_growth`` rows moved the
    level.

    ``skill_growth`` is a table of the live application (``swarm/models/skills.py``), not
    events: one row per change of a proficiency or a learning goal, with its ``cause``
    (``self``, ``manager``, ``evidence`` from a resolved ticket, ``removed``). A missing level
    (before the skill was on the profile, after it was removed) counts as 0.

    Parameters
    ----------
    dialect : {"sqlite", "postgresql"}
    start, end : datetime, optional
        Changes made in ``[start, end)`` (aware).
    person : int, optional
        Only this person.
    skill : int, optional
        Only this skill.

    Returns
    -------
    tuple of (str, dict)
        Rows ``user_id, skill_id, week, level_before, level_after, changes, raised, lowered,
        evidence_changes, evidence`` ordered by person, skill, week, for :func:`skill_growth`.

    Examples
    --------
    >>> sql, params = skill_growth_sql("sqlite", person=3)
    >>> params
    {'person': 3}
    """
    params: Params = {}
    where = []
    if start is not None:
        where.append("g.at >= :start")
        params["start"] = time_param(dialect, start)
    if end is not None:
        where.append("g.at < :end")
        params["end"] = time_param(dialect, end)
    if person is not None:
        where.append("g.user_id = :person")
        params["person"] = person
    if skill is not None:
        where.append("g.skill_id = :skill")
        params["skill"] = skill
    condition = f"WHERE {' AND '.join(where)}" if where else ""
    # The first and last change of each week (by id: rows of one moment keep their order).
    sql = f"""WITH g AS (
    SELECT g.id, g.user_id, g.skill_id, {week_text(dialect, "g.at")} AS week, g.cause,
           COALESCE(g.proficiency_before, 0) AS before_level,
           COALESCE(g.proficiency_after, 0) AS after_level, g.evidence
    FROM skill_growth g
    {condition}
),
ranked AS (
    SELECT g.*,
           ROW_NUMBER() OVER (PARTITION BY user_id, skill_id, week ORDER BY id) AS first_n,
           ROW_NUMBER() OVER (PARTITION BY user_id, skill_id, week ORDER BY id DESC) AS last_n
    FROM g
)
SELECT user_id, skill_id, week,
       MAX(CASE WHEN first_n = 1 THEN before_level END),
       MAX(CASE WHEN last_n = 1 THEN after_level END),
       COUNT(*),
       SUM(CASE WHEN after_level > before_level THEN 1 ELSE 0 END),
       SUM(CASE WHEN after_level < before_level THEN 1 ELSE 0 END),
       SUM(CASE WHEN cause = 'evidence' THEN 1 ELSE 0 END),
       MAX(CASE WHEN last_n = 1 THEN evidence END)
FROM ranked
GROUP BY user_id, skill_id, week
ORDER BY user_id, skill_id, week"""
    return sql, params


def skill_growth(rows: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    """The rows of :func:`skill_growth_sql` as one series per person and skill.

    Each week carries the level at its start and end, the net change, how many changes were
    made (raised, lowered) and how many came from resolved tickets (``evidence_changes``),
    with the evidence count at the week's end; ``growth`` is the series' net change.

    Examples
    --------
    >>> rows = [(3, 11, "2026-03-02", 1, 2, 2, 1, 0, 2, 5),
    ...         (3, 11, "2026-03-09", 2, 3, 1, 1, 0, 1, 6)]
    >>> series = skill_growth(rows)[0]
    >>> series["growth"], [w["change"] for w in series["weeks"]]
    (2, [1, 1])
    """
    series: dict[tuple[int, int], dict[str, Any]] = {}
    for user_id, skill_id, week, before, after, changes, up, down, by_evidence, evidence in rows:
        key = (int(user_id), int(skill_id))
        entry = series.setdefault(
            key, {"person_id": key[0], "skill_id": key[1], "growth": 0, "weeks": []}
        )
        change = int(after) - int(before)
        entry["growth"] += change
        entry["weeks"].append(
            {
                "week": str(week),
                "level_before": int(before),
                "level_after": int(after),
                "change": change,
                "changes": int(changes),
                "raised": int(up or 0),
                "lowered": int(down or 0),
                "evidence_changes": int(by_evidence or 0),
                "evidence": int(evidence or 0),
            }
        )
    return list(series.values())

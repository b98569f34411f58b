"""Exceptions a manager should act on, found in the event log.

Four kinds, each judged as of a moment ``as_of`` (events after it are not yet known; one at it is):

``unanswered_hand``
    A hand raised (``hand_raised``) at least ``hand_minutes`` ago on a ticket that is still
    open, with no ``helper_joined`` on that ticket since. The item is the earliest such hand.
``overloaded_expert``
    A person who joined more than ``swarms_per_day`` distinct tickets' swarms
    (``helper_joined``) on one UTC day.
``ping_pong``
    A ticket whose owner sequence — consecutive distinct ``assigned.agent_id`` values in event
    order — contains A, B, A.
``vendor_overdue``
    An open ticket whose latest ``vendor_handoff`` has no final ``vendor_update`` (status
    ``resolved`` or ``rejected``) after it and whose ``due_at`` is more than
    ``vendor_grace_minutes`` before ``as_of``.

Each kind is one SQL text (SQLite or PostgreSQL) with its parameters, and a function turning
the rows into items ``{kind, ticket_ids, subject, people, at, sentence, …}``. The tickets are
those of one dataset created in ``[start, end)``, as everywhere in the metrics.

How to call (``conn`` is a DB-API or SQLAlchemy connection; SQLAlchemy needs ``text(sql)``):

>>> from datetime import datetime, timedelta, UTC
>>> from swarm.metrics.memory import memory_log
>>> t0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
>>> db = memory_log([
...     {"ticket_id": 17, "type": "created", "at": t0, "data": {"subject": "VPN down"}},
...     {"ticket_id": 17, "type": "hand_raised", "at": t0, "actor_id": 3, "data": {}},
... ])
>>> as_of = t0 + timedelta(minutes=42)
>>> queries = exceptions_sql("sqlite", "live", as_of=as_of)
>>> rows = {kind: db.execute(sql, params).fetchall() for kind, (sql, params) in queries.items()}
>>> report = exceptions(rows, as_of=as_of, names={3: "Ada"})
>>> report["items"][0]["sentence"]
'Hand raised 42 min ago on #17 (VPN down) by Ada and nobody has joined.'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from swarm.metrics.dialect import Dialect, epoch, event_table, jnum, jtext, time_param
from swarm.metrics.people import day_text, subject_of, ticket_scope

__all__ = [
    "KINDS",
    "Thresholds",
    "exceptions",
    "exceptions_sql",
    "overloaded_experts",
    "overloaded_experts_sql",
    "ping_pong",
    "ping_pong_sql",
    "unanswered_hands",
    "unanswered_hands_sql",
    "vendor_overdue",
    "vendor_overdue_sql",
]

#: The kinds, in the order a report lists them.
KINDS: tuple[str, ...] = ("unanswered_hand", "vendor_overdue", "overloaded_expert", "ping_pong")

Params = dict[str, Any]
Rows = Sequence[Sequence[Any]]
Names = Mapping[int, str]


@dataclass(frozen=True)
class Thresholds:
    """When a pattern becomes an exception.

    Attributes
    ----------
    hand_minutes : int
        How long a raised hand may wait for a helper.
    swarms_per_day : int
        How many swarms one person may join in a UTC day; more is an exception.
    vendor_grace_minutes : int
        How long past its ``due_at`` a vendor hand-off may run before it is listed.

    Examples
    --------
    >>> Thresholds(hand_minutes=30)
    Thresholds(hand_minutes=30, swarms_per_day=5, vendor_grace_minutes=0)
    """

    hand_minutes: int = 15
    swarms_per_day: int = 5
    vendor_grace_minutes: int = 0

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"Threshold {name} must be a whole number ≥ 0, got {value!r}.")


# ---------------------------------------------------------------------------- the queries

# Open as of as_of: no `resolved`/`closed`, or a `reopened` after the last of them. Window
# columns over one ticket's events (the named window `t`), so no CTE is joined to another.
_STATE = """MAX(CASE WHEN ev.type IN ('resolved', 'closed') THEN ev.id END) OVER t AS done_id,
           MAX(CASE WHEN ev.type = 'reopened' THEN ev.id END) OVER t AS reopened_id"""
_STATE_TYPES = "'resolved', 'closed', 'reopened'"


def _is_open(alias: str) -> str:
    return f"({alias}.done_id IS NULL OR {alias}.reopened_id > {alias}.done_id)"


def unanswered_hands_sql(
    dialect: Dialect,
    source: str,
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    as_of: datetime,
    thresholds: Thresholds = Thresholds(),
) -> tuple[str, Params]:
    """Open tickets whose hand has waited ``hand_minutes`` or more with nobody joining.

    Parameters
    ----------
    dialect : {"sqlite", "postgresql"}
    source : str
        The dataset.
    start, end : datetime, optional
        The period of ticket creation.
    as_of : datetime
        The moment the state is judged at.
    thresholds : Thresholds
        ``hand_minutes`` is used.

    Returns
    -------
    tuple of (str, dict)
        Rows ``ticket_id, subject, raised_by, raised_at`` (the earliest unanswered hand per
        ticket), oldest first; parameters ``source, start?, end?, as_of, raised_before``.

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> sql, params = unanswered_hands_sql("sqlite", "live",
    ...                                    as_of=datetime(2026, 3, 2, 10, 0, tzinfo=UTC))
    >>> params["raised_before"]
    '2026-03-02 09:45:00.000000'
    """
    scope, params = ticket_scope(dialect, source, start, end, as_of)
    table = event_table(source)
    params["raised_before"] = time_param(
        dialect, as_of - timedelta(minutes=thresholds.hand_minutes)
    )
    sql = f"""{scope},
w AS (
    SELECT ev.ticket_id, ev.id, ev.type, ev.actor_id, ev.at,
           MAX(CASE WHEN ev.type = 'helper_joined' THEN ev.id END) OVER t AS joined_id,
           {_STATE}
    FROM ev
    WHERE ev.type IN ('hand_raised', 'helper_joined', {_STATE_TYPES})
    WINDOW t AS (PARTITION BY ev.ticket_id)
),
hands AS (
    SELECT w.ticket_id, w.actor_id, w.at,
           ROW_NUMBER() OVER (PARTITION BY w.ticket_id ORDER BY w.id) AS n
    FROM w
    WHERE w.type = 'hand_raised' AND (w.joined_id IS NULL OR w.id > w.joined_id)
      AND {_is_open("w")}
)
SELECT h.ticket_id, {subject_of(dialect, "h.ticket_id", table)}, h.actor_id, h.at
FROM hands h
WHERE h.n = 1 AND h.at <= :raised_before
ORDER BY h.at, h.ticket_id"""
    return sql, params


def overloaded_experts_sql(
    dialect: Dialect,
    source: str,
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    as_of: datetime,
    thresholds: Thresholds = Thresholds(),
) -> tuple[str, Params]:
    """People who joined more than ``swarms_per_day`` distinct tickets' swarms on one UTC day.

    Returns
    -------
    tuple of (str, dict)
        Rows ``person_id, day, ticket_id, swarms`` (one per ticket of an over-limit day),
        ordered by day, person, ticket; parameters ``source, start?, end?, as_of,
        swarms_per_day``.

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> sql, params = overloaded_experts_sql("postgresql", "live",
    ...     as_of=datetime(2026, 3, 2, tzinfo=UTC), thresholds=Thresholds(swarms_per_day=3))
    >>> params["swarms_per_day"]
    3
    """
    scope, params = ticket_scope(dialect, source, start, end, as_of)
    params["swarms_per_day"] = thresholds.swarms_per_day
    agent = f"CAST({jnum(dialect, 'agent_id', 'ev.data')} AS BIGINT)"
    sql = f"""{scope},
joins AS (
    SELECT DISTINCT {agent} AS person_id, {day_text(dialect, "ev.at")} AS day, ev.ticket_id
    FROM ev WHERE ev.type = 'helper_joined'
),
counted AS (
    SELECT person_id, day, ticket_id,
           COUNT(*) OVER (PARTITION BY person_id, day) AS swarms
    FROM joins WHERE person_id IS NOT NULL
)
SELECT person_id, day, ticket_id, swarms
FROM counted
WHERE swarms > :swarms_per_day
ORDER BY day, person_id, ticket_id"""
    return sql, params


def ping_pong_sql(
    dialect: Dialect,
    source: str,
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    as_of: datetime,
    thresholds: Thresholds = Thresholds(),
) -> tuple[str, Params]:
    """Tickets whose owners went A → B → A, with their whole owner sequence.

    ``thresholds`` is accepted for a uniform signature; ping-pong has none.

    Returns
    -------
    tuple of (str, dict)
        Rows ``ticket_id, subject, owner_id, at, returned`` — the ticket's owner sequence
        (consecutive repeats dropped) in event order, ``returned`` 1 where an owner came back
        after one other; only tickets with a return. Parameters ``source, start?, end?,
        as_of``.

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> sql, params = ping_pong_sql("sqlite", "demo", as_of=datetime(2026, 3, 2, tzinfo=UTC))
    >>> sorted(params)
    ['as_of', 'source']
    """
    del thresholds
    scope, params = ticket_scope(dialect, source, start, end, as_of)
    table = event_table(source)
    agent = f"CAST({jnum(dialect, 'agent_id', 'ev.data')} AS BIGINT)"
    sql = f"""{scope},
owners AS (
    SELECT ev.ticket_id, ev.id, ev.at, {agent} AS owner_id
    FROM ev WHERE ev.type = 'assigned'
),
changes AS (
    SELECT o.ticket_id, o.id, o.at, o.owner_id,
           LAG(o.owner_id) OVER (PARTITION BY o.ticket_id ORDER BY o.id) AS previous_id
    FROM owners o WHERE o.owner_id IS NOT NULL
),
sequence AS (
    SELECT ticket_id, id, at, owner_id FROM changes
    WHERE previous_id IS NULL OR previous_id <> owner_id
),
marked AS (
    SELECT q.ticket_id, q.id, q.at, q.owner_id,
           CASE WHEN LAG(q.owner_id, 2) OVER (PARTITION BY q.ticket_id ORDER BY q.id)
                     = q.owner_id THEN 1 ELSE 0 END AS returned
    FROM sequence q
),
flagged AS (
    SELECT m.ticket_id, m.id, m.at, m.owner_id, m.returned,
           MAX(m.returned) OVER (PARTITION BY m.ticket_id) AS bounced
    FROM marked m
)
SELECT f.ticket_id, {subject_of(dialect, "f.ticket_id", table)}, f.owner_id, f.at, f.returned
FROM flagged f
WHERE f.bounced = 1
ORDER BY f.ticket_id, f.id"""
    return sql, params


def vendor_overdue_sql(
    dialect: Dialect,
    source: str,
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    as_of: datetime,
    thresholds: Thresholds = Thresholds(),
) -> tuple[str, Params]:
    """Open tickets still with a vendor: the latest ``vendor_handoff`` of each open ticket with
    no final ``vendor_update`` after it, and how long the vendor's clock was paused since.

    ``due_at`` is an ISO string written by whoever handed off (the live service, an importer);
    :func:`vendor_overdue` parses it and keeps the hand-offs past it, so that one malformed
    value drops its row rather than failing the query. A ``vendor_update`` with status
    ``waiting_on_us`` pauses the vendor's clock until the next update (or ``as_of``), as the
    live clock does (``swarm/tiers/vendors.py``), and pushes the due time back by as much.

    Returns
    -------
    tuple of (str, dict)
        Rows ``ticket_id, subject, handed_off_by, handed_off_at, vendor, external_ref,
        due_at, paused_seconds``; parameters ``source, start?, end?, as_of``.

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> sql, params = vendor_overdue_sql("sqlite", "live", as_of=datetime(2026, 3, 2, tzinfo=UTC))
    >>> "vendor_update" in sql
    True
    """
    del thresholds
    scope, params = ticket_scope(dialect, source, start, end, as_of)
    table = event_table(source)
    status = jtext(dialect, "status", "ev.data")
    waited = f"{epoch(dialect, 'COALESCE(v.next_at, :as_of)')} - {epoch(dialect, 'v.at')}"
    handoff = "CASE WHEN v.id = v.handoff_id THEN"
    update = "v.type = 'vendor_update'"
    sql = f"""{scope},
v AS (
    SELECT ev.ticket_id, ev.id, ev.type, ev.actor_id, ev.at, ev.data, {status} AS status,
           MAX(CASE WHEN ev.type = 'vendor_handoff' THEN ev.id END) OVER t AS handoff_id,
           LEAD(ev.at) OVER (PARTITION BY ev.ticket_id, ev.type ORDER BY ev.id) AS next_at,
           {_STATE}
    FROM ev
    WHERE ev.type IN ('vendor_handoff', 'vendor_update', {_STATE_TYPES})
    WINDOW t AS (PARTITION BY ev.ticket_id)
),
handoffs AS (
    -- waiting_on_us stops the vendor's clock until the next update (swarm/tiers/vendors.py)
    SELECT v.ticket_id, MAX(v.handoff_id) AS handoff_id,
           MAX({handoff} v.actor_id END) AS actor_id,
           MAX({handoff} v.at END) AS at,
           MAX({handoff} {jtext(dialect, "vendor", "v.data")} END) AS vendor,
           MAX({handoff} {jtext(dialect, "external_ref", "v.data")} END) AS external_ref,
           MAX({handoff} {jtext(dialect, "due_at", "v.data")} END) AS due_at,
           MAX(CASE WHEN {update} AND v.status IN ('resolved', 'rejected') THEN v.id END)
               AS final_id,
           SUM(CASE WHEN {update} AND v.status = 'waiting_on_us' AND v.id > v.handoff_id
                    THEN {waited} ELSE 0.0 END) AS paused,
           MAX(v.done_id) AS done_id, MAX(v.reopened_id) AS reopened_id
    FROM v
    WHERE v.handoff_id IS NOT NULL
    GROUP BY v.ticket_id
)
SELECT h.ticket_id, {subject_of(dialect, "h.ticket_id", table)}, h.actor_id, h.at, h.vendor,
       h.external_ref, h.due_at, h.paused
FROM handoffs h
WHERE (h.final_id IS NULL OR h.final_id < h.handoff_id) AND {_is_open("h")}
ORDER BY h.handoff_id"""
    return sql, params


_BUILDERS = {
    "unanswered_hand": unanswered_hands_sql,
    "vendor_overdue": vendor_overdue_sql,
    "overloaded_expert": overloaded_experts_sql,
    "ping_pong": ping_pong_sql,
}


def exceptions_sql(
    dialect: Dialect,
    source: str,
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    as_of: datetime,
    thresholds: Thresholds = Thresholds(),
) -> dict[str, tuple[str, Params]]:
    """The four queries, by kind (the keys of :data:`KINDS`), for :func:`exceptions`.

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> list(exceptions_sql("sqlite", "live", as_of=datetime(2026, 3, 2, tzinfo=UTC)))
    ['unanswered_hand', 'vendor_overdue', 'overloaded_expert', 'ping_pong']
    """
    return {
        kind: build(dialect, source, start, end, as_of=as_of, thresholds=thresholds)
        for kind, build in _BUILDERS.items()
    }


# ---------------------------------------------------------------------------- rows → items


def unanswered_hands(
    rows: Rows, *, as_of: datetime, names: Names | None = None
) -> list[dict[str, Any]]:
    """Items for the rows of :func:`unanswered_hands_sql`.

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> rows = [(17, None, 3, "2026-03-02 09:00:00.000000")]
    >>> item = unanswered_hands(rows, as_of=datetime(2026, 3, 2, 11, 30, tzinfo=UTC))[0]
    >>> item["minutes"], item["sentence"]
    (150, 'Hand raised 2 h 30 min ago on #17 by agent 3 and nobody has joined.')
    """
    items = []
    for ticket_id, subject, raised_by, raised_at in rows:
        at = _moment(raised_at)
        minutes = int((as_of - at).total_seconds() // 60)
        by = "" if raised_by is None else f" by {_who(int(raised_by), names)}"
        items.append(
            {
                "kind": "unanswered_hand",
                "ticket_ids": [int(ticket_id)],
                "subject": subject,
                "people": [] if raised_by is None else [int(raised_by)],
                "at": at.isoformat(),
                "minutes": minutes,
                "sentence": f"Hand raised {_span(minutes)} ago on {_ticket(ticket_id, subject)}"
                f"{by} and nobody has joined.",
            }
        )
    return items


def overloaded_experts(
    rows: Rows, *, thresholds: Thresholds = Thresholds(), names: Names | None = None
) -> list[dict[str, Any]]:
    """Items for the rows of :func:`overloaded_experts_sql`: one per person and day.

    Examples
    --------
    >>> rows = [(7, "2026-03-02", t, 6) for t in (1, 2, 3, 4, 5, 6)]
    >>> overloaded_experts(rows, names={7: "Grace"})[0]["sentence"]
    'Grace joined 6 swarms on 2026-03-02 (more than 5): #1, #2, #3, #4, #5, #6.'
    """
    days: dict[tuple[int, str], list[int]] = {}
    for person_id, day, ticket_id, _swarms in rows:
        days.setdefault((int(person_id), str(day)), []).append(int(ticket_id))
    items = []
    for (person_id, day), tickets in days.items():
        listed = ", ".join(f"#{t}" for t in tickets)
        items.append(
            {
                "kind": "overloaded_expert",
                "ticket_ids": tickets,
                "subject": None,
                "people": [person_id],
                "at": day,
                "swarms": len(tickets),
                "sentence": f"{_who(person_id, names, capital=True)} joined {len(tickets)} "
                f"swarms on {day} (more than {thresholds.swarms_per_day}): {listed}.",
            }
        )
    return items


def ping_pong(rows: Rows, *, names: Names | None = None) -> list[dict[str, Any]]:
    """Items for the rows of :func:`ping_pong_sql`: one per ticket, at its first return.

    Examples
    --------
    >>> rows = [(5, "Mail", 3, "2026-03-02 09:00:00", 0), (5, "Mail", 4, "2026-03-02 10:00:00", 0),
    ...         (5, "Mail", 3, "2026-03-02 11:00:00", 1)]
    >>> item = ping_pong(rows)[0]
    >>> item["owners"], item["at"]
    ([3, 4, 3], '2026-03-02T11:00:00+00:00')
    >>> item["sentence"]
    '#5 (Mail) went back to an owner it had left: agent 3 → agent 4 → agent 3.'
    """
    tickets: dict[int, dict[str, Any]] = {}
    for ticket_id, subject, owner_id, at, returned in rows:
        entry = tickets.setdefault(
            int(ticket_id), {"subject": subject, "owners": [], "at": None, "returns": 0}
        )
        entry["owners"].append(int(owner_id))
        if returned:
            entry["returns"] += 1
            entry["at"] = entry["at"] or _moment(at).isoformat()
    items = []
    for ticket_id, entry in tickets.items():
        owners: list[int] = entry["owners"]
        path = " → ".join(_who(o, names) for o in owners)
        items.append(
            {
                "kind": "ping_pong",
                "ticket_ids": [ticket_id],
                "subject": entry["subject"],
                "people": list(dict.fromkeys(owners)),
                "at": entry["at"],
                "owners": owners,
                "returns": entry["returns"],
                "sentence": f"{_ticket(ticket_id, entry['subject'])} went back to an owner it "
                f"had left: {path}.",
            }
        )
    return items


def vendor_overdue(
    rows: Rows,
    *,
    as_of: datetime,
    thresholds: Thresholds = Thresholds(),
    names: Names | None = None,
) -> list[dict[str, Any]]:
    """Items for the rows of :func:`vendor_overdue_sql` whose ``due_at``, moved back by the
    time the vendor's clock was paused, is more than ``vendor_grace_minutes`` before ``as_of``
    (a naive ``due_at`` is read as UTC; one that is not an ISO time is skipped).

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> rows = [(8, None, 3, "2026-03-01 09:00", "Acme", "AC-1", "2026-03-02T09:00Z", 0.0),
    ...         (9, None, 3, "2026-03-01 09:00", "Acme", "AC-2", "2026-03-02T09:00Z", 86400.0)]
    >>> [i["sentence"] for i in vendor_overdue(rows, as_of=datetime(2026, 3, 2, 12, tzinfo=UTC))]
    ['#8 has been with Acme (AC-1) since 2026-03-01 09:00 UTC and is 3 h past its due time.']
    """
    limit = as_of - timedelta(minutes=thresholds.vendor_grace_minutes)
    items = []
    for ticket_id, subject, handed_off_by, handed_off_at, vendor, ref, due_text, paused in rows:
        due = _parse_due(due_text)
        if due is None:
            continue
        # Whole seconds: SQLite's julianday arithmetic is off by a fraction of a millisecond.
        paused_seconds = round(float(paused or 0.0))
        due += timedelta(seconds=paused_seconds)
        if due >= limit:
            continue
        since = _moment(handed_off_at)
        overdue = int((as_of - due).total_seconds() // 60)
        name = vendor or "the vendor"
        reference = f" ({ref})" if ref else ""
        items.append(
            {
                "kind": "vendor_overdue",
                "ticket_ids": [int(ticket_id)],
                "subject": subject,
                "people": [] if handed_off_by is None else [int(handed_off_by)],
                "at": due.isoformat(),
                "vendor": vendor,
                "external_ref": ref,
                "handed_off_at": since.isoformat(),
                "minutes_overdue": overdue,
                "paused_minutes": paused_seconds // 60,
                "sentence": f"{_ticket(ticket_id, subject)} has been with {name}{reference} "
                f"since {since:%Y-%m-%d %H:%M} UTC and is {_span(overdue)} past its due time.",
            }
        )
    return items


def exceptions(
    rows: Mapping[str, Rows],
    *,
    as_of: datetime,
    thresholds: Thresholds = Thresholds(),
    names: Names | None = None,
) -> dict[str, Any]:
    """The report of the four kinds from their rows (keyed as :func:`exceptions_sql`).

    Returns
    -------
    dict
        ``{"as_of", "thresholds", "counts": {kind: n}, "items": [...]}``, items in the order
        of :data:`KINDS`, each kind in its query's order. ``names`` (person id → display
        name) only changes the sentences.

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> report = exceptions({}, as_of=datetime(2026, 3, 2, tzinfo=UTC))
    >>> report["counts"], report["items"]
    ({'unanswered_hand': 0, 'vendor_overdue': 0, 'overloaded_expert': 0, 'ping_pong': 0}, [])
    """
    found = {
        "unanswered_hand": unanswered_hands(
            rows.get("unanswered_hand", ()), as_of=as_of, names=names
        ),
        "vendor_overdue": vendor_overdue(
            rows.get("vendor_overdue", ()), as_of=as_of, thresholds=thresholds, names=names
        ),
        "overloaded_expert": overloaded_experts(
            rows.get("overloaded_expert", ()), thresholds=thresholds, names=names
        ),
        "ping_pong": ping_pong(rows.get("ping_pong", ()), names=names),
    }
    return {
        "as_of": as_of.astimezone(UTC).isoformat(),
        "thresholds": asdict(thresholds),
        "counts": {kind: len(found[kind]) for kind in KINDS},
        "items": [item for kind in KINDS for item in found[kind]],
    }


# ---------------------------------------------------------------------------- wording


def _moment(value: Any) -> datetime:
    """A time as the database returns it (SQLite: text in UTC; PostgreSQL: aware) as aware UTC."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _parse_due(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return _moment(value)
    except ValueError:
        return None


def _span(minutes: int) -> str:
    """``42 min``, ``3 h 12 min``, ``2 d 5 h``."""
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h" + (f" {rest} min" if rest else "")
    days, hours = divmod(hours, 24)
    return f"{days} d" + (f" {hours} h" if hours else "")


def _ticket(ticket_id: Any, subject: Any) -> str:
    return f"#{int(ticket_id)}" + (f" ({subject})" if subject else "")


def _who(person_id: int, names: Names | None, *, capital: bool = False) -> str:
    name = (names or {}).get(person_id)
    if name:
        return name
    return f"{'Agent' if capital else 'agent'} {person_id}"

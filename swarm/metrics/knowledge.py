"""Knowledge metrics from the event log: deflection, reuse, capture, and time to publish.

Four figures (docs/metrics.md and docs/knowledge.md, "Metrics"), per arm like every other
metric where a ticket has an arm:

- **reuse rate**: of the resolved tickets, the share to which staff linked an article as what
  helped resolve it (``article_linked`` with ``kind`` other than ``source``);
- **articles captured per 100 resolved tickets**: distinct articles published from the arm's
  tickets (``article_published``, written on the ticket an article was captured from) per
  hundred of its resolved tickets — a resolved ticket being one swarm (or tier chain) that had
  something to teach;
- **time from resolve to published**: hours from a ticket's first ``resolved`` to the first
  ``article_published`` on it (median and 90th percentile; an article published before the
  resolution counts as zero);
- **deflection rate**: of the portal visits in which the requester was shown a suggestion and
  that ended — "this solved it" (``deflected``) or a ticket ("still need help") — the share
  that ended without a ticket. A deflection happens before there is a ticket, hence before the
  split into arms: it has no arm, and it is reported once for the organisation. It exists only
  in the live dataset (``portal_events``); imported and simulated logs have none. A visit left
  without either ending says nothing about the articles and is not counted.

Like :mod:`swarm.metrics.people`, each figure is an SQL text (SQLite or PostgreSQL) with its
parameters, and a function turning the rows into a JSON-able report. Nothing here touches a
connection.

>>> from datetime import datetime, UTC
>>> from swarm.metrics.memory import memory_log
>>> at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
>>> db = memory_log([
...     {"ticket_id": 1, "type": "created", "at": at, "data": {"mode": "swarm"}},
...     {"ticket_id": 1, "type": "resolved", "at": at, "data": {}},
...     {"ticket_id": 1, "type": "article_linked", "at": at,
...      "data": {"article_id": 4, "kind": "resolved"}},
... ])
>>> sql, params = ticket_knowledge_sql("sqlite", "live")
>>> report = knowledge_report(db.execute(sql, params).fetchall(), [])
>>> report["arms"]["swarm"]["reuse"]["rate"], report["deflection"]["rate"]
(1.0, None)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np

from swarm.metrics.dialect import Dialect, epoch, jnum, jtext, time_param
from swarm.metrics.people import ticket_scope
from swarm.metrics.stats import wilson_ci

__all__ = [
    "ARMS",
    "knowledge_report",
    "portal_visits_sql",
    "ticket_knowledge_sql",
]

ARMS: tuple[str, ...] = ("swarm", "tiered")
Params = dict[str, Any]
SECONDS_PER_HOUR = 3600.0


def ticket_knowledge_sql(
    dialect: Dialect,
    source: str,
    start: datetime | None = None,
    end: datetime | None = None,
    as_of: datetime | None = None,
) -> tuple[str, Params]:
    """One row per ticket of ``source`` created in ``[start, end)``: ``ticket_id``, ``arm``,
    ``resolved_s`` (first resolution, epoch seconds or NULL), ``reused`` (0/1), ``captured``
    (distinct articles published from it), ``published_s`` (first publication, or NULL) and
    ``known`` (classified known, 0/1).

    >>> sql, params = ticket_knowledge_sql("postgresql", "sim:a")
    >>> "GROUP BY ev.ticket_id" in sql, params
    (True, {'source': 'sim:a'})
    """
    scope, params = ticket_scope(dialect, source, start, end, as_of)
    kind = jtext(dialect, "kind", "ev.data")
    mode = jtext(dialect, "mode", "ev.data")
    article = jnum(dialect, "article_id", "ev.data")
    sql = f"""{scope},
per_ticket AS (
    SELECT ev.ticket_id,
        MAX(CASE WHEN ev.type = 'created' THEN {mode} END) AS arm,
        MIN(CASE WHEN ev.type = 'resolved' THEN ev.at END) AS resolved_at,
        MAX(CASE WHEN ev.type = 'article_linked' AND COALESCE({kind}, 'resolved') <> 'source'
            THEN 1 ELSE 0 END) AS reused,
        COUNT(DISTINCT CASE WHEN ev.type = 'article_published' THEN {article} END) AS captured,
        MIN(CASE WHEN ev.type = 'article_published' THEN ev.at END) AS published_at,
        MAX(CASE WHEN ev.type = 'classified' AND {kind} = 'known' THEN 1 ELSE 0 END) AS known
    FROM ev
    GROUP BY ev.ticket_id
)
SELECT ticket_id, arm, {epoch(dialect, "resolved_at")} AS resolved_s, reused, captured,
    {epoch(dialect, "published_at")} AS published_s, known
FROM per_ticket ORDER BY ticket_id"""
    return sql, params


def portal_visits_sql(
    dialect: Dialect,
    source: str,
    start: datetime | None = None,
    end: datetime | None = None,
) -> tuple[str, Params]:
    """One row per portal visit of ``source`` begun in ``[start, end)``: ``suggested``,
    ``viewed``, ``deflected`` and ``ticketed`` (each 0/1).

    >>> sql, params = portal_visits_sql("sqlite", "live")
    >>> "FROM portal_events" in sql, params
    (True, {'source': 'live'})
    """
    params: Params = {"source": source}
    having = []
    if start is not None:
        params["start"] = time_param(dialect, start)
        having.append("MIN(at) >= :start")
    if end is not None:
        params["end"] = time_param(dialect, end)
        having.append("MIN(at) < :end")
    sql = f"""SELECT user_id, visit,
    MAX(CASE WHEN type = 'article_suggested' THEN 1 ELSE 0 END) AS suggested,
    MAX(CASE WHEN type = 'article_viewed' THEN 1 ELSE 0 END) AS viewed,
    MAX(CASE WHEN type = 'deflected' THEN 1 ELSE 0 END) AS deflected,
    MAX(CASE WHEN ticket_id IS NOT NULL THEN 1 ELSE 0 END) AS ticketed
FROM portal_events
WHERE source = :source
GROUP BY user_id, visit{" HAVING " + " AND ".join(having) if having else ""}
ORDER BY MIN(id)"""
    return sql, params


def _rate(k: int, n: int, level: float) -> dict[str, Any]:
    if n == 0:
        return {"k": 0, "n": 0, "rate": None, "ci": None}
    low, high = wilson_ci(k, n, level)
    return {"k": k, "n": n, "rate": k / n, "ci": [low, high]}


def _hours(values: Sequence[float]) -> dict[str, Any]:
    if not values:
        return {"n": 0, "median": None, "p90": None}
    data = np.asarray(values, dtype=np.float64)
    return {
        "n": len(values),
        "median": float(np.median(data)),
        "p90": float(np.quantile(data, 0.9)),
    }


def _number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number


def knowledge_report(
    tickets: Sequence[Sequence[Any]],
    visits: Sequence[Sequence[Any]],
    level: float = 0.95,
) -> dict[str, Any]:
    """The knowledge figures from the rows of :func:`ticket_knowledge_sql` and
    :func:`portal_visits_sql`: ``arms`` (each with ``tickets``, ``resolved``, ``reuse``,
    ``captured``, ``captured_per_100``, ``resolve_to_published_hours``, ``known``) and
    ``deflection`` (``visits``, ``deflected``, ``ticketed``, ``suggested``, ``viewed``,
    ``rate``, ``ci``). Rates carry their Wilson interval at ``level``; empty ones are None.

    >>> rows = [(1, "swarm", 0.0, 0, 1, 7200.0, 1), (2, "tiered", None, 0, 0, None, 0)]
    >>> r = knowledge_report(rows, [("u", "v", 1, 0, 1, 0), ("u", "w", 1, 1, 0, 1)])
    >>> r["arms"]["swarm"]["resolve_to_published_hours"]["median"]
    2.0
    >>> r["arms"]["swarm"]["captured_per_100"], r["deflection"]["rate"]
    (100.0, 0.5)
    """
    arms: dict[str, dict[str, Any]] = {}
    grouped: dict[str, list[Sequence[Any]]] = {}
    for row in tickets:
        arm = row[1]
        if arm in ARMS:
            grouped.setdefault(str(arm), []).append(row)
    for arm in ARMS:
        rows = grouped.get(arm)
        if not rows:
            continue
        resolved = [r for r in rows if _number(r[2]) is not None]
        reused = sum(1 for r in resolved if int(r[3] or 0))
        captured = sum(int(r[4] or 0) for r in rows)
        delays = []
        for r in rows:
            done, published = _number(r[2]), _number(r[5])
            if done is not None and published is not None:
                delays.append(max(0.0, published - done) / SECONDS_PER_HOUR)
        known = sum(1 for r in rows if int(r[6] or 0))
        arms[arm] = {
            "tickets": len(rows),
            "resolved": len(resolved),
            "reuse": _rate(reused, len(resolved), level),
            "captured": captured,
            "captured_per_100": 100.0 * captured / len(resolved) if resolved else None,
            "resolve_to_published_hours": _hours(delays),
            "known": _rate(known, len(rows), level),
        }
    ended = [v for v in visits if int(v[2] or 0) and (int(v[4] or 0) or int(v[5] or 0))]
    deflected = sum(1 for v in ended if int(v[4] or 0))
    deflection = {
        "suggested": sum(1 for v in visits if int(v[2] or 0)),
        "viewed": sum(1 for v in visits if int(v[3] or 0)),
        "visits": len(ended),
        "deflected": deflected,
        "ticketed": len(ended) - deflected,
        **{k: v for k, v in _rate(deflected, len(ended), level).items() if k in ("rate", "ci")},
    }
    return {"arms": arms, "deflection": deflection}

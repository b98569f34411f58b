"""The knowledge metrics' definitions, pinned on hand-built logs: reuse, capture, time from
resolve to published, known share (per arm), and deflection (per organisation)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from swarm.metrics.knowledge import knowledge_report, portal_visits_sql, ticket_knowledge_sql
from swarm.metrics.memory import memory_log

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
H = timedelta(hours=1)


def ev(ticket: int, event_type: str, at: datetime, **data: object) -> dict[str, object]:
    return {"ticket_id": ticket, "type": event_type, "at": at, "data": data}


def report(events, source: str = "live", **period):
    db = memory_log(events)
    sql, params = ticket_knowledge_sql("sqlite", source, **period)
    return knowledge_report(db.execute(sql, params).fetchall(), [])


LOG = [
    # swarm 1: resolved, reused an article, an article captured from it 5 h after resolving
    ev(1, "created", T0, mode="swarm"),
    ev(1, "classified", T0, kind="known", article_id=4, score=0.8, threshold=0.45),
    ev(1, "resolved", T0 + 2 * H),
    ev(1, "article_linked", T0 + 2 * H, article_id=4, kind="resolved"),
    ev(1, "article_linked", T0 + 3 * H, article_id=9, kind="source"),
    ev(1, "article_published", T0 + 7 * H, article_id=9, version=1),
    ev(1, "article_published", T0 + 9 * H, article_id=9, version=2),  # republished: one article
    # swarm 2: resolved, only a source link (capture is not reuse), never published
    ev(2, "created", T0, mode="swarm"),
    ev(2, "classified", T0, kind="new", score=0.1, threshold=0.45),
    ev(2, "resolved", T0 + H),
    ev(2, "article_linked", T0 + H, article_id=10, kind="source"),
    # swarm 3: open; a link on an open ticket is not a resolved ticket's reuse
    ev(3, "created", T0, mode="swarm"),
    ev(3, "article_linked", T0, article_id=4, kind="resolved"),
    # tiered 4: resolved without an article
    ev(4, "created", T0, mode="tiered"),
    ev(4, "resolved", T0 + H),
]


def test_reuse_is_the_share_of_resolved_tickets_with_an_article_that_helped():
    swarm = report(LOG)["arms"]["swarm"]
    assert (swarm["tickets"], swarm["resolved"]) == (3, 2)
    assert swarm["reuse"]["k"] == 1 and swarm["reuse"]["n"] == 2 and swarm["reuse"]["rate"] == 0.5
    low, high = swarm["reuse"]["ci"]
    assert 0 < low < 0.5 < high < 1


def test_capture_counts_distinct_articles_per_100_resolved_tickets():
    arms = report(LOG)["arms"]
    assert arms["swarm"]["captured"] == 1 and arms["swarm"]["captured_per_100"] == 50.0
    assert arms["tiered"]["captured"] == 0 and arms["tiered"]["captured_per_100"] == 0.0


def test_time_to_publish_runs_from_the_first_resolve_to_the_first_publication():
    delay = report(LOG)["arms"]["swarm"]["resolve_to_published_hours"]
    assert delay == {"n": 1, "median": pytest.approx(5.0), "p90": pytest.approx(5.0)}
    assert report(LOG)["arms"]["tiered"]["resolve_to_published_hours"]["median"] is None


def test_an_article_published_before_the_resolution_counts_as_zero():
    log = [
        ev(1, "created", T0, mode="swarm"),
        ev(1, "article_published", T0 + H, article_id=3),
        ev(1, "resolved", T0 + 2 * H),
    ]
    assert report(log)["arms"]["swarm"]["resolve_to_published_hours"]["median"] == 0.0


def test_known_is_the_share_of_tickets_classified_known():
    arms = report(LOG)["arms"]
    assert arms["swarm"]["known"]["k"] == 1 and arms["swarm"]["known"]["n"] == 3
    assert arms["tiered"]["known"]["rate"] == 0.0


def test_an_arm_without_tickets_is_absent_and_an_arm_without_resolutions_has_no_rate():
    only_open = report([ev(1, "created", T0, mode="tiered")])
    assert set(only_open["arms"]) == {"tiered"}
    tiered = only_open["arms"]["tiered"]
    assert tiered["reuse"]["rate"] is None and tiered["captured_per_100"] is None


def test_the_period_selects_tickets_by_creation():
    later = report(LOG, start=T0 + H)
    assert later["arms"] == {}


def test_another_dataset_is_read_from_its_own_rows():
    sim = [dict(e, source="sim:a") for e in LOG]
    assert report(sim, "sim:a")["arms"]["swarm"]["reuse"]["rate"] == 0.5
    assert report(sim, "live")["arms"] == {}


# ------------------------------------------------------------------------------ deflection

PORTAL = """CREATE TABLE portal_events (id INTEGER PRIMARY KEY, user_id INTEGER, visit TEXT,
    type TEXT, article_id INTEGER, ticket_id INTEGER, at TEXT, source TEXT, data TEXT)"""


def visits(rows, **period):
    db = memory_log([])
    db.execute(PORTAL)
    db.executemany(
        "INSERT INTO portal_events (user_id, visit, type, article_id, ticket_id, at, source, "
        "data) VALUES (?, ?, ?, ?, ?, ?, 'live', '{}')",
        [(u, v, t, a, tk, at.strftime("%Y-%m-%d %H:%M:%S.%f")) for u, v, t, a, tk, at in rows],
    )
    sql, params = portal_visits_sql("sqlite", "live", **period)
    return knowledge_report([], db.execute(sql, params).fetchall())["deflection"]


VISITS = [
    (1, "a", "article_suggested", 4, None, T0),  # solved by an article
    (1, "a", "article_viewed", 4, None, T0),
    (1, "a", "deflected", 4, None, T0),
    (1, "b", "article_suggested", 4, 77, T0),  # still needed help: ticket 77
    (1, "b", "article_suggested", 5, 77, T0),
    (2, "a", "article_suggested", 4, None, T0),  # another person's visit "a": left, no ending
    (2, "c", "article_suggested", 6, 78, T0 + 2 * H),
]


def test_deflection_is_the_share_of_ended_visits_that_needed_no_ticket():
    found = visits(VISITS)
    assert (found["visits"], found["deflected"], found["ticketed"]) == (3, 1, 2)
    assert found["rate"] == pytest.approx(1 / 3)
    assert found["suggested"] == 4 and found["viewed"] == 1


def test_a_visit_belongs_to_the_period_it_began_in():
    assert visits(VISITS, start=T0 + H)["visits"] == 1


def test_no_visit_gives_no_rate_rather_than_zero():
    found = visits([])
    assert found["visits"] == 0 and found["rate"] is None and found["ci"] is None
    assert not any(isinstance(v, float) and math.isnan(v) for v in found.values())

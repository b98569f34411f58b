"""Contribution credit and skill growth, pinned on hand-built logs (in-memory SQLite)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from swarm.metrics.memory import memory_log
from swarm.metrics.people import contribution, contribution_sql, skill_growth, skill_growth_sql
from tests.metrics_log import T0, add_growth, contribution_log


def people(**kwargs):
    db = memory_log(contribution_log())
    sql, params = contribution_sql("sqlite", kwargs.pop("source", "live"), **kwargs)
    return {p["person_id"]: p for p in contribution(db.execute(sql, params).fetchall())}


def test_owners_and_helpers_are_both_credited():
    found = people()
    assert list(found) == [1, 2, 3, 4, 7]
    assert [p for p in found] == [p["person_id"] for p in found.values()]
    one, two, three, four = found[1], found[2], found[3], found[4]
    assert (one["tickets_owned"], one["tickets_helped"], one["tickets_contributed"]) == (2, 0, 2)
    assert (two["tickets_owned"], two["tickets_helped"], two["tickets_contributed"]) == (1, 1, 2)
    assert (three["tickets_owned"], three["tickets_helped"]) == (1, 1)
    assert (four["tickets_owned"], four["tickets_helped"], four["tickets_contributed"]) == (0, 1, 1)


def test_resolved_goes_to_the_last_resolver_unless_reopened_since():
    found = people()
    # Agent 1 resolved tickets 1 and 2, but ticket 2 was reopened afterwards.
    assert found[1]["tickets_resolved"] == 1
    assert found[3]["tickets_resolved"] == 1
    assert found[2]["tickets_resolved"] == 0


def test_messages_are_counted_by_kind_and_notes_are_notes():
    found = people()
    assert found[1]["messages"] == {"chat": 0, "solution": 1, "reply": 0, "note": 1}
    assert found[2]["messages"] == {"chat": 1, "solution": 0, "reply": 0, "note": 0}
    assert found[1]["messages_total"] == 2


def test_requesters_guests_and_onlookers_have_no_row():
    found = people()
    # 90 wrote a reply as the requester, 95 chatted as a guest, 5 only looked (no events).
    assert {90, 95, 5}.isdisjoint(found)


def test_helper_minutes_and_how_people_came_to_help():
    found = people()
    assert found[2]["helper_minutes"] == 10.0
    assert found[3]["helper_minutes"] == 20.0
    assert found[4]["helper_minutes"] == 5.0
    assert (found[2]["invitations_accepted"], found[2]["times_invited"]) == (1, 1)
    assert (found[3]["offers_taken_up"], found[3]["offers_made"]) == (1, 1)
    assert found[4]["invitations_accepted"] + found[4]["offers_taken_up"] == 0


def test_most_tickets_contributed_to_come_first():
    db = memory_log(contribution_log())
    sql, params = contribution_sql("sqlite", "live")
    order = [p["person_id"] for p in contribution(db.execute(sql, params).fetchall())]
    assert order == [1, 2, 3, 4, 7]
    assert [found["tickets_contributed"] for found in people().values()] == [2, 2, 2, 1, 1]


def test_one_person_sees_only_their_row():
    assert list(people(person=2)) == [2]
    assert people(person=5) == {}


def test_period_counts_tickets_created_in_it():
    # Ticket 5 (owned by 7) was created two days before T0.
    assert 7 not in people(start=T0 - timedelta(days=1))
    assert list(people(end=T0 - timedelta(days=1))) == [7]


def test_other_datasets_stay_out():
    assert list(people(source="sim:x")) == [6]
    assert 6 not in people()


def test_events_after_as_of_are_not_known():
    found = people(as_of=T0 + timedelta(minutes=5))
    # By minute 5 agent 2 had joined ticket 1 but not left it; nothing was resolved.
    assert found[2]["tickets_helped"] == 1 and found[2]["helper_minutes"] == 0.0
    assert all(p["tickets_resolved"] == 0 for p in found.values())


def test_an_event_at_as_of_itself_is_known():
    # Tickets 1 and 3 were resolved at minute 10 exactly: as of minute 10 they are resolved (an
    # imported dataset is measured as of its last event, which must count).
    found = people(as_of=T0 + timedelta(minutes=10))
    assert found[1]["tickets_resolved"] == 1 and found[3]["tickets_resolved"] == 1


def growth(**kwargs):
    db = memory_log([])
    add_growth(db)
    sql, params = skill_growth_sql("sqlite", **kwargs)
    series = skill_growth(db.execute(sql, params).fetchall())
    return {(s["person_id"], s["skill_id"]): s for s in series}


def test_skill_growth_by_week():
    series = growth()
    assert list(series) == [(1, 10), (1, 11), (2, 10)]
    weeks = series[(1, 10)]["weeks"]
    assert [w["week"] for w in weeks] == ["2026-03-02", "2026-03-09"]
    first, second = weeks
    # A skill new to the profile starts from 0; the Sunday-night row stays in its week.
    assert (first["level_before"], first["level_after"], first["change"]) == (0, 2, 2)
    assert (first["changes"], first["raised"], first["lowered"]) == (3, 2, 0)
    assert (first["evidence_changes"], first["evidence"]) == (1, 3)
    assert (second["level_before"], second["level_after"], second["lowered"]) == (2, 1, 1)
    assert series[(1, 10)]["growth"] == 1


def test_a_removed_skill_falls_to_zero():
    (week,) = growth()[(1, 11)]["weeks"]
    assert (week["level_before"], week["level_after"], week["change"]) == (3, 0, -3)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"person": 2}, [(2, 10)]),
        ({"skill": 11}, [(1, 11)]),
        ({"start": T0 + timedelta(days=7, hours=-9)}, [(1, 10), (2, 10)]),
        ({"end": T0 + timedelta(days=1)}, [(1, 10)]),
    ],
)
def test_skill_growth_filters(kwargs, expected):
    assert list(growth(**kwargs)) == expected

"""The four exceptions a manager acts on, pinned on hand-built logs (in-memory SQLite)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from swarm.metrics.exceptions import (
    Thresholds,
    exceptions,
    exceptions_sql,
    overloaded_experts,
    overloaded_experts_sql,
    ping_pong,
    ping_pong_sql,
    unanswered_hands,
    unanswered_hands_sql,
    vendor_overdue,
    vendor_overdue_sql,
)
from swarm.metrics.memory import memory_log
from tests.metrics_log import (
    HANDS_AS_OF,
    OWNERS_AS_OF,
    SWARMS_AS_OF,
    T0,
    VENDOR_AS_OF,
    hands_log,
    owners_log,
    swarms_log,
    vendor_log,
)

DEFAULT = Thresholds()


def run(log, build, **kwargs):
    sql, params = build("sqlite", "live", **kwargs)
    return memory_log(log).execute(sql, params).fetchall()


# ---------------------------------------------------------------------------- raised hands


def hands(thresholds=DEFAULT, as_of=HANDS_AS_OF, **kwargs):
    rows = run(hands_log(), unanswered_hands_sql, as_of=as_of, thresholds=thresholds, **kwargs)
    return {item["ticket_ids"][0]: item for item in unanswered_hands(rows, as_of=as_of)}


def test_a_hand_nobody_answered_is_an_exception():
    found = hands()
    assert list(found) == [10, 15, 14, 16]  # oldest hand first
    item = found[10]
    assert item["minutes"] == 120 and item["people"] == [1]
    assert item["subject"] == "Printer on fire"
    assert item["sentence"] == (
        "Hand raised 2 h ago on #10 (Printer on fire) by agent 1 and nobody has joined."
    )


def test_a_hand_answered_in_time_a_fresh_hand_and_a_resolved_ticket_are_not():
    assert {11, 12, 13}.isdisjoint(hands())


def test_a_hand_raised_again_after_a_helper_joined_counts_from_the_new_hand():
    assert hands()[14]["minutes"] == 90
    assert hands()[14]["at"] == (T0 + timedelta(minutes=30)).isoformat()


def test_a_join_after_as_of_is_not_yet_known():
    assert 15 in hands()
    assert 15 not in hands(as_of=T0 + timedelta(hours=4))


def test_hand_minutes_is_a_threshold():
    # Ticket 16's hand is exactly 15 minutes old: listed at 15, not at 16.
    assert 16 in hands()
    assert set(hands(Thresholds(hand_minutes=16))) == {10, 14, 15}
    assert set(hands(Thresholds(hand_minutes=100))) == {10, 15}


# ---------------------------------------------------------------------------- overloaded experts


def overloaded(thresholds=DEFAULT):
    rows = run(swarms_log(), overloaded_experts_sql, as_of=SWARMS_AS_OF, thresholds=thresholds)
    return overloaded_experts(rows, thresholds=thresholds, names={21: "Grace"})


def test_more_than_k_swarms_in_a_day_is_an_exception_and_exactly_k_is_not():
    (item,) = overloaded()
    assert item["people"] == [21] and item["at"] == "2026-03-02"
    assert item["ticket_ids"] == [100, 101, 102, 103, 104, 105] and item["swarms"] == 6
    assert item["sentence"] == (
        "Grace joined 6 swarms on 2026-03-02 (more than 5): #100, #101, #102, #103, #104, #105."
    )


def test_rejoining_one_swarm_counts_once_and_days_are_separate():
    # Agent 22 joined three tickets twice each; agent 23 joined three a day on two days.
    found = overloaded(Thresholds(swarms_per_day=3))
    assert [(i["people"][0], i["at"]) for i in found] == [(20, "2026-03-02"), (21, "2026-03-02")]
    found = overloaded(Thresholds(swarms_per_day=2))
    assert [(i["people"][0], i["at"]) for i in found] == [
        (20, "2026-03-02"),
        (21, "2026-03-02"),
        (22, "2026-03-02"),
        (23, "2026-03-02"),
        (23, "2026-03-03"),
    ]


# ---------------------------------------------------------------------------- ping-pong


def bounced(as_of=OWNERS_AS_OF):
    rows = run(owners_log(), ping_pong_sql, as_of=as_of)
    return {item["ticket_ids"][0]: item for item in ping_pong(rows)}


def test_a_b_a_is_ping_pong_and_a_b_c_or_a_repeat_is_not():
    found = bounced()
    assert list(found) == [30, 33, 34]
    assert found[30]["owners"] == [1, 2, 1] and found[30]["people"] == [1, 2]
    assert found[30]["at"] == (T0 + timedelta(minutes=30)).isoformat()
    assert found[30]["sentence"] == (
        "#30 (Ticket 30) went back to an owner it had left: agent 1 → agent 2 → agent 1."
    )


def test_a_reassignment_to_the_same_owner_is_not_a_change():
    assert bounced()[33]["owners"] == [1, 2, 1]


def test_every_return_is_counted_and_the_first_is_when():
    item = bounced()[34]
    assert item["owners"] == [1, 2, 1, 2] and item["returns"] == 2
    assert item["at"] == (T0 + timedelta(minutes=30)).isoformat()


def test_a_return_after_as_of_is_not_yet_known():
    assert 35 not in bounced()
    assert bounced(as_of=T0 + timedelta(days=2))[35]["owners"] == [1, 2, 1]


# ---------------------------------------------------------------------------- vendors


def overdue(thresholds=DEFAULT, as_of=VENDOR_AS_OF):
    rows = run(vendor_log(), vendor_overdue_sql, as_of=as_of)
    found = vendor_overdue(rows, as_of=as_of, thresholds=thresholds)
    return {item["ticket_ids"][0]: item for item in found}


def test_a_hand_off_past_due_with_no_final_word_is_overdue():
    found = overdue()
    assert list(found) == [40, 42, 46, 49]
    item = found[40]
    assert item["minutes_overdue"] == 24 * 60 and item["people"] == [1]
    assert (item["vendor"], item["external_ref"]) == ("Acme", "AC-40")
    assert item["sentence"] == (
        "#40 (Disk array) has been with Acme (AC-40) since 2026-03-02 09:00 UTC "
        "and is 24 h past its due time."
    )


def test_back_before_due_late_but_done_not_yet_due_and_resolved_tickets_are_not():
    assert {41, 43, 44, 45}.isdisjoint(overdue())


def test_waiting_on_us_pauses_the_vendor_clock():
    found = overdue()
    assert (found[42]["paused_minutes"], found[42]["minutes_overdue"]) == (60, 23 * 60)
    assert (found[49]["paused_minutes"], found[49]["minutes_overdue"]) == (120, 34 * 60)
    # Ticket 48 has waited on us since an hour after the hand-off: its clock is still stopped.
    assert 48 not in found


def test_the_latest_hand_off_is_the_one_judged():
    item = overdue()[46]
    assert item["external_ref"] == "AC-46b" and item["minutes_overdue"] == 12 * 60


def test_a_due_at_that_is_not_a_time_is_skipped():
    assert 47 not in overdue()


def test_grace_minutes_is_a_threshold():
    assert list(overdue(Thresholds(vendor_grace_minutes=12 * 60))) == [40, 42, 49]
    assert list(overdue(Thresholds(vendor_grace_minutes=12 * 60 - 1))) == [40, 42, 46, 49]


# ---------------------------------------------------------------------------- the report


def test_the_report_lists_every_kind_in_order():
    log = hands_log() + vendor_log() + owners_log() + swarms_log()
    as_of = T0 + timedelta(days=2)
    db = memory_log(log)
    rows = {
        kind: db.execute(sql, params).fetchall()
        for kind, (sql, params) in exceptions_sql("sqlite", "live", as_of=as_of).items()
    }
    report = exceptions(rows, as_of=as_of)
    assert report["counts"] == {
        "unanswered_hand": 4,  # 10, 14, 16 and 12 (its hand is old by now); 15 was answered
        "vendor_overdue": 4,
        "overloaded_expert": 1,
        "ping_pong": 4,
    }
    assert [i["kind"] for i in report["items"]] == (
        ["unanswered_hand"] * 4 + ["vendor_overdue"] * 4 + ["overloaded_expert"] + ["ping_pong"] * 4
    )
    assert report["thresholds"] == {
        "hand_minutes": 15,
        "swarms_per_day": 5,
        "vendor_grace_minutes": 0,
    }


def test_the_period_selects_tickets_created_in_it():
    log = hands_log() + [
        {**row, "ticket_id": 99, "at": row["at"] - timedelta(days=3)}
        for row in hands_log()
        if row["ticket_id"] == 10
    ]
    sql, params = unanswered_hands_sql("sqlite", "live", T0, as_of=HANDS_AS_OF)
    in_period = {r[0] for r in memory_log(log).execute(sql, params)}
    sql, params = unanswered_hands_sql("sqlite", "live", as_of=HANDS_AS_OF)
    everything = {r[0] for r in memory_log(log).execute(sql, params)}
    assert 99 in everything and 99 not in in_period


@pytest.mark.parametrize("bad", [-1, 1.5, True])
def test_thresholds_are_whole_numbers(bad):
    with pytest.raises(ValueError, match="hand_minutes"):
        Thresholds(hand_minutes=bad)

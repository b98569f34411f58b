"""Each per-ticket fact of docs/metrics.md, pinned on a hand-built event sequence: the SQL of
swarm/metrics/facts.py run on an in-memory log (the PostgreSQL twin is in
tests/integration/test_metrics_facts_postgres.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest

from swarm.metrics.compare import build_report
from swarm.metrics.facts import Selection, TicketFacts, facts_from_log
from swarm.metrics.memory import memory_log

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
AS_OF = T0 + timedelta(days=10)
REQUESTER, OWNER, OTHER, THIRD, MANAGER, GUEST = 90, 1, 2, 3, 50, 95


def ev(ticket: int, type: str, minute: float, actor: int | None = None, **data: Any) -> dict:
    return {
        "ticket_id": ticket,
        "type": type,
        "at": T0 + timedelta(minutes=minute),
        "actor_id": actor,
        "data": data,
    }


def created(ticket: int = 1, minute: float = 0, mode: str = "swarm", **data: Any) -> dict:
    fields = {"mode": mode, "priority": "P3", "requester_id": REQUESTER, "subject": "x", **data}
    return ev(ticket, "created", minute, REQUESTER, **fields)


def assigned(ticket: int, minute: float, agent: int, actor: int | None = None, **data: Any):
    return ev(ticket, "assigned", minute, actor, agent_id=agent, **data)


def resolved(ticket: int, minute: float, actor: int = OWNER) -> dict:
    return ev(ticket, "resolved", minute, actor, to="resolved", resolution="done")


def facts(rows: list[dict], **selection: Any) -> TicketFacts:
    levels = selection.pop("levels", None)
    sel = Selection("live", selection.pop("as_of", AS_OF), **selection)
    return facts_from_log(memory_log(rows), sel, levels)


def one(rows: list[dict], **selection: Any) -> dict[str, Any]:
    """The facts of the only ticket, as plain values."""
    f = facts(rows, **selection)
    assert len(f) == 1
    out: dict[str, Any] = {}
    for name in TicketFacts.__dataclass_fields__:
        value = getattr(f, name)
        out[name] = value[0].item() if isinstance(value, np.ndarray) else value
    out["hours"] = (f.resolved_s[0] - f.created_s[0]) / 3600
    out["resolved"] = bool(f.resolved[0])
    return out


# ---------------------------------------------------------------- handoffs


def test_a_tier_move_through_the_queue_is_one_handoff_not_two():
    log = [
        created(mode="tiered"),
        ev(1, "queued", 0, tier=1),
        assigned(1, 1, OWNER, by="pull", tier=1),
        ev(1, "escalated", 15, None, from_tier=1, to_tier=2, reason="time_limit"),
        ev(1, "unassigned", 15, None, previous_owner_id=OWNER, reason="escalated"),
        assigned(1, 40, OTHER, by="pull", tier=2),
        resolved(1, 90, OTHER),
    ]
    f = one(log)
    assert (f["handoffs"], f["escalations"], f["escalations_by_time"]) == (1, 1, 1)
    assert f["top_tier"] == 2


@pytest.mark.parametrize(
    ("owners", "expected"),
    [
        ([OWNER], 0),
        ([OWNER, OTHER], 1),  # reassigned
        ([OWNER, OTHER, OWNER], 2),  # ping-pong: two handoffs
        ([OWNER, OWNER], 0),  # released and claimed again by the same person
    ],
)
def test_each_change_of_owner_is_a_handoff(owners, expected):
    log = [created()]
    for i, agent in enumerate(owners):
        if i:
            log.append(ev(1, "unassigned", i * 10 - 1, agent, previous_owner_id=owners[i - 1]))
        log.append(assigned(1, i * 10, agent, by="pull"))
    assert one(log)["handoffs"] == expected


def test_a_helper_joining_is_never_a_handoff_and_is_a_contributing_helper():
    log = [
        created(),
        assigned(1, 1, OWNER, by="policy"),
        ev(1, "helper_invited", 5, OWNER, agent_id=OTHER, invitation_id=1),
        ev(1, "helper_joined", 7, OTHER, agent_id=OTHER, via="invitation", invitation_id=1),
        ev(1, "message", 8, OTHER, message_id=1, kind="chat"),
        ev(1, "helper_left", 30, OTHER, agent_id=OTHER, seconds=1380, reason="resolved"),
        resolved(1, 30),
    ]
    f = one(log)
    assert f["handoffs"] == 0 and f["helpers"] == 1
    assert f["helper_seconds"] == 1380
    assert f["first_helper_s"] == pytest.approx((T0 + timedelta(minutes=7)).timestamp(), abs=0.01)


def test_a_repeated_escalation_in_an_imported_log_counts_once():
    move = {"from_tier": 1, "to_tier": 2, "reason": "manual"}
    log = [
        created(mode="tiered"),
        assigned(1, 1, OWNER, tier=1),
        ev(1, "escalated", 5, OWNER, **move),
        ev(1, "escalated", 5, OWNER, **move),
        assigned(1, 20, OTHER, tier=2),
    ]
    assert one(log)["handoffs"] == 1


def test_a_tier_move_before_anyone_owned_the_ticket_is_an_escalation_not_a_handoff():
    log = [
        created(mode="tiered"),
        ev(1, "queued", 0, tier=1),
        ev(1, "escalated", 15, None, from_tier=1, to_tier=2, reason="time_limit"),
        assigned(1, 30, OTHER, tier=2),
    ]
    f = one(log)
    assert (f["handoffs"], f["escalations"]) == (0, 1)


# ---------------------------------------------------------------- people


def test_touches_count_people_who_worked_on_it_not_the_requester_guests_or_a_dispatcher():
    log = [
        created(),
        assigned(1, 1, OWNER, actor=MANAGER, by="manual"),  # the manager only dispatched
        ev(1, "message", 2, REQUESTER, message_id=1, kind="reply"),
        ev(1, "note", 3, THIRD, message_id=2),  # a colleague's internal note
        ev(1, "guest_invited", 4, OWNER, guest_id=GUEST, name="Vendor"),
        ev(1, "message", 5, GUEST, message_id=3, kind="chat"),
        ev(1, "helper_joined", 6, OTHER, agent_id=OTHER, via="message", message_id=4),
        ev(1, "message", 6, OTHER, message_id=4, kind="chat"),
        resolved(1, 10),
    ]
    f = one(log)
    assert f["touches"] == 3  # owner, the note writer, the helper
    assert (f["helpers"], f["guests"]) == (1, 1)


def test_first_response_is_the_first_assignment_or_staff_reply_never_the_requesters_own():
    log = [
        created(),
        ev(1, "message", 5, REQUESTER, message_id=1, kind="reply"),
        ev(1, "message", 12, OTHER, message_id=2, kind="reply"),
        assigned(1, 30, OWNER),
    ]
    f = one(log)
    assert (f["first_reply_s"] - f["created_s"]) / 60 == pytest.approx(12, abs=0.01)
    assert (f["first_assigned_s"] - f["created_s"]) / 60 == pytest.approx(30, abs=0.01)


def test_the_relevant_person_is_the_resolver_or_an_earlier_contributing_helper():
    log = [
        created(),
        assigned(1, 1, OWNER),
        ev(1, "helper_joined", 20, THIRD, agent_id=THIRD, via="offer"),
        ev(1, "unassigned", 50, OWNER, previous_owner_id=OWNER),
        assigned(1, 60, OTHER),
        resolved(1, 90, OTHER),
    ]
    f = one(log)
    assert (f["resolver_s"] - f["created_s"]) / 60 == pytest.approx(60, abs=0.01)
    report = build_report(facts(log), dataset="live", period={}, filters={}, sla_targets={})
    relevant = report["arms"]["swarm"]["metrics"]["time_to_relevant_hours"]
    assert relevant["median"] == pytest.approx(20 / 60, abs=0.001)  # the helper came first


# ---------------------------------------------------------------- resolution


def test_first_contact_resolution_needs_the_first_owner_no_handoff_and_no_reopen():
    first = [created(1), assigned(1, 1, OWNER), resolved(1, 30, OWNER)]
    handed = [created(2), assigned(2, 1, OWNER), assigned(2, 5, OTHER), resolved(2, 30, OTHER)]
    reopened = [
        created(3),
        assigned(3, 1, OWNER),
        resolved(3, 30, OWNER),
        ev(3, "reopened", 40, REQUESTER, to="open"),
        resolved(3, 60, OWNER),
    ]
    report = build_report(
        facts(first + handed + reopened), dataset="live", period={}, filters={}, sla_targets={}
    )
    fcr = report["arms"]["swarm"]["metrics"]["fcr_rate"]
    assert (fcr["k"], fcr["n"]) == (1, 3)
    reopen = report["arms"]["swarm"]["metrics"]["reopen_rate"]
    assert (reopen["k"], reopen["n"]) == (1, 3)


def test_a_reopened_ticket_not_resolved_again_is_open_and_censored():
    log = [
        created(),
        assigned(1, 1, OWNER),
        resolved(1, 60),
        ev(1, "reopened", 120, REQUESTER, to="open"),
    ]
    f = one(log)
    assert f["resolved"] is False and f["reopens"] == 1
    report = build_report(facts(log), dataset="live", period={}, filters={}, sla_targets={})
    ttr = report["arms"]["swarm"]["metrics"]["ttr_hours"]
    assert (ttr["n"], ttr["resolved"], ttr["censored"]) == (1, 0, 1)


def test_time_to_resolution_runs_to_the_last_resolution_and_never_backwards():
    again = [
        created(1),
        assigned(1, 1, OWNER),
        resolved(1, 60),
        ev(1, "reopened", 70, REQUESTER),
        resolved(1, 180),
    ]
    assert one(again)["hours"] == pytest.approx(3.0, abs=0.001)
    backwards = [created(2, minute=100), assigned(2, 90, OWNER), resolved(2, 50)]
    report = build_report(facts(backwards), dataset="live", period={}, filters={}, sla_targets={})
    assert report["arms"]["swarm"]["ttr_hours"]["median"] == 0.0


def test_events_after_as_of_are_not_yet_known():
    log = [created(), assigned(1, 1, OWNER), resolved(1, 600)]
    f = one(log, as_of=T0 + timedelta(minutes=300))
    assert f["resolved"] is False


def test_pauses_are_the_union_of_pending_and_vendor_time():
    log = [
        created(mode="tiered"),
        assigned(1, 1, OWNER, tier=1),
        ev(1, "status_changed", 10, OWNER, **{"from": "open", "to": "pending"}),
        ev(1, "vendor_handoff", 20, OWNER, vendor="Acme", vendor_id=1),
        ev(1, "status_changed", 40, OWNER, **{"from": "pending", "to": "open"}),
        ev(1, "vendor_update", 70, OWNER, status="resolved", vendor_id=1),
        resolved(1, 100),
    ]
    f = one(log)
    assert f["paused_s"] / 60 == pytest.approx(60, abs=0.05)  # 10→40 ∪ 20→70
    assert f["vendor_s"] / 60 == pytest.approx(50, abs=0.05)
    assert f["vendor_handoffs"] == 1


def test_the_latest_rating_counts():
    log = [
        created(),
        assigned(1, 1, OWNER),
        resolved(1, 30),
        ev(1, "satisfaction_rated", 40, REQUESTER, score=2),
        ev(1, "reopened", 50, REQUESTER),
        resolved(1, 60),
        ev(1, "satisfaction_rated", 70, REQUESTER, score=5, comment="Fixed now"),
    ]
    assert one(log)["satisfaction"] == 5


# ---------------------------------------------------------------- selection


def test_the_period_selects_tickets_by_creation_and_filters_by_priority():
    log = [
        created(1, minute=0),
        created(2, minute=60 * 24 * 3, priority="P1"),
        created(3, minute=60 * 24 * 3),
    ]
    start = T0 + timedelta(days=1)
    assert list(facts(log, start=start).ticket) == [2, 3]
    assert list(facts(log, start=start, priority=("P1",)).ticket) == [2]
    assert list(facts(log, end=start).ticket) == [1]


def test_a_ticket_created_twice_in_an_imported_log_is_one_ticket_and_an_unknown_mode_is_dropped():
    log = [created(1), created(1, minute=5), created(2, mode="kanban")]
    f = facts(log)
    assert list(f.ticket) == [1]


def test_the_cost_of_a_resolve_follows_the_highest_level_that_worked_on_it():
    log = [
        created(1),
        assigned(1, 1, OWNER),
        resolved(1, 10),
        created(2),
        assigned(2, 1, OWNER),
        ev(2, "helper_joined", 2, THIRD, agent_id=THIRD, via="added"),
        resolved(2, 10),
    ]
    f = facts(log, levels={OWNER: 1, THIRD: 3})
    report = build_report(f, dataset="live", period={}, filters={}, sla_targets={})
    assert report["arms"]["swarm"]["cost"]["per_resolved"] == pytest.approx((45 + 150) / 2)


def test_sla_is_met_missed_or_not_yet_known():
    targets = {"P3": (3600.0, 4 * 3600.0)}
    met = [created(1), assigned(1, 10, OWNER), resolved(1, 120)]
    missed = [created(2), assigned(2, 90, OWNER), resolved(2, 600)]
    waiting = [created(3, minute=60 * 24 * 10 - 30)]  # opened 30 min before as_of
    report = build_report(
        facts(met + missed + waiting), dataset="live", period={}, filters={}, sla_targets=targets
    )
    m = report["arms"]["swarm"]["metrics"]
    assert (m["sla_response_rate"]["k"], m["sla_response_rate"]["n"]) == (1, 2)
    assert (m["sla_resolution_rate"]["k"], m["sla_resolution_rate"]["n"]) == (1, 2)

"""The log importers' reading and translation, on small hand-written logs (docs/import.md)."""

from __future__ import annotations

import gzip
import io
import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from swarm.metrics.facts import Selection, facts_from_log
from swarm.metrics.memory import memory_log
from swarm.simulation.importers import csvlog, uci, xes
from swarm.simulation.importers.base import (
    ActorBook,
    Case,
    CaseStats,
    EmptyLogError,
    ImportProblem,
    LogEvent,
    LogFormatError,
    Rejections,
    Rules,
    open_log,
    translate_case,
)

T0 = datetime(2013, 4, 1, 9, 0, tzinfo=UTC)

# ---------------------------------------------------------------------------------- UCI

UCI_HEADER = (
    "number,incident_state,active,reassignment_count,reopen_count,sys_mod_count,made_sla,"
    "caller_id,opened_by,opened_at,sys_created_by,sys_created_at,sys_updated_by,"
    "sys_updated_at,contact_type,location,category,subcategory,u_symptom,cmdb_ci,impact,"
    "urgency,priority,assignment_group,assigned_to,knowledge,u_priority_confirmation,notify,"
    "problem_id,rfc,vendor,caused_by,closed_code,resolved_by,resolved_at,closed_at"
)


def uci_row(
    number: str,
    state: str,
    rc: int | str,
    mod: int,
    updated: str,
    group: str = "Group 1",
    person: str = "?",
    reopen: int = 0,
    resolved: str = "1/3/2016 12:00",
    priority: str = "3 - Moderate",
) -> str:
    return (
        f"{number},{state},true,{rc},{reopen},{mod},true,Caller 9,Opened by 1,1/3/2016 09:00,"
        f"Created by 1,1/3/2016 09:00,Updated by 1,{updated},Phone,Location 1,Category 4,"
        f"Subcategory 2,Symptom 1,?,2 - Medium,2 - Medium,{priority},{group},{person},true,"
        f"false,Do Not Notify,?,?,?,?,code 5,Resolved by 3,{resolved},4/3/2016 12:00"
    )


def read_uci(lines: list[str]) -> tuple[list[list[tuple]], Rejections]:
    rejected = Rejections()
    data = "\n".join([UCI_HEADER, *lines]).encode()
    return list(uci.read_incidents(io.BytesIO(data), rejected)), rejected


def translate(rows, book=None):
    return uci.translate_incident(rows, 1, book or ActorBook(), Rejections())


def handoffs_by_metrics(events: list[dict]) -> list[int]:
    """What the metrics engine counts, for the same rows."""
    log = [{**e, "source": "imported"} for e in events]
    last = max(e["at"] for e in events) + timedelta(days=1)
    facts = facts_from_log(memory_log(log), Selection("imported", last))
    return [int(h) for h in facts.handoffs]


def test_uci_handoffs_are_the_final_reassignment_count_padded_when_owners_are_missing():
    incidents, rejected = read_uci(
        [
            uci_row("INC1", "New", 0, 0, "1/3/2016 09:05"),
            uci_row("INC1", "Active", 1, 1, "1/3/2016 10:00", "Group 2", "Resolver 3"),
            # The count jumps by two with one owner visible: one unrecorded owner between.
            uci_row("INC1", "Resolved", 3, 2, "1/3/2016 11:00", "Group 2", "Resolver 4"),
        ]
    )
    assert not rejected and len(incidents) == 1
    events, handoffs, ttr = translate(incidents[0])
    assert handoffs == 3 and ttr == 3 * 3600
    owners = [e["data"]["agent_id"] for e in events if e["type"] == "assigned"]
    assert len(owners) == 4 and all(a != b for a, b in itertools.pairwise(owners))
    assert handoffs_by_metrics(events) == [3]
    created = events[0]
    assert created["data"]["mode"] == "tiered" and created["data"]["priority"] == "P3"
    assert created["data"]["category"] == "Category 4" and created["data"]["group"] == "Group 1"
    assert created["actor_id"] == created["data"]["requester_id"]


def test_uci_rows_are_read_in_sys_mod_count_order_and_zero_handoffs_is_one_owner():
    incidents, _ = read_uci(
        [
            uci_row("INC2", "Resolved", 0, 2, "1/3/2016 11:00", person="Resolver 7"),
            uci_row("INC2", "New", 0, 0, "1/3/2016 09:05"),
        ]
    )
    events, handoffs, _ = translate(incidents[0])
    assert handoffs == 0 and handoffs_by_metrics(events) == [0]
    assert [e["type"] for e in events] == ["created", "assigned", "resolved"]


def test_uci_reopens_pending_and_a_missing_resolution():
    incidents, _ = read_uci(
        [
            uci_row("INC3", "Active", 0, 0, "1/3/2016 09:05", resolved="?"),
            uci_row("INC3", "Awaiting User Info", 0, 1, "1/3/2016 09:30", resolved="?"),
            uci_row("INC3", "Resolved", 0, 2, "1/3/2016 10:00", resolved="?"),
            uci_row("INC3", "Active", 0, 3, "1/3/2016 11:00", reopen=1, resolved="?"),
        ]
    )
    notes = Rejections()
    events, _, ttr = uci.translate_incident(incidents[0], 1, ActorBook(), notes)
    types = [e["type"] for e in events]
    # The wait ends with the resolution; the reopen is resolved-then-reopened.
    assert types == ["created", "assigned", "status_changed", "resolved", "reopened"]
    assert events[2]["data"]["to"] == "pending" and events[3]["data"]["from"] == "pending"
    assert ttr is None and notes == {"no resolved_at (kept open)": 1}


def test_uci_bad_rows_are_counted_by_reason_never_dropped_silently():
    incidents, rejected = read_uci(
        [
            uci_row("INC1", "New", 0, 0, "1/3/2016 09:05"),
            uci_row("INC1", "New", "many", 1, "1/3/2016 09:06"),
            uci_row("INC1", "New", 0, 2, "yesterday"),
            uci_row("?", "New", 0, 0, "1/3/2016 09:05"),
            "INC1,New,true",
            uci_row("INC2", "New", 0, 0, "1/3/2016 09:05"),
            uci_row("INC1", "Active", 1, 3, "1/3/2016 10:00"),
        ]
    )
    assert [i[0][0] for i in incidents] == ["INC1", "INC2"]
    assert dict(rejected) == {
        "unparseable reassignment_count, reopen_count or sys_mod_count": 1,
        "unparseable sys_updated_at": 1,
        "no incident number": 1,
        "a row with 3 columns where the header has 36": 1,
        "an incident's rows apart from its others (sort by number)": 1,
    }


def test_a_file_that_is_not_a_servicenow_log_says_which_columns_are_missing():
    with pytest.raises(LogFormatError, match="missing columns number, incident_state"):
        list(uci.read_incidents(io.BytesIO(b'<?xml version="1.0"?>\n<log/>\n'), Rejections()))


@pytest.mark.parametrize("content", [b"", UCI_HEADER.encode() + b"\n"])
def test_an_empty_uci_log_is_refused(content):
    with pytest.raises(EmptyLogError):
        list(uci.read_incidents(io.BytesIO(content), Rejections()))


def test_gzip_is_read_directly_whatever_the_name(tmp_path: Path):
    path = tmp_path / "log.csv"  # gzip inside, no .gz in the name
    path.write_bytes(
        gzip.compress(
            "\n".join([UCI_HEADER, uci_row("INC1", "New", 0, 0, "1/3/2016 09:05")]).encode()
        )
    )
    stream, counter = open_log(path)
    incidents = list(uci.read_incidents(stream, Rejections()))
    assert len(incidents) == 1 and counter.count == path.stat().st_size


def test_a_missing_file_is_a_clear_problem(tmp_path: Path):
    with pytest.raises(ImportProblem, match="no such file"):
        open_log(tmp_path / "nowhere.csv")


# ---------------------------------------------------------------------------------- XES


def xes_log(traces: str, ns: bool = True) -> bytes:
    xmlns = ' xmlns="http://www.xes-standard.org/"' if ns else ""
    return f"""<?xml version="1.0" encoding="UTF-8" ?>
<log xes.version="1.0"{xmlns}>
  <global scope="event"><string key="org:group" value="UNKNOWN"/></global>
  <classifier name="Activity" keys="concept:name"/>
  {traces}
</log>""".encode()


def xes_event(minute: int, status: str, sub: str, group: str, impact: str = "Medium") -> str:
    at = (T0 + timedelta(minutes=minute)).isoformat()
    return f"""<event>
      <string key="concept:name" value="{status}"/>
      <string key="lifecycle:transition" value="{sub}"/>
      <string key="org:group" value="{group}"/>
      <string key="org:resource" value="Ann"/>
      <date key="time:timestamp" value="{at}"/>
      <string key="impact" value="{impact}"/>
      <string key="product" value="PROD1"/>
    </event>"""


def read_xes(data: bytes) -> tuple[list[Case], Rejections]:
    rejected = Rejections()
    return list(xes.read_cases(io.BytesIO(data), rejected)), rejected


def test_xes_traces_become_cases_with_their_groups_and_impact():
    data = xes_log(
        '<trace><string key="concept:name" value="1-1"/>'
        + xes_event(0, "Accepted", "In Progress", "G1")
        + xes_event(5, "Queued", "Awaiting Assignment", "G2 2nd")
        + xes_event(60, "Completed", "Resolved", "G2 2nd", "High")
        + "</trace>"
    )
    (case,), rejected = read_xes(data)
    assert not rejected and case.case_id == "1-1"
    assert case.priority == "P2" and case.category == "PROD1"
    assert [e.owner for e in case.events] == ["G1", "G2 2nd", "G2 2nd"]


def test_xes_bad_timestamps_and_empty_traces_are_counted():
    bad = xes_event(0, "Accepted", "In Progress", "G1").replace(T0.isoformat(), "soon")
    data = xes_log(
        '<trace><string key="concept:name" value="1"/>'
        + bad
        + xes_event(3, "Accepted", "In Progress", "G1")
        + '</trace><trace><string key="concept:name" value="2"/>'
        + bad
        + "</trace>",
        ns=False,
    )
    cases, rejected = read_xes(data)
    assert [c.case_id for c in cases] == ["1"]
    assert dict(rejected) == {
        "an event without a readable time:timestamp": 2,
        "a trace without any readable event": 1,
    }


@pytest.mark.parametrize(
    ("content", "error", "message"),
    [
        (b"number,incident_state\nINC1,New\n", LogFormatError, "does not look like an XES"),
        (b"<html><body/></html>", LogFormatError, "root element is <html>"),
        (b"", EmptyLogError, "empty"),
        (xes_log(""), EmptyLogError, "no trace"),
    ],
)
def test_xes_that_is_not_xes_or_empty_is_refused(content, error, message):
    with pytest.raises(error, match=message):
        read_xes(content)


def test_xes_cut_off_half_way_is_refused():
    data = xes_log('<trace><string key="concept:name" value="1"/>' + xes_event(0, "A", "", "G1"))
    with pytest.raises(LogFormatError, match="breaks off"):
        read_xes(data[: len(data) - 20])


# ---------------------------------------------------------------------------------- translation


def ev(minute: float, activity: str, owner: str | None, status: str = "") -> LogEvent:
    return LogEvent(T0 + timedelta(minutes=minute), activity, status, owner)


def test_each_change_of_group_is_one_handoff_consecutive_repeats_collapsed():
    case = Case(
        "SR1",
        [
            ev(0, "Accepted", "G1"),
            ev(1, "Accepted", "G1"),
            ev(5, "Queued", "G2 2nd"),
            ev(6, "Accepted", "G2 2nd"),
            ev(30, "Queued", "S3 3rd"),
            ev(40, "Queued", "G2 2nd"),
            ev(50, "Accepted", "G2 2nd"),
            ev(60, "Accepted", "G4"),
            ev(90, "Completed", "G4", "Resolved"),
        ],
    )
    rows, handoffs, ttr = translate_case(case, 1, ActorBook())
    assert handoffs == 4 and ttr == 90 * 60
    moves = [(r["type"], r["data"].get("from_tier"), r["data"].get("to_tier")) for r in rows]
    assert [m for m in moves if m[0] in ("escalated", "deescalated")] == [
        ("escalated", 1, 2),
        ("escalated", 2, 3),
        ("deescalated", 3, 2),
        ("deescalated", 2, 1),
    ]
    assert handoffs_by_metrics(rows) == [4]


def test_activity_after_completion_reopens_and_waits_on_the_user_pause():
    case = Case(
        "SR2",
        [
            ev(0, "Accepted", "G1"),
            ev(10, "Accepted", "G1", "Wait - User"),
            ev(20, "Accepted", "G1", "In Progress"),
            ev(30, "Completed", "G1", "Resolved"),
            ev(31, "Completed", "G1", "Closed"),
            ev(40, "Accepted", "G1", "In Progress"),
            ev(70, "Completed", "G1", "Closed"),
        ],
    )
    rows, handoffs, ttr = translate_case(case, 1, ActorBook())
    types = [r["type"] for r in rows]
    assert types == [
        "created",
        "assigned",
        "status_changed",
        "status_changed",
        "resolved",
        "reopened",
        "resolved",
    ]
    assert handoffs == 0 and ttr == 70 * 60
    facts = facts_from_log(
        memory_log([{**r, "source": "x"} for r in rows]), Selection("x", T0 + timedelta(days=1))
    )
    assert int(facts.reopens[0]) == 1 and float(facts.paused_s[0]) == pytest.approx(600, abs=0.01)


def test_owner_changes_a_log_counts_without_naming_them():
    rules = Rules.of(handoff_activities=["Reassignment"])
    case = Case(
        "IM1",
        [
            ev(0, "Open", None),
            ev(1, "Assignment", None),
            ev(2, "Reassignment", None),
            ev(3, "Reassignment", None),
            ev(9, "Closed", None),
        ],
    )
    rules = Rules.of(handoff_activities=["Assignment", "Reassignment"])
    rows, handoffs, _ = translate_case(case, 1, ActorBook(), rules)
    assert handoffs == 2 and handoffs_by_metrics(rows) == [2]


def test_case_stats_give_shares_and_medians_per_handoff_count():
    stats = CaseStats()
    for handoffs, hours in [(0, 1), (0, 3), (1, 10), (5, 40), (4, None)]:
        stats.count(handoffs, None if hours is None else hours * 3600, 3)
    summary = stats.summary()
    assert summary["cases"] == 5 and summary["resolved"] == 4
    assert summary["handoffs"]["0"] == {
        "cases": 2,
        "share": 0.4,
        "resolved": 2,
        "median_ttr_hours": 2.0,
    }
    assert summary["handoffs"]["3+"]["cases"] == 2 and summary["handoffs"]["2"]["cases"] == 0


# ---------------------------------------------------------------------------------- CSV


MAPPING = csvlog.CsvMapping.from_dict(
    {
        "case": "Case",
        "timestamp": "When",
        "activity": "Status",
        "status": "Sub",
        "owner": "Team",
        "priority": "Impact",
        "time_format": "%d-%m-%Y %H:%M",
    }
)


def read_csv(text: str, mapping: csvlog.CsvMapping = MAPPING) -> tuple[list[Case], Rejections]:
    rejected = Rejections()
    return list(csvlog.read_cases(io.BytesIO(text.encode()), rejected, mapping)), rejected


def test_csv_cases_through_a_mapping():
    cases, rejected = read_csv(
        "Case,When,Status,Sub,Team,Impact\n"
        "A,01-04-2013 09:00,Accepted,In Progress,G1,Low\n"
        "A,01-04-2013 09:10,Queued,Awaiting Assignment,G2 2nd,High\n"
        "A,01-04-2013 10:00,Completed,Resolved,G2 2nd,High\n"
        "B,01-04-2013 11:00,Accepted,In Progress,G1,\n"
        "B,sometime,Accepted,In Progress,G1,\n"
        "A,01-04-2013 12:00,Accepted,In Progress,G1,\n"
    )
    assert [c.case_id for c in cases] == ["A", "B"]
    assert cases[0].priority == "P2" and len(cases[0].events) == 3
    assert dict(rejected) == {
        "unparseable When (format %d-%m-%Y %H:%M)": 1,
        "a case's rows apart from its others (sort the file by case)": 1,
    }
    rows, handoffs, _ = translate_case(cases[0], 1, ActorBook(), MAPPING.rules())
    assert handoffs == 1 and "escalated" in [r["type"] for r in rows]


def test_csv_without_the_mapped_columns_names_them():
    with pytest.raises(LogFormatError, match="missing columns When, Status"):
        read_csv("Case,Time,Activity\nA,1,2\n")


def test_csv_mapping_errors_name_each_field():
    with pytest.raises(csvlog.MappingError) as caught:
        csvlog.CsvMapping.from_dict({"case": "C", "timestamp": 7, "delimiter": ";;"})
    assert set(caught.value.fields) == {"timestamp", "activity", "delimiter"}

"""The manager dashboard's adapters: the page and its CSV over a recorded metrics service (the
figures are the service's business; here, who may ask, what reaches the service, and how its
answer is worded), and the dashboards' live room over the real notifier."""

from __future__ import annotations

import copy
import csv
import io
import json
import re
import time
from pathlib import Path
from typing import Any, ClassVar

import pytest

from swarm.models import Skill
from swarm.realtime.notifier import MetricsPulse
from tests.builders import make_user

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "metrics_report.json"


class RecordingMetrics:
    """Answers the fixture report (shrunk when a priority is asked for), and keeps the queries."""

    queries: ClassVar[list[Any]] = []

    def __init__(self, session: Any, clock: Any) -> None:
        self.clock = clock

    def report(self, viewer: Any, query: Any) -> dict[str, Any]:
        RecordingMetrics.queries.append(query)
        report = json.loads(FIXTURE.read_text())
        # As the real service: exceptions and contribution are asked for on their own.
        del report["exceptions"], report["contribution"]
        report["filters"]["priority"] = list(query.priority)
        if query.priority:
            for arm in report["arms"].values():
                for metric in arm["metrics"].values():
                    metric["n"] = metric["n"] // 10
                arm["tickets"] //= 10
        return report

    def exceptions(self, viewer: Any, query: Any) -> dict[str, Any]:
        return copy.deepcopy(json.loads(FIXTURE.read_text())["exceptions"])

    def contribution(self, viewer: Any, query: Any) -> dict[str, Any]:
        return copy.deepcopy(json.loads(FIXTURE.read_text())["contribution"])

    def datasets(self, viewer: Any) -> list[dict[str, Any]]:
        return [{"name": "live", "tickets": 325, "events": 3373}]

    def knowledge(self, viewer: Any, query: Any) -> dict[str, Any]:
        return copy.deepcopy(KNOWLEDGE)


#: What the real service answers for swarm/metrics/knowledge.py (tests/unit pins the figures).
KNOWLEDGE: dict[str, Any] = {
    "dataset": "live",
    "level": 0.95,
    "arms": {
        "swarm": {
            "tickets": 180,
            "resolved": 160,
            "reuse": {"k": 48, "n": 160, "rate": 0.3, "ci": [0.23, 0.37]},
            "captured": 12,
            "captured_per_100": 7.5,
            "resolve_to_published_hours": {"n": 12, "median": 20.0, "p90": 50.0},
            "known": {"k": 36, "n": 180, "rate": 0.2, "ci": [0.15, 0.26]},
        },
        "tiered": {
            "tickets": 145,
            "resolved": 140,
            "reuse": {"k": 14, "n": 140, "rate": 0.1, "ci": [0.06, 0.16]},
            "captured": 2,
            "captured_per_100": 1.4,
            "resolve_to_published_hours": {"n": 2, "median": 70.0, "p90": 90.0},
            "known": {"k": 29, "n": 145, "rate": 0.2, "ci": [0.14, 0.27]},
        },
    },
    "deflection": {
        "suggested": 50,
        "viewed": 30,
        "visits": 40,
        "deflected": 10,
        "ticketed": 30,
        "rate": 0.25,
        "ci": [0.14, 0.4],
    },
}


@pytest.fixture
def metrics(monkeypatch: pytest.MonkeyPatch) -> type[RecordingMetrics]:
    RecordingMetrics.queries = []
    monkeypatch.setattr("swarm.web.dashboard_pages.MetricsService", RecordingMetrics)
    return RecordingMetrics


def html(response) -> str:
    return response.get_data(as_text=True)


def embedded(page: str) -> dict[str, Any]:
    block = re.search(
        r'<script type="application/json" id="dashboard-data"[^>]*>(.*?)</script>', page, re.S
    )
    return json.loads(block.group(1))


# ------------------------------------------------------------------ the page


def test_a_manager_sees_both_arms_with_intervals_and_the_verdict(login, manager, metrics):
    response = login(manager).get("/dashboard")

    assert response.status_code == 200
    page = html(response)
    report = json.loads(FIXTURE.read_text())
    assert report["verdict"] in page
    arms = re.findall(r'<article class="card arm arm-(\w+)">', page)
    assert arms == ["swarm", "tiered"]
    assert "2.1 h (95\u00a0%\u00a0CI 1.8–2.5)" in page
    assert "3.0 h (95\u00a0%\u00a0CI 2.6–3.6)" in page
    assert "−0.9 h (95\u00a0%\u00a0CI −1.4 to −0.4)" in page
    # The charts' data is the whole report, with what the page shows beside it.
    data = embedded(page)["report"]
    assert set(data["arms"]) == {"swarm", "tiered"}
    assert data["exceptions"]["items"][0]["ticket_ids"] == [41]
    assert 'href="/tickets/41"' in page
    assert "Consortium for Service Innovation" in page
    assert 'href="/dashboard"' in page  # the nav links to it


def test_the_embedded_report_cannot_close_its_script_element(login, manager, metrics, monkeypatch):
    hostile = "</script><script>alert(1)</script>"
    original = RecordingMetrics.report

    def report(self, viewer, query):
        answer = original(self, viewer, query)
        answer["verdict"] = hostile
        return answer

    monkeypatch.setattr(RecordingMetrics, "report", report)
    page = html(login(manager).get("/dashboard"))

    assert hostile not in page
    assert embedded(page)["report"]["verdict"] == hostile


@pytest.mark.parametrize("role", ["agent", "requester"])
def test_only_managers_and_admins_open_the_dashboard(login, db, clock, metrics, role):
    someone = make_user(db, clock, role=role)
    client = login(someone)

    assert client.get("/dashboard").status_code == 403
    assert client.get("/dashboard.csv").status_code == 403
    assert metrics.queries == []
    assert 'href="/dashboard"' not in html(client.get("/tickets"))


def test_an_admin_opens_it_too(login, db, clock, metrics):
    admin = make_user(db, clock, role="admin")
    assert login(admin).get("/dashboard").status_code == 200


def test_the_filters_reach_the_service_and_stay_in_the_form(login, manager, metrics):
    client = login(manager)
    filters = "priority=P1&priority=P3&from=2026-01-05&to=2026-02-28&category=Network, Access"
    page = html(client.get(f"/dashboard?{filters}"))

    query = metrics.queries[-1]
    assert query.priority == ("P1", "P3")
    assert query.category == ("Network", "Access")
    assert query.start.isoformat() == "2026-01-05T00:00:00+00:00"
    # "to" is the last day shown: the period ends at the next midnight.
    assert query.end.isoformat() == "2026-03-01T00:00:00+00:00"
    assert re.search(r'value="P1" checked', page) and not re.search(r'value="P2" checked', page)
    assert 'value="2026-02-28"' in page
    assert "priority=P1&amp;priority=P3" in re.search(r'id="dash-csv" href="([^"]+)"', page).group(
        1
    )


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=yesterday", "from"),
        ("priority=P9", "priority"),
        ("from=2026-02-02&to=2026-01-01", "to"),
    ],
)
def test_invalid_filters_are_refused_with_a_sentence(login, manager, metrics, query, field):
    response = login(manager).get(f"/dashboard?{query}")

    assert response.status_code == 422
    assert "The filters are not valid" in html(response)
    assert metrics.queries == []


# ------------------------------------------------------------------ the CSV


def read_csv(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_the_csv_has_a_row_per_arm_per_metric_and_the_differences(login, manager, metrics):
    response = login(manager).get("/dashboard.csv")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="swarm-metrics-live-2026-03-02.csv"'
    )
    first_line = response.get_data(as_text=True).split("\r\n")[0]
    assert first_line == (
        "metric,label,arm,statistic,unit,n,estimate,ci_low,ci_high,level,p,p_holm,conclusive"
    )
    rows = read_csv(response)
    ttr = {r["arm"]: r for r in rows if r["metric"] == "ttr_hours"}
    assert set(ttr) == {"swarm", "tiered", "swarm - tiered"}
    assert (ttr["swarm"]["statistic"], ttr["swarm"]["estimate"]) == ("median", "2.1")
    assert (ttr["swarm"]["ci_low"], ttr["swarm"]["ci_high"], ttr["swarm"]["n"]) == (
        "1.8",
        "2.5",
        "150",
    )
    assert ttr["swarm - tiered"]["estimate"] == "-0.9"
    assert ttr["swarm - tiered"]["p_holm"] == "0.004"
    assert ttr["swarm - tiered"]["conclusive"] == "true"
    fcr = next(r for r in rows if r["metric"] == "fcr_rate" and r["arm"] == "tiered")
    assert (fcr["estimate"], fcr["ci_low"], fcr["ci_high"]) == ("0.52", "0.45", "0.58")
    # The headline's measures come first.
    assert [r["metric"] for r in rows[:2]] == ["ttr_hours", "ttr_hours"]


def test_a_filter_narrows_the_csv(login, manager, metrics):
    client = login(manager)
    everything = read_csv(client.get("/dashboard.csv"))
    urgent = read_csv(client.get("/dashboard.csv?priority=P1"))

    assert metrics.queries[-1].priority == ("P1",)

    def n(rows):
        return next(r["n"] for r in rows if r["metric"] == "ttr_hours" and r["arm"] == "swarm")

    assert (n(everything), n(urgent)) == ("150", "15")


# ------------------------------------------------------------------ live


def metrics_changed(client) -> list[dict[str, Any]]:
    return [r["args"][0] for r in client.get_received() if r["name"] == "metrics_changed"]


def test_only_managers_and_admins_watch_the_dashboard(connect, agent, manager, requester):
    refused = connect(agent).emit("watch_dashboard", {}, callback=True)
    assert refused["ok"] is False and refused["error"]["code"] == "forbidden"
    assert connect(requester).emit("watch_dashboard", callback=True)["error"]["code"] == "forbidden"
    assert connect(manager).emit("watch_dashboard", {}, callback=True) == {"ok": True}
    odd = connect(manager).emit("watch_dashboard", {"room": "ticket:1:staff"}, callback=True)
    assert odd["error"]["code"] == "invalid"


def test_a_live_ticket_change_tells_the_watching_dashboards_only(
    connect, login, agent, manager, requester, db, clock
):
    watcher = connect(manager)
    assert watcher.emit("watch_dashboard", {}, callback=True) == {"ok": True}
    other_manager = connect(make_user(db, clock, role="manager"))
    staff = connect(agent)
    for client in (watcher, other_manager, staff):
        client.get_received()

    login(requester).post("/api/v1/tickets", json={"subject": "Printer offline", "body": "2nd"})

    assert metrics_changed(watcher) == [{"source": "live", "at": clock.now().isoformat()}]
    assert metrics_changed(other_manager) == []
    assert metrics_changed(staff) == []


def test_room_chatter_does_not_make_the_dashboards_re_read(
    connect, login, agent, manager, requester, clock
):
    created = login(requester).post("/api/v1/tickets", json={"subject": "VPN", "body": "Drops"})
    ticket_id = created.json["id"]
    login(agent).post(f"/api/v1/tickets/{ticket_id}/claim", json={})
    time.sleep(2.1)  # past the pulse's interval (real time): a change now would emit at once
    watcher = connect(manager)
    assert watcher.emit("watch_dashboard", {}, callback=True) == {"ok": True}
    watcher.get_received()

    note = login(agent).post(f"/api/v1/tickets/{ticket_id}/notes", json={"body": "Checking"})

    assert note.status_code == 201, note.json
    assert metrics_changed(watcher) == []


class RecordingSocketIO:
    """What MetricsPulse asks of Flask-SocketIO: emits, background tasks, sleeps, the rooms."""

    def __init__(self) -> None:
        self.emitted: list[tuple[str, dict[str, Any], str]] = []
        self.tasks: list[tuple[Any, tuple[Any, ...]]] = []
        self.slept: list[float] = []
        rooms = {"/": {"dashboard": {"sid": "eio"}}}
        self.server = type("Server", (), {"manager": type("Manager", (), {"rooms": rooms})()})()

    def emit(self, name: str, payload: dict[str, Any], to: str) -> None:
        self.emitted.append((name, payload, to))

    def start_background_task(self, target: Any, *args: Any) -> None:
        self.tasks.append((target, args))

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


def test_the_pulse_emits_at_most_once_per_interval_and_announces_the_last_change(clock):
    socketio = RecordingSocketIO()
    now = [100.0]
    pulse = MetricsPulse(socketio, clock, interval=2.0, monotonic=lambda: now[0])  # type: ignore[arg-type]

    pulse.changed()
    now[0] = 100.5
    pulse.changed()
    pulse.changed()

    assert [e[0] for e in socketio.emitted] == ["metrics_changed"]
    assert socketio.emitted[0][2] == "dashboard"
    assert len(socketio.tasks) == 1  # one announcement pending, however many changes
    target, args = socketio.tasks.pop()
    target(*args)
    assert socketio.slept == [1.5]
    assert len(socketio.emitted) == 2

    pulse.changed()  # inside the interval that the late announcement began
    assert len(socketio.emitted) == 2 and len(socketio.tasks) == 1
    target, args = socketio.tasks.pop()
    target(*args)
    assert len(socketio.emitted) == 3

    now[0] = 200.0  # long quiet: the next change is told at once
    pulse.changed()
    assert len(socketio.emitted) == 4 and socketio.tasks == []


def test_the_pulse_is_silent_when_no_dashboard_is_open(clock):
    socketio = RecordingSocketIO()
    socketio.server.manager.rooms = {"/": {}}
    MetricsPulse(socketio, clock).changed()  # type: ignore[arg-type]
    assert socketio.emitted == [] and socketio.tasks == []


def test_an_empty_dataset_shows_the_verdict_and_no_charts(login, manager, metrics, monkeypatch):
    empty = {
        "dataset": "live",
        "period": {"from": None, "to": None, "as_of": "2026-03-02T09:00:00+00:00"},
        "filters": {"priority": ["P1"], "category": [], "tier": None, "skill": None},
        "level": 0.95,
        "randomised": False,
        "tickets": 0,
        "arms": {},
        "differences": {},
        "headline": [],
        "verdict": "No ticket matches these filters yet.",
        "timeseries": {"bucket": "week", "points": []},
        "backlog": {"open": 0, "by_age": {}, "by_arm": {}},
        "fit": [],
    }
    monkeypatch.setattr(RecordingMetrics, "report", lambda self, viewer, query: dict(empty))

    response = login(manager).get("/dashboard?priority=P1")

    assert response.status_code == 200
    page = html(response)
    assert "No ticket matches these filters yet." in page
    assert "<canvas" not in page and 'class="card arm' not in page
    csv_rows = read_csv(login(manager).get("/dashboard.csv?priority=P1"))
    assert csv_rows == []


def test_contributors_skills_grown_and_exceptions_link_to_their_tickets(
    login, manager, metrics, db, monkeypatch
):
    skills = [Skill(name=n, category="IT", aliases=[]) for n in ("Azure AD", "Networking", "SAP")]
    db.add_all(skills)
    db.commit()
    ids = dict(zip((12, 4, 30), (s.id for s in skills), strict=True))
    original = RecordingMetrics.contribution

    def contribution(self, viewer, query):
        answer = original(self, viewer, query)
        for row in answer["growth"]:
            row["skill_id"] = ids[row["skill_id"]]
        return answer

    monkeypatch.setattr(RecordingMetrics, "contribution", contribution)
    page = html(login(manager).get("/dashboard"))

    people = re.search(r'id="dash-contribution".*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    names = re.findall(r'<th scope="row">([^<]+)</th>', people)
    # Most tickets contributed to first, helpers' tickets counted beside owners'.
    assert names == ["Lena Vogt", "Omar Haddad", "Tomás Ruiz", "Priya Nair"]
    grown = re.search(r'id="dash-growth".*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    rows = [re.findall(r">([^<]+)</t[hd]>", row) for row in re.findall(r"<tr>(.*?)</tr>", grown)]
    assert rows == [["Azure AD", "2", "3"], ["Networking", "1", "1"]]
    exceptions = re.search(r'id="dash-exceptions"(.*?)</section>', page, re.S).group(1)
    assert "Ping-pong between owners:" in exceptions
    assert "#87 Payroll export fails with a timeout went back" in exceptions
    assert 'href="/tickets/87">#87</a>' in exceptions
    assert 'href="/tickets/118">#118</a>' in exceptions


def test_the_page_and_its_csv_read_the_real_service(login, manager, agent, claimed_ticket, clock):
    ticket = claimed_ticket("Printer on the 3rd floor jams")
    clock.advance(hours=2)
    resolved = login(agent).post(
        f"/api/v1/tickets/{ticket['id']}/resolve", json={"resolution": "Cleared the spooler."}
    )
    assert resolved.status_code == 200
    client = login(manager)

    page = html(client.get("/dashboard"))

    assert re.findall(r'<article class="card arm arm-(\w+)">', page) == ["swarm"]
    assert "2.0 h" in re.search(
        r'<article class="card arm arm-swarm">(.*?)</article>', page, re.S
    ).group(1)
    rows = read_csv(client.get("/dashboard.csv"))
    ttr = next(r for r in rows if r["metric"] == "ttr_hours" and r["arm"] == "swarm")
    assert (ttr["n"], float(ttr["estimate"])) == ("1", 2.0)


def test_the_knowledge_section_shows_reuse_capture_and_deflection(login, manager, metrics):
    page = html(login(manager).get("/dashboard"))
    section = page.split('id="dash-knowledge"')[1].split("</figure>")[0]
    assert 'id="chart-knowledge"' in section
    assert "Self-service solved <strong>25\u00a0%</strong> of 40 portal visits" in section
    assert "has no arm" in section
    assert "30\u00a0%" in section and "(48 of 160)" in section  # swarm's reuse
    assert "7.5" in section and "1.4" in section  # articles per 100 resolved
    assert "20.0 h" in section and "70.0 h" in section  # resolve to published
    assert embedded(page)["report"]["knowledge"]["arms"]["tiered"]["reuse"]["rate"] == 0.1

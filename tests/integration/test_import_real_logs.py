"""The importers on the real logs of ../shared/data (docs/import.md), into SQLite and, when
SWARM_TEST_DATABASE_URL is set, PostgreSQL: the headline figures are the files' own."""

from __future__ import annotations

import csv
import gzip
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text

from swarm.metrics.facts import Selection, facts_sql, pause_sql, ticket_facts
from swarm.models import Dataset, DatasetEvent
from swarm.simulation.importers.base import ImportProblem
from swarm.simulation.importers.csvlog import CsvMapping
from swarm.simulation.importers.run import import_log

ROOT = Path(__file__).resolve().parents[2]
UCI = "uci-incident-mgmt/incident_event_log.csv.gz"
BPI13 = "bpic13-volvo/BPI_Challenge_2013_incidents.xes.gz"
VINST = "bpic13-volvo/VINST_incidents_IBM-derived.csv.gz"
VINST_MAPPING = {
    "case": "SR Number",
    "timestamp": "Change Date+Time",
    "activity": "Status",
    "status": "Sub Status",
    "owner": "Involved ST",
    "priority": "SR Latest Impact",
    "category": "Product",
}


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request) -> Engine:
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_file_engine")
    return request.getfixturevalue("pg_engine")


def bucket(n: int) -> str:
    return str(n) if n < 3 else "3+"


def shares(summary: dict) -> dict[str, int]:
    return {b: v["cases"] for b, v in summary["handoffs"].items()}


def metrics_handoffs(engine: Engine, name: str) -> Counter[str]:
    """The handoffs per ticket as the metrics engine reads them from the stored dataset."""
    with engine.connect() as conn:
        as_of = conn.scalar(select(Dataset.last_event_at).where(Dataset.name == name))
        dialect = "postgresql" if engine.dialect.name == "postgresql" else "sqlite"
        sel = Selection(name, as_of)
        sql, params = facts_sql(dialect, sel)
        rows = conn.execute(text(sql), params).all()
        psql, pparams = pause_sql(dialect, sel)
        facts = ticket_facts(rows, conn.execute(text(psql), pparams).all(), as_of.timestamp())
    return Counter(bucket(int(h)) for h in facts.handoffs)


def uci_final_reassignments(path: Path) -> Counter[str]:
    """The log's own figure, read without the importer: each incident's reassignment_count
    at its highest sys_mod_count."""
    final: dict[str, tuple[int, int]] = {}
    with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            mod, rc = int(row["sys_mod_count"]), int(row["reassignment_count"])
            if row["number"] not in final or mod >= final[row["number"]][0]:
                final[row["number"]] = (mod, rc)
    return Counter(bucket(rc) for _, rc in final.values())


def test_uci_log_imports_with_the_logs_own_handoff_counts(engine, shared_data):
    result = import_log(engine, shared_data / UCI, "uci", "uci")
    assert result.cases == 24_918 and result.rejected == {}
    expected = uci_final_reassignments(shared_data / UCI)
    assert shares(result.summary) == dict(expected)
    assert metrics_handoffs(engine, "uci") == expected
    with engine.connect() as conn:
        stored = conn.scalar(select(func.count()).where(DatasetEvent.source == "uci"))
    assert stored == result.events


def test_bpi13_incidents_xes_and_its_csv_form_agree(engine, shared_data):
    xes = import_log(engine, shared_data / BPI13, "xes", "bpi13")
    assert xes.cases == 7_554 and xes.rejected == {}
    assert metrics_handoffs(engine, "bpi13") == Counter(shares(xes.summary))
    # The IBM-derived CSV holds the same 65,533 events: the same cases, the same handoffs.
    csv_form = import_log(
        engine, shared_data / VINST, "csv", "vinst", mapping=CsvMapping.from_dict(VINST_MAPPING)
    )
    assert csv_form.cases == 7_554 and csv_form.rejected == {}
    assert shares(csv_form.summary) == shares(xes.summary)
    medians = [xes.summary["handoffs"][b]["median_ttr_hours"] for b in ("0", "1", "2", "3+")]
    assert medians == sorted(medians)  # the log's shape: more handoffs, slower


def test_a_failed_reimport_leaves_the_dataset_as_it_was(engine, shared_data, tmp_path: Path):
    first = import_log(engine, shared_data / BPI13, "xes", "bpi13")
    broken = tmp_path / "broken.xes.gz"
    with gzip.open(shared_data / BPI13, "rb") as src:
        broken.write_bytes(gzip.compress(src.read(3_000_000)))  # cut off mid-log
    with pytest.raises(ImportProblem, match="breaks off"):
        import_log(engine, broken, "xes", "bpi13", batch=1_000)
    with engine.connect() as conn:
        names = conn.scalars(select(Dataset.name)).all()
        stored = conn.scalar(select(func.count()).select_from(DatasetEvent))
    assert names == ["bpi13"] and stored == first.events


def run(args: list[str], tmp_path: Path, url: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "SWARM_INSTANCE_PATH": str(tmp_path), "SWARM_DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "swarm", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_commands_import_a_log_and_compare_it(shared_data, tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert run(["init-db"], tmp_path, url).returncode == 0
    imported = run(
        ["import-log", str(shared_data / BPI13), "--format", "xes", "--name", "volvo"],
        tmp_path,
        url,
    )
    assert imported.returncode == 0, imported.stderr
    assert "dataset volvo: 7554 cases" in imported.stdout
    assert "rows rejected: 0" in imported.stdout
    report = run(["metrics", "--dataset", "volvo", "--json"], tmp_path, url)
    assert report.returncode == 0, report.stderr
    assert json.loads(report.stdout)["tickets"] == 7_554
    helpdesk = run(
        [
            "import-log",
            str(shared_data / "helpdesk/helpdesk_tax2017.csv"),
            "--format",
            "csv",
            "--map",
            "case=CaseID",
            "--map",
            "timestamp=CompleteTimestamp",
            "--map",
            "activity=ActivityID",
            "--map",
            "resolved=6",
            "--json",
        ],
        tmp_path,
        url,
    )
    assert helpdesk.returncode != 0 and "--name" in helpdesk.stderr
    helpdesk = run([*helpdesk.args[3:], "--name", "helpdesk"], tmp_path, url)
    assert helpdesk.returncode == 0, helpdesk.stderr
    summary = json.loads(helpdesk.stdout)
    assert summary["cases"] == 3_804 and summary["resolved"] == 3_804


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["{bpi}", "--format", "uci", "--name", "x"],
            "does not look like a ServiceNow incident log: missing columns number, incident_state",
        ),
        (["{uci}", "--format", "xes", "--name", "x"], "does not look like an XES event log"),
        (["{bpi}", "--format", "json", "--name", "x"], "Unknown format 'json'"),
        (["{bpi}", "--format", "xes", "--name", "live"], "live is the application's own log"),
        (["{tmp}/none.xes", "--format", "xes", "--name", "x"], "no such file"),
        (["{tmp}/empty.csv", "--format", "uci", "--name", "x"], "The log is empty"),
    ],
)
def test_import_refusals_are_clear_and_write_nothing(shared_data, tmp_path, args, message):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert run(["init-db"], tmp_path, url).returncode == 0
    (tmp_path / "empty.csv").write_bytes(b"")
    paths = {"bpi": shared_data / BPI13, "uci": shared_data / UCI, "tmp": tmp_path}
    result = run(["import-log", *(a.format(**paths) for a in args)], tmp_path, url)
    assert result.returncode != 0
    assert message in " ".join(result.stderr.split())
    check = run(["metrics", "--dataset", "x"], tmp_path, url)
    assert "There is no dataset 'x'" in check.stderr

"""The command line, as a person runs it: every command honours SWARM_DATABASE_URL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from swarm.accounts.passwords import verify_password
from swarm.db import make_engine, make_session_factory
from swarm.models import AuditEntry, User

ROOT = Path(__file__).resolve().parents[2]


def run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "SWARM_INSTANCE_PATH": str(tmp_path), **env}
    return subprocess.run(
        [sys.executable, "-m", "swarm", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_help_lists_the_commands(tmp_path: Path):
    result = run(["--help"], tmp_path)
    assert result.returncode == 0
    for command in ("serve", "init-db", "seed", "create-user"):
        assert command in result.stdout
    serve = run(["serve", "--help"], tmp_path)
    assert "--host" in serve.stdout and "--port" in serve.stdout


def test_init_db_and_create_user_use_the_configured_database(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    assert run(["init-db"], tmp_path, SWARM_DATABASE_URL=url).returncode == 0
    created = run(
        [
            "create-user",
            "--email",
            "Lena@Example.com",
            "--name",
            "Lena Ops",
            "--role",
            "agent",
            "--password",
            "a-long-password",
        ],
        tmp_path,
        SWARM_DATABASE_URL=url,
    )
    assert created.returncode == 0, created.stderr
    assert "Created agent lena@example.com" in created.stdout

    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        user = session.scalars(select(User)).one()
        assert user.role == "agent" and user.profile is not None
        assert verify_password(user.password_hash, "a-long-password")
        # An account made at the server's shell is in the audit log like one an admin adds.
        entry = session.scalars(select(AuditEntry)).one()
        assert (entry.action, entry.subject_id, entry.actor_id) == ("user_created", user.id, None)
        assert entry.details == {"role": "agent", "via": "command line"}
    engine.dispose()
    assert not (tmp_path / "swarm.db").exists()


def test_create_user_explains_what_is_wrong(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    run(["init-db"], tmp_path, SWARM_DATABASE_URL=url)
    result = run(
        ["create-user", "--email", "not-an-email", "--name", "X", "--password", "short"],
        tmp_path,
        SWARM_DATABASE_URL=url,
    )
    assert result.returncode != 0
    assert "email: Not an e-mail address." in result.stderr
    assert "password: At least 8 characters." in result.stderr


def test_seed_without_demo_is_a_usage_error(tmp_path: Path):
    result = run(["seed"], tmp_path)
    assert result.returncode == 2 and "--demo" in result.stderr


def test_eval_routing_prints_the_figures_as_json(tmp_path: Path):
    import csv
    import gzip
    import json

    path = tmp_path / "tickets.csv.gz"
    with gzip.open(path, "wt", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Short description", "Description", "Caller", "Assignment group"])
        for i in range(40):
            if i % 2:
                writer.writerow([f"vpn drops {i}", "anyconnect tunnel lost", "c", "GRP_NET"])
            else:
                writer.writerow([f"printer jam {i}", "tray paper stuck", "c", "GRP_DESK"])
    result = run(["eval-routing", "--dataset", str(path), "--json"], tmp_path)
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    assert figures["rows"] == 40 and figures["test_rows"] == 8
    assert figures["accuracy_at_1"] == 1.0 and figures["majority_baseline"] == 0.5


def test_eval_routing_prints_skill_precision_and_recall(tmp_path: Path):
    import json

    labelled = tmp_path / "labelled.json"
    labelled.write_text(
        json.dumps(
            {
                "tickets": [
                    {
                        "subject": "VPN drops every 10 minutes on Windows 11",
                        "body": "My Teams calls drop too.",
                        "skills": ["VPN"],
                    },
                    # Nothing in it names a skill: a miss, by construction.
                    {"subject": "Lunch menu for Friday", "body": "Where?", "skills": ["Printing"]},
                ]
            }
        ),
        encoding="utf-8",
    )
    result = run(["eval-routing", "--labelled", str(labelled), "--json"], tmp_path)
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    # VPN alone on the first (not Windows 11 or Teams), nothing on the second.
    assert figures["skill_tickets"] == 2 and figures["skill_threshold"] == 0.85
    assert (figures["skill_micro_precision"], figures["skill_micro_recall"]) == (1.0, 0.5)
    assert (figures["skill_macro_precision"], figures["skill_macro_recall"]) == (0.5, 0.5)
    assert figures["skill_worst"] == ["Lunch menu for Friday: -Printing"]

    text = run(["eval-routing", "--sweep"], tmp_path)
    assert text.returncode == 0, text.stderr
    for label in ("skill_micro_precision", "skill_micro_recall", "skill_macro_precision"):
        assert label in text.stdout
    assert "skill_macro_recall" in text.stdout and "skill_sweep" in text.stdout


def test_metrics_prints_both_arms_of_the_demo_as_json_and_as_a_table(tmp_path: Path):
    import json

    url = f"sqlite:///{tmp_path / 'demo.db'}"
    assert run(["init-db"], tmp_path, SWARM_DATABASE_URL=url).returncode == 0
    assert run(["seed", "--demo"], tmp_path, SWARM_DATABASE_URL=url).returncode == 0

    printed = run(["metrics", "--dataset", "live", "--json"], tmp_path, SWARM_DATABASE_URL=url)
    table = run(["metrics", "--priority", "P3"], tmp_path, SWARM_DATABASE_URL=url)
    unknown = run(["metrics", "--dataset", "nope"], tmp_path, SWARM_DATABASE_URL=url)

    assert printed.returncode == 0, printed.stderr
    report = json.loads(printed.stdout)
    assert report["dataset"] == "live" and set(report["arms"]) == {"swarm", "tiered"}
    for arm in report["arms"].values():
        assert {"tickets", "resolved", "handoffs", "ttr_hours", "fcr_rate"} <= set(arm)
        assert {"reopen_rate", "escalation_rate"} <= set(arm)
        assert set(arm["handoffs"]["share"]) == {"0", "1", "2", "3+"}
        assert set(arm["ttr_hours"]) >= {"median", "mean", "p90"}
    assert "ttr_hours" in report["differences"]
    assert table.returncode == 0 and "Time to resolution (median)" in table.stdout
    assert unknown.returncode == 1 and "There is no dataset 'nope'." in unknown.stderr

"""deploy/systemd/ — the production layout of docs/deploy.md as systemd units — is checked by
``systemd-analyze verify`` (offline: it parses the units and their dependencies, runs nothing)
and agrees with nginx's upstream in deploy/nginx/swarm.conf."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "deploy" / "systemd"
NGINX = ROOT / "deploy" / "nginx" / "swarm.conf"
INSTALLED = "/opt/swarm/venv/bin/swarm"


def _wanted(target: str) -> list[str]:
    text = (UNITS / target).read_text()
    return [u for line in re.findall(r"^Wants=(.*)$", text, re.M) for u in line.split()]


def test_the_target_starts_a_server_per_nginx_upstream_and_one_sweeper_and_worker() -> None:
    wanted = _wanted("swarm.target")
    upstream = re.findall(r"^\s*server 127\.0\.0\.1:(\d+);", NGINX.read_text(), re.M)
    assert len(upstream) == 2
    assert sorted(u for u in wanted if u.startswith("swarm@")) == sorted(
        f"swarm@{port}.service" for port in upstream
    )
    assert {"swarm-sweeper.service", "swarm-worker.service", "swarm-migrate.service"} <= set(wanted)


def test_servers_leave_deadlines_and_webhooks_to_their_own_units() -> None:
    (exec_start,) = re.findall(r"^ExecStart=(.*)$", (UNITS / "swarm@.service").read_text(), re.M)
    assert exec_start.split()[:2] == [INSTALLED, "serve"]
    assert {"--no-sweeper", "--no-worker", "--port", "%i"} <= set(exec_start.split())
    for kind in ("sweeper", "worker"):
        text = (UNITS / f"swarm-{kind}.service").read_text()
        assert f"ExecStart={INSTALLED} {kind}\n" in text


@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None,
    reason="systemd-analyze is absent (Debian: apt-get install systemd — it need not run as PID 1)",
)
def test_systemd_analyze_verify_finds_nothing(tmp_path: Path) -> None:
    # verify checks that each ExecStart= command is executable; the units name the installed
    # console script, which a test machine does not have: point them at a stand-in.
    stand_in = tmp_path / "swarm"
    stand_in.write_text("#!/bin/sh\nexit 0\n")
    stand_in.chmod(0o755)
    units = tmp_path / "units"
    units.mkdir()
    for path in UNITS.iterdir():
        if path.suffix in {".service", ".target"}:
            (units / path.name).write_text(path.read_text().replace(INSTALLED, str(stand_in)))
    # The two instances the target wants, as systemctl enable would link them.
    for port in ("5001", "5002"):
        (units / f"swarm@{port}.service").symlink_to(units / "swarm@.service")
    names = sorted(p.name for p in units.iterdir())
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *(f"./{n}" for n in names)],
        cwd=units,
        capture_output=True,
        text=True,
        timeout=60,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # A key it cannot parse is only a warning ("…, ignoring") with exit status 0: none either.
    complaints = [line for line in output.splitlines() if "swarm" in line]
    assert complaints == [], output

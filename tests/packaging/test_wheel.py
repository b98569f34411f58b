"""The wheel built from this checkout runs without it: ``swarm init-db`` and ``swarm serve``
from a fresh virtualenv, in an empty directory, answer ``/healthz``.

Kept offline and quick: the fresh venv gets the wheel alone (``--no-deps``), and a ``.pth``
file lends it the dependencies already installed in the test's own environment. What is proved
is the packaging — the templates, static files, migrations and ``alembic.ini`` travel inside
the wheel, the console script exists, nothing reaches back into the checkout — not the
resolution of dependencies (the lock in requirements*.txt covers that).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.servers import free_port

pytestmark = pytest.mark.packaging

ROOT = Path(__file__).resolve().parents[2]
PIP = [sys.executable, "-m", "pip", "--quiet", "--disable-pip-version-check"]


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment without any SWARM_* setting, nor a PYTHONPATH pointing at the checkout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SWARM_")}
    env.pop("PYTHONPATH", None)
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [*PIP, "wheel", "--no-build-isolation", "--no-deps", "--no-index", "-w", str(out), ROOT],
        check=True,
        env=_clean_env(),
        timeout=120,
    )
    (built,) = out.glob("swarm-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    python = root / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # Appended after the venv's own site-packages: the wheel's swarm is found first.
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    Path(purelib, "zz_test_dependencies.pth").write_text("\n".join(sorted(ours)) + "\n")
    subprocess.run(
        [*PIP, "--python", str(python), "install", "--no-deps", "--no-index", str(wheel)],
        check=True,
        env=_clean_env(),
        timeout=120,
    )
    yield root


def test_wheel_carries_the_files_a_checkout_has_beside_the_package(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "swarm/web/templates/base.html",
        "swarm/translations/de/LC_MESSAGES/messages.mo",
        "swarm/static/css/swarm.css",
        "swarm/static/vendor/socket.io/socket.io.min.js",
        "swarm/alembic.ini",
        "swarm/migrations/env.py",
        "swarm/migrations/versions/20261128_0001_initial_schema.py",
        "swarm/examples/small.yaml",
        "swarm/skills/labelled_tickets.json",
        "swarm-0.1.0.dist-info/licenses/LICENSE",
    ):
        assert needed in names, needed
    entry_points = zipfile.ZipFile(wheel).read("swarm-0.1.0.dist-info/entry_points.txt").decode()
    assert "swarm = swarm.__main__:run" in entry_points
    assert not any("__pycache__" in n for n in names)


def test_installed_wheel_migrates_and_serves_from_an_empty_directory(
    venv: Path, tmp_path: Path
) -> None:
    work = tmp_path / "site"
    work.mkdir()
    env = _clean_env()
    swarm = str(venv / "bin" / "swarm")

    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import swarm; print(swarm.__file__)"],
        cwd=work,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert where.startswith(str(venv)), f"swarm imported from {where}, not the venv"

    usage = subprocess.run([swarm, "--help"], cwd=work, env=env, capture_output=True, text=True)
    assert usage.returncode == 0 and usage.stdout.startswith("Usage: swarm "), usage.stdout

    init = subprocess.run(
        [swarm, "init-db"], cwd=work, env=env, capture_output=True, text=True, timeout=120
    )
    assert init.returncode == 0, init.stdout + init.stderr
    # The instance folder defaults to the working directory's instance/ (SWARM_INSTANCE_PATH
    # unset): the database and the generated secret key are there.
    assert (work / "instance" / "swarm.db").is_file()
    assert (work / "instance" / "secret_key").is_file()

    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [swarm, "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=work,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        body = _wait_for(f"http://127.0.0.1:{port}/healthz", server)
        assert body is not None, (tmp_path / "serve.log").read_text()
        assert json.loads(body) == {"status": "ok"}
        # A page rendered from the packaged templates, and a packaged static file.
        page = _get(f"http://127.0.0.1:{port}/login")
        assert b"<html" in page.lower()
        css = _get(f"http://127.0.0.1:{port}/static/css/swarm.css")
        assert len(css) > 100
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        log.close()


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback only
        assert response.status == 200, url
        return bytes(response.read())


def _wait_for(url: str, process: subprocess.Popen[bytes]) -> bytes | None:
    # Generous: importing the app alone can take seconds on a loaded two-core machine.
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return None
        try:
            return _get(url)
        except OSError:
            time.sleep(0.2)
    return None

"""Starting a what-if run's process and relaying its progress to the managers' pages.

:func:`launch` starts ``python -m swarm run-simulation ID --progress-json`` as a child of the
serving process — the simulation is CPU work that would stall a gevent server's rooms — and
a background reader (a greenlet under gevent) turns each JSON line the child prints into a
``simulation_progress`` event for the managers' room (the dashboard's). The child writes the
same progress to the run's row, so a page opened later, or served by another process, reads
where the run stands; a lost relay only costs liveliness, never the result.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
from typing import IO, Any

from flask import Flask

from swarm.realtime.names import dashboard_room

log = logging.getLogger(__name__)

#: Sent to the managers' room: the run's view (swarm.simulation.runs.run_view).
PROGRESS = "simulation_progress"


def launch(app: Flask, run_id: int) -> subprocess.Popen[bytes]:
    """Start the process of run ``run_id`` (already committed as ``queued``) and relay its
    progress; returns the child."""
    config = app.extensions["swarm"].config
    env = {**os.environ, "SWARM_DATABASE_URL": config.database_url}
    child = subprocess.Popen(  # noqa: S603 - our own interpreter and module, an integer argument
        [sys.executable, "-m", "swarm", "run-simulation", str(int(run_id)), "--progress-json"],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=env,
    )
    realtime = app.extensions.get("swarm.realtime")
    socketio = realtime.socketio if realtime is not None else None
    reader = threading.Thread(
        target=_relay,
        args=(child, child.stdout, socketio, run_id),
        name=f"swarm-simulation-{run_id}",
        daemon=True,
    )
    reader.start()
    return child


def _relay(child: subprocess.Popen[bytes], out: IO[bytes] | None, socketio: Any, run: int) -> None:
    if out is None:
        return
    with out:
        for raw in out:
            try:
                view = json.loads(raw)
            except ValueError:
                log.warning("simulation run %s printed a line that is not JSON: %r", run, raw[:200])
                continue
            if socketio is not None and isinstance(view, dict):
                try:
                    socketio.emit(PROGRESS, view, to=dashboard_room())
                except Exception:  # a failed relay costs liveliness only: the row has it all
                    log.exception("could not relay the progress of simulation run %s", run)
    code = child.wait()
    if code != 0:
        log.warning("simulation run %s ended with exit code %s", run, code)

"""Time the log importers on the real files; print one JSON object.

    python bench/importers.py --json
    python bench/importers.py --json --database-url postgresql://postgres@127.0.0.1:5432/test_x
    python bench/importers.py --json --logs uci --repeat 3

Each run imports a log (``python -m swarm import-log``'s code path, without the command's
start-up) into a fresh database made by the migrations — a temporary SQLite file, or the
PostgreSQL database given, whose ``public`` schema is **dropped and recreated** (give a test
database) — and reports the best and worst wall time, the cases and events written, the rows
rejected, and the peak memory of the process. The real files come from ``SWARM_SHARED_DATA``
(default ``../shared/data`` beside the repository). Nothing is asserted: the targets (the UCI
log under 20 s on both databases) are read off the figures (docs/import.md).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from swarm.db import make_engine  # noqa: E402
from swarm.migrate import upgrade  # noqa: E402
from swarm.simulation.importers.run import import_log  # noqa: E402

LOGS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "uci": ("uci-incident-mgmt/incident_event_log.csv.gz", "uci", {}),
    "bpi13": ("bpic13-volvo/BPI_Challenge_2013_incidents.xes.gz", "xes", {}),
}


def fresh_database(url: str | None, folder: Path) -> str:
    if url is None:
        path = folder / f"bench-{time.perf_counter_ns()}.db"
        url = f"sqlite:///{path}"
    else:
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    upgrade(url)
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="PostgreSQL test database (emptied!)")
    parser.add_argument("--logs", nargs="+", default=list(LOGS), choices=list(LOGS))
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    data = Path(os.environ.get("SWARM_SHARED_DATA") or ROOT.parent / "shared" / "data")
    figures: dict[str, Any] = {"database": "postgresql" if args.database_url else "sqlite"}
    with tempfile.TemporaryDirectory() as folder:
        for name in args.logs:
            path, fmt, options = LOGS[name]
            times = []
            for _ in range(args.repeat):
                url = fresh_database(args.database_url, Path(folder))
                engine = make_engine(url)
                started = time.perf_counter()
                result = import_log(engine, data / path, fmt, name, **options)
                times.append(time.perf_counter() - started)
                engine.dispose()
            figures[name] = {
                "seconds_best": round(min(times), 2),
                "seconds_worst": round(max(times), 2),
                "cases": result.cases,
                "events": result.events,
                "rows_rejected": sum(result.rejected.values()),
            }
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(figures) if args.json else json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()

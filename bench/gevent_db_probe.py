"""Does the database driver let other greenlets run while it waits? Prints one JSON object.

    python bench/gevent_db_probe.py [--postgres postgresql://user@127.0.0.1:5432/db]

Under gevent every socket and every request shares one OS thread: a driver that waits inside C
(not through a monkey-patched socket/selector) freezes every connection of the process while it
waits. Two probes, each with a "ticker" greenlet that wakes every 5 ms and records its longest gap:

* ``sqlite_busy``: another *process* holds SQLite's write lock for 1 s; this process writes with a
  5 s busy timeout. SQLite's busy handler sleeps in C: the ticker's gap is how long the whole
  server would have stalled.
* ``postgres`` (with ``--postgres``): three greenlets each run ``SELECT pg_sleep(0.5)`` on their own
  psycopg 3 connection. Cooperative waiting takes ~0.5 s in all and a short ticker gap; blocking
  waiting takes ~1.5 s and a ~0.5 s gap.
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402 - after monkey-patching, on purpose
import json  # noqa: E402
import sqlite3  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import gevent  # noqa: E402

HOLD_LOCK = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
db.execute("INSERT INTO t VALUES (1)")
print("locked", flush=True)
time.sleep(1.0)
db.execute("COMMIT")
"""


def with_ticker(work: Callable[[], Any]) -> dict[str, Any]:
    gaps: list[float] = []
    stop = False

    def tick() -> None:
        last = time.perf_counter()
        for _ in range(2000):  # bounded: at most ~10 s of 5 ms ticks
            if stop:
                return
            gevent.sleep(0.005)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    ticker = gevent.spawn(tick)
    gevent.sleep(0.02)
    t0 = time.perf_counter()
    result = work()
    elapsed = time.perf_counter() - t0
    stop = True
    ticker.join(timeout=1)
    return {
        "elapsed_s": round(elapsed, 3),
        "ticker_max_gap_ms": round(max(gaps) * 1000, 1),
        **(result or {}),
    }


def sqlite_busy() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "probe.db")
        sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.commit()
        holder = subprocess.Popen(
            [sys.executable, "-c", HOLD_LOCK, path], stdout=subprocess.PIPE, text=True
        )
        try:
            assert holder.stdout is not None
            holder.stdout.readline()  # "locked"

            def write() -> dict[str, Any]:
                db = sqlite3.connect(path, timeout=5.0)
                db.execute("INSERT INTO t VALUES (2)")
                db.commit()
                db.close()
                return {"sqlite": sqlite3.sqlite_version}

            return with_ticker(write)
        finally:
            holder.kill()
            holder.wait(timeout=5)


def postgres(url: str) -> dict[str, Any]:
    import psycopg
    import psycopg.waiting

    def three_sleeps() -> dict[str, Any]:
        def one() -> None:
            with psycopg.connect(url) as conn:
                conn.execute("SELECT pg_sleep(0.5)")

        jobs = [gevent.spawn(one) for _ in range(3)]
        gevent.joinall(jobs, timeout=10, raise_error=True)
        return {
            "psycopg": psycopg.__version__,
            "implementation": psycopg.pq.__impl__,
            "wait_function": getattr(psycopg.waiting.wait, "__name__", str(psycopg.waiting.wait)),
        }

    return with_ticker(three_sleeps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", help="a PostgreSQL URL to probe psycopg 3 with")
    args = parser.parse_args()
    out: dict[str, Any] = {"gevent": gevent.__version__, "sqlite_busy": sqlite_busy()}
    if args.postgres:
        out["postgres"] = postgres(args.postgres)
    print(json.dumps(out))


if __name__ == "__main__":
    main()

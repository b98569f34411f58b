"""Webhook latency and throughput end to end; print one JSON object.

    python bench/webhooks.py --json
    python bench/webhooks.py --json --database-url postgresql://postgres@127.0.0.1:5432/test_x

The real ``python -m swarm serve`` (its outbox worker inside, ``SWARM_WORKER_SECONDS`` as
given, 1 s by default) on a fresh database — a temporary SQLite file, or a scratch PostgreSQL
database made beside the one named and dropped afterwards — with a webhook for ``created`` to
a receiver on loopback (allowed by ``SWARM_WEBHOOK_ALLOWED_NETWORKS``). Two phases:

* **trickle** — ``--trickle`` tickets opened over the API one every ``--gap`` seconds: each
  delivery's latency is the time from the API's answer (the ticket and its outbox row are
  committed) to the receiver's having the signed request. The worker looks for work every
  ``SWARM_WORKER_SECONDS`` when idle, so that interval bounds the wait.
* **burst** — ``--burst`` tickets opened by 4 threads as fast as the API takes them: the
  deliveries per second from the first ticket to the last delivery, and their latency.

Nothing is asserted; docs/webhooks.md and bench/README.md quote the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from statistics import quantiles
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

from fanout import free_port, log, scratch_database, started, wait_ready  # noqa: E402


class Receiver:
    """Keeps, per ticket id, the moment its ``created`` delivery arrived."""

    def __init__(self) -> None:
        self.arrived: dict[int, float] = {}
        self.lock = threading.Lock()
        arrived, lock = self.arrived, self.lock

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                now = time.perf_counter()
                ticket_id = int(json.loads(body)["data"]["ticket_id"])
                with lock:
                    arrived.setdefault(ticket_id, now)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, ids: set[int], seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with self.lock:
                if ids <= set(self.arrived):
                    return
            time.sleep(0.01)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def call(base: str, token: str, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(  # noqa: S310 - loopback
        base + path,
        data=json.dumps(body).encode(),
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - loopback
        result: dict[str, Any] = json.loads(answer.read())
        return result


def ms(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"n": 0}
    cuts = quantiles(values, n=100, method="inclusive") if len(values) > 1 else values * 99
    return {
        "n": len(values),
        "p50_ms": round(cuts[49] * 1000, 1),
        "p95_ms": round(cuts[94] * 1000, 1),
        "max_ms": round(max(values) * 1000, 1),
    }


@contextmanager
def server(args: argparse.Namespace, receiver: Receiver) -> Iterator[tuple[str, str, str]]:
    """``serve`` on a fresh database with an admin (for the webhook) and a requester, each with
    an API token; yields ``(base url, admin token, requester token)``."""
    from swarm.accounts.service import create_user, issue_token
    from swarm.clock import SystemClock
    from swarm.db import make_engine, make_session_factory
    from swarm.migrate import upgrade

    with (
        tempfile.TemporaryDirectory(prefix="swarm-bench-") as tmp,
        scratch_database(args.database_url) as scratch,
    ):
        url = scratch or f"sqlite:///{tmp}/bench.db"
        upgrade(url)
        engine = make_engine(url)
        clock = SystemClock()
        tokens = []
        with make_session_factory(engine)() as session:
            for role in ("admin", "requester"):
                person = create_user(
                    session,
                    clock,
                    email=f"bench-{role}@example.test",
                    name=f"Bench {role.title()}",
                    password=secrets.token_urlsafe(16),
                    role=role,
                )
                session.commit()
                tokens.append(issue_token(session, clock, person, "webhook benchmark")[1])
        engine.dispose()
        env = {
            **os.environ,
            "SWARM_DATABASE_URL": url,
            "SWARM_INSTANCE_PATH": tmp,
            "SWARM_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
            "SWARM_WORKER_SECONDS": str(args.worker_seconds),
        }
        port = free_port()
        cmd = [sys.executable, "-m", "swarm", "serve", "--port", str(port), "--no-sweeper"]
        with started(cmd, cwd=ROOT, env=env, stdout=sys.stderr, stderr=sys.stderr) as proc:
            base = f"http://127.0.0.1:{port}"
            wait_ready(base, proc, seconds=60)
            call(
                base,
                tokens[0],
                "POST",
                "/api/v1/webhooks",
                {"url": receiver.url, "event_types": ["created"], "description": "bench"},
            )
            yield base, tokens[0], tokens[1]


def open_ticket(base: str, token: str, n: int) -> tuple[int, float]:
    ticket = call(
        base,
        token,
        "POST",
        "/api/v1/tickets",
        {"subject": f"Webhook bench {n}", "body": "Printer jams on every page."},
    )
    return int(ticket["id"]), time.perf_counter()


def run(args: argparse.Namespace) -> dict[str, Any]:
    receiver = Receiver()
    try:
        with server(args, receiver) as (base, _admin, requester):
            log(f"trickle: {args.trickle} tickets, one every {args.gap} s")
            committed: dict[int, float] = {}
            for n in range(args.trickle):
                ticket_id, at = open_ticket(base, requester, n)
                committed[ticket_id] = at
                time.sleep(args.gap)
            receiver.wait_for(set(committed), 60)
            trickle = [
                receiver.arrived[i] - committed[i] for i in committed if i in receiver.arrived
            ]
            lost_trickle = len(committed) - len(trickle)

            log(f"burst: {args.burst} tickets from 4 threads")
            first = time.perf_counter()
            with ThreadPoolExecutor(4) as pool:
                done = list(pool.map(lambda n: open_ticket(base, requester, n), range(args.burst)))
            burst_ids = {ticket_id for ticket_id, _ in done}
            receiver.wait_for(burst_ids, 300)
            got = [receiver.arrived[i] for i in burst_ids if i in receiver.arrived]
            last = max(got) if got else time.perf_counter()
            burst = [receiver.arrived[i] - at for i, at in done if i in receiver.arrived]
    finally:
        receiver.close()
    return {
        "database": "postgresql" if args.database_url else "sqlite",
        "worker_seconds": args.worker_seconds,
        "trickle": {**ms(trickle), "lost": lost_trickle},
        "burst": {
            **ms(burst),
            "lost": len(burst_ids) - len(got),
            "deliveries_per_s": round(len(got) / (last - first), 1),
            "opened_per_s": round(len(done) / (max(at for _, at in done) - first), 1),
        },
        "loadavg_1m": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="PostgreSQL (a scratch database is made beside it)")
    parser.add_argument("--trickle", type=int, default=40)
    parser.add_argument("--gap", type=float, default=0.25)
    parser.add_argument("--burst", type=int, default=400)
    parser.add_argument("--worker-seconds", type=float, default=1.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = run(args)
    print(json.dumps(figures) if args.json else json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()

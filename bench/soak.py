"""Load soak: 1,000 Socket.IO clients in 200 rooms plus HTTP traffic against the real server
(``python -m swarm serve``) for 10 minutes, with the server's memory sampled over time.

    python bench/soak.py --json                                  # SQLite, 10 minutes
    python bench/soak.py --json --minutes 2                      # a shorter run
    python bench/soak.py --json --database-url postgresql://postgres@127.0.0.1:5432/test \\
        --message-queue redis://127.0.0.1:6379/0                 # production parts

The rooms load is bench/node/loadgen.js's ``rooms`` scenario (official socket.io-client; run
``npm ci`` in bench/node first): ``--rooms`` × ``--per-room`` clients, each sending one message a
second, latency measured at every other member of its room. Beside it ``--http-workers``
threads each loop over the API as an agent would (list tickets, read one, read its events, and
every tenth round write an internal note), and the server's resident memory is read from
/proc every 5 s.

Printed (one JSON object with ``--json``):

* ``rooms``: ``p50_ms``, ``p99_ms``, ``lost`` (must be 0), ``errors`` (connect, join, ack
  errors and timeouts, disconnects), ``delivered`` of ``expected``; ``strays``: messages that
  reached a client whose join the overloaded server did not acknowledge in time (it may still
  have joined it) — not a member, so neither expected nor counted as delivered;
* ``http``: ``requests``, ``p50_ms``, ``p99_ms``, ``errors`` (non-2xx answers and failures);
* ``queues``: ``[[seconds, events in flight, packets waiting for slow readers], …]`` from the
  server's ``/metrics`` every 5 s — the two places a process that is sent more than it can answer
  would keep things without bound (both are bounded: ``SWARM_SOCKET_BACKLOG``, left at its
  production default here, and ``SWARM_SOCKET_SEND_QUEUE``); ``rooms.refusals`` counts the sends
  answered ``unavailable`` meanwhile (nothing stored; no one is owed them);
* ``rss_mb``: ``[[seconds, MB], …]``; ``rss_growth_mb``: growth over the first and the second
  half of the run after the first minute's warm-up; ``flattens``: the second half grew by at most
  5 MB or a quarter of the first half's growth (memory that keeps climbing is a leak).

Progress goes to stderr. Figures are for this machine at this moment: the load generator shares
it with the server, so quote the load average (``load``) with them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import fanout  # noqa: E402  (bench/fanout.py: the server and the load generator)

SAMPLE_SECONDS = 5.0
METRICS_TOKEN = "soak-" + os.urandom(8).hex()
WARMUP_SECONDS = 60.0


def log(message: str) -> None:
    print(f"[soak] {message}", file=sys.stderr, flush=True)


def server_pids(base_urls: str) -> list[int]:
    """The ``serve`` processes listening on the ports of ``base_urls`` (from /proc)."""
    ports = {url.rsplit(":", 1)[1] for url in base_urls.split(",")}
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        words = [a.decode(errors="replace") for a in argv]
        if "serve" in words and "--port" in words:
            port = words[words.index("--port") + 1]
            if port in ports:
                found.append(int(entry.name))
    return found


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class HttpLoad:
    """Agents' API traffic in threads, until stopped: latency and errors of every request."""

    def __init__(self, base: str, token: str, ticket_ids: list[int], workers: int) -> None:
        self.base = base.split(",")[0]
        self.token = token
        self.ticket_ids = ticket_ids
        self.latencies: list[float] = []
        self.errors = 0
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(workers)]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> None:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method)  # noqa: S310
        req.add_header("Authorization", f"Bearer {self.token}")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        started = time.perf_counter()
        ok = False
        try:
            with urllib.request.urlopen(req, timeout=30) as answer:  # noqa: S310
                answer.read()
                ok = 200 <= answer.status < 300
        except OSError:
            ok = False
        elapsed = (time.perf_counter() - started) * 1000
        with self.lock:
            self.latencies.append(elapsed)
            self.errors += 0 if ok else 1

    def run(self) -> None:
        rounds = 0
        while not self.stop.is_set():
            ticket = random.choice(self.ticket_ids)
            self.request("GET", "/api/v1/tickets?limit=20")
            self.request("GET", f"/api/v1/tickets/{ticket}")
            self.request("GET", f"/api/v1/tickets/{ticket}/events")
            rounds += 1
            if rounds % 10 == 0:
                self.request("POST", f"/api/v1/tickets/{ticket}/notes", {"body": "soak note"})
            self.stop.wait(0.05)

    def figures(self) -> dict[str, Any]:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=40)
        ordered = sorted(self.latencies)
        return {
            "requests": len(ordered),
            "p50_ms": round(statistics.median(ordered), 2) if ordered else None,
            "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1], 2) if ordered else None,
            "errors": self.errors,
        }


def growth(samples: list[tuple[float, float]]) -> dict[str, Any]:
    """Memory growth over each half of the run after warm-up, and whether it flattens."""
    steady = [(t, mb) for t, mb in samples if t >= WARMUP_SECONDS] or samples
    if len(steady) < 4:
        return {"first_half": None, "second_half": None, "flattens": None}
    middle = len(steady) // 2
    first = steady[middle][1] - steady[0][1]
    second = steady[-1][1] - steady[middle][1]
    return {
        "first_half": round(first, 1),
        "second_half": round(second, 1),
        "flattens": second <= max(5.0, 0.25 * max(first, 0.0)),
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rooms", type=int, default=200)
    parser.add_argument("--per-room", type=int, default=5)
    parser.add_argument("--http-workers", type=int, default=4)
    parser.add_argument("--database-url", help="PostgreSQL (a scratch database is made in it)")
    parser.add_argument("--message-queue", help="SWARM_MESSAGE_QUEUE for the server (redis://…)")
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args(argv)
    # What fanout.swarm_server and fanout.loadgen read.
    args.processes = 1
    args.seconds = max(10, round(args.minutes * 60))
    args.clients, args.messages, args.ack_messages, args.fanout_runs = 1, 1, 1, 1
    return args


def gauges(base: str) -> tuple[float, float]:
    """(events in flight, packets waiting for clients) from the server's /metrics."""
    req = urllib.request.Request(  # noqa: S310 - loopback
        base + "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
    )
    wanted = {"swarm_socket_events_in_flight": 0.0, "swarm_socket_send_backlog": 0.0}
    try:
        with urllib.request.urlopen(req, timeout=10) as answer:  # noqa: S310
            for line in answer.read().decode().splitlines():
                name, _, value = line.partition(" ")
                if name in wanted:
                    wanted[name] = float(value)
    except OSError:
        return -1.0, -1.0
    return wanted["swarm_socket_events_in_flight"], wanted["swarm_socket_send_backlog"]


def run(args: argparse.Namespace) -> dict[str, Any]:
    load_before = os.getloadavg()
    # The server (started by fanout.swarm_server) inherits these: production's bound on the
    # events in flight (fanout.py lifts it for its one-sender burst), and /metrics switched on.
    os.environ.setdefault("SWARM_SOCKET_BACKLOG", "1000")
    os.environ["SWARM_METRICS_TOKEN"] = METRICS_TOKEN
    with fanout.swarm_server(args) as (base, token, room_ids):
        low, high = (int(x) for x in room_ids.split("-"))
        pids = server_pids(base)
        if not pids:
            raise RuntimeError(f"no serve process found listening at {base}")
        log(
            f"server {base} (pid {pids[0]}), {args.rooms} rooms x {args.per_room} clients, "
            f"{args.seconds} s, {args.http_workers} HTTP workers"
        )
        http = HttpLoad(base, token, list(range(low, high + 1)), args.http_workers)
        samples: list[tuple[float, float]] = []
        queues: list[tuple[float, float, float]] = []
        done = threading.Event()
        started = time.monotonic()

        def sample() -> None:
            while not done.wait(SAMPLE_SECONDS):
                elapsed = time.monotonic() - started
                samples.append((round(elapsed, 1), round(rss_mb(pids[0]), 1)))
                queues.append((round(elapsed, 1), *gauges(base.split(",")[0])))
                if len(samples) % 12 == 0:
                    log(
                        f"{elapsed:.0f} s: server RSS {samples[-1][1]} MB, "
                        f"{queues[-1][1]:.0f} events in flight, {queues[-1][2]:.0f} packets "
                        f"queued, {len(http.latencies)} HTTP requests, {http.errors} errors"
                    )

        sampler = threading.Thread(target=sample, daemon=True)
        samples.append((0.0, round(rss_mb(pids[0]), 1)))
        sampler.start()
        http.start()
        try:
            rooms = fanout.loadgen(
                base,
                args,
                extra=["--token", token, "--room-ids", room_ids, "--scenario", "rooms"],
            )["rooms"]
        finally:
            done.set()
            web = http.figures()
        # Sends refused "unavailable" (the server shedding load, the sender told) are not
        # errors: they are counted in ``refusals``; any other refusal is.
        refused = rooms.get("refusals", {}).get("unavailable", 0)
        errors = (
            sum(
                rooms.get(k, 0)
                for k in (
                    "connect_errors",
                    "join_errors",
                    "disconnects",
                    "ack_errors",
                    "ack_timeouts",
                )
            )
            - refused
        )
    return {
        "rooms": {
            "p50_ms": rooms["p50_ms"],
            "p99_ms": rooms["p99_ms"],
            "lost": rooms["lost"],
            "errors": errors,
            "delivered": rooms.get("delivered"),
            "expected": rooms.get("expected"),
            "refusals": rooms.get("refusals", {}),
            # Join errors by kind, and what clients whose join timed out received anyway.
            "join_errors": rooms.get("join_errors", 0),
            "strays": rooms.get("strays", 0),
            # Sends answered "refused" that reached someone anyway (must be 0).
            "refused_but_delivered": rooms.get("refused_but_delivered", 0),
        },
        "queues": queues,
        "http": web,
        "rss_mb": samples,
        "rss_growth_mb": growth(samples),
        "load": {
            "clients": args.rooms * args.per_room,
            "rooms": args.rooms,
            "seconds": args.seconds,
            "database": "postgresql" if args.database_url else "sqlite",
            "message_queue": "redis" if args.message_queue else None,
            "cpus": os.cpu_count(),
            "loadavg_1m_before": round(load_before[0], 2),
            "loadavg_1m_after": round(os.getloadavg()[0], 2),
        },
    }


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    fanout.check_tools()
    out = run(args)
    if args.json:
        print(json.dumps(out))
    else:
        rooms, web, grow = out["rooms"], out["http"], out["rss_growth_mb"]
        print(
            f"rooms  p50 {rooms['p50_ms']} ms  p99 {rooms['p99_ms']} ms  lost {rooms['lost']}"
            f"  errors {rooms['errors']}"
        )
        print(
            f"http   {web['requests']} requests  p50 {web['p50_ms']} ms  p99 {web['p99_ms']} ms"
            f"  errors {web['errors']}"
        )
        print(
            f"memory {out['rss_mb'][0][1]} → {out['rss_mb'][-1][1]} MB; growth "
            f"{grow['first_half']} then {grow['second_half']} MB; flattens: {grow['flattens']}"
        )


if __name__ == "__main__":
    main()

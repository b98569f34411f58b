"""Socket.IO room benchmark: Node's socket.io against Swarm's server, same load, same run.

    python bench/fanout.py --json             # Node reference vs the Flask-SocketIO stand-in
    python bench/fanout.py --json --matrix    # every stand-in setup, with and without NODELAY
    python bench/fanout.py --json --target http://127.0.0.1:5000 --token T --room-ids 1-202

The load comes from bench/node/loadgen.js (official socket.io-client; needs ``npm ci`` in
bench/node). It starts bench/node/reference_server.js and, unless ``--target`` is given,
bench/flask_sio_server.py on free loopback ports, and stops everything it started.

Printed figures (one JSON object with ``--json``):

* ``node_deliveries_per_s`` / ``swarm_deliveries_per_s``: 1 room × 100 clients, one more client
  sends 2,000 messages without waiting; ``ratio`` = swarm / node (target ≥ 0.3);
* ``ack_p50_ms``: one client sending and awaiting each ack (target ≤ 2);
* ``rooms_p99_ms`` and ``lost``: 200 rooms × 5 clients, each sending 1 message/s for 30 s
  (targets ≤ 50 ms and 0).

All of them are for the Swarm side (the stand-in in ``mode``, or ``--target``); the Node side's own
figures are under ``node``. Figures are noisy and the load generator shares the machine with the
servers: compare only within one run. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
NODE_DIR = BENCH / "node"
MODES = ("threading", "gevent", "gevent-ws")
TARGETS = {"ratio": 0.3, "ack_p50_ms": 2.0, "rooms_p99_ms": 50.0, "lost": 0}


def log(message: str) -> None:
    print(f"[fanout] {message}", file=sys.stderr, flush=True)


#: ``--ports LO-HI``: take ports only from this range (machines where several people run
#: servers each keep to their own); None means any free port the kernel hands out.
PORTS: range | None = None
_handed: set[int] = set()


def free_port() -> int:
    for candidate in PORTS or (0,):
        if candidate in _handed:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            port: int = s.getsockname()[1]
            if PORTS is not None:
                _handed.add(port)  # not handed twice before its server binds it
            return port
    raise SystemExit(f"no free port in {PORTS}")


def stop(proc: subprocess.Popen[Any]) -> None:
    """Stop a process started in its own session, and everything it started."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


@contextlib.contextmanager
def started(cmd: list[str], **kwargs: Any) -> Iterator[subprocess.Popen[Any]]:
    proc = subprocess.Popen(cmd, start_new_session=True, **kwargs)
    try:
        yield proc
    finally:
        stop(proc)


def wait_ready(url: str, proc: subprocess.Popen[Any], seconds: float = 20.0) -> None:
    """Poll the Engine.IO polling handshake until the server answers (bounded in time)."""
    probe = f"{url}/socket.io/?EIO=4&transport=polling"
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early with code {proc.returncode}: {proc.args}")
        try:
            with urllib.request.urlopen(probe, timeout=1) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server at {url} not ready after {seconds} s")


@contextlib.contextmanager
def node_reference() -> Iterator[str]:
    with started(
        # Port 0 lets the server pick, unless --ports names a range to keep to.
        ["node", str(NODE_DIR / "reference_server.js"), "--port", str(free_port() if PORTS else 0)],
        stdout=subprocess.PIPE,
        text=True,
    ) as proc:
        assert proc.stdout is not None
        line = proc.stdout.readline().split()  # "LISTENING <port>"
        if len(line) != 2 or line[0] != "LISTENING":
            raise RuntimeError(f"reference server did not start: {line}")
        url = f"http://127.0.0.1:{line[1]}"
        wait_ready(url, proc)
        yield url


@contextlib.contextmanager
def flask_standin(
    python: str, mode: str, nodelay: bool, gc_fixes: bool, database_url: str | None = None
) -> Iterator[str]:
    port = free_port()
    cmd = [python, str(BENCH / "flask_sio_server.py"), "--mode", mode, "--port", str(port)]
    cmd.append("--nodelay" if nodelay else "--no-nodelay")
    if database_url:
        cmd += ["--database-url", database_url]
    if not gc_fixes:
        cmd += ["--no-socketio-route", "--no-gc-freeze"]
    with started(cmd, stdout=subprocess.DEVNULL) as proc:
        url = f"http://127.0.0.1:{port}"
        wait_ready(url, proc)
        yield url


def loadgen(
    url: str, args: argparse.Namespace, *, extra: list[str] | None = None
) -> dict[str, Any]:
    cmd = ["node", str(NODE_DIR / "loadgen.js"), "--url", url]
    cmd += ["--fanout-runs", str(args.fanout_runs)]
    cmd += ["--clients", str(args.clients), "--messages", str(args.messages)]
    cmd += ["--ack-messages", str(args.ack_messages), "--rooms", str(args.rooms)]
    cmd += ["--per-room", str(args.per_room), "--seconds", str(args.seconds)]
    cmd += extra or []
    # Bounded: the rooms scenario's length plus generous drain and connect time.
    budget = 900 + args.seconds * 2  # loadgen.js stops itself after 15 min
    # Its progress lines go straight to our stderr.
    done = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, timeout=budget, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"loadgen failed with code {done.returncode} (its stderr is above)")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def headline(node: dict[str, Any], swarm: dict[str, Any]) -> dict[str, Any]:
    node_rate = node["fanout"]["deliveries_per_s"]
    swarm_rate = swarm["fanout"]["deliveries_per_s"]
    errors = sum(
        swarm[s].get(k, 0)
        for s in ("fanout", "ack", "rooms")
        for k in ("connect_errors", "join_errors", "disconnects", "ack_errors", "ack_timeouts")
    )
    return {
        "node_deliveries_per_s": node_rate,
        "swarm_deliveries_per_s": swarm_rate,
        "swarm_deliveries_per_s_runs": swarm["fanout"]["runs_deliveries_per_s"],
        "ratio": round(swarm_rate / node_rate, 3) if node_rate else None,
        "ack_p50_ms": swarm["ack"]["p50_ms"],
        "ack_p95_ms": swarm["ack"]["p95_ms"],
        "rooms_p50_ms": swarm["rooms"]["p50_ms"],
        "rooms_p99_ms": swarm["rooms"]["p99_ms"],
        "lost": swarm["rooms"]["lost"],
        "fanout_lost": swarm["fanout"]["lost"],
        "errors": errors,
    }


def meets(figures: dict[str, Any]) -> dict[str, bool]:
    def at_most(key: str) -> bool:
        return figures[key] is not None and figures[key] <= TARGETS[key]

    return {
        "ratio": figures["ratio"] is not None and figures["ratio"] >= TARGETS["ratio"],
        "ack_p50_ms": at_most("ack_p50_ms"),
        "rooms_p99_ms": at_most("rooms_p99_ms"),
        "lost": figures["lost"] == 0 and figures["fanout_lost"] == 0 and figures["errors"] == 0,
    }


def node_figures(node: dict[str, Any]) -> dict[str, Any]:
    return {
        "deliveries_per_s": node["fanout"]["deliveries_per_s"],
        "deliveries_per_s_runs": node["fanout"]["runs_deliveries_per_s"],
        "ack_p50_ms": node["ack"]["p50_ms"],
        "rooms_p99_ms": node["rooms"]["p99_ms"],
        "lost": node["rooms"]["lost"],
        "fanout_lost": node["fanout"]["lost"],
    }


def versions(python: str) -> dict[str, str]:
    code = (
        "import importlib.metadata as m, json\n"
        "out = {}\n"
        "for p in ('Flask-SocketIO', 'python-socketio', 'python-engineio', 'simple-websocket',\n"
        "          'gevent', 'gevent-websocket', 'greenlet', 'Werkzeug'):\n"
        "    try: out[p] = m.version(p)\n"
        "    except m.PackageNotFoundError: out[p] = None\n"
        "print(json.dumps(out))"
    )
    done = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True)
    found: dict[str, str] = json.loads(done.stdout)
    lock = json.loads((NODE_DIR / "package-lock.json").read_text())["packages"]
    for name in ("socket.io", "socket.io-client"):
        found[f"npm:{name}"] = lock[f"node_modules/{name}"]["version"]
    found["node"] = subprocess.run(
        ["node", "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    return found


def check_tools() -> None:
    if shutil.which("node") is None:
        sys.exit("fanout.py needs Node.js (v20) on PATH")
    if not (NODE_DIR / "node_modules" / "socket.io-client").is_dir():
        sys.exit(f"run `npm ci` in {NODE_DIR} first (installs socket.io and socket.io-client)")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--mode", choices=MODES, default="gevent-ws", help="stand-in server mode")
    parser.add_argument("--nodelay", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument(
        "--gc-fixes",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="stand-in: a Flask rule for /socket.io/ and gc.freeze() (docs/realtime-server.md)",
    )
    parser.add_argument(
        "--matrix",
        action="store_true",
        help="measure every mode with and without TCP_NODELAY, and gevent-ws without GC fixes",
    )
    parser.add_argument("--python", default=sys.executable, help="interpreter for the stand-in")
    parser.add_argument(
        "--swarm",
        action="store_true",
        help="start the real server (python -m swarm serve) on a fresh database and measure it",
    )
    parser.add_argument(
        "--database-url", help="with --swarm: the database (default: a fresh SQLite file)"
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="with --swarm: this many serve processes sharing rooms through --message-queue",
    )
    parser.add_argument(
        "--message-queue", help="with --swarm: SWARM_MESSAGE_QUEUE for the servers (redis://…)"
    )
    parser.add_argument(
        "--target",
        help="measure this running server instead of the stand-in (URL, or URL,URL,… to "
        "spread the clients over several processes)",
    )
    parser.add_argument("--token", help="API token for --target (auth={'token': T})")
    parser.add_argument("--cookie", help="Cookie header for --target")
    parser.add_argument("--origin", help="Origin header for --target")
    parser.add_argument("--room-ids", help="rooms (ticket ids) on --target, e.g. 1-202")
    parser.add_argument("--ports", help="take server ports only from LO-HI, e.g. 5300-5349")
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--fanout-runs", type=int, default=3, help="report the median of N runs")
    parser.add_argument("--ack-messages", type=int, default=300)
    parser.add_argument("--rooms", type=int, default=200)
    parser.add_argument("--per-room", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--quick", action="store_true", help="small smoke-test sizes")
    args = parser.parse_args(argv)
    if args.quick:
        args.clients, args.messages, args.ack_messages = 20, 200, 50
        args.rooms, args.per_room, args.seconds, args.fanout_runs = 20, 5, 3, 1
    if args.matrix and args.target:
        parser.error("--matrix measures the stand-in; drop --target")
    if args.processes < 1 or (args.processes > 1 and not (args.swarm and args.message_queue)):
        parser.error("--processes N > 1 needs --swarm and --message-queue redis://…")
    if args.ports:
        global PORTS
        low, _, high = args.ports.partition("-")
        PORTS = range(int(low), int(high or low) + 1)
    return args


@contextlib.contextmanager
def scratch_database(url: str | None) -> Iterator[str | None]:
    """A new, empty PostgreSQL database beside the one ``url`` names, dropped afterwards: every
    run starts from the same state (a database that kept earlier runs' messages made later runs
    slower), and the database ``url`` names is never touched. Other URLs pass through."""
    if not url or not url.startswith("postgresql"):
        yield url
        return
    import psycopg

    base, _, _db = url.rpartition("/")
    name = f"swarm_bench_{os.getpid()}"
    admin = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
    try:
        admin.execute(f"CREATE DATABASE {name}")
        try:
            yield f"{base}/{name}"
        finally:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        admin.close()


@contextlib.contextmanager
def swarm_server(args: argparse.Namespace) -> Iterator[tuple[str, str, str]]:
    """The real server (``python -m swarm serve``) on a fresh database with an agent, an API
    token and one ticket per room; yields ``(url, token, room ids)``. Authentication and
    persistence are on the measured path, as in production."""
    import tempfile

    sys.path.insert(0, str(ROOT))
    from swarm.accounts.service import create_user, issue_token
    from swarm.clock import SystemClock
    from swarm.db import make_engine, make_session_factory
    from swarm.migrate import upgrade
    from swarm.tickets.notify import NullNotifier
    from swarm.tickets.service import TicketService

    with (
        tempfile.TemporaryDirectory(prefix="swarm-bench-") as tmp,
        scratch_database(args.database_url) as scratch,
    ):
        url = scratch or f"sqlite:///{tmp}/bench.db"
        log(f"preparing {url.split('@')[-1]}: schema, an agent, a token, {args.rooms + 2} tickets")
        upgrade(url)
        engine = make_engine(url)
        clock = SystemClock()
        with make_session_factory(engine)() as session:
            agent = create_user(
                session,
                clock,
                email=f"bench-{os.getpid()}@example.test",
                name="Bench Agent",
                password=secrets.token_urlsafe(16),  # never signed in: the token is used
                role="agent",
            )
            session.commit()
            _row, token = issue_token(session, clock, agent, "fanout benchmark")
            tickets = TicketService(session, clock, NullNotifier())
            ids = [
                tickets.open_ticket(agent, subject=f"Bench room {n}", body="load test").id
                for n in range(args.rooms + 2)
            ]
        engine.dispose()
        env = {
            **os.environ,
            "SWARM_DATABASE_URL": url,
            "SWARM_INSTANCE_PATH": tmp,
            # The benchmark's one sender fires 2,000 events at once: lift the per-connection
            # limit that protects production from floods.
            "SWARM_SOCKET_RATE": "1000000",
            "SWARM_SOCKET_BURST": "1000000",
            # …and the events in flight a process takes before answering "unavailable"
            # (bench/soak.py keeps the production default).
            "SWARM_SOCKET_BACKLOG": os.environ.get("SWARM_SOCKET_BACKLOG", "1000000"),
        }
        if args.message_queue:
            env["SWARM_MESSAGE_QUEUE"] = args.message_queue
        with contextlib.ExitStack() as servers:
            urls = []
            for _ in range(args.processes):
                port = free_port()
                cmd = [args.python, "-m", "swarm", "serve", "--port", str(port), "--no-sweeper"]
                # The server's own output goes to stderr: stdout is the one JSON object.
                proc = servers.enter_context(started(cmd, cwd=ROOT, env=env, stdout=sys.stderr))
                urls.append(f"http://127.0.0.1:{port}")
                wait_ready(urls[-1], proc, seconds=60)
            # Several processes: the load generator spreads its clients over them in turn.
            yield ",".join(urls), token, f"{min(ids)}-{max(ids)}"


def durable_baseline(args: argparse.Namespace) -> dict[str, Any]:
    """The acknowledgement of a minimal durable server, on the same PostgreSQL in the same run:
    the stand-in committing each message with one INSERT before it acks (no checks, no event,
    no ordering; it does pay a Flask request context per event, which Swarm's send path does
    not). Its distance from Node's ack is what a database round trip and the commit's flush
    cost on this machine at this moment; Swarm's distance from it is Swarm's own."""
    with (
        scratch_database(args.database_url) as scratch,
        flask_standin(args.python, "gevent-ws", True, True, database_url=scratch) as url,
    ):
        log(f"durable baseline: the stand-in with one INSERT per message at {url}")
        # The fan-out first, as for Swarm: its acks are measured right after the same burst
        # of writes (acks right after it were measured slower, docs/realtime-server.md).
        ack = loadgen(url, args, extra=["--scenario", "fanout,ack"])["ack"]
    return {
        "ack_p50_ms": ack["p50_ms"],
        "ack_p95_ms": ack["p95_ms"],
        "what": "bench/flask_sio_server.py --database-url: one INSERT committed per message; "
        "fan-out, then ack, as for Swarm",
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    load_before = os.getloadavg()
    with node_reference() as node_url:
        log(f"node reference at {node_url}")
        node = loadgen(node_url, args)
    out: dict[str, Any] = {}
    if args.swarm:
        with swarm_server(args) as (base, token, room_ids):
            log(f"swarm server at {base}, rooms {room_ids}")
            swarm = loadgen(base, args, extra=["--token", token, "--room-ids", room_ids])
        out = {"mode": "swarm (python -m swarm serve)", "target": base, **headline(node, swarm)}
        out["processes"] = args.processes
        out["message_queue"] = "redis" if args.message_queue else None
        out["meets"] = meets(out)
        if args.database_url and args.database_url.startswith("postgresql"):
            out["durable_baseline"] = durable_baseline(args)
        out["swarm"] = swarm
        out["versions"] = versions(args.python)
    elif args.target:
        extra = []
        for flag, value in (
            ("--token", args.token),
            ("--cookie", args.cookie),
            ("--origin", args.origin),
            ("--room-ids", args.room_ids),
        ):
            if value:
                extra += [flag, value]
        log(f"swarm target at {args.target}")
        swarm = loadgen(args.target, args, extra=extra)
        out = {"mode": "target", "target": args.target, **headline(node, swarm)}
        out["meets"] = meets(out)
        out["swarm"] = swarm
    else:
        chosen = (args.mode, args.nodelay, args.gc_fixes)
        configs = [chosen]
        if args.matrix:
            configs = [(m, nd, True) for m in MODES for nd in (False, True)]
            configs.append(("gevent-ws", True, False))  # what the GC fixes are worth
        results = []
        for mode, nodelay, gc_fixes in configs:
            with flask_standin(args.python, mode, nodelay, gc_fixes) as url:
                log(f"stand-in mode={mode} nodelay={nodelay} gc_fixes={gc_fixes} at {url}")
                swarm = loadgen(url, args)
            figures = headline(node, swarm)
            results.append(
                {"mode": mode, "nodelay": nodelay, "gc_fixes": gc_fixes, **figures, "swarm": swarm}
            )
        primary = next(
            (r for r in results if (r["mode"], r["nodelay"], r["gc_fixes"]) == chosen),
            results[-1],
        )
        out = {k: v for k, v in primary.items() if k != "swarm"}
        out["target"] = "stand-in (bench/flask_sio_server.py)"
        out["meets"] = meets(out)
        if args.matrix:
            out["configs"] = [r | {"meets": meets(r)} for r in results]
        else:
            out["swarm"] = primary["swarm"]
        out["versions"] = versions(args.python)
    out["node"] = node_figures(node)
    out["load"] = {
        "fanout": f"1 room x {args.clients} clients, {args.messages} messages without waiting",
        "ack": f"{args.ack_messages} messages, each ack awaited",
        "rooms": f"{args.rooms} rooms x {args.per_room} clients, 1 msg/s for {args.seconds} s",
        "cpus": os.cpu_count(),
        # Other work on the machine skews every figure: a 1-minute load average well above what
        # this run adds (~2) means the run was shared and should be repeated.
        "loadavg_1m_before": round(load_before[0], 2),
        "loadavg_1m_after": round(os.getloadavg()[0], 2),
    }
    return out


def print_table(out: dict[str, Any]) -> None:
    rows = out.get("configs") or [out]
    node = out["node"]
    header = ("server", "deliveries/s", "ratio", "ack p50", "rooms p99", "lost")
    print(f"{header[0]:<26}" + "".join(f"{h:>12}" for h in header[1:]))
    print(
        f"{'node socket.io':<26}{node['deliveries_per_s']:>12}{'':>12}"
        f"{node['ack_p50_ms']:>12}{node['rooms_p99_ms']:>12}{node['lost']:>12}"
    )
    for r in rows:
        name = r["mode"]
        if "nodelay" in r:  # a stand-in setup
            name += " nodelay" if r["nodelay"] else " nagle"
            name += "" if r["gc_fixes"] else " no-gc-fixes"
        elif name.startswith("swarm"):
            name = "swarm serve"
        print(
            f"{name:<26}{r['swarm_deliveries_per_s']:>12}{r['ratio']:>12}"
            f"{r['ack_p50_ms']:>12}{r['rooms_p99_ms']:>12}{r['lost']:>12}"
        )
    if "durable_baseline" in out:
        baseline = out["durable_baseline"]["ack_p50_ms"]
        print(f"{'durable baseline (INSERT)':<26}{'':>12}{'':>12}{baseline:>12}")


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    check_tools()

    def _terminate(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt  # unwinds the context managers, which stop the servers

    signal.signal(signal.SIGTERM, _terminate)
    out = run(args)
    if args.json:
        print(json.dumps(out))
    else:
        print_table(out)


if __name__ == "__main__":
    main()

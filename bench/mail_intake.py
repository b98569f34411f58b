"""Mails per second through the SMTP listener into tickets: ``swarm serve`` with
SWARM_MAIL_LISTEN against a scratch PostgreSQL database, fed by smtplib clients.

    python bench/mail_intake.py --database-url postgresql://postgres@127.0.0.1:5432/test_mail \
        --mails 300 --clients 4

The scratch database is ``<name>_mailbench`` beside the one named (created, then dropped).
Every mail is a new ticket from one of 50 senders (the first from each creates its requester);
each is routed like a ticket from the pages. The clock starts when the server listens and stops
when the last mail's ``250`` is answered — which the listener sends only after the ticket
committed. Prints one JSON object with the 1-minute load average (the machine is shared).
"""

from __future__ import annotations

import argparse
import json
import os
import smtplib
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def scratch(url: str) -> str:
    base = make_url(url)
    name = f"{base.database}_mailbench"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def drop(url: str) -> None:
    base = make_url(url)
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{base.database}" WITH (FORCE)'))
    admin.dispose()


def a_mail(n: int) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = f"Requester {n % 50} <requester{n % 50}@bench.example.org>"
    msg["To"] = "support@example.org"
    msg["Subject"] = f"VPN drops every few minutes ({n})"
    msg["Message-ID"] = f"<bench-{n}@client.example.org>"
    msg.set_content("The VPN connection drops every few minutes since this morning.\n" * 5)
    return msg


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--mails", type=int, default=300)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()

    url = scratch(args.database_url)
    env = {
        **os.environ,
        "SWARM_DATABASE_URL": url,
        "SWARM_SECRET_KEY": "bench",
        "SWARM_SUPPORT_ADDRESS": "support@example.org",
        "SWARM_LOG_LEVEL": "WARNING",
    }
    subprocess.run(
        [sys.executable, "-m", "swarm", "init-db"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    smtp_port, http_port = free_port(), free_port()
    env["SWARM_MAIL_LISTEN"] = f"127.0.0.1:{smtp_port}"
    log_path = Path(tempfile.gettempdir()) / f"mailbench-{smtp_port}.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "swarm", "serve", "--port", str(http_port), "--no-sweeper"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with smtplib.SMTP("127.0.0.1", smtp_port, timeout=5) as probe:
                    probe.noop()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"server did not listen; see {log_path}") from None
                time.sleep(0.2)

        # One warm-up mail: trains the (empty) skill model, fills the caches.
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=60) as client:
            client.send_message(a_mail(-1))

        latencies: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()
        numbers = iter(range(args.mails))

        def client_loop() -> None:
            with smtplib.SMTP("127.0.0.1", smtp_port, timeout=120) as client:
                while True:
                    with lock:
                        n = next(numbers, None)
                    if n is None:
                        return
                    began = time.perf_counter()
                    try:
                        client.send_message(a_mail(n))
                    except smtplib.SMTPException as exc:
                        with lock:
                            errors.append(str(exc))
                        continue
                    with lock:
                        latencies.append(time.perf_counter() - began)

        started = time.perf_counter()
        threads = [threading.Thread(target=client_loop) for _ in range(args.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
        load = os.getloadavg()[0]

        engine = create_engine(url)
        with engine.connect() as conn:
            tickets = conn.scalar(text("SELECT count(*) FROM tickets"))
        engine.dispose()
        latencies.sort()
        print(
            json.dumps(
                {
                    "mails": args.mails,
                    "clients": args.clients,
                    "seconds": round(seconds, 2),
                    "mails_per_s": round(len(latencies) / seconds, 1),
                    "tickets": tickets - 1,  # less the warm-up mail's
                    "errors": len(errors),
                    "p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
                    "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1] * 1000, 1)
                    if latencies
                    else None,
                    "load_1min": round(load, 2),
                    "cpus": os.cpu_count(),
                }
            )
        )
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
        drop(url)


if __name__ == "__main__":
    main()

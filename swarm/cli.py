"""Command line: ``python -m swarm serve | init-db | seed | create-user | backup | restore |
metrics | import-log`` and more (``--help``).

Every command reads the database from SWARM_DATABASE_URL (SQLite in instance/ by default).
"""

from __future__ import annotations

import getpass
import logging
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import click

from swarm.clock import SystemClock
from swarm.config import load_config

log = logging.getLogger("swarm.cli")


@click.group(help="Swarm: a support platform built on intelligent swarming.")
def cli() -> None:
    # Every command logs the same way (swarm/logs.py); what a command prints for its user
    # still goes to standard output through click.
    from swarm.config import log_settings
    from swarm.logs import configure_logging

    try:
        fmt, level = log_settings()
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    configure_logging(fmt, level)


@cli.command("init-db", help="Create or upgrade the database schema (Alembic migrations).")
def init_db() -> None:
    from swarm.migrate import upgrade

    config = load_config()
    upgrade(config.database_url)
    click.echo(f"Database ready at {_display_url(config.database_url)}")


@cli.command("seed", help="Seed data; --demo adds the demo organisation (once).")
@click.option("--demo", is_flag=True, help="The demo organisation: agents, skills, tickets.")
def seed(demo: bool) -> None:
    if not demo:
        raise click.UsageError("Nothing to seed: pass --demo for the demo organisation.")
    from tqdm import tqdm

    from swarm.db import make_engine, make_session_factory
    from swarm.demo import DEMO_PASSWORD, seed_demo

    config = load_config()
    engine = make_engine(config.database_url)
    bars: dict[str, tqdm] = {}

    def progress(phase: str, done: int, total: int) -> None:
        bar = bars.get(phase)
        if bar is None:
            bar = bars[phase] = tqdm(total=total, desc=phase, unit="", leave=True)
        bar.update(done - bar.n)

    try:
        summary = seed_demo(make_session_factory(engine), SystemClock(), progress=progress)
    finally:
        for bar in bars.values():
            bar.close()
        engine.dispose()
    if summary.created:
        click.echo(
            f"Demo organisation created: {summary.agents} agents, {summary.requesters} "
            f"requesters, {summary.skills} skills, {summary.tickets} tickets, "
            f"{summary.events} events, {summary.articles} articles."
        )
    else:
        click.echo("Demo organisation already present: nothing to do.")
    click.echo(
        f"Demo logins (password '{DEMO_PASSWORD}'): admin@example.com, manager@example.com, "
        "manager2@example.com, agent01@example.com … agent40@example.com, "
        "requester01@example.com … requester10@example.com"
    )


@cli.command("create-user", help="Add a user (asks for the password when not given).")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option(
    "--role",
    type=click.Choice(["requester", "agent", "manager", "admin"]),
    default="requester",
    show_default=True,
)
@click.option("--password", help="Better typed at the prompt than left in shell history.")
@click.option("--capacity", type=click.IntRange(0, 100), default=5, show_default=True)
@click.option("--tier", type=click.IntRange(0, 4), default=None)
def create_user(
    email: str, name: str, role: str, password: str | None, capacity: int, tier: int | None
) -> None:
    from swarm.accounts.service import create_user as create
    from swarm.db import make_engine, make_session_factory, session_scope
    from swarm.tickets.errors import DomainError

    if password is None:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat password: ") != password:
            raise click.ClickException("The passwords differ.")
    config = load_config()
    engine = make_engine(config.database_url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            user = create(
                session,
                SystemClock(),
                email=email,
                name=name,
                password=password,
                role=role,
                capacity=capacity,
                tier=tier,
                via="command line",
            )
            session.commit()
            click.echo(f"Created {user.role} {user.email} (id {user.id}).")
    except DomainError as exc:
        details = "; ".join(f"{k}: {' '.join(v)}" for k, v in (exc.fields or {}).items())
        raise click.ClickException(f"{exc.message} {details}".strip()) from exc
    finally:
        engine.dispose()


@cli.command(
    "backup",
    help="Copy the database to PATH, safely while the server runs: SQLite through its online "
    "backup API, PostgreSQL with pg_dump -Fc (docs/operations.md).",
)
@click.argument("path", type=click.Path(dir_okay=False, path_type=str))
def backup_command(path: str) -> None:
    from swarm.backup import BackupError, backup

    config = load_config()
    try:
        with _page_bar("backing up") as progress:
            outcome = backup(config.database_url, path, progress=progress)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"Backed up {_display_url(config.database_url)} to {outcome.path} "
        f"(migration revision {outcome.revision or 'none'})."
    )


@cli.command(
    "restore",
    help="Replace the database with the backup at PATH, after checking that it is a whole "
    "Swarm database at a migration revision this Swarm knows (docs/operations.md).",
)
@click.argument("path", type=click.Path(dir_okay=False, path_type=str))
@click.option(
    "--force", is_flag=True, help="Overwrite the database even though a process has it open."
)
def restore_command(path: str, force: bool) -> None:
    from swarm.backup import BackupError, restore

    config = load_config()
    try:
        with _page_bar("restoring") as progress:
            outcome = restore(config.database_url, path, force=force, progress=progress)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"Restored {path} into {_display_url(config.database_url)} "
        f"(migration revision {outcome.revision})."
    )
    if outcome.advice:
        click.echo(outcome.advice)


@contextmanager
def _page_bar(desc: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar in pages on a terminal's stderr; nothing in a pipe or a log."""
    from tqdm import tqdm

    bar = tqdm(desc=desc, unit="page", disable=None, file=sys.stderr)

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.update(done - bar.n)

    try:
        yield progress
    finally:
        bar.close()


@cli.command("serve", help="Serve the web app and the API.")
@click.option("--host", default=None, help="Address to listen on (SWARM_HOST, 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port (SWARM_PORT, 5000).")
@click.option(
    "--sweeper/--no-sweeper",
    default=True,
    show_default=True,
    help="Fire routing deadlines in this process (off when a separate sweeper runs).",
)
@click.option(
    "--worker/--no-worker",
    default=True,
    show_default=True,
    help="Deliver the outbox (webhooks) in this process (off when `swarm worker` runs apart).",
)
def serve(host: str | None, port: int | None, sweeper: bool, worker: bool) -> None:
    import gevent

    from swarm.app import create_app
    from swarm.dispatch.sweeper import start_sweeper_thread
    from swarm.mail.send import mailer_for
    from swarm.outbox.guard import AddressGuard, parse_networks
    from swarm.outbox.worker import guarded_post, start_worker_thread
    from swarm.realtime.drain import drain_and_stop
    from swarm.realtime.keeper import start_presence_keeper
    from swarm.server import freeze_garbage, make_server

    # swarm/__main__.py has monkey-patched the standard library for gevent.
    config = load_config().with_overrides(async_mode="gevent")
    host = host or config.host
    port = port or config.port
    app = create_app(config)
    _warm_inference(app.extensions["swarm"])
    if sweeper:
        start_sweeper_thread(app.extensions["swarm"], config.sweep_seconds)
    if worker:
        runtime = app.extensions["swarm"]
        post = guarded_post(AddressGuard(parse_networks(config.webhook_allowed_networks)))
        mailer = mailer_for(
            config.smtp_url,
            config.support_address,
            config.secret_key,
            config.public_url,
            config.password_reset_ttl,
        )
        start_worker_thread(runtime.sessions, runtime.clock, config.worker_seconds, post, mailer)
        if config.imap_url:
            from swarm.mail.imap import start_imap_poller

            start_imap_poller(runtime)
    if config.mail_listen:
        from swarm.mail.listener import start_mail_listener

        start_mail_listener(app.extensions["swarm"])
    # Every serving process: it beats for its own connections (see the keeper's docstring).
    start_presence_keeper(app, config.presence_seconds)
    server = make_server(app, host, port)
    # SIGTERM (a deploy, systemctl stop): drain — refuse new events, finish those in flight,
    # tell the sockets to reconnect, let running requests end — then exit (realtime/drain.py).
    drained: list[str] = []

    def drain() -> None:
        drained.append(drain_and_stop(app, server, config.drain_seconds))

    gevent.signal_handler(signal.SIGTERM, lambda: gevent.spawn(drain))
    freeze_garbage()
    # Logged, not printed: with SWARM_LOG_FORMAT=json a long-running process writes nothing
    # but JSON lines.
    log.info("Swarm is serving on http://%s:%s  (Ctrl+C stops it)", host, port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        log.info("Stopped.")
        return
    log.info(drained[0] if drained else "Stopped.")


@cli.command(
    "worker", help="Deliver the outbox (webhooks) every SWARM_WORKER_SECONDS, until stopped."
)
@click.option("--once", is_flag=True, help="Deliver what is due once and exit.")
def worker(once: bool) -> None:
    import threading

    from swarm.app import create_app
    from swarm.mail.send import mailer_for
    from swarm.outbox.guard import AddressGuard, parse_networks
    from swarm.outbox.worker import deliver_due, guarded_post, run_worker

    config = load_config()
    runtime = create_app(config).extensions["swarm"]
    post = guarded_post(AddressGuard(parse_networks(config.webhook_allowed_networks)))
    mailer = mailer_for(
        config.smtp_url,
        config.support_address,
        config.secret_key,
        config.public_url,
        config.password_reset_ttl,
    )
    if once:
        tried = deliver_due(runtime.sessions, runtime.clock, post, mailer=mailer)
        click.echo(f"Tried {tried} delivery(ies).")
        if config.imap_url:
            from swarm.mail.imap import poll_mailbox_once

            click.echo(f"Took in {poll_mailbox_once(runtime)} mail(s) from IMAP.")
        return
    if config.imap_url:
        from swarm.mail.imap import start_imap_poller

        start_imap_poller(runtime)
    log.info("Delivering the outbox every %g s (Ctrl+C stops it)", config.worker_seconds)
    try:
        stop = threading.Event()
        run_worker(runtime.sessions, runtime.clock, config.worker_seconds, stop, post, mailer)
    except KeyboardInterrupt:
        log.info("Worker stopped.")


def _warm_inference(runtime: Any) -> None:
    """Start training the skill model before listening (in the background: under gevent it
    runs once the server's loop does); without a database yet, the first ticket starts it."""
    from swarm.dispatch.service import RoutingService

    try:
        with runtime.sessions() as session:
            routing = RoutingService(session, runtime.clock, runtime.notifier, runtime.routing)
            routing.warm_inference()
    except Exception as exc:  # an unmigrated or unreachable database must not stop `serve`
        name = type(exc).__name__
        click.echo(f"Skill model not trained at start ({name}); the first ticket will.")


@cli.command("sweeper", help="Fire routing deadlines every SWARM_SWEEP_SECONDS, until stopped.")
@click.option("--once", is_flag=True, help="Sweep once and exit (for cron or a test).")
def sweeper(once: bool) -> None:
    import threading

    from swarm.app import create_app
    from swarm.dispatch.sweeper import run_sweeper, sweep_once

    config = load_config()
    runtime = create_app(config).extensions["swarm"]
    if once:
        click.echo(f"Fired {sweep_once(runtime)} deadline(s).")
        return
    log.info("Sweeping every %g s (Ctrl+C stops it)", config.sweep_seconds)
    try:
        run_sweeper(runtime, config.sweep_seconds, threading.Event())
    except KeyboardInterrupt:
        log.info("Sweeper stopped.")


@cli.command(
    "eval-routing",
    help="Measure skill inference on the labelled tickets kept in the repository and, given "
    "--dataset, resolver-group prediction on real tickets.",
)
@click.option(
    "--dataset",
    type=click.Path(exists=True, dir_okay=False),
    help="CSV (or .csv.gz) with Short description, Description, Assignment group.",
)
@click.option(
    "--labelled",
    type=click.Path(exists=True, dir_okay=False),
    help="Labelled tickets (JSON) for the demo taxonomy; default: the repository's set.",
)
@click.option(
    "--sweep",
    is_flag=True,
    help="Also give skill precision/recall at thresholds 0.05, 0.10, …, 1.00 (how "
    "swarm.skills.inference.THRESHOLD was chosen).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def eval_routing(dataset: str | None, labelled: str | None, sweep: bool, as_json: bool) -> None:
    import json

    from tqdm import tqdm

    from swarm.demo.skills import demo_skill_graph, demo_skill_inferer
    from swarm.skills.evaluation import (
        LABELLED_TICKETS,
        evaluate_routing,
        evaluate_skills,
        read_labelled_tickets,
        sweep_thresholds,
    )

    labels = {
        "skills": "inferring skills of the labelled tickets",
        "read": "reading tickets",
        "model": "training the product model",
        "baseline": "training the TF-IDF baseline",
    }
    phases = ["skills", "read", "model", "baseline"] if dataset else ["skills"]
    # On stderr, so that --json leaves one clean object on stdout.
    with tqdm(total=len(phases), desc="evaluating", unit="phase", file=sys.stderr) as bar:

        def progress(phase: str) -> None:
            bar.n = phases.index(phase)
            bar.set_postfix_str(labels[phase])
            bar.refresh()

        progress("skills")
        graph = demo_skill_graph()
        inferer = demo_skill_inferer(graph)
        tickets = read_labelled_tickets(labelled or LABELLED_TICKETS)
        figures = {"skill_threshold": inferer.threshold}
        figures.update(evaluate_skills(inferer.infer, graph, tickets))
        if sweep:
            grid = [round(0.05 * step, 2) for step in range(1, 21)]
            figures["skill_sweep"] = sweep_thresholds(
                inferer.candidates, graph, tickets, grid, inferer.max_skills
            )
        if dataset:
            figures.update(evaluate_routing(dataset, progress=progress))
        bar.n = len(phases)
        bar.refresh()
    if as_json:
        click.echo(json.dumps(figures))
        return
    for key, value in figures.items():
        if key == "skill_sweep":
            click.echo(f"{key:>28}: threshold  micro P / R / F1     macro P / R / F1")
            for row in value:
                click.echo(
                    f"{'':>30}{row['threshold']:9.2f}  "
                    f"{row['micro_precision']:.3f} {row['micro_recall']:.3f} {row['micro_f1']:.3f}"
                    f"  {row['macro_precision']:.3f} {row['macro_recall']:.3f} "
                    f"{row['macro_f1']:.3f}"
                )
        elif isinstance(value, list):
            click.echo(f"{key:>28}:")
            for line in value:
                click.echo(f"{'':>30}{line}")
        else:
            click.echo(f"{key:>28}: {value}")


@cli.command(
    "metrics",
    help="Compare tiered and swarm on one dataset: each arm's figures with intervals and the "
    "differences (docs/metrics.md).",
)
@click.option("--dataset", default="live", show_default=True, help="live, an import, sim:<run>.")
@click.option("--from", "start", help="Tickets created at or after (ISO 8601 with zone).")
@click.option("--to", "end", help="Tickets created before (ISO 8601 with zone).")
@click.option("--priority", multiple=True, help="P1…P4; repeat for several.")
@click.option("--category", multiple=True, help="A category; repeat for several.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def metrics(
    dataset: str,
    start: str | None,
    end: str | None,
    priority: tuple[str, ...],
    category: tuple[str, ...],
    as_json: bool,
) -> None:
    import json

    from swarm.db import make_engine, make_session_factory
    from swarm.models import User
    from swarm.models.users import Role
    from swarm.reporting.service import MetricsQuery, MetricsService
    from swarm.tickets.errors import DomainError

    def moment(text: str | None, option: str) -> datetime | None:
        if text is None:
            return None
        try:
            when = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise click.BadParameter(
                f"{text!r} is not an ISO 8601 time.", param_hint=option
            ) from None
        if when.tzinfo is None:
            raise click.BadParameter("Give the time zone too (e.g. …Z).", param_hint=option)
        return when

    engine = make_engine(load_config().database_url)
    # The command line speaks for the operator, with a manager's view of the numbers.
    operator = User(id=0, name="command line", email="cli@localhost", role=Role.ADMIN, active=True)
    with make_session_factory(engine)() as session:
        service = MetricsService(session, SystemClock())
        try:
            query = MetricsQuery(
                dataset=dataset,
                start=moment(start, "--from"),
                end=moment(end, "--to"),
                priority=tuple(priority),
                category=tuple(category),
            )
            report = service.compare(operator, query)
        except DomainError as error:
            details = "; ".join(
                f"{k}: {' '.join(v)}" for k, v in (getattr(error, "fields", None) or {}).items()
            )
            raise click.ClickException(
                f"{error}{' (' + details + ')' if details else ''}"
            ) from None
    if as_json:
        click.echo(json.dumps(report, allow_nan=False))
        return
    click.echo(_metrics_table(report))


class _PositiveRate(click.ParamType):
    """A finite number > 0 (``nan`` and ``inf`` are floats, not rates)."""

    name = "rate"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        import math

        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number.", param, ctx)
        if not math.isfinite(number) or number <= 0:
            self.fail(f"{value!r} is not a rate: it must be a finite number > 0.", param, ctx)
        return number


_POSITIVE = _PositiveRate()


@cli.command(
    "simulate",
    help="Simulate on virtual time. --scenario FILE: both routing arms (the production "
    "SwarmPolicy and TieredPolicy) on the same arrivals, replications in parallel processes, "
    "docs/simulation-model.md; --store NAME keeps replication 1 as dataset sim:NAME for the "
    "dashboard. --mmc: the degenerate M/M/c model (FIFO, exponential interarrival and service "
    "times, one shared pool of agents; a tenth of the tickets discarded as warm-up), "
    "docs/simulation.md.",
)
@click.option(
    "--scenario",
    "scenario_path",
    type=click.Path(dir_okay=False),
    help="A scenario file (YAML or JSON; docs/simulation-model.md).",
)
@click.option(
    "--replications",
    type=click.IntRange(1, 1000),
    default=1,
    show_default=True,
    help="Independent replications of the scenario, run in parallel processes.",
)
@click.option("--workers", type=click.IntRange(1, 64), default=None, help="Processes (cores).")
@click.option(
    "--store",
    "store_name",
    help="Keep the first replication's events as dataset sim:NAME (replaces one of that name).",
)
@click.option("--mmc", is_flag=True, help="The M/M/c model; needs the three options below.")
@click.option("--arrival-rate", type=_POSITIVE, help="λ: tickets per unit of time (> 0).")
@click.option("--service-rate", type=_POSITIVE, help="μ: tickets one agent serves per unit (> 0).")
@click.option("--agents", type=click.IntRange(min=1), help="c: agents in the pool (≥ 1).")
@click.option(
    "--tickets",
    type=click.IntRange(min=1),
    help="--mmc: tickets simulated, warm-up included (default 100,000).",
)
@click.option("--warmup", type=click.IntRange(min=0), help="Tickets discarded (default: a tenth).")
@click.option("--seed", type=click.IntRange(min=0), help="Random seed (default: fresh, reported).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def simulate(
    scenario_path: str | None,
    replications: int,
    workers: int | None,
    store_name: str | None,
    mmc: bool,
    arrival_rate: float | None,
    service_rate: float | None,
    agents: int | None,
    tickets: int | None,
    warmup: int | None,
    seed: int | None,
    as_json: bool,
) -> None:
    if scenario_path is not None and mmc:
        raise click.UsageError("Give either --scenario FILE or --mmc, not both.")
    if scenario_path is not None:
        simulate_scenario(scenario_path, replications, workers, as_json, store_name)
        return
    if store_name is not None:
        raise click.UsageError("--store keeps a scenario's run: it needs --scenario FILE.")
    tickets = 100_000 if tickets is None else tickets
    import json

    from swarm.simulation.mmc import simulate_mmc

    if not mmc:
        raise click.UsageError(
            "simulate needs --scenario FILE, or --mmc (and its rates: --arrival-rate, "
            "--service-rate, --agents)."
        )
    missing = [
        name
        for name, value in (
            ("--arrival-rate", arrival_rate),
            ("--service-rate", service_rate),
            ("--agents", agents),
        )
        if value is None
    ]
    if missing:
        raise click.UsageError(f"simulate --mmc needs {', '.join(missing)}.")
    assert arrival_rate is not None and service_rate is not None and agents is not None
    if warmup is not None and warmup >= tickets:
        raise click.BadParameter(
            f"{warmup} leaves no ticket to measure out of {tickets}.", param_hint="--warmup"
        )
    rho = arrival_rate / (agents * service_rate)
    if rho >= 1:
        click.echo(
            f"warning: utilisation {rho:.3f} ≥ 1 — the queue grows without bound; the figures "
            "describe this finite run only, not a steady state.",
            err=True,
        )
    figures = simulate_mmc(arrival_rate, service_rate, agents, tickets, seed, warmup)
    if as_json:
        click.echo(json.dumps(figures, allow_nan=False))
        return
    for key, value in figures.items():
        click.echo(f"{key:>22}: {value}")


@cli.command(
    "validate-sim",
    help="Check the simulator against queueing theory: M/M/1, M/M/c and a two-stage tandem, "
    "replications in parallel processes, each figure's relative error and Little's law "
    "(docs/simulation.md). Exits with 1 when a case fails.",
)
@click.option("--replications", type=click.IntRange(min=2), default=10, show_default=True)
@click.option(
    "--tickets",
    type=click.IntRange(min=100),
    default=200_000,
    show_default=True,
    help="Tickets per replication, warm-up (a tenth) included.",
)
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--workers", type=click.IntRange(min=1), help="Processes (default: the CPUs).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def validate_sim(
    replications: int, tickets: int, seed: int, workers: int | None, as_json: bool
) -> None:
    import json

    from tqdm import tqdm

    from swarm.simulation.validate import validate, validation_table

    # On stderr and only on a terminal, so that --json leaves one clean object on stdout.
    with tqdm(desc="replications", unit="run", file=sys.stderr, disable=None) as bar:

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        report = validate(replications, tickets, seed, workers=workers, progress=progress)
    click.echo(json.dumps(report, allow_nan=False) if as_json else validation_table(report))
    if not report["passed"]:
        sys.exit(1)


def _metrics_table(report: dict[str, Any]) -> str:
    """The comparison as a table a terminal shows."""
    from swarm.metrics.compare import METRICS

    lines = [f"dataset {report['dataset']}: {report['tickets']} tickets", ""]
    arms = [a for a in ("swarm", "tiered") if a in report["arms"]]
    if not arms:
        return "\n".join([*lines, report["verdict"]])

    def figure(arm: str, name: str) -> str:
        m = report["arms"][arm]["metrics"][name]
        if m["kind"] == "rate":
            value, ci = m["rate"], m["ci"]
            fmt = "{:.0%}"
        elif m["kind"] == "duration":
            value, ci = m["median"], m["median_ci"]
            fmt = "{:.2f}"
        else:
            value, ci = m["mean"], m.get("mean_ci", [None, None])
            fmt = "{:.2f}"
        if value is None:
            return "—"
        show = lambda v: "…" if v is None else fmt.format(v)  # noqa: E731
        return f"{fmt.format(value)} [{show(ci[0])}, {show(ci[1])}]"

    head = f"{'metric':<34}" + "".join(f"{a:>26}" for a in arms)
    if len(arms) == 2:
        head += f"{'difference':>26}{'p (Holm)':>10}"
    lines.append(head)
    counts = [f"{report['arms'][a]['tickets']} ({report['arms'][a]['resolved']})" for a in arms]
    lines.append(f"{'tickets (resolved)':<34}" + "".join(f"{c:>26}" for c in counts))
    for metric in METRICS:
        stat = {"rate": "", "duration": " (median)"}.get(metric.kind, " (mean)")
        row = f"{(metric.label + stat)[:33]:<34}" + "".join(
            f"{figure(a, metric.name):>26}" for a in arms
        )
        d = report["differences"].get(metric.name)
        if d is not None:
            est = "—" if d["estimate"] is None else f"{d['estimate']:+.2f}"
            p = "—" if d["p_holm"] is None else f"{d['p_holm']:.3f}"
            row += f"{est + (' *' if d['conclusive'] else ''):>26}{p:>10}"
        lines.append(row)
    lines += ["", "* conclusive at the 95 % level (Holm-corrected).", "", report["verdict"]]
    return "\n".join(lines)


@cli.command(
    "run-simulation",
    help="Run a what-if run recorded by the pages or the API (the server starts this in a "
    "child process; docs/simulation.md).",
)
@click.argument("run_id", type=click.IntRange(min=1))
@click.option(
    "--progress-json", is_flag=True, help="Print the run's view as one JSON line per step."
)
def run_simulation(run_id: int, progress_json: bool) -> None:
    import json

    from swarm.db import make_engine
    from swarm.simulation.runs import execute

    engine = make_engine(load_config().database_url)

    def tell(view: dict[str, Any]) -> None:
        if progress_json:
            click.echo(json.dumps(view, separators=(",", ":")))
            sys.stdout.flush()

    try:
        view = execute(engine, run_id, tell)
    finally:
        engine.dispose()
    if not progress_json:
        click.echo(
            f"Run {run_id}: {view['state']}" + (f" — {view['error']}" if view["error"] else "")
        )
    if view["state"] != "done":
        sys.exit(1)


@cli.command(
    "import-log",
    help="Import an organisation's ticket history (a ServiceNow incident log, an XES or a "
    "CSV event log; .gz read directly) as dataset NAME, for `metrics --dataset NAME` "
    "(docs/import.md). Re-importing a name replaces it.",
)
@click.argument("path", type=click.Path(dir_okay=False, path_type=str))
@click.option("--format", "fmt", required=True, help="uci, xes or csv.")
@click.option("--name", required=True, help="The dataset's name (not live, not sim:…).")
@click.option(
    "--mapping",
    type=click.Path(exists=True, dir_okay=False),
    help="CSV: a JSON or YAML column mapping (docs/import.md).",
)
@click.option(
    "--map",
    "maps",
    multiple=True,
    metavar="KEY=VALUE",
    help="CSV: one mapping entry, e.g. --map case=CaseID (over --mapping); lists comma-separated.",
)
@click.option(
    "--owner-attribute",
    default="org:group",
    show_default=True,
    help="XES: the attribute naming the owner (a group or a person).",
)
@click.option(
    "--resolved",
    "resolved",
    multiple=True,
    help="XES: an activity or status that "
    "resolves a case (default Completed, Closed, Resolved, Resolve ticket).",
)
@click.option(
    "--handoff-activity",
    multiple=True,
    help="XES: an activity that changes the owner without naming them (BPI 2014's Reassignment).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
def import_log_command(
    path: str,
    fmt: str,
    name: str,
    mapping: str | None,
    maps: tuple[str, ...],
    owner_attribute: str,
    resolved: tuple[str, ...],
    handoff_activity: tuple[str, ...],
    as_json: bool,
) -> None:
    import json
    import os

    from swarm.db import make_engine
    from swarm.simulation.importers.base import ImportProblem, Rules
    from swarm.simulation.importers.csvlog import CsvMapping, MappingError
    from swarm.simulation.importers.run import import_log
    from swarm.simulation.importers.xes import XesOptions

    csv_mapping = None
    try:
        if fmt == "csv":
            csv_mapping = CsvMapping.from_dict(_mapping_values(mapping, maps))
    except (MappingError, ValueError) as error:
        raise click.ClickException(str(error)) from None
    rules = None
    if resolved or handoff_activity:
        rules = Rules.of(resolved=resolved or None, handoff_activities=handoff_activity)
    bar = None
    if sys.stderr.isatty() and os.path.isfile(path):
        from tqdm import tqdm

        bar = tqdm(
            total=os.path.getsize(path), unit="B", unit_scale=True, desc=name, file=sys.stderr
        )

    def progress(done: int) -> None:
        if bar is not None:
            bar.update(done - bar.n)

    engine = make_engine(load_config().database_url)
    try:
        result = import_log(
            engine,
            path,
            fmt,
            name,
            xes_options=XesOptions(owner=owner_attribute),
            rules=rules,
            mapping=csv_mapping,
            progress=progress,
        )
    except ImportProblem as error:
        raise click.ClickException(str(error)) from None
    finally:
        if bar is not None:
            bar.close()
        engine.dispose()
    if as_json:
        click.echo(
            json.dumps(
                {
                    "name": result.name,
                    "format": result.format,
                    "rejected": result.rejected,
                    **result.summary,
                }
            )
        )
        return
    s = result.summary
    click.echo(
        f"dataset {result.name}: {result.cases} cases, {result.events} events "
        f"({result.format}, {result.seconds:.1f} s)"
    )
    rejected = sum(result.rejected.values())
    click.echo(f"rows rejected: {rejected}")
    for reason, n in sorted(result.rejected.items(), key=lambda kv: -kv[1]):
        click.echo(f"  {n:>8}  {reason}")
    for note, n in sorted(s.get("notes", {}).items()):
        click.echo(f"note: {n} cases: {note}")
    click.echo("handoffs   cases   share   median time to resolution (h)")
    for bucket, b in s["handoffs"].items():
        median = "—" if b["median_ttr_hours"] is None else f"{b['median_ttr_hours']:.1f}"
        click.echo(f"{bucket:>8} {b['cases']:>7} {b['share']:>7.1%}   {median}")
    click.echo(f"Compare: python -m swarm metrics --dataset {result.name}")


def _mapping_values(path: str | None, maps: tuple[str, ...]) -> dict[str, Any]:
    """A CSV mapping from a JSON or YAML file and ``KEY=VALUE`` options (which win)."""
    values: dict[str, Any] = {}
    if path:
        import yaml

        with open(path, encoding="utf-8") as f:
            loaded = yaml.safe_load(f)  # JSON is YAML
        if not isinstance(loaded, dict):
            raise ValueError(f"{path}: a mapping file holds one object of KEY: VALUE.")
        values.update(loaded)
    lists = ("resolved", "pending", "handoff_activities")
    for item in maps:
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"--map {item!r}: write KEY=VALUE, e.g. case=CaseID.")
        key = key.strip()
        values[key] = [v.strip() for v in value.split(",") if v.strip()] if key in lists else value
    return values


def _display_url(url: str) -> str:
    """The database URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def simulate_scenario(
    path: str,
    replications: int,
    workers: int | None,
    as_json: bool,
    store_name: str | None = None,
) -> None:
    """``simulate --scenario``: validate, run, print the figures per arm across replications;
    with ``store_name``, keep the first replication as dataset ``sim:NAME``."""
    import json

    from tqdm import tqdm

    from swarm.simulation.runner import run_scenario
    from swarm.simulation.scenario import ScenarioError, load_scenario

    try:
        scenario = load_scenario(path)
    except ScenarioError as exc:
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:
        raise click.ClickException(f"Cannot read the scenario {path}: {exc.strerror}.") from exc
    for warning in scenario.warnings:
        click.echo(f"warning: {warning}", err=True)
    stored = None
    if store_name is not None:
        stored = _store_scenario_run(scenario, store_name)
    bar = tqdm(
        total=replications * len(scenario.arms),
        desc="replications × arms",
        unit="run",
        disable=None,  # a bar on a terminal only; nothing in a pipe or a log
        file=sys.stderr,
    )
    try:
        result = run_scenario(
            scenario,
            replications=replications,
            workers=workers,
            progress=lambda done, total: bar.update(done - bar.n),
        )
    finally:
        bar.close()
    if stored is not None:
        result["stored"] = stored
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    for arm, figures in result["arms"].items():
        click.echo(f"{arm}:")
        for name, value in figures.items():
            if isinstance(value, dict):
                ci = value["ci95"]
                extra = f"  [{ci[0]}, {ci[1]}]" if ci else ""
                click.echo(f"  {name:34} {value['mean']}{extra}")
    if stored is not None:
        click.echo(
            f"Stored as dataset {stored['dataset']}: python -m swarm metrics --dataset "
            f"{stored['dataset']}"
        )


def _store_scenario_run(scenario: Any, name: str) -> dict[str, Any]:
    """Stream the first replication of ``scenario`` into dataset ``sim:NAME`` (all at once
    when it is complete, replacing a dataset of that name)."""
    from tqdm import tqdm

    from swarm.db import make_engine
    from swarm.simulation.runs import store_arms
    from swarm.simulation.store import DatasetNameError
    from swarm.simulation.workload import draw_tickets

    dataset = name if name.startswith("sim:") else f"sim:{name}"
    engine = make_engine(load_config().database_url)
    total = len(draw_tickets(scenario, 0)) * len(scenario.arms)
    bar = tqdm(total=total, desc=f"storing {dataset}", unit="ticket", disable=None, file=sys.stderr)
    try:
        figures = store_arms(
            engine, scenario, dataset, params={"scenario": scenario.text}, on_tickets=bar.update
        )
    except DatasetNameError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        bar.close()
        engine.dispose()
    return {"dataset": dataset, "arms": figures}


@cli.command(
    "calibrate",
    help="Derive a scenario from an imported log (arrival profile, priority and category mix, "
    "service times per tier, hand-on probabilities, agents with skills, tier limits) and print "
    "it as YAML with comments saying where each figure came from; docs/simulation-model.md, "
    "'Calibration and replay'.",
)
@click.option("--dataset", required=True, help="An imported dataset (or live).")
@click.option(
    "--agents",
    type=click.IntRange(min=1, max=5000),
    default=None,
    help="Agents of the desk (default: the busiest actors of the log, at most 60).",
)
@click.option("--seed", type=click.IntRange(min=0), default=1, show_default=True)
@click.option(
    "--pilot-rounds",
    type=click.IntRange(min=0, max=10),
    default=2,
    show_default=True,
    help="Pilot runs of the tiered arm that correct the hand-on rules towards the log's "
    "handoff shares (0: the rules as read off the log).",
)
def calibrate_command(dataset: str, agents: int | None, seed: int, pilot_rounds: int) -> None:
    from swarm.db import make_engine
    from swarm.simulation.calibrate import CalibrationError, derive, refine, to_yaml
    from swarm.simulation.calibrate_db import read_calibration
    from swarm.simulation.scenario import ScenarioError, parse_scenario

    engine = make_engine(load_config().database_url)
    try:
        shape, actors = read_calibration(engine, dataset)
        doc, notes = derive(shape, dataset, actors, agents=agents, seed=seed)
    except CalibrationError as error:
        raise click.ClickException(str(error)) from None
    finally:
        engine.dispose()
    if pilot_rounds:
        target = [k / shape.tickets for k in shape.handoff_counts]
        history = refine(doc, target, pilot_rounds)
        notes["model"] += (
            f"; by_handoffs then corrected by {pilot_rounds} pilot runs of the tiered arm "
            "(shares 0/1/2/3+ per round: "
            + "; ".join(" / ".join(f"{x:.1%}" for x in h["shares"]) for h in history)
            + ", the log's: "
            + " / ".join(f"{x:.1%}" for x in target)
            + ")"
        )
    out = to_yaml(doc, notes)
    try:
        parse_scenario(out, f"calibrated-{dataset}.yaml")
    except ScenarioError as error:  # a derivation bug, never the user's
        raise click.ClickException(f"The derived scenario does not validate: {error}") from None
    click.echo(out, nl=False)


def openapi_document() -> dict[str, Any]:
    """The API's OpenAPI document, from an app on a throwaway in-memory database: it depends on
    the code alone, never on the settings or a database."""
    from swarm.app import create_app
    from swarm.config import Config

    app = create_app(Config(database_url="sqlite://", secret_key="openapi"))  # noqa: S106
    return dict(app.spec)


@cli.command("openapi", help="Print the API's OpenAPI document (JSON), or docs/api.md's list.")
@click.option("--markdown", is_flag=True, help="The endpoint list of docs/api.md, in Markdown.")
@click.option(
    "--write",
    "write_to",
    type=click.Path(dir_okay=False, path_type=str),
    help="With --markdown: replace the generated section of this file (docs/api.md).",
)
@click.option(
    "--check",
    "check",
    type=click.Path(exists=True, dir_okay=False, path_type=str),
    help="With --markdown: exit 1 if this file's generated section is not current.",
)
def openapi_command(markdown: bool, write_to: str | None, check: str | None) -> None:
    import json
    from pathlib import Path

    from swarm.api.markdown import StaleDocument, render, replace_section

    spec = openapi_document()
    if not markdown:
        if write_to or check:
            raise click.UsageError("--write and --check go with --markdown.")
        click.echo(json.dumps(spec, indent=2, sort_keys=True))
        return
    section = render(spec)
    for path in (p for p in (write_to, check) if p):
        text = Path(path).read_text(encoding="utf-8")
        try:
            updated = replace_section(text, section)
        except StaleDocument as error:
            raise click.ClickException(f"{path}: {error}") from None
        if path == check:
            if updated != text:
                raise click.ClickException(f"{path} is stale: run make docs")
            click.echo(f"{path} is current.")
        else:
            Path(path).write_text(updated, encoding="utf-8")
            click.echo(f"Wrote the endpoint list of {path}.")
    if not (write_to or check):
        click.echo(section)


def main() -> None:
    # The installed console script is `swarm`; from a checkout it is `python -m swarm`.
    installed = sys.argv[0].rsplit("/", 1)[-1] == "swarm"
    cli(prog_name="swarm" if installed else "python -m swarm")

"""Command line: ``python -m swarm serve | init-db | seed | create-user``.

Every command reads the database from SWARM_DATABASE_URL (SQLite in instance/ by default).
"""

from __future__ import annotations

import getpass
import sys

import click

from swarm.clock import SystemClock
from swarm.config import load_config


@click.group(help="Swarm: a support platform built on intelligent swarming.")
def cli() -> None:
    pass


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
            f"{summary.events} events."
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
            )
            session.commit()
            click.echo(f"Created {user.role} {user.email} (id {user.id}).")
    except DomainError as exc:
        details = "; ".join(f"{k}: {' '.join(v)}" for k, v in (exc.fields or {}).items())
        raise click.ClickException(f"{exc.message} {details}".strip()) from exc
    finally:
        engine.dispose()


@cli.command("serve", help="Serve the web app and the API.")
@click.option("--host", default=None, help="Address to listen on (SWARM_HOST, 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port (SWARM_PORT, 5000).")
@click.option(
    "--sweeper/--no-sweeper",
    default=True,
    show_default=True,
    help="Fire routing deadlines in this process (off when a separate sweeper runs).",
)
def serve(host: str | None, port: int | None, sweeper: bool) -> None:
    from swarm.app import create_app
    from swarm.dispatch.sweeper import start_sweeper_thread
    from swarm.realtime.keeper import start_presence_keeper
    from swarm.server import freeze_garbage, make_server

    # swarm/__main__.py has monkey-patched the standard library for gevent.
    config = load_config().with_overrides(async_mode="gevent")
    host = host or config.host
    port = port or config.port
    app = create_app(config)
    if sweeper:
        start_sweeper_thread(app.extensions["swarm"], config.sweep_seconds)
    # Every serving process: it beats for its own connections (see the keeper's docstring).
    start_presence_keeper(app, config.presence_seconds)
    server = make_server(app, host, port)
    freeze_garbage()
    click.echo(f"Swarm is serving on http://{host}:{port}  (Ctrl+C stops it)")
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("Stopped.")


@cli.command("sweeper", help="Fire routing deadlines every SWARM_SWEEP_SECONDS, until stopped.")
@click.option("--once", is_flag=True, help="Sweep once and exit (for cron or a test).")
def sweeper(once: bool) -> None:
    import logging
    import threading

    from swarm.app import create_app
    from swarm.dispatch.sweeper import run_sweeper, sweep_once

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    config = load_config()
    runtime = create_app(config).extensions["swarm"]
    if once:
        click.echo(f"Fired {sweep_once(runtime)} deadline(s).")
        return
    click.echo(f"Sweeping every {config.sweep_seconds:g} s (Ctrl+C stops it)")
    try:
        run_sweeper(runtime, config.sweep_seconds, threading.Event())
    except KeyboardInterrupt:
        click.echo("Sweeper stopped.")


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


def _display_url(url: str) -> str:
    """The database URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def main() -> None:
    cli(prog_name="python -m swarm")

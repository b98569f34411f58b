"""Command line: ``python -m swarm serve | init-db | seed | create-user | metrics | import-log``.

Every command reads the database from SWARM_DATABASE_URL (SQLite in instance/ by default).
"""

from __future__ import annotations

import getpass
import sys
from datetime import datetime
from typing import Any

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


def main() -> None:
    cli(prog_name="python -m swarm")

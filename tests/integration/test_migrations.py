"""Alembic owns the schema: migrations reach exactly the models, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

import swarm.models  # noqa: F401 - registers the tables
from swarm.db import Base, include_object, make_engine
from swarm.migrate import alembic_config, upgrade
from tests.integration.conftest import _reset_postgres


def assert_schema_matches_models(url: str) -> None:
    engine = make_engine(url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": include_object})
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"


def test_migrations_build_the_models_schema_on_sqlite(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url)
    assert_schema_matches_models(url)

    command.downgrade(alembic_config(url), "base")
    engine = make_engine(url)
    assert inspect(engine).get_table_names() == ["alembic_version"]
    engine.dispose()


def test_migrations_build_the_models_schema_on_postgres(pg_url: str):
    _reset_postgres(pg_url)
    upgrade(pg_url)
    assert_schema_matches_models(pg_url)
    command.downgrade(alembic_config(pg_url), "base")
    upgrade(pg_url)  # and back up again: downgrade really removed everything
    assert_schema_matches_models(pg_url)


def _history_at_0005(url: str) -> dict[str, int]:
    """A database at revision 0005 holding what looking used to write: one helper who only
    opened the page (stint, events, evidence that created a skill), one who came through an
    invitation, one who wrote in the swarm."""
    command.upgrade(alembic_config(url), "0005")
    engine = make_engine(url)
    t0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    later = t0 + timedelta(minutes=10)
    with engine.begin() as conn:

        def insert(table: str, **values: object) -> int:
            cols = ", ".join(values)
            marks = ", ".join(f":{k}" for k in values)
            row = conn.execute(
                text(f"INSERT INTO {table} ({cols}) VALUES ({marks}) RETURNING id"), values
            )
            return int(row.scalar_one())

        people = {
            name: insert(
                "users",
                email=f"{name}@example.org",
                name=name,
                role="agent" if name != "rita" else "requester",
                password_hash="x",
                active=True,
                created_at=t0,
            )
            for name in ("rita", "owner", "looker", "invited", "writer")
        }
        ticket = insert(
            "tickets",
            subject="VPN",
            body="drops",
            priority="P3",
            status="resolved",
            mode="swarm",
            requester_id=people["rita"],
            owner_id=people["owner"],
            created_at=t0,
            updated_at=later,
            tier_paused_seconds=0.0,
            version=1,
        )
        skill = insert("skills", name="VPN", description="", aliases="[]")
        for name in ("looker", "invited", "writer"):
            insert(
                "participations",
                ticket_id=ticket,
                user_id=people[name],
                role="helper",
                joined_at=t0,
                left_at=later,
            )
            data = {"agent_id": people[name]}
            if name == "invited":
                data["invitation_id"] = 1
            for kind, at in (("helper_joined", t0), ("helper_left", later)):
                insert(
                    "ticket_events",
                    ticket_id=ticket,
                    type=kind,
                    actor_id=people[name],
                    at=at,
                    data=json.dumps(data),
                    source="live",
                )
        insert(
            "messages",
            ticket_id=ticket,
            author_id=people["writer"],
            body="try MTU",
            kind="chat",
            created_at=t0 + timedelta(minutes=1),
        )
        conn.execute(
            text(
                "INSERT INTO agent_skills (user_id, skill_id, proficiency, wants_to_learn, "
                "evidence) VALUES (:u, :s, 1, false, 1)"
            ),
            {"u": people["looker"], "s": skill},
        )
        insert(
            "skill_growth",
            user_id=people["looker"],
            skill_id=skill,
            at=later,
            cause="evidence",
            proficiency_after=1,
            wants_to_learn=False,
            evidence=1,
            ticket_id=ticket,
        )
    engine.dispose()
    return {**people, "ticket": ticket, "skill": skill}


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_0006_removes_view_only_stints_their_events_and_their_evidence(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
):
    if backend == "postgres":
        url = request.getfixturevalue("pg_url")
        _reset_postgres(url)
    else:
        url = f"sqlite:///{tmp_path / 'h.db'}"
    ids = _history_at_0005(url)

    upgrade(url)

    engine = make_engine(url)
    with engine.connect() as conn:
        stints = sorted(conn.execute(text("SELECT user_id FROM participations")).scalars())
        movers = sorted(
            conn.execute(
                text("SELECT actor_id FROM ticket_events WHERE type LIKE 'helper_%'")
            ).scalars()
        )
        skills = conn.execute(text("SELECT count(*) FROM agent_skills")).scalar()
        growth = conn.execute(text("SELECT count(*) FROM skill_growth")).scalar()
    engine.dispose()
    kept = sorted([ids["invited"], ids["writer"]])
    assert stints == kept
    assert movers == sorted(kept * 2)  # each kept stint keeps its joined and left
    assert skills == 0 and growth == 0  # the skill looking created is gone with its growth


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_0014_fills_the_search_indexes_for_the_rows_already_there(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
):
    """Tickets and articles written before 0014 are found after it, and the indexes then
    follow new rows (triggers on SQLite, the generated column and the trigger on PostgreSQL)."""
    from swarm.clock import FakeClock
    from swarm.db import make_session_factory
    from swarm.knowledge.search import PUBLIC, STAFF, search
    from swarm.models import User
    from swarm.tickets.notify import NullNotifier
    from swarm.tickets.service import TicketService

    if backend == "postgres":
        url = request.getfixturevalue("pg_url")
        _reset_postgres(url)
    else:
        url = f"sqlite:///{tmp_path / 's.db'}"
    command.upgrade(alembic_config(url), "0012")
    engine = make_engine(url)
    t0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (email, name, role, active, created_at) VALUES "
                "('r@example.test', 'R', 'requester', true, :t), "
                "('a@example.test', 'A', 'agent', true, :t)"
            ),
            {"t": t0},
        )
        requester, agent = conn.execute(text("SELECT id FROM users ORDER BY id")).scalars()
        conn.execute(
            text(
                "INSERT INTO tickets (subject, body, priority, status, mode, requester_id, "
                "tier_paused_seconds, created_at, updated_at, version) VALUES "
                "('Printer jams', 'Tray B is stuck.', 'P3', 'new', 'swarm', :r, 0, :t, :t, 1)"
            ),
            {"r": requester, "t": t0},
        )
        conn.execute(
            text(
                "INSERT INTO articles (title, body, visibility, state, author_id, created_at, "
                "updated_at, version) VALUES "
                "('Clear a tray jam', 'Open tray B.', 'public', 'published', :a, :t, :t, 1), "
                "('Tray internals', 'Tray B springs.', 'internal', 'published', :a, :t, :t, 1)"
            ),
            {"a": agent, "t": t0},
        )
    engine.dispose()

    upgrade(url)

    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        staff, owner = session.get(User, agent), session.get(User, requester)
        assert staff is not None and owner is not None
        tickets = TicketService(session, FakeClock(t0), NullNotifier())
        assert [t.subject for t in tickets.list(staff, q="tray").items] == ["Printer jams"]
        assert [t.subject for t in tickets.list(owner, q="jam").items] == ["Printer jams"]
        assert len(search(session, "tray", PUBLIC)) == 1  # the scope came with the backfill
        assert len(search(session, "tray", STAFF)) == 2
        tickets.open_ticket(owner, subject="Scanner", body="The scanner feeds two sheets.")
        assert [t.subject for t in tickets.list(staff, q="sheets").items] == ["Scanner"]
    engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_0018_takes_the_rule_authors_name_off_the_replies_rules_posted(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
):
    """A canned reply stored under the rule's author before 0018 becomes the support team's
    (no author); a person's reply keeps its author; going back gives the rule's author back."""
    if backend == "postgres":
        url = request.getfixturevalue("pg_url")
        _reset_postgres(url)
    else:
        url = f"sqlite:///{tmp_path / 'r.db'}"
    command.upgrade(alembic_config(url), "0017")
    engine = make_engine(url)
    t0 = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (email, name, role, active, created_at) VALUES "
                "('r@example.test', 'R', 'requester', true, :t), "
                "('a@example.test', 'Ava', 'admin', true, :t)"
            ),
            {"t": t0},
        )
        requester, admin = conn.execute(text("SELECT id FROM users ORDER BY id")).scalars()
        conn.execute(
            text(
                "INSERT INTO tickets (subject, body, priority, status, mode, requester_id, "
                "tier_paused_seconds, created_at, updated_at, version) VALUES "
                "('Outage', 'Mail is down.', 'P3', 'new', 'swarm', :r, 0, :t, :t, 1)"
            ),
            {"r": requester, "t": t0},
        )
        ticket = conn.execute(text("SELECT id FROM tickets")).scalar_one()
        conn.execute(
            text(
                'INSERT INTO rules (name, enabled, "trigger", conditions, actions, created_by, '
                "created_at, updated_at, version) VALUES ('Outages', true, 'created', '{}', "
                "'[]', :a, :t, :t, 1)"
            ),
            {"a": admin, "t": t0},
        )
        rule = conn.execute(text("SELECT id FROM rules")).scalar_one()
        for body, author in (("We are on it.", admin), ("Thanks!", requester)):
            conn.execute(
                text(
                    "INSERT INTO messages (ticket_id, author_id, body, kind, created_at) "
                    "VALUES (:k, :a, :b, 'reply', :t)"
                ),
                {"k": ticket, "a": author, "b": body, "t": t0},
            )
        canned, thanks = conn.execute(text("SELECT id FROM messages ORDER BY id")).scalars()
        for message, data in (
            (canned, {"message_id": canned, "kind": "reply", "cause": {"rule_id": rule}}),
            (thanks, {"message_id": thanks, "kind": "reply"}),
        ):
            conn.execute(
                text(
                    "INSERT INTO ticket_events (ticket_id, type, actor_id, at, data, source) "
                    "VALUES (:k, 'message', :a, :t, :d, 'live')"
                ),
                {
                    "k": ticket,
                    "a": None if message == canned else requester,
                    "t": t0,
                    "d": json.dumps({**data, "cause": {**data["cause"], "run_id": 1}})
                    if "cause" in data
                    else json.dumps(data),
                },
            )
    engine.dispose()

    def authors() -> list[int | None]:
        engine = make_engine(url)
        with engine.connect() as conn:
            found = list(conn.execute(text("SELECT author_id FROM messages ORDER BY id")).scalars())
        engine.dispose()
        return found

    upgrade(url)
    assert authors() == [None, requester]
    command.downgrade(alembic_config(url), "0017")
    assert authors() == [admin, requester]


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_0021_indexes_the_text_of_the_markdown_bodies_already_there(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
):
    """An article written before 0021 gets its ``body_text`` (no Markdown markup), search finds
    its words and quotes them without markup, and edits after it keep the index in step."""
    from swarm.db import make_session_factory
    from swarm.knowledge.search import PUBLIC, search
    from swarm.models import Article

    if backend == "postgres":
        url = request.getfixturevalue("pg_url")
        _reset_postgres(url)
    else:
        url = f"sqlite:///{tmp_path / 's.db'}"
    command.upgrade(alembic_config(url), "0020")
    engine = make_engine(url)
    t0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (email, name, role, active, created_at) "
                "VALUES ('a@example.test', 'A', 'agent', true, :t)"
            ),
            {"t": t0},
        )
        conn.execute(
            text(
                "INSERT INTO articles (title, body, visibility, state, author_id, created_at, "
                "updated_at, version) VALUES ('Dock', :body, 'public', 'published', "
                "(SELECT id FROM users), :t, :t, 1)"
            ),
            {"body": "Restart the **laptop**, see [the guide](https://wiki.example/x).", "t": t0},
        )
    engine.dispose()

    upgrade(url)

    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        [hit] = search(session, "laptop", PUBLIC)
        article = session.get(Article, hit.article_id)
        assert article is not None
        assert article.body_text == "Restart the laptop, see the guide."
        assert "**" not in hit.snippet_html and "<mark>laptop</mark>" in hit.snippet_html
        assert search(session, "wiki", PUBLIC) == []
        article.body = "Reseat the *docking* cable."
        session.commit()
        assert search(session, "laptop", PUBLIC) == []
        [hit] = search(session, "docking", PUBLIC)
        assert "*" not in hit.snippet_html
    engine.dispose()
    command.downgrade(alembic_config(url), "0020")  # and back: the body is indexed again

"""Room messages stored in batches (group commit), on real PostgreSQL and a SQLite file.

The live rooms send through MessageWriter: concurrent sends are stored together in one
transaction. These tests hold it to what a single send promises — ids that increase in the order
the sends arrived, one stored row per client_id, each send's own error without harm to the
others, events published after commit in id order — and show that batches do form.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, update

from swarm.clock import SystemClock
from swarm.db import make_session_factory
from swarm.models import GuestPass, Message, TicketEvent, User
from swarm.tickets.errors import Conflict, Forbidden, NotFound
from swarm.tickets.guests import GuestService
from swarm.tickets.messages import MessageWriter, NewMessage, StoredMessage, Unauthenticated
from swarm.tickets.notify import RecordingNotifier
from swarm.tickets.service import TicketService
from tests.builders import make_agent, make_ticket, make_user


@pytest.fixture(params=["postgresql", "sqlite"])
def engine(request: pytest.FixtureRequest) -> Engine:
    name = "pg_engine" if request.param == "postgresql" else "sqlite_file_engine"
    eng: Engine = request.getfixturevalue(name)
    return eng


@pytest.fixture
def org(engine: Engine) -> dict[str, Any]:
    factory = make_session_factory(engine)
    clock = SystemClock()
    with factory() as session:
        requester = make_user(session, clock, name="Rita")
        stranger = make_user(session, clock, name="Stan")
        agent = make_agent(session, clock, name="Olga")
        service = TicketService(session, clock, RecordingNotifier())
        first = make_ticket(service, requester, subject="VPN down")
        second = make_ticket(service, requester, subject="Printer")
        return {
            "engine": engine,
            "factory": factory,
            "requester": requester.id,
            "stranger": stranger.id,
            "agent": agent.id,
            "tickets": (first.id, second.id),
        }


@pytest.fixture
def writer_for(org):
    """A MessageWriter on the org's engine; its own connection is given back afterwards."""
    made: list[MessageWriter] = []

    def make(notifier: Any, **kwargs: Any) -> MessageWriter:
        made.append(MessageWriter(org["engine"], SystemClock(), notifier, **kwargs))
        return made[-1]

    yield make
    for writer in made:
        writer.close()


class BlockingNotifier(RecordingNotifier):
    """Holds the first publish until released, so that sends pile up behind the leader."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = threading.Event()
        self.release = threading.Event()
        self.batches: list[int] = []

    def publish(self, events: Any) -> None:
        self.batches.append(len(events))
        self.entered.set()
        self.release.wait(timeout=30)
        super().publish(events)


def test_sends_that_pile_up_are_stored_in_one_batch_in_arrival_order(org, writer_for):
    notifier = BlockingNotifier()
    writer = writer_for(notifier)
    ticket, _ = org["tickets"]
    first = writer.submit(NewMessage(org["agent"], ticket, "first", "m-0"))
    results: dict[int, StoredMessage] = {}
    leader = threading.Thread(target=lambda: results.setdefault(0, writer.result(first)))
    leader.start()
    assert notifier.entered.wait(timeout=30)  # the leader stored m-0 and is publishing it

    # Meanwhile 20 sends queue up, in this order; one of them becomes the next leader.
    queued = [
        writer.submit(NewMessage(org["agent"], ticket, f"m{i}", f"m-{i}")) for i in range(1, 21)
    ]
    waiters = [
        threading.Thread(target=lambda i=i, w=w: results.setdefault(i, writer.result(w)))
        for i, w in enumerate(queued, start=1)
    ]
    for t in waiters:
        t.start()
    notifier.release.set()
    for t in [leader, *waiters]:
        t.join(timeout=30)

    assert notifier.batches == [1, 20]
    ids = [results[i].id for i in range(21)]
    assert ids == sorted(ids) and len(set(ids)) == 21
    assert [results[i].body for i in range(21)] == ["first"] + [f"m{i}" for i in range(1, 21)]
    # Published after commit, in id order, each naming the message before it.
    chain = [(e["message"]["id"], e["message"]["prev_id"]) for e in notifier.published]
    assert chain == list(zip(ids, [0, *ids[:-1]], strict=True))
    with org["factory"]() as session:
        stored = session.scalars(select(Message.id).order_by(Message.id)).all()
        events = session.scalar(
            select(func.count()).select_from(TicketEvent).where(TicketEvent.type == "message")
        )
    assert stored == ids and events == 21


def test_a_slow_publish_lets_one_batch_be_written_ahead_and_no_more(org, writer_for):
    """Writing runs ahead of publishing by one batch: with publishing stuck (a slow message
    queue), later sends wait in the queue, where they form one batch, instead of each being
    written and then waiting for its turn to publish (which once piled up without bound)."""
    notifier = BlockingNotifier()
    writer = writer_for(notifier)
    ticket, _ = org["tickets"]
    results: dict[int, StoredMessage] = {}

    def send_in_thread(index: int) -> threading.Thread:
        waiting = writer.submit(NewMessage(org["agent"], ticket, f"m{index}", f"m-{index}"))
        thread = threading.Thread(target=lambda: results.setdefault(index, writer.result(waiting)))
        thread.start()
        return thread

    def stored() -> int:
        with org["factory"]() as session:
            return int(session.scalar(select(func.count()).select_from(Message)) or 0)

    threads = [send_in_thread(0)]
    assert notifier.entered.wait(timeout=30)  # m-0 is stored and stuck in its publish
    threads.append(send_in_thread(1))  # written ahead while m-0 publishes
    deadline = time.monotonic() + 30
    while stored() < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    threads += [send_in_thread(i) for i in range(2, 6)]
    time.sleep(0.5)  # room for a writer that runs further ahead to show itself
    assert stored() == 2

    notifier.release.set()
    for thread in threads:
        thread.join(timeout=30)
    assert notifier.batches == [1, 1, 4]
    ids = [results[i].id for i in range(6)]
    assert ids == sorted(ids) and stored() == 6
    assert [e["message"]["id"] for e in notifier.published] == ids


def test_each_send_gets_its_own_answer_and_the_good_ones_are_stored(org, writer_for):
    notifier = RecordingNotifier()
    writer = writer_for(notifier)
    mine, other = org["tickets"]
    with org["factory"]() as session:
        session.get(User, org["stranger"]).active = False  # type: ignore[union-attr]
        session.commit()
    sends = [
        NewMessage(org["requester"], mine, "any news?", "r-1", "reply"),
        NewMessage(org["requester"], mine, "sneaky", "r-2", "chat"),  # requesters: replies only
        NewMessage(org["stranger"], mine, "hello", "s-1"),  # deactivated since connecting
        NewMessage(org["agent"], 999_999, "lost", "a-0"),  # no such ticket
        NewMessage(org["agent"], mine, "checking the VPN", "a-1"),
        NewMessage(org["agent"], mine, "checking the VPN", "a-1"),  # a retry in the same batch
        NewMessage(org["agent"], other, "wrong ticket", "a-1"),  # client_id used elsewhere
    ]
    # All queued before anyone writes, so they form one batch.
    waiting = [writer.submit(s) for s in sends]
    outcomes: list[Any] = []
    for w in waiting:
        try:
            outcomes.append(writer.result(w))
        except Exception as exc:
            outcomes.append(exc)

    kinds = [type(o).__name__ for o in outcomes]
    assert kinds == [
        "StoredMessage",
        "Forbidden",
        "Unauthenticated",
        "NotFound",
        "StoredMessage",
        "StoredMessage",
        "Conflict",
    ]
    assert isinstance(outcomes[1], Forbidden) and isinstance(outcomes[3], NotFound)
    assert isinstance(outcomes[2], Unauthenticated) and isinstance(outcomes[6], Conflict)
    assert outcomes[4].created and not outcomes[5].created and outcomes[5].id == outcomes[4].id
    assert [e["message"]["body"] for e in notifier.published] == ["any news?", "checking the VPN"]
    with org["factory"]() as session:
        bodies = session.scalars(select(Message.body).order_by(Message.id)).all()
    assert bodies == ["any news?", "checking the VPN"]

    # A later retry of a stored client_id stores nothing and publishes nothing.
    again = writer.send(NewMessage(org["agent"], mine, "checking the VPN", "a-1"))
    assert not again.created and again.id == outcomes[4].id and len(notifier.published) == 2


def test_a_poison_send_fails_alone_and_the_rest_of_its_batch_is_stored(org, writer_for):
    """A send the database cannot take (a NUL in the body on PostgreSQL, a value no driver
    can bind) broke the whole batch: every send of it heard the exception. Now it fails
    alone; the others are committed in their order, acknowledged and published."""
    notifier = RecordingNotifier()
    writer = writer_for(notifier)
    mine, _ = org["tickets"]
    poison = "nul \x00 byte" if org["engine"].dialect.name == "postgresql" else object()
    sends = [
        NewMessage(org["agent"], mine, "first", "p-1"),
        NewMessage(org["agent"], mine, poison, "p-2"),  # type: ignore[arg-type]
        NewMessage(org["agent"], mine, "third", "p-3"),
    ]
    waiting = [writer.submit(s) for s in sends]  # queued before anyone writes: one batch
    outcomes: list[Any] = []
    for w in waiting:
        try:
            outcomes.append(writer.result(w))
        except Exception as exc:
            outcomes.append(exc)

    assert isinstance(outcomes[0], StoredMessage) and isinstance(outcomes[2], StoredMessage)
    assert not isinstance(outcomes[1], StoredMessage)
    assert outcomes[0].id < outcomes[2].id
    chain = [(e["message"]["body"], e["message"]["prev_id"]) for e in notifier.published]
    assert chain == [("first", 0), ("third", outcomes[0].id)]
    with org["factory"]() as session:
        bodies = session.scalars(select(Message.body).order_by(Message.id)).all()
    assert bodies == ["first", "third"]
    # The writer goes on: the next send is stored as usual.
    assert writer.send(NewMessage(org["agent"], mine, "fourth", "p-4")).created


def test_a_guest_writes_chat_in_the_room_of_their_pass_only_while_it_is_valid(org, writer_for):
    clock = SystemClock()
    mine, other = org["tickets"]
    with org["factory"]() as session:
        agent = session.get(User, org["agent"])
        granted, _link = GuestService(session, clock, RecordingNotifier()).invite_guest(
            agent, mine, "Sam Vendor", hours=1
        )
        guest_id, pass_id = granted.user_id, granted.id
    writer = writer_for(RecordingNotifier())

    stored = writer.send(NewMessage(guest_id, mine, "Firmware 9.2 fixes it", "g-1"))
    assert stored.body == "Firmware 9.2 fixes it" and stored.author["name"] == "Sam Vendor (guest)"
    with pytest.raises(NotFound):
        writer.send(NewMessage(guest_id, other, "Anything here?", "g-2"))
    with pytest.raises(Forbidden):
        writer.send(NewMessage(guest_id, mine, "internal", "g-3", "note"))

    with org["factory"]() as session:  # the pass runs out
        session.execute(
            update(GuestPass)
            .where(GuestPass.id == pass_id)
            .values(expires_at=clock.now() - timedelta(seconds=1))
        )
        session.commit()
    with pytest.raises(NotFound):
        writer.send(NewMessage(guest_id, mine, "Still there?", "g-4"))


def test_a_stranger_cannot_write_to_someone_elses_ticket(org, writer_for):
    writer = writer_for(RecordingNotifier())
    with pytest.raises(NotFound, match="There is no ticket"):
        writer.send(NewMessage(org["stranger"], org["tickets"][0], "hi", "x-1"))


def test_many_threads_sending_at_once_lose_and_duplicate_nothing(org, writer_for):
    notifier = RecordingNotifier()
    writer = writer_for(notifier, max_batch=7)
    ticket, _ = org["tickets"]
    per_thread, threads_n = 15, 8
    results: list[list[int]] = [[] for _ in range(threads_n)]
    start = threading.Barrier(threads_n)

    def run(n: int) -> None:
        start.wait()
        for i in range(per_thread):
            results[n].append(
                writer.send(NewMessage(org["agent"], ticket, f"{n}/{i}", f"{n}-{i}")).id
            )

    threads = [threading.Thread(target=run, args=(n,)) for n in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    every = sorted(i for r in results for i in r)
    assert len(every) == len(set(every)) == per_thread * threads_n
    for r in results:  # each sender's messages in the order it sent them
        assert r == sorted(r)
    published = [e["message"]["id"] for e in notifier.published]
    assert published == every  # one event each, and the room hears them in id order
    with org["factory"]() as session:
        assert session.scalars(select(Message.id).order_by(Message.id)).all() == every


def _hold_in_other_transaction(factory, statements):
    """Run ``statements(session)`` in a transaction left open; returns the session."""
    session = factory()
    statements(session)
    session.flush()
    return session


def _wait_for_lock_waiters(engine: Engine, count: int = 1) -> None:
    """Until ``count`` backends wait for a lock (the writer's statement is blocked)."""
    import time

    from sqlalchemy import text

    deadline = time.monotonic() + 10
    with engine.connect() as conn:
        while time.monotonic() < deadline:
            waiting = conn.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
            ).scalar_one()
            if waiting >= count:
                return
            conn.rollback()
            time.sleep(0.02)
    raise AssertionError("the writer never waited for the lock")


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_a_message_committed_while_the_batch_waited_for_the_ticket_is_its_prev(org, writer_for):
    """Another process stored a message on the ticket while the batch waited for its lock: the
    batch's snapshot did not see it, so the batch runs again and names it as prev_id."""
    from swarm.models import Ticket

    notifier = RecordingNotifier()
    writer = writer_for(notifier)
    ticket, _ = org["tickets"]
    now = SystemClock().now()

    def other(session):
        session.execute(select(Ticket.id).where(Ticket.id == ticket).with_for_update())
        session.add(
            Message(
                ticket_id=ticket,
                author_id=org["agent"],
                body="from process B",
                kind="chat",
                client_id="b-1",
                created_at=now,
            )
        )
        session.execute(update(Ticket).where(Ticket.id == ticket).values(updated_at=now))

    holder = _hold_in_other_transaction(org["factory"], other)
    results: list[StoredMessage] = []
    sender = threading.Thread(
        target=lambda: results.append(
            writer.send(NewMessage(org["agent"], ticket, "from process A", "a-1"))
        )
    )
    sender.start()
    _wait_for_lock_waiters(org["engine"])
    other_id = holder.scalar(select(Message.id).where(Message.client_id == "b-1"))
    holder.commit()
    holder.close()
    sender.join(timeout=30)

    [mine] = results
    assert mine.id > other_id
    [event] = notifier.published
    assert event["message"]["prev_id"] == other_id


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_a_client_id_stored_by_another_transaction_meanwhile_is_a_repeat(org, writer_for):
    """The same send on two connections at once: the one that commits first stores it, the
    other returns that message and stores and publishes nothing."""
    notifier = RecordingNotifier()
    writer = writer_for(notifier)
    ticket, _ = org["tickets"]
    now = SystemClock().now()

    holder = _hold_in_other_transaction(
        org["factory"],
        lambda session: session.add(
            Message(
                ticket_id=ticket,
                author_id=org["agent"],
                body="twice",
                kind="chat",
                client_id="same",
                created_at=now,
            )
        ),
    )
    results: list[StoredMessage] = []
    sender = threading.Thread(
        target=lambda: results.append(
            writer.send(NewMessage(org["agent"], ticket, "twice", "same"))
        )
    )
    sender.start()
    _wait_for_lock_waiters(org["engine"])  # the insert waits to learn whether "same" is taken
    first = holder.scalar(select(Message.id).where(Message.client_id == "same"))
    holder.commit()
    holder.close()
    sender.join(timeout=30)

    [again] = results
    assert again.id == first and not again.created
    assert notifier.published == []
    with org["factory"]() as session:
        assert session.scalar(select(func.count()).select_from(Message)) == 1


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_the_writers_plan_made_on_empty_tables_looks_rows_up_by_key(engine):
    """The writer keeps one generic plan for its statement. Made from the statistics of a new
    installation's empty tables, an unguarded plan scans messages, tickets and users whole —
    a cost that grows with every message stored. Under the writer's settings it uses indexes."""
    import re

    from swarm.tickets.messages import _PG_STORE, _WRITER_SETTINGS

    names: list[str] = []

    def placeholder(match: re.Match[str]) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    statement = re.sub(r"%\((\w+)\)s", placeholder, _PG_STORE)
    values = {
        "ticket": "'{1}'::int[]",
        "author": "'{1}'::int[]",
        "body": "'{hi}'::text[]",
        "kind": "'{chat}'::text[]",
        "client": "'{c}'::text[]",
        "now": "now()",
        "source": "'live'",
    }
    raw = engine.raw_connection()
    try:
        driver = raw.driver_connection
        driver.autocommit = True
        scanned: dict[bool, set[str]] = {}
        for guarded in (False, True):
            driver.execute("RESET ALL")
            driver.execute("SET plan_cache_mode = force_generic_plan")
            if guarded:
                for setting in _WRITER_SETTINGS:
                    driver.execute(setting)
            driver.execute("DEALLOCATE ALL")
            driver.execute(f"PREPARE store AS {statement}")
            args = ", ".join(values[n] for n in names)
            plan = "\n".join(r[0] for r in driver.execute(f"EXPLAIN EXECUTE store({args})"))
            scanned[guarded] = set(re.findall(r"Seq Scan on (\w+)", plan))
    finally:
        raw.close()

    assert {"messages", "tickets", "users"} <= scanned[False]  # the trap is real
    assert scanned[True] == set()


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_no_step_of_the_writers_statement_runs_more_than_once_per_send(engine, org):
    """A batch of n sends costs n lookups, not n × n: with hash joins ruled out, a lookup
    joined in at the end once ran for every (send, ticket) pair — 10,000 index scans for a
    batch of 100, 80 ms instead of 13."""
    import json
    import uuid
    from datetime import UTC, datetime

    from swarm.tickets.messages import _PG_STORE, _WRITER_SETTINGS

    n = 40
    with org["factory"]() as session:
        service = TicketService(session, SystemClock(), RecordingNotifier())
        requester = session.get(User, org["requester"])
        tickets = [make_ticket(service, requester, subject=f"T{i}").id for i in range(n)]
    raw = engine.raw_connection()
    try:
        driver = raw.driver_connection
        for setting in _WRITER_SETTINGS:
            driver.execute(setting)
        params = {
            "ticket": tickets,
            "author": [org["agent"]] * n,
            "body": ["hi"] * n,
            "kind": ["chat"] * n,
            "client": [uuid.uuid4().hex for _ in range(n)],
            "now": datetime.now(UTC),
            "source": "live",
        }
        [[plan]] = driver.execute(
            "EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) " + _PG_STORE, params
        ).fetchall()
        driver.rollback()
    finally:
        raw.close()

    def loops(node: dict[str, Any]) -> list[tuple[int, str]]:
        found = [(node.get("Actual Loops", 0), node["Node Type"])]
        for child in node.get("Plans", []):
            found += loops(child)
        return found

    plan = plan[0] if isinstance(plan, list) else json.loads(plan)[0]
    worst = max(loops(plan["Plan"]))
    assert worst[0] <= n, worst


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_a_connection_the_database_dropped_is_replaced_and_the_send_goes_through(org, writer_for):
    from sqlalchemy import text

    notifier = RecordingNotifier()
    writer = writer_for(notifier)
    ticket, _ = org["tickets"]
    first = writer.send(NewMessage(org["agent"], ticket, "before", "d-1"))
    pid = writer._raw.driver_connection.info.backend_pid
    with org["engine"].connect() as conn:  # what a database restart does to the connection
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
        conn.commit()

    second = writer.send(NewMessage(org["agent"], ticket, "after", "d-2"))

    assert second.created and second.id > first.id
    assert writer._raw.driver_connection.info.backend_pid != pid
    assert [e["message"]["body"] for e in notifier.published] == ["before", "after"]


def test_mentions_and_replies_notify_in_the_batch_transaction_and_after_commit(org, writer_for):
    """Plain chat keeps the one-statement road; a reply or an @name takes the session's, and
    its notifications are committed with the message and delivered live only after."""
    from swarm.models import Notification
    from swarm.notifications.capture import LIVE

    factory = make_session_factory(org["engine"])
    delivered: list[dict[str, Any]] = []
    factory.kw["info"][LIVE] = delivered.extend
    with factory() as session:
        bob = make_agent(session, SystemClock(), name="Bob Builder")
    writer = writer_for(RecordingNotifier(), sessions=factory)
    first, _ = org["tickets"]
    olga = org["agent"]
    sends = [
        NewMessage(olga, first, "nothing to see", "n1", "chat"),
        NewMessage(olga, first, "@bob have a look", "n2", "chat"),
        NewMessage(olga, first, "We are on it.", "n3", "reply"),
    ]
    for send in sends:
        assert writer.send(send).created
    with factory() as session:
        rows = session.execute(
            select(Notification.recipient_id, Notification.kind).order_by(Notification.id)
        ).all()
    assert [tuple(r) for r in rows] == [
        (bob.id, "mentioned"),
        (org["requester"], "requester_answered"),
    ]
    assert [(d["recipient_id"], d["kind"]) for d in delivered] == [tuple(r) for r in rows]

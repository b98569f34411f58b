"""Every Socket.IO event of the app's event table, with malformed payloads (issue 16, item 6):
the acknowledgement is always ``{"ok": …}`` with, on a refusal, one of the error codes that
docs/realtime.md documents — never ``internal`` — and the connection stays usable.

The events are read from the Socket.IO server's handler table, so a new event is fuzzed without a
line here; its well-formed payload, which the mutations start from, is the one the authorization
matrix (tests/api/test_authz_matrix.py) already requires for every event.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from tests.api.test_authz_matrix import EVENTS, events_of

# docs/realtime.md, "Acknowledgements"; ``internal`` is left out on purpose: it is a fault.
DOCUMENTED = {
    "invalid",
    "unauthenticated",
    "not_found",
    "forbidden",
    "illegal_transition",
    "conflict",
    "too_large",
    "rate_limited",
    "not_joined",
}
HUGE = 2**64 + 1


def nested(depth: int) -> Any:
    value: Any = 1
    for level in range(depth):
        value = [value] if level % 2 else {"a": value}
    return value


# Whole payloads that are not the object an event takes.
WHOLE: list[Any] = [None, [], [{}], "ticket", 7, True, 1.5, "\ud800", {}, nested(200)]
# Values put in place of each field of a well-formed payload, and beside them.
VALUES: list[Any] = [
    None,
    "7",
    "",
    1.5,
    0,
    -1,
    HUGE,
    -HUGE,
    True,
    [],
    [1, 2],
    {},
    {"$gt": 0},
    "\ud800",
    "nul \x00",
    "x" * 100_000,
    nested(100),
]


def mutations(payload: dict[str, Any]) -> Iterator[Any]:
    yield from WHOLE
    for name in payload:
        for value in VALUES:
            yield {**payload, name: value}
        rest = {k: v for k, v in payload.items() if k != name}
        yield rest  # the field missing
    yield {**payload, "unknown": 1}
    yield {**payload, "\udc00": 1}
    yield [payload]


def well_formed(name: str, ids: dict[str, Any]) -> dict[str, Any]:
    body = EVENTS[name].body or {}
    return {
        k: ids[v[1:]] if isinstance(v, str) and v.startswith("@") else v for k, v in body.items()
    }


def in_protocol(ack: Any) -> bool:
    if not isinstance(ack, dict) or not isinstance(ack.get("ok"), bool):
        return False
    return bool(ack["ok"]) or (ack.get("error") or {}).get("code") in DOCUMENTED


@pytest.fixture
def ids(claimed_ticket, manager, db, clock) -> dict[str, Any]:
    from tests.builders import make_agent

    ticket = claimed_ticket("VPN drops", "Every few minutes")
    helper = make_agent(db, clock, name="Hal Helper")
    return {
        "ticket_id": ticket["id"],
        "manager_id": manager.id,
        "helper_id": helper.id,
        "invitation_id": 1,
    }


@pytest.mark.app_config(socket_rate=1_000_000.0, socket_burst=1_000_000.0)
@pytest.mark.parametrize("role", ["agent", "requester"])
def test_malformed_payloads_get_documented_codes_and_the_connection_lives(
    app: Flask, connect, agent, requester, ids, role
) -> None:
    client = connect(agent if role == "agent" else requester)
    assert client.is_connected()
    join = {"ticket_id": ids["ticket_id"]}
    names = sorted(events_of(app))
    assert {"join_ticket", "send_message"} <= set(names)
    wrong: list[tuple[str, Any, Any]] = []
    for name in names:
        for payload in mutations(well_formed(name, ids)):
            ack = client.emit(name, payload, callback=True)
            if not in_protocol(ack):
                wrong.append((name, payload, ack))
        # Two payloads where one is taken.
        extra = client.emit(name, {}, {}, callback=True)
        if not isinstance(extra, dict) or extra.get("error", {}).get("code") != "invalid":
            wrong.append((name, "two payloads", extra))
        assert client.is_connected(), name
        rejoined = client.emit("join_ticket", join, callback=True)
        assert rejoined["ok"], (name, rejoined)
    shown = [(n, repr(p)[:120], a) for n, p, a in wrong]
    assert not wrong, f"{len(wrong)} answers outside the protocol:\n" + "\n".join(map(str, shown))

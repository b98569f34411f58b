"""docs/events.md names every event type of swarm/events.py, and calls "reserved" only the
types that no live code writes."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from swarm.events import EventType

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "events.md").read_text(encoding="utf-8")
#: Code that writes other datasets than the live one, or only reads events.
NOT_LIVE = ("events.py", "simulation/", "demo/", "metrics/")


def _written_live() -> set[str]:
    """The EventType members that live code (swarm/ less NOT_LIVE) refers to."""
    found: set[str] = set()
    for path in (ROOT / "swarm").rglob("*.py"):
        relative = path.relative_to(ROOT / "swarm").as_posix()
        if relative.startswith(NOT_LIVE):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "EventType"
            ):
                found.add(EventType[node.attr].value)
    return found


def _reserved() -> set[str]:
    """The types docs/events.md calls reserved (none once every type is written live)."""
    if "Reserved:" not in DOC:
        return set()
    section = DOC.split("Reserved:", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"`([a-z_]+)`", section.split("| type | data |", 1)[1]))


def test_every_event_type_is_documented() -> None:
    missing = [t.value for t in EventType if f"`{t.value}`" not in DOC]
    assert missing == []


def test_reserved_means_no_live_code_writes_it_and_the_rest_is_written() -> None:
    reserved = _reserved() & {t.value for t in EventType}
    assert reserved & _written_live() == set(), "written by live code, yet called reserved"
    # A type neither written live nor called reserved would be documented as if it were.
    unwritten = {t.value for t in EventType} - _written_live() - reserved
    assert unwritten == set(), "not written by live code: call it reserved in docs/events.md"

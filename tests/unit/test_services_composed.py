"""Services share plumbing by composition (docs/architecture.md, "Rules the code keeps"): no
service subclasses another, and no module reaches into another object's private members —
the unit of work (swarm/tickets/unit.py) is the public home of the transaction, the row lock,
the event recorder and publish-after-commit."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from swarm.dispatch.tiered import TieredService
from swarm.tickets.guests import GuestService
from swarm.tickets.rooms import RoomService
from swarm.tickets.service import TicketService

SERVICES = Path(__file__).resolve().parents[2] / "swarm"
#: The service packages: their modules touch only their own objects' private members.
PACKAGES = ("tickets", "dispatch", "automation", "mail", "knowledge", "accounts", "outbox")


@pytest.mark.parametrize("service", [RoomService, GuestService, TieredService])
def test_a_service_holds_a_unit_of_work_instead_of_subclassing(service: type) -> None:
    assert not issubclass(service, TicketService)
    assert "unit" in service.__init__.__code__.co_names


def _foreign_private_uses(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Attribute):
            continue
        name = node.attr
        if not name.startswith("_") or name.startswith("__"):
            continue
        owner = node.value
        if isinstance(owner, ast.Name) and owner.id in ("self", "cls"):
            continue
        found.append(f"{path.relative_to(SERVICES.parent)}:{node.lineno}: .{name}")
    return found


def test_no_service_module_calls_another_objects_private_members() -> None:
    found = [
        use
        for package in PACKAGES
        for path in sorted((SERVICES / package).rglob("*.py"))
        for use in _foreign_private_uses(path)
    ]
    assert found == []

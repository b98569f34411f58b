"""Tier queues as agents pull from them: "next ticket" is the most urgent, then the oldest.

Priority first, because a P1 waiting behind a week-old P4 is what tiered desks are criticised for;
age second, so that within a priority nobody is starved; the ticket id last, so that ties (two
tickets from one import, same second) still have one order in the live service and the simulator.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from swarm.routing import Priority

__all__ = ["QueuedTicket", "next_ticket", "pull_order"]


@dataclass(frozen=True)
class QueuedTicket:
    """A ticket waiting in a tier queue.

    Parameters
    ----------
    id : int
    priority : {"P1", "P2", "P3", "P4"}
    waiting_since : datetime
        The age that counts: the driver passes when the ticket was opened, so an escalated
        ticket keeps its age in the next tier rather than going to the back of the line.
    excluded_agents : frozenset of int
        Agents who declined or released it; they do not get it from "next ticket".
    """

    id: int
    priority: Priority
    waiting_since: datetime
    excluded_agents: frozenset[int] = frozenset()


def pull_order(queue: Iterable[QueuedTicket]) -> list[QueuedTicket]:
    """The queue in the order "next ticket" serves it.

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> t = datetime(2025, 1, 1, tzinfo=UTC)
    >>> q = [QueuedTicket(1, "P4", t), QueuedTicket(2, "P2", t.replace(hour=5)),
    ...      QueuedTicket(3, "P2", t.replace(hour=1))]
    >>> [ticket.id for ticket in pull_order(q)]
    [3, 2, 1]
    """
    # "P1" < "P2" < … sorts as strings, which is the urgency order.
    return sorted(queue, key=lambda t: (t.priority, t.waiting_since, t.id))


def next_ticket(queue: Iterable[QueuedTicket], agent_id: int) -> QueuedTicket | None:
    """The ticket ``agent_id`` gets from "next ticket", or ``None`` when nothing is for them."""
    for ticket in pull_order(queue):
        if agent_id not in ticket.excluded_agents:
            return ticket
    return None

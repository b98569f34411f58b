"""Pulling from a tier queue: most urgent first, then the oldest."""

from swarm.tiers.queue import QueuedTicket, next_ticket, pull_order
from tests.unit.tiers.tiers_builders import MINUTE, NOW


def test_pull_order_is_priority_then_age_then_id():
    queue = [
        QueuedTicket(5, "P3", NOW),
        QueuedTicket(4, "P3", NOW),
        QueuedTicket(3, "P1", NOW + 30 * MINUTE),
        QueuedTicket(2, "P3", NOW - MINUTE),
        QueuedTicket(1, "P4", NOW - 600 * MINUTE),
    ]
    assert [t.id for t in pull_order(queue)] == [3, 2, 4, 5, 1]


def test_next_ticket_skips_tickets_the_agent_declined_or_released():
    queue = [QueuedTicket(1, "P1", NOW, frozenset({7})), QueuedTicket(2, "P2", NOW)]
    assert next_ticket(queue, 7).id == 2
    assert next_ticket(queue, 8).id == 1
    assert next_ticket([], 8) is None

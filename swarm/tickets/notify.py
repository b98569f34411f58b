"""Where committed events go next. The realtime layer plugs a Socket.IO notifier in here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

EventPayload = dict[str, Any]


class Notifier(Protocol):
    def publish(self, events: Sequence[EventPayload]) -> None:
        """Deliver events that are already committed; must not raise into the caller."""


class NullNotifier:
    """For processes with no live listeners (the CLI, the seeder, tests of pure logic)."""

    def publish(self, events: Sequence[EventPayload]) -> None:
        return None


class RecordingNotifier:
    """Keeps what was published, so that tests can assert the exact events."""

    def __init__(self) -> None:
        self.published: list[EventPayload] = []

    def publish(self, events: Sequence[EventPayload]) -> None:
        self.published.extend(events)

    @property
    def types(self) -> list[str]:
        return [event["type"] for event in self.published]

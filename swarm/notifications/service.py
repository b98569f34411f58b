"""Reading one's notifications, marking them read, and choosing what one is told of.

Each person sees only their own: another's notification is :class:`NotFound`, as if it did
not exist. Writes are the reader's own rows (``read_at``) and preferences; nothing here
writes ticket events — reading a notification is not something done to a ticket.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, aliased

from swarm.clock import Clock
from swarm.db import begin_write
from swarm.models import (
    Notification,
    NotificationPreference,
    NotificationSchedule,
    Ticket,
    User,
)
from swarm.notifications.kinds import LABELS, describe, kinds_for
from swarm.phrases import N_
from swarm.tickets.errors import Forbidden, Invalid, NotFound

#: What a refused field of the preferences says beside it (the pages translate them).
HH_MM = N_("HH:MM.")
START_AND_END = N_("A start and an end, HH:MM.")
IANA_NAME = N_("An IANA name.")


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next: int | None
    unread: int


def parse_clock_time(value: str | None, field: str) -> int | None:
    """``"22:30"`` → 1350 (minutes after midnight); empty → None."""
    if value is None or value == "":
        return None
    hours, colon, minutes = value.partition(":")
    if (
        colon
        and len(hours) == 2
        and len(minutes) == 2
        and hours.isascii()
        and minutes.isascii()
        and hours.isdigit()
        and minutes.isdigit()
        and int(hours) < 24
        and int(minutes) < 60
    ):
        return int(hours) * 60 + int(minutes)
    raise Invalid("A time is HH:MM (00:00 to 23:59).", fields={field: [HH_MM]})


def clock_time(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def quiet_hours(schedule: NotificationSchedule | None) -> dict[str, str] | None:
    if schedule is None or schedule.quiet_start is None or schedule.quiet_end is None:
        return None
    return {"start": clock_time(schedule.quiet_start), "end": clock_time(schedule.quiet_end)}


class NotificationService:
    """One person's notifications and choices; ``mail``: whether this site sends mail."""

    def __init__(self, session: Session, clock: Clock, mail: bool) -> None:
        self.session = session
        self.clock = clock
        self.mail = mail

    # ------------------------------------------------------------------ reading

    def page(
        self, person: User, before: int | None = None, limit: int = 50, unread_only: bool = False
    ) -> Page:
        """The person's notifications, newest first, ``limit`` at most, older than ``before``
        (the ``next`` of the previous page)."""
        actor = aliased(User)
        query = (
            select(Notification, Ticket.subject, actor.name)
            .join(Ticket, Ticket.id == Notification.ticket_id)
            .outerjoin(actor, actor.id == Notification.actor_id)
            .where(Notification.recipient_id == person.id)
            .order_by(Notification.id.desc())
            .limit(limit + 1)
        )
        if before is not None:
            query = query.where(Notification.id < before)
        if unread_only:
            query = query.where(Notification.read_at.is_(None))
        rows = self.session.execute(query).all()
        items = [self._item(*row) for row in rows[:limit]]
        more = len(rows) > limit
        return Page(items, items[-1]["id"] if more else None, self.unread(person))

    def unread(self, person: User) -> int:
        return (
            self.session.scalar(
                select(func.count())
                .select_from(Notification)
                .where(Notification.recipient_id == person.id, Notification.read_at.is_(None))
            )
            or 0
        )

    @staticmethod
    def _item(note: Notification, subject: str, actor: str | None) -> dict[str, Any]:
        return {
            "id": note.id,
            "kind": note.kind,
            "text": describe(note.kind, actor, note.ticket_id),
            "ticket": {"id": note.ticket_id, "subject": subject},
            "actor": None if note.actor_id is None else {"id": note.actor_id, "name": actor},
            "at": note.created_at,
            "read_at": note.read_at,
            "email": note.email,
        }

    # ------------------------------------------------------------------ marking read

    def mark_read(self, person: User, notification_id: int) -> dict[str, Any]:
        """Marks one of the person's notifications read (again: unchanged)."""
        begin_write(self.session)
        note = self.session.get(Notification, notification_id)
        if note is None or note.recipient_id != person.id:
            raise NotFound(f"There is no notification {notification_id}.")
        if note.read_at is None:
            note.read_at = self.clock.now()
        ticket = self.session.get(Ticket, note.ticket_id)
        actor = self.session.get(User, note.actor_id) if note.actor_id else None
        self.session.commit()
        return self._item(note, ticket.subject if ticket else "", actor.name if actor else None)

    def mark_all_read(self, person: User) -> int:
        """Marks every unread notification of the person read; returns how many."""
        begin_write(self.session)
        result = self.session.execute(
            update(Notification)
            .where(Notification.recipient_id == person.id, Notification.read_at.is_(None))
            .values(read_at=self.clock.now())
        )
        self.session.commit()
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    # ------------------------------------------------------------------ preferences

    def preferences(self, person: User) -> dict[str, Any]:
        """Per kind the person may hear of: ``in_app`` and ``email``; quiet hours, time zone
        and digests; and whether this site sends mail at all (``email_available``)."""
        chosen = {
            row.kind: row
            for row in self.session.scalars(
                select(NotificationPreference).where(NotificationPreference.user_id == person.id)
            )
        }
        schedule = self.session.get(NotificationSchedule, person.id)
        zone = (
            schedule.timezone
            if schedule
            else (person.profile.timezone if person.profile else "UTC")
        )
        return {
            "email_available": self.mail,
            "kinds": [
                {
                    "kind": kind,
                    "label": LABELS[kind],  # type: ignore[index]
                    "in_app": chosen[kind].in_app if kind in chosen else True,
                    "email": chosen[kind].email if kind in chosen else True,
                }
                for kind in kinds_for(person.is_staff)
            ],
            "quiet_hours": quiet_hours(schedule),
            "timezone": zone,
            "digest": schedule.digest if schedule else True,
        }

    def set_preferences(self, person: User, data: dict[str, Any]) -> dict[str, Any]:
        """Replaces what ``data`` names: ``kinds`` (a list of ``{kind, in_app, email}``),
        ``quiet_start``/``quiet_end`` (HH:MM, both or neither), ``timezone``, ``digest``."""
        allowed = set(kinds_for(person.is_staff))
        kinds = data.get("kinds", [])
        unknown = sorted({k["kind"] for k in kinds} - allowed)
        if unknown:
            raise Forbidden(
                f"Only staff are told of: {', '.join(unknown)}.",
                fields={"kinds": [f"One of {', '.join(sorted(allowed))}."]},
            )
        begin_write(self.session)
        schedule = self.session.get(NotificationSchedule, person.id)
        if schedule is None:
            schedule = NotificationSchedule(
                user_id=person.id,
                timezone=person.profile.timezone if person.profile else "UTC",
                digest=True,
            )
            self.session.add(schedule)
        if "quiet_hours" in data:
            quiet = data["quiet_hours"]
            if quiet is None:
                schedule.quiet_start = schedule.quiet_end = None
            else:
                schedule.quiet_start = parse_clock_time(quiet.get("start"), "quiet_hours.start")
                schedule.quiet_end = parse_clock_time(quiet.get("end"), "quiet_hours.end")
                if schedule.quiet_start is None or schedule.quiet_end is None:
                    raise Invalid(
                        "Quiet hours need a start and an end (or neither).",
                        fields={"quiet_hours": [START_AND_END]},
                    )
        if "timezone" in data:
            schedule.timezone = check_timezone(data["timezone"])
        if "digest" in data:
            schedule.digest = bool(data["digest"])
        for choice in kinds:
            row = self.session.get(NotificationPreference, (person.id, choice["kind"]))
            if row is None:
                row = NotificationPreference(user_id=person.id, kind=choice["kind"])
                self.session.add(row)
            row.in_app = bool(choice.get("in_app", row.in_app if row.in_app is not None else True))
            row.email = bool(choice.get("email", row.email if row.email is not None else True))
        self.session.commit()
        return self.preferences(person)


@cache
def zones() -> frozenset[str]:
    """The IANA time zones this machine knows (the ones a person may choose)."""
    return frozenset(available_timezones() | {"UTC"})


def check_timezone(name: str) -> str:
    if name in zones():
        try:
            ZoneInfo(name)
            return name
        except (ZoneInfoNotFoundError, ValueError):
            pass
    raise Invalid(f"Unknown time zone {name[:64]!r}.", fields={"timezone": [IANA_NAME]})

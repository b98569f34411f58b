"""Who is told of a ticket event, and as which kind of notification (pure: no Flask, no ORM).

The rules, one per kind (docs/notifications.md):

==================  ============================================================  ==========
kind                when, and who                                                 audience
==================  ============================================================  ==========
invited             ``helper_invited``: the invitee                               staff
assigned            ``assigned``: the new owner                                   staff
mentioned           ``message``/``note`` whose text says ``@name``: that person   staff
raised_hand         ``hand_raised``: everyone who worked on the ticket            staff
escalated           ``escalated``: the owner it left, and those who worked on it  staff
vendor_overdue      a vendor hand-off passed its SLA: the owner, those who        staff
                    worked on it
requester_answered  ``message`` of kind ``reply`` written by staff: the requester requester
requester_resolved  ``resolved``: the requester                                   requester
==================  ============================================================  ==========

Nobody is told of their own action. Staff kinds go only to staff (``TicketFacts.staff``), so a
requester never hears of internal notes or the swarm's chat; requester kinds go only to the
ticket's requester.

>>> facts = TicketFacts(owner_id=2, requester_id=9, worked_on=frozenset({2, 3}),
...                     staff=frozenset({1, 2, 3}))
>>> recipients("hand_raised", {}, 2, facts)
[(3, 'raised_hand')]
>>> recipients("resolved", {}, 2, facts)
[(9, 'requester_resolved')]
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from swarm.phrases import N_, Phrase


class Kind(StrEnum):
    INVITED = "invited"
    ASSIGNED = "assigned"
    MENTIONED = "mentioned"
    RAISED_HAND = "raised_hand"
    ESCALATED = "escalated"
    VENDOR_OVERDUE = "vendor_overdue"
    REQUESTER_ANSWERED = "requester_answered"
    REQUESTER_RESOLVED = "requester_resolved"


#: What the requester may hear of; every other kind is staff-only.
REQUESTER_KINDS = frozenset({Kind.REQUESTER_ANSWERED, Kind.REQUESTER_RESOLVED})
STAFF_KINDS = frozenset(Kind) - REQUESTER_KINDS

#: Not a ticket event: the sweeper flags a vendor hand-off overdue (``overdue_at``).
VENDOR_OVERDUE = "vendor_overdue"

#: Event types that may notify anyone (the flush hook reads facts only for these).
NOTIFYING = frozenset(
    {
        "helper_invited",
        "assigned",
        "message",
        "note",
        "hand_raised",
        "escalated",
        "resolved",
        VENDOR_OVERDUE,
    }
)


@dataclass(frozen=True)
class TicketFacts:
    """What the rules need of a ticket, as it is after the event.

    ``worked_on``: staff with a stint on the ticket (owner or helper, past or present) — the
    people who "know about" it. ``staff``: which of the ids named anywhere here are staff
    (agents, managers, admins) and active. ``mentioned``: people the event's message names.
    """

    owner_id: int | None
    requester_id: int
    worked_on: frozenset[int] = frozenset()
    staff: frozenset[int] = frozenset()
    mentioned: frozenset[int] = field(default_factory=frozenset)


def recipients(
    event_type: str, data: Mapping[str, Any], actor_id: int | None, facts: TicketFacts
) -> list[tuple[int, str]]:
    """The ``(person, kind)`` pairs an event calls for, each person once, never the actor.

    >>> facts = TicketFacts(owner_id=2, requester_id=9, staff=frozenset({2, 5}))
    >>> recipients("helper_invited", {"agent_id": 5}, 2, facts)
    [(5, 'invited')]
    >>> recipients("helper_invited", {"agent_id": 5}, 5, facts)
    []
    """
    wanted: list[tuple[int | None, Kind]] = []
    if event_type == "helper_invited":
        wanted.append((_int(data.get("agent_id")), Kind.INVITED))
    elif event_type == "assigned":
        wanted.append((_int(data.get("agent_id")), Kind.ASSIGNED))
    elif event_type in ("message", "note"):
        wanted += [(person, Kind.MENTIONED) for person in sorted(facts.mentioned)]
        if data.get("kind") == "reply" and actor_id in facts.staff:
            wanted.append((facts.requester_id, Kind.REQUESTER_ANSWERED))
    elif event_type == "hand_raised":
        wanted += [(person, Kind.RAISED_HAND) for person in sorted(facts.worked_on)]
    elif event_type == "escalated":
        around = {_int(data.get("previous_owner_id")), facts.owner_id, *facts.worked_on}
        wanted += [(person, Kind.ESCALATED) for person in sorted(p for p in around if p)]
    elif event_type == VENDOR_OVERDUE:
        around = {facts.owner_id, *facts.worked_on}
        wanted += [(person, Kind.VENDOR_OVERDUE) for person in sorted(p for p in around if p)]
    elif event_type == "resolved":
        wanted.append((facts.requester_id, Kind.REQUESTER_RESOLVED))
    out: list[tuple[int, str]] = []
    seen: set[int] = set()
    for person, kind in wanted:
        if person is None or person == actor_id or person in seen:
            continue
        if kind in REQUESTER_KINDS and person != facts.requester_id:
            continue
        if kind in STAFF_KINDS and person not in facts.staff:
            continue
        seen.add(person)
        out.append((person, kind.value))
    return out


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


_MENTION = re.compile(r"(?<![\w@])@([\w][\w.\-]*)", re.UNICODE)


def mention_handles(name: str, email: str) -> set[str]:
    """The handles that name a person: their e-mail's local part, their whole name without
    spaces, and each word of it (lower case).

    >>> sorted(mention_handles("Ada Lovelace", "ada.l@example.org"))
    ['ada', 'ada.l', 'adalovelace', 'lovelace']
    """
    words = [w for w in re.split(r"\s+", name.strip().lower()) if w]
    handles = {email.partition("@")[0].lower(), "".join(words), *words}
    return {h for h in handles if h}


def find_mentions(text: str, people: Iterable[tuple[int, str, str]]) -> frozenset[int]:
    """The ids of ``people`` (``(id, name, email)``) that ``text`` names as ``@handle``.

    A handle shared by several people (two Adas) names nobody: say ``@adalovelace``.

    >>> people = [(1, "Ada Lovelace", "ada@x.org"), (2, "Ada King", "king@x.org")]
    >>> sorted(find_mentions("@ada? @king, and mail@x.org", people))
    [2]
    """
    said = {m.rstrip(".-").lower() for m in _MENTION.findall(text)}
    if not said:
        return frozenset()
    owners: dict[str, set[int]] = {}
    for person_id, name, email in people:
        for handle in mention_handles(name, email):
            owners.setdefault(handle, set()).add(person_id)
    found: set[int] = set()
    for handle in said:
        named = owners.get(handle, set())
        if len(named) == 1:
            found |= named
    return frozenset(found)


def may_mention(text: str) -> bool:
    """Cheap test before reading anyone's name: does ``text`` hold an ``@handle`` at all?"""
    return _MENTION.search(text) is not None


def after_quiet_hours(
    now: datetime, quiet_start: int | None, quiet_end: int | None, timezone: str
) -> datetime:
    """When mail made at ``now`` may go: ``now``, or the end of the person's quiet hours if
    ``now`` falls inside them. Minutes after local midnight; a window may cross midnight;
    an unknown time zone counts as UTC.

    >>> from datetime import UTC
    >>> late = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)
    >>> after_quiet_hours(late, 22 * 60, 7 * 60, "UTC").isoformat()
    '2026-03-03T07:00:00+00:00'
    >>> after_quiet_hours(late, 9 * 60, 17 * 60, "UTC") == late
    True
    """
    if quiet_start is None or quiet_end is None or quiet_start == quiet_end:
        return now
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = now.astimezone(zone)
    minute = local.hour * 60 + local.minute
    if quiet_start < quiet_end:
        inside = quiet_start <= minute < quiet_end
    else:
        inside = minute >= quiet_start or minute < quiet_end
    if not inside:
        return now
    end = local.replace(hour=quiet_end // 60, minute=quiet_end % 60, second=0, microsecond=0)
    if end <= local:
        end += timedelta(days=1)
    return end.astimezone(now.tzinfo)


#: Digests: a person who already has :data:`DIGEST_AFTER` mails queued or sent within
#: :data:`DIGEST_WINDOW` gets the next ones held until the window ends, then all of them at
#: once in one digest mail.
DIGEST_AFTER = 3
DIGEST_WINDOW = timedelta(minutes=15)


#: One sentence per kind, for the page, the live toast and the mail.
SENTENCES = {
    Kind.INVITED: N_("%(actor)s invited you to help on ticket #%(ticket)s"),
    Kind.ASSIGNED: N_("Ticket #%(ticket)s is now yours"),
    Kind.MENTIONED: N_("%(actor)s mentioned you on ticket #%(ticket)s"),
    Kind.RAISED_HAND: N_("%(actor)s raised a hand on ticket #%(ticket)s"),
    Kind.ESCALATED: N_("Ticket #%(ticket)s was escalated"),
    Kind.VENDOR_OVERDUE: N_("The vendor on ticket #%(ticket)s is past its due time"),
    Kind.REQUESTER_ANSWERED: N_("Support answered your ticket #%(ticket)s"),
    Kind.REQUESTER_RESOLVED: N_("Your ticket #%(ticket)s was resolved"),
}

#: What the preferences page calls each kind.
LABELS = {
    Kind.INVITED: N_("Invited to a swarm"),
    Kind.ASSIGNED: N_("A ticket assigned to you"),
    Kind.MENTIONED: N_("Mentioned (@name) in a room"),
    Kind.RAISED_HAND: N_("A raised hand on a ticket you worked on"),
    Kind.ESCALATED: N_("A ticket you worked on escalated"),
    Kind.VENDOR_OVERDUE: N_("A vendor overdue on a ticket you worked on"),
    Kind.REQUESTER_ANSWERED: N_("Support answered your ticket"),
    Kind.REQUESTER_RESOLVED: N_("Your ticket was resolved"),
}


def describe(kind: str, actor: str | None, ticket_id: int) -> Phrase:
    """The sentence of one notification (plain text: the page and the mail escape it), in
    English and said in the reader's language by ``swarm.phrases.render``.

    >>> describe("mentioned", "Ada", 7)
    'Ada mentioned you on ticket #7'
    """
    template = SENTENCES.get(kind, N_("Ticket #%(ticket)s changed"))  # type: ignore[call-overload]
    return Phrase(str(template), actor=actor or Phrase(N_("Someone")), ticket=ticket_id)


def kinds_for(staff: bool) -> list[str]:
    """The kinds a person may choose about: staff all of them, a requester their own two."""
    return [k.value for k in Kind if staff or k in REQUESTER_KINDS]

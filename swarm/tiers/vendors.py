"""Tier 4: hand-offs to external vendors, and the vendor SLA clock the organisation watches.

A vendor works the ticket; the organisation still owns it and monitors: the vendor has its own SLA,
counted from the hand-off, paused while the vendor waits on the organisation (a question back to
the requester is not the vendor's delay). The tier clock is paused meanwhile — nobody in a tier can
move a ticket that sits with a vendor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, get_args

from swarm.routing import ClearDeadline, Decision, SetDeadline, TicketView
from swarm.tiers.policy import TIER_LIMIT
from swarm.tiers.sla import SlaClock

__all__ = [
    "MAX_VENDOR_SLA_SECONDS",
    "VENDOR_SLA",
    "Vendor",
    "VendorError",
    "VendorStatus",
    "is_overdue",
    "plan_vendor_handoff",
    "vendor_clock_after_update",
    "vendor_due_at",
]

#: The deadline kind of the vendor SLA; when it fires the driver flags the vendor overdue.
VENDOR_SLA = "vendor_sla"
#: Vendor contracts run to weeks (a fix in the next release), not years: more is a unit mistake.
MAX_VENDOR_SLA_SECONDS = 90 * 24 * 3600

#: ``vendor_update`` statuses. ``waiting_on_us`` pauses the vendor clock; ``resolved`` and
#: ``rejected`` end the hand-off (the ticket comes back to the organisation).
VendorStatus = Literal["acknowledged", "in_progress", "waiting_on_us", "resolved", "rejected"]
VENDOR_STATUSES: tuple[str, ...] = get_args(VendorStatus)
FINAL_STATUSES = frozenset({"resolved", "rejected"})


class VendorError(ValueError):
    """A vendor record, hand-off or update that cannot be accepted; the message says why."""


@dataclass(frozen=True)
class Vendor:
    """An external vendor and its contractual response time.

    Examples
    --------
    >>> Vendor("Acme Networks", sla_seconds=4 * 3600).sla
    datetime.timedelta(seconds=14400)
    >>> Vendor("Acme Networks", sla_seconds=0)
    Traceback (most recent call last):
    ...
    swarm.tiers.vendors.VendorError: Vendor 'Acme Networks': the SLA must be more than 0 second...
    """

    name: str
    sla_seconds: int
    contact: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise VendorError("A vendor needs a name.")
        seconds = self.sla_seconds
        where = f"Vendor {self.name.strip()!r}"
        if isinstance(seconds, bool) or not isinstance(seconds, int):
            raise VendorError(
                f"{where}: the SLA must be a whole number of seconds, not {seconds!r}."
            )
        if seconds <= 0:
            raise VendorError(f"{where}: the SLA must be more than 0 seconds, got {seconds}.")
        if seconds > MAX_VENDOR_SLA_SECONDS:
            raise VendorError(
                f"{where}: an SLA of {seconds} seconds is more than 90 days; give it in seconds."
            )
        object.__setattr__(self, "name", self.name.strip())

    @property
    def sla(self) -> timedelta:
        return timedelta(seconds=self.sla_seconds)


def vendor_due_at(
    handoff_at: datetime, sla: timedelta, paused_total: timedelta = timedelta(0)
) -> datetime:
    """When the vendor must have answered: hand-off + SLA + the time its clock was paused.

    Examples
    --------
    >>> from datetime import UTC
    >>> vendor_due_at(datetime(2025, 1, 1, 9, tzinfo=UTC), timedelta(hours=4)).time()
    datetime.time(13, 0)
    """
    return handoff_at + paused_total + sla


def is_overdue(
    handoff_at: datetime,
    sla: timedelta,
    now: datetime,
    *,
    paused_total: timedelta = timedelta(0),
    paused_at: datetime | None = None,
) -> bool:
    """The vendor has used more than ``sla`` of running time since ``handoff_at``.

    ``paused_total`` is the sum of ended pauses, ``paused_at`` the start of a pause in progress
    (time after it does not count). Exactly at the SLA is still on time.

    Examples
    --------
    >>> from datetime import UTC
    >>> t0 = datetime(2025, 1, 1, 9, tzinfo=UTC)
    >>> is_overdue(t0, timedelta(hours=4), t0 + timedelta(hours=5))
    True
    >>> is_overdue(t0, timedelta(hours=4), t0 + timedelta(hours=5), paused_total=timedelta(hours=2))
    False
    """
    clock = SlaClock(handoff_at, paused_at=paused_at, paused_total=paused_total)
    return clock.is_overdue(sla, now)


def plan_vendor_handoff(
    ticket: TicketView, vendor: Vendor | None, external_ref: str, now: datetime
) -> list[Decision]:
    """Validate a hand-off and plan its deadlines: pause the tier clock, start the vendor's.

    The driver writes ``vendor_handoff {vendor, external_ref}``, pauses the ticket's tier
    :class:`SlaClock` at ``now`` and starts a vendor clock at ``now``.

    Examples
    --------
    >>> from datetime import UTC
    >>> now = datetime(2025, 1, 1, 9, tzinfo=UTC)
    >>> plan_vendor_handoff(TicketView(7, "P2", tier=4), None, "CASE-1", now)
    Traceback (most recent call last):
    ...
    swarm.tiers.vendors.VendorError: Ticket 7 cannot be handed off without a vendor: choose one.
    """
    if vendor is None:
        raise VendorError(f"Ticket {ticket.id} cannot be handed off without a vendor: choose one.")
    if not isinstance(external_ref, str) or not external_ref.strip():
        raise VendorError(
            f"Ticket {ticket.id}: give the vendor's reference (their case number), so their "
            "updates can be matched to this ticket."
        )
    return [ClearDeadline(TIER_LIMIT), SetDeadline(VENDOR_SLA, now + vendor.sla)]


def vendor_clock_after_update(clock: SlaClock, status: str, now: datetime) -> SlaClock:
    """The vendor clock after a ``vendor_update`` with ``status`` at ``now``.

    ``waiting_on_us`` pauses it; any other open status resumes it; ``resolved`` and ``rejected``
    stop it for good (a stopped clock is a paused one nobody resumes).

    Examples
    --------
    >>> from datetime import UTC
    >>> t0 = datetime(2025, 1, 1, 9, tzinfo=UTC)
    >>> vendor_clock_after_update(SlaClock(t0), "waiting_on_us", t0 + timedelta(hours=1)).paused
    True
    >>> vendor_clock_after_update(SlaClock(t0), "lost", t0)
    Traceback (most recent call last):
    ...
    swarm.tiers.vendors.VendorError: Unknown vendor status 'lost'; use one of acknowledged, in_...
    """
    if status not in VENDOR_STATUSES:
        raise VendorError(
            f"Unknown vendor status {status!r}; use one of {', '.join(VENDOR_STATUSES)}."
        )
    if status == "waiting_on_us" or status in FINAL_STATUSES:
        return clock.pause(now)
    return clock.resume(now)

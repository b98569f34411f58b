"""Tier 4: vendors, their SLA clock, hand-offs and updates."""

from datetime import timedelta

import pytest

from swarm.routing import ClearDeadline, SetDeadline
from swarm.tiers.policy import TIER_LIMIT
from swarm.tiers.sla import SlaClock
from swarm.tiers.vendors import (
    VENDOR_SLA,
    Vendor,
    VendorError,
    is_overdue,
    plan_vendor_handoff,
    vendor_clock_after_update,
    vendor_due_at,
)
from tests.unit.tiers.tiers_builders import NOW, make_ticket

HOUR = timedelta(hours=1)
ACME = Vendor("Acme Networks", sla_seconds=4 * 3600, contact="support@acme.example")


def test_vendor_due_time_is_handoff_plus_sla_plus_pauses():
    assert vendor_due_at(NOW, ACME.sla) == NOW + 4 * HOUR
    assert vendor_due_at(NOW, ACME.sla, paused_total=2 * HOUR) == NOW + 6 * HOUR


def test_vendor_is_overdue_only_after_its_sla():
    assert not is_overdue(NOW, ACME.sla, NOW + 4 * HOUR)
    assert is_overdue(NOW, ACME.sla, NOW + 4 * HOUR + timedelta(seconds=1))


def test_time_waiting_on_us_does_not_count_against_the_vendor():
    assert not is_overdue(NOW, ACME.sla, NOW + 5 * HOUR, paused_total=HOUR)
    # Paused since hour 3: at hour 10 the vendor has used 3 of its 4 hours.
    assert not is_overdue(NOW, ACME.sla, NOW + 10 * HOUR, paused_at=NOW + 3 * HOUR)


def test_handoff_pauses_the_tier_deadline_and_starts_the_vendor_deadline():
    decisions = plan_vendor_handoff(make_ticket(tier=4), ACME, " CASE-88 ", NOW)
    assert decisions == [ClearDeadline(TIER_LIMIT), SetDeadline(VENDOR_SLA, NOW + 4 * HOUR)]


@pytest.mark.parametrize(
    ("vendor", "ref", "message"),
    [
        (None, "CASE-1", "cannot be handed off without a vendor"),
        (ACME, "  ", "give the vendor's reference"),
    ],
)
def test_a_handoff_needs_a_vendor_and_its_reference(vendor, ref, message):
    with pytest.raises(VendorError, match=message):
        plan_vendor_handoff(make_ticket(tier=4), vendor, ref, NOW)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": " ", "sla_seconds": 60}, "needs a name"),
        ({"name": "X", "sla_seconds": -1}, "more than 0 seconds, got -1"),
        ({"name": "X", "sla_seconds": 91 * 86400}, "more than 90 days"),
        ({"name": "X", "sla_seconds": 3.5}, "whole number of seconds"),
        ({"name": "X", "sla_seconds": True}, "whole number of seconds"),
    ],
)
def test_bad_vendor_records_are_refused(fields, message):
    with pytest.raises(VendorError, match=message):
        Vendor(**fields)


def test_vendor_clock_pauses_while_waiting_on_us_and_stops_when_done():
    clock = SlaClock(NOW)
    clock = vendor_clock_after_update(clock, "acknowledged", NOW + HOUR)
    clock = vendor_clock_after_update(clock, "waiting_on_us", NOW + 2 * HOUR)
    assert clock.paused
    clock = vendor_clock_after_update(clock, "in_progress", NOW + 5 * HOUR)
    assert clock.due_at(ACME.sla) == NOW + 7 * HOUR
    done = vendor_clock_after_update(clock, "resolved", NOW + 6 * HOUR)
    assert done.paused
    assert not done.is_overdue(ACME.sla, NOW + 30 * HOUR)


def test_an_unknown_vendor_status_is_refused():
    with pytest.raises(VendorError, match="Unknown vendor status 'lost'"):
        vendor_clock_after_update(SlaClock(NOW), "lost", NOW)

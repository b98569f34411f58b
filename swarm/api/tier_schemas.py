"""Schemas of the tiered-mode API: routing configuration, tiers, queues, moves and vendors.

They check shapes and types only; the values (limits, ratios, tiers) are judged by
``swarm.tiers``, whose sentences the API returns with a 422.
"""

from __future__ import annotations

from typing import Any

from apiflask import Schema
from apiflask.fields import Boolean, DateTime, Dict, Float, Integer, List, Nested, Raw, String
from apiflask.validators import Range

from swarm.api.schemas import Flag, Id, StrictSchema, Text, UserRef, Whole
from swarm.inputs import MAX_ID
from swarm.phrases import N_
from swarm.tiers.vendors import MAX_VENDOR_SLA_SECONDS


class Count(Raw):
    """An integer that ``swarm.tiers`` judges (and words the refusal of): passed on as sent,
    except that ``7.0`` — an integer to JSON Schema, so to the document — is passed on as 7."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value


class RoutingConfigIn(StrictSchema):
    mode = String(required=True, metadata={"enum": ["swarm", "tiered", "split"]})
    split_ratio = Raw(
        allow_none=True,
        metadata={
            "type": "number",
            "minimum": 0,
            "maximum": 1,
            "description": "Share of tickets routed tiered in split mode, 0 to 1.",
        },
    )
    overrides = Dict(
        keys=Text(1),
        values=String(metadata={"enum": ["swarm", "tiered", "split"]}),
        metadata={"description": "category → mode (swarm, tiered or split)."},
    )
    salt = Text(1, 64, blank=True, metadata={"description": "Change to reshuffle the arms."})


class RoutingConfigOut(Schema):
    mode = String()
    split_ratio = Float()
    overrides = Dict(keys=String(), values=String())
    salt = String()


class TierIn(StrictSchema):
    tier = Count(
        required=True,
        metadata={"type": "integer", "minimum": 0, "maximum": 4, "description": "0 to 4."},
    )
    name = Text(1, required=True)
    limits = Dict(
        keys=String(metadata={"enum": ["P1", "P2", "P3", "P4"]}),
        values=Count(allow_none=True, metadata={"type": "integer", "minimum": 1}),
        metadata={"description": "P1–P4 → seconds a ticket may stay in the tier, or null."},
    )
    external = Flag(metadata={"description": "Run by vendors (Tier 4)."})
    intake = Raw(
        metadata={
            "enum": ["push", "pull"],
            "description": "push: assigned in turn on entering the tier; pull: waits in the "
            "tier's queue for an agent to take it. Left out: the tier keeps its intake.",
        }
    )


class TiersIn(StrictSchema):
    tiers = List(Nested(TierIn))
    strategy = String(
        metadata={
            "enum": ["round_robin", "least_loaded", "pull_only"],
            "description": "Whom a push tier assigns; pull_only (older documents) makes every "
            "tier pull.",
        }
    )
    last_automatic_tier = Count(
        allow_none=True, metadata={"type": "integer", "minimum": 0, "maximum": 4}
    )
    collaboration = Raw(
        metadata={
            "enum": ["off", "within_tier", "open"],
            "description": "Whether tiered tickets may swarm: off (pure tiers), within_tier "
            "(only with agents of the ticket's tier), open (like swarming).",
        }
    )


class TierOut(Schema):
    tier = Integer()
    name = String()
    limits = Dict(keys=String(), values=Integer(allow_none=True))
    external = Boolean()
    intake = String()


class TiersOut(Schema):
    tiers = List(Nested(TierOut))
    strategy = String()
    last_automatic_tier = Integer(allow_none=True)
    collaboration = String()


class QueueItemOut(Schema):
    id = Integer()
    subject = String()
    priority = String()
    status = String()
    owner = Nested(UserRef, allow_none=True)
    created_at = DateTime()
    age_seconds = Integer()
    tier_entered_at = DateTime(allow_none=True)
    due_at = DateTime(allow_none=True, metadata={"description": "When it escalates by time."})
    seconds_left = Integer(allow_none=True)
    paused = Boolean()
    vendor = String(allow_none=True)
    vendor_overdue = Boolean()


class QueueOut(Schema):
    tier = Integer()
    name = String()
    unowned = Integer()
    items = List(Nested(QueueItemOut))


class MoveIn(StrictSchema):
    reason = Text(1, 2000, required=True, empty=N_("Say why: the next tier reads it first."))
    to_tier = Whole(
        load_default=None,
        allow_none=True,
        validate=Range(-MAX_ID - 1, MAX_ID),  # 64 bits; the service words the rest
        metadata={"description": "Default: the next tier."},
    )
    from_tier = Whole(
        load_default=None,
        allow_none=True,
        validate=Range(-MAX_ID - 1, MAX_ID),  # 64 bits; the service words the rest
        metadata={"description": "The tier you saw; 409 if the ticket moved meanwhile."},
    )


SLA_SECONDS = {"type": "integer", "minimum": 1, "maximum": MAX_VENDOR_SLA_SECONDS}


class VendorIn(StrictSchema):
    name = Text(1, required=True)
    sla_seconds = Count(required=True, metadata=SLA_SECONDS)
    contact = Text(blank=True, load_default="")


class VendorPatch(StrictSchema):
    name = Text(1)
    sla_seconds = Count(metadata=SLA_SECONDS)
    contact = Text(blank=True)
    active = Flag()


class VendorOut(Schema):
    id = Integer()
    name = String()
    contact = String()
    sla_seconds = Integer()
    active = Boolean()
    created_at = DateTime()


class VendorList(Schema):
    items = List(Nested(VendorOut))


class HandoffIn(StrictSchema):
    vendor_id = Id(required=True)
    external_ref = Text(
        1, 120, required=True, metadata={"description": "The vendor's case number."}
    )


class VendorUpdateIn(StrictSchema):
    status = String(
        required=True,
        metadata={"enum": ["acknowledged", "in_progress", "waiting_on_us", "resolved", "rejected"]},
    )
    note = Text(blank=True, load_default="")

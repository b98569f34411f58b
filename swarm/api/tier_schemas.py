"""Schemas of the tiered-mode API: routing configuration, tiers, queues, moves and vendors.

They check shapes and types only; the values (limits, ratios, tiers) are judged by
``swarm.tiers``, whose sentences the API returns with a 422.
"""

from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Boolean, DateTime, Dict, Float, Integer, List, Nested, Raw, String
from apiflask.validators import Length, Range

from swarm.api.schemas import Id, StrictSchema, UserRef
from swarm.inputs import MAX_ID


class RoutingConfigIn(StrictSchema):
    mode = String(required=True, metadata={"enum": ["swarm", "tiered", "split"]})
    split_ratio = Raw(
        allow_none=True,
        metadata={"description": "Share of tickets routed tiered in split mode, 0 to 1."},
    )
    overrides = Dict(
        keys=String(),
        values=String(),
        metadata={"description": "category → mode (swarm, tiered or split)."},
    )
    salt = String(validate=Length(1, 64), metadata={"description": "Change to reshuffle the arms."})


class RoutingConfigOut(Schema):
    mode = String()
    split_ratio = Float()
    overrides = Dict(keys=String(), values=String())
    salt = String()


class TierIn(StrictSchema):
    tier = Raw(required=True, metadata={"description": "0 to 4."})
    name = String(required=True)
    limits = Dict(
        keys=String(),
        values=Raw(allow_none=True),
        metadata={"description": "P1–P4 → seconds a ticket may stay in the tier, or null."},
    )
    external = Boolean(metadata={"description": "Run by vendors (Tier 4)."})
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
    last_automatic_tier = Raw(allow_none=True)
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
    reason = String(required=True, validate=Length(0, 2000))
    to_tier = Integer(
        load_default=None,
        allow_none=True,
        validate=Range(-MAX_ID - 1, MAX_ID),  # 64 bits; the service words the rest
        metadata={"description": "Default: the next tier."},
    )
    from_tier = Integer(
        load_default=None,
        allow_none=True,
        validate=Range(-MAX_ID - 1, MAX_ID),  # 64 bits; the service words the rest
        metadata={"description": "The tier you saw; 409 if the ticket moved meanwhile."},
    )


class VendorIn(StrictSchema):
    name = String(required=True)
    sla_seconds = Raw(required=True)
    contact = String(load_default="")


class VendorPatch(StrictSchema):
    name = String()
    sla_seconds = Raw()
    contact = String()
    active = Boolean()


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
    vendor_id = Id(load_default=None, allow_none=True)
    external_ref = String(load_default="")


class VendorUpdateIn(StrictSchema):
    status = String(
        required=True,
        metadata={"enum": ["acknowledged", "in_progress", "waiting_on_us", "resolved", "rejected"]},
    )
    note = String(load_default="")

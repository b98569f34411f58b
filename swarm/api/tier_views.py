"""Tiered mode: routing configuration, tiers, queues, manual moves and vendors (Tier 4).

Managers and admins configure; agents read the configuration and work the queues. Each view is
one ``TieredService`` call; value errors come back as 422 with the tiers package's sentence.
"""

from __future__ import annotations

from typing import Any

from swarm.api import api
from swarm.api.auth import authenticated, caller
from swarm.api.schemas import TicketOut
from swarm.api.tier_schemas import (
    HandoffIn,
    MoveIn,
    QueueOut,
    RoutingConfigIn,
    RoutingConfigOut,
    TiersIn,
    TiersOut,
    VendorIn,
    VendorList,
    VendorOut,
    VendorPatch,
    VendorUpdateIn,
)
from swarm.runtime import tiered_service

CONFIG = {403: "Managers and admins only", 422: "Invalid configuration (the message says why)"}
MOVES = {
    403: "Not allowed for you",
    404: "No such ticket",
    409: "Same tier, a swarm ticket, at a vendor, or moved meanwhile",
    422: "Past the last tier, below Tier 1, wrong direction, or no reason",
}
VENDORS = {403: "Managers and admins only", 404: "No such vendor", 409: "Name taken or in use"}
STAFF = {403: "Agents only"}
HANDOFF = {
    403: "Agents only",
    404: "No such ticket",
    409: "Not in the vendor tier, or already with a vendor",
    422: "No vendor or reference",
}


@api.get("/config/routing")
@api.output(RoutingConfigOut)
@api.doc(summary="The routing mode: swarm, tiered or split (agents read)", responses=STAFF)
@authenticated
def get_routing_config() -> Any:
    return tiered_service().routing_config(caller())


@api.put("/config/routing")
@api.input(RoutingConfigIn, arg_name="data")
@api.output(RoutingConfigOut)
@api.doc(summary="Set the routing mode; existing tickets keep theirs", responses=CONFIG)
@authenticated
def put_routing_config(data: dict[str, Any]) -> Any:
    return tiered_service().set_routing_config(caller(), data)


@api.get("/tiers")
@api.output(TiersOut)
@api.doc(summary="Tiers, their names and time limits per priority (agents read)", responses=STAFF)
@authenticated
def get_tiers() -> Any:
    return tiered_service().tier_settings(caller())


@api.put("/tiers")
@api.input(TiersIn, arg_name="data")
@api.output(TiersOut)
@api.doc(summary="Set tiers and limits (seconds, null for none)", responses=CONFIG)
@authenticated
def put_tiers(data: dict[str, Any]) -> Any:
    return tiered_service().set_tier_settings(caller(), data)


@api.get("/queues/<int(max=4):tier>")
@api.output(QueueOut)
@api.doc(summary="A tier's tickets: unowned first, then by priority and age", responses=STAFF)
@authenticated
def get_queue(tier: int) -> Any:
    return tiered_service().queue(caller(), tier)


@api.post("/queues/<int(max=4):tier>/next")
@api.output(TicketOut)
@api.doc(
    summary="Take the next ticket of the tier's queue",
    responses={403: "You do not serve this tier", 404: "The queue is empty (queue_empty)"},
)
@authenticated
def take_next(tier: int) -> Any:
    return tiered_service().pull_next(caller(), tier)


@api.post("/tickets/<id:ticket_id>/escalate")
@api.input(MoveIn, arg_name="data")
@api.output(TicketOut)
@api.doc(summary="Escalate to a higher tier (default: the next), with a reason", responses=MOVES)
@authenticated
def escalate(ticket_id: int, data: dict[str, Any]) -> Any:
    return tiered_service().escalate(caller(), ticket_id, **data)


@api.post("/tickets/<id:ticket_id>/deescalate")
@api.input(MoveIn, arg_name="data")
@api.output(TicketOut)
@api.doc(summary="De-escalate to a lower tier (default: one down), with a reason", responses=MOVES)
@authenticated
def deescalate(ticket_id: int, data: dict[str, Any]) -> Any:
    return tiered_service().deescalate(caller(), ticket_id, **data)


# APIFlask registers a schema at its first use as an output: VendorOut before VendorList.


@api.post("/vendors")
@api.input(VendorIn, arg_name="data")
@api.output(VendorOut, status_code=201)
@api.doc(summary="Add a vendor with its SLA in seconds", responses=VENDORS)
@authenticated
def create_vendor(data: dict[str, Any]) -> Any:
    return tiered_service().create_vendor(caller(), **data)


@api.get("/vendors")
@api.output(VendorList)
@api.doc(summary="External vendors (agents read)", responses=STAFF)
@authenticated
def list_vendors() -> Any:
    return {"items": tiered_service().vendors(caller())}


@api.patch("/vendors/<id:vendor_id>")
@api.input(VendorPatch, arg_name="data")
@api.output(VendorOut)
@api.doc(summary="Change a vendor, or deactivate it (active=false)", responses=VENDORS)
@authenticated
def update_vendor(vendor_id: int, data: dict[str, Any]) -> Any:
    return tiered_service().update_vendor(caller(), vendor_id, data)


@api.delete("/vendors/<id:vendor_id>")
@api.output({}, status_code=204)
@api.doc(summary="Delete a vendor no ticket was handed to", responses=VENDORS)
@authenticated
def delete_vendor(vendor_id: int) -> Any:
    tiered_service().delete_vendor(caller(), vendor_id)
    return ""


@api.post("/tickets/<id:ticket_id>/vendor")
@api.input(HandoffIn, arg_name="data")
@api.output(TicketOut)
@api.doc(summary="Hand the ticket to a vendor with their case reference", responses=HANDOFF)
@authenticated
def hand_off(ticket_id: int, data: dict[str, Any]) -> Any:
    return tiered_service().hand_off(caller(), ticket_id, data["vendor_id"], data["external_ref"])


@api.post("/tickets/<id:ticket_id>/vendor/updates")
@api.input(VendorUpdateIn, arg_name="data")
@api.output(TicketOut)
@api.doc(
    summary="Record a vendor status update (waiting_on_us pauses their clock)",
    responses={403: "Agents only", 404: "No such ticket", 409: "Not with a vendor"},
)
@authenticated
def vendor_update(ticket_id: int, data: dict[str, Any]) -> Any:
    return tiered_service().vendor_update(caller(), ticket_id, data["status"], data["note"])

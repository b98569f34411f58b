"""The audit log of security-relevant actions (admins only; docs/security.md)."""

from __future__ import annotations

from typing import Any

from apiflask import abort

from swarm.accounts import audit
from swarm.api import api
from swarm.api.auth import authenticated, caller
from swarm.api.schemas import AuditPageOut, AuditQueryIn
from swarm.inputs import ascii_int
from swarm.runtime import db_session


@api.get("/audit")
@api.input(AuditQueryIn, location="query", arg_name="query")
@api.output(AuditPageOut)
@api.doc(
    summary="The audit log, newest first (admins only)",
    responses={403: "Admins only", 422: "Invalid filters"},
)
@authenticated
def audit_log(query: dict[str, Any]) -> Any:
    person = ascii_int(query["person"], 1) if "person" in query else None
    if "person" in query and person is None:
        abort(422, "person is a user id.", extra_data={"fields": {"person": ["A user id."]}})
    before = ascii_int(query["cursor"], 1) if "cursor" in query else None
    if "cursor" in query and before is None:
        abort(422, "cursor is the `next` value of the previous page.")
    page = audit.entries(
        db_session(),
        caller(),
        audit.AuditQuery(
            person_id=person,
            action=query.get("action"),
            since=query.get("since"),
            until=query.get("until"),
            before=before,
            limit=query["limit"],
        ),
    )
    return {"items": page.items, "next": None if page.next is None else str(page.next)}

"""Request and response schemas. They validate input (unknown fields are refused) and generate
the OpenAPI document at /api/v1/openapi.json."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from apiflask import Schema
from apiflask.fields import (
    AwareDateTime,
    Boolean,
    DateTime,
    Dict,
    Float,
    Integer,
    List,
    Nested,
    String,
)
from apiflask.validators import Length, OneOf, Range
from marshmallow import RAISE, ValidationError, validates_schema

from swarm.accounts.audit import AuditAction
from swarm.inputs import MAX_ID
from swarm.tickets.service import SORTS as TICKET_SORTS

PRIORITIES = ["P1", "P2", "P3", "P4"]
STATUSES = ["new", "open", "pending", "resolved", "closed"]
MODES = ["swarm", "tiered"]
SORTS = list(TICKET_SORTS)


def Id(**kwargs: Any) -> Integer:
    """An id in a JSON body: a JSON integer 1..2⁶³−1 (what a BIGINT column holds), else 422 —
    strict, so that ``1.5`` or ``"7"`` is refused rather than read as 1 or 7."""
    return Integer(strict=True, validate=Range(1, MAX_ID), **kwargs)


class StrictSchema(Schema):
    """Refuses fields it does not know, in the body and in the query string alike.

    webargs loads query strings with ``unknown=EXCLUDE`` whatever the schema says, so the
    check is repeated here against the original input.
    """

    class Meta:
        unknown = RAISE

    @validates_schema(pass_original=True)
    def _reject_unknown(self, _data: Any, original: Any, **_kwargs: Any) -> None:
        known = {field.data_key or name for name, field in self.fields.items()}
        unknown = sorted(set(original or {}) - known) if hasattr(original, "keys") else []
        if unknown:
            raise ValidationError({name: ["Unknown field."] for name in unknown})


# ------------------------------------------------------------------ people


class UserRef(Schema):
    id = Integer()
    name = String()


class ProfileOut(Schema):
    presence = String()
    capacity = Integer()
    tier = Integer(allow_none=True)
    tiers = List(Integer(), metadata={"description": "Further tiers served besides `tier`."})
    team = String(allow_none=True)
    timezone = String()


class UserOut(Schema):
    id = Integer()
    email = String()
    name = String()
    role = String()
    profile = Nested(ProfileOut, allow_none=True)


class LoginIn(StrictSchema):
    email = String(required=True, validate=Length(1, 254))
    password = String(required=True, validate=Length(1, 1024))


class LoginOut(Schema):
    user = Nested(UserOut)


class TokenIn(StrictSchema):
    name = String(required=True, validate=Length(1, 80))


class TokenOut(Schema):
    id = Integer()
    name = String()
    prefix = String()
    created_at = DateTime()
    last_used_at = DateTime(allow_none=True)
    revoked_at = DateTime(allow_none=True)


class NewTokenOut(TokenOut):
    token = String(metadata={"description": "Shown once; only its hash is stored."})


class TokenList(Schema):
    items = List(Nested(TokenOut))


class AgentList(Schema):
    items = List(Nested(UserOut))


ROLES = ["requester", "agent", "manager", "admin"]
PRESENCES = ["online", "away", "busy", "offline"]


class UserIn(StrictSchema):
    email = String(required=True, validate=Length(3, 254))
    name = String(required=True, validate=Length(1, 120))
    password = String(required=True, validate=Length(8, 1024))
    role = String(load_default="requester", validate=OneOf(ROLES))
    capacity = Integer(load_default=5, validate=Range(0, 100))
    tier = Integer(load_default=None, allow_none=True, validate=Range(0, 4))
    team = String(load_default=None, allow_none=True, validate=Length(1, 80))


class UserPatch(StrictSchema):
    name = String(validate=Length(1, 120))
    role = String(validate=OneOf(ROLES))
    active = Boolean()
    capacity = Integer(validate=Range(0, 100))
    tier = Integer(allow_none=True, validate=Range(0, 4))
    tiers = List(Integer(validate=Range(0, 4)), validate=Length(0, 5))
    team = String(allow_none=True, validate=Length(1, 80))
    timezone = String(validate=Length(1, 64))
    presence = String(validate=OneOf(PRESENCES))


class AdminUserOut(Schema):
    id = Integer()
    email = String()
    name = String()
    role = String()
    profile = Nested(ProfileOut, allow_none=True)
    active = Boolean()
    created_at = DateTime()


class UserList(Schema):
    items = List(Nested(AdminUserOut))


class UserQuery(StrictSchema):
    role = String(validate=OneOf(ROLES))


# ------------------------------------------------------------------ tickets


class TicketIn(StrictSchema):
    subject = String(required=True, validate=Length(1, 200))
    # The 64 KB limit on the body is the service's (it answers 413, not 422).
    body = String(required=True)
    priority = String(load_default="P3", validate=OneOf(PRIORITIES))
    requester_id = Id(
        load_default=None,
        allow_none=True,
        metadata={"description": "Agents only: open the ticket on behalf of this requester."},
    )
    category = String(
        load_default=None,
        allow_none=True,
        validate=Length(1, 80),
        metadata={"description": "Optional; the routing configuration may override by it."},
    )


class VendorRef(Schema):
    id = Integer()
    name = String()


class HandoffOut(Schema):
    id = Integer()
    vendor = Nested(VendorRef)
    external_ref = String()
    status = String()
    note = String(allow_none=True)
    handed_off_at = DateTime()
    status_at = DateTime()
    due_at = DateTime(allow_none=True, metadata={"description": "Null while paused or closed."})
    paused = Boolean(metadata={"description": "The vendor waits on us: its clock is stopped."})
    overdue = Boolean(metadata={"description": "The vendor's SLA passed (flagged by the sweeper)."})
    overdue_at = DateTime(allow_none=True)
    closed_at = DateTime(allow_none=True)


class TicketOut(Schema):
    id = Integer()
    subject = String()
    body = String()
    priority = String()
    status = String()
    mode = String()
    tier = Integer(allow_none=True)
    category = String(allow_none=True)
    tier_entered_at = DateTime(allow_none=True)
    tier_paused_at = DateTime(
        allow_none=True, metadata={"description": "Set while the tier clock is paused."}
    )
    vendor = Nested(
        HandoffOut,
        attribute="vendor_handoff",
        allow_none=True,
        metadata={"description": "The open vendor hand-off, else the latest one."},
    )
    requester = Nested(UserRef)
    owner = Nested(UserRef, allow_none=True)
    created_at = DateTime()
    updated_at = DateTime()
    response_due_at = DateTime(allow_none=True)
    resolve_due_at = DateTime(allow_none=True)
    resolved_at = DateTime(allow_none=True)
    closed_at = DateTime(allow_none=True)
    resolution = String(allow_none=True)


class TicketPage(Schema):
    items = List(Nested(TicketOut))
    next = String(
        allow_none=True,
        metadata={
            "description": "Pass as `cursor` for the next page (sorts `newest` and `oldest`; "
            "null when there is no next page or the sort pages by number)."
        },
    )
    total = Integer(metadata={"description": "Tickets matching the filters, over all pages."})


class TicketQuery(StrictSchema):
    status = String(validate=OneOf(STATUSES))
    mode = String(validate=OneOf(MODES))
    owner = String(
        validate=Length(1, 20),
        metadata={"description": "`me`, `none` (unowned) or an agent id."},
    )
    q = String(validate=Length(1, 200), metadata={"description": "Words in subject or body."})
    priority = String(validate=OneOf(PRIORITIES))
    sort = String(
        load_default="newest",
        validate=OneOf(SORTS),
        metadata={"description": "`newest` (default), `oldest`, `priority` (P1 first), `updated`."},
    )
    cursor = String(validate=Length(1, 20))
    page = Integer(
        validate=Range(1, 100_000),
        metadata={"description": "1-based page number, `limit` tickets a page (any sort)."},
    )
    limit = Integer(load_default=25, validate=Range(1, 100))


class EventOut(Schema):
    id = Integer()
    type = String()
    ticket_id = Integer()
    at = String()
    actor = Nested(UserRef, allow_none=True)
    data = Dict()


class EventList(Schema):
    items = List(Nested(EventOut))


class SatisfactionIn(StrictSchema):
    # strict: "4", 4.0 and true are not scores (the service refuses them too).
    score = Integer(
        required=True,
        strict=True,
        validate=Range(1, 5),
        metadata={"description": "1 (bad) to 5 (great)."},
    )
    # The 2000-character limit is the service's: it counts the comment once stripped.
    comment = String(load_default=None, allow_none=True)


class RatingOut(EventOut):
    """A ``satisfaction_rated`` event: ``data`` is ``{score, comment?}``."""


class SatisfactionOut(Schema):
    rating = Nested(
        RatingOut,
        allow_none=True,
        metadata={"description": "The `satisfaction_rated` event of the latest resolution."},
    )
    can_rate = Boolean(metadata={"description": "Whether you may answer now."})
    why_not = String(allow_none=True, metadata={"description": "Why not, when you may not."})


class AssignIn(StrictSchema):
    agent_id = Id(required=True)
    why = String(validate=Length(1, 500))


class StatusIn(StrictSchema):
    status = String(required=True, validate=OneOf(STATUSES))


class ResolveIn(StrictSchema):
    resolution = String(required=True)


class ReasonIn(StrictSchema):
    reason = String(validate=Length(1, 2000))


class NoteIn(StrictSchema):
    body = String(required=True)


class NoteOut(Schema):
    id = Integer()
    ticket_id = Integer()
    author = Nested(UserRef)
    body = String()
    kind = String()
    created_at = DateTime()


class NoteList(Schema):
    items = List(Nested(NoteOut))


class Empty(StrictSchema):
    pass


class AgentQuery(StrictSchema):
    present = Boolean(load_default=False)


class ErrorDetail(Schema):
    code = String()
    message = String()
    fields = Dict(keys=String(), values=List(String()))


class ErrorOut(Schema):
    error = Nested(ErrorDetail)


# ------------------------------------------------------------------ skills and routing


class SkillRef(Schema):
    id = Integer()
    name = String()


class SkillIn(StrictSchema):
    name = String(required=True, validate=Length(1, 120))
    category = String(load_default=None, allow_none=True, validate=Length(0, 80))
    description = String(load_default="", validate=Length(0, 2000))
    aliases = List(String(validate=Length(1, 120)), load_default=list, validate=Length(0, 50))


class SkillPatch(StrictSchema):
    name = String(validate=Length(1, 120))
    category = String(allow_none=True, validate=Length(0, 80))
    description = String(validate=Length(0, 2000))
    aliases = List(String(validate=Length(1, 120)), validate=Length(0, 50))


class SkillOut(Schema):
    id = Integer()
    name = String()
    category = String(allow_none=True)
    description = String()
    aliases = List(String())


class SkillList(Schema):
    items = List(Nested(SkillOut))


class RelationIn(StrictSchema):
    source_id = Id(required=True)
    target_id = Id(required=True)
    kind = String(required=True, validate=OneOf(["is_a", "related_to"]))
    weight = Float(load_default=1.0, validate=Range(0, 1, min_inclusive=False))


class RelationOut(Schema):
    id = Integer()
    source_id = Integer()
    target_id = Integer()
    kind = String()
    weight = Float()


class GraphNode(Schema):
    id = Integer()
    name = String()
    category = String(allow_none=True)
    aliases = List(String())
    experts = Integer(metadata={"description": "Agents at proficiency 3 or more."})
    learners = Integer(metadata={"description": "Agents with it as a learning goal."})


class GraphEdge(Schema):
    id = Integer()
    source = Integer()
    target = Integer()
    kind = String()
    weight = Float()


class GraphOut(Schema):
    nodes = List(Nested(GraphNode))
    edges = List(Nested(GraphEdge))


class InferIn(StrictSchema):
    text = String(required=True, validate=Length(1, 64 * 1024))


class InferredOut(Schema):
    skill = Nested(SkillRef)
    weight = Float()
    why = String()


class InferOut(Schema):
    skills = List(Nested(InferredOut))
    triage = Boolean(metadata={"description": "True when no skill could be inferred."})


class TicketSkillIn(StrictSchema):
    skill_id = Id(required=True)
    weight = Float(load_default=1.0, validate=Range(0, 1, min_inclusive=False))


class TicketSkillsIn(StrictSchema):
    skills = List(Nested(TicketSkillIn), required=True, validate=Length(0, 20))


class TicketSkillOut(Schema):
    skill = Nested(SkillRef)
    weight = Float()
    source = String()
    why = String(allow_none=True)


class TicketSkillList(Schema):
    items = List(Nested(TicketSkillOut))


class SuggestedAgent(Schema):
    id = Integer()
    name = String()
    present = Boolean()
    load = Integer()
    capacity = Integer()


class OwnerSuggestionOut(Schema):
    agent = Nested(SuggestedAgent)
    score = Float()
    meaning = String(metadata={"description": "The score in words: what it is made of."})
    reasons = List(String())
    over_capacity = Boolean()
    absent = Boolean()


class TeamMemberOut(Schema):
    agent = Nested(SuggestedAgent)
    online = Boolean()
    covers = List(Nested(SkillRef), metadata={"description": "Covered fully, best in the swarm."})
    partly = List(Nested(SkillRef), metadata={"description": "Covered partly, best in the swarm."})
    reasons = List(String())


class SkillCoverOut(Schema):
    id = Integer()
    name = String()
    weight = Float(metadata={"description": "Share of the ticket's needs; all weights sum to 1."})
    level = Float(metadata={"description": "The swarm's best cover: 0 nothing close, 1 full."})
    state = String(metadata={"enum": ["covered", "away", "partial", "missing"]})
    by = Integer(allow_none=True)
    role = String(allow_none=True, metadata={"enum": ["owner", "proposed owner", "helper"]})
    sentence = String()


class TeamOut(Schema):
    owner_id = Integer(allow_none=True)
    proposed_owner_id = Integer(allow_none=True)
    summary = List(String())
    members = List(Nested(TeamMemberOut))
    skills = List(Nested(SkillCoverOut))
    covered = List(Nested(SkillRef))
    uncovered = List(Nested(SkillRef), metadata={"description": "Every skill not covered now."})
    coverage = Float(metadata={"description": "Weight share of the covered skills."})
    percent = Integer()


class SuggestionsOut(Schema):
    triage = String(allow_none=True)
    owners = List(Nested(OwnerSuggestionOut))
    team = Nested(TeamOut)


class ProfileSkillIn(StrictSchema):
    skill_id = Id(required=True)
    proficiency = Integer(required=True, validate=Range(0, 5))
    wants_to_learn = Boolean(load_default=False)


class ProfileIn(StrictSchema):
    skills = List(Nested(ProfileSkillIn), required=True, validate=Length(0, 500))


class ProfileSkillOut(Schema):
    skill = Nested(SkillRef)
    proficiency = Integer()
    wants_to_learn = Boolean()
    evidence = Integer()
    last_used_at = DateTime(allow_none=True)


class ProfileOutSchema(Schema):
    agent = Nested(UserRef)
    skills = List(Nested(ProfileSkillOut))


class GrowthOut(Schema):
    skill_id = Integer()
    at = DateTime()
    cause = String()
    proficiency_before = Integer(allow_none=True)
    proficiency_after = Integer(allow_none=True)
    wants_to_learn = Boolean()
    evidence = Integer()
    ticket_id = Integer(allow_none=True)


class GrowthList(Schema):
    items = List(Nested(GrowthOut))


class SkillPerson(Schema):
    agent = Nested(UserRef)
    proficiency = Integer()
    wants_to_learn = Boolean()
    evidence = Integer()


class SkillDetailOut(Schema):
    skill = Nested(SkillOut)
    people = List(Nested(SkillPerson))


# ------------------------------------------------------------------ audit log


class AuditEntryOut(Schema):
    id = Integer()
    at = DateTime()
    action = String(metadata={"description": "One of the actions in docs/security.md."})
    actor = Nested(
        UserRef, allow_none=True, metadata={"description": "Who did it (null: nobody signed in)."}
    )
    subject = Nested(
        UserRef, allow_none=True, metadata={"description": "The person it concerned, if any."}
    )
    address = String(allow_none=True, metadata={"description": "The client's address."})
    details = Dict(metadata={"description": "What changed; never a password or a token."})


class AuditPageOut(Schema):
    items = List(Nested(AuditEntryOut))
    next = String(
        allow_none=True,
        metadata={"description": "Pass as `cursor` for the next (older) page; null at the end."},
    )


class AuditQueryIn(StrictSchema):
    person = String(
        validate=Length(1, 20),
        metadata={"description": "A user id: entries by that person or about their account."},
    )
    action = String(validate=OneOf([a.value for a in AuditAction]))
    since = AwareDateTime(
        default_timezone=UTC, metadata={"description": "At or after (ISO 8601; UTC if no zone)."}
    )
    until = AwareDateTime(
        default_timezone=UTC, metadata={"description": "Before (ISO 8601; UTC if no zone)."}
    )
    cursor = String(validate=Length(1, 20))
    limit = Integer(load_default=50, validate=Range(1, 100))

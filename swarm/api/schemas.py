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
from apiflask.validators import Length, OneOf, Range, Regexp
from marshmallow import RAISE, ValidationError, validates_schema

from swarm.accounts.audit import AuditAction
from swarm.inputs import MAX_ID, NON_BLANK, TEXT, at_most
from swarm.phrases import N_
from swarm.tickets.queries import SORTS as TICKET_SORTS

PRIORITIES = ["P1", "P2", "P3", "P4"]
STATUSES = ["new", "open", "pending", "resolved", "closed"]
MODES = ["swarm", "tiered"]
SORTS = list(TICKET_SORTS)


class Whole(Integer):
    """An integer in a JSON body, as JSON Schema counts them: ``7``, or ``7.0`` (read as 7);
    never ``7.5`` (which a lax integer would cut to 7), ``"7"`` or ``true`` — those are 422."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _validated(self, value: Any) -> Any:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return super()._validated(value)


class Flag(Boolean):
    """A boolean in a JSON body: ``true`` or ``false`` only. A lax boolean would also take
    ``"yes"``, ``"off"``, ``1`` or ``0`` — which the document does not promise — so those are
    422. (Query strings keep the lax reading: they have no other way to say true.)"""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class Number(Float):
    """A number in a JSON body: a JSON number (``1``, ``0.5``), never ``"0.5"`` or ``true``,
    and never NaN or infinity."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_nan=False, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


#: The plain sentence for a count or a duration of zero or less (the simulation's knobs).
ABOVE_ZERO = N_("Give a number above zero.")


class Positive(Range):
    """A range of positive numbers whose refusal of zero or less says so plainly
    (:data:`ABOVE_ZERO`); ``error`` is the sentence for a number above zero that is still out
    of range. The OpenAPI document reads its bounds as any ``Range``'s."""

    def __call__(self, value: Any) -> Any:
        if value <= 0:
            raise ValidationError(ABOVE_ZERO)
        return super().__call__(value)


def Id(**kwargs: Any) -> Integer:
    """An id in a JSON body: a JSON integer 1..2⁶³−1 (what a BIGINT column holds), else 422."""
    return Whole(validate=Range(1, MAX_ID), **kwargs)


def Text(
    low: int = 0,
    high: int | None = None,
    *,
    blank: bool = False,
    # N_: the pages show a schema's sentences beside their fields (swarm/web/forms.py), in the
    # reader's language; the API's own answer stays English.
    empty: str = N_("Empty, or has a NUL character."),
    long: str | None = None,
    **kwargs: Any,
) -> String:
    """A text in a JSON body or a query string, as the services take it: without NUL (no
    PostgreSQL text column holds one; the JSON parser answers 400) and, unless ``blank``, with
    something besides spaces (the services strip a text, then refuse it when empty). Lengths
    count characters before stripping, so the schema never allows what the service refuses;
    ``long`` is the sentence for a text out of them, when marshmallow's would not do."""
    pattern = Regexp(TEXT if blank else NON_BLANK, error=empty)
    checks: list[Any] = [pattern]
    if not blank and low == 1:
        # The pattern already wants a character: one message for "" (the pattern's), not a
        # second from Length; the document still says minLength 1.
        low = 0
        kwargs["metadata"] = {"minLength": 1, **kwargs.get("metadata", {})}
    if low or high is not None:
        checks.append(Length(low or None, high, error=long))
    return String(validate=checks, **kwargs)


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
    email = Text(1, 254, required=True)
    password = Text(1, 1024, blank=True, required=True)


class LoginOut(Schema):
    user = Nested(UserOut)


class TokenIn(StrictSchema):
    name = Text(1, 80, required=True)


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
    email = Text(3, 254, required=True)
    name = Text(1, 120, required=True)
    password = Text(8, 1024, blank=True, required=True)
    role = String(load_default="requester", validate=OneOf(ROLES))
    capacity = Whole(load_default=5, validate=Range(0, 100))
    tier = Whole(load_default=None, allow_none=True, validate=Range(0, 4))
    team = Text(1, 80, load_default=None, allow_none=True)


class UserPatch(StrictSchema):
    name = Text(1, 120)
    role = String(validate=OneOf(ROLES))
    active = Flag()
    capacity = Whole(validate=Range(0, 100))
    tier = Whole(allow_none=True, validate=Range(0, 4))
    tiers = List(Whole(validate=Range(0, 4)), validate=Length(0, 5))
    team = Text(1, 80, allow_none=True)
    timezone = Text(1, 64)
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
    # The service's own sentences for what is missing, so the page (which loads its form with
    # this schema) and the API say it alike.
    subject = Text(1, 200, required=True, empty=N_("A subject is required."))
    # The 64 KB limit on the body is the service's (it answers 413, not 422).
    body = Text(1, required=True, empty=N_("Describe the problem: the body is empty."))
    priority = String(load_default="P3", validate=OneOf(PRIORITIES))
    requester_id = Id(
        load_default=None,
        allow_none=True,
        metadata={"description": "Agents only: open the ticket on behalf of this requester."},
    )
    category = Text(
        1,
        80,
        blank=True,
        load_default=None,
        allow_none=True,
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
        validate=Regexp(rf"^(?:me|none|{at_most(MAX_ID)})$"),
        metadata={"description": "`me`, `none` (unowned) or an agent id."},
    )
    q = Text(1, 200, blank=True, metadata={"description": "Words in subject or body."})
    priority = String(validate=OneOf(PRIORITIES))
    sort = String(
        load_default="newest",
        validate=OneOf(SORTS),
        metadata={"description": "`newest` (default), `oldest`, `priority` (P1 first), `updated`."},
    )
    cursor = String(
        validate=Regexp(r"^[0-9]{1,19}$"),
        metadata={"description": "The `next` of the previous page. Not with `page`."},
    )
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


class EventQuery(StrictSchema):
    after = String(
        validate=Regexp(rf"^{at_most(MAX_ID)}$"),
        metadata={"description": "The `next_after` of the previous page: events after that id."},
    )
    limit = Integer(load_default=500, validate=Range(1, 1000))


class EventList(Schema):
    items = List(Nested(EventOut))
    next_after = Integer(
        allow_none=True,
        metadata={"description": "Ask again with `after` set to this for more; null at the end."},
    )


class SatisfactionIn(StrictSchema):
    # strict: "4", 4.0 and true are not scores (the service refuses them too).
    score = Whole(
        required=True,
        validate=Range(1, 5),
        metadata={"description": "1 (bad) to 5 (great)."},
    )
    # The 2000-character limit is the service's: it counts the comment once stripped.
    comment = Text(0, 2000, blank=True, load_default=None, allow_none=True)


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
    why = Text(1, 500, blank=True)


class StatusIn(StrictSchema):
    status = String(required=True, validate=OneOf(STATUSES))


class ResolveIn(StrictSchema):
    # The 64 KB limit is the service's (413, counted in bytes once stripped).
    resolution = Text(1, required=True)
    articles = List(
        Id(),
        load_default=list,
        validate=Length(0, 10),
        metadata={
            "description": "Published articles that helped: each is linked to the ticket as "
            "`resolved` (a reuse) and an `article_linked` event is written."
        },
    )


class ReasonIn(StrictSchema):
    reason = Text(1, 2000, blank=True)


class NoteIn(StrictSchema):
    # The 64 KB limit is the service's (413, counted in bytes once stripped).
    body = Text(1, required=True)


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


#: Every refusal's body (app.py answers them all so): the OpenAPI schema of APIFlask's
#: ``HTTP_ERROR_SCHEMA`` and ``VALIDATION_ERROR_SCHEMA``.
ERROR: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "description": "invalid, not_found, forbidden …"},
                "message": {"type": "string", "description": "A sentence for a person."},
                "fields": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    "description": "The invalid fields, each with what is wrong.",
                },
                "request_id": {
                    "type": "string",
                    "description": "On a 500: the id under which the error was logged.",
                },
            },
        }
    },
}


# ------------------------------------------------------------------ skills and routing

# A weight is more than 0 (apispec writes the minimum, not that it is excluded: the metadata does).
WEIGHT = Range(0, 1, min_inclusive=False)


class SkillRef(Schema):
    id = Integer()
    name = String()


class SkillIn(StrictSchema):
    name = Text(1, 120, required=True)
    category = Text(0, 80, blank=True, load_default=None, allow_none=True)
    description = Text(0, 2000, blank=True, load_default="")
    aliases = List(Text(1, 120), load_default=list, validate=Length(0, 50))


class SkillPatch(StrictSchema):
    name = Text(1, 120)
    category = Text(0, 80, blank=True, allow_none=True)
    description = Text(0, 2000, blank=True)
    aliases = List(Text(1, 120), validate=Length(0, 50))


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
    weight = Number(load_default=1.0, validate=WEIGHT, metadata={"exclusiveMinimum": 0})


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
    text = Text(1, 64 * 1024, required=True)


class InferredOut(Schema):
    skill = Nested(SkillRef)
    weight = Float()
    why = String()


class InferOut(Schema):
    skills = List(Nested(InferredOut))
    triage = Boolean(metadata={"description": "True when no skill could be inferred."})


class TicketSkillIn(StrictSchema):
    skill_id = Id(required=True)
    weight = Number(load_default=1.0, validate=WEIGHT, metadata={"exclusiveMinimum": 0})


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
    proficiency = Whole(required=True, validate=Range(0, 5))
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
        validate=Regexp(rf"^{at_most(MAX_ID)}$"),
        metadata={"description": "A user id: entries by that person or about their account."},
    )
    action = String(validate=OneOf([a.value for a in AuditAction]))
    since = AwareDateTime(
        default_timezone=UTC, metadata={"description": "At or after (ISO 8601; UTC if no zone)."}
    )
    until = AwareDateTime(
        default_timezone=UTC, metadata={"description": "Before (ISO 8601; UTC if no zone)."}
    )
    cursor = String(
        validate=Regexp(rf"^{at_most(MAX_ID)}$"),
        metadata={"description": "The `next` of the previous page."},
    )
    limit = Integer(load_default=50, validate=Range(1, 100))

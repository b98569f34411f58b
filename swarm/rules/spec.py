"""A rule's definition: its trigger, its conditions and its ordered actions, read from plain
JSON and checked (:func:`parse_rule`). Everything a rule may say is listed here; anything else
is refused with a message that names the field, so that nothing half-understood is stored.

Loops: a rule never fires on an event that a rule caused (``swarm.rules.engine``), and a rule
whose own actions would write its trigger's event type is refused outright (:data:`WRITES`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

#: Event types a rule may be triggered by. Not ``message`` (room chatter is written in bulk by
#: the message writer, off the request path), not ``rule_fired`` (a rule acting on rules is a
#: loop waiting to happen) and none of the knowledge base's reading events.
TRIGGERS = (
    "created",
    "assigned",
    "unassigned",
    "queued",
    "escalated",
    "deescalated",
    "status_changed",
    "resolved",
    "reopened",
    "closed",
    "skills_set",
    "hand_raised",
    "help_offered",
    "helper_invited",
    "invitation_declined",
    "invitation_expired",
    "vendor_handoff",
    "priority_changed",
    "category_changed",
    "satisfaction_rated",
)
#: Triggers on which the ticket is no longer being worked: only actions that leave the ticket
#: alone (tell a person, call a webhook) are allowed there.
FINISHED = frozenset({"resolved", "closed"})
PRIORITIES = ("P1", "P2", "P3", "P4")
MODES = ("swarm", "tiered")
STATUSES = ("new", "open", "pending", "resolved", "closed")
MAX_TIER = 4

NAME_MAX = 120
CATEGORY_MAX = 80
REGEX_MAX = 200
WORD_MAX = 60
WORDS_MAX = 20
LIST_MAX = 20
REPLY_MAX = 4000
NOTE_MAX = 500
ACTIONS_MAX = 10
#: Minutes a "time since" condition may name: a year.
MINUTES_MAX = 525_600
#: How much of a ticket's text a ``text`` condition reads (subject and the body's start):
#: words are looked for in this much, a regex in the first :data:`REGEX_SCAN` characters.
TEXT_SCAN = 20_000
REGEX_SCAN = 4_000


class RuleError(ValueError):
    """A definition that cannot be stored: ``fields`` maps each bad field to what is wrong."""

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


@dataclass(frozen=True)
class TextMatch:
    """Matches when any of ``words`` appears as a whole word (case-insensitive), or when
    ``regex`` matches, in the subject and the body's first :data:`TEXT_SCAN` characters."""

    words: tuple[str, ...] = ()
    regex: str | None = None

    def matches(self, text: str) -> bool:
        scanned = text[:TEXT_SCAN]
        if self.words:
            tokens = set(re.findall(r"\w+", scanned.casefold()))
            if any(word in tokens for word in self.words):
                return True
        if self.regex is not None:
            return re.search(self.regex, scanned[:REGEX_SCAN], re.IGNORECASE) is not None
        return False


@dataclass(frozen=True)
class Conditions:
    """All given conditions must hold; an empty tuple or None means "any"."""

    priority: tuple[str, ...] = ()
    category: tuple[str, ...] = ()
    mode: str | None = None
    tier: tuple[int, ...] = ()
    status: tuple[str, ...] = ()
    #: Any of these skill ids is required by the ticket.
    skills: tuple[int, ...] = ()
    text: TextMatch | None = None
    #: Minutes since the ticket was opened: at least / less than.
    opened_at_least: int | None = None
    opened_less_than: int | None = None
    #: Minutes between the ticket's previous event and this one: at least.
    idle_at_least: int | None = None


@dataclass(frozen=True)
class SetPriority:
    priority: str
    kind: str = field(default="set_priority", init=False)


@dataclass(frozen=True)
class SetCategory:
    category: str | None
    kind: str = field(default="set_category", init=False)


@dataclass(frozen=True)
class AddSkills:
    skill_ids: tuple[int, ...]
    kind: str = field(default="add_skills", init=False)


@dataclass(frozen=True)
class InviteHelper:
    """Invite one agent (``agent_id``) or the best-placed agent for a skill (``skill_id``)."""

    agent_id: int | None = None
    skill_id: int | None = None
    kind: str = field(default="invite_helper", init=False)


@dataclass(frozen=True)
class PostReply:
    """A canned reply to the requester, in their conversation."""

    body: str
    kind: str = field(default="post_reply", init=False)


@dataclass(frozen=True)
class Escalate:
    """Tiered tickets: to ``to_tier``, or the next tier when None."""

    to_tier: int | None = None
    kind: str = field(default="escalate", init=False)


@dataclass(frozen=True)
class Notify:
    """An in-app notification to one person (their personal room)."""

    user_id: int
    message: str
    kind: str = field(default="notify", init=False)


@dataclass(frozen=True)
class CallWebhook:
    """Send the triggering event to one registered webhook, through the outbox."""

    webhook_id: int
    kind: str = field(default="call_webhook", init=False)


Action = (
    SetPriority
    | SetCategory
    | AddSkills
    | InviteHelper
    | PostReply
    | Escalate
    | Notify
    | CallWebhook
)

#: The event type each action is about: a rule triggered by it would act on its own work
#: ("when the priority changes, change the priority"), and is refused. What an action writes
#: besides (an escalation's ``unassigned`` and ``queued``) carries the run's ``cause`` like
#: everything a rule writes, and so fires no rule: "when a ticket is queued in Tier 1 and
#: mentions an outage, escalate it" escalates once.
WRITES: dict[str, frozenset[str]] = {
    "set_priority": frozenset({"priority_changed"}),
    "set_category": frozenset({"category_changed"}),
    "add_skills": frozenset({"skills_set"}),
    "invite_helper": frozenset({"helper_invited"}),
    "post_reply": frozenset({"message"}),
    "escalate": frozenset({"escalated"}),
    "notify": frozenset(),
    "call_webhook": frozenset(),
}
#: Actions that leave the ticket as it is: the only ones allowed on :data:`FINISHED` triggers.
HARMLESS = frozenset({"notify", "call_webhook"})


@dataclass(frozen=True)
class RuleSpec:
    trigger: str
    conditions: Conditions
    actions: tuple[Action, ...]


def parse_rule(trigger: Any, conditions: Any, actions: Any) -> RuleSpec:
    """Read and check a rule's trigger, conditions (an object) and actions (a list).

    >>> to_p1 = [{"type": "set_priority", "priority": "P1"}]
    >>> parse_rule("created", {"priority": ["P3"]}, to_p1).actions[0]
    SetPriority(priority='P1', kind='set_priority')
    >>> parse_rule("priority_changed", {}, to_p1)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    swarm.rules.spec.RuleError: A rule triggered by priority_changed cannot set_priority: ...
    """
    errors: dict[str, list[str]] = {}
    if trigger not in TRIGGERS:
        raise RuleError(
            f"Unknown trigger {trigger!r}; one of {', '.join(TRIGGERS)}.",
            {"trigger": ["Unknown event type."]},
        )
    parsed_conditions = _conditions(conditions, errors)
    parsed_actions = _actions(actions, errors)
    if errors:
        first = next(iter(errors.items()))
        raise RuleError(f"{first[0]}: {first[1][0]}", errors)
    for action in parsed_actions:
        if trigger in WRITES[action.kind]:
            raise RuleError(
                f"A rule triggered by {trigger} cannot {action.kind}: its own action would "
                "trigger it again.",
                {"actions": ["Would loop."]},
            )
        if trigger in FINISHED and action.kind not in HARMLESS:
            raise RuleError(
                f"A rule triggered by {trigger} acts on a finished ticket: it may only notify "
                "or call a webhook.",
                {"actions": ["Not on a finished ticket."]},
            )
    assert parsed_conditions is not None
    return RuleSpec(trigger, parsed_conditions, tuple(parsed_actions))


# ----------------------------------------------------------------- conditions

_CONDITION_KEYS = frozenset(
    {
        "priority",
        "category",
        "mode",
        "tier",
        "status",
        "skills",
        "text",
        "opened_at_least",
        "opened_less_than",
        "idle_at_least",
    }
)


def _conditions(raw: Any, errors: dict[str, list[str]]) -> Conditions | None:
    if raw is None:
        return Conditions()
    if not isinstance(raw, Mapping):
        errors["conditions"] = ["An object."]
        return None
    for key in sorted(set(raw) - _CONDITION_KEYS):
        errors[f"conditions.{key}"] = ["Unknown condition."]
    priority = _choices(raw.get("priority"), PRIORITIES, "conditions.priority", errors)
    category = _strings(raw.get("category"), CATEGORY_MAX, "conditions.category", errors)
    mode = raw.get("mode")
    if mode is not None and mode not in MODES:
        errors["conditions.mode"] = [f"One of {', '.join(MODES)}."]
        mode = None
    tiers = _ints(raw.get("tier"), 0, MAX_TIER, "conditions.tier", errors)
    status = _choices(raw.get("status"), STATUSES, "conditions.status", errors)
    skills = _ints(raw.get("skills"), 1, 2**31 - 1, "conditions.skills", errors)
    text = _text(raw.get("text"), errors)
    minutes = {
        key: _minutes(raw.get(key), f"conditions.{key}", errors)
        for key in ("opened_at_least", "opened_less_than", "idle_at_least")
    }
    return Conditions(
        priority=priority,
        category=category,
        mode=mode,
        tier=tiers,
        status=status,
        skills=skills,
        text=text,
        opened_at_least=minutes["opened_at_least"],
        opened_less_than=minutes["opened_less_than"],
        idle_at_least=minutes["idle_at_least"],
    )


#: Regex constructs refused: back-references, look-arounds, and a quantified group that holds
#: a quantifier (``(a+)+``), the shapes that make a backtracking engine take exponential time.
_UNSAFE = (
    (re.compile(r"\\[1-9]|\(\?P="), "Back-references are not allowed."),
    (re.compile(r"\(\?<?[=!]"), "Look-arounds are not allowed."),
    (
        re.compile(r"(?<!\()[*+}?][^()]*\)[*+{?]|[*+}]\)*[*+{]"),
        "Nested quantifiers are not allowed.",
    ),
    (re.compile(r"\|[^()]*\)[*+{]"), "A repeated group cannot hold alternatives."),
)


def _text(raw: Any, errors: dict[str, list[str]]) -> TextMatch | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        errors["conditions.text"] = ['An object: {"words": [...]} or {"regex": "..."}.']
        return None
    for key in sorted(set(raw) - {"words", "regex"}):
        errors[f"conditions.text.{key}"] = ["Unknown key."]
    words = _strings(raw.get("words"), WORD_MAX, "conditions.text.words", errors)
    for word in words:
        if not re.fullmatch(r"\w+", word):
            errors["conditions.text.words"] = ["Single words: letters, digits, underscores."]
            break
    regex = raw.get("regex")
    if regex is not None:
        if not isinstance(regex, str) or not regex:
            errors["conditions.text.regex"] = ["A non-empty string."]
            regex = None
        elif len(regex) > REGEX_MAX:
            errors["conditions.text.regex"] = [f"At most {REGEX_MAX} characters."]
            regex = None
        else:
            regex = _vetted(regex, errors)
    if not words and regex is None:
        errors.setdefault("conditions.text", ["Give words or a regex."])
        return None
    return TextMatch(tuple(w.casefold() for w in words), regex)


def _vetted(regex: str, errors: dict[str, list[str]]) -> str | None:
    for pattern, why in _UNSAFE:
        if pattern.search(regex):
            errors["conditions.text.regex"] = [why]
            return None
    try:
        re.compile(regex)
    except re.error as exc:
        errors["conditions.text.regex"] = [f"Not a regular expression: {exc}."]
        return None
    return regex


def _minutes(raw: Any, name: str, errors: dict[str, list[str]]) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= MINUTES_MAX:
        errors[name] = [f"Whole minutes from 0 to {MINUTES_MAX}."]
        return None
    return raw


def _list(raw: Any, name: str, errors: dict[str, list[str]]) -> Sequence[Any]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        errors[name] = ["A list."]
        return ()
    if len(raw) > LIST_MAX:
        errors[name] = [f"At most {LIST_MAX} items."]
        return ()
    return raw


def _choices(
    raw: Any, allowed: Sequence[str], name: str, errors: dict[str, list[str]]
) -> tuple[str, ...]:
    items = _list(raw, name, errors)
    if any(item not in allowed for item in items):
        errors[name] = [f"Each one of {', '.join(allowed)}."]
        return ()
    return tuple(dict.fromkeys(items))


def _strings(raw: Any, longest: int, name: str, errors: dict[str, list[str]]) -> tuple[str, ...]:
    items = _list(raw, name, errors)
    if any(not isinstance(i, str) or not i.strip() or len(i) > longest for i in items):
        errors[name] = [f"Non-empty strings of at most {longest} characters."]
        return ()
    return tuple(dict.fromkeys(i.strip() for i in items))


def _int(raw: Any, low: int, high: int) -> bool:
    return isinstance(raw, int) and not isinstance(raw, bool) and low <= raw <= high


def _ints(
    raw: Any, low: int, high: int, name: str, errors: dict[str, list[str]]
) -> tuple[int, ...]:
    items = _list(raw, name, errors)
    if any(not _int(i, low, high) for i in items):
        errors[name] = [f"Whole numbers from {low} to {high}."]
        return ()
    return tuple(dict.fromkeys(items))


# ----------------------------------------------------------------- actions

_ACTION_KEYS: dict[str, frozenset[str]] = {
    "set_priority": frozenset({"priority"}),
    "set_category": frozenset({"category"}),
    "add_skills": frozenset({"skill_ids"}),
    "invite_helper": frozenset({"agent_id", "skill_id"}),
    "post_reply": frozenset({"body"}),
    "escalate": frozenset({"to_tier"}),
    "notify": frozenset({"user_id", "message"}),
    "call_webhook": frozenset({"webhook_id"}),
}
ACTION_TYPES = tuple(_ACTION_KEYS)
_ID_MAX = 2**31 - 1


def _actions(raw: Any, errors: dict[str, list[str]]) -> list[Action]:
    if not isinstance(raw, list) or not raw:
        errors["actions"] = ["A non-empty list."]
        return []
    if len(raw) > ACTIONS_MAX:
        errors["actions"] = [f"At most {ACTIONS_MAX} actions."]
        return []
    parsed: list[Action] = []
    for index, item in enumerate(raw):
        name = f"actions.{index}"
        kind_given = item.get("type") if isinstance(item, Mapping) else None
        if not isinstance(kind_given, str) or kind_given not in _ACTION_KEYS:
            errors[name] = [f"An object whose type is one of {', '.join(ACTION_TYPES)}."]
            continue
        kind = str(item["type"])
        unknown = sorted(set(item) - _ACTION_KEYS[kind] - {"type"})
        if unknown:
            errors[f"{name}.{unknown[0]}"] = ["Unknown field."]
            continue
        action = _action(kind, item, name, errors)
        if action is not None:
            parsed.append(action)
    return parsed


def _action(
    kind: str, item: Mapping[str, Any], name: str, errors: dict[str, list[str]]
) -> Action | None:
    if kind == "set_priority":
        if item.get("priority") not in PRIORITIES:
            errors[f"{name}.priority"] = [f"One of {', '.join(PRIORITIES)}."]
            return None
        return SetPriority(str(item["priority"]))
    if kind == "set_category":
        category = item.get("category")
        if category is not None and (
            not isinstance(category, str) or not category.strip() or len(category) > CATEGORY_MAX
        ):
            errors[f"{name}.category"] = [f"A name of at most {CATEGORY_MAX} characters, or null."]
            return None
        return SetCategory(category.strip() if isinstance(category, str) else None)
    if kind == "add_skills":
        skills = _ints(item.get("skill_ids"), 1, _ID_MAX, f"{name}.skill_ids", errors)
        if not skills:
            errors.setdefault(f"{name}.skill_ids", ["At least one skill id."])
            return None
        return AddSkills(skills)
    if kind == "invite_helper":
        agent, skill = item.get("agent_id"), item.get("skill_id")
        if (agent is None) == (skill is None):
            errors[name] = ["Give agent_id or skill_id (one of them)."]
            return None
        if agent is not None and not _int(agent, 1, _ID_MAX):
            errors[f"{name}.agent_id"] = ["A user id."]
            return None
        if skill is not None and not _int(skill, 1, _ID_MAX):
            errors[f"{name}.skill_id"] = ["A skill id."]
            return None
        return InviteHelper(agent_id=agent, skill_id=skill)
    if kind == "post_reply":
        body = item.get("body")
        if not isinstance(body, str) or not body.strip() or len(body) > REPLY_MAX:
            errors[f"{name}.body"] = [f"Text of at most {REPLY_MAX} characters."]
            return None
        return PostReply(body.strip())
    if kind == "escalate":
        to_tier = item.get("to_tier")
        if to_tier is not None and not _int(to_tier, 1, MAX_TIER):
            errors[f"{name}.to_tier"] = [f"A tier from 1 to {MAX_TIER}, or null for the next."]
            return None
        return Escalate(to_tier)
    if kind == "notify":
        user, message = item.get("user_id"), item.get("message")
        if not _int(user, 1, _ID_MAX):
            errors[f"{name}.user_id"] = ["A user id."]
            return None
        if not isinstance(message, str) or not message.strip() or len(message) > NOTE_MAX:
            errors[f"{name}.message"] = [f"Text of at most {NOTE_MAX} characters."]
            return None
        return Notify(int(item["user_id"]), message.strip())
    webhook = item.get("webhook_id")
    if not _int(webhook, 1, _ID_MAX):
        errors[f"{name}.webhook_id"] = ["A webhook id."]
        return None
    return CallWebhook(int(item["webhook_id"]))


def action_json(action: Action) -> dict[str, Any]:
    """The stored form of an action: ``{"type": kind, …its fields}``, the input of
    :func:`parse_rule`."""
    data: dict[str, Any] = {"type": action.kind}
    for key in _ACTION_KEYS[action.kind]:
        value = getattr(action, key)
        if isinstance(value, tuple):
            value = list(value)
        if value is not None or key == "category":
            data[key] = value
    return data


def conditions_json(conditions: Conditions) -> dict[str, Any]:
    """The stored form of conditions (only those given), the input of :func:`parse_rule`."""
    data: dict[str, Any] = {}
    for key in sorted(_CONDITION_KEYS - {"text"}):
        value = getattr(conditions, key)
        if value in (None, ()):
            continue
        data[key] = list(value) if isinstance(value, tuple) else value
    if conditions.text is not None:
        text: dict[str, Any] = {}
        if conditions.text.words:
            text["words"] = list(conditions.text.words)
        if conditions.text.regex is not None:
            text["regex"] = conditions.text.regex
        data["text"] = text
    return data

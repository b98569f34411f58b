"""A rule read aloud: its trigger, conditions and actions as sentences for the admin page.

Pure: the names of the skills, people and webhooks a rule refers to by id are handed in
(:class:`Names`); an id with no name is shown as ``#id``, so a rule that names something since
removed still reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from swarm.rules.spec import (
    Action,
    AddSkills,
    CallWebhook,
    Conditions,
    Escalate,
    InviteHelper,
    Notify,
    PostReply,
    SetCategory,
    SetPriority,
)

#: What each trigger means, completing "When …".
TRIGGER_TEXT: dict[str, str] = {
    "created": "a ticket is opened",
    "assigned": "a ticket is assigned",
    "unassigned": "a ticket loses its owner",
    "queued": "a ticket is queued in a tier",
    "escalated": "a ticket is escalated",
    "deescalated": "a ticket is moved down a tier",
    "status_changed": "a ticket's status changes",
    "resolved": "a ticket is resolved",
    "reopened": "a ticket is reopened",
    "closed": "a ticket is closed",
    "skills_set": "a ticket's skills are set",
    "hand_raised": "an agent raises a hand",
    "help_offered": "someone offers help",
    "helper_invited": "a helper is invited",
    "invitation_declined": "an invitation is declined",
    "invitation_expired": "an invitation expires",
    "vendor_handoff": "a ticket is handed to a vendor",
    "priority_changed": "a ticket's priority changes",
    "category_changed": "a ticket's category changes",
    "satisfaction_rated": "the requester rates the answer",
}

#: How long a quoted text (a canned reply, a notification) may run in a sentence.
QUOTE_MAX = 80


@dataclass(frozen=True)
class Names:
    """Names of what a rule refers to by id."""

    skills: Mapping[int, str] = field(default_factory=dict)
    people: Mapping[int, str] = field(default_factory=dict)
    webhooks: Mapping[int, str] = field(default_factory=dict)


def describe_trigger(trigger: str) -> str:
    """``When a ticket is opened``.

    >>> describe_trigger("created")
    'When a ticket is opened'
    """
    return f"When {TRIGGER_TEXT.get(trigger, trigger)}"


def describe_conditions(conditions: Conditions, names: Names | None = None) -> list[str]:
    """One phrase per condition given, all of which must hold (an empty list: any ticket).

    >>> from swarm.rules.spec import TextMatch
    >>> describe_conditions(Conditions(priority=("P3", "P4"), text=TextMatch(("outage",))))
    ['priority is P3 or P4', 'the subject or description mentions “outage”']
    """
    n = names or Names()
    c = conditions
    out: list[str] = []
    if c.priority:
        out.append(f"priority is {_or(c.priority)}")
    if c.category:
        out.append(f"category is {_or(_quoted(c.category))}")
    if c.mode is not None:
        out.append(f"the ticket is in {c.mode} mode")
    if c.tier:
        out.append(f"the ticket is in tier {_or(str(t) for t in c.tier)}")
    if c.status:
        out.append(f"status is {_or(c.status)}")
    if c.skills:
        out.append(f"the ticket needs {_or(_named(c.skills, n.skills))}")
    if c.text is not None:
        if c.text.words:
            out.append(f"the subject or description mentions {_or(_quoted(c.text.words))}")
        if c.text.regex is not None:
            out.append(f"the subject or description matches /{c.text.regex}/")
    if c.opened_at_least is not None:
        out.append(f"it was opened at least {_minutes(c.opened_at_least)} ago")
    if c.opened_less_than is not None:
        out.append(f"it was opened less than {_minutes(c.opened_less_than)} ago")
    if c.idle_at_least is not None:
        out.append(f"nothing happened to it for at least {_minutes(c.idle_at_least)} before")
    return out


def describe_action(action: Action, names: Names | None = None) -> str:
    """What one action does, as an imperative sentence.

    >>> describe_action(SetPriority("P1"))
    'Set the priority to P1'
    >>> describe_action(InviteHelper(skill_id=4), Names(skills={4: "Exchange"}))
    'Invite the most proficient free agent for Exchange'
    """
    n = names or Names()
    if isinstance(action, SetPriority):
        return f"Set the priority to {action.priority}"
    if isinstance(action, SetCategory):
        if action.category is None:
            return "Clear the category"
        return f"Set the category to “{action.category}”"
    if isinstance(action, AddSkills):
        return f"Add the skills {_and(_named(action.skill_ids, n.skills))}"
    if isinstance(action, InviteHelper):
        if action.agent_id is not None:
            return f"Invite {_name(action.agent_id, n.people)} to the swarm"
        assert action.skill_id is not None
        return f"Invite the most proficient free agent for {_name(action.skill_id, n.skills)}"
    if isinstance(action, PostReply):
        return f"Reply to the requester: “{_cut(action.body)}”"
    if isinstance(action, Escalate):
        if action.to_tier is None:
            return "Escalate to the next tier"
        return f"Escalate to tier {action.to_tier}"
    if isinstance(action, Notify):
        return f"Notify {_name(action.user_id, n.people)}: “{_cut(action.message)}”"
    assert isinstance(action, CallWebhook)
    return f"Call the webhook {_name(action.webhook_id, n.webhooks)}"


def _name(key: int, known: Mapping[int, str]) -> str:
    return known.get(key, f"#{key}")


def _named(keys: Iterable[int], known: Mapping[int, str]) -> list[str]:
    return [_name(k, known) for k in keys]


def _quoted(items: Iterable[str]) -> list[str]:
    return [f"“{item}”" for item in items]


def _join(items: Iterable[str], word: str) -> str:
    parts = list(items)
    if len(parts) <= 1:
        return "".join(parts)
    return f"{', '.join(parts[:-1])} {word} {parts[-1]}"


def _or(items: Iterable[str]) -> str:
    return _join(items, "or")


def _and(items: Iterable[str]) -> str:
    return _join(items, "and")


def _minutes(minutes: int) -> str:
    if minutes % 1440 == 0 and minutes:
        days = minutes // 1440
        return f"{days} day{'s' if days != 1 else ''}"
    if minutes % 60 == 0 and minutes:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _cut(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= QUOTE_MAX else flat[: QUOTE_MAX - 1] + "…"

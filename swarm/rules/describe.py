"""A rule read aloud: its trigger, conditions and actions as sentences for the admin page.

Pure: the names of the skills, people and webhooks a rule refers to by id are handed in
(:class:`Names`); an id with no name is shown as ``#id``, so a rule that names something since
removed still reads. Each sentence is a :class:`swarm.phrases.Phrase`: English as it stands, and
said in the reader's language by the page (``swarm.web.i18n.say``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from swarm.phrases import N_, Phrase, ngettext
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
    "created": N_("a ticket is opened"),
    "assigned": N_("a ticket is assigned"),
    "unassigned": N_("a ticket loses its owner"),
    "queued": N_("a ticket is queued in a tier"),
    "escalated": N_("a ticket is escalated"),
    "deescalated": N_("a ticket is moved down a tier"),
    "status_changed": N_("a ticket's status changes"),
    "resolved": N_("a ticket is resolved"),
    "reopened": N_("a ticket is reopened"),
    "closed": N_("a ticket is closed"),
    "skills_set": N_("a ticket's skills are set"),
    "hand_raised": N_("an agent raises a hand"),
    "help_offered": N_("someone offers help"),
    "helper_invited": N_("a helper is invited"),
    "invitation_declined": N_("an invitation is declined"),
    "invitation_expired": N_("an invitation expires"),
    "vendor_handoff": N_("a ticket is handed to a vendor"),
    "priority_changed": N_("a ticket's priority changes"),
    "category_changed": N_("a ticket's category changes"),
    "satisfaction_rated": N_("the requester rates the answer"),
}

#: Each action type as the form's choice names it (``t | replace('_', ' ')`` in English).
ACTION_TEXT: dict[str, str] = {
    "set_priority": N_("set priority"),
    "set_category": N_("set category"),
    "add_skills": N_("add skills"),
    "invite_helper": N_("invite helper"),
    "post_reply": N_("post reply"),
    "escalate": N_("escalate"),
    "notify": N_("notify"),
    "call_webhook": N_("call webhook"),
}

#: How long a quoted text (a canned reply, a notification) may run in a sentence.
QUOTE_MAX = 80


@dataclass(frozen=True)
class Names:
    """Names of what a rule refers to by id."""

    skills: Mapping[int, str] = field(default_factory=dict)
    people: Mapping[int, str] = field(default_factory=dict)
    webhooks: Mapping[int, str] = field(default_factory=dict)


def describe_trigger(trigger: str) -> Phrase:
    """``When a ticket is opened``.

    >>> describe_trigger("created")
    'When a ticket is opened'
    """
    event = Phrase(TRIGGER_TEXT[trigger]) if trigger in TRIGGER_TEXT else trigger
    return Phrase(N_("When %(event)s"), event=event)


def describe_conditions(conditions: Conditions, names: Names | None = None) -> list[Phrase]:
    """One phrase per condition given, all of which must hold (an empty list: any ticket).

    >>> from swarm.rules.spec import TextMatch
    >>> describe_conditions(Conditions(priority=("P3", "P4"), text=TextMatch(("outage",))))
    ['priority is P3 or P4', 'the subject or description mentions “outage”']
    """
    n = names or Names()
    c = conditions
    out: list[Phrase] = []
    if c.priority:
        out.append(Phrase(N_("priority is %(values)s"), values=_or(c.priority)))
    if c.category:
        out.append(Phrase(N_("category is %(values)s"), values=_or(_quoted(c.category))))
    if c.mode is not None:
        out.append(Phrase(N_("the ticket is in %(mode)s mode"), mode=Phrase(_MODES[c.mode])))
    if c.tier:
        tiers = _or(str(t) for t in c.tier)
        out.append(Phrase(N_("the ticket is in tier %(tiers)s"), tiers=tiers))
    if c.status:
        statuses = _or(Phrase(_STATUSES.get(s, s)) for s in c.status)
        out.append(Phrase(N_("status is %(values)s"), values=statuses))
    if c.skills:
        skills = _or(_named(c.skills, n.skills))
        out.append(Phrase(N_("the ticket needs %(skills)s"), skills=skills))
    if c.text is not None:
        if c.text.words:
            words = _or(_quoted(c.text.words))
            out.append(Phrase(N_("the subject or description mentions %(words)s"), words=words))
        if c.text.regex is not None:
            out.append(
                Phrase(
                    N_("the subject or description matches /%(pattern)s/"),
                    pattern=c.text.regex,
                )
            )
    if c.opened_at_least is not None:
        out.append(
            Phrase(N_("it was opened at least %(time)s ago"), time=_minutes(c.opened_at_least))
        )
    if c.opened_less_than is not None:
        out.append(
            Phrase(N_("it was opened less than %(time)s ago"), time=_minutes(c.opened_less_than))
        )
    if c.idle_at_least is not None:
        out.append(
            Phrase(
                N_("nothing happened to it for at least %(time)s before"),
                time=_minutes(c.idle_at_least),
            )
        )
    return out


def all_of(phrases: Iterable[str]) -> Phrase:
    """Conditions that must all hold, as one phrase: ``a, b and c``.

    >>> all_of(["priority is P1", "status is new"])
    'priority is P1 and status is new'
    """
    return _and(phrases)


def describe_action(action: Action, names: Names | None = None) -> Phrase:
    """What one action does, as an imperative sentence.

    >>> describe_action(SetPriority("P1"))
    'Set the priority to P1'
    >>> describe_action(InviteHelper(skill_id=4), Names(skills={4: "Exchange"}))
    'Invite the most proficient free agent for Exchange'
    """
    n = names or Names()
    if isinstance(action, SetPriority):
        return Phrase(N_("Set the priority to %(priority)s"), priority=action.priority)
    if isinstance(action, SetCategory):
        if action.category is None:
            return Phrase(N_("Clear the category"))
        return Phrase(N_("Set the category to “%(category)s”"), category=action.category)
    if isinstance(action, AddSkills):
        skills = _and(_named(action.skill_ids, n.skills))
        return Phrase(N_("Add the skills %(skills)s"), skills=skills)
    if isinstance(action, InviteHelper):
        if action.agent_id is not None:
            person = _name(action.agent_id, n.people)
            return Phrase(N_("Invite %(person)s to the swarm"), person=person)
        assert action.skill_id is not None
        skill = _name(action.skill_id, n.skills)
        return Phrase(N_("Invite the most proficient free agent for %(skill)s"), skill=skill)
    if isinstance(action, PostReply):
        return Phrase(N_("Reply to the requester: “%(text)s”"), text=_cut(action.body))
    if isinstance(action, Escalate):
        if action.to_tier is None:
            return Phrase(N_("Escalate to the next tier"))
        return Phrase(N_("Escalate to tier %(tier)s"), tier=action.to_tier)
    if isinstance(action, Notify):
        person = _name(action.user_id, n.people)
        return Phrase(N_("Notify %(person)s: “%(text)s”"), person=person, text=_cut(action.message))
    assert isinstance(action, CallWebhook)
    webhook = _name(action.webhook_id, n.webhooks)
    return Phrase(N_("Call the webhook %(webhook)s"), webhook=webhook)


#: The words of a condition's codes (they are the ``word`` filter's too).
_MODES = {"swarm": N_("swarm"), "tiered": N_("tiered")}
_STATUSES = {
    "new": N_("new"),
    "open": N_("open"),
    "pending": N_("pending"),
    "resolved": N_("resolved"),
    "closed": N_("closed"),
}


def _name(key: int, known: Mapping[int, str]) -> str:
    return known.get(key, f"#{key}")


def _named(keys: Iterable[int], known: Mapping[int, str]) -> list[str]:
    return [_name(k, known) for k in keys]


def _quoted(items: Iterable[str]) -> list[str]:
    return [Phrase(N_("“%(text)s”"), text=item) for item in items]


def _list(parts: list[str]) -> Phrase:
    """``a, b, c`` (a list of phrases kept as one, each part translated on its own)."""
    if not parts:
        return Phrase("")
    values: dict[str, Any] = {f"p{i}": part for i, part in enumerate(parts)}
    return Phrase(", ".join(f"%(p{i})s" for i in range(len(parts))), **values)


def _or(items: Iterable[str]) -> str:
    parts = list(items)
    if len(parts) <= 1:
        return parts[0] if parts else ""
    return Phrase(N_("%(some)s or %(last)s"), some=_list(parts[:-1]), last=parts[-1])


def _and(items: Iterable[str]) -> Phrase:
    parts = list(items)
    if len(parts) <= 1:
        return Phrase("%(only)s", only=parts[0]) if parts else Phrase("")
    return Phrase(N_("%(some)s and %(last)s"), some=_list(parts[:-1]), last=parts[-1])


def _minutes(minutes: int) -> Phrase:
    if minutes % 1440 == 0 and minutes:
        return ngettext("%(num)d day", "%(num)d days", minutes // 1440)
    if minutes % 60 == 0 and minutes:
        return ngettext("%(num)d hour", "%(num)d hours", minutes // 60)
    return ngettext("%(num)d minute", "%(num)d minutes", minutes)


def _cut(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= QUOTE_MAX else flat[: QUOTE_MAX - 1] + "…"

"""Template filters: times people can read, and a sentence for each event in a timeline."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask_babel import format_date, format_datetime, format_decimal, get_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape

from swarm.mail.parse import size_text
from swarm.models import TicketEvent
from swarm.web import web
from swarm.web.i18n import N_, translate, word

#: The words beside each satisfaction score, on the form and wherever a rating is shown.
SCORE_WORDS = {
    1: N_("Very poor"),
    2: N_("Poor"),
    3: N_("Okay"),
    4: N_("Good"),
    5: N_("Great"),
}
web.add_app_template_global(SCORE_WORDS, "score_words")


@web.app_template_global()
def invalid(errors: dict[str, list[str]], name: str, element: str) -> Markup:
    """The attributes that mark a refused field (``name`` in ``errors``) and point a screen
    reader to its refusal, ``<p id="{element}-error">`` (``_fields.html``'s ``field_error``)."""
    if not errors.get(name):
        return Markup("")
    return Markup(' aria-invalid="true" aria-describedby="{}-error"').format(element)


@web.app_template_filter("when")
def when(value: datetime | None) -> Markup:
    """A ``<time>`` element: UTC on the server, turned into local time by swarm.js."""
    if value is None:
        return Markup("—")
    value = value.astimezone(UTC)
    if _english():
        label = value.strftime("%Y-%m-%d %H:%M UTC")
    else:  # the locale's own order of day, month and year (swarm.js still shows local time)
        label = format_datetime(value, "short", rebase=False) + " UTC"
    return Markup('<time datetime="{}">{}</time>').format(value.isoformat(), label)


@web.app_template_filter("filesize")
def filesize(value: int) -> str:
    return size_text(value)


def _english() -> bool:
    locale = get_locale()
    return locale is None or locale.language == "en"


@web.app_template_filter("day")
def day(value: datetime | None) -> str:
    """A date alone: ISO in English (as Swarm always wrote it), the locale's form otherwise."""
    if value is None:
        return "—"
    if _english():
        return value.strftime("%Y-%m-%d")
    return str(format_date(value, "medium"))


@web.app_template_filter("number")
def number(value: float | None) -> str:
    """A count with the locale's grouping: 12,345 in English, 12.345 in German."""
    if value is None:
        return "—"
    return str(format_decimal(value))


@web.app_template_filter("select_filters")
def select_filters(filters: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in filters.items() if value}


def _name(people: dict[int, str], user_id: Any) -> str:
    if user_id is None:
        return _("nobody")
    return people.get(int(user_id), _("user %(id)s", id=user_id))


@web.app_template_filter("describe")
def describe(
    event: TicketEvent, people: dict[int, str], skills: dict[int, str] | None = None
) -> Markup:
    """What happened, as the rest of a sentence that starts with the actor's name, in the
    reader's language (values stay as they were written)."""
    d = event.data or {}
    t = event.type
    if t == "created" and "mode" not in d:  # the requester's view: the arm is internal
        text = _("opened the ticket (%(priority)s)", priority=d.get("priority", "?"))
    elif t == "created":
        text = _(
            "opened the ticket (%(priority)s, %(mode)s mode)",
            priority=d.get("priority", "?"),
            mode=word(d.get("mode", "?")),
        )
    elif t == "assigned" and "by" not in d:  # the requester's view: who, never why
        text = _("— %(name)s is handling it", name=_name(people, d.get("agent_id")))
    elif t == "assigned" and d.get("by") == "pull" and d.get("agent_id") == event.actor_id:
        text = _("claimed the ticket")
    elif t == "assigned":
        target = _name(people, d.get("agent_id"))
        if d.get("by") == "policy":
            text = _("routed it → %(name)s", name=target)
        else:
            text = _("assigned it → %(name)s", name=target)
        if d.get("previous_owner_id"):
            text += " " + _("(from %(name)s)", name=_name(people, d["previous_owner_id"]))
        if d.get("why"):
            text += f": {d['why']}"
    elif t == "unassigned" and d.get("reason") in ("escalated", "deescalated"):
        text = _(
            "— handoff: %(name)s no longer owns it",
            name=_name(people, d.get("previous_owner_id")),
        )
    elif t == "unassigned":
        text = _("released ownership of %(name)s", name=_name(people, d.get("previous_owner_id")))
    elif t in {"status_changed", "closed"}:
        text = _(
            "changed the status %(from)s → %(to)s",
            **{"from": word(d.get("from")), "to": word(d.get("to"))},
        )
    elif t == "resolved":
        text = _("resolved the ticket")
    elif t == "reopened":
        text = _("reopened the ticket (was %(status)s)", status=word(d.get("from")))
        if d.get("reason"):
            text += f": {d['reason']}"
    elif t == "note":
        text = _("added an internal note")
    elif t == "skills_set":
        names = ", ".join(
            (skills or {}).get(
                int(item.get("skill_id", 0)), _("skill %(id)s", id=item.get("skill_id"))
            )
            for item in d.get("skills", [])
        ) or _("none")
        if d.get("by") == "inferred":
            text = _("inferred the skills: %(names)s", names=names)
        else:
            text = _("set the skills: %(names)s", names=names)
    elif t == "queued" and d.get("tier") is None:
        text = _("put it in the triage queue")
        if d.get("why"):
            text += f": {d['why']}"
    elif t == "queued":
        text = _("queued it for tier %(tier)s", tier=d.get("tier"))
    elif t in ("escalated", "deescalated"):
        reason = _("time limit passed") if d.get("reason") == "time_limit" else d.get("reason")
        tiers = {"from_tier": d.get("from_tier"), "to_tier": d.get("to_tier"), "reason": reason}
        if t == "escalated":
            text = _("escalated tier %(from_tier)s → %(to_tier)s (%(reason)s)", **tiers)
        else:
            text = _("de-escalated tier %(from_tier)s → %(to_tier)s (%(reason)s)", **tiers)
        if d.get("note"):
            text += f": {d['note']}"
    elif t == "helper_invited":
        text = _("invited %(name)s to help", name=_name(people, d.get("agent_id")))
    elif t in ("helper_joined", "helper_left"):
        text = _swarm_move(event, people)
    elif t == "guest_invited":
        text = _("gave %(name)s a guest link to the room", name=d.get("name") or _("a guest"))
    elif t == "guest_revoked":
        text = _("revoked %(name)s's guest link", name=d.get("name") or _("a guest"))
    elif t == "message" and d.get("kind") == "reply":
        text = _("wrote in the public conversation")
    elif t == "message" and d.get("kind") == "solution":
        text = _("wrote in the swarm room (solution)")
    elif t == "message":
        text = _("wrote in the swarm room")
    elif t == "hand_raised":
        text = _("raised a hand: help wanted") + (f" — {d['note']}" if d.get("note") else "")
    elif t == "help_offered":
        text = _("offered to help")
    elif t == "offer_declined":
        text = _(
            "said no, thanks, to %(name)s's offer of help", name=_name(people, d.get("agent_id"))
        )
        if d.get("note"):
            text += f": {d['note']}"
    elif t == "invitation_declined":
        text = _("declined the invitation") + (f": {d['reason']}" if d.get("reason") else "")
    elif t == "invitation_expired":
        text = _("— the invitation to %(name)s expired", name=_name(people, d.get("agent_id")))
    elif t == "satisfaction_rated":
        score = d.get("score")
        text = _(
            "rated the help %(score)s of 5 (%(words)s)",
            score=score,
            words=translate(SCORE_WORDS[score]) if score in SCORE_WORDS else "?",
        )
        if d.get("comment"):
            text += f": “{d['comment']}”"
    elif t == "vendor_handoff":
        text = _(
            "handed it to vendor %(vendor)s (ref %(ref)s)",
            vendor=d.get("vendor"),
            ref=d.get("external_ref"),
        )
    elif t == "vendor_update":
        text = _(
            "recorded a vendor update: %(status)s",
            status=str(d.get("status", "")).replace("_", " "),
        )
        if d.get("note"):
            text += f" — {d['note']}"
    elif t == "article_linked" and d.get("kind") == "source":
        text = _("drafted article %(id)s from this swarm", id=d.get("article_id"))
    elif t == "article_linked":
        text = _("linked article %(id)s: it helped resolve this", id=d.get("article_id"))
    elif t == "article_published":
        text = _("published article %(id)s, drafted from this swarm", id=d.get("article_id"))
    elif t == "article_suggested":
        text = _("was shown article %(id)s before asking", id=d.get("article_id"))
    elif t == "article_viewed":
        text = _("read article %(id)s", id=d.get("article_id"))
    elif t == "classified" and d.get("kind") == "known":
        text = _(
            "— known issue: article %(id)s answers it (score %(score)s)",
            id=d.get("article_id"),
            score=d.get("score"),
        )
    elif t == "classified":
        text = _("— a new issue: no published article answers it")
    elif t == "priority_changed":
        text = _("— a rule set the priority to %(value)s", value=d.get("to") or _("none"))
    elif t == "category_changed":
        text = _("— a rule set the category to %(value)s", value=d.get("to") or _("none"))
    elif t == "rule_fired":
        text = _(
            "— rule %(rule)s fired (%(outcome)s)",
            rule=d.get("rule_name", d.get("rule_id")),
            outcome=d.get("outcome"),
        )
    else:
        text = t.replace("_", " ")
    return escape(text)


JOINED_VIA = {
    "invitation": N_("accepted an invitation and joined the swarm"),
    "offer": N_("joined the swarm: their offer of help was accepted"),
    "added": N_("was added to the swarm"),
    "message": N_("joined the swarm by writing in it"),
    "note": N_("joined the swarm with an internal note"),
    "was_owner": N_("stays on as a helper after handing it over"),
}
LEFT_BECAUSE = {
    "left": N_("left the swarm"),
    "idle": N_("stopped helping (away and silent)"),
    "resolved": N_("— the swarm ended with the resolution"),
    "became_owner": N_("now owns it instead of helping"),
}


def _swarm_move(event: TicketEvent, people: dict[int, str]) -> str:
    """A helper's arrival or departure, and why; the sentence starts with the actor, who is
    usually that helper (their name is not said twice)."""
    d = event.data or {}
    agent = d.get("agent_id")
    who = "" if agent == event.actor_id else f"— {_name(people, agent)} "
    if event.type == "helper_joined":
        # Older rows: was_owner (a previous owner who stayed), or no "via" at all.
        what = (
            _("stays in the swarm as a helper")
            if d.get("was_owner")
            else translate(JOINED_VIA.get(str(d.get("via")), N_("joined the swarm")))
        )
    elif d.get("became_owner"):
        what = translate(LEFT_BECAUSE["became_owner"])
    elif d.get("lost"):  # older rows: the presence keeper closed it
        what = _("left the swarm (connection lost)")
    else:
        what = translate(LEFT_BECAUSE.get(str(d.get("reason")), N_("left the swarm")))
    if event.type == "helper_left" and d.get("reason") == "resolved" and not who:
        what = _("helped until the ticket was resolved")
    return who + what


def people_in(events: list[TicketEvent]) -> set[int]:
    """Ids of the users an event log mentions in its data."""
    ids: set[int] = set()
    for event in events:
        for key in ("agent_id", "previous_owner_id", "requester_id"):
            value = (event.data or {}).get(key)
            if isinstance(value, int):
                ids.add(value)
    return ids

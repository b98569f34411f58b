"""Automation rules page (docs/rules.md): admins create, change, enable, disable and remove
rules; managers read them and their recent runs, as over the API (``/api/v1/rules``).

The form is a way of writing the API's JSON: :func:`rule_from_form` turns its fields into the
same ``{name, trigger, conditions, actions, enabled}`` and ``RuleService`` checks it with the
same code (``swarm.rules.spec``), so the page and the API accept and refuse the same rules. A
refusal names its fields; :func:`form_errors` puts each message beside the input it is about
and the form comes back with everything as it was typed."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.datastructures import MultiDict

from swarm.automation.service import RuleService
from swarm.rules import spec as rules
from swarm.rules.describe import (
    ACTION_TEXT,
    TRIGGER_TEXT,
    Names,
    all_of,
    describe_action,
    describe_conditions,
    describe_trigger,
)
from swarm.runtime import db_session, runtime
from swarm.tickets.errors import Conflict, Invalid
from swarm.web import web
from swarm.web.forms import current
from swarm.web.i18n import say, translate

#: Condition fields of the form and the key of ``conditions`` each one writes.
LISTS = {"c_priority": "priority", "c_status": "status", "c_tier": "tier", "c_skills": "skills"}
MINUTES = {
    "c_opened_at_least": "opened_at_least",
    "c_opened_less_than": "opened_less_than",
    "c_idle_at_least": "idle_at_least",
}
#: The form's field for each ``conditions.*`` field a refusal names.
CONDITION_FIELDS = {
    **{f"conditions.{key}": name for name, key in {**LISTS, **MINUTES}.items()},
    "conditions.category": "c_category",
    "conditions.mode": "c_mode",
    "conditions.text": "c_words",
    "conditions.text.words": "c_words",
    "conditions.text.regex": "c_regex",
}
#: Each action's fields (besides its type), as the form names them: ``a<row>_<field>``.
ACTION_FIELDS = (
    "priority",
    "category",
    "skill_ids",
    "agent_id",
    "skill_id",
    "body",
    "to_tier",
    "user_id",
    "message",
    "webhook_id",
)
#: Blank action rows offered below a rule's actions (more after saving, up to the limit).
SPARE_ROWS = 2
#: Runs shown on a rule's page, newest first (the API pages further).
RUNS_SHOWN = 25


def _service() -> RuleService:
    return RuleService(db_session(), runtime().clock)


# ----------------------------------------------------------------- form <-> rule


def _number(text: str) -> int | str | None:
    """A number typed into a field; anything else is passed on as typed, for the rule's own
    check to refuse with its own words (nothing is silently dropped)."""
    text = text.strip()
    if not text:
        return None
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else text


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def rule_from_form(form: MultiDict[str, str]) -> tuple[dict[str, Any], dict[str, Any], list[int]]:
    """The form as the API's rule JSON, the draft to show again (the fields as typed), and for
    each action of the JSON the form row it came from (blank rows are left out)."""
    draft: dict[str, Any] = {
        "name": form.get("name", ""),
        "trigger": form.get("trigger", ""),
        "enabled": form.get("enabled") == "1",
        "version": form.get("version", ""),
        "c_category": form.get("c_category", ""),
        "c_mode": form.get("c_mode", ""),
        "c_words": form.get("c_words", ""),
        "c_regex": form.get("c_regex", ""),
    }
    conditions: dict[str, Any] = {}
    for name, key in LISTS.items():
        draft[name] = form.getlist(name)
        if draft[name]:
            numeric = key in ("tier", "skills")
            conditions[key] = [_number(v) if numeric else v for v in draft[name]]
    for name, key in MINUTES.items():
        draft[name] = form.get(name, "")
        if (value := _number(draft[name])) is not None:
            conditions[key] = value
    if draft["c_category"].strip():
        conditions["category"] = _split(draft["c_category"])
    if draft["c_mode"]:
        conditions["mode"] = draft["c_mode"]
    words = [w for w in re.split(r"[\s,]+", draft["c_words"]) if w]
    regex = draft["c_regex"].strip()
    if words or regex:
        conditions["text"] = {
            **({"words": words} if words else {}),
            **({"regex": regex} if regex else {}),
        }

    rows: list[dict[str, Any]] = []
    actions: list[dict[str, Any]] = []
    origin: list[int] = []
    for index in range(rules.ACTIONS_MAX):
        if f"a{index}_type" not in form:
            break
        kind = form.get(f"a{index}_type", "")
        row = {"type": kind, **{f: form.get(f"a{index}_{f}", "") for f in ACTION_FIELDS}}
        row["skill_ids"] = form.getlist(f"a{index}_skill_ids")
        rows.append(row)
        if not kind:
            continue
        actions.append(_action(kind, row))
        origin.append(index)
    draft["actions"] = rows
    body = {
        "name": draft["name"],
        "trigger": draft["trigger"],
        "conditions": conditions,
        "actions": actions,
        "enabled": draft["enabled"],
    }
    return body, draft, origin


def _action(kind: str, row: dict[str, Any]) -> dict[str, Any]:
    """One action row as JSON: the fields its type takes (``rules.ACTION_FIELDS``)."""
    action: dict[str, Any] = {"type": kind}
    if kind == "set_priority":
        action["priority"] = row["priority"]
    elif kind == "set_category":
        action["category"] = row["category"].strip() or None
    elif kind == "add_skills":
        action["skill_ids"] = [_number(v) for v in row["skill_ids"]]
    elif kind == "invite_helper":
        for key in ("agent_id", "skill_id"):
            if (value := _number(row[key])) is not None:
                action[key] = value
    elif kind == "post_reply":
        action["body"] = row["body"]
    elif kind == "escalate":
        action["to_tier"] = _number(row["to_tier"])
    elif kind == "notify":
        action["user_id"] = _number(row["user_id"])
        action["message"] = row["message"]
    elif kind == "call_webhook":
        action["webhook_id"] = _number(row["webhook_id"])
    return action


def draft_of(rule: dict[str, Any]) -> dict[str, Any]:
    """A stored rule (the API's view) as the form's fields."""
    c = rule["conditions"]
    text = c.get("text") or {}
    draft: dict[str, Any] = {
        "name": rule["name"],
        "trigger": rule["trigger"],
        "enabled": rule["enabled"],
        "version": str(rule["version"]),
        "c_category": ", ".join(c.get("category", [])),
        "c_mode": c.get("mode") or "",
        "c_words": ", ".join(text.get("words", [])),
        "c_regex": text.get("regex") or "",
    }
    for name, key in LISTS.items():
        draft[name] = [str(v) for v in c.get(key, [])]
    for name, key in MINUTES.items():
        draft[name] = "" if c.get(key) is None else str(c[key])
    rows = []
    for action in rule["actions"]:
        row = {"type": action["type"], **dict.fromkeys(ACTION_FIELDS, "")}
        for key in ACTION_FIELDS:
            value = action.get(key)
            if isinstance(value, list):
                row[key] = [str(v) for v in value]
            elif value is not None:
                row[key] = str(value)
        row.setdefault("skill_ids", [])
        if not isinstance(row["skill_ids"], list):
            row["skill_ids"] = []
        rows.append(row)
    draft["actions"] = rows
    return draft


def empty_draft() -> dict[str, Any]:
    return draft_of(
        {
            "name": "",
            "trigger": "created",
            "enabled": True,
            "version": "",
            "conditions": {},
            "actions": [],
        }
    ) | {"version": ""}


def form_errors(fields: dict[str, list[str]], origin: list[int]) -> dict[str, list[str]]:
    """A refusal's fields (``conditions.text.regex``, ``actions.2.priority``) as the form's
    (``c_regex``, ``a<row>_priority``); what no input is about stays under ``form``."""
    errors: dict[str, list[str]] = {}
    for key, messages in fields.items():
        name = key if key in ("name", "trigger") else CONDITION_FIELDS.get(key)
        if name is None and (match := re.fullmatch(r"actions\.(\d+)(?:\.(\w+))?", key)):
            index = int(match.group(1))
            row = origin[index] if index < len(origin) else index
            name = f"a{row}" + (f"_{match.group(2)}" if match.group(2) else "")
        if name is None and key == "skills":
            name = "c_skills"
            messages = [*messages, _("(a skill named here or in an action)")]
        said = [translate(m) for m in messages]
        errors.setdefault(name or "form", []).extend(said)
    return errors


def _rows(draft: dict[str, Any]) -> list[dict[str, Any]]:
    """The action rows to show: the draft's, and blank ones to add more (up to the limit)."""
    rows = list(draft["actions"])
    blank = {"type": "", **dict.fromkeys(ACTION_FIELDS, ""), "skill_ids": []}
    while len(rows) < min(len(draft["actions"]) + SPARE_ROWS, rules.ACTIONS_MAX):
        rows.append(dict(blank))
    return rows


# ----------------------------------------------------------------- rendering


def _names(choices: dict[str, list[tuple[int, str]]]) -> Names:
    return Names(
        skills=dict(choices["skills"]),
        people=dict(choices["staff"]),
        webhooks=dict(choices["webhooks"]),
    )


def _dated(item: dict[str, Any], *keys: str) -> dict[str, Any]:
    """The view's ISO times as datetimes, for the ``when`` filter."""
    for key in keys:
        if item.get(key):
            item[key] = datetime.fromisoformat(item[key])
    return item


def _sentences(rule: dict[str, Any], names: Names) -> dict[str, Any]:
    """The rule read aloud in the reader's language: ``when``, ``conditions`` (all of them in
    one phrase, empty for any ticket) and ``actions``."""
    try:
        spec = rules.parse_rule(rule["trigger"], rule["conditions"], rule["actions"])
    except rules.RuleError as exc:
        # Stored before a check grew stricter: the runner skips it; the page says why.
        return {
            "when": say(describe_trigger(rule["trigger"])),
            "conditions": "",
            "actions": [
                _(
                    "Nothing: this rule no longer reads as a rule (%(why)s)",
                    why=translate(exc.message),
                )
            ],
        }
    conditions = describe_conditions(spec.conditions, names)
    return {
        "when": say(describe_trigger(spec.trigger)),
        "conditions": say(all_of(conditions)) if conditions else "",
        "actions": [say(describe_action(a, names)) for a in spec.actions],
    }


def _form_page(
    draft: dict[str, Any],
    rule_id: int | None = None,
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> Any:
    choices = _service().choices(current())
    return render_template(
        "admin/rule_form.html",
        draft=draft,
        rows=_rows(draft),
        rule_id=rule_id,
        errors=errors or {},
        choices=choices,
        triggers=[(t, translate(TRIGGER_TEXT[t])) for t in rules.TRIGGERS],
        action_names={t: translate(ACTION_TEXT[t]) for t in rules.ACTION_TYPES},
        priorities=rules.PRIORITIES,
        statuses=rules.STATUSES,
        modes=rules.MODES,
        tiers=range(rules.MAX_TIER + 1),
        action_types=rules.ACTION_TYPES,
        limits={
            "name": rules.NAME_MAX,
            "regex": rules.REGEX_MAX,
            "reply": rules.REPLY_MAX,
            "note": rules.NOTE_MAX,
            "category": rules.CATEGORY_MAX,
            "minutes": rules.MINUTES_MAX,
        },
    ), status


def _refused(
    exc: Invalid | Conflict, draft: dict[str, Any], origin: list[int], rule_id: int | None
) -> Any:
    db_session().rollback()
    errors = form_errors(exc.fields or {}, origin)
    if not exc.fields:
        errors.setdefault("form", []).append(translate(exc.message))
        flash(_("Not saved: %(why)s", why=translate(exc.message)), "error")
    else:
        flash(_("Not saved: see the messages beside the fields."), "error")
    return _form_page(draft, rule_id, errors, exc.status)


# ----------------------------------------------------------------- routes


@web.get("/admin/rules")
@login_required
def rules_page() -> Any:
    service = _service()
    listed = service.list(current())
    names = _names(service.choices(current()))
    for rule in listed:
        rule["sentences"] = _sentences(rule, names)
        rule["fired"] = sum(rule["runs"].values())
        _dated(rule, "last_run_at")
    return render_template("admin/rules.html", rules=listed, editor=current().role == "admin")


@web.get("/admin/rules/new")
@login_required
def new_rule() -> Any:
    _service().require_editor(current())
    return _form_page(empty_draft())


@web.post("/admin/rules")
@login_required
def create_rule_page() -> Any:
    body, draft, origin = rule_from_form(request.form)
    try:
        created = _service().create(current(), body)
    except (Invalid, Conflict) as exc:
        return _refused(exc, draft, origin, None)
    flash(_("Rule “%(name)s” saved.", name=created["name"]), "info")
    return redirect(url_for("web.rule_page", rule_id=created["id"]))


@web.get("/admin/rules/<id:rule_id>")
@login_required
def rule_page(rule_id: int) -> Any:
    service = _service()
    rule = service.get(current(), rule_id)
    rule["sentences"] = _sentences(rule, _names(service.choices(current())))
    rule["fired"] = sum(rule["runs"].values())
    _dated(rule, "last_run_at", "updated_at")
    runs = [_dated(run, "at") for run in service.runs(current(), rule_id, limit=RUNS_SHOWN)]
    return render_template(
        "admin/rule.html",
        rule=rule,
        runs=runs,
        editor=current().role == "admin",
    )


@web.get("/admin/rules/<id:rule_id>/edit")
@login_required
def edit_rule(rule_id: int) -> Any:
    service = _service()
    service.require_editor(current())
    return _form_page(draft_of(service.get(current(), rule_id)), rule_id)


@web.post("/admin/rules/<id:rule_id>")
@login_required
def change_rule_page(rule_id: int) -> Any:
    body, draft, origin = rule_from_form(request.form)
    changes = dict(body)
    if (version := _number(draft["version"])) is not None:
        changes["version"] = version
    try:
        _service().update(current(), rule_id, changes)
    except (Invalid, Conflict) as exc:
        return _refused(exc, draft, origin, rule_id)
    flash(_("Rule saved."), "info")
    return redirect(url_for("web.rule_page", rule_id=rule_id))


@web.post("/admin/rules/<id:rule_id>/enabled")
@login_required
def switch_rule(rule_id: int) -> Any:
    enabled = request.form.get("enabled") == "1"
    rule = _service().update(current(), rule_id, {"enabled": enabled})
    if enabled:
        flash(_("Rule “%(name)s” enabled.", name=rule["name"]), "info")
    else:
        flash(_("Rule “%(name)s” disabled.", name=rule["name"]), "info")
    back = request.form.get("back")
    if back == "rule":
        return redirect(url_for("web.rule_page", rule_id=rule_id))
    return redirect(url_for("web.rules_page"))


@web.get("/admin/rules/<id:rule_id>/remove")
@login_required
def confirm_remove_rule(rule_id: int) -> Any:
    service = _service()
    service.require_editor(current())
    rule = service.get(current(), rule_id)
    rule["fired"] = sum(rule["runs"].values())
    return render_template("admin/rule_remove.html", rule=rule)


@web.post("/admin/rules/<id:rule_id>/remove")
@login_required
def remove_rule(rule_id: int) -> Any:
    service = _service()
    name = service.get(current(), rule_id)["name"]
    service.delete(current(), rule_id)
    flash(
        _("Rule “%(name)s” removed. Its rule_fired events stay in the tickets' logs.", name=name),
        "info",
    )
    return redirect(url_for("web.rules_page"))

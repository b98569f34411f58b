"""Small helpers shared by the page views."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, cast

from flask import request
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import Schema, ValidationError
from marshmallow.fields import Boolean, Field, Float, Integer, String

from swarm.inputs import ascii_int
from swarm.models import User
from swarm.phrases import N_
from swarm.web.i18n import translate


def current() -> User:
    """The signed-in user (only called in views behind ``login_required``)."""
    return cast(User, current_user._get_current_object())


def form_int(value: str | None) -> int | None:
    """A number typed into a form or query string: ASCII digits within 0..2⁶³−1, else None."""
    return ascii_int(value)


#: marshmallow's own sentences that a form's field can meet, marked so that the catalogue has
#: them: the page says them in the reader's language (``| say``), the API in English. Its
#: sentences with values in them ("Must be one of: P1, P2.") stay English.
SCHEMA_SENTENCES = (
    N_("Missing data for required field."),
    N_("Not a valid integer."),
    N_("Not a valid number."),
    N_("Not a valid string."),
    N_("Not a valid boolean."),
    N_("Field may not be null."),
    N_("Unknown field."),
)


#: What the page says above a refused form: the service's own sentence where it has one for
#: that field, else that the messages are beside the fields.
REFUSED = {
    ("rate", "score"): N_("The score is a whole number from 1 (bad) to 5 (great)."),
    ("guest", "name"): N_("The guest link needs a name and a duration."),
    ("guest", "hours"): N_("The guest link needs a name and a duration."),
    ("escalate", "reason"): N_("Say why you escalate the ticket: the next tier reads it first."),
    ("deescalate", "reason"): N_(
        "Say why you de-escalate the ticket: the next tier reads it first."
    ),
    ("notifications", "quiet_hours"): N_("Quiet hours need a start and an end (or neither)."),
}


def refused(form: str, errors: dict[str, list[str]]) -> str:
    """The sentence above ``form`` when its fields ``errors`` were refused."""
    for field in errors:
        if (form, field) in REFUSED:
            return translate(REFUSED[form, field])
    return _("Not saved: see the messages beside the fields.")


def load_form(
    schema: Schema,
    names: Iterable[str],
    *,
    lists: Iterable[str] = (),
    values: Mapping[str, Any] | None = None,
    cleared: Iterable[str] = (),
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The form's fields ``names``, checked by the API's schema for the same input
    (``swarm/api/schemas.py``), so that a page and the API accept and refuse alike: the
    loaded values and no errors, or what was typed and the errors by field, in the API's
    words.

    A form has only text, so each field is read as the API's JSON would carry it: digits
    as a number for a number field, a ticked box as true. Anything else stays text and the
    schema refuses it as it refuses that text in JSON ("Not a valid integer."). An optional
    field left empty is left out, so that the schema's default applies (a select's "any"); a
    required one left empty is the empty text for a text field (its own "is empty" sentence)
    and missing for any other. ``lists`` are fields sent several times (ticked boxes);
    ``values`` are fields the page worked out itself (the article numbers typed in a box).
    ``cleared`` are fields of an edit form whose emptied text is sent as it is (a title
    emptied is refused, not left unchanged)."""
    form = request.form
    typed: dict[str, Any] = {name: form.get(name, "") for name in names}
    given: dict[str, Any] = {}
    for name, text in typed.items():
        field = schema.fields[name]
        if text != "":
            given[name] = _as_json(field, text)
        elif isinstance(field, String) and (field.required or name in cleared):
            given[name] = text
    for name in lists:
        typed[name] = form.getlist(name)
        given[name] = [_as_json(schema.fields[name].inner, v) for v in typed[name]]  # type: ignore[attr-defined]
    given.update(values or {})
    loaded, errors = load_data(schema, given)
    return (typed, errors) if errors else (loaded, {})


def load_data(
    schema: Schema, given: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """``given`` (what a page built from its form, in the API's JSON shape) loaded by the API's
    schema: the loaded values and no errors, or ``given`` and the errors by top-level field."""
    try:
        return schema.load(given), {}
    except ValidationError as exc:
        messages = exc.normalized_messages()
        return dict(given), {str(k): _sentences(v) for k, v in messages.items()}


def _as_json(field: Field, text: str) -> Any:
    """``text`` as the JSON value the API's ``field`` takes, when it reads as one."""
    if isinstance(field, Boolean):
        return text in ("1", "on", "true", "yes")
    if isinstance(field, Integer):
        # Read as a number up to int()'s own limit of digits, so that a number past the field's
        # range is refused by the range, in the words the API says for the same JSON number.
        digits = text.removeprefix("-")
        return int(text) if digits.isascii() and digits.isdigit() and len(text) <= 4300 else text
    if isinstance(field, Float):
        try:
            number = float(text) if len(text) <= 40 else None
        except ValueError:
            return text
        # "nan", "inf" or "1e999" is no number JSON can carry: refused as text, as in JSON.
        return number if number is not None and math.isfinite(number) else text
    return text


def _sentences(messages: Any) -> list[str]:
    """A field's messages as a list of sentences, worded as the API's ``fields`` word them
    (``swarm/app.py``): an item of a list or a nested field is named before its message."""
    if isinstance(messages, dict):
        return [f"{key}: {m}" for key, inner in messages.items() for m in _sentences(inner)]
    if isinstance(messages, list):
        return [m for item in messages for m in _sentences(item)]
    return [str(messages)]

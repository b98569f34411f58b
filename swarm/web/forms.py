"""Small helpers shared by the page views."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from flask import request
from flask_login import current_user
from marshmallow import Schema, ValidationError

from swarm.inputs import ascii_int
from swarm.models import User


def current() -> User:
    """The signed-in user (only called in views behind ``login_required``)."""
    return cast(User, current_user._get_current_object())


def form_int(value: str | None) -> int | None:
    """A number typed into a form or query string: ASCII digits within 0..2⁶³−1, else None."""
    return ascii_int(value)


def load_form(schema: Schema, names: Iterable[str]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The form's fields ``names``, checked by the API's schema for the same input
    (``swarm/api/schemas.py``), so that a page and the API accept and refuse alike: the
    loaded values and no errors, or what was typed and the errors by field. An optional field
    left empty is left out, so that the schema's default applies (a select's "any")."""
    typed = {name: request.form.get(name, "") for name in names}
    given = {k: v for k, v in typed.items() if v != "" or schema.fields[k].required}
    try:
        return schema.load(given), {}
    except ValidationError as exc:
        messages = exc.normalized_messages()
        return typed, {str(k): [str(m) for m in v] for k, v in messages.items()}

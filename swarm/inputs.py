"""What every request's input must be before any view sees it: ids that fit a 64-bit column,
numbers written in ASCII digits, JSON without lone surrogates and not nested beyond reason.

One place for each rule: the ``id`` URL converter for path ids, :func:`ascii_int` for numbers
typed into forms and query strings, :class:`CheckedJSON` for every JSON body Flask parses
(``request.get_json``, which ``create_app`` runs once before each view), and :func:`check_value`
for payloads that arrive otherwise (Socket.IO events).
"""

from __future__ import annotations

import json
from typing import Any

from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import BaseConverter, ValidationError

MAX_ID = 2**63 - 1  # the largest value a BIGINT (and SQLite's INTEGER) column holds
MAX_DEPTH = 64  # arrays and objects inside one another; no payload of ours needs ten

LONE_SURROGATE = "The JSON has an invalid character (a lone surrogate)."
NUL = "The JSON has an invalid character (a NUL, which no text column holds)."
TOO_DEEP = f"The JSON is nested too deeply (over {MAX_DEPTH} levels)."


class BadJSON(ValueError):
    """JSON that parses but that no view should see; its message is the sentence to answer."""


def ascii_int(text: str | None, low: int = 0, high: int = MAX_ID) -> int | None:
    """``text`` as an int when it is ASCII digits only and within ``low..high``, else None.
    (``str.isdigit`` alone accepts "²", which ``int()`` then refuses.)"""
    if not text or len(text) > 19 or not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if low <= value <= high else None


class IdConverter(BaseConverter):
    """``<id:name>``: a row id, 1..2⁶³−1 in ASCII digits; anything else does not match the
    route, so it is a 404 like any unknown address, never an overflow in the database."""

    regex = r"[0-9]{1,19}"
    part_isolating = True

    def to_python(self, value: str) -> int:
        number = ascii_int(value, 1)
        if number is None:
            raise ValidationError
        return number

    def to_url(self, value: Any) -> str:
        return str(int(value))


def check_value(value: Any) -> None:
    """Raise :class:`BadJSON` when a decoded value holds a lone surrogate or a NUL (in a key
    or a string: PostgreSQL refuses both) or is nested deeper than :data:`MAX_DEPTH`.
    Iterative: depth cannot overflow it."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if not _encodable(item):
                raise BadJSON(LONE_SURROGATE)
            if "\x00" in item:
                raise BadJSON(NUL)
        elif isinstance(item, dict | list):
            if depth >= MAX_DEPTH:
                raise BadJSON(TOO_DEEP)
            if isinstance(item, dict):
                for key, inner in item.items():
                    stack.append((key, depth))
                    stack.append((inner, depth + 1))
            else:
                stack.extend((inner, depth + 1) for inner in item)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def loads(data: str | bytes) -> Any:
    """``json.loads`` that refuses what :func:`check_value` refuses; a document deep enough
    to exhaust the parser's recursion is refused the same way."""
    try:
        value = json.loads(data)
    except RecursionError:
        raise BadJSON(TOO_DEEP) from None
    check_value(value)
    return value


class CheckedJSON(DefaultJSONProvider):
    """The app's JSON provider: request bodies are parsed by :func:`loads`."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads(s)

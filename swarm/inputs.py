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

# What ``str.strip`` removes, as the body of a regular-expression class: the services strip a
# text before they refuse it as empty, and ``\s`` means less than that in JSON Schema.
_SPACE = r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
#: A text without NUL (which no PostgreSQL text column holds).
TEXT = r"^[^\x00]*$"
#: A text without NUL that is more than spaces; linear to match (no nested repetition).
NON_BLANK = rf"^[{_SPACE}]*[^\x00{_SPACE}][^\x00]*$"


class BadJSON(ValueError):
    """JSON that parses but that no view should see; its message is the sentence to answer."""


def ascii_int(text: str | None, low: int = 0, high: int = MAX_ID) -> int | None:
    """``text`` as an int when it is ASCII digits only and within ``low..high``, else None.
    (``str.isdigit`` alone accepts "²", which ``int()`` then refuses.)"""
    if not text or len(text) > 19 or not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if low <= value <= high else None


def at_most(bound: int) -> str:
    """A regular expression of the decimal numbers 1..``bound`` (no leading zero).

    >>> import re
    >>> [n for n in ("0", "7", "99", "100", "101", "07") if re.fullmatch(at_most(100), n)]
    ['7', '99', '100']
    """
    digits = str(bound)
    shorter = [f"[1-9][0-9]{{0,{len(digits) - 2}}}"] if len(digits) > 1 else []
    same: list[str] = []
    for i, digit in enumerate(digits):
        low = "1" if i == 0 else "0"
        if int(digit) > int(low):
            rest = len(digits) - i - 1
            same.append(f"{digits[:i]}[{low}-{int(digit) - 1}][0-9]{{{rest}}}")
    same.append(digits)
    return "(?:" + "|".join(shorter + same) + ")"


class IdConverter(BaseConverter):
    """``<id:name>``: a row id, 1..2⁶³−1 in ASCII digits; anything else does not match the
    route, so it is a 404 like any unknown address, never an overflow in the database.

    The range is in the regular expression, not only in ``to_python``: Werkzeug answers 405
    when a rule of another method matched the address and this one's conversion failed."""

    regex = at_most(MAX_ID)
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

"""Find the words in a Jinja template that no translation call wraps (docs/translations.md).

Jinja's own lexer splits the template: the text between tags is kept, each ``{{ … }}``,
``{% … %}`` and every ``{% trans %}…{% endtrans %}`` block becomes a marker. What remains is
read as HTML: a text node (outside ``<script>``, ``<style>``, ``<code>``) or a user-facing
attribute (``title``, ``aria-label``, ``placeholder``, ``alt``, a button's ``value``) that still
holds a letter once the markers are taken out is English nobody can translate. Numbers,
punctuation, entities and whitespace are not words. Expressions are out of reach of a text
scan: a label written as a string inside ``{{ … }}`` or ``{% set %}`` must be wrapped by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

from jinja2 import Environment

MARK = "\x01"
LETTER = re.compile(r"[^\W\d_]")
ATTRIBUTES = {"title", "aria-label", "placeholder", "alt", "summary"}
UNREAD = {"script", "style", "code", "pre", "kbd", "samp"}
_ENV = Environment(extensions=["jinja2.ext.i18n"])  # noqa: S701 (lexing only: nothing rendered)


@dataclass(frozen=True)
class Untranslated:
    line: int
    text: str
    where: str  # "text" or the attribute's name


def skeleton(source: str) -> str:
    """``source`` with every Jinja construct (and every trans block whole) replaced by
    :data:`MARK`, on the same lines as before."""
    out: list[str] = []
    line = 1
    in_trans = False
    pending: str | None = None  # the token after a block's start: is it trans/endtrans?
    for lineno, kind, value in _ENV.lex(source):
        if lineno > line:
            out.append("\n" * (lineno - line))
            line = lineno
        if kind == "block_begin":
            pending = "next"
            continue
        if pending == "next" and kind == "name":
            if value == "trans":
                in_trans = True
            elif value == "endtrans":
                in_trans = False
            pending = None
        if kind == "data" and not in_trans:
            out.append(value)
            line += value.count("\n")
        elif kind in ("block_end", "variable_end"):
            out.append(MARK)
    return "".join(out)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.unread_depth = 0
        self.found: list[Untranslated] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in UNREAD:
            self.unread_depth += 1
        named = dict(attrs)
        for name, value in attrs:
            wanted = name in ATTRIBUTES or (
                name == "value" and tag == "input" and named.get("type") in ("submit", "button")
            )
            if wanted and value and LETTER.search(value.replace(MARK, "")):
                self.found.append(Untranslated(self.getpos()[0], value.replace(MARK, "…"), name))

    def handle_endtag(self, tag: str) -> None:
        if tag in UNREAD and self.unread_depth:
            self.unread_depth -= 1

    def handle_data(self, data: str) -> None:
        if self.unread_depth:
            return
        words = data.replace(MARK, " ")
        first = LETTER.search(words)
        if first:
            line = self.getpos()[0] + data.count("\n", 0, first.start())
            self.found.append(Untranslated(line, " ".join(words.split()), "text"))


def untranslated(source: str) -> list[Untranslated]:
    """The words of ``source`` (a template) outside every translation call."""
    reader = _Reader()
    reader.feed(skeleton(source))
    reader.close()
    return reader.found

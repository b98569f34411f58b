"""Sentences a pure module writes in English and a page says in the reader's language.

Pure code never imports Flask, so it cannot ask for the request's language. It marks its fixed
sentences with :func:`N_` (and :func:`ngettext` for a number), which ``make translations``
extracts, and builds a :class:`Phrase`: the English text, as the tests and the API read it,
that also remembers its catalogue sentence and values. ``swarm.web.i18n.say`` translates one,
values first (docs/translations.md).

>>> p = Phrase(N_("Escalate to tier %(tier)s"), tier=2)
>>> p, p.text, dict(p.values)
('Escalate to tier 2', 'Escalate to tier %(tier)s', {'tier': 2})
>>> ngettext("%(num)d hour", "%(num)d hours", 3)
'3 hours'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping


def N_(message: str) -> str:
    """Marks ``message`` for the catalogue and leaves it in English (it is translated where it
    is shown)."""
    return message


class Phrase(str):
    """An English sentence (``str`` itself) and what it was made of: ``text`` (the catalogue's
    sentence with named placeholders), ``plural`` and ``number`` for a counted one, and the
    ``values``, which may be phrases too."""

    text: str
    plural: str | None
    number: int | None
    values: Mapping[str, object]

    def __new__(
        cls,
        text: str,
        /,
        *,
        plural: str | None = None,
        number: int | None = None,
        **values: object,
    ) -> Phrase:
        if number is not None:
            values.setdefault("num", number)
        chosen = plural if plural is not None and number != 1 else text
        self = super().__new__(cls, chosen % values if values else chosen)
        self.text, self.plural, self.number, self.values = text, plural, number, values
        return self


def ngettext(singular: str, plural: str, num: int, **values: object) -> Phrase:
    """A counted phrase; ``%(num)d`` is the number. (Named after gettext's own, so that the
    extractor takes both forms as one plural entry.)"""
    return Phrase(singular, plural=plural, number=num, **values)


def render(
    text: object,
    gettext: Callable[[str], str],
    ngettext: Callable[[str, str, int], str],
) -> str:
    """``text`` through a catalogue's ``gettext``/``ngettext`` (a page's, or a mail's for its
    reader): a :class:`Phrase` with its values rendered first, any other text looked up whole.

    >>> german = {"Escalate to tier %(tier)s": "An Stufe %(tier)s eskalieren"}
    >>> render(Phrase(N_("Escalate to tier %(tier)s"), tier=2), german.get, lambda s, p, n: p)
    'An Stufe 2 eskalieren'
    """
    if not isinstance(text, Phrase):
        return gettext(str(text)) if str(text) else ""
    if not text.text:
        return str(text)
    values = {
        k: render(v, gettext, ngettext) if isinstance(v, Phrase) else v
        for k, v in text.values.items()
    }
    if text.plural is not None and text.number is not None:
        values["num"] = text.number
        return ngettext(text.text, text.plural, text.number) % values
    return gettext(text.text) % values if values else gettext(text.text)

"""The language of each request: Flask-Babel, the locale selector, and the translation of the
sentences the services and Flask write in English (docs/translations.md).

A person's own choice (``User.locale``, set on /account) wins; else the browser's
``Accept-Language``, best match among the languages Swarm is translated into; else English.
The services never import Flask: their refusals carry an English sentence, which the adapters
translate here by looking it up in the catalogue (``pybabel extract`` finds those sentences
through the error classes' names, see babel.cfg); a sentence with values in it stays English.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, has_request_context, request
from flask_babel import Babel, get_locale, get_translations
from flask_babel import gettext as _gettext
from flask_login import current_user

from swarm.accounts.service import LOCALES
from swarm.phrases import N_, render

#: Each language by its own name, as the choice on /account shows it.
LANGUAGE_NAMES = {"en": "English", "de": "Deutsch"}


def select_locale() -> str:
    """The request's language: the person's choice, else the browser's, else English."""
    if not has_request_context():
        return "en"
    user = current_user
    own = getattr(user, "locale", None) if user and user.is_authenticated else None
    if own in LOCALES:
        return str(own)
    return request.accept_languages.best_match(LOCALES) or "en"


__all__ = ["LANGUAGE_NAMES", "N_", "init_i18n", "say", "select_locale", "translate", "word"]


def translate(message: str) -> str:
    """``message`` in the request's language when the catalogue has it, else as it is."""
    if not has_request_context():
        return message
    return str(_gettext(message))


def say(text: object) -> str:
    """A pure module's :class:`~swarm.phrases.Phrase` in the request's language, its values
    said first (a name or a number is left as it is); any other text through :func:`translate`."""
    if not has_request_context():
        return str(text)
    return render(text, _plain_gettext, _plain_ngettext)


def _plain_gettext(message: str) -> str:
    return str(get_translations().ugettext(message))


def _plain_ngettext(singular: str, plural: str, num: int) -> str:
    return str(get_translations().ungettext(singular, plural, num))


#: The codes pages show as words (a ticket's status and mode, a role, a presence, an article
#: contributor's part, a chart's period): the code stays in URLs, classes and the API; the page
#: shows the word in the reader's language.
WORDS = {
    "new": N_("new"),
    "open": N_("open"),
    "pending": N_("pending"),
    "resolved": N_("resolved"),
    "closed": N_("closed"),
    "swarm": N_("swarm"),
    "tiered": N_("tiered"),
    "requester": N_("requester"),
    "agent": N_("agent"),
    "manager": N_("manager"),
    "admin": N_("admin"),
    "online": N_("online"),
    "away": N_("away"),
    "busy": N_("busy"),
    "offline": N_("offline"),
    "owner": N_("owner"),
    "helper": N_("helper"),
    "week": N_("week"),
    "day": N_("day"),
    "done": N_("done"),
    "failed": N_("failed"),
    "running": N_("running"),
}


def word(code: object) -> str:
    """The word for ``code`` in the request's language (the code itself when it has none)."""
    text = str(code)
    return translate(WORDS[text]) if text in WORDS else text


def init_i18n(app: Flask) -> None:
    Babel(app, locale_selector=select_locale)
    app.add_template_filter(word, "word")
    app.add_template_filter(say, "say")

    @app.context_processor
    def languages() -> dict[str, Any]:
        return {"language_names": LANGUAGE_NAMES, "current_locale": str(get_locale() or "en")}

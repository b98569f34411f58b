"""Markdown to safe HTML: a kept parser (markdown-it-py, CommonMark) with raw HTML switched off,
then a kept sanitiser (nh3, an allow-list) over whatever the parser produced.

Two layers on purpose: the parser escapes HTML typed into the Markdown, and refuses
``javascript:``-like link targets; the sanitiser is the guarantee, whatever a parser
extension or a future option lets through. Only the tags and attributes below survive, and a
URL only with the schemes below (no ``javascript:``, no ``data:``).
"""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt

TAGS = frozenset(
    {
        "a", "blockquote", "br", "code", "del", "em", "s", "h1", "h2", "h3", "h4", "h5", "h6",
        "hr", "img", "li", "ol", "p", "pre", "strong", "table", "tbody", "td", "th",
        "thead", "tr", "ul",
    }
)  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "td": {"align"},
    "th": {"align"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
# Control characters other than tab and newlines: never meaningful in an article, and the
# search snippets use two of them as highlight markers.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

_markdown = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


def clean_text(text: str) -> str:
    """``text`` without control characters (tab and line breaks stay)."""
    return CONTROL.sub("", text)


def sanitize_html(html: str) -> str:
    """Only the allowed tags, attributes and URL schemes of ``html``; links get
    ``rel="noopener noreferrer nofollow"``."""
    return nh3.clean(
        html,
        tags=set(TAGS),
        attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def render_markdown(body: str) -> str:
    """The article body as sanitised HTML, safe to place in a page as it is.

    >>> render_markdown("[x](javascript:alert(1)) **bold**")
    '<p>[x](javascript:alert(1)) <strong>bold</strong></p>\\n'
    """
    return sanitize_html(_markdown.render(clean_text(body)))

"""Article Markdown renders to HTML with no way to run script: the corpus of injection vectors
(tests/xss_corpus.py) through the parser and the sanitiser."""

from __future__ import annotations

import html
from html.parser import HTMLParser

import pytest

from swarm.knowledge.render import TAGS, clean_text, render_markdown
from tests.xss_corpus import BODIES, TITLES

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "background"}


class Elements(HTMLParser):
    """Every start tag of a fragment with its attributes (entity-decoded, as a browser reads)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, attrs))


def elements(fragment: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    parser = Elements()
    parser.feed(fragment)
    parser.close()
    return parser.found


def assert_inert(rendered: str) -> None:
    for tag, attrs in elements(rendered):
        assert tag in TAGS, f"<{tag}> survived"
        for name, value in attrs:
            assert not name.startswith("on"), f"{name} on <{tag}>"
            if name in URL_ATTRIBUTES and value is not None:
                scheme = "".join(html.unescape(value).split()).lower()
                assert not scheme.startswith(("javascript:", "data:", "vbscript:")), value


def test_the_corpus_has_at_least_fifty_vectors():
    assert len(BODIES) + len(TITLES) >= 50
    assert len(set(BODIES)) == len(BODIES)


@pytest.mark.parametrize("body", BODIES)
def test_no_vector_survives_rendering(body: str):
    rendered = render_markdown(body)
    assert_inert(rendered)
    assert "<script" not in rendered.lower()
    assert "49" not in rendered  # no template ran: {{7*7}} stays text


@pytest.mark.parametrize("title", TITLES)
def test_a_title_rendered_as_markdown_is_inert_too(title: str):
    assert_inert(render_markdown(title))


def test_safe_markdown_keeps_its_formatting():
    rendered = render_markdown(
        "# Reset the VPN\n\n1. Open **Settings**\n2. Run `vpn reset`\n\n"
        "[Guide](https://example.test/vpn) ~~old~~\n\n| a | b |\n|---|---|\n| 1 | 2 |"
    )
    assert "<h1>Reset the VPN</h1>" in rendered
    assert "<strong>Settings</strong>" in rendered and "<code>vpn reset</code>" in rendered
    assert (
        '<a href="https://example.test/vpn" rel="noopener noreferrer nofollow">Guide</a>'
        in rendered
    )
    assert "<s>old</s>" in rendered and "<td>1</td>" in rendered


def test_typed_html_is_shown_as_text_not_dropped():
    assert render_markdown("Use <b>bold</b>") == "<p>Use &lt;b&gt;bold&lt;/b&gt;</p>\n"


def test_control_characters_are_removed_but_lines_stay():
    assert clean_text("a\x00b\x02c\td\ne\r\n") == "abc\td\ne\r\n"

"""Every word a page shows can be translated, and German has them all (docs/translations.md).

A template's text outside a translation call fails here with its file, line and words; so does a
sentence marked in the code (``_()``, ``N_()``, a domain error, ``abort()``) that the German
catalogue lacks, leaves empty or marks fuzzy; and a compiled ``.mo`` that is not its ``.po``.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from jinja2 import Environment, nodes

from tests.i18n_scan import untranslated

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "swarm" / "web" / "templates"
CATALOGUES = ROOT / "swarm" / "translations"
LANGUAGES = ("de",)
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%%")
#: A string constant in a template expression that reads as prose: words with a space between
#: them, or a capitalised word (labels, not codes such as 'web.home' or 'open').
PROSE = re.compile(r"[^\W\d_]{2}.*\s.*[^\W\d_]|^[A-Z][a-z]")
NOT_SHOWN = (nodes.Compare, nodes.Operand, nodes.Test, nodes.Getitem)
TRANSLATING = {"_", "gettext", "ngettext", "url_for"}


def templates() -> list[Path]:
    return sorted(TEMPLATES.rglob("*.html"))


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _keywords() -> dict[str, tuple[int, ...] | None]:
    """gettext's own names plus the Makefile's BABEL_KEYWORDS: one list for both."""
    line = next(
        line
        for line in (ROOT / "Makefile").read_text().splitlines()
        if line.startswith("BABEL_KEYWORDS")
    )
    keywords: dict[str, tuple[int, ...] | None] = {
        "_": None,
        "gettext": None,
        "ngettext": (1, 2),
        "lazy_gettext": None,
    }
    for word in line.split(":=", 1)[1].split():
        name, _, index = word.partition(":")
        keywords[name] = (int(index),) if index else None
    return keywords


def extracted() -> dict[str | tuple[str, ...], list[str]]:
    """Every marked sentence in swarm/ (as ``make translations`` extracts it), with where."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: dict[str | tuple[str, ...], list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=_keywords()
    ):
        found.setdefault(message, []).append(f"{filename}:{lineno}")
    return found


def catalogue(language: str):
    with (CATALOGUES / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=language)


def test_the_scanner_finds_bare_words_and_lets_translated_ones_pass() -> None:
    source = (
        "{% block title %}Hello{% endblock %}\n"
        "<p>{{ _('Fine') }} · 12 &amp; {{ n }}</p>\n"
        '<button aria-label="Close {{ name }}">{% trans %}Also fine{% endtrans %}</button>\n'
        "<script>const words = 'not read';</script><code>GET /api</code>\n"
        '<p>\n  Left\n  alone</p><input type="submit" value="Go">'
    )
    found = [(u.line, u.where, u.text) for u in untranslated(source)]
    assert found == [
        (1, "text", "Hello"),
        (3, "aria-label", "Close …"),
        (6, "text", "Left alone"),
        (7, "value", "Go"),
    ]


@pytest.mark.parametrize("path", templates(), ids=_name)
def test_every_word_of_a_template_is_inside_a_translation_call(path: Path) -> None:
    found = untranslated(path.read_text())
    assert not found, "\n".join(
        f"{_name(path)}:{u.line}: {u.where} not translatable: {u.text!r}"
        " (wrap it in {{ _('…') }} or {% trans %}; docs/translations.md)"
        for u in found
    )


@pytest.mark.parametrize("path", templates(), ids=_name)
def test_no_label_in_a_template_expression_escapes_translation(path: Path) -> None:
    """Text inside ``{{ … }}`` or ``{% set %}`` (a label in a list, a word in a conditional)
    is out of the text scan's reach: a string constant that reads as prose must be inside
    ``_()``; compared, looked-up and URL arguments are codes, not words."""
    env = Environment(extensions=["jinja2.ext.i18n"])  # noqa: S701 (parsing only)
    found: list[str] = []

    def walk(node: nodes.Node, parents: list[nodes.Node]) -> None:
        if isinstance(node, nodes.Const) and isinstance(node.value, str):
            inside_call = any(
                isinstance(p, nodes.Call)
                and isinstance(p.node, nodes.Name)
                and p.node.name in TRANSLATING
                for p in parents
            )
            shown = not parents or not isinstance(parents[-1], NOT_SHOWN)
            if PROSE.search(node.value) and shown and not inside_call:
                found.append(
                    f"{_name(path)}:{node.lineno}: string not translatable: {node.value!r}"
                )
        for child in node.iter_child_nodes():
            walk(child, [*parents, node])

    walk(env.parse(path.read_text()), [])
    assert not found, "\n".join(found) + "\n(wrap it in _('…'); docs/translations.md)"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_marked_sentence_is_translated(language: str) -> None:
    messages = {m.id: m for m in catalogue(language) if m.id}
    problems = []
    for message_id, where in sorted(extracted().items(), key=lambda item: item[1][0]):
        entry = messages.get(message_id)
        strings = (
            ()
            if entry is None
            else entry.string
            if isinstance(entry.string, tuple)
            else (entry.string,)
        )
        if entry is None:
            problems.append(f"{where[0]}: not in the {language} catalogue: {message_id!r}")
        elif entry.fuzzy or not all(strings):
            problems.append(f"{where[0]}: untranslated or fuzzy in {language}: {message_id!r}")
    assert not problems, "\n".join(problems) + "\n(run `make translations` and translate them)"


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_translation_keeps_the_placeholders_of_its_sentence(language: str) -> None:
    wrong = []
    for message in catalogue(language):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = sorted(PLACEHOLDER.findall(ids[-1]))
        for string in strings:
            if string and sorted(PLACEHOLDER.findall(string)) != wanted:
                wrong.append(f"{message.id!r} → {string!r}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogue_is_the_po_file(language: str) -> None:
    """The .mo is committed (the wheel and a checkout need no compile step): it must say what
    the .po says — `make translations` compiles both together."""
    po = {_key(m.id): _key(m.string) for m in catalogue(language) if m.id and not m.fuzzy}
    mo_path = CATALOGUES / language / "LC_MESSAGES" / "messages.mo"
    mo = {_key(m.id): _key(m.string) for m in read_mo(io.BytesIO(mo_path.read_bytes())) if m.id}
    assert mo == po


def _key(value: str | list[str] | tuple[str, ...]) -> str | tuple[str, ...]:
    return value if isinstance(value, str) else tuple(value)

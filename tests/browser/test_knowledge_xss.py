"""The injection corpus (tests/xss_corpus.py) rendered by Chromium: no vector runs.

The page is the sanitised HTML alone, with no Content-Security-Policy, so that the sanitiser is
what is tested (the app's policy would hide a vector that slipped through it). Anything that
ran would open a dialog, set ``window.__xss``, or log the marker to the console.
"""

from __future__ import annotations

import pytest
from markupsafe import escape

from swarm.knowledge.render import render_markdown
from tests.xss_corpus import BODIES, TITLES

pytestmark = pytest.mark.browser

MARKER = "XSS-RAN"
TRAP = f"""
window.__xss = 0;
for (const name of ["alert", "confirm", "prompt", "print"]) {{
  window[name] = () => {{ window.__xss += 1; console.log("{MARKER} " + name); }};
}}
"""


def run_in_chromium(browser, sections: list[str]) -> tuple[int, list[str], list[str]]:  # type: ignore[no-untyped-def]
    """Load ``sections`` as one page; how many trapped calls ran, the dialogs, the console."""
    document = "<!doctype html><html><head><title>corpus</title></head><body>"
    document += "\n".join(sections) + "</body></html>"
    context = browser.new_context()
    context.add_init_script(TRAP)
    page = context.new_page()
    dialogs: list[str] = []
    console: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("console", lambda message: console.append(message.text))
    try:
        page.set_content(document, wait_until="load")
        # Give timers, image errors and autofocus a moment; then mouse over and focus all.
        page.wait_for_timeout(300)
        page.evaluate(
            """() => document.querySelectorAll('*').forEach((el) => {
                 for (const type of ['mouseover', 'mouseenter', 'focus', 'toggle']) {
                   el.dispatchEvent(new Event(type));
                 }
               })"""
        )
        page.wait_for_timeout(200)
        ran = int(page.evaluate("window.__xss"))
        found = page.evaluate(
            """() => [...document.scripts].map((s) => 'script').concat(
                 [...document.querySelectorAll('*')].flatMap(
                   (el) => [...el.attributes].filter((a) => a.name.startsWith('on'))
                                             .map((a) => el.tagName + ' ' + a.name)))"""
        )
    finally:
        context.close()
    return ran, dialogs + found, [line for line in console if MARKER in line]


def test_the_trap_sees_a_vector_that_runs(browser):  # type: ignore[no-untyped-def]
    ran, found, console = run_in_chromium(browser, ["<img src=x onerror=alert(1)>"])
    assert ran == 1 and found == ["IMG onerror"] and len(console) == 1


def test_no_vector_of_the_corpus_runs_in_chromium(browser):  # type: ignore[no-untyped-def]
    sections = [f"<article><h2>{escape(t)}</h2></article>" for t in TITLES]
    sections += [f"<article>{render_markdown(body)}</article>" for body in BODIES]
    assert len(sections) >= 50
    assert run_in_chromium(browser, sections) == (0, [], [])

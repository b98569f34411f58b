"""The what-if page's form is checked by the API's SimulationIn (swarm/web/simulation_pages.py):
a knob the API refuses is refused on the page with the API's own sentence beside the field,
what was typed stays in the form, and no run starts."""

from __future__ import annotations

import html as markup
import re
from typing import Any

import pytest
from sqlalchemy import func, select

from swarm.models import SimulationRun
from swarm.simulation.runs import examples
from tests.api.test_pages import html, post_form

pytestmark = pytest.mark.skipif(not examples(), reason="the example scenarios are not here")

# The page's element for each knob (its refusal is <p id="{element}-error">).
ELEMENTS = {"per_hour": "s-rate", "days": "s-days", "agents": "s-agents", "seed": "s-seed"}
HUGE = 2**70

# (the knob, what is typed on the page, the same value in the API's JSON)
CASES: list[tuple[str, str, Any]] = [
    *[
        (knob, typed, value)
        for knob in ("per_hour", "days", "agents")
        for typed, value in (("0", 0), ("-1", -1), ("abc", "abc"), ("²", "²"), (str(HUGE), HUGE))
    ],
    *[(knob, " ", " ") for knob in ELEMENTS],
    ("per_hour", "nan", "nan"),
    ("agents", "1.5", 1.5),
    ("seed", "-1", -1),
    ("seed", "abc", "abc"),
    ("seed", "²", "²"),
    ("seed", str(HUGE), HUGE),
    ("title", " ", " "),
    ("title", "t" * 121, "t" * 121),
]


@pytest.fixture
def launched(monkeypatch) -> list[int]:
    """The runs that would have been handed to a child process (none is)."""
    started: list[int] = []
    for module in ("swarm.web.simulation_pages", "swarm.api.simulation_views"):
        monkeypatch.setattr(f"{module}.launch", lambda _app, run_id: started.append(run_id))
    return started


def _shown(page: str, element: str) -> str | None:
    found = re.search(rf'<p class="field-error" id="{element}-error">(.*?)</p>', page, re.S)
    return markup.unescape(found.group(1)) if found else None


@pytest.mark.parametrize(("knob", "typed", "value"), CASES)
def test_the_page_refuses_what_the_api_refuses_in_its_words(
    login, db, manager, launched, knob, typed, value
):
    client = login(manager)
    api = client.post("/api/v1/simulations", json={"example": "small", knob: value})
    assert api.status_code == 422, api.json
    reasons = api.json["error"]["fields"][knob]

    page = post_form(client, "/simulations", "/simulations", example="small", **{knob: typed})

    assert page.status_code == 422
    element = ELEMENTS.get(knob, "s-title")
    assert _shown(html(page), element) == " ".join(reasons)
    assert f'aria-invalid="true" aria-describedby="{element}-error"' in html(page)
    assert "Nothing started: see the messages beside the fields." in html(page)
    if typed.strip():
        assert f'value="{markup.escape(typed)}"' in html(page)  # what was typed stays
    assert db.scalar(select(func.count()).select_from(SimulationRun)) == 0
    assert launched == []


@pytest.mark.parametrize(
    ("knob", "value", "sentence"),
    [
        ("per_hour", 0, "Give a number above zero."),
        ("per_hour", -4, "Give a number above zero."),
        ("per_hour", 20_000, "Give a number from 0.001 to 10,000."),
        ("days", -1, "Give a number above zero."),
        ("days", 0.001, "Give a number from 0.01 to 366."),
        ("days", 400, "Give a number from 0.01 to 366."),
        ("agents", 0, "Give a whole number from 1 to 5,000."),
        ("seed", 2**31, "Give a whole number from 0 to 2,147,483,647."),
        ("scenario", "#" * 200_001, "Too many characters: at most 200,000 are accepted."),
    ],
)
def test_the_api_says_the_knob_s_own_sentence(login, manager, knob, value, sentence):
    answer = login(manager).post("/api/v1/simulations", json={"example": "small", knob: value})
    assert answer.status_code == 422
    assert answer.json["error"]["fields"] == {knob: [sentence]}


def test_blank_knobs_and_good_ones_start_a_run_on_the_page_and_by_the_api(
    login, db, manager, launched
):
    """A knob left empty is the scenario's own, as a knob left out of the JSON."""
    client = login(manager)
    knobs = {"per_hour": "", "days": "0.5", "agents": "", "seed": "0", "title": ""}
    page = post_form(client, "/simulations", "/simulations", example="small", **knobs)
    assert page.status_code == 302, _shown(html(page), "s-days")
    api = client.post("/api/v1/simulations", json={"example": "small", "days": 0.5, "seed": 0})
    assert api.status_code == 202, api.json
    assert len(launched) == 2
    db.expire_all()
    runs = db.scalars(select(SimulationRun).order_by(SimulationRun.id)).all()
    assert [run.title for run in runs] == [runs[1].title] * 2  # the scenario's name, both


def test_the_page_says_the_knob_s_sentence_in_the_reader_s_language(login, manager, launched):
    client = login(manager)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de"
    page = post_form(client, "/simulations", "/simulations", example="small", per_hour="-2")
    assert page.status_code == 422
    assert _shown(html(page), "s-rate") == "Geben Sie eine Zahl über null an."
    api = client.post("/api/v1/simulations", json={"example": "small", "per_hour": -2})
    assert api.json["error"]["fields"]["per_hour"] == ["Give a number above zero."]

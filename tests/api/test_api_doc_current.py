"""docs/api.md's endpoint list is the OpenAPI document's, as `make docs` writes it."""

from __future__ import annotations

from pathlib import Path

import pytest

from swarm.api.markdown import BEGIN, END, StaleDocument, render, replace_section
from swarm.cli import openapi_document

API_MD = Path(__file__).resolve().parents[2] / "docs" / "api.md"


@pytest.fixture(scope="module")
def spec() -> dict:
    return openapi_document()


def test_docs_api_md_lists_every_operation_as_generated(spec: dict) -> None:
    text = API_MD.read_text(encoding="utf-8")
    current = replace_section(text, render(spec))
    assert current == text, (
        "docs/api.md's endpoint list is stale: run `make docs` "
        "(python -m swarm openapi --markdown --write docs/api.md) and commit it"
    )


def test_the_list_has_one_row_per_operation_and_nothing_else(spec: dict) -> None:
    section = render(spec)
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    operations = [
        (method.upper(), path)
        for path, item in spec["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    ]
    assert len(rows) == len(operations) > 50
    assert "| `POST /tickets/<ticket_id>/claim` |" in section
    assert "| `POST /auth/login` | " in section and "| none |" in section


def test_a_row_changes_when_the_document_does(spec: dict) -> None:
    changed = dict(spec, paths=dict(spec["paths"]))
    changed["paths"]["/api/v1/brand-new"] = {
        "get": {"summary": "A new route | with a pipe", "responses": {"200": {}}, "security": []}
    }
    section = render(changed)
    assert "| `GET /brand-new` | A new route \\| with a pipe | none | — | `200` |" in section
    assert section != render(spec)


def test_a_file_without_the_markers_is_refused() -> None:
    with pytest.raises(StaleDocument):
        replace_section("# API\n\nno markers here\n", "x")
    assert replace_section(f"a\n{BEGIN}\nold\n{END}\nb\n", "NEW") == "a\nNEW\nb\n"

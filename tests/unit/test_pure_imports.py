"""The domain knows no web: pure packages must not import Flask, Socket.IO or the ORM.

Reads the source with ``ast`` instead of importing it, so that a forbidden import in a module no
test happens to load is still caught, and nothing is executed.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "swarm"
PURE = [
    "routing.py",
    "events.py",
    "skills",
    "matching",
    "tiers",
    "metrics",
    "simulation",
    "rules",
    "notifications/kinds.py",
]
FORBIDDEN = {"flask", "flask_socketio", "sqlalchemy", "apiflask"}
#: The database adapters of the simulation package: the dataset writer, the import run that
#: hands it the (pure) importers' rows, and the runs a manager starts from the pages (their
#: rows and the child process that executes them), and calibration's reader of a dataset.
#: They use SQLAlchemy, never Flask.
ADAPTERS = {
    "simulation/store.py",
    "simulation/importers/run.py",
    "simulation/runs.py",
    "simulation/calibrate_db.py",
}


def pure_modules() -> list[Path]:
    found = []
    for name in PURE:
        path = ROOT / name
        if path.is_dir():
            found += sorted(path.rglob("*.py"))
        elif path.exists():
            found.append(path)
    return [p for p in found if str(p.relative_to(ROOT)) not in ADAPTERS]


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_pure_packages_exist():
    assert (ROOT / "routing.py").exists()
    assert len(pure_modules()) > 3


@pytest.mark.parametrize("path", pure_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_pure_module_imports_no_web_and_no_orm(path):
    assert imported_roots(path) & FORBIDDEN == set()


@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_database_adapters_of_pure_packages_know_no_web(name):
    assert imported_roots(ROOT / name) & {"flask", "flask_socketio", "apiflask"} == set()

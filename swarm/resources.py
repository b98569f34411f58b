"""Where Swarm's files that are not Python live, in a checkout and in an installed wheel.

In a checkout, ``static/``, ``migrations/``, ``alembic.ini`` and ``examples/`` sit at the top
of the repository, beside ``swarm/``. The wheel copies them into the package
(``[tool.hatch.build.targets.wheel.force-include]`` in pyproject.toml), so that an installed
Swarm runs from site-packages without a checkout. Each lookup tries the package first, then
the checkout; nothing else in Swarm builds a path from ``__file__``.

Data that is the installation's own (the database, the generated secret key) is not here: it
lives in the instance folder, ``SWARM_INSTANCE_PATH`` or ``instance/`` in the working directory
(swarm/config.py).
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
_CHECKOUT_DIR = PACKAGE_DIR.parent


def _find(name: str) -> Path:
    """``name`` inside the installed package, else beside it in a checkout."""
    installed = PACKAGE_DIR / name
    if installed.exists():
        return installed
    return _CHECKOUT_DIR / name


def static_dir() -> Path:
    return _find("static")


def migrations_dir() -> Path:
    return _find("migrations")


def alembic_ini() -> Path:
    return _find("alembic.ini")


def examples_dir() -> Path:
    return _find("examples")

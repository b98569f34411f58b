"""Small helpers shared by the page views."""

from __future__ import annotations

from typing import cast

from flask_login import current_user

from swarm.inputs import ascii_int
from swarm.models import User


def current() -> User:
    """The signed-in user (only called in views behind ``login_required``)."""
    return cast(User, current_user._get_current_object())


def form_int(value: str | None) -> int | None:
    """A number typed into a form or query string: ASCII digits within 0..2⁶³−1, else None."""
    return ascii_int(value)

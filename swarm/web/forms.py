"""Small helpers shared by the page views."""

from __future__ import annotations

from typing import cast

from flask_login import current_user

from swarm.models import User


def current() -> User:
    """The signed-in user (only called in views behind ``login_required``)."""
    return cast(User, current_user._get_current_object())


def form_int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None

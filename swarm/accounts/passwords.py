"""Password hashing with argon2id (argon2-cffi's defaults follow RFC 9106's recommendations)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from swarm.phrases import N_

_hasher = PasswordHasher()

# Verified against when the e-mail is unknown, so that a wrong e-mail costs the same time as a
# wrong password and response times do not reveal who has an account.
_DUMMY_HASH = _hasher.hash("swarm-timing-equaliser")

MIN_LENGTH = 8

# The reasons a new password is refused, marked for the catalogues (the pages show them in the
# reader's language; docs/translations.md). The first spells MIN_LENGTH out: a sentence with a
# value computed in it could not be looked up.
TOO_SHORT = N_("Use at least 8 characters.")
REPEATED = N_("One character repeated is too easy to guess.")
UNCHANGED = N_("That is your current password: choose a new one.")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def weakness(new_password: str, current_password: str | None = None) -> str | None:
    """Why ``new_password`` may not be chosen, or None: the one rule of the account page's
    change and of a reset by mail (swarm/accounts/reset.py), so that neither door is the weak
    one. ``current_password`` is the one it replaces, when known."""
    if len(new_password) < MIN_LENGTH:
        return TOO_SHORT
    if len(set(new_password)) == 1:
        return REPEATED
    if current_password is not None and new_password == current_password:
        return UNCHANGED
    return None


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)

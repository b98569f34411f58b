"""Typed errors of the domain services. Adapters turn each into an HTTP status or socket ack."""

from __future__ import annotations


class DomainError(Exception):
    """A request the domain refuses, with a sentence that says why."""

    code = "error"
    status = 400

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields


class NotFound(DomainError):
    """The thing does not exist, or the caller may not know that it does."""

    code = "not_found"
    status = 404


class Forbidden(DomainError):
    code = "forbidden"
    status = 403


class Invalid(DomainError):
    code = "invalid"
    status = 422


class TooLarge(DomainError):
    code = "too_large"
    status = 413


class IllegalTransition(DomainError):
    """The ticket is not in a state that allows this change."""

    code = "illegal_transition"
    status = 409


class Conflict(DomainError):
    """Someone else changed the same thing at the same moment."""

    code = "conflict"
    status = 409

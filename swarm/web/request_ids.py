"""Each request's id: in the ``X-Request-Id`` header of every response, in its access-log line
and in every JSON error, so a report can be matched to the log."""

from __future__ import annotations

import uuid

from flask import g


def request_id() -> str:
    """This request's id (made on first use)."""
    if "request_id" not in g:
        g.request_id = uuid.uuid4().hex
    return str(g.request_id)

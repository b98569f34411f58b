"""Log lines of every process (``serve``, ``sweeper``, every CLI command), on standard error.

``SWARM_LOG_FORMAT=json`` writes one JSON object a line, for a log collector; otherwise a
readable line. Either carries the record's extra fields — the access log's request id, method,
path, status and duration (swarm/app.py) — so a line can be matched to the ``X-Request-Id``
and the ``request_id`` of an error response.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

FORMATS = ("text", "json")

#: Libraries whose INFO lines repeat what Swarm logs better: gevent-websocket writes a second
#: access line per request (without the request id, with the proxy's address), Alembic one line
#: per plugin each time a migration script directory is read (every /readyz).
QUIET = {"geventwebsocket.handler": "WARNING", "alembic.runtime.plugins": "WARNING"}

#: Attributes every LogRecord has: anything else on a record was passed in ``extra=``.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}


def extras(record: logging.LogRecord) -> dict[str, Any]:
    """The fields given to the log call in ``extra=``, in the order given."""
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, the extra fields,
    and the traceback as ``exc_info`` when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(extras(record))
        if record.exc_info:
            line["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """``2026-12-03 18:31:02,120 INFO swarm.access GET /login 200 (request_id=… …)``."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = extras(record)
        if not fields:
            return text
        head, newline, trace = text.partition("\n")
        pairs = " ".join(f"{k}={v}" for k, v in fields.items())
        return f"{head} ({pairs}){newline}{trace}"


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time of the record (a test runner swaps it
    per command), rather than the stream that was current when logging was set up."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def configure_logging(fmt: str = "text", level: str = "INFO") -> logging.Handler:
    """Send the root logger's records to standard error in ``fmt`` from ``level`` up.

    Idempotent: a second call replaces the handler the first installed (handlers others added,
    such as pytest's, stay)."""
    if fmt not in FORMATS:
        raise ValueError(f"log format {fmt!r}: use one of {', '.join(FORMATS)}")
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, _StderrHandler):
            root.removeHandler(handler)
    handler = _StderrHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name, quiet in QUIET.items():
        logging.getLogger(name).setLevel(quiet)
    return handler

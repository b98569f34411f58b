"""XES event logs (IEEE 1849), read as a stream with ``lxml.etree.iterparse``.

Each ``<trace>`` is a case; its ``<event>`` elements are read into :class:`~.base.LogEvent`
(``time:timestamp``, ``concept:name`` as the activity, ``lifecycle:transition`` as the
sub-status, the owner attribute — ``org:group`` by default — and ``org:resource``), and the
trace is translated by :func:`~.base.translate_case` once it ends. Elements are cleared as
they are read and removed from the tree, so memory holds one trace whatever the file's size.

BPI 2013 (Volvo IT): the owner is the support team (``org:group``), whose name tells its line
(``2nd``, ``3rd``); a case resolves at ``Completed`` (sub-statuses ``Resolved``, ``Closed``,
``Cancelled``), ``Wait - User`` and ``Wait - Customer`` wait on the requester; the priority
is ``impact`` (Major → P1 … Low → P4) and the category ``product``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from lxml import etree  # type: ignore[import-untyped]  # lxml ships no type stubs

from swarm.simulation.importers.base import (
    Case,
    EmptyLogError,
    LogEvent,
    LogFormatError,
    Rejections,
    as_utc,
    priority_of,
)

__all__ = ["XesOptions", "read_cases"]

WHAT = "an XES event log"


@dataclass(frozen=True)
class XesOptions:
    """Which attributes mean what (docs/import.md, "xes")."""

    owner: str = "org:group"
    resource: str = "org:resource"
    activity: str = "concept:name"
    status: str = "lifecycle:transition"
    priority: str = "impact"
    category: str = "product"


def _local(tag: Any) -> str:
    if not isinstance(tag, str):
        return ""  # comments and processing instructions
    return tag.rsplit("}", 1)[-1]


def parse_xes_time(text: str) -> datetime | None:
    """An XES ``date`` (ISO 8601, ``Z`` or an offset; a naive one taken as UTC), in UTC.

    >>> parse_xes_time("2010-03-31T15:59:42.000+01:00").isoformat()
    '2010-03-31T14:59:42+00:00'
    >>> parse_xes_time("yesterday") is None
    True
    """
    try:
        return as_utc(datetime.fromisoformat(text.strip().replace("Z", "+00:00")))
    except ValueError:
        return None


def _attributes(element: Any) -> dict[str, str]:
    """The direct attribute children of a trace or event: key → value (text). Nested
    attributes (lists, containers) and events have no ``value`` worth reading here."""
    found: dict[str, str] = {}
    for child in element:
        key = child.get("key")
        if key is not None:
            found[key] = child.get("value", "")
    return found


def read_cases(
    stream: IO[bytes], rejections: Rejections, options: XesOptions = XesOptions()
) -> Iterator[Case]:
    """The cases of an XES log, one at a time. An event without a readable timestamp is
    rejected (counted), and so is a trace without any event that could be read."""
    events: list[LogEvent] = []
    last_attrs: dict[str, str] = {}
    traces = 0
    # Only events and traces reach Python: the parser handles the attributes inside them.
    context = etree.iterparse(
        stream,
        events=("end",),
        tag=("{*}event", "{*}trace"),
        huge_tree=True,
        remove_comments=True,
        resolve_entities=False,
    )
    checked = False
    try:
        for _, element in context:
            if not checked:
                _check_root(element.getroottree().getroot())
                checked = True
            if _local(element.tag) == "event":
                attrs = _attributes(element)
                at = parse_xes_time(attrs.get("time:timestamp", ""))
                if at is None:
                    rejections.reject("an event without a readable time:timestamp")
                else:
                    events.append(
                        LogEvent(
                            at=at,
                            activity=attrs.get(options.activity, ""),
                            status=attrs.get(options.status, ""),
                            owner=attrs.get(options.owner) or None,
                            resource=attrs.get(options.resource) or None,
                        )
                    )
                    last_attrs = attrs
                element.clear(keep_tail=False)
                continue
            traces += 1
            trace = _attributes(element)
            case_id = trace.get("concept:name") or f"trace {traces}"
            if events:
                # Case-level facts may sit on the trace or (BPI 2013) on each event: the
                # last event's are the case's latest.
                source = {**last_attrs, **trace}
                yield Case(
                    case_id=case_id,
                    events=events,
                    priority=priority_of(source.get(options.priority)),
                    category=source.get(options.category) or None,
                )
            else:
                rejections.reject("a trace without any readable event")
            events, last_attrs = [], {}
            _drop(element)
    except etree.XMLSyntaxError as error:
        message = str(error)
        if not checked and ("Document is empty" in message or "no element found" in message):
            raise EmptyLogError("The log is empty: no XML in it.") from None
        if not checked and "Premature end" not in message:
            raise LogFormatError(f"The file does not look like {WHAT}: {message}.") from None
        raise LogFormatError(f"The XES log breaks off or is malformed: {message}.") from None
    root = getattr(context, "root", None)
    if root is None:
        raise EmptyLogError("The log is empty: no XML in it.")
    _check_root(root)
    if traces == 0:
        raise EmptyLogError("The XES log has no trace.")


def _check_root(root: Any) -> None:
    if _local(root.tag) != "log":
        raise LogFormatError(
            f"The file does not look like {WHAT}: its root element is <{_local(root.tag)}>, "
            "not <log>."
        )


def _drop(element: Any) -> None:
    """Free a finished element and the siblings read before it."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]

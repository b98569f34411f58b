"""Reading a raw mail into what intake needs, whatever the mail is like.

:func:`parse` never raises on the mail's content: broken MIME, undecodable charsets, headers
that do not parse and truncated bodies all give a :class:`ParsedMail` (the standard library's
``email`` package with ``policy.default``, each risky read guarded). What it bounds:

- the parts it looks at (:data:`MAX_PARTS`) and their nesting (:data:`MAX_DEPTH`); an attached
  mail (``message/rfc822``) is kept as one ``.eml`` attachment, never opened;
- the text it keeps (:data:`TEXT_MAX_CHARS`) and the HTML it converts (:data:`HTML_MAX_CHARS`);
- attachments: kept in order while their total stays within the limit given (and at most
  :data:`MAX_ATTACHMENTS`); the others are listed in ``refused`` with the reason, and intake
  names them in the ticket's text.

HTML is turned into plain text (scripts, styles and other non-content dropped, no tag kept):
Swarm stores and shows text only, escaped by the pages. Header values come out as one line
without control characters, so nothing read from a mail can add a header anywhere.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from email import policy
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses
from html.parser import HTMLParser

MAX_PARTS = 200
MAX_DEPTH = 8
MAX_ATTACHMENTS = 20
TEXT_MAX_CHARS = 60_000
HTML_MAX_CHARS = 2_000_000
#: The largest mail read whole (the SMTP listener refuses bigger ones at DATA; IMAP reads only
#: the beginning of a bigger one, and keeps none of its attachments).
MAX_MESSAGE_BYTES = 25 * 1024 * 1024
DEFAULT_ATTACHMENT_BYTES = 10 * 1024 * 1024
HEADER_MAX = 998

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
_ADDRESS = re.compile(r"^[^@\s<>()\[\],;:\"\\]+@[^@\s<>()\[\],;:\"\\]+\.[^@\s<>()\[\],;:\"\\]+$")
_FILENAME_BAD = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Refused:
    filename: str
    size: int
    why: str


@dataclass(frozen=True)
class ParsedMail:
    #: ``<…>`` as the mail gave it (one line), or "" when it had none.
    message_id: str
    #: What makes a redelivery recognisable: a hash of the Message-ID, or of the sender, date,
    #: subject and text when there is none.
    key: str
    sender: str  # lower-case address from From, "" when there is no usable one
    sender_name: str
    #: Every address the mail was for: envelope recipients, To, Cc, Delivered-To, X-Original-To.
    recipients: tuple[str, ...]
    in_reply_to: str
    references: str
    subject: str
    auto_submitted: str
    precedence: str
    auto_response_suppress: str
    return_path: str
    text: str
    attachments: tuple[Attachment, ...] = ()
    refused: tuple[Refused, ...] = ()
    #: Problems the parser met (broken MIME); the mail is taken in anyway.
    defects: int = 0
    truncated: bool = False


def one_line(value: str, limit: int = HEADER_MAX) -> str:
    """A header value as a single line without control characters, at most ``limit`` long."""
    return " ".join(_CONTROL.sub(" ", value).split())[:limit]


def _header(msg: Message, name: str) -> str:
    try:
        value = msg.get(name)
        text = "" if value is None else str(value)
    except Exception:  # a header the policy cannot parse: take it raw
        text = next((str(v) for k, v in msg.raw_items() if k.lower() == name.lower()), "")
    return one_line(text)


def _headers(msg: Message, name: str) -> list[str]:
    values = []
    for key, raw in msg.raw_items():
        if key.lower() != name.lower():
            continue
        try:
            values.append(one_line(str(msg.policy.header_fetch_parse(key, raw))))
        except Exception:
            values.append(one_line(str(raw)))
    return values


def _addresses(values: list[str]) -> list[tuple[str, str]]:
    found = []
    try:
        pairs = getaddresses(values)
    except Exception:
        return []
    for name, address in pairs:
        address = address.strip().lower()
        if _ADDRESS.match(address) and len(address) <= 254:
            found.append((one_line(name, 120), address))
    return found


def _decoded(part: Message) -> bytes:
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        return b""
    return payload if isinstance(payload, bytes) else b""


def _text_of(part: Message, limit: int) -> str:
    try:
        content = part.get_content()  # type: ignore[attr-defined]
        if isinstance(content, str):
            return content[:limit]
    except Exception:  # unknown charset, broken encoding: decode the bytes leniently below
        content = None
    raw = _decoded(part)[: limit * 4]
    charset = "utf-8"
    try:
        charset = part.get_content_charset() or "utf-8"
        return raw.decode(charset, errors="replace")[:limit]
    except (LookupError, ValueError):
        return raw.decode("utf-8", errors="replace")[:limit]


def _filename(part: Message, number: int) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:
        name = ""
    name = _FILENAME_BAD.sub("_", one_line(name, 255)).strip(" .")
    return name or f"attachment-{number}"


def _is_attachment(part: Message) -> bool:
    try:
        disposition = (part.get_content_disposition() or "").lower()
    except Exception:
        disposition = ""
    if disposition == "attachment":
        return True
    if part.get_content_maintype() != "text":
        return True
    return disposition == "inline" and _filename(part, 0) != "attachment-0"


class _Text(HTMLParser):
    """HTML to plain text: content only, blocks on their own lines, links with their URL."""

    SKIP = frozenset(
        {"script", "style", "head", "title", "template", "noscript", "iframe", "object", "svg"}
    )
    BLOCK = frozenset(
        {"p", "div", "br", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6"}
        | {"blockquote", "pre", "hr", "section", "article", "header", "footer"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skipping = 0
        self.href: str | None = None
        self.link_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BLOCK:
            self.out.append("\n- " if tag == "li" else "\n")
        elif tag == "a":
            href = dict(attrs).get("href") or ""
            self.href = href if re.match(r"^(https?:|mailto:)", href, re.I) else None
            self.link_text = []

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BLOCK:
            self.out.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCK:
            self.out.append("\n")
        elif tag == "a" and self.href:
            shown = "".join(self.link_text).strip()
            if self.href.removeprefix("mailto:") not in shown:
                self.out.append(f" ({self.href})")
            self.href = None

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        self.out.append(data)
        if self.href is not None:
            self.link_text.append(data)


def html_to_text(markup: str) -> str:
    """Plain text of an HTML body: no tag, no script or style content survives."""
    parser = _Text()
    try:
        parser.feed(markup[:HTML_MAX_CHARS])
        parser.close()
    except Exception:  # HTMLParser is lenient; this is belt and braces
        parser.out.append("")
    return tidy("".join(parser.out))


_TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def tidy(text: str) -> str:
    """Text as stored: no control characters (PostgreSQL refuses NUL), lines without runs of
    spaces, at most one blank line in a row."""
    text = _TEXT_CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    lines = [" ".join(line.split()) if line.strip() else "" for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


_ATTRIBUTION = re.compile(
    r"^(on\b.{1,300}\bwrote|le\b.{1,300}\ba écrit|am\b.{1,300}\bschrieb.{0,200}|"
    r".{1,300}\bwrote)\s*:\s*$",
    re.IGNORECASE,
)
_ORIGINAL = re.compile(
    r"^-{2,}\s*(original message|ursprüngliche nachricht|message d'origine)\s*-{2,}$",
    re.IGNORECASE,
)


def strip_quoted(text: str) -> str:
    """The new part of a reply: cut at an ``-----Original Message-----`` line, or drop the
    block of ``>`` lines at the end (with the "On …, … wrote:" line above it). Quotes between
    the writer's own lines (an inline answer) are kept; so is everything when nothing new
    would remain."""
    lines = text.splitlines()
    cut = len(lines)
    for i, line in enumerate(lines):
        if _ORIGINAL.match(line.strip()):
            cut = i
            break
    else:
        end = len(lines)
        while end and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith(">")):
            end -= 1
        if any(line.lstrip().startswith(">") for line in lines[end:]):
            cut = end
            if cut and _ATTRIBUTION.match(lines[cut - 1].strip()):
                cut -= 1
    kept = "\n".join(lines[:cut]).strip()
    return kept if kept else text.strip()


def _key(message_id: str, sender: str, date: str, subject: str, text: str) -> str:
    if message_id:
        return hashlib.sha256(f"mid:{message_id}".encode()).hexdigest()
    basis = "\x00".join(("raw", sender, date, subject, text))
    return hashlib.sha256(basis.encode()).hexdigest()


def parse(
    raw: bytes,
    envelope_to: tuple[str, ...] | list[str] = (),
    *,
    attachment_bytes: int = DEFAULT_ATTACHMENT_BYTES,
    truncated: bool = False,
) -> ParsedMail:
    """Read ``raw`` (RFC 5322 bytes). ``truncated`` says only the mail's beginning is here:
    its text is read, its attachments are refused."""
    msg = BytesParser(policy=policy.default).parsebytes(raw[:MAX_MESSAGE_BYTES])
    defects = len(getattr(msg, "defects", []))

    senders = _addresses(_headers(msg, "From"))
    sender_name, sender = senders[0] if senders else ("", "")
    recipients: list[str] = [a.strip().lower() for a in envelope_to if a]
    for name in ("To", "Cc", "Delivered-To", "X-Original-To"):
        recipients.extend(address for _n, address in _addresses(_headers(msg, name)))

    plain: list[str] = []
    html: list[str] = []
    attachments: list[Attachment] = []
    refused: list[Refused] = []
    kept_bytes = 0
    seen = 0

    def add_attachment(filename: str, content_type: str, data: bytes) -> None:
        nonlocal kept_bytes
        if truncated:
            why = "the mail was too large to read whole"
        elif len(attachments) >= MAX_ATTACHMENTS:
            why = f"a mail keeps at most {MAX_ATTACHMENTS} attachments"
        elif kept_bytes + len(data) > attachment_bytes:
            why = f"larger than the {_size(attachment_bytes)} kept per mail"
        else:
            attachments.append(Attachment(filename, content_type[:127], data))
            kept_bytes += len(data)
            return
        refused.append(Refused(filename, len(data), why))

    def walk(part: Message, depth: int) -> None:
        nonlocal seen, defects
        seen += 1
        if seen > MAX_PARTS or depth > MAX_DEPTH:
            defects += 1
            return
        defects += len(getattr(part, "defects", []))
        ctype = part.get_content_type()
        if part.is_multipart():
            payload = part.get_payload()
            if ctype == "message/rfc822" or part.get_content_maintype() == "message":
                try:
                    inner = payload[0] if isinstance(payload, list) and payload else part
                    data = inner.as_bytes() if isinstance(inner, Message) else b""
                except Exception:
                    data = b""
                add_attachment(_filename(part, seen).removesuffix(".eml") + ".eml", ctype, data)
                return
            for child in payload if isinstance(payload, list) else []:
                if isinstance(child, Message):
                    walk(child, depth + 1)
            return
        if _is_attachment(part):
            add_attachment(_filename(part, seen), ctype, _decoded(part))
        elif ctype == "text/html":
            html.append(_text_of(part, HTML_MAX_CHARS))
        else:
            plain.append(_text_of(part, TEXT_MAX_CHARS))

    try:
        walk(msg, 0)
    except Exception:  # a structure the walk did not expect: keep what was read
        defects += 1
    if any(p.strip() for p in plain):
        text = tidy("\n\n".join(p for p in plain if p.strip()))
    else:
        text = html_to_text("\n".join(html))
    text = text[:TEXT_MAX_CHARS]
    message_id = _header(msg, "Message-ID")
    found = re.search(r"<[^<>\s]{1,900}>", message_id)
    message_id = found.group(0) if found else ""
    subject = _header(msg, "Subject")
    return ParsedMail(
        message_id=message_id,
        key=_key(message_id, sender, _header(msg, "Date"), subject, text),
        sender=sender,
        sender_name=sender_name,
        recipients=tuple(dict.fromkeys(recipients)),
        in_reply_to=_header(msg, "In-Reply-To"),
        references=_header(msg, "References"),
        subject=subject,
        auto_submitted=_header(msg, "Auto-Submitted"),
        precedence=_header(msg, "Precedence"),
        auto_response_suppress=_header(msg, "X-Auto-Response-Suppress"),
        return_path=_header(msg, "Return-Path"),
        text=text,
        attachments=tuple(attachments),
        refused=tuple(refused),
        defects=defects,
        truncated=truncated,
    )


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} bytes"


def size_text(n: int) -> str:
    """A byte count as people read it (``2.5 MB``)."""
    return _size(n)

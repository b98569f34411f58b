"""The versions docs/realtime-server.md says its figures were measured on are the lock's."""

from __future__ import annotations

import re
from pathlib import Path

from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]


def _pins(text: str) -> dict[str, str]:
    return {
        canonicalize_name(m.group(1)): m.group(2)
        for m in re.finditer(r"^([A-Za-z0-9_.\-]+)==([^\s;#]+)", text, re.M)
    }


def test_the_pins_quoted_in_realtime_server_md_are_the_locked_ones() -> None:
    doc = (ROOT / "docs" / "realtime-server.md").read_text(encoding="utf-8")
    section = doc.split("## Versions (the lock)", 1)[1].split("\n## ", 1)[0]
    quoted = _pins(section)
    assert len(quoted) >= 10
    locked = _pins((ROOT / "requirements.txt").read_text())
    stale = {name: (version, locked.get(name)) for name, version in quoted.items()}
    stale = {name: pair for name, pair in stale.items() if pair[0] != pair[1]}
    assert stale == {}, "docs/realtime-server.md quotes (doc, lock): update the page"

"""docs/architecture.md's layout is the tree: every module and package of swarm/ and every
top-level folder has its line, every line names something that exists, and every file a
package's line names is in that package."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
BLOCK = DOC.split("```\nswarm/\n", 1)[1].split("```", 1)[0]


def _entries(indent: str) -> dict[str, str]:
    """``name -> its text`` for the lines that start an entry at this indent."""
    entries: dict[str, str] = {}
    current = None
    for line in BLOCK.splitlines():
        match = re.match(rf"^{indent}(\S+)\s", line + " ")
        if match and not line.startswith(indent + " "):
            current = match.group(1)
            entries[current] = line
        elif current:
            entries[current] += "\n" + line
    return entries


def _tracked_top_level() -> set[str]:
    listed = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return {name.split("/", 1)[0] + ("/" if "/" in name else "") for name in listed}


def test_every_module_and_package_of_swarm_has_its_line() -> None:
    package = ROOT / "swarm"
    present = {p.name for p in package.glob("*.py") if p.name != "__init__.py"}
    present |= {p.name + "/" for p in package.iterdir() if (p / "__init__.py").is_file()}
    documented = set(_entries("  "))
    assert present - documented == set(), "in swarm/ but not in docs/architecture.md"
    assert documented - present == set(), "in docs/architecture.md but not in swarm/"


def test_the_top_level_folders_have_their_lines() -> None:
    folders = {n for n in _tracked_top_level() if n.endswith("/") and not n.startswith(".")}
    documented = {name for name in _entries("") if name.endswith("/")} | {"swarm/"}
    assert folders - documented == set()
    assert documented - folders == set()


def test_the_files_a_package_line_names_exist() -> None:
    for name, text in _entries("  ").items():
        if not name.endswith("/"):
            continue
        folder = ROOT / "swarm" / name
        for mentioned in set(re.findall(r"(?<![\w/.*])([a-z_]+\.py)\b", text)):
            found = list(folder.rglob(mentioned))
            assert found, f"docs/architecture.md names {name}{mentioned}, which is not there"

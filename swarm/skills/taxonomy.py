"""Import and export of a skill taxonomy as JSON or CSV.

JSON keeps the model's shape::

    {"skills": [{"id": 2, "name": "VPN", "aliases": ["AnyConnect"]}, ...],
     "relations": [{"source": 2, "target": 1, "kind": "is_a", "weight": 1.0}, ...]}

CSV is one row per skill, for editing in a spreadsheet::

    id,name,aliases,is_a,related_to
    2,VPN,AnyConnect|remote access,1,4:0.8

``aliases`` are separated by ``|``; ``is_a`` and ``related_to`` list target ids separated by ``;``,
each optionally followed by ``:weight`` (default 1). A ``related_to`` pair needs listing on one of
its two rows only. Every import goes through :func:`~swarm.skills.graph.build_skill_graph`, so a
taxonomy that loads is valid (no unknown ids, no ``is_a`` cycle); malformed files raise
:class:`TaxonomyFormatError`.
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any, cast

from swarm.skills.graph import (
    RELATION_KINDS,
    RelationKind,
    Skill,
    SkillGraph,
    SkillGraphError,
    SkillRelation,
    build_skill_graph,
)

CSV_COLUMNS = ("id", "name", "aliases", "is_a", "related_to")


class TaxonomyFormatError(SkillGraphError):
    """The file is not a taxonomy in the expected format (missing fields, bad numbers, …)."""


def to_dict(graph: SkillGraph) -> dict[str, Any]:
    """The taxonomy as plain data, skills and relations sorted for stable diffs."""
    return {
        "skills": [
            {"id": skill.id, "name": skill.name, "aliases": list(skill.aliases)}
            for skill in sorted(graph.skills.values(), key=lambda s: s.id)
        ],
        "relations": [
            {"source": r.source, "target": r.target, "kind": r.kind, "weight": r.weight}
            for r in sorted(graph.relations, key=lambda r: (r.source, r.target, r.kind))
        ],
    }


def from_dict(data: Any) -> SkillGraph:
    """Build a graph from :func:`to_dict`'s shape; raises TaxonomyFormatError if malformed."""
    try:
        skills = [
            Skill(_integer(item["id"]), str(item["name"]), tuple(map(str, item.get("aliases", ()))))
            for item in data["skills"]
        ]
        relations = [
            SkillRelation(
                _integer(item["source"]),
                _integer(item["target"]),
                _kind(item["kind"]),
                float(item.get("weight", 1.0)),
            )
            for item in data.get("relations", ())
        ]
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        if isinstance(error, SkillGraphError):
            raise
        raise TaxonomyFormatError(f"not a taxonomy: {error!r}") from error
    return build_skill_graph(skills, relations)


def dump_json(graph: SkillGraph) -> str:
    """The taxonomy as a JSON document.

    Examples
    --------
    >>> g = build_skill_graph([Skill(1, "Networking"), Skill(2, "VPN")],
    ...                       [SkillRelation(2, 1, "is_a")])
    >>> load_json(dump_json(g)).similarity_of(1, 2)
    0.5
    """
    return json.dumps(to_dict(graph), indent=2, ensure_ascii=False)


def load_json(text: str) -> SkillGraph:
    """Parse a JSON taxonomy; raises TaxonomyFormatError or another SkillGraphError."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise TaxonomyFormatError(f"not JSON: {error}") from error
    return from_dict(data)


def dump_csv(graph: SkillGraph) -> str:
    """The taxonomy as CSV, one row per skill (``related_to`` on the row of the source).

    Examples
    --------
    >>> g = build_skill_graph([Skill(1, "Networking"), Skill(2, "VPN", ("AnyConnect",))],
    ...                       [SkillRelation(2, 1, "is_a")])
    >>> print(dump_csv(g), end="")
    id,name,aliases,is_a,related_to
    1,Networking,,,
    2,VPN,AnyConnect,1,
    """
    outgoing: dict[int, dict[str, list[str]]] = {
        skill_id: {kind: [] for kind in RELATION_KINDS} for skill_id in graph.skills
    }
    for r in sorted(graph.relations, key=lambda r: (r.source, r.target)):
        target = str(r.target) if r.weight == 1.0 else f"{r.target}:{r.weight:g}"
        outgoing[r.source][r.kind].append(target)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for skill in sorted(graph.skills.values(), key=lambda s: s.id):
        writer.writerow(
            [
                skill.id,
                skill.name,
                "|".join(skill.aliases),
                ";".join(outgoing[skill.id]["is_a"]),
                ";".join(outgoing[skill.id]["related_to"]),
            ]
        )
    return buffer.getvalue()


def load_csv(text: str) -> SkillGraph:
    """Parse a CSV taxonomy; raises TaxonomyFormatError or another SkillGraphError."""
    # Spreadsheets save CSV with a byte-order mark, which would otherwise rename the first column.
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [column for column in CSV_COLUMNS[:2] if column not in (reader.fieldnames or [])]
    if missing:
        raise TaxonomyFormatError(f"CSV taxonomy lacks column(s): {', '.join(missing)}")
    skills: list[Skill] = []
    relations: list[SkillRelation] = []
    seen_related: set[frozenset[int]] = set()
    for line, row in enumerate(reader, start=2):
        try:
            skill_id = _integer(row["id"])
            aliases = tuple(a.strip() for a in (row.get("aliases") or "").split("|") if a.strip())
            skills.append(Skill(skill_id, (row["name"] or "").strip(), aliases))
            for kind in RELATION_KINDS:
                for target, weight in _targets(row.get(kind) or ""):
                    pair = frozenset((skill_id, target))
                    if kind == "related_to":
                        # Listed on both rows is the same relation, not two.
                        if pair in seen_related:
                            continue
                        seen_related.add(pair)
                    relations.append(SkillRelation(skill_id, target, kind, weight))
        except ValueError as error:
            if isinstance(error, SkillGraphError):
                raise
            raise TaxonomyFormatError(f"line {line}: {error}") from error
    return build_skill_graph(skills, relations)


def _targets(cell: str) -> list[tuple[int, float]]:
    targets = []
    for part in cell.split(";"):
        part = part.strip()
        if not part:
            continue
        target, _, weight = part.partition(":")
        targets.append((_integer(target), float(weight) if weight else 1.0))
    return targets


def _integer(value: Any) -> int:
    # "3" and 3 are fine, 3.5 / "x" / True are not: ids must survive a round trip unchanged.
    if isinstance(value, bool):
        raise ValueError(f"id must be an integer, got {value!r}")
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,19}", value.strip()):
        value = int(value)
    if isinstance(value, int) and abs(value) < 2**63:  # fits a BIGINT column
        return value
    raise ValueError(f"id must be an integer, got {value!r}")


def _kind(value: Any) -> RelationKind:
    if value not in RELATION_KINDS:
        raise ValueError(f"relation kind must be one of {', '.join(RELATION_KINDS)}, got {value!r}")
    return cast(RelationKind, value)

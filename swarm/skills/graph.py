"""The skill graph: a taxonomy of skills and how close two skills are.

Skills are nodes; relations are ``is_a`` (a specialisation: "Cisco ASA" is_a "Firewall") and
``related_to`` (a sibling or neighbouring skill: "VPN" related_to "Firewall"). The relation graph
is kept in networkx because it is the model admins edit and explore; matching never walks it on the
hot path. Instead :class:`SkillGraph` precomputes, once per taxonomy change, a sparse
skill × skill similarity matrix with

    σ(a, b) = 0.5 ** hops(a, b)   for hops ≤ 3, and 0 beyond,

where hops is the length of the shortest path in the undirected graph of both relation kinds.
Relation weights are validated, stored and exported, but σ deliberately counts hops only, as in
the reference score; weights are there for a weighted σ to be tried in the simulator.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

import networkx as nx  # type: ignore[import-untyped]  # no stubs in the pinned venv
import numpy as np
import numpy.typing as npt
from scipy import sparse  # type: ignore[import-untyped]  # no stubs in the pinned venv

RelationKind = Literal["is_a", "related_to"]
RELATION_KINDS: tuple[RelationKind, ...] = ("is_a", "related_to")

#: σ halves with every hop.
SIMILARITY_BASE = 0.5
#: Beyond this many hops two skills are unrelated (σ = 0): 0.5⁴ would let almost anything match.
MAX_HOPS = 3


class SkillGraphError(ValueError):
    """The taxonomy is inconsistent; raised before any graph is built."""


class UnknownSkillError(SkillGraphError):
    """A relation, profile or ticket names a skill id that the taxonomy does not have."""

    def __init__(self, skill_ids: Iterable[int], where: str = "") -> None:
        self.skill_ids = tuple(sorted(set(skill_ids)))
        ids = ", ".join(str(skill_id) for skill_id in self.skill_ids)
        super().__init__(f"unknown skill id(s) {ids}" + (f" in {where}" if where else ""))


class IsACycleError(SkillGraphError):
    """The ``is_a`` relations loop, so no skill in the loop would have a most general ancestor."""

    def __init__(self, cycle: list[int]) -> None:
        self.cycle = cycle
        path = " is_a ".join(str(skill_id) for skill_id in [*cycle, cycle[0]])
        super().__init__(f"is_a relations form a cycle: {path}")


class DuplicateSkillError(SkillGraphError):
    """Two skills share an id, or a name/alias names two different skills."""


class InvalidRelationError(SkillGraphError):
    """A relation has an unknown kind, joins a skill to itself, or has a weight outside (0, 1]."""


@dataclass(frozen=True)
class Skill:
    """A node of the taxonomy. Aliases are other names seen in tickets ("AnyConnect" for VPN)."""

    id: int
    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class SkillRelation:
    """``source`` is_a / related_to ``target``, with a weight in (0, 1]."""

    source: int
    target: int
    kind: RelationKind
    weight: float = 1.0


class SkillGraph:
    """An immutable, validated skill taxonomy with a precomputed similarity matrix.

    Build it with :func:`build_skill_graph`. The matrix is what the hot path uses; ``graph``
    (undirected, both relation kinds) and ``taxonomy`` (directed ``is_a``, child → parent) are for
    exploring, exporting and explaining.

    Attributes
    ----------
    skills : dict
        ``skill id -> Skill``.
    relations : tuple of SkillRelation
        As given, after validation.
    ids : numpy.ndarray
        Skill ids in matrix order (sorted ascending).
    similarity : scipy.sparse.csc_array
        Symmetric ``len(ids) × len(ids)`` matrix of σ, ones on the diagonal.
    """

    def __init__(self, skills: Iterable[Skill], relations: Iterable[SkillRelation]) -> None:
        self.skills: dict[int, Skill] = {}
        for skill in skills:
            if skill.id in self.skills:
                raise DuplicateSkillError(f"skill id {skill.id} is defined twice")
            self.skills[skill.id] = skill
        self.relations = tuple(relations)
        self._check_relations()
        self._names = self._index_names()

        self.graph = nx.Graph()
        self.taxonomy = nx.DiGraph()
        for skill in self.skills.values():
            self.graph.add_node(skill.id, name=skill.name, aliases=skill.aliases)
            self.taxonomy.add_node(skill.id)
        for relation in self.relations:
            if relation.kind == "is_a":
                self.taxonomy.add_edge(relation.source, relation.target, weight=relation.weight)
            # One undirected edge per pair; is_a wins over related_to because it is the stronger,
            # curated statement.
            existing = self.graph.get_edge_data(relation.source, relation.target)
            if existing is None or relation.kind == "is_a":
                self.graph.add_edge(
                    relation.source, relation.target, kind=relation.kind, weight=relation.weight
                )
        try:
            cycle = nx.find_cycle(self.taxonomy)
        except nx.NetworkXNoCycle:
            pass
        else:
            raise IsACycleError([source for source, _target in cycle])

        self.ids: npt.NDArray[np.int64] = np.array(sorted(self.skills), dtype=np.int64)
        self.column: dict[int, int] = {int(skill_id): i for i, skill_id in enumerate(self.ids)}
        self.similarity = self._similarity_matrix()
        # Per-skill {skill id: σ} dicts, filled on first use: explanations ask for single pairs,
        # and indexing a scipy matrix element by element costs tens of microseconds each.
        self._similar: dict[int, dict[int, float]] = {}
        self._hops: dict[tuple[int, int], int | None] = {}

    def _check_relations(self) -> None:
        unknown = set()
        for relation in self.relations:
            if relation.kind not in RELATION_KINDS:
                raise InvalidRelationError(
                    f"relation kind must be one of {', '.join(RELATION_KINDS)}, "
                    f"got {relation.kind!r}"
                )
            if relation.source == relation.target:
                raise InvalidRelationError(f"skill {relation.source} cannot relate to itself")
            if not 0.0 < relation.weight <= 1.0 or math.isnan(relation.weight):
                raise InvalidRelationError(
                    f"relation weight must be in (0, 1], got {relation.weight!r}"
                )
            unknown.update({relation.source, relation.target} - self.skills.keys())
        if unknown:
            raise UnknownSkillError(unknown, "relations")

    def _index_names(self) -> dict[str, int]:
        names: dict[str, int] = {}
        for skill in self.skills.values():
            for name in (skill.name, *skill.aliases):
                key = name.strip().casefold()
                if not key:
                    raise DuplicateSkillError(f"skill {skill.id} has an empty name or alias")
                if names.setdefault(key, skill.id) != skill.id:
                    raise DuplicateSkillError(
                        f"name {name!r} is used by skills {names[key]} and {skill.id}"
                    )
        return names

    def _similarity_matrix(self) -> sparse.csc_array:
        rows: list[int] = []
        cols: list[int] = []
        values: list[float] = []
        for source in self.graph.nodes:
            # BFS bounded by MAX_HOPS: cost grows with the neighbourhood, not the whole graph.
            reach = nx.single_source_shortest_path_length(self.graph, source, cutoff=MAX_HOPS)
            source_col = self.column[source]
            for target, hops in reach.items():
                rows.append(self.column[target])
                cols.append(source_col)
                values.append(SIMILARITY_BASE**hops)
        n = len(self.ids)
        return sparse.csc_array(
            (np.array(values, dtype=np.float64), (np.array(rows), np.array(cols))), shape=(n, n)
        )

    def __len__(self) -> int:
        return len(self.skills)

    def __contains__(self, skill_id: object) -> bool:
        return skill_id in self.skills

    def name(self, skill_id: int) -> str:
        """Display name of a skill; raises :class:`UnknownSkillError` for an unknown id."""
        try:
            return self.skills[skill_id].name
        except KeyError:
            raise UnknownSkillError([skill_id]) from None

    def find(self, name: str) -> int | None:
        """Skill id whose name or alias is ``name`` (case-insensitive), or ``None``."""
        return self._names.get(name.strip().casefold())

    @property
    def names(self) -> Mapping[str, int]:
        """Every casefolded name and alias, mapped to its skill id."""
        return self._names

    def require(self, skill_ids: Iterable[int], where: str = "") -> None:
        """Raise :class:`UnknownSkillError` if any of ``skill_ids`` is not in the taxonomy."""
        # Not `set(...) - self.skills.keys()`: that copies every key of the taxonomy per call.
        unknown = {skill_id for skill_id in skill_ids if skill_id not in self.skills}
        if unknown:
            raise UnknownSkillError(unknown, where)

    def neighbourhood(self, skill_id: int) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float64]]:
        """Matrix columns of the skills within 3 hops of ``skill_id`` and their σ to it.

        Examples
        --------
        >>> g = build_skill_graph([Skill(1, "VPN"), Skill(2, "DNS")],
        ...                       [SkillRelation(2, 1, "related_to")])
        >>> cols, sims = g.neighbourhood(1)
        >>> sorted(zip(g.ids[cols].tolist(), sims.tolist()))
        [(1, 1.0), (2, 0.5)]
        """
        col = self.column.get(skill_id)
        if col is None:
            raise UnknownSkillError([skill_id])
        start, end = self.similarity.indptr[col], self.similarity.indptr[col + 1]
        return self.similarity.indices[start:end], self.similarity.data[start:end]

    def hops(self, a: int, b: int) -> int | None:
        """Hops between two skills if within 3, else ``None``.

        Examples
        --------
        >>> g = build_skill_graph([Skill(1, "VPN"), Skill(2, "DNS"), Skill(3, "Firewall")],
        ...                       [SkillRelation(2, 1, "related_to")])
        >>> g.hops(1, 2), g.hops(1, 3)
        (1, None)
        """
        pair = (a, b)
        if pair in self._hops:
            return self._hops[pair]
        sim = self.similarity_of(a, b)
        hops = None if sim == 0.0 else round(-math.log(sim, 1 / SIMILARITY_BASE))
        self._hops[pair] = hops  # explanations ask for the same few pairs again and again
        return hops

    def similarity_of(self, a: int, b: int) -> float:
        """σ between two skills (1 for the same skill, 0 beyond 3 hops)."""
        self.require((a,))
        return self.similar_to(b).get(a, 0.0)

    def similar_to(self, skill_id: int) -> Mapping[int, float]:
        """``skill id -> σ`` for every skill within 3 hops of ``skill_id`` (itself included)."""
        similar = self._similar.get(skill_id)
        if similar is None:
            cols, sims = self.neighbourhood(skill_id)
            similar = dict(zip(self.ids[cols].tolist(), sims.tolist(), strict=True))
            self._similar[skill_id] = similar
        return similar

    def parents(self, skill_id: int) -> list[int]:
        """Skills that ``skill_id`` is_a (its direct generalisations)."""
        self.require((skill_id,))
        return sorted(self.taxonomy.successors(skill_id))


def build_skill_graph(
    skills: Iterable[Skill], relations: Iterable[SkillRelation] = ()
) -> SkillGraph:
    """Validate a taxonomy and precompute its similarity matrix.

    Parameters
    ----------
    skills : iterable of Skill
        Distinct ids; names and aliases unique case-insensitively.
    relations : iterable of SkillRelation
        Between known skills; ``is_a`` must not form a cycle.

    Returns
    -------
    SkillGraph

    Raises
    ------
    UnknownSkillError
        A relation names a skill id that is not in ``skills``.
    IsACycleError
        ``is_a`` relations loop.
    DuplicateSkillError, InvalidRelationError
        Other inconsistencies. All are :class:`SkillGraphError`, a ``ValueError``.

    Examples
    --------
    >>> g = build_skill_graph(
    ...     [Skill(1, "Networking"), Skill(2, "VPN"), Skill(3, "DNS")],
    ...     [SkillRelation(2, 1, "is_a"), SkillRelation(3, 1, "is_a")],
    ... )
    >>> g.similarity_of(2, 3)   # VPN and DNS are siblings: two hops
    0.25
    """
    return SkillGraph(skills, relations)

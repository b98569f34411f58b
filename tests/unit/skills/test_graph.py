import pytest

from swarm.skills.graph import (
    DuplicateSkillError,
    InvalidRelationError,
    IsACycleError,
    Skill,
    SkillGraphError,
    SkillRelation,
    UnknownSkillError,
    build_skill_graph,
)


@pytest.mark.parametrize(
    ("a", "b", "sigma"),
    [
        (2, 2, 1.0),  # same skill
        (2, 1, 0.5),  # VPN is_a Networking
        (2, 4, 0.5),  # VPN related_to Firewall
        (2, 3, 0.25),  # siblings under Networking
        (3, 5, 0.125),  # DNS → Networking → Firewall → Cisco ASA
        (2, 6, 0.0),  # nothing connects Printing
    ],
)
def test_similarity_halves_with_every_hop(network_skills, a, b, sigma):
    assert network_skills.similarity_of(a, b) == sigma
    assert network_skills.similarity_of(b, a) == sigma


def test_nothing_is_similar_beyond_three_hops(make_graph):
    chain = make_graph(
        {i: f"s{i}" for i in range(1, 6)},
        [(1, 2, "related_to"), (2, 3, "related_to"), (3, 4, "related_to"), (4, 5, "related_to")],
    )
    assert chain.similarity_of(1, 4) == 0.125
    assert chain.similarity_of(1, 5) == 0.0
    assert chain.hops(1, 5) is None


def test_similarity_matrix_is_symmetric_with_unit_diagonal(network_skills):
    dense = network_skills.similarity.toarray()
    assert (dense == dense.T).all()
    assert (dense.diagonal() == 1.0).all()


def test_relation_to_unknown_skill_is_rejected():
    with pytest.raises(UnknownSkillError) as raised:
        build_skill_graph([Skill(1, "VPN")], [SkillRelation(1, 99, "is_a")])
    assert raised.value.skill_ids == (99,)
    assert isinstance(raised.value, SkillGraphError)
    assert isinstance(raised.value, ValueError)


def test_is_a_cycle_is_rejected(make_graph):
    with pytest.raises(IsACycleError) as raised:
        make_graph({1: "a", 2: "b", 3: "c"}, [(1, 2, "is_a"), (2, 3, "is_a"), (3, 1, "is_a")])
    assert sorted(raised.value.cycle) == [1, 2, 3]


def test_related_to_loops_are_fine(make_graph):
    graph = make_graph(
        {1: "a", 2: "b", 3: "c"},
        [(1, 2, "related_to"), (2, 3, "related_to"), (3, 1, "related_to")],
    )
    assert graph.similarity_of(1, 3) == 0.5


@pytest.mark.parametrize(
    "relation",
    [
        SkillRelation(1, 1, "is_a"),
        SkillRelation(1, 2, "part_of"),  # type: ignore[arg-type]
        SkillRelation(1, 2, "is_a", weight=0.0),
        SkillRelation(1, 2, "is_a", weight=1.5),
    ],
)
def test_malformed_relations_are_rejected(relation):
    with pytest.raises(InvalidRelationError):
        build_skill_graph([Skill(1, "a"), Skill(2, "b")], [relation])


def test_names_and_aliases_must_be_unique_case_insensitively():
    with pytest.raises(DuplicateSkillError):
        build_skill_graph([Skill(1, "VPN"), Skill(2, "Remote", aliases=("vpn",))])
    with pytest.raises(DuplicateSkillError):
        build_skill_graph([Skill(1, "VPN"), Skill(1, "DNS")])


def test_find_matches_names_and_aliases_case_insensitively(network_skills):
    assert network_skills.find("anyconnect") == 2
    assert network_skills.find(" Cisco ASA ") == 5
    assert network_skills.find("Kubernetes") is None


def test_parents_follow_is_a(network_skills):
    assert network_skills.parents(5) == [4]
    assert network_skills.parents(1) == []


def test_asking_about_an_unknown_skill_raises(network_skills):
    with pytest.raises(UnknownSkillError):
        network_skills.similarity_of(2, 42)
    with pytest.raises(UnknownSkillError):
        network_skills.name(42)

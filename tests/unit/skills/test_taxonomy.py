import json

import pytest

from swarm.skills.graph import IsACycleError, UnknownSkillError
from swarm.skills.taxonomy import (
    TaxonomyFormatError,
    dump_csv,
    dump_json,
    load_csv,
    load_json,
    to_dict,
)


@pytest.mark.parametrize(("dump", "load"), [(dump_json, load_json), (dump_csv, load_csv)])
def test_taxonomy_survives_a_round_trip(network_skills, dump, load):
    again = load(dump(network_skills))
    assert to_dict(again) == to_dict(network_skills)
    assert (again.similarity != network_skills.similarity).nnz == 0


def test_csv_lists_weights_and_aliases(network_skills):
    lines = dump_csv(network_skills).splitlines()
    assert lines[0] == "id,name,aliases,is_a,related_to"
    assert lines[2] == "2,VPN,AnyConnect|remote access,1,4:0.8"


def test_csv_related_to_listed_on_both_rows_is_one_relation():
    graph = load_csv("id,name,aliases,is_a,related_to\n1,VPN,,,2\n2,Firewall,,,1\n")
    assert len(graph.relations) == 1


def test_csv_with_a_bom_and_without_relation_columns_loads():
    graph = load_csv("\ufeffid,name\n1,VPN\n2,DNS\n")
    assert graph.find("dns") == 2


@pytest.mark.parametrize(
    "text",
    [
        "name\nVPN\n",
        "id,name\nx,VPN\n",
        "id,name,aliases,is_a,related_to\n1,VPN,,two,\n",
        "id,name,aliases,is_a,related_to\n1,VPN,,2:heavy,\n2,DNS,,,\n",
    ],
)
def test_malformed_csv_is_rejected_with_a_typed_error(text):
    with pytest.raises(TaxonomyFormatError):
        load_csv(text)


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        json.dumps({"skills": [{"name": "VPN"}]}),
        json.dumps({"skills": [{"id": 1.5, "name": "VPN"}]}),
        json.dumps(
            {
                "skills": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}],
                "relations": [{"source": 1, "target": 2, "kind": "part_of"}],
            }
        ),
    ],
)
def test_malformed_json_is_rejected_with_a_typed_error(text):
    with pytest.raises(TaxonomyFormatError):
        load_json(text)


def test_imported_taxonomy_is_validated():
    with pytest.raises(UnknownSkillError):
        load_csv("id,name,aliases,is_a,related_to\n1,VPN,,7,\n")
    with pytest.raises(IsACycleError):
        load_csv("id,name,aliases,is_a,related_to\n1,a,,2,\n2,b,,1,\n")

import csv
import gzip

import pytest

from swarm.skills.evaluation import evaluate_routing, read_tickets
from swarm.skills.graph import Skill, UnknownSkillError, build_skill_graph
from swarm.skills.inference import TextModel, train_inferer

VPN, PRINTING, EXCEL = 1, 2, 3

EXAMPLES = [
    ("vpn tunnel keeps dropping when working from home", [VPN]),
    ("cannot connect to the company network remotely", [VPN]),
    ("remote connection drops every hour", [VPN]),
    ("paper jam in the printer on floor 2", [PRINTING]),
    ("toner is empty, printing fails", [PRINTING]),
    ("printer shows offline status", [PRINTING]),
    ("spreadsheet formula returns an error", [EXCEL]),
    ("pivot table will not refresh in the spreadsheet", [EXCEL]),
    ("macro crashes the spreadsheet when I print it", [EXCEL, PRINTING]),
    ("please book a meeting room for friday", []),
    ("where is the lunch menu", []),
]


@pytest.fixture
def skills():
    return build_skill_graph(
        [
            Skill(VPN, "VPN", aliases=("AnyConnect", "remote access")),
            Skill(PRINTING, "Printing", aliases=("printer",)),
            Skill(EXCEL, "Excel"),
        ]
    )


def test_skill_name_and_alias_are_found_as_whole_words(skills):
    inferer = train_inferer(skills, [])
    found = inferer.infer("AnyConnect says Remote Access denied; printers fine")
    assert [(s.skill_id, s.weight) for s in found] == [(VPN, 1.0)]
    assert found[0].why == 'mentions "AnyConnect" (VPN); mentions "Remote Access" (VPN)'


def test_text_with_no_inferable_skill_gives_nothing(skills):
    inferer = train_inferer(skills, EXAMPLES)
    assert inferer.infer("can someone book the meeting room") == []
    assert inferer.infer("") == []


def test_learned_model_infers_skills_without_their_names(skills):
    # Eleven examples make a timid model: its own boundary (0.5), not the product's threshold.
    inferer = train_inferer(skills, EXAMPLES, threshold=0.5)
    (found,) = inferer.infer("connection drops when I work from home")
    assert found.skill_id == VPN
    assert 0.5 <= found.weight < 1.0
    assert "labelled VPN" in found.why
    assert found.why.startswith('words "')


def test_learned_model_can_infer_several_skills(skills):
    inferer = train_inferer(skills, EXAMPLES, threshold=0.5)
    found = inferer.infer("the macro crashes my spreadsheet when I print")
    assert {s.skill_id for s in found} == {PRINTING, EXCEL}


def test_corrections_become_training_examples(skills):
    inferer = train_inferer(skills, EXAMPLES)
    text = "the badge reader at the door blinks red"
    before = {s.skill_id for s in inferer.infer(text)}
    corrected = inferer.corrected([(text, [VPN]), ("badge reader refuses my card", [VPN])])
    assert {s.skill_id for s in corrected.infer(text)} == {VPN} != before
    assert len(corrected.examples) == len(EXAMPLES) + 2
    assert inferer.infer(text) == inferer.infer(text)  # the old inferer is unchanged


def test_a_correction_replaces_the_labels_of_the_same_text(skills):
    inferer = train_inferer(skills, EXAMPLES).corrected([("Where is the  LUNCH menu", [EXCEL])])
    assert ("Where is the  LUNCH menu", frozenset({EXCEL})) in inferer.examples
    assert all(text != "where is the lunch menu" for text, _ in inferer.examples)


def test_training_examples_with_unknown_skills_are_rejected(skills):
    with pytest.raises(UnknownSkillError):
        train_inferer(skills, [("anything", [99])])


def test_text_model_keeps_the_callers_labels_and_ranks_them():
    model = TextModel[str]().fit(
        [text for text, _ in EXAMPLES], [[str(s) for s in labels] for _, labels in EXAMPLES]
    )
    ranked = model.rank("printer jam", k=2)
    assert [type(p.label) for p in ranked] == [str, str]
    assert ranked[0].label == str(PRINTING)
    assert ranked[0].margin > ranked[1].margin


def write_dataset(path, rows):
    with gzip.open(path, "wt", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Short description", "Description", "Caller", "Assignment group"])
        writer.writerows(rows)


def test_evaluation_trains_on_the_first_80_percent_in_file_order(tmp_path):
    rows = []
    for i in range(50):
        rows.append(["vpn down", f"tunnel {i} drops", f"c{i}", "GRP_NET"])
        rows.append(["printer jam", f"tray {i} stuck", f"p{i}", "GRP_PRINT"])
    rows += [["login issue", "password reset", f"l{i}", "GRP_0"] for i in range(100)]
    path = tmp_path / "tickets.csv.gz"
    write_dataset(path, rows)

    figures = evaluate_routing(path)
    assert (figures["train_rows"], figures["test_rows"]) == (160, 40)
    # The last 40 rows are all GRP_0, the training majority is GRP_0 too (60 of 160).
    assert figures["majority_baseline"] == 1.0
    assert figures["accuracy_at_1"] == 1.0
    assert figures["accuracy_at_3"] == 1.0
    assert 0 <= figures["tfidf_linear_baseline_at_1"] <= 1


def test_dataset_without_the_expected_columns_is_rejected(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(ValueError, match="Assignment group"):
        read_tickets(path)

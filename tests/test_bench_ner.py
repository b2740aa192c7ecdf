import re
from pathlib import Path

import pytest

from bench.ner import Counts
from medgraphrag.nlp.names import normalize, normalized_id
from medgraphrag.nlp.ner_training import (
    TRAIN,
    left_out_modifiers,
    modifier_counts,
    name_table,
    part_names,
    phrase_counts,
    unmarked_names,
    write_names,
)
from medgraphrag.nlp.pubtator import Annotation, read_pubtator
from medgraphrag.nlp.recognizer import MODEL_DIR, MODIFIERS_FILE, NAMES_FILE, PARTS_FILE, UNMARKED_FILE

PUBTATOR = """\
100|t|Wilson disease and copper.
100|a|Breast and ovarian cancer (BOC) occur.
100\t0\t14\tWilson disease\tSpecificDisease\tD006527
100\t27\t52\tBreast and ovarian cancer\tCompositeMention\tD001943|D010051
100\t19\t25\tcopper\tChemical\tD003300
100\t54\t57\tBOC\tDiseaseClass\t-1
100\tCID\tD003300\tD006527

"""


def test_pubtator_is_read_with_composite_ids_and_without_relations(tmp_path: Path) -> None:
    path = tmp_path / "corpus.PubTator.txt"
    path.write_text(PUBTATOR, encoding="utf-8")
    [abstract] = read_pubtator(path, ["SpecificDisease", "CompositeMention", "DiseaseClass"])
    assert abstract.text.startswith("Wilson disease and copper. Breast")
    assert [(g.start, g.end) for g in abstract.gold] == [(0, 14), (27, 52), (54, 57)]
    assert abstract.gold[1].ids == {"MESH:D001943", "MESH:D010051"} and abstract.gold[2].ids == frozenset()
    assert {g.group for g in read_pubtator(path)[0].gold} == {"Disorders", "Chemicals & Drugs"}


def test_offsets_that_do_not_hold_the_mention_are_an_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.PubTator.txt"
    path.write_text(PUBTATOR.replace("0\t14\tWilson", "1\t14\tWilson"), encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.PubTator\.txt:3"):
        read_pubtator(path)


def test_the_name_table_keeps_each_names_most_frequent_ids(tmp_path: Path) -> None:
    path = tmp_path / "train.PubTator.txt"
    second = re.sub("^100", "101", PUBTATOR, flags=re.MULTILINE).replace("D006527", "D006528")
    third = re.sub("^100", "102", PUBTATOR, flags=re.MULTILINE)
    path.write_text(PUBTATOR + second + third, encoding="utf-8")
    table = name_table([path])
    # two of three annotations say D006527; the unnormalized "-1" is left out
    assert table["wilson disease"] == ("MESH:D006527", "DISEASE", 2)
    assert table["copper"] == ("MESH:D003300", "CHEMICAL", 3)
    # a name annotated as two concepts keeps both ids
    assert table["breast and ovarian cancer"] == ("MESH:D001943|MESH:D010051", "DISEASE", 3)
    assert set(table) == {"wilson disease", "copper", "breast and ovarian cancer"}


def test_ids_are_compared_in_one_form() -> None:
    assert normalized_id("D008107") == normalized_id("MESH:D008107") == "MESH:D008107"
    assert normalized_id("OMIM:215600") == "OMIM:215600" and normalized_id("-1") is None
    # A bare CUI (a concept's own id) is no MeSH supplementary id; an explicit MeSH one is.
    assert normalized_id("C0263338") is None and normalized_id("C538265") == "MESH:C538265"
    assert normalized_id("MESH:C000596597") == "MESH:C000596597"


def test_mention_and_document_figures() -> None:
    disorder, drug = "Disorders", "Chemicals & Drugs"
    gold = [Annotation(0, 10, disorder, frozenset({"MESH:D1"})), Annotation(20, 30, disorder, frozenset({"MESH:D2"}))]
    predicted = [
        Annotation(0, 10, disorder, frozenset({"MESH:D1", "UMLS:C1"})),  # exact, right concept
        Annotation(22, 30, disorder, frozenset({"MESH:D9"})),  # overlapping, wrong concept
        Annotation(40, 45, disorder, frozenset()),  # spurious
        Annotation(50, 55, drug, frozenset({"MESH:D7"})),  # another group: not judged
    ]
    counts = Counts()
    counts.add(gold, predicted)
    figures = counts.figures()
    assert figures["mention_p_exact"] == pytest.approx(1 / 3) and figures["mention_r_exact"] == 0.5
    assert figures["mention_p_overlap"] == pytest.approx(2 / 3) and figures["mention_r_overlap"] == 1.0
    assert figures["norm_acc"] == 0.5
    # the spurious mention has no concept: it predicts no id
    assert figures["doc_concept_p"] == 0.5 and figures["doc_concept_r"] == 0.5


def _six_abstracts(folder: Path, abstract: str) -> Path:
    """A PubTator training file of six copies of `abstract` (its "{pmid}" filled in, 100 to 105)."""
    path = folder / "train.PubTator.txt"
    path.write_text("".join(abstract.format(pmid=pmid) for pmid in range(100, 106)), encoding="utf-8")
    return path


def test_the_unmarked_table_keeps_phrases_seen_often_and_rarely_marked_as_a_disease(tmp_path: Path) -> None:
    path = _six_abstracts(
        tmp_path,
        "{pmid}|t|Wilson disease in pregnancy.\n{pmid}|a|Cases occur.\n"
        "{pmid}\t0\t14\tWilson disease\tSpecificDisease\tD006527\n\n",
    )
    table = unmarked_names(phrase_counts([path]), min_occurrences=5, max_marked_share=0.1)
    assert table["pregnancy"] == (6, 0, 0) and table[normalize("Cases occur")] == (6, 0, 0)
    # marked every time (Wilson disease) or too rarely seen (a phrase of five words) is not in it
    assert "wilson disease" not in table and "wilson" not in table and normalize("disease in pregnancy") not in table
    assert all(len(name.split()) <= 4 for name in table)


def test_the_part_table_keeps_words_marked_only_inside_longer_names(tmp_path: Path) -> None:
    path = _six_abstracts(
        tmp_path,
        "{pmid}|t|Liver injury and liver injury.\n{pmid}|a|Hepatitis occurs.\n"
        "{pmid}\t0\t12\tLiver injury\tDisease\tD056486\n"
        "{pmid}\t17\t29\tliver injury\tDisease\tD056486\n"
        "{pmid}\t31\t40\tHepatitis\tDisease\tD006505\n\n",
    )
    counts = phrase_counts([path])
    table = part_names(counts, min_occurrences=5, max_marked_share=0.1)
    # "injury" and "liver" are marked 12 times of 12, never as the whole name
    assert table["injury"] == (12, 12, 0) and table["liver"] == (12, 12, 0)
    # the whole names are not parts; a phrase never marked is no part but unmarked
    assert "liver injury" not in table and "hepatitis" not in table and normalize("occurs") not in table
    assert normalize("occurs") in unmarked_names(counts, min_occurrences=5, max_marked_share=0.1)


def test_the_modifier_table_keeps_words_left_out_of_the_disease_names_they_stand_before(tmp_path: Path) -> None:
    path = _six_abstracts(
        tmp_path,
        "{pmid}|t|Severe hepatitis and chronic hepatitis.\n{pmid}|a|Chronic renal failure; aspirin hepatitis.\n"
        "{pmid}\t7\t16\thepatitis\tDisease\tD006505\n"
        "{pmid}\t21\t38\tchronic hepatitis\tDisease\tD006521\n"
        "{pmid}\t40\t61\tChronic renal failure\tDisease\tD007676\n"
        "{pmid}\t63\t70\taspirin\tChemical\tD001241\n"
        "{pmid}\t71\t80\thepatitis\tDisease\tD006505\n\n",
    )
    counts = modifier_counts([path])
    # "severe" stands before a disease name 6 times, never in one; "chronic" starts 12 of them
    assert counts["severe"] == (6, 0) and counts["chronic"] == (0, 12) and counts["and"] == (6, 0)
    # a word inside another annotation ("aspirin", a chemical) is no modifier left out
    assert "aspirin" not in counts
    table = left_out_modifiers(counts, min_occurrences=5, max_marked_share=0.1)
    assert "severe" in table and "chronic" not in table


@pytest.mark.skipif(not all(p.is_file() for p in TRAIN), reason="the shared training splits are not present")
def test_the_shipped_tables_are_what_the_recipe_builds_from_the_training_splits(tmp_path: Path) -> None:
    # The tables are keyed by `normalize`: when it changes, they must be built again (`make ner-model`
    # or `--names-only`), or names it now folds together stay out of reach.
    write_names(TRAIN, tmp_path)
    for table in (NAMES_FILE, UNMARKED_FILE, PARTS_FILE, MODIFIERS_FILE):
        assert (tmp_path / table).read_text(encoding="utf-8") == (MODEL_DIR / table).read_text(encoding="utf-8"), table

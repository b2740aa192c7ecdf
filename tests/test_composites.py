"""Composite mentions: coordinated modifiers sharing one head noun."""

import pytest

from medgraphrag.graph.vocabulary import ConceptNames
from medgraphrag.nlp.composites import composite_names
from medgraphrag.nlp.lexicon import build_lexicon
from medgraphrag.nlp.names import indexed_keys
from medgraphrag.nlp.recognizer import Recognized, Recognizer
from medgraphrag.nlp.ruler import VocabularyRuler, extract_mentions
from medgraphrag.nlp.sentences import parse


@pytest.mark.parametrize(
    ("surface", "names"),
    [
        ("breast and ovarian cancer", ["breast cancer", "ovarian cancer"]),
        ("breast/ovarian cancer", ["breast cancer", "ovarian cancer"]),
        ("breast and/or ovarian cancer", ["breast cancer", "ovarian cancer"]),
        ("colon, rectal, or gastric cancer", ["colon cancer", "rectal cancer", "gastric cancer"]),
        ("hematopoietic and solid tumors", ["hematopoietic tumors", "solid tumors"]),
        ("breast cancer", []),
        ("nausea and vomiting", []),  # two names, no shared head
        ("breast and breast cancer", []),
    ],
)
def test_composite_shapes(surface: str, names: list[str]) -> None:
    assert composite_names(surface) == names


class _Marks(Recognizer):
    def __init__(self, phrase: str) -> None:
        self.phrase = phrase
        self.names = {}

    def spans(self, texts: list[str]) -> list[list[Recognized]]:  # type: ignore[override]
        return [[Recognized(t.index(self.phrase), t.index(self.phrase) + len(self.phrase), "Disorders")] for t in texts]


def _ruler() -> VocabularyRuler:
    concepts = [("D1", "Breast cancer"), ("D2", "Ovarian cancer"), ("D3", "Hereditary breast and ovarian cancer")]
    types = ["MESHTREE:C04.588"]
    return VocabularyRuler(
        build_lexicon(ConceptNames(cid, None, name, types, ["mesh"], indexed_keys([name])) for cid, name in concepts)
    )


def test_a_composite_mention_is_a_mention_of_each_concept_it_names() -> None:
    text = "Families with breast and ovarian cancer were studied."
    found = extract_mentions(text, parse([text])[0], _ruler(), _Marks("breast and ovarian cancer"))
    assert [(m.surface, m.concept_id, m.method) for m in found] == [
        ("breast and ovarian cancer", "D1", "composite"),
        ("breast and ovarian cancer", "D2", "composite"),
    ]
    # both carry the span's assertion
    text = "No breast and ovarian cancer in the family."
    found = extract_mentions(text, parse([text])[0], _ruler(), _Marks("breast and ovarian cancer"))
    assert [m.status for m in found] == ["negated", "negated"]


def test_a_composite_is_kept_whole_unless_the_vocabulary_knows_every_name() -> None:
    text = "Families with breast and pancreatic cancer were studied."
    found = extract_mentions(text, parse([text])[0], _ruler(), _Marks("breast and pancreatic cancer"))
    assert [(m.surface, m.concept_id) for m in found] == [("breast and pancreatic cancer", "")]

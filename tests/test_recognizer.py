"""The trained disease and chemical recognizer beside the vocabulary ruler."""

from collections.abc import Sequence

from medgraphrag.graph.vocabulary import ConceptNames
from medgraphrag.nlp.lexicon import build_lexicon
from medgraphrag.nlp.names import indexed_keys
from medgraphrag.nlp.recognizer import Recognized, Recognizer, available
from medgraphrag.nlp.ruler import VocabularyRuler, extract_mentions
from medgraphrag.nlp.sentences import parse


def _ruler() -> VocabularyRuler:
    concepts = [
        ("C0010286", "Cisplatin", [], ["mesh"]),  # MeSH says nothing of its type: "Concepts & Ideas"
        ("C0022660", "Acute kidney failure", ["MESHTREE:C12.777.419.780.050"], ["mesh"]),
        ("C0009014", "Copper", ["MESHTREE:D01.268.556.171"], ["mesh"]),
    ]
    return VocabularyRuler(
        build_lexicon(
            ConceptNames(cid, cid, name, types, sources, indexed_keys([name])) for cid, name, types, sources in concepts
        )
    )


def _mentions(text: str, recognizer: Recognizer | None) -> dict[str, tuple[str, str, str]]:
    found = extract_mentions(text, parse([text])[0], _ruler(), recognizer)
    return {m.surface: (m.concept_id, m.type, m.method) for m in found}


def test_the_model_ships_with_the_package() -> None:
    assert available()
    assert len(Recognizer().identity) == 12


def test_recognized_names_join_the_ruler_and_take_their_type_from_the_model() -> None:
    text = "Cisplatin caused nephrotoxicity in two patients."
    without = _mentions(text, None)
    assert without == {"Cisplatin": ("C0010286", "Concepts & Ideas", "ruler")}
    found = _mentions(text, Recognizer())
    # the vocabulary's concept, typed by the model; a disorder the vocabulary does not name, unlinked
    assert found["Cisplatin"] == ("C0010286", "Chemicals & Drugs", "recognizer")
    assert found["nephrotoxicity"] == ("", "Disorders", "recognizer")


class _Marks(Recognizer):
    """Marks given phrases, to pin down how marks and vocabulary names combine."""

    def __init__(self, marks: dict[str, str]) -> None:
        self.marks = marks

    def spans(self, texts: Sequence[str]) -> list[list[Recognized]]:
        return [
            [Recognized(t.index(p), t.index(p) + len(p), group) for p, group in self.marks.items() if p in t]
            for t in texts
        ]


def test_a_disease_name_is_not_lost_to_the_chemical_inside_it() -> None:
    text = "Copper toxicosis and copper deficiency in Bedlington terriers."
    found = _mentions(text, _Marks({"Copper toxicosis": "Disorders"}))
    assert found["Copper toxicosis"] == ("", "Disorders", "recognizer")
    # elsewhere the metal is still the vocabulary's
    assert [k for k in found if k.lower() == "copper"] == ["copper"] and found["copper"][1] == "Chemicals & Drugs"


def test_a_vocabulary_name_of_the_same_group_is_kept() -> None:
    text = "Acute kidney failure after contrast."
    marks = _Marks({"Acute kidney failure": "Disorders"})
    assert _mentions(text, marks)["Acute kidney failure"] == ("C0022660", "Disorders", "ruler")

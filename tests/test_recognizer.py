"""The trained disease and chemical recognizer beside the vocabulary ruler."""

from collections.abc import Sequence

from medgraphrag.graph.vocabulary import ConceptNames
from medgraphrag.ingest.construction import ChunkedDocument
from medgraphrag.ingest.loaders import SourceDocument
from medgraphrag.ingest.offline import LinkedConcept, RulerExtractor
from medgraphrag.nlp.lexicon import build_lexicon
from medgraphrag.nlp.names import indexed_keys
from medgraphrag.nlp.recognizer import Recognized, Recognizer, TrainedName, available
from medgraphrag.nlp.ruler import VocabularyRuler, extract_mentions
from medgraphrag.nlp.sentences import parse


def _ruler() -> VocabularyRuler:
    concepts = [
        ("C0010286", "Cisplatin", [], ["mesh"], []),  # MeSH says nothing of its type: "Concepts & Ideas"
        ("C0022660", "Acute kidney failure", ["MESHTREE:C12.777.419.780.050"], ["mesh"], []),
        ("C0009014", "Copper", ["MESHTREE:D01.268.556.171"], ["mesh"], []),
        ("DOID:893", "Hepatolenticular degeneration", [], ["doid"], ["MESH:D006527", "OMIM:277900"]),
        ("DOID:557", "Kidney disease", [], ["doid"], ["MESH:D007674"]),
        ("MESH:D007674", "Kidney Diseases", ["MESHTREE:C12.777.419"], ["mesh"], []),
    ]
    return VocabularyRuler(
        build_lexicon(
            ConceptNames(cid, cid, name, types, sources, indexed_keys([name]), xrefs)
            for cid, name, types, sources, xrefs in concepts
        )
    )


def _disorders(*concepts: tuple[str, str]) -> VocabularyRuler:
    """A ruler over MeSH disorders (id, name)."""
    return VocabularyRuler(
        build_lexicon(
            ConceptNames(cid, cid, name, ["MESHTREE:C23"], ["mesh"], indexed_keys([name])) for cid, name in concepts
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
    # the vocabulary's concept, typed by the model (the id the training names give cisplatin is not in
    # this vocabulary); a disorder the vocabulary does not name, found by the id they give it
    assert found["Cisplatin"] == ("C0010286", "Chemicals & Drugs", "recognizer")
    assert found["nephrotoxicity"] == ("MESH:D007674", "Disorders", "recognizer")


class _Marks(Recognizer):
    """Marks given phrases, to pin down how marks and vocabulary names combine."""

    def __init__(self, marks: dict[str, str]) -> None:
        super().__init__()
        self.marks = marks
        self.names = {}
        self.unmarked = frozenset()
        self.parts = frozenset()
        self.modifiers = frozenset()

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


def test_names_the_training_splits_annotate_go_to_the_concept_carrying_their_id() -> None:
    recognizer = Recognizer()
    # the shipped table: names the training annotations normalize, with the id they give most often
    wilson = TrainedName("MESH:D006527", "Disorders")
    assert recognizer.trained_name("Wilson's disease") == recognizer.trained_name("wilson disease") == wilson
    assert recognizer.trained_name("cisplatin") == TrainedName("MESH:D002945", "Chemicals & Drugs")
    assert recognizer.trained_name("Tuesday") is None
    marks = _Marks({"Wilson disease": "Disorders", "nephrotoxicity": "Disorders"})
    marks.names = recognizer.names
    text = "Wilson disease (WD) is rare. In WD, cisplatin adds nephrotoxicity."
    found = {
        (m.surface, m.start): (m.concept_id, m.type) for m in extract_mentions(text, parse([text])[0], _ruler(), marks)
    }
    # no vocabulary name says "Wilson disease": the concept cross-referencing the id is found ...
    assert found[("Wilson disease", 0)] == ("DOID:893", "Disorders")
    # ... and the short form the text defines follows it
    assert found[("WD", 32)] == ("DOID:893", "Disorders")
    # a concept whose own id it is wins over one that only cross-references it
    assert found[("nephrotoxicity", 51)] == ("MESH:D007674", "Disorders")


def test_a_name_nothing_else_knows_takes_the_id_of_the_nearest_training_name() -> None:
    recognizer = Recognizer()
    genetic = TrainedName("MESH:D030342", "Disorders")
    assert recognizer.trained_name("inherited human disease") is None
    assert recognizer.nearest_name("inherited human disease", "Disorders") == genetic
    complement = TrainedName("MESH:D007153", "Disorders")
    assert recognizer.nearest_name("Deficiency of terminal complement", "Disorders") == complement
    assert recognizer.nearest_name("adenovirus disease", "Disorders") is None  # "adenovirus infection", 0.75 alike
    assert recognizer.nearest_name("a sunny Tuesday afternoon", "Disorders") is None
    assert recognizer.nearest_name("inherited human disease", "Anatomy") is None  # no training names of that group
    # In extraction: a recognized name that no vocabulary name spells out goes to the concept of that id.
    ruler = VocabularyRuler(
        build_lexicon(
            [
                ConceptNames(
                    "MESH:D030342",
                    None,
                    "Genetic Diseases, Inborn",
                    ["MESHTREE:C16.320"],
                    ["mesh"],
                    indexed_keys(["Genetic Diseases, Inborn"]),
                )
            ]
        )
    )
    text = "Friedreich ataxia is an inherited human disease of the nerves."
    marks = _Marks({"inherited human disease": "Disorders"})
    marks.names = recognizer.names
    document = SourceDocument("note.txt", "note", text, "text/plain")
    item = ChunkedDocument(document, parse([text])[0], [], [])
    found = {m.surface: (m.concept_id, m.method) for m in RulerExtractor(ruler, marks).mentions(item)}
    assert found["inherited human disease"] == ("MESH:D030342", "recognizer+training name")
    assert RulerExtractor(ruler, None).mentions(item) == []


def test_the_training_names_type_what_the_vocabulary_leaves_untyped() -> None:
    # MeSH gives cisplatin no type; the vocabulary's concept for its id takes the annotators' type
    ruler = VocabularyRuler(
        build_lexicon([ConceptNames("MESH:D002945", None, "Cisplatin", [], ["mesh"], indexed_keys(["Cisplatin"]))])
    )
    text = "Cisplatin was given."
    [mention] = extract_mentions(text, parse([text])[0], ruler, _Marks({}))
    assert (mention.concept_id, mention.type) == ("MESH:D002945", "Concepts & Ideas")
    marks = _Marks({})
    marks.names = Recognizer().names
    [mention] = extract_mentions(text, parse([text])[0], ruler, marks)
    assert (mention.concept_id, mention.type, mention.method) == ("MESH:D002945", "Chemicals & Drugs", "ruler")


def test_without_the_table_the_ruler_is_unchanged() -> None:
    text = "Wilson disease (WD) is rare."
    found = _mentions(text, _Marks({"Wilson disease": "Disorders"}))
    assert found["Wilson disease"] == ("", "Disorders", "recognizer")


def test_a_longer_vocabulary_name_wins_over_a_trained_name_inside_it() -> None:
    ruler = VocabularyRuler(
        build_lexicon(
            ConceptNames(cid, cid, name, ["MESHTREE:C10.228"], ["mesh"], indexed_keys([name]))
            for cid, name in (("MESH:D020325", "Migraine with Aura"), ("MESH:D008881", "Migraine Disorders"))
        )
    )
    marks = _Marks({"migraine": "Disorders", "Migraine": "Disorders"})
    marks.names = Recognizer().names  # the training names know "migraine" (Migraine Disorders)
    text = "Migraine with aura was rare; migraine was common."
    found = {(m.surface, m.start): m.concept_id for m in extract_mentions(text, parse([text])[0], ruler, marks)}
    # the model marks only "Migraine": the vocabulary's longer name of its group says more
    assert found == {("Migraine with aura", 0): "MESH:D020325", ("migraine", 29): "MESH:D008881"}


def test_a_name_found_elsewhere_links_as_a_recognized_name_would() -> None:
    # What an LLM names: by the training names, the vocabulary's names as written or spelled
    # otherwise, the nearest training name; the first of its names that links wins.
    extractor = RulerExtractor(_ruler(), Recognizer())
    assert extractor.concept(["Wilson's disease"], "Disorders") == LinkedConcept(
        "DOID:893", "DOID:893", "Hepatolenticular degeneration", "name"
    )
    assert (plural := extractor.concept(["kidney diseases"], "Disorders")) and plural.concept_id == "MESH:D007674"
    assert (second := extractor.concept(["WD", "Wilson disease"], "Disorders")) and second.concept_id == "DOID:893"
    misspelt = extractor.concept(["kidney diseasess"], "Disorders")
    assert misspelt == LinkedConcept("MESH:D007674", "MESH:D007674", "Kidney Diseases", "training name")
    assert extractor.concept(["a sunny Tuesday afternoon"], "Disorders") is None
    assert extractor.concept([], "Disorders") is None


def test_a_recognized_name_no_name_spells_out_links_by_its_head() -> None:
    ruler = VocabularyRuler(
        build_lexicon(
            ConceptNames(cid, cid, name, types, ["mesh"], indexed_keys([name]))
            for cid, name, types in (
                ("MESH:D003920", "Diabetes Mellitus", ["MESHTREE:C18.452.394.750"]),
                ("MESH:D012598", "Sclerosis", ["MESHTREE:C23.550.834"]),
                ("MESH:D009068", "Movement", []),  # no group of its own
            )
        )
    )
    marks = _Marks(
        {
            "diabetes of 2 months duration": "Disorders",
            "diffuse sclerotic": "Disorders",
            "involuntary movement": "Disorders",
        }
    )
    marks.names = Recognizer().names  # the training names know "diabetes" (Diabetes Mellitus)
    text = "Rats with diabetes of 2 months duration were diffuse sclerotic and had involuntary movement."
    document = SourceDocument("note.txt", "note", text, "text/plain")
    item = ChunkedDocument(document, parse([text])[0], [], [])
    found = {m.surface: (m.concept_id, m.method) for m in RulerExtractor(ruler, marks).mentions(item)}
    assert found["diabetes of 2 months duration"] == ("MESH:D003920", "recognizer+head")
    assert found["diffuse sclerotic"] == ("MESH:D012598", "recognizer+head")  # the adjective's disorder
    # a part of the name that the vocabulary gives no group does not take the recognizer's
    assert found["involuntary movement"] == ("", "recognizer")


def test_words_marked_only_inside_longer_names_give_way_to_the_recognized_names() -> None:
    ruler = _disorders(
        ("MESH:D014947", "Injury"),
        ("HP:0002017", "Nausea and vomiting"),
        ("MESH:D009325", "Nausea"),
        ("MESH:D014839", "Vomiting"),
    )
    text = "Cells showed mitochondrial injury. Injury healed. Nausea and vomiting followed."
    document = SourceDocument("note.txt", "note", text, "text/plain")
    item = ChunkedDocument(document, parse([text])[0], [], [])
    marks = _Marks({"mitochondrial injury": "Disorders", "Nausea": "Disorders", "vomiting": "Disorders"})

    def found() -> dict[str, tuple[str, str, str]]:
        return {m.surface: (m.concept_id, m.type, m.method) for m in RulerExtractor(ruler, marks).mentions(item)}

    # Without the table, the vocabulary's names inside and over the recognized ones say what they are.
    assert found() == {
        "injury": ("MESH:D014947", "Disorders", "ruler"),
        "Injury": ("MESH:D014947", "Disorders", "ruler"),
        "Nausea and vomiting": ("HP:0002017", "Disorders", "ruler"),
    }
    # The training annotators mark "injury" only inside longer names ("liver injury") and "nausea
    # and vomiting" as two names: the recognized names are the mentions (the first linked by its
    # head), and "Injury" alone is no disease mention.
    marks.parts = frozenset({"injury", "nausea and vomiting"})
    assert found() == {
        "mitochondrial injury": ("MESH:D014947", "Disorders", "recognizer+head"),
        "Injury": ("MESH:D014947", "Concepts & Ideas", "ruler"),
        "Nausea": ("MESH:D009325", "Disorders", "recognizer"),
        "vomiting": ("MESH:D014839", "Disorders", "recognizer"),
    }
    shipped = Recognizer()
    assert shipped.part_name("injury") and shipped.part_name("nausea and vomiting")
    assert not shipped.part_name("hepatitis") and not shipped.part_name("muscular dystrophy")


def test_words_the_annotators_leave_out_of_disease_names_are_left_out_of_vocabulary_names() -> None:
    ruler = VocabularyRuler(
        build_lexicon(
            ConceptNames(
                cid, cid, name, ["MESHTREE:C01"], ["hpo" if cid.startswith("HP") else "mesh"], indexed_keys([name])
            )
            for cid, name in (
                ("HP:0032169", "Severe infection"),
                ("MESH:D007239", "Infections"),
                ("HP:0004430", "Severe combined immunodeficiency"),
                ("MESH:D007153", "Combined immunodeficiency"),
                ("HP:0000000", "Severe blistering"),
                ("HP:0000001", "Intractable disease"),
                ("MESH:D004194", "Disease"),
            )
        )
    )
    text = (
        "Severe infections, severe combined immunodeficiency and severe blistering were seen; intractable disease too."
    )
    marks = _Marks({})

    def found() -> dict[str, str]:
        return {m.surface: m.concept_id for m in extract_mentions(text, parse([text])[0], ruler, marks)}

    assert found() == {
        "Severe infections": "HP:0032169",
        "severe combined immunodeficiency": "HP:0004430",
        "severe blistering": "HP:0000000",
        "intractable disease": "HP:0000001",
    }
    # The training annotators leave "severe" out of the disease name it stands before ("severe
    # infections": infections), unless they name the whole ("severe combined immunodeficiency"); a
    # name whose rest is no name of its own ("blistering") or says nothing alone ("disease") stays
    # whole.
    marks.modifiers = frozenset({"severe", "intractable"})
    marks.names = {"severe combined immunodeficiency": TrainedName("MESH:D016511", "Disorders")}
    assert found() == {
        "infections": "MESH:D007239",
        "severe combined immunodeficiency": "HP:0004430",
        "severe blistering": "HP:0000000",
        "intractable disease": "HP:0000001",
    }
    shipped = Recognizer()
    assert shipped.left_out("severe") and shipped.left_out("Recurrent") and not shipped.left_out("chronic")


def test_a_name_the_training_annotators_give_several_ids_is_a_mention_of_each() -> None:
    ruler = _disorders(
        ("MESH:D000094202", "Hemorrhagic Cystitis"),  # a heading newer than the annotations
        ("MESH:D003556", "Cystitis"),
        ("MESH:D006470", "Hemorrhage"),
    )
    text = "Ifosfamide caused hemorrhagic cystitis."
    marks = _Marks({})
    assert [m.concept_id for m in extract_mentions(text, parse([text])[0], ruler, marks)] == ["MESH:D000094202"]
    marks.names = {"hemorrhagic cystitis": TrainedName("MESH:D003556", "Disorders", ("MESH:D006470",))}
    found = extract_mentions(text, parse([text])[0], ruler, marks)
    assert [(m.surface, m.concept_id, m.method) for m in found] == [
        ("hemorrhagic cystitis", "MESH:D003556", "composite"),
        ("hemorrhagic cystitis", "MESH:D006470", "composite"),
    ]
    # as the shipped table has it
    assert Recognizer().trained_name("hemorrhagic cystitis") == marks.names["hemorrhagic cystitis"]
    # a short form stands for every concept its long form names
    text = "Ifosfamide caused hemorrhagic cystitis (HC). HC resolved."
    found = extract_mentions(text, parse([text])[0], ruler, marks)
    assert [(m.surface, m.concept_id) for m in found if m.surface == "HC"] == [
        ("HC", "MESH:D003556"),
        ("HC", "MESH:D006470"),
    ] * 2


def test_a_short_form_used_without_its_definition_stands_for_the_name_of_the_document_that_spells_it() -> None:
    ruler = _disorders(
        ("MESH:D053201", "Overactive bladder"),
        ("MESH:D010300", "Parkinson disease"),
        ("MESH:D010195", "Pancreatic disease"),
    )
    marks = _Marks({"OAB": "Disorders", "PD": "Disorders"})

    def found(text: str) -> list[tuple[str, str, str]]:
        return [(m.surface, m.concept_id, m.method) for m in extract_mentions(text, parse([text])[0], ruler, marks)]

    # The title names the disorder; the abstract writes its short form and never defines it.
    assert found("Nerve growth factor in women with overactive bladder. Thirty women with OAB were studied.") == [
        ("overactive bladder", "MESH:D053201", "ruler"),
        ("OAB", "MESH:D053201", "abbreviation"),
    ]
    # Two names of the document spell "PD": it stands for neither.
    assert found("Parkinson disease and pancreatic disease. PD was seen.")[-1] == ("PD", "", "recognizer")
    # A name the short form does not spell, or none at all: the short form stays as it was found.
    assert found("Women with bladder overactivity. OAB was studied.")[-1] == ("OAB", "", "recognizer")
    assert found("OAB was studied.") == [("OAB", "", "recognizer")]

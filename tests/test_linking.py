from collections.abc import Iterator

import pytest
from neo4j import Driver

from medgraphrag.core.settings import Settings
from medgraphrag.graph.store import GraphStore
from medgraphrag.graph.vocab.records import ConceptRecord, SkipCounter
from medgraphrag.graph.vocabulary import ConceptCandidate
from medgraphrag.ingest.linking import ConceptLinker, contained_keys, span_variants
from medgraphrag.nlp.lexicon import build_lexicon
from medgraphrag.nlp.names import indexed_keys, key_phrase, normalize, stored_key, word_bag

CONCEPTS = [
    ConceptRecord(
        "C0027051",
        "Myocardial infarction",
        cui="C0027051",
        synonyms=["Heart attack", "MI"],
        semantic_types=["T047:Disease or Syndrome"],
        sources=["DOID", "HPO"],
    ),
    ConceptRecord(
        "C0010692", "Cystitis", cui="C0010692", semantic_types=["T047:Disease or Syndrome"], sources=["DOID"]
    ),
    ConceptRecord("C0149520", "Acute cystitis", cui="C0149520", sources=["DOID"]),
    ConceptRecord("C0002395", "Alzheimer disease", cui="C0002395", sources=["DOID"]),
    ConceptRecord("C0086543", "Cataract", cui="C0086543", sources=["DOID"]),
    ConceptRecord("MESH:D002386", "Cataract", sources=["MESH"]),
    ConceptRecord("C0023449", "Acute lymphoblastic leukemia", cui="C0023449", synonyms=["ALL"], sources=["DOID"]),
    ConceptRecord(
        "C0009443",
        "Common cold",
        cui="C0009443",
        synonyms=["Cold"],
        semantic_types=["T047:Disease or Syndrome"],
        sources=["DOID"],
    ),
    ConceptRecord(
        "C0009264",
        "Cold temperature",
        cui="C0009264",
        synonyms=["Cold"],
        semantic_types=["T070:Natural Phenomenon or Process"],
        sources=["MESH"],
    ),
    ConceptRecord("C0011860", "Diabetes mellitus, type 2", cui="C0011860", sources=["DOID"]),
    ConceptRecord("C0004096", "Asthma", cui="C0004096", sources=["DOID"]),
    ConceptRecord(
        "C0878544", "Cardiomyopathy", cui="C0878544", xrefs=["DOID:0050700", "UMLS:C0033141"], sources=["HPO", "DOID"]
    ),
    ConceptRecord("C0022658", "Kidney disease", cui="C0022658", sources=["DOID"]),
    ConceptRecord("C0042487", "Venous thrombosis", cui="C0042487", sources=["DOID"]),
]


@pytest.fixture
def linker(driver: Driver, neo4j_settings: Settings) -> Iterator[ConceptLinker]:
    with GraphStore.connect(neo4j_settings.neo4j) as store:
        store.apply_schema(384)
        store.vocabulary.write(versions={"TEST": None}, concepts=CONCEPTS, relations=[], skipped=SkipCounter())
        yield ConceptLinker(store.vocabulary)


def test_keys_fold_case_accents_punctuation_plurals_and_order() -> None:
    assert normalize("Heart-Attacks") == normalize("heart attack") == "heart attack"
    assert normalize("Alzheimer's disease") == normalize("Alzheimer disease")
    assert normalize("Ménière's Diseases") == "meniere disease"
    # British spellings fold to American ones; short words and acronyms are left alone.
    assert normalize("Haemorrhagic oedema of the tumours") == normalize("hemorrhagic edema of the tumor")
    assert normalize("hypokalaemia") == "hypokalemia" and normalize("leucocytoclastic") == "leukocytoclastic"
    assert normalize("Fibres") == normalize("fiber") and normalize("diarrhoea") == "diarrhea"
    assert normalize("dimethyl sulphoxide") == "dimethyl sulfoxide" and normalize("Sulphur") == "sulfur"
    assert normalize("cardiac dilatations") == normalize("cardiac dilation") == "cardiac dilation"
    assert normalize("vertebrae") == "vertebre" and normalize("four hours") == "four hour" and normalize("AE") == "ae"
    assert normalize("Diabetes") == "diabetes" and normalize("Crisis") == "crisis"
    assert word_bag("Diabetes mellitus, type 2") == word_bag("type 2 diabetes mellitus") == "2 diabetes mellitus"


def test_span_variants() -> None:
    texts = [v.text for v in span_variants("Cystitis - acute")]
    assert texts == ["Cystitis - acute", "acute Cystitis", "Cystitis", "acute"]
    texts = [v.text for v in span_variants("Acute lymphoblastic leukemia (ALL)")]
    assert texts[:3] == ["Acute lymphoblastic leukemia (ALL)", "Acute lymphoblastic leukemia", "ALL"]
    variants = span_variants("Renal impairment")
    assert [(v.text, v.weight) for v in variants[:3]] == [
        ("Renal impairment", 1.0),
        ("kidney impairment", 0.95),
        ("renal disease", 0.85),
    ]


@pytest.mark.parametrize(
    ("text", "cui", "method"),
    [
        ("heart attack", "C0027051", "exact"),
        ("HEART-ATTACKS", "C0027051", "exact"),
        ("infarction, myocardial", "C0027051", "exact"),
        ("infarction of the myocardial", "C0027051", "word_order"),
        ("Alzheimer's disease", "C0002395", "exact"),
        ("Cystitis - acute", "C0149520", "exact"),
        ("Cataracts - what to ask your doctor", "C0086543", "exact"),
        ("Acute lymphoblastic leukemia (ALL)", "C0023449", "exact"),
        ("type 2 diabetes mellitus", "C0011860", "word_order"),
        ("myocardial infraction", "C0027051", "fuzzy"),
        ("vein thrombosis", "C0042487", "exact"),
        ("renal impairment", "C0022658", "exact"),
    ],
)
def test_link_finds_the_concept(linker: ConceptLinker, text: str, cui: str, method: str) -> None:
    best = linker.link(text)[0]
    assert (best.cui, best.method) == (cui, method)


def test_concept_with_a_cui_wins_a_tie(linker: ConceptLinker) -> None:
    matches = linker.link("cataract")
    assert [m.concept_id for m in matches[:2]] == ["C0086543", "MESH:D002386"]


def test_semantic_type_agreement_decides_between_homonyms(linker: ConceptLinker) -> None:
    assert linker.link("cold", "T047")[0].cui == "C0009443"
    assert linker.link("cold", "T070")[0].cui == "C0009264"
    assert linker.link("cold", "natural phenomenon")[0].cui == "C0009264"


def test_nothing_alike_gives_nothing(linker: ConceptLinker) -> None:
    assert linker.link("zzzz qqqq") == []


def test_acronyms_and_singular_nouns_keep_their_s() -> None:
    assert normalize("AIDS") == "aids" and normalize("hearing aids") == "hearing aid"
    assert normalize("Measles") == "measles" and normalize("Rabies") == "rabies"


def test_plurals_of_aches_and_latin_us_nouns_fold_to_their_singular() -> None:
    assert normalize("Muscle aches") == normalize("muscle ache") == "muscle ache"
    assert normalize("headaches") == "headache" and normalize("reaches") == "reach"
    assert normalize("viruses") == "virus" and normalize("Sinuses") == "sinus"
    assert normalize("causes") == "cause" and normalize("branches") == "branch"


def test_plurals_of_greek_and_latin_a_nouns_fold_but_other_latin_endings_stay() -> None:
    assert normalize("prostate carcinomas") == "prostate carcinoma" and normalize("Edemas") == "edema"
    assert normalize("ventricular arrhythmias") == "ventricular arrhythmia" and normalize("traumas") == "trauma"
    assert normalize("pancreas") == "pancreas" and normalize("bias") == "bias" and normalize("psychosis") == "psychosis"


def test_keys_are_stored_between_markers_so_a_phrase_matches_whole_names_only() -> None:
    assert indexed_keys(["Heart attack", "heart attacks", "MI"]) == ["^ heart attack $", "^ mi $"]
    assert stored_key("^ heart attack $") == "heart attack"
    assert key_phrase("heart attack") == '"^ heart attack $"'


def test_a_word_of_a_name_is_not_an_exact_match(linker: ConceptLinker) -> None:
    assert all(m.method != "exact" for m in linker.link("myocardial"))
    assert all(m.concept_id != "C0027051" or m.method != "exact" for m in linker.link("attack"))


def test_contained_runs_cover_a_share_of_the_content_words() -> None:
    runs = contained_keys("Exercising and asthma at school")
    assert runs["asthma"] == pytest.approx(1 / 3)
    assert runs["exercising and asthma"] == pytest.approx(2 / 3)
    assert "and asthma" not in runs and "at" not in runs and "exercising and asthma at school" not in runs
    assert "2" not in contained_keys("type 2 diabetes")


def test_a_name_inside_the_span_links_when_the_whole_span_does_not(linker: ConceptLinker) -> None:
    best = linker.link("Exercising and asthma at school")[0]
    assert (best.cui, best.method) == ("C0004096", "contained")
    assert linker.link("Dizziness and common cold")[0].cui == "C0009443"


def test_a_match_carries_every_cui_of_its_concept(linker: ConceptLinker) -> None:
    best = linker.link("cardiomyopathies")[0]
    assert (best.cui, best.cuis) == ("C0878544", ["C0878544", "C0033141"])


# Eleven words: longer than any name the lexicon holds.
LONG_NAME = "Autosomal dominant partial epilepsy with auditory features of temporal lobe origin"


def test_with_the_lexicon_names_none_has_skip_the_graph_and_the_links_stay_the_same(
    linker: ConceptLinker, monkeypatch: pytest.MonkeyPatch
) -> None:
    vocabulary = linker.vocabulary
    concept = ConceptRecord("C0000001", LONG_NAME, cui="C0000001", sources=["DOID"])
    vocabulary.write(versions={"TEST-LONG": None}, concepts=[concept], relations=[], skipped=SkipCounter())
    fast = ConceptLinker(vocabulary, lexicon=build_lexicon(vocabulary.concept_names()))
    queries: list[str] = []
    ask = vocabulary.candidates

    def counted(query: str, *, limit: int) -> list[ConceptCandidate]:
        queries.append(query)
        return ask(query, limit=limit)

    monkeypatch.setattr(vocabulary, "candidates", counted)
    spans = [
        "heart attacks",  # a name
        "infarction of the myocardial",  # a name's words in another order
        "Exercising and asthma at school",  # a name inside
        "renal impairment",  # a site's problem: the site's disease class
        LONG_NAME.lower(),  # longer than the lexicon's names: the graph is asked
        "zzzz qqqq",  # nothing
        "myocardial infraction",  # a misspelling: nothing without spelling similarity
    ]
    for span in spans:
        assert fast.link(span, fuzzy=False) == linker.link(span, fuzzy=False), span
    assert fast.link(LONG_NAME, fuzzy=False)[0].method == "exact"
    queries.clear()
    assert fast.link("zzzz qqqq", fuzzy=False) == [] and queries == []
    assert linker.link("zzzz qqqq", fuzzy=False) == [] and len(queries) == 2
    queries.clear()
    # No name has its keys, one has its words: only the word-order lookup asks the graph.
    assert fast.link("infarction of the myocardial", fuzzy=False)[0].method == "word_order" and len(queries) == 1

from medgraphrag.ingest.offline import cooccurring_pairs
from medgraphrag.nlp.lexicon import Lexicon, LexiconEntry
from medgraphrag.nlp.names import normalize
from medgraphrag.nlp.ruler import VocabularyRuler, extract_mentions
from medgraphrag.nlp.semantic_groups import semantic_group
from medgraphrag.nlp.sentences import parse

NAMES = {
    "myocardial infarction": ("C0027051", "Disorders"),
    "acute myocardial infarction": ("C0155626", "Disorders"),
    "mitral insufficiency": ("C0026266", "Disorders"),
    "MI": ("C0026266", "Disorders"),
    "chest pain": ("C0008031", "Disorders"),
    "pain": ("C0030193", "Disorders"),
    "fever": ("C0015967", "Disorders"),
    "aspirin": ("C0004057", "Chemicals & Drugs"),
    "patient": ("C0030705", "Concepts & Ideas"),
    "heart": ("C0018787", "Anatomy"),
    "failure": ("C0231174", "Concepts & Ideas"),
    "COPD": ("C0024117", "Disorders"),
}


def _ruler() -> VocabularyRuler:
    entries = {normalize(name): LexiconEntry(cid, cid, name, group) for name, (cid, group) in NAMES.items()}
    longest: dict[str, int] = {}
    for key in entries:
        first = key.split()[0]
        longest[first] = max(longest.get(first, 0), len(key.split()))
    return VocabularyRuler(Lexicon(entries, longest))


def _mentions(text: str) -> list:
    return extract_mentions(text, parse([text])[0], _ruler())


def test_longest_name_wins_and_plurals_fold() -> None:
    text = "Acute myocardial infarctions with chest pains."
    mentions = _mentions(text)
    assert [(m.surface, m.concept_id) for m in mentions] == [
        ("Acute myocardial infarctions", "C0155626"),
        ("chest pains", "C0008031"),
    ]
    assert all(text[m.start : m.end] == m.surface for m in mentions)


def test_names_never_span_phrase_separating_punctuation_and_generic_words_are_skipped() -> None:
    mentions = _mentions("The patient has chest, pain and heart failure.")
    assert [m.name for m in mentions] == ["pain", "heart", "failure"]


def test_a_defined_abbreviation_overrides_the_vocabulary() -> None:
    text = "Acute myocardial infarction (AMI) and myocardial infarction (MI). Later MI recurred. No fever."
    mentions = _mentions(text)
    uses = [m for m in mentions if m.surface == "MI"]
    assert uses and all(m.concept_id == "C0027051" and m.method == "abbreviation" for m in uses)
    assert not any(m.concept_id == "C0026266" for m in mentions)
    assert next(m for m in mentions if m.surface == "fever").status == "negated"


def test_undefined_abbreviations_match_from_three_letters() -> None:
    # Two-letter short forms are too ambiguous to trust without the document's own definition.
    assert [(m.surface, m.concept_id) for m in _mentions("Known COPD; echo shows MI.")] == [("COPD", "C0024117")]


def test_cooccurring_pairs_stay_in_a_sentence_and_leave_out_negated_mentions() -> None:
    mentions = _mentions("Chest pain and aspirin. No fever, but heart pain.")
    assert [m.status for m in mentions if m.name == "fever"] == ["negated"]
    pairs = {(a.name, b.name) for a, b in cooccurring_pairs(mentions)}
    assert pairs == {("chest pain", "aspirin"), ("heart", "pain")}


def test_semantic_groups_from_types_tags_and_sources() -> None:
    assert semantic_group(["T047:Disease or Syndrome"]) == "Disorders"
    assert semantic_group(["T121:Pharmacologic Substance", "T109:Organic Chemical"]) == "Chemicals & Drugs"
    assert semantic_group(["SNOMEDCT:body structure"]) == "Anatomy"
    assert semantic_group([], ["hpo"]) == "Disorders"
    assert semantic_group([], ["mesh"]) == "Concepts & Ideas"

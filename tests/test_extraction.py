from medgraphrag.ingest.offline import cooccurring_pairs
from medgraphrag.nlp.lexicon import ConceptNames, Lexicon, LexiconEntry, build_lexicon
from medgraphrag.nlp.names import indexed_keys, normalize
from medgraphrag.nlp.recognizer import TrainedName
from medgraphrag.nlp.ruler import VocabularyRuler, extract_mentions, trained_concept
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


def test_a_training_id_goes_to_the_concept_the_name_names_among_those_carrying_it() -> None:
    concepts = [
        # MeSH's Dysphonia is a member of the concept of HPO's Dysphonia; DOID's laryngeal dystonia
        # cross-references it, and more sources agree on that concept.
        ("C1963946", "Laryngeal dystonia", ["doid", "mondo", "icd10cm"], ["DOID:1", "MESH:D055154"]),
        ("C1527344", "Dysphonia", ["hpo", "mesh"], ["HP:0001618", "MESH:D055154"]),
        ("C0000001", "Hoarseness", ["hpo"], ["HP:0001609"]),
    ]
    lexicon = build_lexicon(
        ConceptNames(cid, cid, name, [], sources, indexed_keys([name]), xrefs) for cid, name, sources, xrefs in concepts
    )
    ruler = VocabularyRuler(lexicon)
    assert lexicon.by_id["MESH:D055154"].name == "Laryngeal dystonia"
    assert lexicon.carries(lexicon.entries["dysphonia"], "MESH:D055154")
    assert not lexicon.carries(lexicon.entries["hoarseness"], "MESH:D055154")
    trained = TrainedName("MESH:D055154", "Disorders")
    # The name the training annotations give the id names one of the concepts carrying it: that one.
    assert (named := trained_concept(trained, ruler, "Dysphonias")) and named.name == "Dysphonia"
    # A name of another concept, or none, leaves the id's first concept.
    assert (other := trained_concept(trained, ruler, "hoarseness")) and other.name == "Laryngeal dystonia"
    assert (bare := trained_concept(trained, ruler)) and bare.name == "Laryngeal dystonia"


def test_semantic_groups_from_types_tags_and_sources() -> None:
    assert semantic_group(["T047:Disease or Syndrome"]) == "Disorders"
    assert semantic_group(["T121:Pharmacologic Substance", "T109:Organic Chemical"]) == "Chemicals & Drugs"
    assert semantic_group(["SNOMEDCT:body structure"]) == "Anatomy"
    assert semantic_group([], ["hpo"]) == "Disorders"
    assert semantic_group([], ["mesh"]) == "Concepts & Ideas"


def test_the_short_form_inside_its_definition_is_a_mention_of_the_long_forms_concept() -> None:
    text = "A myocardial infarction (MI) was seen."
    assert [(m.surface, m.concept_id, m.method) for m in _mentions(text)] == [
        ("myocardial infarction", "C0027051", "ruler"),
        ("MI", "C0027051", "abbreviation"),
    ]


def test_a_long_form_no_name_spells_out_lends_its_head_to_the_short_form() -> None:
    # "exercise-induced chest pain" is no vocabulary name; its head "chest pain" is.
    text = "Exercise-induced chest pain (EICP) was frequent. EICP resolved after rest."
    shorts = [(m.surface, m.concept_id) for m in _mentions(text) if m.surface == "EICP"]
    assert shorts == [("EICP", "C0008031"), ("EICP", "C0008031")]
    # A generic concept at the end of a longer long form says nothing of what the short form means.
    text = "Pump failure (PF) was rare. PF was treated."
    assert [m.surface for m in _mentions(text)] == ["failure"]


def test_a_recognized_disease_is_not_a_mesh_heading_outside_the_disease_trees() -> None:
    from medgraphrag.nlp.lexicon import ConceptNames, build_lexicon
    from medgraphrag.nlp.names import indexed_keys
    from medgraphrag.nlp.recognizer import Recognized

    def concept(cid: str, name: str, types: list[str], sources: list[str]) -> ConceptNames:
        return ConceptNames(cid, None, name, types, sources, indexed_keys([name]))

    lexicon = build_lexicon(
        [
            concept("MESH:D004330", "Drosophila", [], ["mesh"]),
            concept("MESH:D005767", "Gastritis", ["MESHTREE:C06.405.205.663"], ["mesh"]),
            concept("MESH:D001241", "Aspirin", [], ["mesh"]),
        ]
    )
    assert lexicon.entries["drosophila"].not_a_disorder and not lexicon.entries["gastritis"].not_a_disorder

    class Marks:
        identity = "test"

        def spans(self, texts: list[str]) -> list[list[Recognized]]:
            groups = {"Drosophila": "Disorders", "gastritis": "Disorders", "aspirin": "Chemicals & Drugs"}
            return [
                [Recognized(t.index(w), t.index(w) + len(w), g) for w, g in groups.items() if w in t] for t in texts
            ]

        def trained_name(self, surface: str) -> None:
            return None

        def part_name(self, surface: str) -> bool:
            return False

        def no_disease_alone(self, surface: str) -> bool:
            return False

        def left_out(self, word: str) -> bool:
            return False

    text = "Drosophila had gastritis after aspirin."
    found = extract_mentions(text, parse([text])[0], VocabularyRuler(lexicon), Marks())  # type: ignore[arg-type]
    # The fly stays the heading it is; the model's labels type the disease and the drug.
    assert [(m.surface, m.type) for m in found] == [
        ("Drosophila", "Concepts & Ideas"),
        ("gastritis", "Disorders"),
        ("aspirin", "Chemicals & Drugs"),
    ]


def test_a_recognized_disorder_named_by_its_adjective_is_the_disorder() -> None:
    from medgraphrag.nlp.lexicon import ConceptNames, build_lexicon
    from medgraphrag.nlp.names import disorder_nouns, indexed_keys
    from medgraphrag.nlp.recognizer import Recognized

    assert disorder_nouns("psychotic") == ["psychosis", "psychotia"] and disorder_nouns("toxic") == []
    lexicon = build_lexicon(
        [
            ConceptNames(cid, cid, name, [], ["hpo"], indexed_keys([name]))
            for cid, name in (("C1", "Hypothermia"), ("C2", "Psychosis"))
        ]
    )

    class Marks:
        identity = "test"

        def spans(self, texts: list[str]) -> list[list[Recognized]]:
            words = ("hypothermic", "psychotic", "dosing")
            return [[Recognized(t.index(w), t.index(w) + len(w), "Disorders") for w in words if w in t] for t in texts]

        def trained_name(self, surface: str) -> None:
            return None

        def part_name(self, surface: str) -> bool:
            return False

        def no_disease_alone(self, surface: str) -> bool:
            return False

        def left_out(self, word: str) -> bool:
            return False

    text = "Rats became hypothermic and psychotic after chronic dosing."
    found = extract_mentions(text, parse([text])[0], VocabularyRuler(lexicon), Marks())  # type: ignore[arg-type]
    # A span whose word is no adjective of a known disorder stays for the linker, without a concept.
    assert [(m.surface, m.concept_id) for m in found] == [("hypothermic", "C1"), ("psychotic", "C2"), ("dosing", "")]


def test_names_the_training_annotators_leave_unmarked_are_no_disease_mentions(tmp_path) -> None:
    import shutil

    from medgraphrag.nlp.lexicon import ConceptNames, build_lexicon
    from medgraphrag.nlp.names import indexed_keys
    from medgraphrag.nlp.recognizer import MODEL_DIR, UNMARKED_FILE, Recognizer

    model = tmp_path / "model"
    shutil.copytree(MODEL_DIR, model)
    (model / UNMARKED_FILE).write_text("# name\toccurrences\tmarked\npregnancy\t21\t0\nmen\t28\t0\n", encoding="utf-8")
    recognizer = Recognizer(model)
    assert recognizer.identity != Recognizer(MODEL_DIR).identity  # documents are extracted again
    lexicon = build_lexicon(
        [
            ConceptNames(cid, cid, name, ["HPO:HP:0000118"], ["hpo"], indexed_keys([name]))
            for cid, name in (("C1", "Pregnancy"), ("C2", "Preeclampsia"), ("C3", "MEN"))
        ]
    )
    text = "Preeclampsia in pregnancy. Pregnancy was uneventful. MEN was confirmed."
    found = extract_mentions(text, parse([text])[0], VocabularyRuler(lexicon), recognizer)
    types = {(m.surface, m.type) for m in found}
    # The concept stays, as a general one; a short form in capitals is not the word it spells.
    assert {("pregnancy", "Concepts & Ideas"), ("Pregnancy", "Concepts & Ideas")} <= types
    assert ("Preeclampsia", "Disorders") in types and ("MEN", "Disorders") in types


def test_a_recognized_disorder_spelled_another_way_than_the_vocabulary_names_that_disorder() -> None:
    from medgraphrag.nlp.lexicon import ConceptNames, build_lexicon
    from medgraphrag.nlp.names import indexed_keys
    from medgraphrag.nlp.recognizer import Recognized
    from medgraphrag.nlp.sites import site_disease_keys, site_rewrites

    assert site_rewrites("vein thrombosis") == ["venous thrombosis"]
    assert "cardiac hypertrophy" in site_rewrites("myocardial hypertrophy")
    assert site_rewrites("neurological dysfunction")[0] == "nervous system dysfunction"
    assert site_rewrites("nervous system disease")[0] == "neurological disease"
    assert site_disease_keys("renal impairment") == [
        "renal disease",
        "renal disorder",
        "kidney disease",
        "kidney disorder",
    ]
    # Only a site followed by a general problem noun is a site's problem.
    assert site_disease_keys("renal cell carcinoma") == [] and site_disease_keys("drug toxicity") == []
    lexicon = build_lexicon(
        [
            ConceptNames(cid, cid, name, ["HPO:HP:0000118"], ["hpo"], indexed_keys([name]))
            for cid, name in (
                ("C1", "Cardiac hypertrophy"),
                ("C2", "Hypertrophy"),
                ("C3", "Kidney disease"),
                ("C4", "Vision disorder"),
                ("C5", "Injury"),
                ("C6", "Bile duct disease"),
                ("C8", "Eye abnormality"),
                ("C9", "Ocular abnormality"),
                ("C11", "Hepatitis B"),
                ("C12", "Hepatitis"),
                ("C13", "Venous thromboembolism"),
                ("C14", "Embolism"),
                ("C15", "Adenovirus infection"),
            )
        ]
        + [ConceptNames("C7", "C7", "Kidney", ["MESHTREE:A05.810.453"], ["mesh"], indexed_keys(["Kidney"]))]
    )
    phrases = (
        "myocardial hypertrophy",
        "chronic renal impairment",
        "visual deficits",
        "bile duct injury",
        "kidney stones",
        "severe eye abnormalities",
        "type B hepatitis",
        "venous thrombo-embolism",
        "adenovirus disease",
    )

    class Marks:
        identity = "test"

        def spans(self, texts: list[str]) -> list[list[Recognized]]:
            return [
                [Recognized(t.index(w), t.index(w) + len(w), "Disorders") for w in phrases if w in t] for t in texts
            ]

        def trained_name(self, surface: str) -> None:
            return None

        def part_name(self, surface: str) -> bool:
            return False

        def no_disease_alone(self, surface: str) -> bool:
            return False

        def left_out(self, word: str) -> bool:
            return False

    text = (
        "He had myocardial hypertrophy, chronic renal impairment, visual deficits, bile duct injury and kidney "
        "stones; severe eye abnormalities. Then type B hepatitis and venous thrombo-embolism, and adenovirus disease."
    )
    found = extract_mentions(text, parse([text])[0], VocabularyRuler(lexicon), Marks())  # type: ignore[arg-type]
    assert [(m.surface, m.concept_id) for m in found] == [
        ("myocardial hypertrophy", "C1"),  # over the "hypertrophy" inside it
        ("chronic renal impairment", "C3"),  # the words before the site aside
        ("visual deficits", "C4"),
        ("bile duct injury", "C6"),
        # No site's general problem: the span stays for the linker, the site as the ruler found it.
        ("kidney stones", ""),
        # A name inside the span, as written, is not said the other way.
        ("eye abnormalities", "C8"),
        ("type B hepatitis", "C11"),  # its words in another order, over the "hepatitis" inside
        ("venous thrombo-embolism", "C13"),  # its hyphenated words joined
        ("adenovirus disease", "C15"),  # an agent's disease is its infection
    ]
    # Words that name two disorders in two orders name neither.
    two = build_lexicon(
        [
            ConceptNames(cid, cid, name, ["HPO:HP:0000118"], ["hpo"], indexed_keys([name]))
            for cid, name in (("C1", "Cell lymphoma T"), ("C2", "T cell lymphoma"), ("C3", "Hepatitis B"))
        ]
    )
    assert "b hepatitis" in two.disorder_bags and "cell lymphoma t" not in two.disorder_bags

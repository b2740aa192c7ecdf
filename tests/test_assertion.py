"""Assertion status by medspaCy's ConText with the project's rules: a table of clinical sentences
written for the project, covering each status, pseudo-cues and scope terminators."""

import re

import pytest

from medgraphrag.nlp.assertion import (
    AFFIRMED,
    AFFIRMED_ASSERTION,
    CONDITIONAL,
    FAMILY,
    HISTORICAL,
    NEGATED,
    UNCERTAIN,
    Assertion,
    assertion,
    assertions,
)

# (sentence, mention, status): the mention is the first occurrence of its text in the sentence.
TABLE: list[tuple[str, str, str]] = [
    # affirmed
    ("Chest X-ray shows pneumonia in the right lower lobe.", "pneumonia", AFFIRMED),
    ("The patient reports chest pain radiating to the left arm.", "chest pain", AFFIRMED),
    ("Metformin was started for type 2 diabetes.", "type 2 diabetes", AFFIRMED),
    ("CT confirmed a pulmonary embolism.", "pulmonary embolism", AFFIRMED),
    # negated, cue before
    ("No evidence of pneumonia.", "pneumonia", NEGATED),
    ("no EVIDENCE of pneumonia", "pneumonia", NEGATED),
    ("Patient denies chest pain or shortness of breath.", "chest pain", NEGATED),
    ("Patient denies chest pain or shortness of breath.", "shortness of breath", NEGATED),
    ("Negative for tuberculosis.", "tuberculosis", NEGATED),
    ("The wound is free of infection.", "infection", NEGATED),
    ("Without signs of dehydration.", "dehydration", NEGATED),
    ("Ruled out myocardial infarction.", "myocardial infarction", NEGATED),
    ("No mass.", "mass", NEGATED),
    # negated, cue after
    ("Pneumonia was ruled out.", "Pneumonia", NEGATED),
    ("Pneumonia has been ruled out.", "Pneumonia", NEGATED),
    ("Pneumonia is unlikely.", "Pneumonia", NEGATED),
    ("Sputum culture negative.", "Sputum culture", NEGATED),
    ("History of pneumonia in 2019, now resolved.", "pneumonia", NEGATED),
    # uncertain
    ("Possible pneumonia in the right lower lobe.", "pneumonia", UNCERTAIN),
    ("Rule out myocardial infarction.", "myocardial infarction", UNCERTAIN),
    ("Findings concerning for appendicitis.", "appendicitis", UNCERTAIN),
    ("Pneumonia cannot be ruled out.", "Pneumonia", UNCERTAIN),
    ("Differential diagnosis includes sarcoidosis.", "sarcoidosis", UNCERTAIN),
    ("Suspected deep vein thrombosis of the left leg.", "deep vein thrombosis", UNCERTAIN),
    # conditional (hypothetical)
    ("Return if chest pain develops.", "chest pain", CONDITIONAL),
    ("Call if fever recurs.", "fever", CONDITIONAL),
    ("If symptoms of hypoglycemia occur, take glucose.", "hypoglycemia", CONDITIONAL),
    ("Should bleeding occur, stop the anticoagulant.", "bleeding", CONDITIONAL),
    ("Seek medical attention in case of severe headache.", "severe headache", CONDITIONAL),
    # historical
    ("History of pneumonia as a child.", "pneumonia", HISTORICAL),
    ("Past medical history of hypertension.", "hypertension", HISTORICAL),
    ("Status post appendectomy.", "appendectomy", HISTORICAL),
    ("Previous myocardial infarction in 2015.", "myocardial infarction", HISTORICAL),
    # someone else's (family)
    ("Family history of myocardial infarction in his father.", "myocardial infarction", FAMILY),
    ("Mother had breast cancer.", "breast cancer", FAMILY),
    ("Breast cancer in her mother and sister.", "Breast cancer", FAMILY),
    ("Her brother has type 1 diabetes.", "type 1 diabetes", FAMILY),
    # pseudo-cues: a cue inside a longer phrase that is not one
    ("No change in the mass.", "mass", AFFIRMED),
    ("No increase in the size of the effusion.", "effusion", AFFIRMED),
    ("Sputum culture grew gram negative rods.", "Sputum culture", AFFIRMED),
    ("Sputum culture grew gram-negative rods.", "Sputum culture", AFFIRMED),
    ("Not only dyspnea but also chest pain.", "dyspnea", AFFIRMED),
    # scope terminators
    ("No fever but productive cough.", "fever", NEGATED),
    ("No fever but productive cough.", "productive cough", AFFIRMED),
    ("Denies nausea, however reports abdominal pain.", "abdominal pain", AFFIRMED),
    ("Fever persists but pneumonia was ruled out.", "Fever", AFFIRMED),
    ("Fever persists but pneumonia was ruled out.", "pneumonia", NEGATED),
    ("Mother had breast cancer but the patient has asthma.", "asthma", AFFIRMED),
    ("No history of asthma, which the patient's sister has.", "asthma", NEGATED),
    # precedence: negation over a hedge, a family member over history
    ("No evidence of possible pneumonia.", "pneumonia", NEGATED),
    # a cue must be a whole word; a mention overlapping its cue is not in its scope
    ("Nocturia and knotted veins.", "knotted veins", AFFIRMED),
    ("No-reflow phenomenon after stenting.", "No-reflow phenomenon", AFFIRMED),
]


@pytest.mark.parametrize(("sentence", "mention", "expected"), TABLE)
def test_assertion_table(sentence: str, mention: str, expected: str) -> None:
    start = sentence.index(mention)
    assert assertion(sentence, start, start + len(mention)).status == expected


def test_the_table_covers_every_status_with_at_least_40_sentences() -> None:
    assert len({sentence for sentence, _, _ in TABLE}) >= 40
    assert {status for _, _, status in TABLE} == {AFFIRMED, NEGATED, UNCERTAIN, CONDITIONAL, HISTORICAL, FAMILY}


def test_flags_are_independent_and_the_status_is_the_strongest() -> None:
    sentence = "History of pneumonia in 2019, now resolved."
    start = sentence.index("pneumonia")
    found = assertion(sentence, start, start + len("pneumonia"))
    assert found.historical and found.negated and not found.family
    assert found.status == NEGATED and not found.of_the_patient
    sentence = "Family history of myocardial infarction in his father."
    start = sentence.index("myocardial")
    relative = assertion(sentence, start, start + len("myocardial infarction"))
    # "family history" is one cue: the relative's history, not the patient's
    assert relative.family and not relative.historical and relative.status == FAMILY
    sentence = "Return if chest pain develops."
    conditional = assertion(sentence, sentence.index("chest"), sentence.index(" develops"))
    # a conditional finding is also uncertain, and is not presented as the patient's
    assert conditional.conditional and conditional.uncertain and not conditional.of_the_patient
    assert Assertion(historical=True).of_the_patient and Assertion(uncertain=True).of_the_patient


def test_assertions_agree_with_assertion_for_every_span() -> None:
    sentence = "Denies fever; possible cough but no rash."
    mentions = ("fever", "cough", "rash")
    spans = [(sentence.index(m), sentence.index(m) + len(m)) for m in mentions]
    found = assertions(sentence, spans)
    assert found == [assertion(sentence, *span) for span in spans]
    assert [a.status for a in found] == [NEGATED, UNCERTAIN, NEGATED]
    assert assertions(sentence, []) == []


@pytest.mark.parametrize("span", [(5, 5), (-1, 3), (3, 100), (4, 2)])
def test_invalid_span_is_rejected(span: tuple[int, int]) -> None:
    with pytest.raises(ValueError):
        assertion("No fever.", *span)


def test_sentences_without_a_cue_skip_context_with_the_same_result(monkeypatch: pytest.MonkeyPatch) -> None:
    # ConText runs only on a sentence holding the words some flag-setting cue needs; a cue's words
    # are those of its literal or of each required token of its pattern (optional ones aside).
    from medgraphrag.nlp import assertion as module

    nlp, _, cues = module._pipeline()
    assert not cues.possible({"chest", "x-ray", "shows", "pneumonia", "in", "the", "right", "lower", "lobe", "."})
    assert cues.possible({"in", "his", "father", "."}) and not cues.possible({"in", "his", "room"})
    assert cues.possible({"was", "ruled", "out"}) and cues.possible({"no"}) and cues.possible({"history"})
    sentences = sorted({sentence for sentence, _, _ in TABLE})
    spans = {s: [(m.start(), m.end()) for m in re.finditer(r"[A-Za-z]{4,}", s)] for s in sentences}
    skipped = [s for s in sentences if not cues.possible({t.lower_ for t in nlp.make_doc(s)})]
    filtered = {s: assertions(s, spans[s]) for s in sentences}
    monkeypatch.setattr(module._Cues, "possible", lambda self, words: True)
    assert filtered == {s: assertions(s, spans[s]) for s in sentences}
    assert skipped and all(a == AFFIRMED_ASSERTION for s in skipped for a in filtered[s])

import pytest

from medgraphrag.nlp.assertion import AFFIRMED, NEGATED, UNCERTAIN, mention_status, statuses


def status_of(sentence: str, mention: str) -> str:
    """The status of the first occurrence of `mention` in `sentence`."""
    start = sentence.index(mention)
    return mention_status(sentence, start, start + len(mention))


def statuses_of(sentence: str, *mentions: str) -> list[str]:
    spans = [(sentence.index(m), sentence.index(m) + len(m)) for m in mentions]
    return statuses(sentence, spans)


def test_plain_mention_is_affirmed() -> None:
    assert status_of("Chest X-ray shows pneumonia in the right lower lobe.", "pneumonia") == AFFIRMED


def test_pre_negation_phrase() -> None:
    assert status_of("No evidence of pneumonia.", "pneumonia") == NEGATED
    assert status_of("no EVIDENCE of pneumonia", "pneumonia") == NEGATED


def test_negation_covers_a_coordinated_list() -> None:
    sentence = "Patient denies chest pain or shortness of breath."
    assert statuses_of(sentence, "chest pain", "shortness of breath") == [NEGATED, NEGATED]


@pytest.mark.parametrize(
    "sentence",
    ["Pneumonia was ruled out.", "Pneumonia has been ruled out.", "Pneumonia is unlikely."],
)
def test_post_negation_looks_backward(sentence: str) -> None:
    assert status_of(sentence, "Pneumonia") == NEGATED


def test_post_negation_does_not_reach_forward() -> None:
    sentence = "Pneumonia is unlikely given the normal chest film."
    assert statuses_of(sentence, "Pneumonia", "normal chest film") == [NEGATED, AFFIRMED]


def test_pre_uncertainty() -> None:
    sentence = "Possible pneumonia in the right lower lobe."
    assert status_of(sentence, "pneumonia") == UNCERTAIN
    assert status_of("Rule out myocardial infarction.", "myocardial infarction") == UNCERTAIN
    assert status_of("R/O myocardial infarction.", "myocardial infarction") == UNCERTAIN


def test_post_uncertainty_is_not_read_as_negation() -> None:
    assert status_of("Pneumonia cannot be ruled out.", "Pneumonia") == UNCERTAIN
    assert status_of("Pneumonia?", "Pneumonia") == UNCERTAIN


def test_ruled_out_negates_but_rule_out_hedges() -> None:
    assert status_of("Ruled out myocardial infarction.", "myocardial infarction") == NEGATED
    assert status_of("Rule out myocardial infarction.", "myocardial infarction") == UNCERTAIN


def test_terminator_ends_the_scope() -> None:
    sentence = "No fever but productive cough."
    assert statuses_of(sentence, "fever", "productive cough") == [NEGATED, AFFIRMED]
    assert status_of("No fever; productive cough.", "productive cough") == AFFIRMED
    assert status_of("No fever, productive cough.", "productive cough") == NEGATED


def test_terminator_ends_a_backward_scope() -> None:
    sentence = "Fever persists but pneumonia was ruled out."
    assert statuses_of(sentence, "Fever", "pneumonia") == [AFFIRMED, NEGATED]


@pytest.mark.parametrize(
    ("sentence", "mention"),
    [
        ("No change in the mass.", "mass"),
        ("Sputum culture grew gram negative rods.", "Sputum culture"),
        ("Sputum culture grew gram-negative rods.", "Sputum culture"),
        ("Not only dyspnea but also chest pain.", "dyspnea"),
    ],
)
def test_pseudo_trigger_blocks_the_trigger_inside_it(sentence: str, mention: str) -> None:
    assert status_of(sentence, mention) == AFFIRMED


def test_the_triggers_inside_the_pseudo_triggers_do_negate() -> None:
    assert status_of("No mass.", "mass") == NEGATED
    assert status_of("Sputum culture negative.", "Sputum culture") == NEGATED


def test_scope_is_six_words() -> None:
    sentence = "No fever, chills, nausea, vomiting, diarrhea, rash or headache."
    # "rash" is the sixth word after "No", "headache" the eighth.
    assert statuses_of(sentence, "rash", "headache") == [NEGATED, AFFIRMED]
    # "rash" is the sixth word before "absent", "Headache" the seventh.
    backward = "Headache, rash, chills, nausea, cough or fever absent."
    assert statuses_of(backward, "Headache", "rash") == [AFFIRMED, NEGATED]


def test_negation_wins_over_uncertainty() -> None:
    assert status_of("No evidence of possible pneumonia.", "pneumonia") == NEGATED
    assert status_of("Possible pneumonia, unlikely.", "pneumonia") == NEGATED


def test_mention_overlapping_its_trigger_is_not_in_its_scope() -> None:
    assert status_of("No-reflow phenomenon after stenting.", "No-reflow phenomenon") == AFFIRMED
    assert status_of("Absent breath sounds on the left.", "breath sounds") == NEGATED
    assert status_of("Absent breath sounds on the left.", "Absent breath sounds") == AFFIRMED


def test_trigger_must_be_a_whole_word() -> None:
    sentence = "Nocturia and knotted veins, nonspecific rash."
    assert statuses_of(sentence, "knotted veins", "rash") == [AFFIRMED, AFFIRMED]


def test_statuses_match_mention_status_for_every_span() -> None:
    sentence = "Denies fever; possible cough but no rash."
    mentions = ("fever", "cough", "rash")
    assert statuses_of(sentence, *mentions) == [status_of(sentence, m) for m in mentions]
    assert statuses_of(sentence, *mentions) == [NEGATED, UNCERTAIN, NEGATED]
    assert statuses(sentence, []) == []


@pytest.mark.parametrize("span", [(5, 5), (-1, 3), (3, 100), (4, 2)])
def test_invalid_span_is_rejected(span: tuple[int, int]) -> None:
    with pytest.raises(ValueError):
        mention_status("No fever.", *span)

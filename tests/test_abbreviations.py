from itertools import pairwise

import pytest

from medgraphrag.nlp.abbreviations import Abbreviation, abbreviation_uses, find_definitions, spells


def definitions_by_short(text: str) -> dict[str, Abbreviation]:
    found = find_definitions(text)
    for d in found:
        assert text[d.short_start : d.short_end] == d.short
        assert text[d.long_start : d.long_end] == d.long
    return {d.short: d for d in found}


@pytest.mark.parametrize(
    ("text", "short", "long"),
    [
        ("The patient had a myocardial infarction (MI) in 2019.", "MI", "myocardial infarction"),
        (
            "History of chronic obstructive pulmonary disease (COPD) since 2010.",
            "COPD",
            "chronic obstructive pulmonary disease",
        ),
        (
            "Admitted with heart failure with reduced ejection fraction (HFrEF) and edema.",
            "HFrEF",
            "heart failure with reduced ejection fraction",
        ),
        ("Known type 2 diabetes mellitus (T2DM) on metformin.", "T2DM", "type 2 diabetes mellitus"),
        (
            "Stage IV non-small cell lung cancer (NSCLC) was diagnosed.",
            "NSCLC",
            "non-small cell lung cancer",
        ),
        ("Acute myocardial infarction (MI; n = 40) was common.", "MI", "myocardial infarction"),
        ('He had a "myocardial infarction" (MI).', "MI", "myocardial infarction"),
        # The shortest suffix would read AAPC off "adenomatous polyposis coli"; the initials say more.
        (
            "A variant, called attenuated adenomatous polyposis coli (AAPC), was found.",
            "AAPC",
            "attenuated adenomatous polyposis coli",
        ),
        ("Rats with adjuvant-induced arthritis (AIA) were used.", "AIA", "adjuvant-induced arthritis"),
    ],
)
def test_long_form_before_short_form(text: str, short: str, long: str) -> None:
    found = definitions_by_short(text)
    assert list(found) == [short]
    assert found[short].long == long


def test_long_form_does_not_reach_into_the_previous_sentence() -> None:
    # "Metoprolol was started. Infarction" would spell MI across the sentence end.
    text = "Metoprolol was started. Infarction (MI) was excluded."
    assert definitions_by_short(text) == {}


@pytest.mark.parametrize(
    "text",
    [
        "Skin lesions were observed on the elbow (see below).",
        "Skin lesions were observed on the Elbow (See Below).",
        "Patients with chronic obstructive pulmonary disease (n = 12) improved.",
        "Mortality fell in the treated myocardial infarction group (p < 0.05).",
        "Mortality fell after the myocardial infarction trial (2019).",
        "Rest pain in patients with myocardial infarction (e.g. MI) was common.",
    ],
)
def test_parentheses_that_define_nothing(text: str) -> None:
    assert find_definitions(text) == []


def test_reversed_pattern() -> None:
    text = "Patient with COPD (chronic obstructive pulmonary disease) and CHF (n = 12)."
    found = definitions_by_short(text)
    assert list(found) == ["COPD"]
    assert found["COPD"].long == "chronic obstructive pulmonary disease"
    assert found["COPD"].short_start < found["COPD"].long_start


def test_reversed_pattern_needs_an_abbreviation_outside() -> None:
    assert find_definitions("The patient (chronic obstructive pulmonary disease) rested.") == []


def test_long_form_containing_the_short_form_is_rejected() -> None:
    assert find_definitions("Cardiac MI damage (MI) was seen.") == []


def test_first_definition_of_a_short_form_wins() -> None:
    text = "Myocardial infarction (MI) first. Later a mitral insufficiency (MI) too."
    found = find_definitions(text)
    assert [(d.short, d.long) for d in found] == [("MI", "Myocardial infarction")]


def test_uses_are_later_whole_word_case_sensitive_occurrences() -> None:
    text = (
        "MI is common. Acute myocardial infarction (MI) was seen. The MI was anterior; "
        "no mi, MIs or AMI followed, but MI recurred."
    )
    definitions = find_definitions(text)
    uses = abbreviation_uses(text, definitions)
    (mi,) = definitions
    definition_start = text.index("(MI)") + 1
    expected = [text.index("The MI") + 4, text.rindex("but MI") + 4]
    assert [start for start, _, _ in uses] == expected
    assert all(start > definition_start for start, _, _ in uses)
    assert all(text[start:end] == "MI" and d is mi for start, end, d in uses)


def test_uses_of_a_reversed_definition_skip_its_long_form() -> None:
    text = "COPD (chronic obstructive pulmonary disease) worsened; COPD care continued."
    definitions = find_definitions(text)
    uses = abbreviation_uses(text, definitions)
    assert [(start, end) for start, end, _ in uses] == [(55, 59)]
    assert text[55:59] == "COPD"


def test_uses_of_several_definitions_come_in_text_order() -> None:
    text = (
        "Type 2 diabetes mellitus (T2DM) and heart failure with reduced ejection fraction "
        "(HFrEF). HFrEF worsened; T2DM was stable; HFrEF treated."
    )
    uses = abbreviation_uses(text, find_definitions(text))
    assert [text[start:end] for start, end, _ in uses] == ["HFrEF", "T2DM", "HFrEF"]
    assert [d.short for _, _, d in uses] == ["HFrEF", "T2DM", "HFrEF"]
    assert all(a[0] < b[0] for a, b in pairwise(uses))


@pytest.mark.parametrize(
    ("short", "long", "expected"),
    [
        ("OAB", "overactive bladder", True),
        ("JT", "jaw tumor", True),
        ("PD", "Parkinson disease", True),
        ("HC", "hemorrhagic cystitis", True),
        ("OAB", "bladder overactivity", False),  # not from its first character
        ("AB", "acute bronchitis of the lung", False),  # the last word spells nothing
        ("TB", "tuberculosis", False),  # one word: "AD" is not "adenoma"
        ("see", "severe edema", False),  # not a short form
    ],
)
def test_a_name_spells_a_short_form_as_a_long_form_would(short: str, long: str, expected: bool) -> None:
    assert spells(short, long) is expected

"""UMLS semantic groups (McCray et al. 2001): the coarse entity type of a concept, and the
categories a tag summary sorts them into.

A concept's group comes from what its sources say it is: its UMLS semantic types (TUIs), its
SNOMED CT semantic tag, its MeSH tree numbers (C diseases, D chemicals and drugs, A anatomy, E
procedures, B organisms, ...) or its HPO branch (Phenotypic abnormality: disorders and findings;
Mode of inheritance, Clinical modifier, Frequency: concepts); as the last resort, from the
vocabulary it came from (the disease ontologies and ICD-10-CM only hold disorders and findings).
"Concepts & Ideas" only where nothing says otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence

GROUPS: tuple[str, ...] = (
    "Activities & Behaviors",
    "Anatomy",
    "Chemicals & Drugs",
    "Concepts & Ideas",
    "Devices",
    "Disorders",
    "Genes & Molecular Sequences",
    "Geographic Areas",
    "Living Beings",
    "Objects",
    "Occupations",
    "Organizations",
    "Phenomena",
    "Physiology",
    "Procedures",
)
DEFAULT_GROUP = "Concepts & Ideas"
DISORDERS = "Disorders"

_TUIS: dict[str, str] = {
    **dict.fromkeys("T017 T018 T021 T022 T023 T024 T025 T026 T029 T030 T031".split(), "Anatomy"),
    **dict.fromkeys(
        "T103 T104 T109 T114 T116 T120 T121 T122 T123 T125 T126 T127 T129 T130 T131 T192 T195 T196 T197 T200".split(),
        "Chemicals & Drugs",
    ),
    **dict.fromkeys("T019 T020 T033 T037 T046 T047 T048 T049 T050 T184 T190 T191".split(), "Disorders"),
    **dict.fromkeys("T058 T059 T060 T061 T062 T063 T065".split(), "Procedures"),
    **dict.fromkeys("T032 T039 T040 T041 T042 T043 T044 T045 T201".split(), "Physiology"),
    **dict.fromkeys(
        "T001 T002 T004 T005 T007 T008 T010 T011 T012 T013 T014 T015 T016 T096 T097 T098 T099 T100 T101 T102 "
        "T194 T204".split(),
        "Living Beings",
    ),
    **dict.fromkeys("T028 T085 T086 T087 T088".split(), "Genes & Molecular Sequences"),
    **dict.fromkeys("T074 T075 T203".split(), "Devices"),
    **dict.fromkeys("T034 T038 T067 T068 T069 T070".split(), "Phenomena"),
    **dict.fromkeys("T051 T052 T053 T054 T055 T056 T057 T064 T066".split(), "Activities & Behaviors"),
    **dict.fromkeys("T072 T073 T167 T168".split(), "Objects"),
    **dict.fromkeys("T090 T091".split(), "Occupations"),
    **dict.fromkeys("T092 T093 T094 T095".split(), "Organizations"),
    "T083": "Geographic Areas",
}
_SNOMED_TAGS: dict[str, str] = {
    "disorder": "Disorders",
    "finding": "Disorders",
    "morphologic abnormality": "Disorders",
    "body structure": "Anatomy",
    "cell": "Anatomy",
    "cell structure": "Anatomy",
    "substance": "Chemicals & Drugs",
    "product": "Chemicals & Drugs",
    "medicinal product": "Chemicals & Drugs",
    "clinical drug": "Chemicals & Drugs",
    "procedure": "Procedures",
    "regime/therapy": "Procedures",
    "organism": "Living Beings",
    "physical object": "Devices",
    "observable entity": "Phenomena",
}
# Semantic types of the open sources (graph/vocab/open_sources.py): a MeSH tree number, an HPO branch.
MESH_TREE = "MESHTREE"
HPO_BRANCH = "HPO"
# MeSH tree numbers by their longest listed prefix (the top-level letter, or a subtree that the
# top level gets wrong: equipment under techniques, mental disorders under psychology).
_MESH_TREES: dict[str, str] = {
    "A": "Anatomy",
    "B": "Living Beings",
    "C": "Disorders",
    "D": "Chemicals & Drugs",
    "E": "Procedures",
    "E07": "Devices",
    "F": "Concepts & Ideas",
    "F01": "Activities & Behaviors",
    "F02": "Physiology",
    "F03": "Disorders",
    "G": "Physiology",
    "G01": "Phenomena",
    "G02": "Phenomena",
    "H": "Occupations",
    "I": "Concepts & Ideas",
    "I03": "Activities & Behaviors",
    "J": "Objects",
    "K": "Concepts & Ideas",
    "L": "Concepts & Ideas",
    "M": "Living Beings",
    "N": "Concepts & Ideas",
    "N02": "Organizations",
    "V": "Concepts & Ideas",
    "Z": "Geographic Areas",
}
# HPO's top-level branches: only Phenotypic abnormality names disorders and findings.
_HPO_BRANCHES: dict[str, str] = {"HP:0000118": "Disorders"}
# Open sources that name disorders, phenotypes and findings (for HPO: the terms loaded before their
# branch was recorded; a term of another branch says so in its types).
_DISORDER_SOURCES = frozenset({"hpo", "doid", "mondo", "icd10cm"})


def semantic_group(semantic_types: Sequence[str], sources: Sequence[str] = ()) -> str:
    """The semantic group of a concept with these semantic types (`T047`, `T047:Disease or
    Syndrome`, `SNOMEDCT:disorder`) from these vocabulary sources."""
    votes: dict[str, int] = {}
    for semantic_type in semantic_types:
        group = _group_of_type(semantic_type)
        if group:
            votes[group] = votes.get(group, 0) + 1
    if votes:
        return max(sorted(votes), key=lambda g: votes[g])
    if any(source.lower() in _DISORDER_SOURCES for source in sources):
        return "Disorders"
    return DEFAULT_GROUP


def outside_mesh_disease_trees(semantic_types: Sequence[str], sources: Sequence[str]) -> bool:
    """Whether a concept is a MeSH descriptor alone, and not one of MeSH's disease descriptors: the
    open vocabulary knows the tree numbers of every disease descriptor (nlp's MESHTREE types), so a
    MeSH-only concept without one is a process, organism, substance or other heading."""
    return list(sources) == ["mesh"] and not any(t.startswith(f"{MESH_TREE}:") for t in semantic_types)


def _group_of_type(semantic_type: str) -> str | None:
    head, _, rest = semantic_type.partition(":")
    if head == MESH_TREE:
        top = rest.split(".", 1)[0]
        return _MESH_TREES.get(top) or _MESH_TREES.get(top[:1])
    if head == HPO_BRANCH:
        return _HPO_BRANCHES.get(rest, DEFAULT_GROUP)
    return _TUIS.get(head) or (_SNOMED_TAGS.get(rest) if rest else None)


# Semantic group -> the category of a tag summary (the paper names symptoms, patient history, body
# functions and medication; the rest follow the groups a clinical summary separates).
TAG_CATEGORY_OF_GROUP: dict[str, str] = {
    "Disorders": "Problems and symptoms",
    "Chemicals & Drugs": "Medication and substances",
    "Procedures": "Procedures",
    "Anatomy": "Anatomy",
    "Physiology": "Body functions",
    "Phenomena": "Labs and measurements",
    "Activities & Behaviors": "Patient history and behaviour",
    "Devices": "Devices",
    "Living Beings": "Organisms and populations",
    "Genes & Molecular Sequences": "Genes",
}
ABSENT = "Absent findings"
FAMILY_HISTORY = "Family history"
HYPOTHETICAL = "Conditional or hypothetical"
OTHER = "Other concepts"
TAG_CATEGORIES: tuple[str, ...] = (*TAG_CATEGORY_OF_GROUP.values(), ABSENT, FAMILY_HISTORY, HYPOTHETICAL, OTHER)
ITEMS_PER_CATEGORY = 8

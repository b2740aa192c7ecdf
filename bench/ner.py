"""Entity recognition and normalization against annotated corpora (PubTator format).

    python -m bench.ner [--corpus FILE ...] [--types TYPE ...] [--limit N] [--vocab DIR] [--gold-names]

Each abstract (title + " " + abstract: PubTator's offsets) is ingested through the real pipeline
into a throwaway neo4j-local with the open vocabulary; its stored mentions are compared with the
gold ones of the chosen entity types (default: every type of the corpus). A gold type is judged
against the extracted mentions of its semantic group (diseases: Disorders; chemicals: Chemicals &
Drugs), so a correct drug name does not count against a disease corpus.

Per corpus: mention precision, recall and F1 with exact spans and with overlapping spans;
normalization accuracy on the gold mentions found (an overlapping extracted mention whose concept
carries one of the gold MeSH or OMIM ids among its ids or MeSH headings: a concept finer than MeSH
is indexed under the descriptor whose entry terms name it (HPO's "Restlessness": Psychomotor
Agitation), else under its nearest ancestor's ("Chronic urticaria": Urticaria), as the corpora's
guidelines ask for the most specific MeSH heading); document-level concept-id precision,
recall and F1 (the PubTator evaluation: per abstract, the gold ids against the ids of the concepts
extracted; an extracted concept that carries none of the gold ids is a false positive, a mention
left without a concept predicts no id); and
extracted mentions per second of ingest. Baseline in the same run: exact-name dictionary matching
(a case-insensitive match of a concept's name or synonym, longest first, on token boundaries)
against the same vocabulary, read from the same files.

With --gold-names, the gold mentions' own words are also linked on their own, in the same graph, as
the LLM extractor links the name a model gives an entity it found (the offline extraction's linking
of a name: training names, vocabulary names as written or spelled otherwise, the concept linker,
its head, the nearest training name), against the concept linker alone (its best match scoring at least 0.8,
how the LLM extractor linked them before): the share that reaches a concept carrying a gold id,
paired by mention (randomization test, bootstrap interval). This measures the linking an LLM's
entities get, whatever the model finds.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from statistics import fmean

from bench.ingest import DATA
from bench.report import print_report, print_table
from bench.retrieval import scratch_service
from bench.stats import compare, comparison_cells
from medgraphrag.graph.vocab.open_sources import DEFAULT_VOCAB_DIR, read_open_vocabulary
from medgraphrag.ingest.loaders import load
from medgraphrag.ingest.stages import offline_extractor
from medgraphrag.nlp.lexicon import build_lexicon
from medgraphrag.nlp.names import normalized_id
from medgraphrag.nlp.pubtator import Abstract, Annotation, read_pubtator
from medgraphrag.nlp.ruler import VocabularyRuler
from medgraphrag.nlp.semantic_groups import semantic_group
from medgraphrag.nlp.sentences import parse
from medgraphrag.service import MedGraph

CORPORA = (DATA / "ncbi-disease" / "dev.PubTator.txt", DATA / "bc5cdr" / "dev.PubTator.txt")
MAX_NAME_TOKENS = 8
SYSTEMS = ("pipeline", "baseline")
# The figures the table shows, by their column heading.
TABLE_COLUMNS = {
    "mention_f1_exact": "F1 exact",
    "mention_p_overlap": "P overlap",
    "mention_r_overlap": "R overlap",
    "mention_f1_overlap": "F1 overlap",
    "norm_acc": "norm acc",
    "doc_concept_p": "doc P",
    "doc_concept_r": "doc R",
    "doc_concept_f1": "doc F1",
}


@dataclass
class Counts:
    """What one system got right and wrong on one corpus."""

    predicted: int = 0
    gold: int = 0
    exact: int = 0
    predicted_overlapping: int = 0
    gold_overlapped: int = 0
    normalized: int = 0
    normalizable: int = 0
    doc_true: int = 0
    doc_predicted: int = 0
    doc_gold: int = 0
    predicted_matched: int = 0

    def add(self, gold: Sequence[Annotation], predicted: Sequence[Annotation]) -> None:
        """Count one abstract."""
        groups = {g.group for g in gold}
        predicted = [p for p in predicted if p.group in groups] if gold else []
        self.predicted += len(predicted)
        self.gold += len(gold)
        spans = {(p.start, p.end) for p in predicted}
        self.exact += sum((g.start, g.end) in spans for g in gold)
        self.predicted_overlapping += sum(any(_overlap(p, g) for g in gold) for p in predicted)
        for g in gold:
            found = [p for p in predicted if _overlap(p, g)]
            if found:
                self.gold_overlapped += 1
                if g.ids:
                    self.normalizable += 1
                    self.normalized += any(g.ids & p.ids for p in found)
        gold_ids = {i for g in gold for i in g.ids}
        # An extracted concept is one prediction, whichever of its ids it carries; a mention left
        # without a concept predicts no id.
        concepts = {p.ids for p in predicted if p.ids}
        self.doc_gold += len(gold_ids)
        self.doc_predicted += len(concepts)
        self.predicted_matched += sum(bool(ids & gold_ids) for ids in concepts)
        self.doc_true += len({i for ids in concepts for i in ids & gold_ids})

    def figures(self) -> dict[str, float]:
        """Precision, recall and F1 of mentions (exact and overlapping spans) and of document
        concept ids, and normalization accuracy."""
        exact_p, exact_r = _ratio(self.exact, self.predicted), _ratio(self.exact, self.gold)
        overlap_p = _ratio(self.predicted_overlapping, self.predicted)
        overlap_r = _ratio(self.gold_overlapped, self.gold)
        doc_p, doc_r = _ratio(self.predicted_matched, self.doc_predicted), _ratio(self.doc_true, self.doc_gold)
        return {
            "mention_p_exact": exact_p,
            "mention_r_exact": exact_r,
            "mention_f1_exact": _f1(exact_p, exact_r),
            "mention_p_overlap": overlap_p,
            "mention_r_overlap": overlap_r,
            "mention_f1_overlap": _f1(overlap_p, overlap_r),
            "norm_acc": _ratio(self.normalized, self.normalizable),
            "doc_concept_p": doc_p,
            "doc_concept_r": doc_r,
            "doc_concept_f1": _f1(doc_p, doc_r),
        }


def _overlap(a: Annotation, b: Annotation) -> bool:
    return a.start < b.end and b.start < a.end


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


class ExactNames:
    """The baseline: a concept's name or synonym matched exactly (case-insensitive) on token
    boundaries, the longest first."""

    def __init__(self, vocab: Path) -> None:
        self.names: dict[str, tuple[str, frozenset[str]]] = {}
        for concept in read_open_vocabulary(vocab).concepts:
            group = semantic_group(concept.semantic_types, concept.sources)
            ids = frozenset(i for x in (concept.concept_id, *concept.xrefs) if (i := normalized_id(x)))
            for name in (concept.name, *concept.synonyms):
                self.names.setdefault(name.lower(), (group, ids))

    def mentions(self, texts: Sequence[str]) -> list[list[Annotation]]:
        """Each text's matches."""
        found: list[list[Annotation]] = []
        for text, sentences in zip(texts, parse(texts)):
            matches: list[Annotation] = []
            for sentence in sentences:
                tokens, i = sentence.tokens, 0
                while i < len(tokens):
                    for j in range(min(len(tokens), i + MAX_NAME_TOKENS), i, -1):
                        hit = self.names.get(text[tokens[i].start : tokens[j - 1].end].lower())
                        if hit is not None:
                            matches.append(Annotation(tokens[i].start, tokens[j - 1].end, hit[0], hit[1]))
                            i = j
                            break
                    else:
                        i += 1
            found.append(matches)
        return found


def pipeline_mentions(
    abstracts: Sequence[Abstract], vocab: Path, workdir: Path, *, gold_names: bool = False
) -> tuple[list[list[Annotation]], float, dict[str, list[float]]]:
    """Each abstract's mentions as the ingest pipeline stores them, the ingest's seconds, and with
    `gold_names` the gold names linked on their own (`link_gold_names`)."""
    corpus = workdir / "abstracts.jsonl"
    with corpus.open("w", encoding="utf-8") as out:
        for a in abstracts:
            out.write(json.dumps({"id": a.pmid, "text": a.text}) + "\n")
    with scratch_service(paths={"data_dir": workdir / "medgraph"}) as service:
        service.load_vocabulary("open", vocab)
        report = service.ingest([corpus], tier="reference")
        if report.errors:
            raise RuntimeError(f"{corpus}: {len(report.errors)} abstracts failed: {report.errors[0]}")
        by_pmid = {a.pmid: a for a in abstracts}
        ids: dict[str, Abstract] = {}
        for document in load(corpus):
            if document.text != by_pmid[document.unit].text:
                raise RuntimeError(f"{corpus}: the loader changed the text of {document.unit}; offsets would not hold")
            ids[document.doc_id] = by_pmid[document.unit]
        by_doc: dict[str, list[Annotation]] = {doc: [] for doc in ids}
        for m in service.document_mentions(list(ids)):
            if ids[m.doc_id].text[m.start : m.end] != m.surface:
                raise RuntimeError(f"{m.doc_id}: a stored mention's offsets do not hold its words {m.surface!r}")
            concept_ids = [m.concept_id, *m.xrefs, *m.mesh_headings] if m.concept_id else []
            by_doc[m.doc_id].append(
                Annotation(m.start, m.end, m.type, frozenset(i for x in concept_ids if (i := normalized_id(x))))
            )
        names = link_gold_names(service, abstracts) if gold_names else {}
    return [by_doc[doc] for doc in ids], report.seconds, names


def link_gold_names(service: MedGraph, abstracts: Sequence[Abstract]) -> dict[str, list[float]]:
    """Per gold mention that has ids, 1.0 if its words, linked on their own, reach a concept that
    carries a gold id (among its ids or MeSH headings), else 0.0: as the LLM extractor links a name
    (`extraction`), and by the concept linker's best match alone, if it scores at least the score
    the extraction asks of the linker (`linker`)."""
    vocabulary = service.store.vocabulary
    ruler = VocabularyRuler(build_lexicon(vocabulary.concept_names()))
    extractor = offline_extractor(vocabulary, service.embedder, service.settings.ingest, ruler)
    linker = extractor.linker
    assert linker is not None
    mentions = [(a.text[g.start : g.end], g) for a in abstracts for g in a.gold if g.ids]
    # Abstracts repeat their names: each name of a group is linked once.
    linked: dict[tuple[str, str], tuple[str | None, str | None]] = {}
    for words, gold in mentions:
        if (words, gold.group) not in linked:
            link = extractor.concept([words], gold.group)
            best = next(iter(linker.link(words, gold.group, k=1)), None)
            linked[(words, gold.group)] = (
                link.concept_id if link else None,
                best.concept_id if best and best.score >= extractor.min_link_score else None,
            )
    found = {
        system: [linked[(words, gold.group)][index] for words, gold in mentions]
        for index, system in enumerate(("extraction", "linker"))
    }
    concepts = sorted({c for ids in found.values() for c in ids if c})
    headings = service.store.documents.mesh_headings(concepts)
    ids: dict[str, frozenset[str]] = {}
    for concept_id in concepts:
        detail = vocabulary.concept(concept_id, children=0)
        xrefs = detail.concept.xrefs if detail else []
        ids[concept_id] = frozenset(
            i for x in [concept_id, *xrefs, *headings.get(concept_id, [])] if (i := normalized_id(x))
        )
    return {
        system: [float(bool(c and ids[c] & gold.ids)) for c, (_, gold) in zip(concepts_of, mentions)]
        for system, concepts_of in found.items()
    }


def evaluate(
    abstracts: Sequence[Abstract], predictions: Mapping[str, Sequence[Sequence[Annotation]]]
) -> dict[str, dict[str, float]]:
    """Each system's figures over the abstracts."""
    figures = {}
    for system, predicted in predictions.items():
        counts = Counts()
        for abstract, mentions in zip(abstracts, predicted):
            counts.add(abstract.gold, mentions)
        figures[system] = counts.figures()
    return figures


def main() -> None:
    """Run the benchmark from the command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, action="append", help="a PubTator file (repeatable)")
    parser.add_argument("--types", nargs="+", default=None, help="gold entity types to judge (default: all)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N abstracts of each corpus")
    parser.add_argument("--vocab", type=Path, default=DEFAULT_VOCAB_DIR, help="open vocabulary data folder")
    parser.add_argument(
        "--gold-names", action="store_true", help="also link the gold mentions' words as the LLM extractor links names"
    )
    args = parser.parse_args()
    baseline = ExactNames(args.vocab)
    rows, corpora, name_rows = [], {}, []
    for path in args.corpus or list(CORPORA):
        abstracts = read_pubtator(path, args.types)[: args.limit]
        name = path.parent.name or path.stem
        with tempfile.TemporaryDirectory(prefix="bench-ner-") as folder:
            predicted, seconds, names = pipeline_mentions(
                abstracts, args.vocab, Path(folder), gold_names=args.gold_names
            )
        started = time.perf_counter()
        matched = baseline.mentions([a.text for a in abstracts])
        baseline_s = time.perf_counter() - started
        figures = evaluate(abstracts, {"pipeline": predicted, "baseline": matched})
        speed = {
            "pipeline": sum(map(len, predicted)) / seconds if seconds else 0.0,
            "baseline": sum(map(len, matched)) / baseline_s if baseline_s else 0.0,
        }
        for system in SYSTEMS:
            rows.append([name, system, *(figures[system][m] for m in TABLE_COLUMNS), speed[system]])
        corpora[name] = {
            **{k: round(v, 4) for k, v in figures["pipeline"].items()},
            "baseline_doc_concept_f1": round(figures["baseline"]["doc_concept_f1"], 4),
            "baseline_mention_f1_overlap": round(figures["baseline"]["mention_f1_overlap"], 4),
            "baseline_norm_acc": round(figures["baseline"]["norm_acc"], 4),
            "abstracts": len(abstracts),
            "gold_mentions": sum(len(a.gold) for a in abstracts),
            "mentions_per_s": round(speed["pipeline"], 1),
        }
        if names:
            paired = compare(names["extraction"], names["linker"], "linker")
            name_rows.append(
                [
                    name,
                    len(names["linker"]),
                    fmean(names["linker"]),
                    fmean(names["extraction"]),
                    *comparison_cells(paired)[1:],
                ]
            )
            corpora[name] |= {
                "gold_names_linker_acc": round(fmean(names["linker"]), 4),
                "gold_names_extraction_acc": round(fmean(names["extraction"]), 4),
                "gold_names_p": round(paired.p, 4),
            }
    if name_rows:
        print_table(
            "Gold mentions' words linked on their own: the concept linker alone (the LLM extractor's linking "
            "before) and the extraction's linking (the LLM extractor's now), paired by mention",
            ["corpus", "mentions", "linker", "extraction", "diff", "95% CI", "p"],
            name_rows,
        )
    print_report(
        "Entity recognition and normalization (gold types judged against their semantic group; all figures in the "
        "JSON line)",
        ["corpus", "system", *TABLE_COLUMNS.values(), "mentions/s"],
        rows,
        {"benchmark": "ner", "corpora": corpora},
    )


if __name__ == "__main__":
    main()

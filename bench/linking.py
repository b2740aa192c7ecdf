"""Concept-linking accuracy against a gold file, with the exact-name baseline in the same run.

    python -m bench.linking [--gold FILE] [--vocab DIR] [--use-configured] [--limit N]

The gold file is a TSV with a `focus` column (the text to link) and a `cuis` column (space-separated
gold UMLS CUIs; a link is right if one of its concept's CUIs is among them: the id CUI or a `UMLS:`
cross-reference of a concept that merged several sources' terms). The id-CUI-only accuracy is
reported beside it. By default a throwaway
neo4j-local is started and the open vocabulary of --vocab is loaded into it; --use-configured links
against the vocabulary already loaded at NEO4J_URI instead.
"""

from __future__ import annotations

import argparse
import csv
import time
from dataclasses import dataclass
from pathlib import Path

from bench.report import print_report
from medgraphrag.core.settings import load_settings
from medgraphrag.graph.server import project_root, scratch_local_server
from medgraphrag.graph.vocab.open_sources import DEFAULT_VOCAB_DIR
from medgraphrag.graph.vocabulary import VocabularyStore
from medgraphrag.ingest.linking import ConceptLinker
from medgraphrag.nlp.names import key_phrase, normalize
from medgraphrag.service import MedGraph

PASSWORD = "bench-password"
DEFAULT_GOLD = project_root().parent / "shared" / "data" / "medquad" / "focus_cui_dev.tsv"


@dataclass(frozen=True)
class GoldRow:
    """A text to link and the CUIs that count as right."""

    text: str
    cuis: frozenset[str]


def read_gold(path: Path, limit: int | None = None) -> list[GoldRow]:
    """Rows of the gold TSV that have a text and at least one CUI."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [
            GoldRow(r["focus"].strip(), frozenset(r["cuis"].split()))
            for r in csv.DictReader(handle, delimiter="\t")
            if r.get("focus", "").strip() and r.get("cuis", "").strip()
        ]
    return rows[:limit] if limit else rows


def exact_name_cuis(vocabulary: VocabularyStore, text: str) -> list[list[str]]:
    """The baseline: the CUIs of each concept with a name or synonym equal to `text` ignoring case
    only (found through the name-key index, then compared as written)."""
    key = normalize(text)
    if not key:
        return []
    wanted = text.lower()
    return [
        c.cuis
        for c in vocabulary.candidates(key_phrase(key), limit=50)
        if any(n.lower() == wanted for n in [c.name, *c.synonyms])
    ]


# The given CUIs that are concept ids, and every CUI held as a `UMLS:` cross-reference (the
# coverage figure; the cross-references are read by a scan).
CUIS_PRESENT = """
UNWIND $cuis AS cui
MATCH (c:Concept {cui: cui})
RETURN DISTINCT cui
UNION
MATCH (c:Concept)
UNWIND c.xrefs AS xref
WITH xref WHERE xref STARTS WITH 'UMLS:'
RETURN DISTINCT substring(xref, 5) AS cui
"""


def cuis_present(service: MedGraph, cuis: set[str]) -> set[str]:
    """Those of `cuis` that some concept carries, as its id CUI or a `UMLS:` cross-reference."""
    result = service.store.cypher.run(CUIS_PRESENT, {"cuis": sorted(cuis)}, timeout_s=600, max_rows=10_000_000)
    return {str(row[0]) for row in result.rows} & cuis


def _evaluate(service: MedGraph, gold: list[GoldRow]) -> dict[str, float]:
    present = cuis_present(service, {c for row in gold for c in row.cuis})
    covered = [bool(row.cuis & present) for row in gold]
    linker = ConceptLinker(service.store.vocabulary, service.embedder)
    started = time.perf_counter()
    links = [linker.link(row.text, k=5) for row in gold]
    link_seconds = time.perf_counter() - started
    ranked = [[m.cuis for m in matches] for matches in links]
    by_id_cui = [[[m.cui] if m.cui else [] for m in matches] for matches in links]
    baseline = [exact_name_cuis(service.store.vocabulary, row.text)[:1] for row in gold]

    def accuracy(predictions: list[list[list[str]]], at: int, only_covered: bool) -> float:
        """Share of rows whose first `at` predicted concepts include one with a gold CUI."""
        pairs = [(p, row) for p, row, c in zip(predictions, gold, covered) if c or not only_covered]
        hits = sum(any(set(cuis) & row.cuis for cuis in p[:at]) for p, row in pairs)
        return hits / len(pairs) if pairs else 0.0

    return {
        "rows": len(gold),
        "covered_rows": sum(covered),
        "coverage": sum(covered) / len(gold),
        "acc1_all": accuracy(ranked, 1, False),
        "acc5_all": accuracy(ranked, 5, False),
        "acc1_covered": accuracy(ranked, 1, True),
        "acc5_covered": accuracy(ranked, 5, True),
        "acc1_all_id_cui": accuracy(by_id_cui, 1, False),
        "baseline_acc1_all": accuracy(baseline, 1, False),
        "baseline_acc1_covered": accuracy(baseline, 1, True),
        "links_per_s": len(gold) / link_seconds if link_seconds else 0.0,
    }


def main() -> None:
    """Run the benchmark from the command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gold", type=Path, default=DEFAULT_GOLD)
    parser.add_argument("--vocab", type=Path, default=DEFAULT_VOCAB_DIR, help="open vocabulary data folder")
    parser.add_argument("--use-configured", action="store_true", help="link against NEO4J_URI's vocabulary")
    parser.add_argument("--limit", type=int, default=None, help="only the first N gold rows")
    args = parser.parse_args()
    gold = read_gold(args.gold, args.limit)
    if args.use_configured:
        with MedGraph(load_settings()) as service:
            figures = _evaluate(service, gold)
    else:
        with scratch_local_server(PASSWORD, heap="2g", pagecache_mb=512) as uri:
            with MedGraph(load_settings(neo4j={"uri": uri, "password": PASSWORD})) as service:
                service.load_vocabulary("open", args.vocab)
                figures = _evaluate(service, gold)
    rows = [
        ("exact name (baseline)", figures["baseline_acc1_all"], None, figures["baseline_acc1_covered"], None),
        (
            "medgraphrag linker",
            figures["acc1_all"],
            figures["acc5_all"],
            figures["acc1_covered"],
            figures["acc5_covered"],
        ),
        ("medgraphrag linker, id CUI only", figures["acc1_all_id_cui"], None, None, None),
    ]
    print_report(
        f"concept linking: {figures['rows']} rows, gold CUI in vocabulary for {figures['coverage']:.1%}, "
        f"{figures['links_per_s']:.0f} links/s",
        ["method", "acc@1 all", "acc@5 all", "acc@1 covered", "acc@5 covered"],
        [[("-" if v is None else round(v, 4)) if not isinstance(v, str) else v for v in row] for row in rows],
        {"benchmark": "linking", "gold": str(args.gold), **{k: round(v, 4) for k, v in figures.items()}},
    )


if __name__ == "__main__":
    main()

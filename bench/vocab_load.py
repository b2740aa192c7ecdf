"""Vocabulary load throughput into an empty database: the open vocabulary and a generated MRCONSO.

    python -m bench.vocab_load [--vocab DIR] [--mrconso-rows 1000000] [--strings-per-concept 4]
                               [--bulk-rows 16000000]

Each load goes into its own throwaway neo4j-local. Rows/s counts the source rows read (open
vocabulary entries; MRCONSO rows) over the whole load: reading, merging and writing. The bulk path
(`medgraph vocab load --bulk`) is timed on the same generated MRCONSO from reading to a database
that answers with its indexes online: import CSV files written from the reader's streams,
`neo4j-admin database import full`, server start, constraints and indexes built. It is timed again
on `--bulk-rows` rows (a full UMLS release has about 16 million strings); `--bulk-rows 0` projects
that figure linearly from the first bulk run instead, and the table says which.
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
import time
from pathlib import Path

from bench.report import print_report
from medgraphrag.core.settings import load_settings
from medgraphrag.graph.bulk_import import import_local
from medgraphrag.graph.import_csv import write_import_files
from medgraphrag.graph.server import LocalNeo4j, project_root, scratch_local_server
from medgraphrag.graph.vocab import umls
from medgraphrag.graph.vocab.open_sources import DEFAULT_VOCAB_DIR, read_open_vocabulary
from medgraphrag.graph.vocab.umls import UmlsRelease
from medgraphrag.service import MedGraph

PASSWORD = "bench-password"
_SYLLABLES = "car di o my pa thy neu ro gen ic syn drome hep at itis ne phro sis os teo ma lig nant derm".split()
_SEMANTIC_TYPES = [("T047", "Disease or Syndrome"), ("T184", "Sign or Symptom"), ("T191", "Neoplastic Process")]


def generate_meta(folder: Path, rows: int, strings_per_concept: int, seed: int = 7) -> None:
    """Write a synthetic MRCONSO.RRF of `rows` rows (and a matching MRSTY.RRF) into `folder`."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    concepts = rows // strings_per_concept
    with (
        (folder / "MRCONSO.RRF").open("w", encoding="utf-8") as conso,
        (folder / "MRSTY.RRF").open("w", encoding="utf-8") as sty,
    ):
        written = 0
        for n in range(1, concepts + 1):
            cui = f"C{n:07d}"
            tui, name = _SEMANTIC_TYPES[n % len(_SEMANTIC_TYPES)]
            sty.write(f"{cui}|{tui}|A1.2|{name}|AT{n:08d}|256|\n")
            for k in range(strings_per_concept if n < concepts else rows - written):
                words = " ".join(
                    "".join(rng.choices(_SYLLABLES, k=rng.randint(2, 4))) for _ in range(rng.randint(1, 4))
                )
                preferred = k == 0
                sab = ("MSH", "SNOMEDCT_US", "NCI", "MEDLINEPLUS")[k % 4]
                conso.write(
                    f"{cui}|ENG|{'P' if preferred else 'S'}|L{n:07d}|{'PF' if preferred else 'VO'}|S{written:07d}|"
                    f"{'Y' if preferred else 'N'}|A{written:08d}||||{sab}|{'PT' if preferred else 'SY'}|"
                    f"{sab[0]}{n:06d}|{words}|0|N|256|\n"
                )
                written += 1


def _load(kind: str, path: Path) -> tuple[float, int, int]:
    with scratch_local_server(PASSWORD, heap="2g", pagecache_mb=512) as uri:
        with MedGraph(load_settings(neo4j={"uri": uri, "password": PASSWORD})) as service:
            _ = service.store  # connect and apply the schema outside the timed load
            started = time.perf_counter()
            load = service.load_vocabulary(kind, path)
            return time.perf_counter() - started, load.concepts, load.relations


def _bulk_load(meta: Path) -> tuple[float, int, int]:
    with tempfile.TemporaryDirectory(prefix="bench-bulk-") as folder:
        started = time.perf_counter()
        release = UmlsRelease(meta)
        files = write_import_files(
            Path(folder) / "import",
            versions={umls.SOURCE: release.version},
            concepts=release.concepts,
            relations=release.relations,
            skipped=release.skipped,
        )
        home = Path(folder) / "neo4j"
        import_local(
            LocalNeo4j(project_root() / "neo4j-local"), files, home=home / "home", database="neo4j", overwrite=False
        )
        with scratch_local_server(PASSWORD, heap="2g", pagecache_mb=512, home=home) as uri:
            with MedGraph(load_settings(neo4j={"uri": uri, "password": PASSWORD})) as service:
                service.complete_bulk_import()
                seconds = time.perf_counter() - started
                counts = service.health().counts
        return seconds, counts["Concept"], files.load.relations


def main() -> None:
    """Run the benchmark from the command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vocab", type=Path, default=DEFAULT_VOCAB_DIR, help="open vocabulary data folder")
    parser.add_argument("--mrconso-rows", type=int, default=1_000_000)
    parser.add_argument("--strings-per-concept", type=int, default=4)
    parser.add_argument(
        "--bulk-rows", type=int, default=16_000_000, help="MRCONSO rows of the large bulk run; 0: project it"
    )
    args = parser.parse_args()

    open_rows = sum(read_open_vocabulary(args.vocab).counts.values())
    open_s, open_concepts, open_relations = _load("open", args.vocab)
    with tempfile.TemporaryDirectory(prefix="bench-meta-") as folder:
        meta = Path(folder) / "META"
        generate_meta(meta, args.mrconso_rows, args.strings_per_concept)
        umls_s, umls_concepts, umls_relations = _load("umls", meta)
        bulk_s, bulk_concepts, bulk_relations = _bulk_load(meta)
        shutil.rmtree(meta)
        if args.bulk_rows:
            generate_meta(meta, args.bulk_rows, args.strings_per_concept)
            large_s, large_concepts, large_relations = _bulk_load(meta)
            large_rows, how = args.bulk_rows, "measured"
        else:
            large_rows, how = 16_000_000, "projected"
            large_s = bulk_s * large_rows / args.mrconso_rows
            large_concepts, large_relations = bulk_concepts * large_rows // args.mrconso_rows, bulk_relations
    bulk_16m_s = large_s * 16_000_000 / large_rows
    # Fixed costs (tool and server start) make a projection from fewer rows an over-estimate.
    how_16m = "measured" if large_rows == 16_000_000 else f"projected from {large_rows:,} rows"
    rows = [
        ("open vocabulary", open_rows, open_concepts, open_relations, open_s, open_rows / open_s),
        (
            "generated MRCONSO + MRSTY",
            args.mrconso_rows,
            umls_concepts,
            umls_relations,
            umls_s,
            args.mrconso_rows / umls_s,
        ),
        (
            "generated MRCONSO + MRSTY, bulk import",
            args.mrconso_rows,
            bulk_concepts,
            bulk_relations,
            bulk_s,
            args.mrconso_rows / bulk_s,
        ),
        (
            f"generated MRCONSO + MRSTY, bulk import ({how})",
            large_rows,
            large_concepts,
            large_relations,
            large_s,
            large_rows / large_s,
        ),
    ]
    print_report(
        "vocabulary load into an empty database",
        ["load", "rows", "concepts", "relations", "seconds", "rows/s"],
        rows,
        {
            "benchmark": "vocab_load",
            "open_rows": open_rows,
            "open_concepts": open_concepts,
            "open_seconds": round(open_s, 2),
            "open_rows_per_s": round(open_rows / open_s),
            "mrconso_rows": args.mrconso_rows,
            "mrconso_concepts": umls_concepts,
            "mrconso_seconds": round(umls_s, 2),
            "mrconso_rows_per_s": round(args.mrconso_rows / umls_s),
            "bulk_seconds": round(bulk_s, 2),
            "bulk_rows_per_s": round(args.mrconso_rows / bulk_s),
            "bulk_large_rows": large_rows,
            "bulk_large_how": how,
            "bulk_16m_how": how_16m,
            "bulk_16m_seconds": round(bulk_16m_s, 1),
        },
    )


if __name__ == "__main__":
    main()

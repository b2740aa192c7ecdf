"""Vocabulary load throughput into an empty database: the open vocabulary and a generated MRCONSO.

    python -m bench.vocab_load [--vocab DIR] [--mrconso-rows 1000000] [--strings-per-concept 4]

Each load goes into its own throwaway neo4j-local. Rows/s counts the source rows read (open
vocabulary entries; MRCONSO rows) over the whole load: reading, merging and writing.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from bench.report import print_report
from medgraphrag.core.settings import load_settings
from medgraphrag.graph.server import scratch_local_server
from medgraphrag.graph.vocab.open_sources import DEFAULT_VOCAB_DIR, read_open_vocabulary
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


def main() -> None:
    """Run the benchmark from the command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vocab", type=Path, default=DEFAULT_VOCAB_DIR, help="open vocabulary data folder")
    parser.add_argument("--mrconso-rows", type=int, default=1_000_000)
    parser.add_argument("--strings-per-concept", type=int, default=4)
    args = parser.parse_args()

    open_rows = sum(read_open_vocabulary(args.vocab).counts.values())
    open_s, open_concepts, open_relations = _load("open", args.vocab)
    with tempfile.TemporaryDirectory(prefix="bench-meta-") as folder:
        meta = Path(folder) / "META"
        generate_meta(meta, args.mrconso_rows, args.strings_per_concept)
        umls_s, umls_concepts, umls_relations = _load("umls", meta)
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
        },
    )


if __name__ == "__main__":
    main()

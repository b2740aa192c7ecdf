"""HTTP API throughput and latency: concurrent clients against POST /v1/retrieve.

    python -m bench.api [--questions XML] [--medquad DIR] [--medquad-limit N] [--clients 1 8 32] [--workers N]
                        [--seconds 60] [--mode u-retrieve] [--use-configured]

The server runs as `medgraph serve` in its own process on loopback. By default a throwaway
neo4j-local is started, the open vocabulary loaded and the first N MedQuAD files ingested as the
reference tier; --use-configured serves what NEO4J_URI already holds. The clients ask the LiveQA
questions (NLM summaries) in turn; each level runs for --seconds after a short warm-up. Reported
per level: requests, requests/s, latency p50 / p95 / p99 and errors (any status but 200).
"""

from __future__ import annotations

import argparse
import itertools
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

from bench.ingest import DATA, medquad_corpus
from bench.report import print_report
from bench.retrieval import read_questions
from medgraphrag.cli import default_workers
from medgraphrag.core.processes import free_port, stop_process
from medgraphrag.core.settings import load_settings
from medgraphrag.graph.server import scratch_local_server
from medgraphrag.graph.vocab.open_sources import DEFAULT_VOCAB_DIR
from medgraphrag.service import MedGraph

PASSWORD = "bench-password"


@contextmanager
def api_server(
    env: dict[str, str], data_dir: Path, workers: int, *, ready_status: tuple[int, ...] = (200,)
) -> Iterator[str]:
    """`medgraph serve` on a free loopback port with `env`; yields its base URL once /readyz
    answers with one of `ready_status` (503: a server that runs without its Neo4j)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "medgraphrag", "serve", "--port", str(port), "--workers", str(workers)],
        env={**os.environ, **env, "MEDGRAPH_DATA_DIR": str(data_dir)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(f"{url}/readyz", timeout=5).status_code in ready_status:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the API server did not become ready")
            time.sleep(0.5)
        yield url
    finally:
        stop_process(process.pid)


def load(url: str, questions: Sequence[str], *, clients: int, seconds: float, mode: str) -> dict[str, float]:
    """Run `clients` concurrent clients for `seconds`; their latencies and errors summarized."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    cycle = itertools.cycle(questions)

    def client() -> None:
        nonlocal errors
        with httpx.Client(base_url=url, timeout=60) as http:
            while time.monotonic() < stop:
                with lock:
                    question = next(cycle)
                started = time.perf_counter()
                try:
                    ok = (
                        http.post("/v1/retrieve", json={"question": question, "k": 10, "mode": mode}).status_code == 200
                    )
                except httpx.HTTPError:
                    ok = False
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    errors += not ok

    began = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - began
    ordered = sorted(latencies)

    def percentile(p: float) -> float:
        return 1000 * ordered[min(len(ordered) - 1, int(p * len(ordered)))] if ordered else 0.0

    return {
        "clients": clients,
        "requests": len(ordered),
        "rps": len(ordered) / wall,
        "p50_ms": percentile(0.5),
        "p95_ms": percentile(0.95),
        "p99_ms": percentile(0.99),
        "errors": errors,
    }


def main() -> None:
    """Run the benchmark from the command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=Path, default=DATA / "liveqa" / "questions_dev.xml")
    parser.add_argument("--medquad", type=Path, default=DATA / "medquad")
    parser.add_argument("--judged", type=Path, default=DATA / "medquad" / "judged_answers.csv")
    parser.add_argument("--medquad-limit", type=int, default=400, help="MedQuAD XML files to ingest")
    parser.add_argument("--vocab", type=Path, default=DEFAULT_VOCAB_DIR, help="open vocabulary data folder")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--seconds", type=float, default=60.0, help="duration of each level")
    parser.add_argument("--mode", default="u-retrieve")
    parser.add_argument(
        "--workers",
        type=int,
        default=default_workers(),
        help="server processes (medgraph serve --workers; default: as medgraph serve)",
    )
    parser.add_argument("--use-configured", action="store_true", help="serve what NEO4J_URI already holds")
    args = parser.parse_args()
    questions = [q.summary for q in read_questions(args.questions) if q.summary]

    def measure(env: dict[str, str], data_dir: Path) -> list[dict[str, float]]:
        with api_server(env, data_dir, args.workers) as url:
            load(url, questions, clients=4, seconds=min(5.0, args.seconds), mode=args.mode)  # warm-up
            return [load(url, questions, clients=n, seconds=args.seconds, mode=args.mode) for n in args.clients]

    with tempfile.TemporaryDirectory() as scratch:
        if args.use_configured:
            levels = measure({}, Path(scratch))
        else:
            with scratch_local_server(PASSWORD, heap="2g", pagecache_mb=512) as uri:
                settings = load_settings(neo4j={"uri": uri, "password": PASSWORD}, paths={"data_dir": Path(scratch)})
                with MedGraph(settings) as service:
                    service.load_vocabulary("open", args.vocab)
                    service.ingest(
                        medquad_corpus(args.medquad, args.judged, args.medquad_limit, Path(scratch)), tier="reference"
                    )
                levels = measure({"NEO4J_URI": uri, "NEO4J_PASSWORD": PASSWORD}, Path(scratch))
    columns = ["clients", "requests", "rps", "p50_ms", "p95_ms", "p99_ms", "errors"]
    print_report(
        f"POST /v1/retrieve ({args.mode}), {args.workers} server processes, {args.seconds:g} s per level, "
        f"{len(questions)} LiveQA questions",
        columns,
        [[row[c] for c in columns] for row in levels],
        {
            "benchmark": "api",
            "mode": args.mode,
            "workers": args.workers,
            "seconds": args.seconds,
            "levels": [{k: round(v, 2) for k, v in row.items()} for row in levels],
        },
    )


if __name__ == "__main__":
    main()

"""Start time of the embedded Neo4j (neo4j-local), build excluded: fresh data folder and restart.

python -m bench.neo4j_start [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from bench.report import print_report
from medgraphrag.core.processes import free_port, stop_process
from medgraphrag.graph.server import LocalNeo4j, project_root

PASSWORD = "bench-password"


def _timed_start(local: LocalNeo4j, home: Path, log: Path) -> float:
    started = time.perf_counter()
    process = local.start(home=home, port=free_port(), password=PASSWORD, heap="1g", pagecache_mb=256, log_path=log)
    elapsed = time.perf_counter() - started
    stop_process(process.pid)
    process.wait(timeout=60)
    return elapsed


def main() -> None:
    """Run the benchmark from the command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="starts of each kind")
    parser.add_argument("--neo4j-local", type=Path, default=project_root() / "neo4j-local")
    args = parser.parse_args()
    local = LocalNeo4j(args.neo4j_local)
    if not local.built:
        local.build()
    fresh, restart = [], []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="bench-neo4j-") as folder:
            home, log = Path(folder) / "home", Path(folder) / "neo4j.log"
            fresh.append(_timed_start(local, home, log))
            restart.append(_timed_start(local, home, log))
    rows = [("fresh data folder", *fresh, statistics.median(fresh)), ("restart", *restart, statistics.median(restart))]
    columns = ["start", *(f"run {i + 1} (s)" for i in range(args.runs)), "median (s)"]
    print_report(
        "neo4j-local start, until Bolt accepts connections",
        columns,
        rows,
        {
            "benchmark": "neo4j_start",
            "runs": args.runs,
            "fresh_start_s_median": round(statistics.median(fresh), 2),
            "restart_s_median": round(statistics.median(restart), 2),
        },
    )


if __name__ == "__main__":
    main()

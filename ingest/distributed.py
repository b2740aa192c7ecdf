"""Ingest spread over a Ray cluster: workers build, one writer writes, in file order.

Each Ray worker is an actor holding one construction (its models loaded once) that builds groups of
files: read, parse, chunk, embed, extract, link and relate, returning records, not writing them. The
driver takes the results in the order of the files (Ray's `ActorPool`: a worker gets its next group
once its last result is taken, which bounds what is in memory) and writes each batch in one
transaction, one in flight while the next is taken, exactly as a single process does; documents too
large for one write and the post-write work (tier links, tags) are done by the driver. Because
writes happen in file order and every id is content-derived, the graph is the same as one process
builds. A worker that dies is restarted by Ray and its group built again: nothing of it was written.

Workers read the files at the paths the driver names, so on a cluster of several machines the files
must be on a filesystem they share. Neo4j is the only store; every worker also reads from it (the
vocabulary, what is stored).
"""

from __future__ import annotations

import logging
import os
import resource
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from medgraphrag.core.errors import ConfigurationError
from medgraphrag.core.progress import ProgressEvent
from medgraphrag.ingest.loaders import SourceDocument
from medgraphrag.ingest.pipeline import BuiltFiles, IngestPipeline, IngestReport, Writes, resolved

# Start a Ray instance of our own on this machine (`--ray local`), or join the running cluster.
LOCAL = "local"
# How often a worker's group is built again after the worker died under it.
TASK_RETRIES = 3
# Environment the workers need whatever machine they run on: everything offline.
WORKER_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}

log = logging.getLogger(__name__)
PipelineFactory = Callable[[], IngestPipeline]


class IngestWorker:
    """A Ray actor: one pipeline, made in the worker by `factory`, that builds groups of files."""

    def __init__(self, factory: PipelineFactory) -> None:
        self._pipeline = factory()
        self._embedded: set[str] = set()

    def build(self, files: list[str], names: dict[str, str]) -> BuiltFiles:
        """The records of the new or changed documents of `files`, not written."""
        return self._pipeline.build_files(
            [Path(f) for f in files], {Path(p): n for p, n in names.items()}, self._embedded
        )

    def memory_mb(self) -> float:
        """The worker's peak resident memory, in MiB."""
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class RayIngest:
    """Ingests files with the builds spread over Ray workers and the writes done by `pipeline`."""

    def __init__(
        self,
        pipeline: IngestPipeline,
        factory: PipelineFactory,
        *,
        address: str = LOCAL,
        workers: int | None = None,
        files_per_task: int = 8,
        gpus_per_worker: float = 0.0,
    ) -> None:
        self.pipeline = pipeline
        self.factory = factory
        self.address = address
        self.workers = workers
        self.files_per_task = max(1, files_per_task)
        self.gpus_per_worker = gpus_per_worker

    def run(self, paths: Iterable[Path | str], names: Mapping[Path, str] | None = None) -> IngestReport:
        """Ingest the supported files under `paths` as `IngestPipeline.run` does, building on Ray."""
        ray, pool_class = _ray()
        started = time.perf_counter()
        pipeline = self.pipeline
        report = IngestReport()
        files = pipeline.discover(paths, report)
        named = resolved(names)
        groups = groups_of(files, self.files_per_task)
        with _cluster(ray, self.address, self.workers) as cpus:
            count = max(1, min(self.workers or int(cpus), len(groups) or 1))
            worker = ray.remote(IngestWorker).options(
                num_cpus=1,
                num_gpus=self.gpus_per_worker,
                max_restarts=-1,
                max_task_retries=TASK_RETRIES,
            )
            actors = [worker.remote(self.factory) for _ in range(count)]
            report.workers = count
            try:
                pool = pool_class(actors)
                built: Iterator[BuiltFiles] = pool.map(
                    lambda actor, group: actor.build.remote(
                        [str(f) for f in group], {str(f): named[f] for f in group if f in named}
                    ),
                    groups,
                )
                embedded: set[str] = set()
                done = 0
                with Writes(pipeline, report) as writes:
                    for group, result in zip(groups, built):
                        report.add(result.report)
                        for item in result.items:
                            if isinstance(item, SourceDocument):
                                writes.stage(item, embedded)
                            else:
                                writes.write(item)
                        done += len(group)
                        pipeline.notify(ProgressEvent("build", done, len(files)))
                report.worker_memory_mb = [float(m) for m in ray.get([a.memory_mb.remote() for a in actors])]
            finally:
                for actor in actors:
                    ray.kill(actor)
        pipeline.notify(ProgressEvent("build", len(files), len(files)))
        pipeline.finish(report, started)
        return report


def _ray() -> tuple[Any, Any]:
    """Ray and its actor pool, or a ConfigurationError saying how to install them."""
    try:
        import ray
        from ray.util import ActorPool
    except ImportError:
        raise ConfigurationError("ingest on Ray needs the ray extra: pip install 'medgraphrag[ray]'") from None
    return ray, ActorPool


@contextmanager
def _cluster(ray: Any, address: str, workers: int | None) -> Iterator[float]:
    """Ray joined (an address, or `auto` for the cluster running here) or started on this machine
    (`local`), yielding its CPUs; what this started is shut down after."""
    started = False
    if not ray.is_initialized():
        options: dict[str, Any] = {
            "include_dashboard": False,
            "logging_level": logging.WARNING,
            "runtime_env": {"env_vars": WORKER_ENV},
        }
        if address == LOCAL:
            options["num_cpus"] = max(workers or 0, os.cpu_count() or 1)
        else:
            options["address"] = address
        try:
            ray.init(**options)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise ConfigurationError(f"cannot join the Ray cluster at {address!r}: {exc}") from None
        started = True
    try:
        yield float(ray.cluster_resources().get("CPU", 1.0))
    finally:
        if started:
            ray.shutdown()


def groups_of(files: Sequence[Path], size: int) -> list[list[Path]]:
    """`files` in consecutive groups of at most `size`."""
    return [list(files[i : i + size]) for i in range(0, len(files), size)]

"""`neo4j-admin database import full`: a vocabulary's import files into an empty database.

The import writes store files directly, so it runs while the database is stopped; the schema
(constraints, full-text and vector indexes) comes afterwards, from the first connection
(`graph/schema.py`), as for any new database. For neo4j-local the tool runs from neo4j-local's
own jars; for a user's own server it is that server's `neo4j-admin`.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from medgraphrag.core.errors import Conflict, ServerError
from medgraphrag.core.processes import log_tail
from medgraphrag.core.progress import ProgressCallback, ProgressEvent, ignore_progress
from medgraphrag.graph.connection import Connection
from medgraphrag.graph.import_csv import ImportFiles
from medgraphrag.graph.inventory import Inventory
from medgraphrag.graph.server import LocalNeo4j
from medgraphrag.graph.vocabulary import VocabularyLoad

# neo4j-admin reports each stage's progress as lines of dots ending in a percentage.
_PERCENT = re.compile(r"\s(\d{1,3})%")
_STAGE = re.compile(r"^\(\d+/\d+\)\s+(.+?)\s*$")
IMPORT_HEAP = "2g"


@dataclass(frozen=True)
class BulkLoad:
    """A bulk vocabulary load: what it holds, where its import files are (None once removed), the
    import command, and whether it has run (else: run it while the database is stopped)."""

    load: VocabularyLoad
    import_dir: Path | None
    command: str
    imported: bool


@dataclass(frozen=True)
class ImportRun:
    """A finished `neo4j-admin database import full`: its command and log."""

    command: list[str]
    log: Path

    @property
    def shell(self) -> str:
        """The command as one shell line."""
        return shlex.join(self.command)


def refuse_occupied(connection: Connection) -> None:
    """`Conflict` naming the database when it holds anything but the embedding-model record: a
    bulk import replaces the whole database, so it only goes into an empty one."""
    inventory = Inventory(connection)
    if inventory.occupied():
        held = ", ".join(f"{n:,} {label}" for label, n in inventory.label_counts().items() if n and label != "Marker")
        raise Conflict(
            f"database {connection.database} is not empty ({held or 'it holds nodes'}): a bulk load replaces the "
            "whole database and goes only into an empty one; load without --bulk to add to it, or set "
            "NEO4J_DATABASE (or MEDGRAPH_DATA_DIR for neo4j-local) to an empty database"
        )


def import_command(admin: list[str], files: ImportFiles, database: str, *, overwrite: bool) -> list[str]:
    """`admin` (a `neo4j-admin` command line) with the arguments that import `files` into `database`."""
    return [
        *admin,
        "database",
        "import",
        "full",
        *files.arguments(),
        *(["--overwrite-destination=true"] if overwrite else []),
        database,
    ]


def own_server_admin(neo4j_home: Path | None) -> list[str]:
    """The `neo4j-admin` of a user's own server: under `neo4j_home/bin`, else the one on PATH."""
    if neo4j_home is not None:
        return [str(Path(neo4j_home) / "bin" / "neo4j-admin")]
    return [shutil.which("neo4j-admin") or "neo4j-admin"]


def run_import(
    command: list[str],
    *,
    log: Path,
    database: str,
    neo4j_home: Path | None = None,
    on_progress: ProgressCallback | None = None,
) -> ImportRun:
    """Run an import `command` (with NEO4J_HOME set to `neo4j_home`), its output going to `log`;
    `ServerError` with the log's tail when it fails."""
    notify = on_progress or ignore_progress
    env = dict(os.environ)
    if neo4j_home is not None:
        env["NEO4J_HOME"] = str(neo4j_home)
        env.pop("NEO4J_CONF", None)
    log.parent.mkdir(parents=True, exist_ok=True)
    stage = "import"
    try:
        with log.open("w", encoding="utf-8") as out:
            process = subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                text=True,
                errors="replace",
            )
            assert process.stdout is not None
            for line in process.stdout:
                out.write(line)
                if named := _STAGE.match(line):
                    stage = f"import: {named.group(1).lower()}"
                    notify(ProgressEvent(stage, 0, 100))
                elif percent := _PERCENT.search(line):
                    notify(ProgressEvent(stage, int(percent.group(1)), 100))
            code = process.wait()
    except FileNotFoundError as error:
        raise ServerError(f"cannot run {command[0]}: {error}") from error
    if code != 0:
        raise ServerError(
            f"neo4j-admin database import into {database} failed (exit {code}); log {log}:\n{log_tail(log)}"
        )
    return ImportRun(command=command, log=log)


def import_local(
    local: LocalNeo4j,
    files: ImportFiles,
    *,
    home: Path,
    database: str,
    overwrite: bool,
    heap: str = IMPORT_HEAP,
    on_progress: ProgressCallback | None = None,
) -> ImportRun:
    """Import `files` into `database` of the stopped neo4j-local whose NEO4J_HOME is `home`; with
    `overwrite`, an existing (empty) database there is replaced."""
    home.mkdir(parents=True, exist_ok=True)
    command = import_command(local.admin_command(heap), files, database, overwrite=overwrite)
    return run_import(
        command, log=files.folder / "import.log", database=database, neo4j_home=home, on_progress=on_progress
    )

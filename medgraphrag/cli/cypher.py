"""`medgraph cypher`: explore the graph with read-only Cypher (saved queries, your own, a shell)."""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from medgraphrag.cli.output import print_cypher_result, print_saved_queries
from medgraphrag.cli.session import console, errors, service, settings
from medgraphrag.cli.text import shown
from medgraphrag.core.errors import CypherRefused, MedGraphError
from medgraphrag.service import MedGraph

app = typer.Typer(
    help="Explore the graph with read-only Cypher: saved queries, your own, a shell.", no_args_is_help=True
)

ParamOption = Annotated[list[str] | None, typer.Option("--param", "-p", help="NAME=VALUE (repeat for several)")]
JsonOption = Annotated[bool, typer.Option("--json", help="print columns, rows, truncated and milliseconds as JSON")]
QUIT = (":q", ":quit", ":exit")


@app.command("list")
def list_queries() -> None:
    """The saved queries: their names, what each shows and its parameters."""
    with service() as medgraph:
        print_saved_queries(medgraph.saved_queries())


@app.command("run")
def run(
    name: Annotated[str, typer.Argument(help="a saved query (see `medgraph cypher list`)")],
    param: ParamOption = None,
    as_json: JsonOption = False,
) -> None:
    """Run a saved query; values are converted to the parameter types it declares."""
    with service() as medgraph:
        result = medgraph.run_saved_query(name, _assignments(param or []))
    print_cypher_result(result, as_json=as_json)


@app.command("query")
def query(
    text: Annotated[str, typer.Argument(help="a read-only Cypher query, parameters as $name")],
    param: ParamOption = None,
    as_json: JsonOption = False,
) -> None:
    """Run your own Cypher, read-only, time-limited (MEDGRAPH_CYPHER_TIMEOUT_S) and row-capped
    (MEDGRAPH_CYPHER_MAX_ROWS). Parameter values are read as JSON where they parse (5, true,
    ["a", "b"]), else as strings."""
    with service() as medgraph:
        parameters = {key: _json_or_string(value) for key, value in _assignments(param or []).items()}
        result = medgraph.run_cypher(text, parameters)
    print_cypher_result(result, as_json=as_json)


@app.command("shell")
def shell() -> None:
    """An interactive read-only Cypher prompt, one query per line: `:saved` lists the saved
    queries, `:run NAME k=v ...` runs one, `:q` (or end of input) quits."""
    configured = settings()
    with MedGraph(configured) as medgraph:
        health = medgraph.health()
        save_history = _line_editing(configured.paths.data_dir / "cypher_history")
        console.print(
            f"Neo4j {shown(health.neo4j)}, database {shown(medgraph.database)}, read-only. "
            "One query per line; :saved lists saved queries, :run NAME k=v runs one, :q quits."
        )
        try:
            while (line := _prompt()) not in QUIT:
                try:
                    _shell_line(medgraph, line)
                # ValueError: unbalanced quotes in a :run line.
                except (MedGraphError, ValueError) as exc:
                    errors.print(f"[bold red]error:[/] {shown(str(exc))}", soft_wrap=True)
        finally:
            save_history()


def _prompt() -> str:
    """The next line typed at the shell's prompt, stripped; `:q` at end of input."""
    while True:
        try:
            return input("cypher> ").strip()
        except EOFError:
            console.print()
            return QUIT[0]
        except KeyboardInterrupt:
            # Ctrl-C drops the line being typed, as in other shells.
            console.print()


def _shell_line(medgraph: MedGraph, line: str) -> None:
    """Carry out one line of the Cypher shell."""
    if not line:
        return
    if line == ":saved":
        print_saved_queries(medgraph.saved_queries())
    elif line == ":run" or line.startswith(":run "):
        words = shlex.split(line.removeprefix(":run"))
        if not words:
            raise CypherRefused("usage: :run NAME [k=v ...]")
        print_cypher_result(medgraph.run_saved_query(words[0], _assignments(words[1:])), as_json=False)
    elif line.startswith(":"):
        raise CypherRefused(f"unknown command {line.split()[0]}: use :saved, :run NAME k=v, or :q")
    else:
        print_cypher_result(medgraph.run_cypher(line.removesuffix(";")), as_json=False)


def _line_editing(history: Path) -> Callable[[], None]:
    """Line editing and a kept history for input() where readline exists; returns what saves it."""
    try:
        import readline
    except ImportError:  # Windows has no readline; plain input() still works.
        return lambda: None
    history.parent.mkdir(parents=True, exist_ok=True)
    if history.is_file():
        readline.read_history_file(history)
    readline.set_history_length(1000)
    return lambda: readline.write_history_file(history)


def _assignments(items: list[str]) -> dict[str, str]:
    """NAME=VALUE items as a dict; `CypherRefused` for an item without a name or given twice."""
    values: dict[str, str] = {}
    for item in items:
        key, equals, value = item.partition("=")
        if not equals or not key.strip():
            raise CypherRefused(f"expected NAME=VALUE, got {item!r}")
        if key.strip() in values:
            raise CypherRefused(f"parameter {key.strip()} is given twice")
        values[key.strip()] = value
    return values


def _json_or_string(value: str) -> object:
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value

"""Robustness: hostile inputs, Cypher escapes, crashes and concurrency, against a real Neo4j.

    python -m bench.robustness [--workdir DIR] [--vocab DIR] [--large-mb 50] [--groups input cypher ...]
                               [--inputs NAME ...]
                               [--use-configured]

Every ingest runs as `medgraph ingest` in a process of its own (so it can be killed, and its peak
memory is its own), against a throwaway neo4j-local that first gets the open vocabulary of --vocab
(or NEO4J_URI's database with --use-configured: it is emptied of documents between cases).

Groups of cases:
  input        a hostile-input corpus generated here: empty, binary, wrong encodings, truncated and
               bomb PDFs, entity bombs and XXE, deep HTML, broken JSONL, odd file names, a 2 MB
               single paragraph, a 1.2 MB JSONL record, files over the size limit, 5 MB and
               --large-mb texts; each case beside a good file that must be ingested
  cypher       the escape table of bench/cypher_escapes.py through `medgraph cypher`, while
               another client holds a transaction with a secret parameter open
  crash        an ingest killed (SIGKILL) at several points, the last after its last commit, then
               rerun: everything must end complete, tags and tier links included
  concurrency  two ingests of one folder and a delete, at once
  api          the HTTP API: uploads known by name, uploads removed, header and URL limits, bad
               parameters, 404/405 bodies, Neo4j down, a bad key setting

Per case: handled as specified or not, documents lost, half-written documents, leaks (data of
another client or a file the input pointed at, or an escape that ran), peak memory of the ingest
process and seconds. A table, then one JSON line.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from neo4j import Driver

from bench.api import api_server
from bench.cypher_escapes import ESCAPES
from bench.report import print_report
from medgraphrag.core.ids import document_id
from medgraphrag.core.processes import free_port
from medgraphrag.core.settings import Settings, load_settings
from medgraphrag.graph.connection import open_driver
from medgraphrag.graph.server import scratch_local_server
from medgraphrag.graph.vocab.open_sources import DEFAULT_VOCAB_DIR
from medgraphrag.service import MedGraph

PASSWORD = "bench-password"
GROUPS = ("input", "cypher", "crash", "concurrency", "api")
SECRET = "SECRET-7f3a9c-do-not-store"
IN_FLIGHT = "chunk text of another client's ingest in flight 4c1d"
KEY_READ, KEY_INGEST = "bench-read-key-0123456789", "bench-ingest-key-0123456789"


@dataclass
class Case:
    """One case's outcome."""

    group: str
    name: str
    handled: bool = False
    lost: int = 0
    half_written: int = 0
    leaks: int = 0
    peak_rss_mb: float | None = None
    seconds: float = 0.0
    detail: str = ""


@dataclass
class Run:
    """A finished `medgraph` process."""

    rc: int
    stdout: str
    stderr: str
    seconds: float
    peak_rss_mb: float
    killed: bool = False

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    @property
    def clean(self) -> bool:
        """No traceback and no raw control character reached the terminal."""
        return "Traceback" not in self.output and "\x1b" not in self.output


@dataclass
class Bench:
    """What every case needs: the graph, the environment of `medgraph` processes, a scratch folder."""

    settings: Settings
    driver: Driver
    env: dict[str, str]
    work: Path
    large_mb: int
    inputs: tuple[str, ...] = ()  # input cases whose name contains one of these (none: all)
    cases: list[Case] = field(default_factory=list)

    def medgraph(
        self,
        *args: str,
        env: dict[str, str] | None = None,
        kill_when: Callable[[], bool] | None = None,
        timeout_s: float = 4 * 3600,
    ) -> Run:
        """Run `medgraph ARGS` to its end (or until `kill_when` holds: then SIGKILL), with its peak RSS."""
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            started = time.perf_counter()
            process = subprocess.Popen(
                [sys.executable, "-m", "medgraphrag", *args],
                env={**self.env, **(env or {})},
                stdout=out,
                stderr=err,
                cwd=self.work,
            )
            killed = False
            while True:
                pid, status, usage = os.wait4(process.pid, os.WNOHANG)
                if pid:
                    break
                if not killed and (
                    (kill_when is not None and kill_when()) or time.perf_counter() - started > timeout_s
                ):
                    os.kill(process.pid, signal.SIGKILL)
                    killed = True
                time.sleep(0.02 if kill_when is not None else 0.2)
            process.returncode = os.waitstatus_to_exitcode(status)
            out.seek(0)
            err.seek(0)
            return Run(
                process.returncode,
                out.read().decode("utf-8", "replace"),
                err.read().decode("utf-8", "replace"),
                time.perf_counter() - started,
                usage.ru_maxrss / 1024,
                killed,
            )

    def count(self, query: str, **parameters: object) -> int:
        """The single number `query` returns."""
        records, _, _ = self.driver.execute_query(query, parameters, database_=self.settings.neo4j.database)
        return int(records[0][0]) if records else 0

    def clear(self) -> None:
        """Remove everything but the vocabulary."""
        with self.driver.session(database=self.settings.neo4j.database) as session:
            session.run(
                "MATCH (n) WHERE NOT n:Concept AND NOT n:VocabularySource "
                "CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 5000 ROWS"
            ).consume()

    def audit(self) -> dict[str, int]:
        """What must be zero after any run that ended: documents not whole, hidden or stray content,
        orphans, untagged meta-graphs, post-write work left pending, duplicate documents."""
        return {name: self.count(query) for name, query in AUDIT.items()}

    def documents(self, folder: Path) -> dict[str, int]:
        """Stored documents under `folder`: source -> how many (a JSONL file holds one a line)."""
        records, _, _ = self.driver.execute_query(
            "MATCH (d:Document) WHERE d.source STARTS WITH $folder RETURN d.source AS source, count(d) AS n",
            folder=str(folder.resolve()),
            database_=self.settings.neo4j.database,
        )
        return {r["source"]: int(r["n"]) for r in records}

    def complete(self, path: Path, text: str) -> bool:
        """Whether the document of `path` holds all of `text`: chunks in order, exact, and nothing but
        white space between them or at either end."""
        records, _, _ = self.driver.execute_query(
            "MATCH (:Document {doc_id: $doc_id})-[h:HAS_CHUNK]->(c:Chunk) "
            "RETURN c.start AS start, c.end AS end, size(c.text) AS size ORDER BY h.ord",
            doc_id=document_id(path),
            database_=self.settings.neo4j.database,
        )
        position = 0
        for r in records:
            if text[position : r["start"]].strip() or r["end"] - r["start"] != r["size"]:
                return False
            position = r["end"]
        return bool(records) and not text[position:].strip()


AUDIT = {
    "half_written": """
        MATCH (d:Document)
        OPTIONAL MATCH (d)-[h:HAS_CHUNK]->(c:Chunk)
        WITH d, count(c) AS n, min(h.ord) AS low, max(h.ord) AS high,
             count(CASE WHEN c.state IS NOT NULL THEN 1 END) AS hidden
        WHERE n = 0 OR low <> 0 OR high <> n - 1 OR hidden > 0 OR n <> coalesce(d.chunk_count, n)
        RETURN count(d)""",
    "broken_next": """
        MATCH (d:Document)-[:HAS_CHUNK]->(c:Chunk)
        WITH d, count(c) AS n
        WHERE COUNT { (d)-[:HAS_CHUNK]->(:Chunk)-[:NEXT]->(:Chunk)<-[:HAS_CHUNK]-(d) } <> n - 1
        RETURN count(d)""",
    "hidden_chunks": "MATCH (c:Chunk) WHERE c.state IS NOT NULL RETURN count(c)",
    "stray_chunks": "MATCH (c:Chunk) WHERE c.state IS NULL AND NOT (:Document)-[:HAS_CHUNK]->(c) RETURN count(c)",
    "orphan_graphs": "MATCH (g:MetaGraph) WHERE NOT (g)-[:FROM_CHUNK]->(:Chunk) RETURN count(g)",
    "orphan_entities": "MATCH (e:Entity) WHERE NOT ()-[:MENTIONS]->(e) RETURN count(e)",
    "untagged_graphs": "MATCH (g:MetaGraph) WHERE NOT (:Tag)-[:SUMMARIZES]->(g) RETURN count(g)",
    "post_write_pending": "OPTIONAL MATCH (m:Marker {name: 'writes'}) RETURN CASE WHEN m.pending THEN 1 ELSE 0 END",
    "same_as_pending": "MATCH (e:Entity) WHERE e.same_as_pending RETURN count(e)",
    "duplicate_documents": """
        MATCH (d:Document) WITH d.source AS source, d.external_id AS unit, count(*) AS n WHERE n > 1
        RETURN count(*)""",
}


# Inputs ---------------------------------------------------------------------------------------

SENTENCES = (
    "Patient {i} reported chest pain and fever on day {d}.",
    "Amoxicillin was started for community-acquired pneumonia at visit {i}.",
    "There was no evidence of myocardial infarction; troponin stayed normal on review {i}.",
    "The cough improved by week {w}, and the asthma remained controlled.",
    "Blood pressure was {s} over {t} mmHg with metformin continued for type 2 diabetes.",
    "Possible urinary tract infection was considered, and nitrofurantoin was prescribed for {d} days.",
    "Headache and nausea resolved after hydration; migraine was thought unlikely in case {i}.",
    "Follow-up {i} found stable chronic kidney disease and anemia under treatment.",
)


def clinical_text(chars: int, *, seed: int = 0, paragraph_sentences: int = 5) -> str:
    """About `chars` characters of clinical prose in paragraphs (0 sentences per paragraph: one
    paragraph with no line break at all)."""
    rng = random.Random(seed)
    parts: list[str] = []
    size = 0
    i = 0
    while size < chars:
        sentence = rng.choice(SENTENCES).format(
            i=i, d=rng.randint(1, 30), w=rng.randint(1, 12), s=rng.randint(100, 160), t=rng.randint(60, 100)
        )
        i += 1
        joiner = "\n\n" if paragraph_sentences and i % paragraph_sentences == 0 else " "
        parts.append(sentence + joiner)
        size += len(sentence) + len(joiner)
    return "".join(parts)


def pdf(page_texts: Sequence[str]) -> bytes:
    """A PDF with one page of text per entry (Helvetica, a line per 90 characters)."""
    objects: list[bytes] = []
    kids = []
    for number, text in enumerate(page_texts):
        lines = [text[i : i + 90] for i in range(0, len(text), 90)][:60]
        body = "BT /F1 10 Tf 40 800 Td 12 TL " + " ".join(f"({_pdf_escape(line)}) '" for line in lines) + " ET"
        content = zlib.compress(body.encode("latin-1", "replace"))
        page_id, content_id = 4 + 2 * number, 5 + 2 * number
        kids.append(f"{page_id} 0 R")
        objects.append(
            f"{page_id} 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents {content_id} 0 R "
            f"/Resources << /Font << /F1 3 0 R >> >> >> endobj\n".encode()
        )
        objects.append(
            f"{content_id} 0 obj << /Length {len(content)} /Filter /FlateDecode >> stream\n".encode()
            + content
            + b"\nendstream endobj\n"
        )
    head = [
        b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n",
        f"2 0 obj << /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >> endobj\n".encode(),
        b"3 0 obj << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> endobj\n",
    ]
    return _pdf_file(head + objects)


def pdf_bomb(expanded_mb: int) -> bytes:
    """A one-page PDF whose content stream is a few MB compressed and `expanded_mb` MB expanded."""
    line = b"BT /F1 10 Tf 40 800 Td (fever cough pneumonia amoxicillin fever cough pneumonia) Tj ET\n"
    compressor = zlib.compressobj(9)
    block = line * (1_048_576 // len(line))
    stream = b"".join(compressor.compress(block) for _ in range(expanded_mb)) + compressor.flush()
    return _pdf_file(
        [
            b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n",
            b"2 0 obj << /Type /Pages /Kids [4 0 R] /Count 1 >> endobj\n",
            b"3 0 obj << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> endobj\n",
            b"4 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 5 0 R "
            b"/Resources << /Font << /F1 3 0 R >> >> >> endobj\n",
            f"5 0 obj << /Length {len(stream)} /Filter /FlateDecode >> stream\n".encode()
            + stream
            + b"\nendstream endobj\n",
        ]
    )


def _pdf_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _pdf_file(objects: Sequence[bytes]) -> bytes:
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for obj in objects:
        offsets.append(out.tell())
        out.write(obj)
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer << /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def medquad(body: str, *, doctype: str = "") -> str:
    """A MedQuAD XML document with one question whose answer is `body` (after an optional DOCTYPE)."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        + doctype
        + '<Document id="0000001" source="GHR" url="https://example.org/x">\n<Focus>Fever</Focus>\n<QAPairs>\n'
        + '<QAPair pid="1"><Question qid="0000001-1" qtype="information">What is fever?</Question>\n'
        + f"<Answer>{body}</Answer></QAPair>\n</QAPairs>\n</Document>\n"
    )


@dataclass
class InputCase:
    """A hostile file (or a few) beside a good one: what each must become."""

    name: str
    files: dict[str, bytes]
    stored: dict[str, int] = field(default_factory=dict)  # file -> documents it must give
    refused: tuple[str, ...] = ()  # files that must be reported, by name, and store nothing
    either: tuple[str, ...] = ()  # files that may be stored or refused, but cleanly
    complete: tuple[str, ...] = ()  # stored files whose whole text must be in the graph
    env: dict[str, str] = field(default_factory=dict)
    secret_file: bool = False


def input_cases(large_mb: int) -> list[InputCase]:
    """The hostile-input corpus."""
    note = clinical_text(3_000, seed=1).encode()
    paragraph_2mb = clinical_text(2_000_000, seed=2, paragraph_sentences=0).encode()
    record = clinical_text(1_200_000, seed=3, paragraph_sentences=0)
    deep = "<div>" * 100_000 + "<p>Fever and cough treated with amoxicillin.</p>" + "</div>" * 100_000
    jsonl = "\n".join(
        [
            json.dumps({"id": "good-1", "title": "One", "text": "Fever and cough; amoxicillin started."}),
            '{"id": "broken", "text": "no closing brace"',
            json.dumps({"id": "no-text"}),
            "[1, 2, 3]",
            json.dumps({"id": "good-2", "title": "Two", "text": "Chest pain; troponin normal."}),
            "\x00\x01\x02",
        ]
    )
    laughs = (
        '<!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">' for i in range(1, 10))
        + "]>\n"
    )
    valid_pdf = pdf([clinical_text(2_000, seed=4), clinical_text(2_000, seed=5)])
    cases = [
        InputCase("empty file", {"empty.txt": b""}, refused=("empty.txt",)),
        InputCase("blank file", {"blank.md": b"  \n\n\t\n"}, refused=("blank.md",)),
        InputCase("binary named .txt", {"image.txt": os.urandom(4096)}, refused=("image.txt",)),
        InputCase("NUL bytes in UTF-8", {"nul.txt": b"fever\x00\x00\x00cough" * 50}, refused=("nul.txt",)),
        InputCase(
            "Latin-1 text", {"latin1.txt": "Fièvre et toux; amoxicilline.".encode("latin-1")}, refused=("latin1.txt",)
        ),
        InputCase(
            "UTF-16 with BOM",
            {"utf16.txt": "Fever and cough; amoxicillin.\n".encode("utf-16")},
            stored={"utf16.txt": 1},
        ),
        InputCase("truncated PDF", {"truncated.pdf": valid_pdf[: len(valid_pdf) // 2]}, either=("truncated.pdf",)),
        InputCase("PDF without a body", {"header.pdf": b"%PDF-1.7\n"}, refused=("header.pdf",)),
        InputCase("PDF bomb (1 GB expanded)", {"bomb.pdf": pdf_bomb(1024)}, refused=("bomb.pdf",)),
        InputCase("valid PDF", {"valid.pdf": valid_pdf}, stored={"valid.pdf": 1}),
        InputCase(
            "XML entity bomb", {"laughs.xml": medquad("&lol9;", doctype=laughs).encode()}, refused=("laughs.xml",)
        ),
        InputCase(
            "XML external entity (XXE)",
            {"xxe.xml": medquad("&xxe;", doctype='<!DOCTYPE d [<!ENTITY xxe SYSTEM "file://SECRET">]>\n').encode()},
            refused=("xxe.xml",),
            secret_file=True,
        ),
        InputCase(
            "XML not MedQuAD", {"feed.xml": b"<rss><channel><title>x</title></channel></rss>"}, refused=("feed.xml",)
        ),
        InputCase("HTML nested 100,000 deep", {"deep.html": deep.encode()}, either=("deep.html",)),
        InputCase(
            "broken JSONL", {"broken.jsonl": jsonl.encode()}, stored={"broken.jsonl": 2}, refused=("broken.jsonl",)
        ),
        InputCase("JSON not PubMedQA", {"other.json": b'{"a": [1, 2, {"b": null}]}'}, refused=("other.json",)),
        InputCase(
            "2 MB single paragraph",
            {"paragraph.txt": paragraph_2mb},
            stored={"paragraph.txt": 1},
            complete=("paragraph.txt",),
        ),
        InputCase(
            "JSONL record of 1.2 M characters",
            {"record.jsonl": json.dumps({"id": "long", "title": "Long", "text": record}).encode()},
            stored={"record.jsonl": 1},
        ),
        InputCase(
            "document over MEDGRAPH_MAX_DOCUMENT_CHARS",
            {"over.txt": clinical_text(300_000, seed=6).encode()},
            refused=("over.txt",),
            env={"MEDGRAPH_MAX_DOCUMENT_CHARS": "200000"},
        ),
        InputCase(
            "odd file names",
            {
                "..dots.txt": note,
                "糖尿病.txt": "糖尿病 (diabetes mellitus) with fever.\n".encode(),
                "n" * 240 + ".txt": note,
                "\x1b[31mred\x1b]0;title\x07.txt": b"Title \x1b[2J with escapes: fever.\n",
                "notes.docx": b"PK\x03\x04 not supported",
                ".hidden.txt": note,
            },
            # "..dots.txt" is hidden (its name starts with a dot): skipped in a folder, like ".hidden.txt".
            stored={"糖尿病.txt": 1, "n" * 240 + ".txt": 1, "\x1b[31mred\x1b]0;title\x07.txt": 1},
            refused=("notes.docx",),
        ),
        InputCase(
            "5 MB text",
            {"text_5mb.txt": clinical_text(5_000_000, seed=7).encode()},
            stored={"text_5mb.txt": 1},
            complete=("text_5mb.txt",),
        ),
    ]
    if large_mb:
        name = f"text_{large_mb}mb.txt"
        cases.append(
            InputCase(
                f"{large_mb} MB text",
                {name: clinical_text(large_mb * 1_000_000, seed=8).encode()},
                stored={name: 1},
                complete=(name,),
            )
        )
    return cases


def run_inputs(bench: Bench, cases: Sequence[InputCase]) -> Iterator[Case]:
    """The small cases in one run (each in a folder of its own beside a good note, as a user's
    collection would hold them: one bad file must not sink the others), the large ones alone;
    each case as soon as it is judged."""
    small = [c for c in cases if not c.env and not c.complete and sum(map(len, c.files.values())) < 1_000_000]
    if small:
        bench.clear()
        root = bench.work / "input" / "together"
        shutil.rmtree(root, ignore_errors=True)
        folders = [_write_case(bench, root / _folder_name(c), c) for c in small]
        run = bench.medgraph("ingest", str(root))
        yield from [_judge(bench, c, folder, run, shared=True) for c, folder in zip(small, folders)]
    for case in cases:
        if case not in small:
            bench.clear()
            folder = _write_case(bench, bench.work / "input" / _folder_name(case), case)
            yield _judge(bench, case, folder, bench.medgraph("ingest", str(folder), env=case.env))


def _folder_name(case: InputCase) -> str:
    return case.name.replace(" ", "_").replace("/", "_")


def _write_case(bench: Bench, folder: Path, case: InputCase) -> Path:
    """The case's files in `folder`, with a good note beside them."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    files = dict(case.files)
    if case.secret_file:
        secret = bench.work / "secret.txt"
        secret.write_text(SECRET, encoding="utf-8")
        files = {n: d.replace(b"file://SECRET", secret.resolve().as_uri().encode()) for n, d in files.items()}
    for name, data in files.items():
        (folder / name).write_bytes(data)
    (folder / "control.txt").write_text(clinical_text(1_500, seed=99), encoding="utf-8")
    return folder


def _judge(bench: Bench, case: InputCase, folder: Path, run: Run, *, shared: bool = False) -> Case:
    """Whether the run handled the case's files as specified. In a shared run the exit status is
    the run's (1: some file was refused), and time and memory are the whole run's."""
    files = case.files
    stored = bench.documents(folder)
    by_file: dict[str, int] = {}
    for source, count in stored.items():
        name = Path(source).name
        by_file[name] = by_file.get(name, 0) + count
    problems = []
    lost = 0 if by_file.get("control.txt") == 1 else 1
    if lost:
        problems.append("the good file beside it was not stored")
    for name, count in case.stored.items():
        if by_file.get(name, 0) != count:
            lost += max(0, count - by_file.get(name, 0))
            problems.append(f"{name!r}: {by_file.get(name, 0)} of {count} documents stored")
    for name in case.complete:
        if not bench.complete(folder / name, (folder / name).read_text(encoding="utf-8")):
            lost += 1
            problems.append(f"{name!r} not stored whole")
    for name in case.refused:
        if name not in case.stored and by_file.get(name):
            problems.append(f"{name!r} stored, expected refused")
        shown = name.encode("unicode_escape").decode()[:60] if not name.isprintable() else name[:60]
        if shown not in run.stderr and name not in run.stderr:
            problems.append(f"{name!r} not reported by name")
    hidden = [n for n in files if n.startswith(".")]
    if any(h in run.output or by_file.get(h) for h in hidden):
        problems.append("a hidden file in a folder was reported or stored")
    expected_rc = 1 if case.refused or shared else 0
    if case.either and not shared:
        expected_rc = run.rc if run.rc in (0, 1) else -1
    if run.rc != expected_rc:
        problems.append(f"exit status {run.rc}, expected {expected_rc}")
    if not run.clean:
        problems.append("traceback or raw control character in the output")
    leaks = bench.count("MATCH (c:Chunk) WHERE c.text CONTAINS $secret RETURN count(c)", secret=SECRET)
    leaks += bench.count("MATCH (d:Document) WHERE d.title CONTAINS $secret RETURN count(d)", secret=SECRET)
    audit = bench.audit()
    half = audit["half_written"] + audit["broken_next"]
    problems += [f"{k}={v}" for k, v in audit.items() if v and k not in ("half_written", "broken_next")]
    if half:
        problems.append(f"{half} half-written documents")
    return Case(
        "input",
        case.name,
        handled=not problems and not leaks,
        lost=lost,
        half_written=half,
        leaks=leaks,
        peak_rss_mb=run.peak_rss_mb,
        seconds=run.seconds,
        detail="; ".join(problems) or f"exit {run.rc}",
    )


# Cypher ---------------------------------------------------------------------------------------


@contextlib.contextmanager
def another_client(bench: Bench) -> Iterator[None]:
    """Another client's open transaction, its query holding a secret parameter."""
    with bench.driver.session(database=bench.settings.neo4j.database) as session:
        transaction = session.begin_transaction(metadata={"app": "ingest"})
        transaction.run("MATCH (c:Chunk) WHERE c.text = $text RETURN count(c)", text=IN_FLIGHT).consume()
        try:
            yield
        finally:
            transaction.rollback()


def run_cypher_escapes(bench: Bench) -> list[Case]:
    """Each escape through the service a read key reaches (as `medgraph cypher` and the API do)."""
    cases = []
    state = _schema_state(bench)
    with MedGraph(bench.settings) as service, another_client(bench):
        for escape in ESCAPES:
            started = time.perf_counter()
            try:
                result = service.run_cypher(escape.query, escape.parameters)
                handled, leaks, detail = False, 1, f"ran: {len(result.rows)} rows"
                leaks += IN_FLIGHT in json.dumps(result.rows, default=str)
            except Exception as exc:
                message = str(exc)
                leaks = int(IN_FLIGHT in message)
                handled = exc.__class__.__name__ == "CypherRefused" and (
                    escape.reason is None or escape.reason in message
                )
                detail = message[:90]
            cases.append(
                Case(
                    "cypher",
                    escape.name,
                    handled=handled and not leaks,
                    leaks=leaks,
                    seconds=time.perf_counter() - started,
                    detail=detail,
                )
            )
    changed = _schema_state(bench) != state
    if changed:
        cases.append(Case("cypher", "graph unchanged by the escapes", handled=False, detail="the graph changed"))
    else:
        cases.append(
            Case("cypher", "graph unchanged by the escapes", handled=True, detail="same nodes, relationships, schema")
        )
    return cases


def _schema_state(bench: Bench) -> tuple[int, int, str]:
    nodes = bench.count("MATCH (n) RETURN count(n)")
    relationships = bench.count("MATCH ()-[r]->() RETURN count(r)")
    records, _, _ = bench.driver.execute_query(
        "SHOW INDEXES YIELD name RETURN collect(name) AS names", database_=bench.settings.neo4j.database
    )
    return nodes, relationships, ",".join(sorted(records[0]["names"]))


# Crashes and concurrency ----------------------------------------------------------------------


def crash_corpus(folder: Path, notes: int = 80) -> dict[Path, str]:
    """Short notes and one long text (written in parts), in `folder`."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    texts = {folder / f"note_{i:03d}.txt": clinical_text(1_200, seed=100 + i) for i in range(notes)}
    texts[folder / "long.txt"] = clinical_text(600_000, seed=7)
    for path, text in texts.items():
        path.write_text(text, encoding="utf-8")
    return texts


# Small batches: many commits to kill between, a long text in several parts.
CRASH_ENV = {"MEDGRAPH_INGEST_BATCH_DOCUMENTS": "8", "MEDGRAPH_INGEST_BATCH_CHARS": "100000"}


def run_crashes(bench: Bench) -> list[Case]:
    """Kill an ingest at several points, then rerun it: every document whole, post-write done."""
    folder = bench.work / "crash"
    points: list[tuple[str, Callable[[int], bool]]] = [
        (
            "after the first batch commits",
            lambda total: 0 < bench.count("MATCH (d:Document) RETURN count(d)") < total - 1,
        ),
        (
            "while a long text is staged",
            lambda total: bench.count("MATCH (c:Chunk {state: 'staged'}) RETURN count(c)") > 0,
        ),
        (
            "after the last commit (tier links and tags pending)",
            lambda total: (
                bench.count("MATCH (d:Document) RETURN count(d)") == total
                and bench.count("MATCH (m:Marker {name: 'writes'}) WHERE m.pending RETURN count(m)") == 1
            ),
        ),
        (
            "while the tag tree is built",
            lambda total: bench.count("MATCH (t:TagTree) WHERE t.rebuilding IS NOT NULL RETURN count(t)") > 0,
        ),
    ]
    cases = []
    for name, point in points:
        bench.clear()
        texts = crash_corpus(folder)
        total = len(texts)
        killed = bench.medgraph("ingest", str(folder), env=CRASH_ENV, kill_when=lambda p=point, t=total: p(t))
        rerun = bench.medgraph("ingest", str(folder), env=CRASH_ENV)
        stored = bench.documents(folder)
        lost = sum(1 for path in texts if str(path.resolve()) not in stored)
        lost += sum(
            1 for path, text in texts.items() if str(path.resolve()) in stored and not bench.complete(path, text)
        )
        audit = bench.audit()
        half = audit["half_written"] + audit["broken_next"]
        problems = [f"{k}={v}" for k, v in audit.items() if v and k not in ("half_written", "broken_next")]
        if not killed.killed:
            problems.append("the run ended before the kill point")
        if rerun.rc != 0 or not rerun.clean:
            problems.append(f"rerun exit {rerun.rc}: {rerun.stderr.strip()[-200:]}")
        cases.append(
            Case(
                "crash",
                f"killed {name}",
                handled=not problems and not lost and not half,
                lost=lost,
                half_written=half,
                peak_rss_mb=max(killed.peak_rss_mb, rerun.peak_rss_mb),
                seconds=killed.seconds + rerun.seconds,
                detail="; ".join(problems) or f"killed at {killed.seconds:.0f} s; rerun {rerun.seconds:.0f} s",
            )
        )
    return cases


def run_concurrency(bench: Bench) -> list[Case]:
    """Two ingests of one folder and a delete of one of its documents, at once."""
    bench.clear()
    folder = bench.work / "concurrent"
    texts = crash_corpus(folder, notes=40)
    doomed = folder / "note_005.txt"
    runs: dict[str, Run] = {}

    def ingest(name: str) -> None:
        runs[name] = bench.medgraph("ingest", str(folder), env=CRASH_ENV)

    def delete() -> None:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and not bench.count(
            "MATCH (d:Document {doc_id: $id}) RETURN count(d)", id=document_id(doomed)
        ):
            time.sleep(0.1)
        runs["delete"] = bench.medgraph("documents", "delete", document_id(doomed))

    threads = [
        threading.Thread(target=ingest, args=("a",)),
        threading.Thread(target=ingest, args=("b",)),
        threading.Thread(target=delete),
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    problems = [
        f"{name}: exit {run.rc}: {run.stderr.strip()[-200:]}"
        for name, run in runs.items()
        if run.rc != 0 or not run.clean
    ]
    stored = bench.documents(folder)
    expected = [p for p in texts if p != doomed]
    lost = sum(1 for p in expected if str(p.resolve()) not in stored)
    lost += sum(1 for p in expected if str(p.resolve()) in stored and not bench.complete(p, texts[p]))
    audit = bench.audit()
    half = audit["half_written"] + audit["broken_next"]
    problems += [f"{k}={v}" for k, v in audit.items() if v and k not in ("half_written", "broken_next")]
    # The delete may come before either run stores the document again: then it is back, whole.
    again = bench.medgraph("ingest", str(folder), env=CRASH_ENV)
    if again.rc != 0 or str(doomed.resolve()) not in bench.documents(folder):
        problems.append("a rerun did not restore the deleted document")
    return [
        Case(
            "concurrency",
            "two ingests of one folder and a delete",
            handled=not problems and not lost and not half,
            lost=lost,
            half_written=half,
            peak_rss_mb=max(r.peak_rss_mb for r in runs.values()),
            seconds=seconds,
            detail="; ".join(problems) or "all exited 0",
        )
    ]


# The HTTP API ---------------------------------------------------------------------------------


def run_api(bench: Bench) -> list[Case]:
    """The API's identity of uploads, their removal, its limits and its error bodies."""
    bench.clear()
    data_dir = bench.work / "api-data"
    shutil.rmtree(data_dir, ignore_errors=True)
    keys = json.dumps(
        [
            {"name": "reader", "sha256": hashlib.sha256(KEY_READ.encode()).hexdigest(), "scopes": ["read"]},
            {
                "name": "ingester",
                "sha256": hashlib.sha256(KEY_INGEST.encode()).hexdigest(),
                "scopes": ["read", "ingest"],
            },
        ]
    )
    env = {**bench.env, "MEDGRAPH_API_KEYS": keys}
    cases: list[Case] = []

    def case(name: str, check: Callable[[], str | None]) -> None:
        started = time.perf_counter()
        try:
            problem = check()
        except Exception as exc:
            problem = f"{exc.__class__.__name__}: {exc}"
        cases.append(
            Case(
                "api",
                name,
                handled=problem is None,
                seconds=time.perf_counter() - started,
                detail=problem or "as documented",
            )
        )

    with api_server(env, data_dir, workers=1) as url, httpx.Client(base_url=url, timeout=120) as http:
        ingest_headers = {"Authorization": f"Bearer {KEY_INGEST}"}
        read_headers = {"Authorization": f"Bearer {KEY_READ}"}

        def upload(name: str, content: bytes) -> dict[str, object]:
            response = http.post("/v1/documents", headers=ingest_headers, files={"file": (name, content, "text/plain")})
            if response.status_code != 202:
                raise RuntimeError(f"upload {name!r}: {response.status_code} {response.text[:200]}")
            return wait_job(http, response.json()["job_id"], ingest_headers)

        def by_source(name: str) -> list[dict[str, object]]:
            listing = http.get("/v1/documents", headers=read_headers, params={"limit": 1000}).json()
            return [d for d in listing if d["source"].endswith(name)]

        def uploads_left() -> list[Path]:
            return [p for p in data_dir.rglob("*") if p.is_file() and "upload" in str(p.relative_to(data_dir))]

        note = clinical_text(1_500, seed=11).encode()

        def reupload() -> str | None:
            upload("visit.txt", note)
            job = upload("visit.txt", note)
            if len(by_source("visit.txt")) != 1 or job["report"]["documents_unchanged"] != 1:
                return f"{len(by_source('visit.txt'))} documents after the same upload twice"
            upload("visit.txt", note + b"\nFollow-up: cough resolved.\n")
            found = by_source("visit.txt")
            return None if len(found) == 1 else f"{len(found)} documents after a changed upload"

        def json_identity() -> str | None:
            for text in ("Fever and cough.", "Fever and cough.", "Fever, cough and rash."):
                response = http.post(
                    "/v1/documents/json",
                    headers=ingest_headers,
                    json={"documents": [{"id": "case-17", "title": "Case 17", "text": text}]},
                )
                if response.status_code != 202:
                    return f"{response.status_code} {response.text[:200]}"
                wait_job(http, response.json()["job_id"], ingest_headers)
            records = bench.count("MATCH (d:Document) WHERE d.external_id = 'case-17' RETURN count(d)")
            return None if records == 1 else f"{records} documents for one JSON id"

        def removed() -> str | None:
            left = uploads_left()
            if left:
                return f"{len(left)} uploaded files left after their jobs"
            (doc,) = by_source("visit.txt")
            response = http.delete(f"/v1/documents/{doc['doc_id']}", headers=ingest_headers)
            if response.status_code not in (200, 204):
                return f"delete: {response.status_code}"
            left = uploads_left()
            return None if not left else f"{len(left)} files left after the delete"

        def names() -> str | None:
            problems = []
            for name in ("糖尿病.txt", "n" * 300 + ".txt", "..dots.txt"):
                response = http.post(
                    "/v1/documents", headers=ingest_headers, files={"file": (name, note, "text/plain")}
                )
                if response.status_code >= 500 or ("error" not in response.json() and response.status_code != 202):
                    problems.append(f"{name[:20]!r}: {response.status_code}")
                elif response.status_code == 202:
                    job = wait_job(http, response.json()["job_id"], ingest_headers)
                    if job["report"]["documents_written"] + job["report"]["documents_unchanged"] != 1:
                        problems.append(f"{name[:20]!r}: not stored ({job['report']['errors']})")
            return "; ".join(problems) or None

        def header_limit() -> str | None:
            response = http.get("/v1/documents", headers={"Authorization": "Bearer " + "x" * 50_000_000})
            return None if response.status_code == 431 and "error" in response.json() else f"{response.status_code}"

        def url_limit() -> str | None:
            response = http.get("/v1/documents?" + "q=" + "x" * 60_000, headers=read_headers)
            return None if response.status_code == 414 and "error" in response.json() else f"{response.status_code}"

        def bad_parameters() -> str | None:
            problems = []
            for parameters in (
                {"n": 10**30},
                {"deep": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]},
            ):
                response = http.post(
                    "/v1/cypher", headers=read_headers, json={"query": "RETURN 1 AS one", "parameters": parameters}
                )
                if response.status_code != 400 or "error" not in response.json():
                    problems.append(f"{next(iter(parameters))}: {response.status_code}")
            return "; ".join(problems) or None

        def error_bodies() -> str | None:
            missing = http.get("/v1/nothing-here", headers=read_headers)
            wrong = http.put("/v1/query", headers=read_headers)
            ok = (
                missing.status_code == 404
                and "error" in missing.json()
                and wrong.status_code == 405
                and "error" in wrong.json()
            )
            return None if ok else f"{missing.status_code} {missing.text[:80]} / {wrong.status_code} {wrong.text[:80]}"

        case("re-upload is a no-op, a change replaces", reupload)
        case("a JSON id posted again is the same document", json_identity)
        case("uploads removed after their job and on delete", removed)
        case("Unicode, 300-character and dotted upload names", names)
        case("a 50 MB Authorization header is refused (431)", header_limit)
        case("a 60 KB URL is refused (414)", url_limit)
        case("huge or deep Cypher parameters are 400", bad_parameters)
        case("404 and 405 answer {error: ...}", error_bodies)

    down_env = {**bench.env, "NEO4J_URI": f"bolt://127.0.0.1:{free_port()}", "MEDGRAPH_API_KEYS": keys}

    def neo4j_down() -> str | None:
        with api_server(down_env, data_dir, workers=1, ready_status=(503,)) as down:
            health = httpx.get(f"{down}/healthz", timeout=60)
            query = httpx.post(
                f"{down}/v1/retrieve",
                headers={"Authorization": f"Bearer {KEY_READ}"},
                json={"question": "fever?"},
                timeout=60,
            )
        ok = health.status_code == 503 and query.status_code == 503 and "error" in query.json()
        return None if ok else f"healthz {health.status_code}, retrieve {query.status_code} {query.text[:80]}"

    def bad_keys() -> str | None:
        run = bench.medgraph("serve", "--port", str(free_port()), env={"MEDGRAPH_API_KEYS": "not json"}, timeout_s=120)
        ok = run.rc == 2 and "MEDGRAPH_API_KEYS" in run.stderr and run.clean
        return None if ok else f"exit {run.rc}: {run.stderr.strip()[-160:]}"

    def cli_down() -> str | None:
        run = bench.medgraph("documents", "list", env={"NEO4J_URI": down_env["NEO4J_URI"]}, timeout_s=120)
        ok = run.rc != 0 and run.clean and "Neo4j" in run.stderr
        return None if ok else f"exit {run.rc}: {run.stderr.strip()[-160:]}"

    case("Neo4j down: 503 with a remedy", neo4j_down)
    case("Neo4j down: the CLI says so, no traceback", cli_down)
    case("MEDGRAPH_API_KEYS='not json' exits 2 with the reason", bad_keys)
    return cases


def wait_job(http: httpx.Client, job_id: str, headers: dict[str, str], timeout_s: float = 600) -> dict[str, object]:
    """The job once it is done (RuntimeError if it failed or took too long)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = http.get(f"/v1/jobs/{job_id}", headers=headers).json()
        if job["status"] == "done":
            return job
        if job["status"] == "failed":
            raise RuntimeError(f"job failed: {job.get('error')}")
        time.sleep(0.2)
    raise RuntimeError("job did not finish")


# Main -----------------------------------------------------------------------------------------


def run(bench: Bench, groups: Sequence[str]) -> None:
    """Run the groups' cases, printing each as it ends."""
    runners: dict[str, Callable[[Bench], list[Case]]] = {
        "cypher": run_cypher_escapes,
        "crash": run_crashes,
        "concurrency": run_concurrency,
        "api": run_api,
    }
    for group in groups:
        if group == "input":
            chosen = [
                c for c in input_cases(bench.large_mb) if not bench.inputs or any(n in c.name for n in bench.inputs)
            ]
            for result in run_inputs(bench, chosen):
                _report(bench, result)
        else:
            for result in runners[group](bench):
                _report(bench, result)


def _report(bench: Bench, case: Case) -> None:
    bench.cases.append(case)
    mark = "ok  " if case.handled else "FAIL"
    rss = f"{case.peak_rss_mb:,.0f} MB" if case.peak_rss_mb else "-"
    print(
        f"{mark} {case.group:<12} {case.name[:60]:<60} {case.seconds:8.1f} s {rss:>9}  {case.detail[:120]}", flush=True
    )


def main() -> None:
    """Run the cases; print the table and the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--workdir", type=Path, default=None, help="where the generated inputs go (default: a temporary folder)"
    )
    parser.add_argument("--vocab", type=Path, default=DEFAULT_VOCAB_DIR, help="open vocabulary data folder")
    parser.add_argument("--large-mb", type=int, default=50, help="size of the largest text in MB (0: leave it out)")
    parser.add_argument("--groups", nargs="+", choices=GROUPS, default=list(GROUPS))
    parser.add_argument("--inputs", nargs="+", default=[], help="only the input cases whose name contains one of these")
    parser.add_argument("--use-configured", action="store_true", help="use NEO4J_URI's database (emptied of documents)")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        work = args.workdir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="medgraph-robustness-")))
        work.mkdir(parents=True, exist_ok=True)
        if args.use_configured:
            settings = load_settings()
        else:
            uri = stack.enter_context(scratch_local_server(PASSWORD, heap="2g", pagecache_mb=512))
            settings = load_settings(neo4j={"uri": uri, "password": PASSWORD}, paths={"data_dir": work / "data"})
        driver = stack.enter_context(open_driver(settings.neo4j))
        env = {
            **os.environ,
            "NEO4J_URI": settings.neo4j.uri,
            "NEO4J_USERNAME": settings.neo4j.username,
            "NEO4J_PASSWORD": settings.neo4j.password.get_secret_value(),
            "NEO4J_DATABASE": settings.neo4j.database,
            "MEDGRAPH_DATA_DIR": str(work / "data"),
            "NO_COLOR": "1",
            "TERM": "dumb",
            "COLUMNS": "200",
        }
        bench = Bench(settings, driver, env, work, args.large_mb, tuple(args.inputs))
        bench.clear()
        vocabulary = bench.medgraph("vocab", "load", "open", str(args.vocab))
        if vocabulary.rc != 0:
            raise SystemExit(f"the open vocabulary did not load: {vocabulary.stderr[-500:]}")
        print(f"open vocabulary loaded in {vocabulary.seconds:.0f} s", flush=True)
        run(bench, args.groups)
    cases = bench.cases
    by_name = {c.name: c for c in cases}
    large = by_name.get(f"{args.large_mb} MB text")
    five = by_name.get("5 MB text")
    print_report(
        "robustness: each case handled as specified, nothing lost, half-written or leaked",
        ["group", "case", "handled", "lost", "half-written", "leaks", "peak RSS MB", "seconds", "detail"],
        [
            (
                c.group,
                c.name[:48],
                "yes" if c.handled else "NO",
                c.lost,
                c.half_written,
                c.leaks,
                round(c.peak_rss_mb) if c.peak_rss_mb else "-",
                round(c.seconds, 1),
                c.detail[:60],
            )
            for c in cases
        ],
        {
            "benchmark": "robustness",
            "cases": len(cases),
            "failed": sum(not c.handled for c in cases),
            "lost": sum(c.lost for c in cases),
            "half_written": sum(c.half_written for c in cases),
            "leaks": sum(c.leaks for c in cases),
            "peak_rss_mb_50mb": round(large.peak_rss_mb, 1) if large and large.peak_rss_mb else None,
            "seconds_50mb": round(large.seconds, 1) if large else None,
            "large_mb": args.large_mb,
            "seconds_5mb": round(five.seconds, 1) if five else None,
            "peak_rss_mb_5mb": round(five.peak_rss_mb, 1) if five and five.peak_rss_mb else None,
            "per_case": {
                f"{c.group}/{c.name}": {
                    "handled": c.handled,
                    "lost": c.lost,
                    "half_written": c.half_written,
                    "leaks": c.leaks,
                    "seconds": round(c.seconds, 1),
                    "peak_rss_mb": round(c.peak_rss_mb, 1) if c.peak_rss_mb else None,
                }
                for c in cases
            },
        },
    )


if __name__ == "__main__":
    main()

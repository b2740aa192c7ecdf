"""The recipe of the disease and chemical recognizer (nlp/recognizer.py): train it again.

    python -m medgraphrag.nlp.ner_training [--train FILE ...] [--dev FILE ...] [--output DIR] [--names-only]

(`make ner-model`). It trains spaCy's NER component (`ner_training.cfg`: a CNN over hashed word
features, seed 0, at most 12 epochs) on the training splits of NCBI-disease and BC5CDR (public
domain; PubTator format) with two labels, DISEASE (every disease type) and CHEMICAL, keeps the
model that scores best on the development splits, and writes it where the package ships it, with
the name table of the training splits (`names.tsv`: each annotated name, normalized, with the ids
its annotations give it most often) and the table of the names their annotators leave unmarked
(`unmarked.tsv`: a phrase of one to four words that the training texts use at least
`MIN_OCCURRENCES` times and mark as a disease at most `MAX_MARKED_SHARE` of them, "pregnancy",
"oxidative stress", "recurrence"), and the table of the phrases they mark only as part of a longer
disease name (`parts.tsv`: part of a disease annotation in more than that share, never the whole of
one: "injury" of "liver injury", "dystrophy", "syndrome"), and the table of the words they leave out
of the disease names those words stand before (`modifiers.tsv`: right before a disease annotation,
outside it, at least `MIN_OCCURRENCES` times, and its first word at most that share of all those
uses: "severe", "recurrent", "other"); `--names-only` writes just the tables.
The training and development files are read, never copied.
"""

from __future__ import annotations

import argparse
import bisect
import re
import shutil
import tempfile
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from medgraphrag.nlp.names import normalize
from medgraphrag.nlp.pubtator import read_pubtator
from medgraphrag.nlp.recognizer import (
    GROUP_OF_LABEL,
    MODEL_DIR,
    MODIFIERS_FILE,
    NAMES_FILE,
    PARTS_FILE,
    UNMARKED_FILE,
)
from medgraphrag.nlp.semantic_groups import DISORDERS

CONFIG = Path(__file__).parent / "ner_training.cfg"
DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
TRAIN = (DATA / "ncbi-disease" / "train.PubTator.txt", DATA / "bc5cdr" / "train.PubTator.txt")
DEV = (DATA / "ncbi-disease" / "dev.PubTator.txt", DATA / "bc5cdr" / "dev.PubTator.txt")
LABEL_OF_GROUP = {group: label for label, group in GROUP_OF_LABEL.items()}
# A phrase the annotators saw this often and marked this rarely is, to them, not a disease name.
MIN_OCCURRENCES = 5
MAX_MARKED_SHARE = 0.1
MAX_PHRASE_WORDS = 4
_WORD = re.compile(r"[^\W_][\w'-]*")


def to_docbin(paths: Sequence[Path], out: Path) -> int:
    """The abstracts of PubTator files as spaCy training documents (their gold mentions as
    entities, the longest kept where two overlap); how many."""
    import spacy
    from spacy.tokens import DocBin
    from spacy.util import filter_spans

    nlp = spacy.blank("en")
    docs = DocBin()
    count = 0
    for path in paths:
        for abstract in read_pubtator(path):
            doc = nlp.make_doc(abstract.text)
            spans = [
                doc.char_span(g.start, g.end, label=LABEL_OF_GROUP[g.group], alignment_mode="expand")
                for g in abstract.gold
            ]
            doc.ents = filter_spans([s for s in spans if s is not None])
            docs.add(doc)
            count += 1
    docs.to_disk(out)
    return count


def name_table(paths: Sequence[Path]) -> dict[str, tuple[str, str, int]]:
    """Each normalized name the files annotate, with the ids and label given most often (the
    smallest on a tie) and the count of those ids; a name annotated as several concepts at once
    ("hemorrhagic cystitis": hemorrhage and cystitis, before MeSH had a heading for it) has its ids
    joined by "|"."""
    counts: defaultdict[str, Counter[tuple[str, str]]] = defaultdict(Counter)
    for path in paths:
        for abstract in read_pubtator(path):
            for gold in abstract.gold:
                name = normalize(abstract.text[gold.start : gold.end])
                if gold.ids and name:
                    counts[name][("|".join(sorted(gold.ids)), LABEL_OF_GROUP[gold.group])] += 1
    table = {}
    for name, found in sorted(counts.items()):
        (concept, label), _ = min(found.items(), key=lambda kv: (-kv[1], kv[0]))
        table[name] = (concept, label, sum(n for (i, _), n in found.items() if i == concept))
    return table


class PhraseCount(NamedTuple):
    """How the training texts use a phrase: how often, how often as part of (or as) a disease
    annotation, and how often as the whole of one."""

    occurrences: int
    marked: int
    whole: int


def phrase_counts(paths: Sequence[Path]) -> dict[str, PhraseCount]:
    """Each normalized phrase of one to `MAX_PHRASE_WORDS` words in the files' texts, with its
    counts."""
    seen: Counter[str] = Counter()
    marked: Counter[str] = Counter()
    whole: Counter[str] = Counter()
    for path in paths:
        for abstract in read_pubtator(path):
            diseases = [(g.start, g.end) for g in abstract.gold if g.group == DISORDERS]
            exact = set(diseases)
            words = [(m.start(), m.end()) for m in _WORD.finditer(abstract.text)]
            for i in range(len(words)):
                for last in range(i, min(i + MAX_PHRASE_WORDS, len(words))):
                    start, end = words[i][0], words[last][1]
                    key = normalize(abstract.text[start:end])
                    if key:
                        seen[key] += 1
                        marked[key] += any(s < end and start < e for s, e in diseases)
                        whole[key] += (start, end) in exact
    return {key: PhraseCount(count, marked[key], whole[key]) for key, count in sorted(seen.items())}


def unmarked_names(
    counts: Mapping[str, PhraseCount],
    *,
    min_occurrences: int = MIN_OCCURRENCES,
    max_marked_share: float = MAX_MARKED_SHARE,
) -> dict[str, PhraseCount]:
    """The phrases seen at least `min_occurrences` times that overlap a disease annotation at most
    `max_marked_share` of them."""
    return {
        key: count
        for key, count in counts.items()
        if count.occurrences >= min_occurrences and count.marked <= max_marked_share * count.occurrences
    }


def part_names(
    counts: Mapping[str, PhraseCount],
    *,
    min_occurrences: int = MIN_OCCURRENCES,
    max_marked_share: float = MAX_MARKED_SHARE,
) -> dict[str, PhraseCount]:
    """The phrases seen at least `min_occurrences` times that are part of a disease annotation more
    than `max_marked_share` of them but never the whole of one ("injury" of "liver injury",
    "dystrophy", "syndrome")."""
    return {
        key: count
        for key, count in counts.items()
        if count.occurrences >= min_occurrences
        and count.whole == 0
        and count.marked > max_marked_share * count.occurrences
    }


class ModifierCount(NamedTuple):
    """How the training annotations treat a word next to a disease name: how often it stands right
    before a disease annotation, outside every annotation, and how often it is the first word of a
    disease annotation of several words."""

    before: int
    first: int


def modifier_counts(paths: Sequence[Path]) -> dict[str, ModifierCount]:
    """Each normalized word that stands right before a disease annotation or first in one of several
    words, with its counts."""
    before: Counter[str] = Counter()
    first: Counter[str] = Counter()
    for path in paths:
        for abstract in read_pubtator(path):
            text = abstract.text
            words = [(m.start(), m.end()) for m in _WORD.finditer(text)]
            starts = [start for start, _ in words]
            annotated = [(g.start, g.end) for g in abstract.gold]
            for gold in abstract.gold:
                if gold.group != DISORDERS:
                    continue
                at = bisect.bisect_left(starts, gold.start)
                if at + 1 < len(words) and words[at + 1][1] <= gold.end and words[at][0] >= gold.start:
                    first[normalize(text[words[at][0] : words[at][1]])] += 1
                if at and not text[words[at - 1][1] : gold.start].strip():
                    start, end = words[at - 1]
                    if not any(s < end and start < e for s, e in annotated):
                        before[normalize(text[start:end])] += 1
    return {word: ModifierCount(before[word], first[word]) for word in sorted(set(before) | set(first)) if word}


def left_out_modifiers(
    counts: Mapping[str, ModifierCount],
    *,
    min_occurrences: int = MIN_OCCURRENCES,
    max_marked_share: float = MAX_MARKED_SHARE,
) -> dict[str, ModifierCount]:
    """The words seen right before a disease annotation, outside it, at least `min_occurrences`
    times, and first in one at most `max_marked_share` of all those uses ("severe", "recurrent")."""
    return {
        word: count
        for word, count in counts.items()
        if count.before >= min_occurrences and count.first <= max_marked_share * (count.before + count.first)
    }


def write_names(train_files: Sequence[Path], output: Path) -> None:
    """Write the name table, the unmarked-name table, the part-name table and the modifier table of
    the training files into the model folder `output`."""
    _write_table(
        output / NAMES_FILE,
        "name\tids\tlabel\tannotations (the training splits' most frequent ids, joined by |, and label)",
        name_table(train_files),
        "names",
    )
    counts = phrase_counts(train_files)
    share = f"{MAX_MARKED_SHARE:.0%}"
    seen = f"name\toccurrences\tmarked\twhole (phrases of the training texts seen at least {MIN_OCCURRENCES} times"
    _write_table(
        output / UNMARKED_FILE,
        f"{seen}, marked as a disease at most {share} of them)",
        unmarked_names(counts),
        "phrases",
    )
    _write_table(
        output / PARTS_FILE,
        f"{seen}, part of a disease name more than {share} of them, the whole name never)",
        part_names(counts),
        "phrases",
    )
    _write_table(
        output / MODIFIERS_FILE,
        f"word\tbefore\tfirst (words right before a disease annotation, outside it, at least {MIN_OCCURRENCES} "
        f"times, and the first word of one at most {share} of all those uses)",
        left_out_modifiers(modifier_counts(train_files)),
        "words",
    )


def _write_table(path: Path, header: str, rows: Mapping[str, tuple[object, ...]], what: str) -> None:
    """Write a table: its header as a comment line, then a line of tab-separated fields per row."""
    lines = [f"# {header}", *("\t".join(map(str, (key, *fields))) for key, fields in rows.items())]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(rows)} {what} written to {path}")


def train(train_files: Sequence[Path], dev_files: Sequence[Path], output: Path = MODEL_DIR) -> None:
    """Train the recognizer and write the best model to `output` (replacing what is there)."""
    from spacy.cli.train import train as spacy_train

    with tempfile.TemporaryDirectory(prefix="ner-training-") as folder:
        work = Path(folder)
        print(f"training documents: {to_docbin(train_files, work / 'train.spacy')}")
        print(f"development documents: {to_docbin(dev_files, work / 'dev.spacy')}")
        spacy_train(
            CONFIG,
            work / "out",
            overrides={"paths.train": str(work / "train.spacy"), "paths.dev": str(work / "dev.spacy")},
        )
        if output.exists():
            shutil.rmtree(output)
        shutil.copytree(work / "out" / "model-best", output)
    write_names(train_files, output)
    print(f"model written to {output}")


def main() -> None:
    """Run the training from the command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", type=Path, nargs="+", default=list(TRAIN), help="PubTator training files")
    parser.add_argument("--dev", type=Path, nargs="+", default=list(DEV), help="PubTator development files")
    parser.add_argument("--output", type=Path, default=MODEL_DIR, help="where the model goes")
    parser.add_argument("--names-only", action="store_true", help="write only the name tables into --output")
    args = parser.parse_args()
    if args.names_only:
        write_names(args.train, args.output)
    else:
        train(args.train, args.dev, args.output)


if __name__ == "__main__":
    main()

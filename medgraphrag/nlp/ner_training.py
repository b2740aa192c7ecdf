"""The recipe of the disease and chemical recognizer (nlp/recognizer.py): train it again.

    python -m medgraphrag.nlp.ner_training [--train FILE ...] [--dev FILE ...] [--output DIR]

(`make ner-model`). It trains spaCy's NER component (`ner_training.cfg`: a CNN over hashed word
features, seed 0, at most 12 epochs) on the training splits of NCBI-disease and BC5CDR (public
domain; PubTator format) with two labels, DISEASE (every disease type) and CHEMICAL, keeps the
model that scores best on the development splits, and writes it where the package ships it. The
training and development files are read, never copied.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from medgraphrag.nlp.pubtator import read_pubtator
from medgraphrag.nlp.recognizer import GROUP_OF_LABEL, MODEL_DIR

CONFIG = Path(__file__).parent / "ner_training.cfg"
DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
TRAIN = (DATA / "ncbi-disease" / "train.PubTator.txt", DATA / "bc5cdr" / "train.PubTator.txt")
DEV = (DATA / "ncbi-disease" / "dev.PubTator.txt", DATA / "bc5cdr" / "dev.PubTator.txt")
LABEL_OF_GROUP = {group: label for label, group in GROUP_OF_LABEL.items()}


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
    print(f"model written to {output}")


def main() -> None:
    """Run the training from the command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", type=Path, nargs="+", default=list(TRAIN), help="PubTator training files")
    parser.add_argument("--dev", type=Path, nargs="+", default=list(DEV), help="PubTator development files")
    parser.add_argument("--output", type=Path, default=MODEL_DIR, help="where the model goes")
    args = parser.parse_args()
    train(args.train, args.dev, args.output)


if __name__ == "__main__":
    main()

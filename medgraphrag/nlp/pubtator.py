"""PubTator corpora (NCBI-disease, BC5CDR): abstracts and their annotated mentions.

Each abstract is `pmid|t|title` and `pmid|a|abstract` lines, then one line per mention, `pmid start
end mention type id`, with offsets over title + " " + abstract and MeSH (`D008107`) or OMIM ids,
`|` or `+` joining the ids of a composite mention and `-1` for none; BC5CDR adds `pmid CID id id`
relation lines.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from medgraphrag.nlp.names import normalized_id

# PubTator entity types -> the semantic group extracted mentions of that type carry.
GROUP_OF_TYPE = {
    "SpecificDisease": "Disorders",
    "DiseaseClass": "Disorders",
    "Modifier": "Disorders",
    "CompositeMention": "Disorders",
    "Disease": "Disorders",
    "Chemical": "Chemicals & Drugs",
}


@dataclass(frozen=True)
class Annotation:
    """A gold or extracted mention: span in the abstract, its semantic group and concept ids."""

    start: int
    end: int
    group: str
    ids: frozenset[str]


@dataclass
class Abstract:
    """One PubTator abstract: its id, text (title + " " + abstract) and gold mentions."""

    pmid: str
    text: str
    gold: list[Annotation] = field(default_factory=list)


def read_pubtator(path: Path, types: Iterable[str] | None = None) -> list[Abstract]:
    """The abstracts of a PubTator file, with their gold mentions of `types` (default: all)."""
    wanted = set(types) if types else None
    abstracts: dict[str, Abstract] = {}
    titles: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        if "|t|" in line[:20] or "|a|" in line[:20]:
            pmid, kind, body = line.split("|", 2)
            if kind == "t":
                titles[pmid] = body
            else:
                abstracts[pmid] = Abstract(pmid, f"{titles.get(pmid, '')} {body}")
            continue
        parts = line.split("\t")
        if len(parts) == 4 and parts[1] == "CID":
            continue  # BC5CDR's chemical-induced-disease relations
        if len(parts) < 6:
            raise ValueError(f"{path}:{number}: expected `pmid start end mention type id`, got {line!r}")
        pmid, start, end, mention, kind, raw_ids = parts[:6]
        if (wanted is not None and kind not in wanted) or kind not in GROUP_OF_TYPE:
            continue
        abstract = abstracts[pmid]
        # A few mentions carry white space that the text does not (NCBI-disease's train split).
        if abstract.text[int(start) : int(end)].split() != mention.split():
            raise ValueError(f"{path}:{number}: offsets {start}-{end} do not hold {mention!r}")
        ids = frozenset(i for raw in raw_ids.replace("+", "|").split("|") if (i := normalized_id(raw)))
        abstract.gold.append(Annotation(int(start), int(end), GROUP_OF_TYPE[kind], ids))
    return list(abstracts.values())

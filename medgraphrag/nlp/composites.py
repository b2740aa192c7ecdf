"""Composite mentions: coordinated modifiers sharing one head noun.

"breast and ovarian cancer" names two diseases, breast cancer and ovarian cancer; "hematopoietic
and solid tumors", "breast/ovarian cancer" and "colon, rectal or gastric cancer" likewise. Corpora
annotated for normalization (NCBI-disease, BC5CDR) give such a span the ids of each disease it
names. A composite is recognized by its shape alone: single-word modifiers joined by commas,
"and", "or", "and/or" or "/", then a head of one to three words; its names are each modifier with
the head. Whether those names mean concepts is the vocabulary's to say (nlp/ruler.py).
"""

from __future__ import annotations

import re

_WORD = r"[^\W_][\w'-]*"
_COMPOSITE = re.compile(
    rf"^(?P<mods>{_WORD}(?:\s*,\s*{_WORD})*)\s*,?\s*(?:\band/or\b|\band\b|\bor\b|/)\s*(?P<last>{_WORD})"
    rf"\s+(?P<head>{_WORD}(?:\s+{_WORD}){{0,2}})$",
    re.IGNORECASE,
)
_SPLIT = re.compile(r"\s*,\s*")


def composite_names(surface: str) -> list[str]:
    """The names a composite mention stands for, in order ("breast and ovarian cancer" -> ["breast
    cancer", "ovarian cancer"]); empty when `surface` is not shaped as one."""
    match = _COMPOSITE.match(surface.strip())
    if match is None:
        return []
    modifiers = [*_SPLIT.split(match["mods"]), match["last"]]
    if len({m.lower() for m in modifiers}) < len(modifiers):
        return []
    return [f"{modifier} {match['head']}" for modifier in modifiers]

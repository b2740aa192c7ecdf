"""English stop words: the function words that carry no topic, one list for all of medgraphrag:
full-text queries leave them out, the vocabulary ruler never takes one alone for a mention, and the
linker neither starts nor ends a contained name with one (nor counts it towards what a name covers).

A short list on purpose: "back", "first", "well" or "two" are function words in some sentences and
the point of others ("back pain", "first-line", "Well syndrome", "type two diabetes"); the ruler
keeps its own list of everyday words that are no entity alone (nlp/ruler.py).
"""

from __future__ import annotations

STOP_WORDS: frozenset[str] = frozenset(
    """a about above after again against all am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have
    having he her here hers herself him himself his how i if in into is it its itself just me more most
    my myself no nor not now of off on once only or other our ours ourselves out over own same she should
    so some such than that the their theirs them themselves then there these they this those through to
    too under until up very was we were what when where which while who whom why will with would you your
    yours yourself yourselves""".split()
)

"""Body sites and faculties in disorder names: the adjective and the noun that name each, and the
disease class a site's unnamed problem belongs to.

Papers name one disorder with either word of a site ("myocardial hypertrophy", "cardiac
hypertrophy"; "vein thrombosis", "venous thrombosis"), while a vocabulary spells out one of them.
They also write a site's problem with a general noun the vocabulary names no concept by ("renal
impairment", "pulmonary toxicity", "neurological dysfunction", "visual deficits"); MeSH indexing
files such a phrase under the site's disease class (Kidney Diseases, Lung Diseases, Nervous System
Diseases, Vision Disorders). All keys here are normalized (nlp/names.py).
"""

from __future__ import annotations

# Adjective -> the nouns (and other adjectives) that name the same site or faculty, most usual first.
_SITE_WORDS: dict[str, tuple[str, ...]] = {
    "renal": ("kidney",),
    "nephric": ("kidney",),
    "hepatic": ("liver",),
    "cardiac": ("heart",),
    "myocardial": ("cardiac", "myocardium"),
    "pulmonary": ("lung",),
    "cerebral": ("brain",),
    "gastric": ("stomach",),
    "venous": ("vein",),
    "arterial": ("artery",),
    "neurological": ("nervous system", "neurologic"),
    "neurologic": ("nervous system", "neurological"),
    "neural": ("nervous system",),
    "ocular": ("eye",),
    "cutaneous": ("skin",),
    "dermal": ("skin",),
    "hematologic": ("hematological", "blood"),
    "hematological": ("hematologic", "blood"),
    "intestinal": ("intestine", "intestinal tract"),
    "colonic": ("colon",),
    "osseous": ("bone",),
    "skeletal": ("bone",),
    "muscular": ("muscle",),
    "pancreatic": ("pancreas",),
    "splenic": ("spleen",),
    "biliary": ("bile duct", "biliary tract"),
    "bronchial": ("bronchus", "bronchi"),
    "esophageal": ("esophagus",),
    "laryngeal": ("larynx",),
    "nasal": ("nose",),
    "oral": ("mouth",),
    "dental": ("tooth",),
    "uterine": ("uterus",),
    "ovarian": ("ovary",),
    "testicular": ("testis",),
    "prostatic": ("prostate",),
    "vesical": ("bladder", "urinary bladder"),
    "urothelial": ("urinary bladder", "bladder"),
    "urinary": ("urinary tract",),
    "cerebellar": ("cerebellum",),
    "retinal": ("retina",),
    "corneal": ("cornea",),
    "articular": ("joint",),
    "mammary": ("breast",),
    "thyroidal": ("thyroid",),
    "gi": ("gastrointestinal",),
    "visual": ("vision",),
    "auditory": ("hearing",),
    "cognitive": ("cognition",),
    "mental": ("psychiatric",),
    "psychiatric": ("mental",),
    "behavioral": ("behavior",),
    "marrow": ("bone marrow",),
    "valvular": ("heart valve",),
    "respiratory": ("respiratory tract",),
    # Sites and faculties said one way only.
    "cardiovascular": (),
    "neuromuscular": (),
    "thyroid": (),
    "growth": (),
    "memory": (),
    "motor": (),
}
# The nouns every site's noun maps back to its adjective by ("kidney" -> "renal").
_ADJECTIVES: dict[str, tuple[str, ...]] = {}
for _adjective, _nouns in _SITE_WORDS.items():
    for _noun in _nouns:
        _ADJECTIVES[_noun] = (*_ADJECTIVES.get(_noun, ()), _adjective)

# General nouns for what is wrong with a site, which name no disorder of their own.
PROBLEM_NOUNS = frozenset(
    "toxicity impairment damage dysfunction injury lesion involvement complication deficit abnormality "
    "anomaly defect disturbance insult disorder disease problem illness symptom syndrome deterioration "
    "irritation".split()
)
_CLASS_NOUNS = ("disease", "disorder")


def site_rewrites(key: str) -> list[str]:
    """`key` with one site word said the other way ("myocardial hypertrophy" -> "heart
    hypertrophy", "cardiac hypertrophy"; "vein thrombosis" -> "venous thrombosis"); none if it
    names no site."""
    words = key.split()
    found: dict[str, None] = {}
    for i in range(len(words)):
        # A site of two words ("nervous system", "bile duct") is said the other way whole.
        for n in (1, 2):
            if i + n <= len(words):
                for other in _others(" ".join(words[i : i + n])):
                    found[" ".join([*words[:i], other, *words[i + n :]])] = None
    found.pop(key, None)
    return list(found)


def site_disease_keys(key: str) -> list[str]:
    """The keys of the disease class of the site a general problem noun ends `key` with ("renal
    impairment" -> "renal disease", "kidney disease", ...; "visual deficit" -> ..., "vision
    disorder"), the site as written first; none if `key` is no site followed by such a noun."""
    site, _, last = key.rpartition(" ")
    if last not in PROBLEM_NOUNS or not site or not _is_site(site):
        return []
    sites = [site, *site_rewrites(site)]
    return [f"{s} {noun}" for s in sites for noun in _CLASS_NOUNS if f"{s} {noun}" != key]


def _is_site(words: str) -> bool:
    return words in _SITE_WORDS or words in _ADJECTIVES


def _others(site: str) -> tuple[str, ...]:
    """The other words for the site `site`."""
    return (*_SITE_WORDS.get(site, ()), *_ADJECTIVES.get(site, ()))

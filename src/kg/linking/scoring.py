"""How much a Wikidata item looks like an entity of the graph: one number in [0, 1].

The score (documented in the README, "Linking to Wikidata")::

    base  = 1.00  if the normalised name equals the item's normalised English label
            0.95  if it equals one of its normalised English aliases (skos:altLabel)
            0.80 * token-set similarity of the core names otherwise
    score = clamp(base + type + country, 0, 1)
    type    = +0.05 if an instance-of (P31) class is one expected for the kind of entity,
              -0.30 if the item has P31 classes and none is expected (a person or a river
              named like the company), 0 if it has none
    country = +0.05 if the entity's country and the item's (P17, by ISO alpha-3) agree,
              -0.20 if both are known and differ, 0 otherwise

Normalising folds case and accents, turns '&' into 'and' and punctuation into spaces.
The core name also drops legal forms and articles (Company Limited, Ltd, Inc., L.P.,
Group, the, ...), and token-set similarity is the Jaccard index of the core tokens. A
fuzzy match therefore reaches at most 0.90: legal-form variants of the same name, of
the expected type, in the same country, and nothing looser, are accepted at the default
threshold 0.9.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

EXACT_LABEL = 1.0
EXACT_ALIAS = 0.95
FUZZY_WEIGHT = 0.8
TYPE_BONUS = 0.05
TYPE_PENALTY = -0.30
COUNTRY_BONUS = 0.05
COUNTRY_PENALTY = -0.20

# Words that say what legal form a name has, not whose name it is.
LEGAL_FORMS = frozenset(
    [
        "the",
        "company",
        "co",
        "limited",
        "ltd",
        "inc",
        "incorporated",
        "corporation",
        "corp",
        "plc",
        "llc",
        "lp",
        "l",
        "p",
        "sa",
        "s",
        "a",
        "ag",
        "gmbh",
        "nv",
        "bv",
        "spa",
        "pte",
        "pty",
        "holdings",
        "holding",
        "group",
    ]
)


def normalise(text: str) -> str:
    """'Li-Ning Company  Limited' -> 'li ning company limited': the form names are compared in."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    if not folded.strip():  # a name in another script: compare it as it is, case-folded
        folded = unicodedata.normalize("NFKC", text)
    folded = folded.casefold().replace("&", " and ")
    return " ".join(re.sub(r"[^\w]+", " ", folded).split())


def core_tokens(text: str) -> frozenset[str]:
    """The tokens that name the thing, without legal forms: 'Blackstone Group L.P.' -> {blackstone}."""
    tokens = normalise(text).split()
    core = frozenset(t for t in tokens if t not in LEGAL_FORMS)
    return core or frozenset(tokens)


def token_set_similarity(a: str, b: str) -> float:
    """The Jaccard index of the core tokens of two names (0 when either has none)."""
    left, right = core_tokens(a), core_tokens(b)
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)


def core_name(text: str) -> str:
    """The name without its legal form, in its own spelling: a second key to look the name up by.

    'Li-Ning Company Limited' -> 'Li-Ning'; 'Blackstone Group L.P.' -> 'Blackstone'.
    """
    words = text.split()
    while len(words) > 1 and all(part in LEGAL_FORMS for part in normalise(words[-1]).split()):
        words.pop()
    while len(words) > 1 and normalise(words[0]) == "the":
        words.pop(0)
    return " ".join(words).strip(" ,")


@dataclass(frozen=True)
class Score:
    value: float
    method: str  # 'label', 'alias' or 'fuzzy': which base rule applied
    matched: str  # the label or alias the name was compared with

    def explain(self) -> str:
        return f"{self.method} match on {self.matched!r}: {self.value:.2f}"


def score_candidate(
    name: str,
    *,
    label: str | None,
    aliases: list[str],
    types: set[str],
    expected_types: frozenset[str],
    country: str | None = None,
    item_countries: set[str] | None = None,
) -> Score:
    """Score one candidate item for the entity called ``name`` (see the module docstring)."""
    key = normalise(name)
    if label is not None and normalise(label) == key:
        base, method, matched = EXACT_LABEL, "label", label
    elif alias := next((a for a in aliases if normalise(a) == key), None):
        base, method, matched = EXACT_ALIAS, "alias", alias
    else:
        options = [x for x in [label, *aliases] if x]
        matched = max(options, key=lambda x: token_set_similarity(name, x), default="")
        base, method = FUZZY_WEIGHT * token_set_similarity(name, matched), "fuzzy"
    adjust = 0.0
    if types:
        adjust += TYPE_BONUS if types & expected_types else TYPE_PENALTY
    if country and item_countries:
        adjust += COUNTRY_BONUS if country in item_countries else COUNTRY_PENALTY
    return Score(round(min(1.0, max(0.0, base + adjust)), 4), method, matched)

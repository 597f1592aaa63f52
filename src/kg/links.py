"""Deterministic links to external identifiers: computed from data kg already holds, no network.

Each function turns an identifier into the public URL where a reader finds the thing itself.
They are pure, so the vocabulary files, the document graphs and the tests agree on one
pattern, and a link can be recomputed (and checked) from the identifier alone. The
patterns are documented in the README ("Links to external identifiers").
"""

from __future__ import annotations

from urllib.parse import quote

from kg import iris

UNDOCS_BASE = "https://undocs.org/"
OHCHR_SEARCH_BASE = "https://spcommreports.ohchr.org/TmSearch/RelCom?code="
UNGP_PUBLICATION_URL = (
    "https://www.ohchr.org/sites/default/files/documents/publications/guidingprinciplesbusinesshr_en.pdf"
)
UNGP_PUBLICATION_SYMBOL = "HR/PUB/11/04"

# Characters a UN symbol may keep as they are in a URL path: '/' separates the symbol's
# parts and undocs.org expects it unescaped; '.' and '-' occur in symbols (E/CN.4/...).
_SYMBOL_SAFE = "/.-"


def undocs_url(symbol: str) -> str:
    """``https://undocs.org/<symbol>``: where the UN serves the document with that symbol.

    A/HRC/RES/44/15 -> https://undocs.org/A/HRC/RES/44/15. The symbol is trimmed and
    percent-encoded except for '/', '.' and '-', so symbols with parentheses or spaces
    (E/CN.4/RES/20(XXXVI) -> .../E/CN.4/RES/20%28XXXVI%29) still give a valid IRI.
    """
    cleaned = symbol.strip()
    if not cleaned:
        raise ValueError("an empty document symbol has no undocs.org URL")
    return UNDOCS_BASE + quote(cleaned, safe=_SYMBOL_SAFE)


def ohchr_search_code(reference: str) -> str:
    """The case code the OHCHR communications database searches by: 'AL OTH 70/2020' -> 'OTH 70/2020'.

    The database numbers letters per recipient code (a State's ISO alpha-3, or OTH for
    non-State recipients) and year, across letter types, so the code drops the AL/UA/OL
    prefix; the database's own links have this form (``code=TUN+4%2F2026``).
    Raises ValueError for a reference kg cannot read.
    """
    _kind, country, tail = iris.normalise_reference(reference).split(" ")
    return f"{country} {tail}"


def ohchr_search_url(reference: str) -> str:
    """``https://spcommreports.ohchr.org/TmSearch/RelCom?code=<CODE>+<n>%2F<year>``.

    'AL OTH 70/2020' -> ``...RelCom?code=OTH+70%2F2020``: the database page listing the
    letter and its replies. Spaces become '+' and '/' becomes %2F, as the database writes
    it. Raises ValueError for a reference kg cannot read.
    """
    code = ohchr_search_code(reference)
    return OHCHR_SEARCH_BASE + quote(code, safe="").replace("%20", "+")


def ungp_publication_url() -> str:
    """The OHCHR publication of the UN Guiding Principles (HR/PUB/11/04), in English.

    The one stable public copy of the text that every principle and the instrument point to.
    """
    return UNGP_PUBLICATION_URL

"""Minting IRIs: the same fact always gets the same IRI, so re-ingesting a letter is idempotent.

Vocabulary things (mandates, States, resolutions, instruments, principles) live under the
fixed vocabulary namespace; things a letter introduces (the communication, companies,
people, allegations) live under the configurable base IRI.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from kg.config import GRAPH_NS, VOCAB_NS

_REFERENCE = re.compile(r"^\s*([A-Za-z]{2,3})\s+([A-Za-z]{3})\s+(\d{1,4})\s*/\s*(\d{4})\s*$")
_HRC_NUMBER = re.compile(r"^(\d{1,2})/(\d{1,3})$")
# The Commission's earlier resolutions are numbered within a session in roman numerals: 20 (XXXVI).
_CHR_SESSION_NUMBER = re.compile(r"^(\d{1,3})\s*\(([IVXLC]{1,9})\)$")
_CHR_NUMBER = re.compile(r"^(19[4-9]\d|200[0-6])/(\d{1,3})(?:\s*([A-Z]))?$")


def slug(text: str) -> str:
    """A lowercase, ASCII, hyphenated key; stable across runs and platforms.

    Case, accents, spacing and punctuation do not count ("Société Générale" and "societe
    generale" are one company). Letters that have no ASCII form (李宁, Иванов) would all
    fold to nothing, so a text holding any gets a digest of its wording appended: two
    companies named in Chinese never share an IRI.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    folded = decomposed.encode("ascii", "ignore").decode("ascii")
    key = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    if any(ch.isalnum() and not ch.isascii() for ch in decomposed):
        wording = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
        digest = hashlib.sha256(wording.encode("utf-8")).hexdigest()[:12]
        key = f"{key}-{digest}" if key else digest
    return key or "unnamed"


def normalise_reference(reference: str) -> str:
    """'al  oth 70 / 2020' -> 'AL OTH 70/2020'; raises ValueError for anything else."""
    match = _REFERENCE.match(reference)
    if not match:
        raise ValueError(f"not a communication reference: {reference!r} (expected e.g. 'AL OTH 70/2020')")
    kind, country, number, year = match.groups()
    return f"{kind.upper()} {country.upper()} {int(number)}/{year}"


def communication_iri(base: str, reference: str) -> str:
    return f"{base}communication/{slug(normalise_reference(reference))}"


def document_graph_iri(base: str, reference: str) -> str:
    return f"{base}graph/{slug(normalise_reference(reference))}"


def vocabulary_graph_iri(name: str) -> str:
    return f"{GRAPH_NS}{name}"


def actor_iri(base: str, kind: str, name: str) -> str:
    folder = {"company": "company", "organization": "organization"}.get(kind, "actor")
    return f"{base}{folder}/{slug(name)}"


def state_iri(iso3: str) -> str:
    return f"{VOCAB_NS}country/{iso3.upper()}"


def person_iri(base: str, name: str) -> str:
    return f"{base}person/{slug(name)}"


def post_iri(base: str, mandate_key: str, title: str) -> str:
    return f"{base}post/{slug(mandate_key)}/{slug(title)}"


def place_iri(base: str, name: str, country: str | None) -> str:
    return f"{base}place/{(country or 'xxx').lower()}/{slug(name)}"


def minted_concept_iri(base: str, folder: str, label: str) -> str:
    return f"{base}{folder}/{slug(label)}"


def resolution_key(number: str) -> str | None:
    """The vocabulary key of a resolution number as letters cite it; None if the form is unknown.

    Human Rights Council resolutions are cited session/number (44/15); those of the
    Commission on Human Rights, which the Council replaced in 2006, year/number (2004/37).
    """
    number = number.strip()
    if match := _HRC_NUMBER.match(number):
        return f"hrc-{int(match.group(1))}-{int(match.group(2))}"
    if match := _CHR_NUMBER.match(number):
        suffix = f"-{match.group(3).lower()}" if match.group(3) else ""
        return f"chr-{match.group(1)}-{int(match.group(2))}{suffix}"
    if match := _CHR_SESSION_NUMBER.match(number):
        return f"chr-{int(match.group(1))}-{match.group(2).lower()}"
    return None


def resolution_symbol(number: str) -> str | None:
    """The UN document symbol of a resolution number: 44/15 -> A/HRC/RES/44/15."""
    number = number.strip()
    if match := _HRC_NUMBER.match(number):
        return f"A/HRC/RES/{int(match.group(1))}/{int(match.group(2))}"
    if match := _CHR_NUMBER.match(number):
        part = f" {match.group(3)}" if match.group(3) else ""
        return f"E/CN.4/RES/{match.group(1)}/{int(match.group(2))}{part}"
    if match := _CHR_SESSION_NUMBER.match(number):
        return f"E/CN.4/RES/{int(match.group(1))}({match.group(2)})"
    return None


def resolution_iri(number: str) -> str | None:
    key = resolution_key(number)
    return f"{VOCAB_NS}resolution/{key}" if key else None


def symbol_iri(symbol: str) -> str:
    """A resolution cited by symbol (A/HRC/RES/17/31): same IRI as when cited by number."""
    match = re.match(r"^A/HRC/RES/(\d+)/(\d+)$", symbol.strip())
    if match:
        return f"{VOCAB_NS}resolution/hrc-{int(match.group(1))}-{int(match.group(2))}"
    match = re.match(r"^E/CN\.4/RES/(\d{4})/(\d+)(?:\s*([A-Z]))?$", symbol.strip())
    if match:
        part = f"-{match.group(3).lower()}" if match.group(3) else ""
        return f"{VOCAB_NS}resolution/chr-{match.group(1)}-{int(match.group(2))}{part}"
    match = re.match(r"^E/CN\.4/RES/(\d{1,3})\s*\(([IVXLC]{1,9})\)$", symbol.strip())
    if match:
        return f"{VOCAB_NS}resolution/chr-{int(match.group(1))}-{match.group(2).lower()}"
    return f"{VOCAB_NS}document/{slug(symbol)}"


def guiding_principle_iri(number: int) -> str:
    return f"{VOCAB_NS}guiding-principle/{number}"


def instrument_iri(key: str) -> str:
    return f"{VOCAB_NS}instrument/{slug(key)}"


def article_iri(instrument_key: str, article: str) -> str:
    return f"{VOCAB_NS}instrument/{slug(instrument_key)}/article/{slug(article)}"

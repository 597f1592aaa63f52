"""Generate ``ontology/vocab/countries.ttl``: one kg:State per ISO 3166-1 country, from pycountry.

Why a generator: the ISO list has 249 entries and changes (renames such as Türkiye); typing
it by hand would drift from the standard. pycountry carries the codes and the ISO names;
the two small tables below add what letters need and pycountry lacks: the UN and common
English names (letters write "Republic of Korea", not ISO's "Korea, Republic of") and the
demonym adjectives ("the Chinese Government").

The output is deterministic (sorted by alpha-3 code, sorted labels, no timestamp), so
``tests/test_vocab.py`` can check that the committed file is what this script writes.

Usage::

    python tools/build_vocab_countries.py            # rewrite ontology/vocab/countries.ttl
    python tools/build_vocab_countries.py --check    # exit 1 if the file is out of date
"""

from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pycountry
from rdflib import Graph, Literal

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "ontology" / "vocab" / "countries.ttl"

# Names that pycountry does not carry but letters and UN documents use: the UN
# terminology forms (with their parentheses), former names still seen in older letters,
# and common English short names. Acronyms are kept only where they cannot be an
# ordinary word (no "US", "USA", "UK").
EXTRA_NAMES: dict[str, tuple[str, ...]] = {
    "BOL": ("Bolivia (Plurinational State of)",),
    "BRN": ("Brunei",),
    "CIV": ("Ivory Coast",),
    "COD": ("Democratic Republic of Congo", "Congo-Kinshasa", "DRC"),
    "COG": ("Republic of the Congo", "Congo-Brazzaville"),
    "CPV": ("Cape Verde",),
    "FLK": ("Falkland Islands",),
    "FSM": ("Micronesia (Federated States of)", "Micronesia"),
    "GBR": ("Great Britain", "Britain"),
    "HKG": ("Hong Kong SAR",),
    "IRN": ("Iran (Islamic Republic of)",),
    "LAO": ("Lao PDR",),
    "MAC": ("Macau",),
    "MAF": ("Saint Martin",),
    "MKD": ("former Yugoslav Republic of Macedonia",),
    "MMR": ("Burma",),
    "PRK": ("DPRK",),
    "PSE": ("Palestine", "Occupied Palestinian Territory"),
    "RUS": ("Russia",),
    "SHN": ("Saint Helena",),
    "SWZ": ("Swaziland",),
    "SXM": ("Sint Maarten",),
    "TLS": ("East Timor",),
    "TUR": ("Turkey",),
    "VAT": ("Holy See", "Vatican City State"),
    "VEN": ("Venezuela (Bolivarian Republic of)",),
    "VIR": ("United States Virgin Islands", "U.S. Virgin Islands"),
}

# Preferred labels where pycountry's ISO name reads badly in English prose; the ISO name
# stays an altLabel. Inverted ISO names ("Korea, Republic of") are turned round by
# ``turned_round`` and need no entry here.
PREFERRED_NAMES: dict[str, str] = {
    "VGB": "British Virgin Islands",
    "VIR": "United States Virgin Islands",
}

# English demonym adjectives, as in "the Chinese Government". Extraction matches them only
# when asked (kg:demonym is a sub-property of skos:hiddenLabel). Left out on purpose where
# the adjective is shared or names a people more often than a State: Congolese (two
# States), Dominican (two States), Korean (two States), Kazakh, Kyrgyz, Tajik, Turkmen.
DEMONYMS: dict[str, tuple[str, ...]] = {
    "AFG": ("Afghan",),
    "ALB": ("Albanian",),
    "DZA": ("Algerian",),
    "AND": ("Andorran",),
    "AGO": ("Angolan",),
    "ARG": ("Argentine", "Argentinian"),
    "ARM": ("Armenian",),
    "AUS": ("Australian",),
    "AUT": ("Austrian",),
    "AZE": ("Azerbaijani",),
    "BHS": ("Bahamian",),
    "BHR": ("Bahraini",),
    "BGD": ("Bangladeshi",),
    "BRB": ("Barbadian",),
    "BLR": ("Belarusian",),
    "BEL": ("Belgian",),
    "BLZ": ("Belizean",),
    "BEN": ("Beninese",),
    "BTN": ("Bhutanese",),
    "BOL": ("Bolivian",),
    "BIH": ("Bosnian",),
    "BWA": ("Botswanan",),
    "BRA": ("Brazilian",),
    "BRN": ("Bruneian",),
    "BGR": ("Bulgarian",),
    "BFA": ("Burkinabe", "Burkinabè"),
    "BDI": ("Burundian",),
    "CPV": ("Cabo Verdean", "Cape Verdean"),
    "KHM": ("Cambodian",),
    "CMR": ("Cameroonian",),
    "CAN": ("Canadian",),
    "CAF": ("Central African",),
    "TCD": ("Chadian",),
    "CHL": ("Chilean",),
    "CHN": ("Chinese",),
    "COL": ("Colombian",),
    "COM": ("Comorian",),
    "CRI": ("Costa Rican",),
    "CIV": ("Ivorian",),
    "HRV": ("Croatian",),
    "CUB": ("Cuban",),
    "CYP": ("Cypriot",),
    "CZE": ("Czech",),
    "DNK": ("Danish",),
    "DJI": ("Djiboutian",),
    "DOM": ("Dominican",),
    "ECU": ("Ecuadorian",),
    "EGY": ("Egyptian",),
    "SLV": ("Salvadoran", "Salvadorean"),
    "GNQ": ("Equatorial Guinean",),
    "ERI": ("Eritrean",),
    "EST": ("Estonian",),
    "SWZ": ("Swazi",),
    "ETH": ("Ethiopian",),
    "FJI": ("Fijian",),
    "FIN": ("Finnish",),
    "FRA": ("French",),
    "GAB": ("Gabonese",),
    "GMB": ("Gambian",),
    "GEO": ("Georgian",),
    "DEU": ("German",),
    "GHA": ("Ghanaian",),
    "GRC": ("Greek",),
    "GRD": ("Grenadian",),
    "GTM": ("Guatemalan",),
    "GIN": ("Guinean",),
    "GNB": ("Bissau-Guinean",),
    "GUY": ("Guyanese",),
    "HTI": ("Haitian",),
    "HND": ("Honduran",),
    "HUN": ("Hungarian",),
    "ISL": ("Icelandic",),
    "IND": ("Indian",),
    "IDN": ("Indonesian",),
    "IRN": ("Iranian",),
    "IRQ": ("Iraqi",),
    "IRL": ("Irish",),
    "ISR": ("Israeli",),
    "ITA": ("Italian",),
    "JAM": ("Jamaican",),
    "JPN": ("Japanese",),
    "JOR": ("Jordanian",),
    "KAZ": ("Kazakhstani",),
    "KEN": ("Kenyan",),
    "KWT": ("Kuwaiti",),
    "LAO": ("Laotian",),
    "LVA": ("Latvian",),
    "LBN": ("Lebanese",),
    "LBR": ("Liberian",),
    "LBY": ("Libyan",),
    "LTU": ("Lithuanian",),
    "LUX": ("Luxembourgish",),
    "MDG": ("Malagasy",),
    "MWI": ("Malawian",),
    "MYS": ("Malaysian",),
    "MDV": ("Maldivian",),
    "MLI": ("Malian",),
    "MLT": ("Maltese",),
    "MHL": ("Marshallese",),
    "MRT": ("Mauritanian",),
    "MUS": ("Mauritian",),
    "MEX": ("Mexican",),
    "FSM": ("Micronesian",),
    "MDA": ("Moldovan",),
    "MCO": ("Monegasque",),
    "MNG": ("Mongolian",),
    "MNE": ("Montenegrin",),
    "MAR": ("Moroccan",),
    "MOZ": ("Mozambican",),
    "MMR": ("Burmese",),
    "NAM": ("Namibian",),
    "NRU": ("Nauruan",),
    "NPL": ("Nepalese", "Nepali"),
    "NLD": ("Dutch",),
    "NIC": ("Nicaraguan",),
    "NER": ("Nigerien",),
    "NGA": ("Nigerian",),
    "PRK": ("North Korean",),
    "MKD": ("North Macedonian",),
    "NOR": ("Norwegian",),
    "OMN": ("Omani",),
    "PAK": ("Pakistani",),
    "PLW": ("Palauan",),
    "PSE": ("Palestinian",),
    "PAN": ("Panamanian",),
    "PNG": ("Papua New Guinean",),
    "PRY": ("Paraguayan",),
    "PER": ("Peruvian",),
    "PHL": ("Philippine", "Filipino"),
    "POL": ("Polish",),
    "PRT": ("Portuguese",),
    "QAT": ("Qatari",),
    "KOR": ("South Korean",),
    "ROU": ("Romanian",),
    "RUS": ("Russian",),
    "RWA": ("Rwandan",),
    "LCA": ("Saint Lucian",),
    "VCT": ("Vincentian",),
    "WSM": ("Samoan",),
    "SMR": ("Sammarinese",),
    "SAU": ("Saudi", "Saudi Arabian"),
    "SEN": ("Senegalese",),
    "SRB": ("Serbian",),
    "SYC": ("Seychellois",),
    "SLE": ("Sierra Leonean",),
    "SGP": ("Singaporean",),
    "SVK": ("Slovak",),
    "SVN": ("Slovenian", "Slovene"),
    "SOM": ("Somali",),
    "ZAF": ("South African",),
    "SSD": ("South Sudanese",),
    "ESP": ("Spanish",),
    "LKA": ("Sri Lankan",),
    "SDN": ("Sudanese",),
    "SUR": ("Surinamese",),
    "SWE": ("Swedish",),
    "CHE": ("Swiss",),
    "SYR": ("Syrian",),
    "TWN": ("Taiwanese",),
    "TZA": ("Tanzanian",),
    "THA": ("Thai",),
    "TLS": ("Timorese",),
    "TGO": ("Togolese",),
    "TON": ("Tongan",),
    "TUN": ("Tunisian",),
    "TUR": ("Turkish",),
    "TUV": ("Tuvaluan",),
    "UGA": ("Ugandan",),
    "UKR": ("Ukrainian",),
    "ARE": ("Emirati",),
    "GBR": ("British",),
    "USA": ("American",),
    "URY": ("Uruguayan",),
    "UZB": ("Uzbek",),
    "VEN": ("Venezuelan",),
    "VNM": ("Vietnamese",),
    "YEM": ("Yemeni",),
    "ZMB": ("Zambian",),
    "ZWE": ("Zimbabwean",),
    "PRI": ("Puerto Rican",),
    "GRL": ("Greenlandic",),
}

HEADER = """\
# =============================================================================
# kg vocabulary: countries (States), ISO 3166-1
# =============================================================================
# GENERATED by tools/build_vocab_countries.py from pycountry; do not edit by
# hand. Change the tables in the script and run it again; tests/test_vocab.py
# checks that this file is what the script writes.
#
# One kg:State per ISO 3166-1 entry, keyed by its alpha-3 code (the code that
# communication references use). skos:prefLabel is the ISO short name, turned
# round where ISO inverts it ("Korea, Republic of" -> "Republic of Korea");
# skos:altLabel holds the official and common names, UN and other English
# names, and forms without accents; inverted names with a comma are left out
# because they would swallow the next item of a comma-separated list. kg:demonym (a hidden label) holds
# the adjective letters use, as in "the Chinese Government".
# =============================================================================

@prefix kg:      <https://w3id.org/kg-spcomm/ontology#> .
@prefix rdfs:    <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos:    <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix vocab:   <https://w3id.org/kg-spcomm/vocab/> .
@prefix country: <https://w3id.org/kg-spcomm/vocab/country/> .

vocab:countries
    a skos:ConceptScheme ;
    rdfs:label "Countries"@en ;
    dcterms:title "Countries"@en ;
    skos:definition "The countries and territories of ISO 3166-1, the States letters address or name."@en ;
    dcterms:source <https://www.iso.org/iso-3166-country-codes.html>, <https://pypi.org/project/pycountry/> .
"""


@dataclass(frozen=True)
class CountryRecord:
    """Everything the Turtle file says about one country, already sorted."""

    alpha2: str
    alpha3: str
    numeric: str
    pref_label: str
    alt_labels: tuple[str, ...]
    demonyms: tuple[str, ...]


def turned_round(name: str) -> str | None:
    """ISO's inverted form "Korea, Republic of" as prose: "Republic of Korea".

    Only tails that end in "of" / "of the" are inverted titles; other commas are lists
    ("Bonaire, Sint Eustatius and Saba") or qualifiers ("Taiwan, Province of China").
    """
    match = re.fullmatch(r"(?P<head>[^,]+), (?P<tail>.+ of(?: the)?)", name)
    if match is None:
        return None
    tail = re.sub(r"^The ", "", match["tail"])
    return f"{tail} {match['head']}"


def without_accents(label: str) -> str:
    """The label with diacritics removed, because ``kg.vocab.normalise`` keeps them."""
    decomposed = unicodedata.normalize("NFKD", label)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


def strip_article(label: str) -> str:
    """Drop a leading "the": the matcher finds the name inside "the State of Palestine"."""
    return re.sub(r"^the\s+", "", label, flags=re.IGNORECASE)


def safe_in_lists(label: str) -> bool:
    """False for a label with an inner comma that is not a list of names.

    Letters list States with commas ("Spain, Republic of Korea, Japan"). An ISO inverted
    name such as "Moldova, Republic of" would swallow the start of the next item there
    ("Moldova, Republic of Korea"), so such forms are not labels; their turned-round
    form is. Names that are lists themselves ("Bonaire, Sint Eustatius and Saba") stay.
    """
    return "," not in label or " and " in label


def _unique(labels: Iterable[str], exclude: str) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for label in labels:
        key = label.casefold()
        if label and safe_in_lists(label) and key != exclude.casefold() and key not in seen:
            seen[key] = label
    return tuple(sorted(seen.values()))


def country_records() -> list[CountryRecord]:
    """One record per pycountry entry, with the extra names and demonyms merged in."""
    records = []
    for country in pycountry.countries:
        code = country.alpha_3
        iso_name = country.name
        names = [
            iso_name,
            getattr(country, "official_name", None),
            getattr(country, "common_name", None),
            *EXTRA_NAMES.get(code, ()),
        ]
        names = [strip_article(n) for n in names if n]
        turned = [t for t in (turned_round(n) for n in names) if t]
        pref = PREFERRED_NAMES.get(code) or turned_round(iso_name) or iso_name
        candidates = [*names, *turned]
        candidates += [without_accents(n) for n in [pref, *candidates]]
        records.append(
            CountryRecord(
                alpha2=country.alpha_2,
                alpha3=code,
                numeric=country.numeric,
                pref_label=pref,
                alt_labels=_unique(candidates, exclude=pref),
                demonyms=tuple(sorted(DEMONYMS.get(code, ()))),
            )
        )
    unknown = (set(EXTRA_NAMES) | set(DEMONYMS) | set(PREFERRED_NAMES)) - {r.alpha3 for r in records}
    if unknown:
        raise ValueError(f"tables name codes that pycountry does not know: {sorted(unknown)}")
    return sorted(records, key=lambda r: r.alpha3)


def _en(text: str) -> str:
    return Literal(text, lang="en").n3()


def _plain(text: str) -> str:
    return Literal(text).n3()


def render(records: Sequence[CountryRecord]) -> str:
    """The Turtle text of the countries vocabulary, one block per record."""
    blocks = [HEADER]
    for r in records:
        lines = [
            f"country:{r.alpha3}",
            "    a kg:State ;",
            "    skos:inScheme vocab:countries ;",
            f"    skos:notation {_plain(r.alpha3)} ;",
            f"    skos:prefLabel {_en(r.pref_label)} ;",
            f"    rdfs:label {_en(r.pref_label)} ;",
        ]
        if r.alt_labels:
            lines.append("    skos:altLabel " + ", ".join(_en(a) for a in r.alt_labels) + " ;")
        definition = (
            f"The country or territory {r.pref_label}, identified by ISO 3166-1 alpha-3 code {r.alpha3}."
        )
        lines += [
            f"    skos:definition {_en(definition)} ;",
            f"    kg:isoAlpha2 {_plain(r.alpha2)} ;",
            f"    kg:isoAlpha3 {_plain(r.alpha3)} ;",
            f"    kg:isoNumeric {_plain(r.numeric)} ;",
        ]
        lines += [f"    kg:demonym {_plain(d)} ;" for d in r.demonyms]
        lines[-1] = lines[-1][:-2] + " ."
        blocks.append("\n".join(lines) + "\n")
    text = "\n".join(blocks)
    Graph().parse(data=text, format="turtle")  # fail here, not in the loader, if the output is broken
    return text


def main(argv: Sequence[str] | None = None) -> int:
    """Write the file, or with ``--check`` report whether it is up to date (exit 1 if not)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT, help="where to write (default: %(default)s)")
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 if the file differs")
    args = parser.parse_args(argv)
    text = render(country_records())
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date; run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    args.output.write_text(text, encoding="utf-8", newline="\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

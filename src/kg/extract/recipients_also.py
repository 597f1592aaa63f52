"""Other recipients of letters on the same facts ("letters ... are also sent to the Governments of ...").

States are recognised through the vocabulary, in the letter's order; companies only when
the sentence names them with a legal form. "Other companies" without names sets a flag,
so the graph can say more letters exist without inventing who received them.
"""

from __future__ import annotations

import re

from kg.extract import concepts
from kg.extract.layout import Letter, cut_short
from kg.extract.recipient import COMPANY_NAME, company_name
from kg.record import Actor
from kg.vocab import Vocabulary

_ALSO_SENT = re.compile(
    r"\b(?:letters?|communications?|copies|a\s+copy)\b[^.]{0,160}?\b(?:also\s+(?:been\s+)?(?:sent|addressed|transmitted)|"
    r"(?:sent|addressed|transmitted)\s+also)\s+to\b",
    re.I,
)
_OTHER_COMPANIES = re.compile(
    r"\bother\s+(?:companies|business\s+enterprises|enterprises|corporations|firms)\b", re.I
)


def extract(letter: Letter, vocab: Vocabulary) -> tuple[list[Actor], bool]:
    view = letter.view
    actors: list[Actor] = []
    other_companies = False
    for m in _ALSO_SENT.finditer(view):
        sentence = letter.sentence_at(m.start())
        end = sentence.end if sentence else len(view)
        evidence = letter.evidence(sentence.start, end) if sentence else letter.evidence(m.start(), end)
        found: list[tuple[int, Actor]] = []
        for match in concepts.unique(concepts.find(vocab, view, "State", start=m.end(), end=end)):
            iso = concepts.iso3(match.concept)
            found.append(
                (
                    match.start,
                    Actor(kind="state", name=match.concept.pref_label, country=iso, evidence=evidence),
                )
            )
        for company in COMPANY_NAME.finditer(view, m.end(), end):
            if cut_short(view, company.end()):
                continue
            name = company_name(company.group(0), at_sentence_end=company.end() >= end)
            found.append((company.start(), Actor(kind="company", name=name, evidence=evidence)))
        actors += [actor for _, actor in sorted(found, key=lambda pair: pair[0])]
        if _OTHER_COMPANIES.search(view, m.end(), end):
            other_companies = True
    return actors, other_companies

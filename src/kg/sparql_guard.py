"""Refuse dangerous SPARQL before any parser sees it.

Oxigraph's parser is recursive (about 2,000 nested ``{`` or 9,000 ``!`` overflow the stack
and kill the process), it runs ``SERVICE`` as real HTTP requests, and long property paths
cost cubic time (see shared/SECURITY.md and PERFORMANCE.md). So the limits have to be
checked by something that cannot crash: a small linear lexer that never recurses.

The lexer is context-free, so where a token could be read two ways it takes the reading
that refuses more. It scans two views of the text: the text as written (what pyoxigraph
parses: it applies ``\\u`` escapes only inside strings and IRIs), and the text after
SPARQL's codepoint escapes (the standard's reading, where ``\\u0053ERVICE`` is ``SERVICE``).
A query is refused if either view breaks a rule.

The rules:

- length: the text as received, in characters;
- depth: the deepest nesting of ``{ ( [``, plus a run of unary ``!`` at that point (each
  ``!`` is one more level of recursion). Brackets inside an ``<…>`` that lexes as an IRI
  count too, because after an expression ``<`` is "less than" and what follows is code;
- path steps: every ``/``, ``|`` and ``^`` token (so a division in ``FILTER`` or ``BIND``
  counts as well), plus every ``*``, ``+`` or ``?`` right after an IRI, a prefixed name,
  ``a`` or ``)`` (a path modifier, or harmlessly a multiplication). An upper bound on the
  operators of all property paths of the query; normal queries use a handful;
- ``SERVICE``: Oxigraph matches keywords without word boundaries (``trueSERVICE``,
  ``1SERVICE``, ``SERVICESILENT<…>`` and ``SERVICE:x`` all parse), so any bare word or
  prefix that contains "service" counts, and so does a ``.``-separated part of a local
  name after its first part (pyoxigraph reads ``ex:a.b.SERVICE`` as ``ex:a.b . SERVICE``).
  It is allowed only as the word ``SERVICE``, optionally ``SILENT``, then an ``<IRI>``
  listed in the allow-list, written exactly so;
- update: the bare words ``INSERT DELETE LOAD CLEAR DROP CREATE ADD MOVE COPY WITH USING``,
  none of which a query can contain (variables, strings and prefixed names do not count).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from kg.errors import KgError

__all__ = ["SETTINGS", "UPDATE_VERBS", "QueryRefused", "RefusalReason", "check_query", "unescape_codepoints"]

RefusalReason = Literal["too_long", "too_deep", "path_too_long", "service", "update", "load"]

SETTINGS: dict[RefusalReason, str] = {
    "too_long": "KG_MAX_REQUEST_BYTES",
    "too_deep": "KG_MAX_QUERY_DEPTH",
    "path_too_long": "KG_MAX_PATH_STEPS",
    "service": "KG_SERVICE_ALLOWLIST",
}
UPDATE_VERBS = frozenset(
    {"insert", "delete", "load", "clear", "drop", "create", "add", "move", "copy", "with", "using"}
)
_READ_ONLY = (
    "this endpoint is read-only: SPARQL Update (INSERT, DELETE, LOAD, CLEAR, DROP, CREATE, ADD, "
    "MOVE, COPY) is refused"
)


class QueryRefused(KgError):
    """The query breaks one of the endpoint's limits and was not run; ``reason`` says which."""

    def __init__(self, message: str, reason: RefusalReason) -> None:
        super().__init__(message)
        self.reason: RefusalReason = reason
        self.setting: str | None = SETTINGS.get(reason)


# -- the lexer ----------------------------------------------------------------------------
# Character classes of the SPARQL grammar (as pyoxigraph implements them).
_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_CHARS_U = _BASE + "_"
_CHARS = _CHARS_U + r"\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_PREFIX = rf"[{_BASE}](?:[{_CHARS}.]*[{_CHARS}])?"
_LOCAL = rf"(?:[{_CHARS_U}:0-9]|{_PLX})(?:(?:[{_CHARS}.:]|{_PLX})*(?:[{_CHARS}:]|{_PLX}))?"

_TOKEN = re.compile(
    "|".join(
        rf"(?P<{name}>{pattern})"
        for name, pattern in [
            ("ws", r"[ \t\r\n]+"),
            ("comment", r"#[^\r\n]*"),
            # Long strings first, as in the grammar; possessive loops keep failures linear.
            ("string", r"'''(?:(?:''|')?(?:[^'\\]|\\[\s\S]))*+'''"),
            ("string2", r'"""(?:(?:""|")?(?:[^"\\]|\\[\s\S]))*+"""'),
            ("string3", r"'(?:[^'\\\r\n]|\\[\s\S])*+'"),
            ("string4", r'"(?:[^"\\\r\n]|\\[\s\S])*+"'),
            # Every character Oxigraph accepts in an IRI is in this class (checked against it).
            ("iri", r'<(?:[^<>"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*+>'),
            ("var", rf"[?$][0-9{_CHARS_U}][0-9{_CHARS_U}\u00b7\u0300-\u036f\u203f-\u2040]*+"),
            ("pname", rf"_:[0-9{_CHARS_U}](?:[{_CHARS}.]*[{_CHARS}])?|(?:{_PREFIX})?:(?:{_LOCAL})?"),
            ("number", r"(?:[0-9]++(?:\.[0-9]*+)?|\.[0-9]++)(?:[eE][+-]?[0-9]++)?"),
            ("langtag", r"@[A-Za-z]++(?:-[A-Za-z0-9]++)*+(?:--[A-Za-z]++)?"),
            # Bare words: keywords, function names, and whatever runs of name characters remain.
            ("word", rf"[{_CHARS_U}](?:[{_CHARS}.]*[{_CHARS}])?"),
            ("open", r"[{(\[]++"),
            ("close", r"[})\]]++"),
            ("bang", r"!+(?!=)"),
            ("op", r"\^\^|\|\||&&|!=|<=|>=|[/|^*+?]"),
            ("other", r"[\s\S]"),
        ]
    )
)
_PATH_OPERATORS = frozenset({"/", "|", "^"})
_PATH_MODIFIERS = frozenset({"*", "+", "?"})
_CODEPOINT_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_INNER_NESTING = re.compile(r"[(\[]|[)\]]|!+")
_ABSOLUTE_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")


@dataclass
class _Scan:
    """What one pass over the text found; positions are offsets into the scanned view."""

    depth: int = 0
    depth_at: int = 0
    path_steps: int = 0
    service_at: int | None = None
    update_verb: str | None = None
    update_at: int = 0


def unescape_codepoints(text: str) -> str:
    """Apply ``\\uXXXX`` and ``\\UXXXXXXXX`` everywhere, as SPARQL 1.1 (section 19.2) does before parsing."""

    def char(match: re.Match[str]) -> str:
        code = int(match.group(1) or match.group(2), 16)
        return chr(code) if code <= 0x10FFFF else "\ufffd"

    return _CODEPOINT_ESCAPE.sub(char, text)


def _inner_nesting(iri: str) -> int:
    """The nesting an ``<…>`` would add if its ``<`` were "less than" and the rest code."""
    if "(" not in iri and "[" not in iri and "!" not in iri:
        return 0
    depth = deepest = 0
    for match in _INNER_NESTING.finditer(iri):
        piece = match.group()
        if piece in "([":
            depth += 1
            deepest = max(deepest, depth)
        elif piece in ")]":
            depth = max(0, depth - 1)
        else:
            deepest = max(deepest, depth + len(piece))
    return deepest


def _mentions_service(kind: str | None, text: str) -> bool:
    lowered = text.lower()
    if "service" not in lowered:
        return False
    if kind == "word":
        return True
    prefix, _, local = lowered.partition(":")
    return "service" in prefix or "service" in local.partition(".")[2]


def _service_allowed(text: str, start: int, allowlist: Sequence[str]) -> bool:
    """True when the SERVICE at ``start`` is the plain word, optional SILENT, then an allow-listed <IRI>."""
    match = _TOKEN.match(text, start)
    if not allowlist or match is None or match.group().lower() != "service":
        return False
    silent_allowed = True
    while match := _TOKEN.match(text, match.end()):
        kind, token = match.lastgroup, match.group()
        if kind in ("ws", "comment"):
            continue
        if silent_allowed and kind == "word" and token.lower() == "silent":
            silent_allowed = False
            continue
        iri = token[1:-1]
        return kind == "iri" and iri in allowlist and _ABSOLUTE_IRI.match(iri) is not None
    return False


def _scan(text: str, allowlist: Sequence[str]) -> _Scan:
    """One linear pass: nesting, path operators, SERVICE and update words. Never recurses."""
    scan = _Scan()
    depth = bangs = 0
    previous = ""  # the kind of the previous significant token, to tell path modifiers
    position, end = 0, len(text)
    while position < end:
        match = _TOKEN.match(text, position)
        assert match is not None  # the last alternative matches any character
        kind, token, start = match.lastgroup, match.group(), position
        position = match.end()
        if kind in ("ws", "comment"):
            continue
        if kind == "open":
            depth += len(token)
        elif kind == "close":
            depth = max(0, depth - len(token))
        elif kind == "bang":
            bangs += len(token)
        elif kind == "iri" and (inner := _inner_nesting(token)) and depth + bangs + inner > scan.depth:
            scan.depth, scan.depth_at = depth + bangs + inner, start
        elif kind == "op" and (
            token in _PATH_OPERATORS or (token in _PATH_MODIFIERS and previous in ("iri", "pname", "a", ")"))
        ):
            scan.path_steps += 1
        elif kind in ("word", "pname"):
            if (
                scan.service_at is None
                and _mentions_service(kind, token)
                and not _service_allowed(text, start, allowlist)
            ):
                scan.service_at = start
            if kind == "word" and scan.update_verb is None and token.lower() in UPDATE_VERBS:
                scan.update_verb, scan.update_at = token, start
        if depth + bangs > scan.depth:
            scan.depth, scan.depth_at = depth + bangs, start
        if kind != "bang":
            bangs = 0
        previous = "a" if token == "a" else ")" if kind == "close" and token[-1] == ")" else kind or ""
    return scan


def has_dataset_clause(sparql: str) -> bool:
    """Whether the query names its own dataset (FROM / FROM NAMED), escaped spellings included.

    The engine must then use that dataset, not the union of all graphs it uses otherwise.
    """
    for text in {sparql, unescape_codepoints(sparql)}:
        position, end = 0, len(text)
        while position < end:
            match = _TOKEN.match(text, position)
            assert match is not None  # the last alternative matches any character
            position = match.end()
            if match.lastgroup == "word" and match.group().lower() == "from":
                return True
    return False


def _where(text: str, offset: int) -> str:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"line {line}, column {column}"


def check_query(
    sparql: str,
    *,
    max_length: int = 100_000,
    max_depth: int = 128,
    max_path_steps: int = 64,
    service_allowlist: Sequence[str] = (),
) -> None:
    """Raise QueryRefused if the query must not reach the engine; return None if it may.

    Runs in time linear in the query's length and refuses an over-long query before reading it.
    """
    if len(sparql) > max_length:
        raise QueryRefused(
            f"the query is {len(sparql):,} characters long; the limit is {max_length:,} "
            f"(setting {SETTINGS['too_long']})",
            "too_long",
        )
    views = [(sparql, "")]
    unescaped = unescape_codepoints(sparql)
    if unescaped != sparql:
        views.append((unescaped, " once its \\u escapes are applied"))
    scans = [(text, note, _scan(text, service_allowlist)) for text, note in views]

    for text, note, scan in scans:
        if scan.service_at is not None:
            allowed = ", ".join(f"<{iri}>" for iri in service_allowlist) or "none"
            raise QueryRefused(
                f"SERVICE is not allowed on this endpoint: it would make the server call another endpoint "
                f"(allow-listed endpoints: {allowed}; setting {SETTINGS['service']}); "
                f"found at {_where(text, scan.service_at)}{note}",
                "service",
            )
    for text, note, scan in scans:
        if scan.update_verb is not None:
            where = f"{scan.update_verb} at {_where(text, scan.update_at)}{note}"
            if scan.update_verb.lower() == "load":
                raise QueryRefused(f"{_READ_ONLY}; LOAD would make the server fetch a URL ({where})", "load")
            raise QueryRefused(f"{_READ_ONLY} ({where})", "update")
    for text, note, scan in scans:
        if scan.depth > max_depth:
            raise QueryRefused(
                f"the query nests groups {scan.depth} deep (deepest at {_where(text, scan.depth_at)}{note}); "
                f"the limit is {max_depth} (setting {SETTINGS['too_deep']})",
                "too_deep",
            )
    for _text, note, scan in scans:
        if scan.path_steps > max_path_steps:
            raise QueryRefused(
                f"the query has {scan.path_steps} property path operators (/ | ^ * + ?){note}; the limit is "
                f"{max_path_steps} (setting {SETTINGS['path_too_long']})",
                "path_too_long",
            )


QueryForm = Literal["solutions", "graph"]
"""What a query answers: solutions (SELECT, ASK) or a graph (CONSTRUCT, DESCRIBE)."""

# What may stand before the query form keyword: IRIs, strings and comments are skipped so that
# '# SELECT' or <http://x/ask> cannot be taken for it; ?select and ex:ask are not keywords.
_OPAQUE = re.compile(
    r'<[^<>"{}|^`\\\s]*>|"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
    r'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|#[^\n]*'
)
_FORM = re.compile(r"(?<![\w:?$])(SELECT|ASK|CONSTRUCT|DESCRIBE)(?![\w:-])", re.IGNORECASE)


def query_form(sparql: str) -> QueryForm | None:
    """'solutions' (SELECT, ASK) or 'graph' (CONSTRUCT, DESCRIBE); None when it cannot be told."""
    match = _FORM.search(_OPAQUE.sub(" ", sparql))
    if match is None:
        return None
    return "graph" if match.group(1).upper() in ("CONSTRUCT", "DESCRIBE") else "solutions"

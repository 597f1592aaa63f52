"""The SPARQL guard: what it lets through, what it refuses, and that it stays fast on hostile input."""

from __future__ import annotations

import contextlib
import itertools
import re
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.sparql_guard import _TOKEN, QueryRefused, check_query

REPO = Path(__file__).resolve().parent.parent
PREFIXES = "PREFIX kg: <https://w3id.org/kg/> PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"

ALLOWED = {
    "filter arithmetic": "SELECT ?x { ?x kg:n ?n FILTER(?n * 2 / 3 - 1 > 4 && ?n != 7 || !BOUND(?x)) }",
    "bind and aggregate": "SELECT (COUNT(*) * 2 AS ?c) { ?x kg:n ?n BIND(?n / 100 AS ?p) } GROUP BY ?x",
    "sequence path": "SELECT * { ?s kg:a/kg:b ?o }",
    "paths and modifiers": "SELECT * { ?s skos:broader* ?o . ?o ^kg:a|kg:b+ ?z . ?z kg:c? ?w }",
    "negated property set": "SELECT * { ?s !(kg:a|^kg:b) ?o }",
    "strings naming keywords": "SELECT * { ?s ?p \"SERVICE <http://x> { } DROP ALL\" . ?s ?q 'delete' }",
    "long strings": 'SELECT * { ?s ?p \'\'\'it\'s SERVICE\n\'\'\' . ?s ?q """LOAD <x> "quoted" """ }',
    "escaped quote in string": r'SELECT * { ?s ?p "say \"SERVICE\" then DROP" }',
    "iri naming service": "SELECT * { <http://example.org/service/sparql> ?p <http://example.org/drop#x> }",
    "comment naming service": "SELECT * { ?s ?p ?o } # SERVICE <http://evil/> { } and DELETE everything",
    "variables named like keywords": "SELECT ?service ?delete $load { ?service ?drop ?delete }",
    "prefixed names like keywords": "PREFIX e: <http://e/> SELECT * { ?s e:service e:DELETE . ?s e:a.b e:x }",
    "blank node label": "SELECT * { _:service ?p ?o }",
    "language tag": 'SELECT * { ?s ?p "x"@en-GB }',
    "less-than then IRI": "SELECT * { ?s ?p ?o FILTER(?o<3 && ?o >= 1) . ?s <http://x/(a)> ?z }",
    "empty": "",
    "nesting at the limit": "SELECT * " + "{" * 128 + "}" * 128,
    "path steps at the limit": "SELECT * { ?s " + "/".join(["kg:p"] * 65) + " ?o }",
}

REFUSED = {
    "SERVICE": ("SELECT * { SERVICE <http://x/sparql> { ?s ?p ?o } }", "service"),
    "lower-case service": ("select * { service <http://x/sparql> { ?s ?p ?o } }", "service"),
    "escaped SERVICE": (r"SELECT * { \u0053ERVICE <http://x> { } }", "service"),
    "long-escaped SERVICE": (r"SELECT * { \U00000053ERVICE <http://x> { } }", "service"),
    "SERVICE SILENT variable": ("SELECT * { VALUES ?v { <http://x> } SERVICE SILENT ?v { } }", "service"),
    # Oxigraph matches keywords without word boundaries: each of these runs SERVICE.
    "glued to a number": ("SELECT * { ?s ?p 1SERVICE <http://x> { } }", "service"),
    "glued to true": ("SELECT * { ?s ?p trueSERVICE <http://x> { } }", "service"),
    "glued to SILENT": ("SELECT * { SERVICESILENT<http://x>{} }", "service"),
    "as a prefix": ("PREFIX : <http://x/> SELECT * { SERVICE:x { } }", "service"),
    "after a dotted local name": (
        "PREFIX e: <http://e/> SELECT * { ?s ?p e:a.b.SERVICE <http://x> {}}",
        "service",
    ),
    "string closed by an escape": (r'SELECT * { ?s ?p "\u0022" SERVICE <http://x> {} } #"', "service"),
    "INSERT DATA": ("INSERT DATA { <http://a> <http://b> <http://c> }", "update"),
    "DELETE WHERE": ("DELETE WHERE { ?s ?p ?o }", "update"),
    "WITH": ("WITH <http://g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", "update"),
    "LOAD": ("LOAD <http://example.org/data.ttl>", "load"),
    "CLEAR ALL": ("CLEAR ALL", "update"),
    "DROP GRAPH": ("DROP GRAPH <http://g>", "update"),
    "200-deep braces": ("SELECT * " + "{" * 200 + "}" * 200, "too_deep"),
    "deep brackets": ("SELECT * { ?s ?p " + "[ ?p " * 150 + "1" + "]" * 150 + " }", "too_deep"),
    "run of !": ("SELECT * { ?s ?p ?o FILTER(" + "!" * 200 + "?o) }", "too_deep"),
    "parens in a would-be IRI": ("ASK { FILTER(?a<" + "(" * 300 + "1" + ")" * 300 + ">1) }", "too_deep"),
    "400-step sequence path": ("SELECT * { ?s " + "/".join(["kg:p"] * 400) + " ?o }", "path_too_long"),
    "long alternative": ("SELECT * { ?s " + "|".join(["kg:p"] * 100) + " ?o }", "path_too_long"),
    "1 MB query": ("SELECT * { ?s ?p ?o } #" + "x" * 1_000_000, "too_long"),
}


@pytest.mark.parametrize("query", ALLOWED.values(), ids=ALLOWED.keys())
def test_allowed(query: str) -> None:
    check_query(PREFIXES + query)


@pytest.mark.parametrize(("query", "reason"), REFUSED.values(), ids=REFUSED.keys())
def test_refused(query: str, reason: str) -> None:
    with pytest.raises(QueryRefused) as caught:
        check_query(query)
    refusal = caught.value
    assert refusal.reason == reason
    if reason in ("update", "load"):
        assert "read-only" in str(refusal)
    else:  # the message names the setting that changes the limit
        assert refusal.setting is not None and refusal.setting.startswith("KG_")
        assert refusal.setting in str(refusal)


def test_messages_name_the_limit() -> None:
    with pytest.raises(
        QueryRefused, match=r"groups 300 deep .*the limit is 128 \(setting KG_MAX_QUERY_DEPTH\)"
    ):
        check_query("SELECT * " + "{" * 300 + "}" * 300)
    with pytest.raises(QueryRefused, match=r"the limit is 10 \(setting KG_MAX_PATH_STEPS\)"):
        check_query("SELECT * { ?s " + "/".join(["<http://p>"] * 12) + " ?o }", max_path_steps=10)
    with pytest.raises(QueryRefused, match=r"is 1,001 characters long; the limit is 1,000"):
        check_query("#" * 1001, max_length=1000)
    with pytest.raises(QueryRefused, match=r"allow-listed endpoints: none; setting KG_SERVICE_ALLOWLIST"):
        check_query("SELECT * { SERVICE <http://x> {} }")


def test_allow_listed_service() -> None:
    allow = ["https://query.wikidata.org/sparql"]
    check_query(
        "SELECT * { SERVICE <https://query.wikidata.org/sparql> { ?s ?p ?o } }", service_allowlist=allow
    )
    check_query("SELECT * { SERVICE SILENT <https://query.wikidata.org/sparql> {} }", service_allowlist=allow)
    expected = re.escape("allow-listed endpoints: <https://query.wikidata.org/sparql>")
    for other in [
        "SELECT * { SERVICE <https://evil.example/sparql> {} }",
        "SELECT * { SERVICE <https://query.wikidata.org/sparql> {} SERVICE <https://evil.example/> {} }",
        "SELECT * { SERVICE ?endpoint {} }",
        "PREFIX w: <https://query.wikidata.org/> SELECT * { SERVICE w:sparql {} }",
    ]:
        with pytest.raises(QueryRefused, match=expected):
            check_query(other, service_allowlist=allow)


@pytest.mark.parametrize(
    "query",
    [
        "(" * 100_000,
        "SELECT * { FILTER(" + "!" * 99_000 + "=1) }",
        '"""' + "a" * 99_000,
        "<a" * 50_000,
        "é" * 100_000,
        "a." * 50_000,
        "SELECT * { ?s " + "/".join(["<http://p>"] * 9000) + " ?o }",
        r"\u0028" * 16_000,
    ],
    ids=["parens", "bangs", "open string", "open IRIs", "letters", "dots", "path", "escapes"],
)
def test_hostile_input_is_handled_fast(query: str) -> None:
    started = time.perf_counter()
    with contextlib.suppress(QueryRefused):
        check_query(query)
    assert time.perf_counter() - started < 1.0


def test_huge_query_is_refused_before_it_is_read() -> None:
    started = time.perf_counter()
    with pytest.raises(QueryRefused, match=r"characters long"):
        check_query("{" * 5_000_000)
    assert time.perf_counter() - started < 0.1


def test_every_character_oxigraph_accepts_in_an_iri_stays_inside_the_iri_token() -> None:
    """The lexer's safety rests on this: no IRI that Oxigraph reads is read by the guard as code."""
    store = ox.Store()
    for code in [*range(0x80), 0xA0, 0xFEFF, 0x1F600]:
        iri = f"<http://x/a{chr(code)}b>"
        try:
            store.query(f"ASK {{ {iri} ?p ?o }}")
        except SyntaxError:
            continue
        match = _TOKEN.match(iri)
        assert match is not None and match.lastgroup == "iri" and match.group() == iri, repr(chr(code))


def test_no_spelling_of_service_that_oxigraph_runs_gets_through() -> None:
    """Differential check: build SERVICE in many spellings; whatever Oxigraph evaluates, the guard refused.

    Port 9 makes Oxigraph's HTTP client fail before connecting, so nothing leaves the machine.
    """
    before = ["", "?s ?p ?o", "?s ?p 1", "?s ?p true", "?s ?p e:a.b", "?s ?p 'x'", "FILTER(?s<?p)", "# c\n"]
    separators = ["", " ", ".", "\n", "#x\n"]
    keywords = [
        "SERVICE",
        "SeRvIcE",
        r"\u0053ERVICE",
        "SERVICESILENT",
        "SERVICE SILENT",
        "SERVICEe:",
        ":SERVICE",
    ]
    targets = ["<http://127.0.0.1:9/>", " <http://127.0.0.1:9/>", "e:x", " :x", "x", " ?v"]
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("http://s"), ox.NamedNode("http://p"), ox.NamedNode("http://o")))
    evaluated = 0
    for parts in itertools.product(before, separators, keywords, targets):
        query = "PREFIX e: <http://127.0.0.1:9/> PREFIX : <http://127.0.0.1:9/> SELECT * { " + "".join(parts)
        query += " {} }"
        try:
            list(store.query(query, use_default_graph_as_union=True))  # type: ignore[arg-type]
        except SyntaxError:
            continue
        except (OSError, RuntimeError):
            evaluated += 1
            with pytest.raises(QueryRefused):
                check_query(query)
    assert evaluated > 100  # the oracle does see SERVICE being run


def test_project_queries_pass() -> None:
    queries = sorted((REPO / "queries").glob("*.rq"))
    assert queries
    for path in queries:
        check_query(path.read_text(encoding="utf-8"))

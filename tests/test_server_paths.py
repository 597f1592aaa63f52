"""GET /paths against the real server: the JSON shape, paging, and errors in the app's one shape."""

from __future__ import annotations

import httpx

pytest_plugins = ["server_fixture"]

DATA = "https://w3id.org/kg-spcomm/data/"
LI_NING = DATA + "company/li-ning-company-limited"
CHINA = "https://w3id.org/kg-spcomm/vocab/country/CHN"


def _error(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert set(error) == {"status", "code", "message", "setting"}
    assert error["status"] == status
    return error  # type: ignore[no-any-return]


def test_paths_from_a_company_name_to_allegations(kg_server: str) -> None:
    response = httpx.get(
        f"{kg_server}/paths", params={"source": "Li-Ning", "to_type": "Allegation", "limit": 3}, timeout=30
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["source"] == LI_NING
    assert body["complete"] is True
    assert body["explored"] > 0
    assert body["next_offset"] == 3
    assert len(body["paths"]) == 3
    path = body["paths"][0]
    assert (path["nodes"][0]["iri"], path["nodes"][0]["label"]) == (LI_NING, "Li-Ning Company Limited")
    assert "https://w3id.org/kg-spcomm/ontology#Company" in path["nodes"][0]["types"]
    edge = path["edges"][0]
    assert set(edge) == {
        "source",
        "target",
        "property",
        "property_label",
        "direction",
        "evidence",
        "inferred",
    }
    assert edge["evidence"] and set(edge["evidence"][0]) == {"document", "quote", "start", "end"}
    assert path["sentence"].startswith("Li-Ning Company Limited ")

    following = httpx.get(
        f"{kg_server}/paths",
        params={"source": LI_NING, "to_type": "kg:Allegation", "limit": 3, "offset": 3},
        timeout=30,
    ).json()
    first = {tuple(n["iri"] for n in p["nodes"]) for p in body["paths"]}
    assert not first & {tuple(n["iri"] for n in p["nodes"]) for p in following["paths"]}


def test_all_paths_to_a_state(kg_server: str) -> None:
    body = httpx.get(
        f"{kg_server}/paths",
        params={
            "source": LI_NING,
            "to": CHINA,
            "mode": "all",
            "max_hops": 2,
            "relation": [
                "https://w3id.org/kg-spcomm/ontology#addressedTo",
                "https://w3id.org/kg-spcomm/ontology#alsoSentTo",
            ],
        },
        timeout=30,
    ).json()
    assert [[n["iri"] for n in p["nodes"]][-1] for p in body["paths"]] == [CHINA]
    assert body["paths"][0]["sentence"].endswith("which was also sent to China.")

    stated = httpx.get(
        f"{kg_server}/paths",
        params={"source": LI_NING, "to_type": "Allegation", "inferred": "false"},
        timeout=30,
    ).json()
    assert stated["paths"]
    assert not any(e["inferred"] for p in stated["paths"] for e in p["edges"])


def test_errors_in_the_app_shape(kg_server: str) -> None:
    missing_target = httpx.get(f"{kg_server}/paths", params={"source": LI_NING}, timeout=30)
    assert _error(missing_target, 400)["code"] == "invalid_parameter"
    bad_mode = httpx.get(
        f"{kg_server}/paths", params={"source": LI_NING, "to_type": "Norm", "mode": "x"}, timeout=30
    )
    _error(bad_mode, 400)
    bad_hops = httpx.get(
        f"{kg_server}/paths", params={"source": LI_NING, "to_type": "Norm", "max_hops": 99}, timeout=30
    )
    _error(bad_hops, 400)
    ambiguous = httpx.get(f"{kg_server}/paths", params={"source": "a", "to_type": "Norm"}, timeout=30)
    assert "entities" in str(_error(ambiguous, 400)["message"])
    unknown = httpx.get(
        f"{kg_server}/paths", params={"source": DATA + "company/nobody", "to_type": "Norm"}, timeout=30
    )
    assert _error(unknown, 404)["code"] == "not_found"
    no_name = httpx.get(
        f"{kg_server}/paths", params={"source": "Nobody Such Ltd", "to_type": "Norm"}, timeout=30
    )
    _error(no_name, 404)


def test_hubs_are_listed_and_max_degree_sets_them(kg_server: str) -> None:
    def ask(**params: object) -> dict[str, object]:
        base = {"source": LI_NING, "to_type": "Allegation", "mode": "all", "limit": 500}
        response = httpx.get(f"{kg_server}/paths", params={**base, **params}, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    default, narrow, everything = ask(), ask(max_degree=3), ask(max_degree=0)
    assert CHINA in narrow["hubs"] and CHINA not in default["hubs"]  # type: ignore[operator]
    for body in (default, narrow, everything):
        assert body["complete"] is True
    crossed = [n["iri"] for p in narrow["paths"] for n in p["nodes"][1:-1]]  # type: ignore[attr-defined]
    assert CHINA not in crossed
    assert narrow["total"] < default["total"] < everything["total"]  # type: ignore[operator]
    assert everything["hubs"] == []
    _error(
        httpx.get(f"{kg_server}/paths", params={"source": LI_NING, "to_type": "Norm", "max_degree": -1}), 400
    )

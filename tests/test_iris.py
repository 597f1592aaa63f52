from hypothesis import given
from hypothesis import strategies as st

from kg import iris

TYPES = st.sampled_from(["AL", "UA", "OL", "JAL", "JUA"])
COUNTRY = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=3, max_size=3)


@given(TYPES, COUNTRY, st.integers(1, 9999), st.integers(1980, 2100), st.sampled_from([" ", "  ", "\t"]))
def test_reference_normalisation_is_a_fixed_point(kind, country, number, year, gap):
    messy = f"{kind.lower()}{gap}{country.lower()}{gap}{number} / {year}"
    clean = iris.normalise_reference(messy)
    assert clean == f"{kind} {country} {number}/{year}"
    assert iris.normalise_reference(clean) == clean
    assert iris.communication_iri("https://x.test/", messy) == iris.communication_iri(
        "https://x.test/", clean
    )


def test_reference_iri_is_readable():
    assert (
        iris.communication_iri("https://x.test/", "AL OTH 70/2020")
        == "https://x.test/communication/al-oth-70-2020"
    )


def test_bad_reference_is_refused_with_an_example():
    try:
        iris.normalise_reference("AL 10/2019")
    except ValueError as exc:
        assert "AL OTH 70/2020" in str(exc)
    else:
        raise AssertionError("a reference without country code was accepted")


@given(st.text())
def test_slug_is_stable_and_safe(text):
    s = iris.slug(text)
    assert s == iris.slug(text)
    assert all(c.isalnum() or c == "-" for c in s)


def test_resolution_numbers_map_to_symbols():
    assert iris.resolution_symbol("44/15") == "A/HRC/RES/44/15"
    assert iris.resolution_symbol("2004/37") == "E/CN.4/RES/2004/37"
    assert iris.resolution_iri("44/15").endswith("resolution/hrc-44-15")
    assert iris.symbol_iri("A/HRC/RES/17/31") == iris.resolution_iri("17/31")
    assert iris.resolution_symbol("not a number") is None


def test_commission_resolutions_numbered_within_a_session_have_one_iri() -> None:
    """Found by the round-trip fuzzer: 20 (XXXVI), the Commission's older numbering, had no IRI."""
    from kg import iris

    iri = iris.resolution_iri("20 (XXXVI)")
    assert iri is not None and iri.endswith("/resolution/chr-20-xxxvi")
    assert iris.resolution_iri("20(XXXVI)") == iri
    assert iris.symbol_iri("E/CN.4/RES/20(XXXVI)") == iri
    assert iris.resolution_symbol("20 (XXXVI)") == "E/CN.4/RES/20(XXXVI)"

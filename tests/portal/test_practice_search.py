"""Finding a GP practice on /practices/ by a citizen's own postcode, town or practice name."""

import pytest
from bs4 import BeautifulSoup

from tests.factories import OrganisationFactory
from tests.portal.test_query_counts import count_queries, grow_catalogue

pytestmark = pytest.mark.django_db

FIND_A_GP = "https://www.nhs.uk/service-search/find-a-gp"
BLYTH = {"Marine Medical Group", "Railway Medical Group"}


def search(client, query: str) -> BeautifulSoup:
    response = client.get("/practices/", {"q": query})
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def listed(page: BeautifulSoup) -> list[str]:
    """The practices listed, in the order shown."""
    return [a.get_text(strip=True) for a in page.select("ul[aria-labelledby=results-heading] a")]


@pytest.mark.parametrize("query", ["NE24 3AB", "ne24 3ab", "NE243AB", "ne243ab", " NE24  3AB ",
                                   "NE24"])
def test_a_postcode_in_blyth_finds_the_blyth_practices(client, demo, query):
    assert set(listed(search(client, query))) == BLYTH


def test_a_postcode_with_no_space_finds_its_practice_first(client, demo):
    assert listed(search(client, "ne241hd")) == ["Railway Medical Group", "Marine Medical Group"]
    assert listed(search(client, "ne241dx")) == ["Marine Medical Group", "Railway Medical Group"]


def test_a_postcode_in_alnwick_finds_the_alnwick_practice(client, demo):
    assert listed(search(client, "NE66 1AA")) == ["Alnwick Medical Group"]


def test_an_outward_code_does_not_match_a_longer_one(client, demo):
    # NE2 is in Newcastle: NE20 (Ponteland) to NE25 are not in it.
    assert listed(search(client, "NE2 4AB")) == []


def test_a_postcode_district_with_no_practice_finds_those_in_its_sub_districts(client, demo):
    practice = OrganisationFactory(name="City Surgery", town="London", place="City",
                                   postcode="EC1A 1BB")
    assert listed(search(client, "EC1M 6BQ")) == [practice.name]
    assert listed(search(client, "EC1")) == [practice.name]


@pytest.mark.parametrize(("query", "expected"), [
    ("Hexham NE46", {"Burn Brae Medical Group", "The Sele Medical Practice"}),
    ("Morpeth NE61", {"Greystoke Surgery", "Wellway Medical Group", "Gas House Lane Surgery"}),
    ("NE61 Morpeth", {"Greystoke Surgery", "Wellway Medical Group", "Gas House Lane Surgery"}),
    ("Blyth NE24 3AB", BLYTH),
    ("marine blyth", {"Marine Medical Group"}),
])
def test_practices_matching_every_word_are_listed(client, demo, query, expected):
    assert set(listed(search(client, query))) == expected


def test_if_no_practice_matches_every_word_those_matching_most_words_come_first(client, demo):
    names = listed(search(client, "Rothbury Practice Alnwick"))
    assert names[0] == "The Rothbury Practice"
    assert "Alnwick Medical Group" in names
    assert "Marine Medical Group" not in names


def test_a_town_alone_still_finds_its_practices(client, demo):
    assert listed(search(client, "Blyth")) == ["Marine Medical Group", "Railway Medical Group"]
    assert set(listed(search(client, "Haydon Bridge"))) == {
        "Haydon Bridge & Allendale Medical Practice"}
    assert listed(search(client, "Berwick-upon-Tweed")) == [
        "Union Brae & Norham Practice", "Well Close Medical Group"]


def test_an_out_of_area_postcode_says_no_practice_in_this_area_matched(client, demo):
    page = search(client, "NE1 4LP")
    main = page.select_one("main")
    assert listed(page) == []
    assert page.select_one("#results-heading").get_text(strip=True) == "No practices found"
    text = main.get_text(" ", strip=True)
    assert "Check the spelling" not in text
    assert "NE1 4LP" in text and "in our area" in text
    links = {a.get_text(strip=True): a["href"] for a in main.select("a")}
    assert links["see all GP practices in our area"] == "/practices/"
    assert links["Find a GP on the NHS website"] == FIND_A_GP


def test_a_name_that_matches_nothing_suggests_checking_the_spelling(client, demo):
    page = search(client, "Zzyzx")
    text = page.select_one("main").get_text(" ", strip=True)
    assert "Check the spelling" in text
    hrefs = [a["href"] for a in page.select("main a")]
    assert "/practices/" in hrefs and FIND_A_GP in hrefs


@pytest.mark.parametrize("query", ["NE24 3AB", "Morpeth NE61", "NE1 4LP", "EC1M 6BQ"])
def test_practice_search_query_count_does_not_grow_with_the_practices(client, demo, query):
    url = "/practices/?q=" + query.replace(" ", "+")
    grow_catalogue(demo, services=2, practices=2)
    small = count_queries(client, url)
    grow_catalogue(demo, services=25, practices=40)
    large = count_queries(client, url)
    assert large == small


@pytest.mark.parametrize("query", ["%", "_", "NE24%", "' OR 1=1 --", "NE24 3AB" * 12, "(", "\\",
                                   "[A-Z]*", "NE.4"])
def test_odd_practice_searches_still_render_the_page(client, demo, query):
    response = client.get("/practices/", {"q": query})
    assert response.status_code == 200

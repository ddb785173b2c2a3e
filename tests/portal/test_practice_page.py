"""A practice's page says, in plain English, which practice it is and how to contact it."""

import pytest
from bs4 import BeautifulSoup

from services_catalogue.models import Organisation

pytestmark = pytest.mark.django_db

FIND_A_GP = "https://www.nhs.uk/service-search/find-a-gp"


def practice_page(client, ods_code="A84006") -> BeautifulSoup:
    response = client.get(f"/practices/{ods_code}/")
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def contact_section(page: BeautifulSoup):
    heading = page.select_one("h2#contact-the-practice")
    assert heading is not None
    return heading.find_parent("section")


def test_the_opening_line_labels_the_practice_code_in_plain_english(client, demo):
    lede = practice_page(client).select_one(".nhsuk-lede-text").get_text(" ", strip=True)
    assert "Practice code A84006" in lede
    assert "ODS" not in lede
    assert "Alnwick" in lede and "NE66 2NL" in lede


def test_a_practice_with_a_website_links_to_it(client, demo):
    Organisation.objects.filter(ods_code="A84006").update(
        website="https://www.alnwickmedicalgroup.example/")
    section = contact_section(practice_page(client))
    link = section.select_one("a[href='https://www.alnwickmedicalgroup.example/']")
    assert link is not None
    assert "Alnwick Medical Group" in link.get_text()


def test_the_contact_section_says_where_the_practice_is(client, demo):
    text = contact_section(practice_page(client)).get_text(" ", strip=True)
    assert "Alnwick" in text and "NE66 2NL" in text


def test_with_no_contact_details_recorded_it_says_where_to_find_them(client, demo):
    practice = Organisation.objects.get(ods_code="A84006")
    assert practice.website == ""
    section = contact_section(practice_page(client))
    find_a_gp = section.select_one(f"a[href='{FIND_A_GP}']")
    assert find_a_gp is not None
    assert "phone number" in section.get_text()
    assert section.select("a[href^='http']") == [find_a_gp], "no website is made up"
    assert section.select("a[href^='tel:']") == [], "no phone number is made up"


def test_a_practice_with_a_website_still_says_where_to_find_its_phone_number(client, demo):
    Organisation.objects.filter(ods_code="A84006").update(website="https://practice.example/")
    section = contact_section(practice_page(client))
    assert section.select_one(f"a[href='{FIND_A_GP}']") is not None


def test_not_online_points_to_how_to_contact_the_practice(client, demo):
    page = practice_page(client)
    paragraph = next(p for p in page.select("main p") if "Not online?" in p.get_text())
    assert paragraph.select_one("a[href='#contact-the-practice']") is not None

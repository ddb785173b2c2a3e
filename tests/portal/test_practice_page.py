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


def test_a_practice_with_a_phone_number_and_address_shows_them_as_a_tappable_number(client, demo):
    Organisation.objects.filter(ods_code="A84006").update(
        phone="01665 510888", address="Infirmary Drive")
    section = contact_section(practice_page(client))
    call = section.select_one("a[href='tel:+441665510888']")
    assert call is not None and call.get_text(strip=True) == "01665 510888"
    address = next(p for p in section.select("p") if p.get_text().startswith("Address"))
    lines = [line.strip() for line in address.get_text("\n").splitlines() if line.strip()]
    assert lines == ["Address:", "Alnwick Medical Group", "Infirmary Drive", "Alnwick", "NE66 2NL"]
    find_a_gp = next(p for p in section.select("p") if p.select_one(f"a[href='{FIND_A_GP}']"))
    assert "To find its opening times," in find_a_gp.get_text(" ", strip=True)


def test_with_only_a_phone_number_it_still_says_where_to_find_the_address(client, demo):
    Organisation.objects.filter(ods_code="A84006").update(phone="01665 510888")
    section = contact_section(practice_page(client))
    text = section.get_text(" ", strip=True)
    assert "To find its address and opening times," in text
    assert "Alnwick Medical Group is in Alnwick, NE66 2NL." in text


def test_a_gap_without_a_national_alternative_gives_the_number_to_call(client, demo):
    Organisation.objects.filter(ods_code="A84006").update(phone="01665 510888")
    page = practice_page(client)
    gaps = [cell for cell in page.select("td") if cell.select_one(".dfd-offer-gap")]
    phone_gaps = [cell for cell in gaps if "Phone" in cell.get_text()]
    assert phone_gaps, "the demo practice has a gap with no national alternative"
    for cell in phone_gaps:
        assert cell.select_one("a[href='tel:+441665510888']") is not None

"""What citizens see on each public page, checked through the rendered markup's structure."""

import pytest
from bs4 import BeautifulSoup

from services_catalogue.models import Capability, ConsistentOffer, Offer

pytestmark = pytest.mark.django_db


def soup(response):
    return BeautifulSoup(response.content, "html.parser")


def test_every_public_page_has_one_h1_a_skip_link_and_a_main_landmark(client, demo):
    for url in ["/", "/services/", "/services/nhs-app/", "/practices/", "/practices/A84009/",
                "/help-getting-online/", "/set-up-nhs-login/"]:
        response = client.get(url)
        assert response.status_code == 200, url
        page = soup(response)
        assert len(page.select("h1")) == 1, url
        skip = page.select_one("a.nhsuk-skip-link")
        assert skip is not None and skip["href"] == "#maincontent", url
        assert page.select_one("main#maincontent") is not None, url
        assert page.select("script") == [], f"{url} needs no JavaScript"


def test_home_lists_the_main_needs_and_finds_a_practice(client, demo):
    page = soup(client.get("/"))
    needs = [a.get_text(strip=True) for a in page.select(".nhsuk-card__link")]
    assert "Order a repeat prescription" in needs
    assert len(needs) == ConsistentOffer.load().items.count()
    form = page.select_one("form[action='/practices/']")
    assert form is not None and form.select_one("input[name=q]") is not None


def test_services_index_lists_national_services_first(client, demo):
    page = soup(client.get("/services/"))
    titles = [a.get_text(strip=True) for a in page.select(".nhsuk-card__heading a")]
    assert titles.index("NHS App") < titles.index("Contact your GP practice online")
    assert "12 services" in page.select_one("#results-heading").get_text()


def test_filtering_by_need_shows_only_services_that_meet_it(client, demo):
    page = soup(client.get("/services/?need=prescriptions"))
    titles = {a.get_text(strip=True) for a in page.select(".nhsuk-card__heading a")}
    assert titles == {"NHS App"}


def test_filters_combine_and_are_shareable_in_the_url(client, demo):
    response = client.get("/services/?need=referral&channel=phone&nhs_login=no")
    page = soup(response)
    titles = {a.get_text(strip=True) for a in page.select(".nhsuk-card__heading a")}
    assert titles == {"NHS Talking Therapies self-referral", "Physiotherapy self-referral",
                      "Adult social care online"}
    assert page.select_one("select[name=channel] option[selected]")["value"] == "phone"


def test_language_filter_finds_services_in_that_language(client, demo):
    page = soup(client.get("/services/?language=pl"))
    titles = {a.get_text(strip=True) for a in page.select(".nhsuk-card__heading a")}
    assert titles == {"Contact your GP practice online"}


def test_search_finds_services_by_words_in_their_summary(client, demo):
    page = soup(client.get("/services/?q=physiotherapy"))
    titles = [a.get_text(strip=True) for a in page.select(".nhsuk-card__heading a")]
    assert titles == ["Physiotherapy self-referral"]


def test_service_page_says_how_to_start_and_the_offline_alternative(client, demo):
    page = soup(client.get("/services/nhs-app/"))
    headings = [h.get_text(strip=True) for h in page.select("h2")]
    for expected in ["Who can use it", "How to start", "Accessibility and languages",
                     "If you cannot or do not want to go online"]:
        assert expected in headings
    facts = {row.select_one("dt").get_text(strip=True): row.select_one("dd").get_text(strip=True)
             for row in page.select(".nhsuk-summary-list__row")}
    assert facts["NHS login"] == "NHS login with proof of identity"
    assert facts["Smartphone needed"] == "No"
    assert page.select_one(".nhsuk-review-date").get_text(strip=True).startswith(
        "Information last reviewed")


def test_practice_page_has_a_row_for_every_capability_of_the_consistent_offer(client, demo):
    page = soup(client.get("/practices/A84009/"))
    rows = page.select("tr[data-capability]")
    expected = [item.capability.slug for item in ConsistentOffer.load().items.order_by("sort_order")]
    assert [row["data-capability"] for row in rows] == expected


def test_practice_page_names_the_national_alternative_where_there_is_a_gap(client, demo):
    practice = demo["practices"][0]
    practice.offers.exclude(service__slug="nhs-app").delete()
    offer = Offer.objects.get(organisation=practice, service__slug="nhs-app")
    offer.capabilities.set(Capability.objects.filter(slug="appointments"))
    offer.save()
    page = soup(client.get(f"/practices/{practice.ods_code}/"))
    triage = page.select_one("tr[data-capability=self-triage]")
    # the national service is the answer, named first; the gap is the practice's own
    assert triage.select_one("td a")["href"] == "/services/nhs-111-online/"
    assert "(for everyone in England)" in triage.get_text()
    gap = triage.select_one(".dfd-offer-gap").get_text(strip=True)
    assert gap == "The practice does not offer its own online service for this."
    booked = page.select_one("tr[data-capability=appointments]")
    assert booked.select_one(".dfd-offer-gap") is None


def test_where_a_practice_offers_its_own_service_the_national_one_is_named_too(client, demo):
    from services_catalogue.practices import practice_offer

    practice = demo["practices"][0]
    rows = [row for row in practice_offer(practice) if row.national_too is not None]
    assert rows, "a demo practice offers its own service where a national one exists"
    page = soup(client.get(f"/practices/{practice.ods_code}/"))
    for row in rows:
        cell = page.select_one(f"tr[data-capability={row.capability.slug}] td")
        links = [a["href"] for a in cell.select("a")]
        assert links[-1] == row.national_too.url
        assert "Or, for everyone in England:" in cell.get_text(" ", strip=True)
        assert cell.select_one(".dfd-offer-gap") is None


def test_a_gap_with_no_national_alternative_tells_people_to_contact_the_practice(client, demo):
    practice = demo["practices"][0]
    offer = Offer.objects.get(organisation=practice, service__slug="nhs-app")
    offer.capabilities.set(Capability.objects.filter(slug="appointments"))
    offer.save()
    row = soup(client.get(f"/practices/{practice.ods_code}/")).select_one(
        "tr[data-capability=health-record]")
    assert "Not offered online here" in row.get_text()
    assert "Phone or visit the practice" in row.get_text() and row.select_one("a") is None


def test_practice_pages_carry_the_demonstration_data_warning_once(client, demo):
    page = soup(client.get("/practices/A84009/"))
    notices = page.select(".dfd-demo-notice")
    assert len(notices) == 1 and page.select(".nhsuk-warning-callout") == []
    text = notices[0].get_text(" ", strip=True)
    assert text.startswith("Demonstration data The practice is real")
    assert "Check with the practice." in text


def test_practice_search_by_town_lists_its_practices(client, demo):
    page = soup(client.get("/practices/?q=Blyth"))
    names = {a.get_text(strip=True) for a in page.select("main ul a")}
    assert {"Railway Medical Group", "Marine Medical Group"} <= names


def test_practice_search_by_exact_ods_code_goes_straight_to_the_practice(client, demo):
    response = client.get("/practices/?q=a84009")
    assert response.status_code == 302
    assert response["Location"] == "/practices/A84009/"


def test_lower_case_ods_code_redirects_to_the_canonical_url(client, demo):
    response = client.get("/practices/a84009/")
    assert response.status_code == 301 and response["Location"] == "/practices/A84009/"


def test_help_getting_online_filters_by_place(client, demo):
    page = soup(client.get("/help-getting-online/?place=Blyth"))
    places = [h.get_text(strip=True) for h in page.select("main h2:not(#guides)")]
    assert places == ["Blyth"]
    names = [h.get_text(strip=True) for h in page.select(".nhsuk-card__heading")]
    assert "Blyth digital champions" in names


def test_a_service_only_some_practices_offer_names_them(client, demo):
    from services_catalogue.models import DigitalService, Scope

    service = DigitalService.objects.live().filter(scope=Scope.LOCAL).first()
    offered = sorted(
        {o.organisation for o in Offer.objects.filter(service=service, organisation__active=True,
                                                      organisation__kind="gp_practice")
         .select_related("organisation")},
        key=lambda org: org.name)
    page = soup(client.get(service.url))
    inset = page.select_one("#where-offered")
    assert "Only some GP practices offer this." in inset.get_text()
    if len(offered) <= 12:
        links = [(a.get_text(), a["href"]) for a in inset.select("a")
                 if a["href"] != "/practices/"]
        assert links == [(org.name, f"/practices/{org.ods_code}/") for org in offered]
    else:
        assert f"{len(offered)} practices in our area offer it." in inset.get_text()
    assert inset.select_one("a[href='/practices/']") is not None


def test_a_national_service_does_not_say_only_some_practices_offer_it(client, demo):
    assert soup(client.get("/services/nhs-app/")).select_one("#where-offered") is None


def test_where_a_service_is_available_is_said_in_plain_words(client, demo):
    page = soup(client.get("/services/"))
    options = [o.get_text(strip=True) for o in page.select("select[name=scope] option, "
                                                             "input[name=scope] + label")]
    assert options[:1] == ["Any"] and "Anywhere in England" in options
    assert "National" not in options
    nhs_app = soup(client.get("/services/nhs-app/"))
    available = next(row for row in nhs_app.select(".nhsuk-summary-list__row")
                     if row.select_one("dt").get_text(strip=True) == "Available")
    assert available.select_one("dd").get_text(strip=True) == "Anywhere in England"


def test_help_getting_online_names_each_place_with_its_towns(client, demo):
    from collections import Counter

    from services_catalogue.models import InclusionSupport, Organisation

    page = soup(client.get("/help-getting-online/"))
    options = {o["value"]: o.get_text(strip=True) for o in page.select("select[name=place] option")}
    places = set(InclusionSupport.objects.filter(active=True).values_list("place", flat=True))
    assert options["Blyth"] == "Blyth"  # its only town is its name
    for place in places:
        towns = Counter(town for town in Organisation.objects.filter(
            kind="gp_practice", active=True, place=place).exclude(town="")
            .values_list("town", flat=True) if town.lower() not in place.lower())
        if not towns:
            assert options[place] == place
            continue
        most = sorted(towns, key=lambda town: (-towns[town], town))
        assert options[place].startswith(f"{place} ({most[0]}")
        assert all(town in options[place] for town in most[:4])


@pytest.mark.parametrize("path", ["/", "/help-getting-online/"])
def test_the_guides_are_linked_from_the_home_page_and_help_getting_online(client, demo, path):
    page = soup(client.get(path))
    links = page.select("#guides + ul a[href='/set-up-nhs-login/']")
    assert [a.get_text(strip=True) for a in links] == ["How to set up NHS login"]
    assert client.get("/set-up-nhs-login/").status_code == 200


def test_a_guide_that_is_not_published_is_not_linked(client, demo):
    from portal.pages.guide import GuidePage

    GuidePage.objects.get(slug="set-up-nhs-login").unpublish()
    for path in ("/", "/help-getting-online/"):
        page = soup(client.get(path))
        assert page.select_one("a[href='/set-up-nhs-login/']") is None
        assert page.select_one("#guides") is None


def test_a_new_service_is_marked_new_in_the_list_as_on_its_page(client, demo):
    from tests.factories import make_service

    make_service(demo["services_index"], title="Brand new booking", lifecycle="beta")
    page = soup(client.get("/services/"))
    cards = {card.select_one(".nhsuk-card__heading").get_text(strip=True): card
             for card in page.select(".nhsuk-card")}
    assert cards["Brand new booking"].select_one(".nhsuk-tag").get_text(strip=True) == "New"
    assert cards["NHS App"].select_one(".nhsuk-tag") is None

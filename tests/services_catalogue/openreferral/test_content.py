"""What the API says: only published content, stable ids, working filters, and the same
offer as the practice pages."""

import datetime
import uuid

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth import get_user_model

from services_catalogue.models import Capability, DigitalService, Offer, Organisation
from services_catalogue.openreferral.taxonomy import ACCESS_FACTS, stable_id
from tests.factories import OrganisationFactory, make_service

from .support import contents, every_page

pytestmark = pytest.mark.django_db


def listed(api, **query) -> dict[str, dict]:
    return {s["id"]: s for s in contents(every_page(api, "services", per_page=100, **query))}


def names(api, **query) -> set[str]:
    return {s["name"] for s in listed(api, **query).values()}


def term_id(api, code: str) -> str:
    terms = contents(every_page(api, "taxonomy_terms", per_page=100))
    return next(t["id"] for t in terms if t["code"] == code)


def organization_id(api, name: str) -> str:
    orgs = contents(every_page(api, "organizations", per_page=100))
    return next(o["id"] for o in orgs if o["name"] == name)


# ---------------------------------------------------------------- published content only


def test_a_draft_service_appears_nowhere(api, client, demo):
    draft = make_service(demo["services_index"], live=False, title="Secret pilot app",
                         summary="A zebrafish tracker nobody should see yet.",
                         capabilities=Capability.objects.filter(slug="self-triage"))
    Offer.objects.create(organisation=demo["practices"][0], service=draft)
    assert "Secret pilot app" not in names(api)
    assert "Secret pilot app" not in names(api, search="zebrafish")
    assert "Secret pilot app" not in names(api, organization_id=str(demo["practices"][0].public_id))
    api(f"services/{draft.public_id}", status=404)
    assert b"Secret pilot app" not in client.get("/api/openreferral/download.json").content
    assert b"Secret pilot app" not in client.get("/api/openreferral/download.csv").content


def test_unpublished_changes_stay_hidden_until_published(api, demo):
    service = demo["services"]["nhs-app"]
    service.title = "NHS App (renamed in a draft)"
    service.summary = "A draft sentence that must not leak."
    service.capabilities = list(Capability.objects.filter(slug="contribute-record"))
    revision = service.save_revision()
    body = api(f"services/{service.public_id}")
    assert body["name"] == "NHS App"
    assert "must not leak" not in body["description"]
    assert "contribute-record" not in {a["taxonomy_term"]["code"] for a in body["attributes"]}
    assert "NHS App (renamed in a draft)" not in names(api)
    revision.publish()
    body = api(f"services/{service.public_id}")
    assert body["name"] == "NHS App (renamed in a draft)"
    assert "must not leak" in body["description"]
    assert "contribute-record" in {a["taxonomy_term"]["code"] for a in body["attributes"]}


def test_unpublished_and_retired_services_disappear(api, demo):
    login, website = demo["services"]["nhs-login"], demo["services"]["nhs-website"]
    login.unpublish()
    DigitalService.objects.filter(pk=website.pk).update(lifecycle="retired")
    assert {"NHS login", "NHS website"}.isdisjoint(names(api))
    api(f"services/{login.public_id}", status=404)
    api(f"services/{website.public_id}", status=404)


# ---------------------------------------------------------------- stable ids


def test_ids_survive_an_edit_and_a_slug_change(api, demo):
    service = demo["services"]["nhs-111-online"]
    before = api(f"services/{service.public_id}")
    service.title = "NHS 111 online (new name)"
    service.slug = "nhs-111"
    service.save_revision().publish()
    after = api(f"services/{service.public_id}")
    assert after["id"] == before["id"] == str(service.public_id)
    assert after["name"] == "NHS 111 online (new name)"
    for key in ("service_at_locations", "languages", "service_areas"):
        assert [x["id"] for x in after[key]] == [x["id"] for x in before[key]]
    assert {a["id"] for a in after["attributes"]} == {a["id"] for a in before["attributes"]}
    assert after["organization"]["id"] == before["organization"]["id"]


def test_a_national_provider_gets_a_stable_derived_organization(api, demo):
    body = api(f"services/{demo['services']['nhs-app'].public_id}")
    nhs_england = body["organization"]
    assert nhs_england["name"] == "NHS England"
    assert nhs_england["id"] == body["organization_id"] == stable_id("provider", "nhs england")
    assert nhs_england["organization_identifiers"] == []
    detail = api(f"organizations/{nhs_england['id']}")
    assert "NHS App" in {s["name"] for s in detail["services"]}


def test_a_provider_that_is_one_of_our_organisations_is_that_organisation(api, demo):
    trust = Organisation.objects.get(ods_code="RTF")
    body = api(f"services/{demo['services']['physio-self-referral'].public_id}")
    assert body["organization_id"] == str(trust.public_id)
    assert body["organization"]["organization_identifiers"] == [{
        "id": body["organization"]["organization_identifiers"][0]["id"],
        "organization_id": str(trust.public_id),
        "identifier_scheme": "ODS",
        "identifier_type": "NHS Organisation Data Service code",
        "identifier": "RTF",
    }]


def test_organisation_renames_keep_their_id_and_practices_name_their_pcn(api, demo):
    practice = demo["practices"][0]
    practice.name = "Renamed Surgery"
    practice.save()
    body = api(f"organizations/{practice.public_id}")
    assert body["name"] == "Renamed Surgery"
    assert body["parent_organization_id"] == str(practice.parent.public_id)
    assert body["organization_identifiers"][0]["identifier"] == practice.ods_code


# ---------------------------------------------------------------- search and filters


def test_search_finds_services_by_their_words(api, demo):
    make_service(demo["services_index"], title="Wound photo upload",
                 summary="Send a zebrafish-safe photo of your wound to the nurse.")
    assert names(api, search="zebrafish") == {"Wound photo upload"}
    assert "NHS 111 online" in names(api, search="111")
    assert names(api, search="xylophonic quasar") == set()


@pytest.mark.parametrize("query", ["mental health", "test results", "prescriptions", "doctor",
                                   "NHS App"])
def test_the_open_data_finds_what_the_site_search_finds_in_the_same_order(api, client, demo,
                                                                           query):
    from tests.portal.test_service_search import found

    listed = [s["name"] for s in api("services", search=query, per_page=100)["contents"]]
    assert listed, f"nothing found for {query!r}"
    assert listed == found(client, query)


def test_filtering_by_a_capability_term(api, demo):
    prescriptions = Capability.objects.get(slug="prescriptions")
    found = names(api, taxonomy_term_id=str(prescriptions.public_id))
    expected = set(
        DigitalService.objects.live().filter(capabilities=prescriptions)
        .exclude(lifecycle="retired").values_list("title", flat=True)
    )
    assert found == expected and "NHS App" in found


@pytest.mark.parametrize("fact", ACCESS_FACTS, ids=lambda f: f.code)
def test_filtering_by_an_access_fact_selects_exactly_the_services_showing_it(api, demo, fact):
    found = listed(api, taxonomy_term_id=fact.id)
    everything = listed(api, full="true")
    with_attribute = {sid for sid, s in everything.items()
                      if fact.id in {a["taxonomy_term_id"] for a in s["attributes"]}}
    assert set(found) == with_attribute


def test_filtering_by_taxonomy(api, demo):
    taxonomies = {t["name"]: t["id"] for t in api("taxonomies")["contents"]}
    every = names(api)
    assert names(api, taxonomy_id=taxonomies["Digital access facts"]) == every
    assert names(api, taxonomy_id=taxonomies["Empower citizens capabilities"]) <= every
    assert names(api, taxonomy_id=str(uuid.uuid4())) == set()


def test_an_unknown_but_well_formed_id_filters_to_nothing(api, demo):
    assert api("services", taxonomy_term_id=str(uuid.uuid4()))["empty"]
    assert api("services", organization_id=str(uuid.uuid4()))["empty"]


def test_filtering_by_a_provider_organisation(api, demo):
    trust = organization_id(api, "Northumbria Healthcare NHS Foundation Trust")
    found = names(api, organization_id=trust)
    assert {"Hospital patient portal", "Physiotherapy self-referral"} <= found
    nhs_england = stable_id("provider", "nhs england")
    assert names(api, organization_id=nhs_england) == set(
        DigitalService.objects.live().filter(provider="NHS England")
        .exclude(lifecycle="retired").values_list("title", flat=True)
    )


def test_modified_after(api, demo):
    DigitalService.objects.update(
        last_published_at=datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC))
    fresh = make_service(demo["services_index"], title="Freshly published")
    assert names(api, modified_after="2025-01-01") == {"Freshly published"}
    assert names(api, modified_after="2025-01-01T00:00:00Z") == {"Freshly published"}
    assert names(api, modified_after="2024-01-01T01:00:00+01:00") == names(api)
    assert names(api, modified_after="2024-01-01T00:00:01Z") == {"Freshly published"}
    assert fresh.last_published_at.year >= 2025


def test_filters_combine_with_each_other_and_with_paging(api, demo):
    app_term = next(f.id for f in ACCESS_FACTS if f.code == "in-nhs-app")
    body = api("services", taxonomy_term_id=app_term, search="NHS", per_page=1)
    assert body["size"] == 1 and body["total_items"] >= 1
    assert body["total_pages"] == body["total_items"]


# ---------------------------------------------------------------- mapping details


def test_a_national_service_is_offered_across_england(api, demo):
    body = api(f"services/{demo['services']['nhs-111-online'].public_id}")
    assert [a["name"] for a in body["service_areas"]] == ["England"]


def test_a_local_service_is_offered_where_organisations_offer_it(api, demo):
    service = demo["services"]["gp-online-consultation"]
    offering = set(Organisation.objects.filter(offers__service=service)
                   .values_list("name", flat=True))
    body = api(f"services/{service.public_id}")
    assert {a["name"] for a in body["service_areas"]} == offering
    area = body["service_areas"][0]
    assert area["uri"].startswith("http://testserver/api/openreferral/organizations/")


def test_an_ics_wide_service_is_offered_through_the_icb(api, demo):
    body = api(f"services/{demo['services']['hospital-patient-portal'].public_id}")
    assert [a["name"] for a in body["service_areas"]] == [
        "NHS North East and North Cumbria Integrated Care Board"]


def test_the_service_is_used_at_a_virtual_location_with_its_accessibility_statement(api, demo):
    service = demo["services"]["nhs-app"]
    body = api(f"services/{service.public_id}")
    [at] = body["service_at_locations"]
    assert at["location"]["location_type"] == "virtual"
    assert at["location"]["url"] == service.service_url == body["url"]
    assert at["location"]["accessibility"][0]["url"] == service.accessibility_statement_url


def test_login_app_and_accessibility_facts_are_attributes(api, demo):
    body = api(f"services/{demo['services']['nhs-app'].public_id}")
    attributes = {a["taxonomy_term"]["code"]: a for a in body["attributes"]}
    assert {"nhs-login-p9", "in-nhs-app", "channel-web", "channel-ios", "channel-android",
            "accessibility-statement", "prescriptions"} <= set(attributes)
    assert "nhs-login-none" not in attributes and "smartphone-needed" not in attributes
    assert attributes["accessibility-statement"]["value"].startswith("https://")
    for attribute in body["attributes"]:
        assert attribute["link_id"] == body["id"]
        assert attribute["taxonomy_term_id"] == attribute["taxonomy_term"]["id"]
    assert [lang["code"] for lang in body["languages"]] == ["en", "cy"]


def test_metadata_names_the_editor_who_wrote_the_published_revision(api, demo):
    editor = get_user_model().objects.create_user(
        "a.editor", "a.editor@example.org", "x", first_name="Ann", last_name="Editor")
    service = demo["services"]["nhs-login"]
    service.summary = "Updated by Ann."
    service.save_revision(user=editor).publish()
    [entry] = api(f"services/{service.public_id}")["metadata"]
    assert entry["last_action_type"] == "update"
    assert entry["updated_by"] == "Ann Editor"
    assert entry["last_action_date"] == service.__class__.objects.get(
        pk=service.pk).last_published_at.astimezone(datetime.UTC).date().isoformat()


def test_metadata_never_publishes_a_username(api, client, demo):
    editor = get_user_model().objects.create_user("secret.login.name", "s@example.org", "x")
    service = make_service(demo["services_index"], title="Brand new")
    service.summary = "Changed."
    service.save_revision(user=editor).publish()
    [entry] = api(f"services/{service.public_id}")["metadata"]
    assert entry["updated_by"] == "North East and North Cumbria: Northumberland"
    assert b"secret.login.name" not in client.get("/api/openreferral/download.json").content


def test_a_new_service_is_created_in_its_metadata(api, demo):
    service = make_service(demo["services_index"], title="Brand new")
    [entry] = api(f"services/{service.public_id}")["metadata"]
    assert entry["last_action_type"] == "create"


# ---------------------------------------------------------------- practices


def services_on_practice_page(client, practice) -> set[str]:
    """The slugs of the services the practice page says are offered there (not the national
    services it names for gaps or beside the practice's own)."""
    page = BeautifulSoup(client.get(f"/practices/{practice.ods_code}/").content, "html.parser")
    slugs = set()
    for cell in page.select("tr[data-capability] td"):
        if cell.select_one(".dfd-offer-gap") is None:
            slugs |= {a["href"].strip("/").split("/")[-1]
                      for a in cell.select("a:not(.dfd-national-too a)")}
    return slugs


def test_every_practice_page_and_the_api_agree_on_what_is_offered_there(api, client, demo):
    slugs = dict(DigitalService.objects.values_list("public_id", "slug"))
    for practice in demo["practices"]:
        from_api = {slugs[uuid.UUID(s)] for s in listed(api, organization_id=str(practice.public_id))}
        assert from_api == services_on_practice_page(client, practice), practice.ods_code
        detail = api(f"organizations/{practice.public_id}")
        assert {slugs[uuid.UUID(s["id"])] for s in detail["services"]} == from_api


def test_a_new_offer_shows_on_the_practice_page_and_in_the_api_alike(api, client, demo):
    practice = OrganisationFactory(parent=demo["practices"][0].parent)
    service = make_service(demo["services_index"], title="Pharmacy chat", scope="local",
                           capabilities=Capability.objects.filter(slug="prescriptions"))
    Offer.objects.create(organisation=practice, service=service)
    assert "Pharmacy chat" in names(api, organization_id=str(practice.public_id))
    assert service.slug in services_on_practice_page(client, practice)
    areas = api(f"services/{service.public_id}")["service_areas"]
    assert [a["name"] for a in areas] == [practice.name]
    assert "Order a repeat prescription" in areas[0]["description"]


def test_an_ended_offer_is_gone_from_both(api, client, demo):
    practice = demo["practices"][0]
    offer = Offer.objects.get(organisation=practice, service=demo["services"]["nhs-app"])
    offer.until = datetime.date.today() - datetime.timedelta(days=1)
    offer.save()
    assert "NHS App" not in names(api, organization_id=str(practice.public_id))
    assert "nhs-app" not in services_on_practice_page(client, practice)


# ---------------------------------------------------------------- organizations


def test_the_organization_list_pages_through_our_organisations_then_external_providers(api, demo):
    found = contents(every_page(api, "organizations", per_page=7))
    ids = [o["id"] for o in found]
    assert len(ids) == len(set(ids)) == api("organizations")["total_items"]
    assert len(ids) == Organisation.objects.filter(active=True).count() + 2
    assert [o["name"] for o in found[-2:]] == ["NHS England", "Your GP practice"]


def test_every_service_names_an_organization_the_list_has(api, demo):
    organizations = {o["id"] for o in contents(every_page(api, "organizations", per_page=100))}
    assert {s["organization_id"] for s in listed(api).values()} <= organizations


def test_organizations_can_be_searched_by_name_or_code(api, demo):
    assert [o["name"] for o in api("organizations", search="RTF")["contents"]] == [
        "Northumbria Healthcare NHS Foundation Trust"]
    assert "NHS England" in {o["name"] for o in api("organizations", search="england")["contents"]}


def test_inactive_organisations_are_not_listed(api, demo):
    practice = demo["practices"][0]
    Organisation.objects.filter(pk=practice.pk).update(active=False)
    api(f"organizations/{practice.public_id}", status=404)
    assert str(practice.public_id) not in {
        o["id"] for o in contents(every_page(api, "organizations", per_page=100))}

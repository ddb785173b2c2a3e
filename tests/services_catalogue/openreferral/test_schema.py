"""Every response the API gives validates against the HSDS 3.0 schemas."""

import json
from collections import defaultdict

import pytest

from .hsds import assert_valid, compiled_validator
from .support import API, contents, every_page

pytestmark = pytest.mark.django_db


def test_the_root_says_which_version_and_profile_and_who_publishes_it(api, demo):
    body = api("")
    assert_valid(body, "root")
    assert body["version"] == "3.0"
    assert body["profile"].startswith("https://")
    assert body["publisher"]["name"] == "North East and North Cumbria: Northumberland"
    assert body["publisher"]["url"] == "http://testserver/"


def test_every_page_of_services_validates(api, demo):
    pages = every_page(api, "services", per_page=4)
    for page in pages:
        assert_valid(page, "service_list")
    listed = contents(pages)
    assert len(listed) == pages[0]["total_items"] == len({s["id"] for s in listed})
    assert pages[0]["first_page"] and not pages[0]["last_page"]
    assert pages[-1]["last_page"] and pages[0]["total_pages"] == len(pages)


def test_the_fully_nested_list_validates(api, demo):
    assert_valid(api("services", full="true", per_page=100), "service_list_full")


def test_every_service_in_the_demo_validates_fully_nested(api, demo):
    listed = contents(every_page(api, "services", per_page=100))
    assert len(listed) >= 10
    compiled = compiled_validator("service.json")
    for item in listed:
        service = api(f"services/{item['id']}")
        assert_valid(service, "service")
        if compiled is not None:
            found = [e.message for e in compiled.iter_errors(service)]
            assert not found, found[:5]
        for key in ("organization", "service_areas", "languages", "attributes",
                    "service_at_locations", "metadata"):
            assert service[key], f"{item['name']} has no {key}"


def test_every_organization_validates_in_the_list_and_in_detail(api, demo):
    pages = every_page(api, "organizations", per_page=20)
    for page in pages:
        assert_valid(page, "organization_list")
    assert_valid(api("organizations", full="true", per_page=200), "organization_list_full")
    compiled = compiled_validator("organization.json")
    for item in contents(pages):
        organization = api(f"organizations/{item['id']}")
        assert_valid(organization, "organization")
        if compiled is not None:
            found = [e.message for e in compiled.iter_errors(organization)]
            assert not found, found[:5]


def test_an_organization_with_full_services_validates(api, demo):
    icb = next(o for o in contents(every_page(api, "organizations", per_page=100))
               if o["name"].endswith("Integrated Care Board"))
    body = api(f"organizations/{icb['id']}", full_service="true")
    assert_valid(body, "organization")
    assert body["services"] and all("service_areas" in s for s in body["services"])


def test_taxonomies_and_terms_validate_in_lists_and_in_detail(api, demo):
    taxonomies = api("taxonomies")
    assert_valid(taxonomies, "taxonomy_list")
    assert {t["name"] for t in taxonomies["contents"]} == {
        "Empower citizens capabilities", "Digital access facts"}
    for taxonomy in taxonomies["contents"]:
        assert_valid(api(f"taxonomies/{taxonomy['id']}"), "taxonomy")
    pages = every_page(api, "taxonomy_terms", per_page=10)
    for page in pages:
        assert_valid(page, "taxonomy_term_list")
    for term in contents(pages):
        assert_valid(api(f"taxonomy_terms/{term['id']}"), "taxonomy_term")


def test_the_json_download_validates_as_a_package_of_services(client, demo):
    response = client.get(API + "download.json")
    assert response.status_code == 200
    assert_valid(json.loads(response.content), "service_package")


def test_one_id_always_means_one_thing_across_the_whole_download(client, demo):
    """An organization, term or area repeated in many services is the same object each time,
    and no two different objects share an id."""
    seen = defaultdict(list)

    def walk(value):
        if isinstance(value, dict):
            if "id" in value:
                seen[value["id"]].append(value)
            for child in value.values():
                walk(child)
        elif isinstance(value, list):
            for child in value:
                walk(child)

    walk(json.loads(client.get(API + "download.json").content))
    for identifier, objects in seen.items():
        first = json.dumps(objects[0], sort_keys=True)
        assert all(json.dumps(o, sort_keys=True) == first for o in objects), identifier


def test_an_organisation_s_phone_number_is_published_as_a_valid_hsds_phone(api, demo):
    from services_catalogue.models import Organisation

    practice = Organisation.objects.get(ods_code="A84006")
    practice.phone = "01665 510888"
    practice.save()
    organization = api(f"organizations/{practice.public_id}")
    assert_valid(organization, "organization")
    compiled = compiled_validator("organization.json")
    if compiled is not None:
        assert not [e.message for e in compiled.iter_errors(organization)]
    [phone] = organization["phones"]
    assert phone["number"] == "01665 510888"
    assert phone["organization_id"] == str(practice.public_id)
    assert api(f"organizations/{practice.public_id}")["phones"][0]["id"] == phone["id"]


def test_an_organisation_without_a_phone_number_publishes_none(api, demo):
    from services_catalogue.models import Organisation

    practice = Organisation.objects.get(ods_code="A84006")
    assert practice.phone == ""
    assert api(f"organizations/{practice.public_id}")["phones"] == []

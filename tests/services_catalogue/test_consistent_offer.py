"""The consistent offer is a site setting that editors change in the admin."""

import pytest
from bs4 import BeautifulSoup
from django.core.exceptions import ValidationError

from portal.demo.loader import load_demo
from services_catalogue.models import Capability, ConsistentOffer, ConsistentOfferItem
from services_catalogue.practices import practice_offer
from tests.factories import add_to_consistent_offer, make_service

pytestmark = pytest.mark.django_db

SETTING_URL = "/admin/settings/services_catalogue/consistentoffer/"


def soup(response):
    return BeautifulSoup(response.content, "html.parser")


def practice_page_rows(client, ods_code="A84009"):
    return [tr["data-capability"] for tr in
            soup(client.get(f"/practices/{ods_code}/")).select("tr[data-capability]")]


def test_the_demo_consistent_offer_has_every_demo_capability_with_its_national_default(demo):
    items = list(ConsistentOffer.current_items())
    assert [i.capability.slug for i in items][:3] == ["self-triage", "referral",
                                                     "condition-management"]
    defaults = {i.capability.slug: i.national_default for i in items}
    assert defaults["self-triage"].slug == "nhs-111-online"
    assert defaults["advice"].slug == "nhs-website"
    # Record access in the NHS App depends on the practice, so it is never a fallback.
    assert defaults["prescriptions"] is None and defaults["health-record"] is None
    assert defaults["contribute-record"] is None


def test_the_practice_page_follows_the_consistent_offers_order(client, demo):
    items = list(ConsistentOffer.current_items())
    for position, item in enumerate(reversed(items)):
        item.sort_order = position
        item.save()
    assert practice_page_rows(client) == [i.capability.slug for i in reversed(items)]


def test_a_capability_taken_out_of_the_consistent_offer_leaves_the_practice_and_home_pages(
    client, demo
):
    ConsistentOfferItem.objects.filter(capability__slug="care-plans").delete()
    assert "care-plans" not in practice_page_rows(client)
    home = soup(client.get("/"))
    assert "See your care plan" not in [a.get_text(strip=True) for a in
                                         home.select(".nhsuk-card__link")]


def test_a_new_capability_in_the_consistent_offer_is_a_gap_until_offered(client, demo):
    capability = Capability.objects.create(name="Video consultation", slug="video",
                                           citizen_label="Talk to a clinician by video")
    add_to_consistent_offer(capability)
    practice = demo["practices"][0]
    (row,) = [r for r in practice_offer(practice) if r.capability == capability]
    assert not row.offered and row.national_default is None
    assert "video" in practice_page_rows(client, practice.ods_code)


def test_an_unpublished_national_default_is_not_linked(demo):
    item = ConsistentOfferItem.objects.get(capability__slug="self-triage")
    draft = make_service(demo["services_index"], live=False, capabilities=[item.capability])
    item.national_default = draft
    item.save()
    practice = demo["practices"][0]
    (row,) = [r for r in practice_offer(practice) if r.capability.slug == "self-triage"]
    assert row.national_default is None


def test_the_national_default_must_be_a_national_service_that_does_the_thing(demo):
    item = ConsistentOfferItem.objects.get(capability__slug="prescriptions")
    item.national_default = demo["services"]["gp-online-consultation"]  # a local service
    with pytest.raises(ValidationError, match="national service"):
        item.full_clean()
    item.national_default = demo["services"]["nhs-111-online"]  # national, no prescriptions
    with pytest.raises(ValidationError, match="does not do this"):
        item.full_clean()


def test_changing_the_consistent_offer_refreshes_cached_public_pages(client, demo):
    assert "care-plans" in practice_page_rows(client)
    ConsistentOfferItem.objects.filter(capability__slug="care-plans").delete()
    assert "care-plans" not in practice_page_rows(client)


def test_approvers_edit_the_consistent_offer_in_the_settings(client, member, demo):
    client.force_login(member("Comms approvers"))
    response = client.get(SETTING_URL, follow=True)
    assert response.status_code == 200
    form = soup(response).select_one("form[method=post]")
    data = {}
    for field in form.select("input[name], select[name], textarea[name]"):
        if field.name == "select":
            chosen = field.select_one("option[selected]")
            data[field["name"]] = chosen["value"] if chosen else ""
        elif field.get("type") in ("checkbox", "radio"):
            if field.has_attr("checked"):
                data[field["name"]] = field.get("value", "on")
        else:
            data[field["name"]] = field.get("value", "")
    first = ConsistentOffer.current_items()[0]
    prefix = next(name[:-len("-id")] for name, value in data.items()
                  if name.startswith("items-") and name.endswith("-id") and value == str(first.pk))
    data[f"{prefix}-DELETE"] = "1"
    saved = client.post(response.redirect_chain[-1][0] if response.redirect_chain
                        else SETTING_URL, data)
    assert saved.status_code == 302, soup(saved).select(".error-message")
    assert not ConsistentOfferItem.objects.filter(pk=first.pk).exists()


def test_editors_and_inclusion_leads_cannot_change_the_consistent_offer(client, member, demo):
    for group in ("Comms editors", "Inclusion leads"):
        client.force_login(member(group))
        response = client.get(SETTING_URL, follow=True)
        assert b"Sorry, you do not have permission" in response.content or (
            response.status_code == 403
        )


def test_the_capability_list_shows_and_filters_on_the_consistent_offer(client, member, demo):
    Capability.objects.create(name="Outside", slug="outside", citizen_label="Outside")
    client.force_login(member("Comms editors"))
    listing = client.get("/admin/snippets/services_catalogue/capability/")
    assert b"In the consistent offer" in listing.content and b"NHS 111 online" in listing.content
    inside = client.get("/admin/snippets/services_catalogue/capability/?in_consistent_offer=true")
    outside = client.get("/admin/snippets/services_catalogue/capability/?in_consistent_offer=false")
    assert b"Outside" not in inside.content and b"Outside" in outside.content
    assert b"Self triage" in inside.content and b"Self triage" not in outside.content


def test_reloading_the_demo_keeps_the_editors_consistent_offer(demo):
    ConsistentOfferItem.objects.filter(capability__slug="care-plans").delete()
    item = ConsistentOfferItem.objects.get(capability__slug="self-triage")
    item.national_default = None
    item.save()
    before = ConsistentOfferItem.objects.count()
    load_demo()
    load_demo()
    assert ConsistentOfferItem.objects.count() == before
    assert not ConsistentOfferItem.objects.filter(capability__slug="care-plans").exists()
    item.refresh_from_db()
    assert item.national_default.slug == "nhs-111-online"  # an empty default is filled again

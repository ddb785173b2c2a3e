"""Comms editors find organisations and edit the services each one offers, inline."""

import pytest
from bs4 import BeautifulSoup
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from services_catalogue.models import Capability, Offer, Organisation

pytestmark = pytest.mark.django_db


def test_searching_organisations_by_partial_name_or_ods_code_finds_them(editor_client, demo):
    for query in ("Railway", "A84009"):
        response = editor_client.get("/admin/snippets/services_catalogue/organisation/", {"q": query})
        page = BeautifulSoup(response.content, "html.parser")
        assert "Railway Medical Group" in page.select_one("table").get_text(), query


def test_filtering_organisations_by_kind_lists_only_that_kind(editor_client, demo):
    response = editor_client.get("/admin/snippets/services_catalogue/organisation/",
                                 {"kind": "trust"})
    text = BeautifulSoup(response.content, "html.parser").select_one("table").get_text()
    assert "Northumbria Healthcare" in text and "Railway Medical Group" not in text


def test_an_editor_adds_an_offer_for_some_capabilities_on_the_organisation(editor_client, demo):
    practice = Organisation.objects.get(ods_code="A84009")
    existing = list(practice.offers.order_by("sort_order"))
    service = demo["services"]["nhs-111-online"]
    triage = Capability.objects.get(slug="self-triage")
    forms = [
        {"id": offer.pk, "service": offer.service_id, "since": "", "until": ""}
        for offer in existing
    ] + [{"service": service.pk, "since": "2025-04-01", "until": ""}]
    data = nested_form_data({
        "ods_code": practice.ods_code, "name": practice.name, "kind": practice.kind,
        "parent": practice.parent_id, "place": practice.place, "town": practice.town,
        "postcode": practice.postcode, "website": "", "registered_patients": practice.registered_patients,
        "imd_score": practice.imd_score, "active": "on",
        "offers": inline_formset(forms, initial=len(existing)),
    })
    # Multiple-choice values go as repeated keys, which nested_form_data does not produce.
    for index, offer in enumerate(existing):
        data[f"offers-{index}-capabilities"] = [c.pk for c in offer.capabilities.all()]
    data[f"offers-{len(existing)}-capabilities"] = [triage.pk]
    response = editor_client.post(
        f"/admin/snippets/services_catalogue/organisation/edit/{practice.pk}/", data
    )
    assert response.status_code == 302, BeautifulSoup(response.content, "html.parser").select(".error-message")
    offer = Offer.objects.get(organisation=practice, service=service)
    assert [c.slug for c in offer.capabilities.all()] == ["self-triage"]
    assert practice.offers.count() == len(existing) + 1


def test_an_offer_of_the_same_service_twice_is_refused(editor_client, demo):
    practice = Organisation.objects.get(ods_code="A84009")
    existing = list(practice.offers.order_by("sort_order"))
    forms = [
        {"id": offer.pk, "service": offer.service_id, "since": "", "until": ""}
        for offer in existing
    ] + [{"service": existing[0].service_id, "since": "", "until": ""}]
    data = nested_form_data({
        "ods_code": practice.ods_code, "name": practice.name, "kind": practice.kind,
        "parent": practice.parent_id, "place": practice.place, "active": "on",
        "offers": inline_formset(forms, initial=len(existing)),
    })
    before = Offer.objects.count()
    response = editor_client.post(
        f"/admin/snippets/services_catalogue/organisation/edit/{practice.pk}/", data
    )
    assert response.status_code == 200
    assert Offer.objects.count() == before


def test_the_organisation_listing_says_yes_or_no_for_active(editor_client, demo):
    page = BeautifulSoup(editor_client.get("/admin/snippets/services_catalogue/organisation/")
                         .content, "html.parser")
    headings = [th.get_text(" ", strip=True) for th in page.select("table.listing thead th")]
    column = headings.index("Active")
    values = {row.select("td, th")[column].get_text(strip=True)
              for row in page.select("table.listing tbody tr")}
    assert values == {"Yes"}

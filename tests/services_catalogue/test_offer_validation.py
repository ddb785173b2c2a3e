"""The organisation's inline offers refuse what QA found they accepted: needs the chosen
service does not meet, and an end before the start. Needs are ticked, not Ctrl-clicked."""

import datetime

import pytest
from bs4 import BeautifulSoup
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from services_catalogue.models import Capability, Offer, Organisation

pytestmark = pytest.mark.django_db

NOT_MET = ("Hospital patient portal does not meet: Self triage. Choose from its own needs, "
           "or leave empty for all of them.")


@pytest.fixture
def practice(demo):
    return Organisation.objects.get(ods_code="A84009")


def url(practice):
    return f"/admin/snippets/services_catalogue/organisation/edit/{practice.pk}/"


def offer_rows(practice):
    """The practice's offers as the edit form sends them back unchanged."""
    return [
        {"id": offer.pk, "service": offer.service_id,
         "since": offer.since.isoformat() if offer.since else "",
         "until": offer.until.isoformat() if offer.until else "",
         "capabilities": [c.pk for c in offer.capabilities.all()]}
        for offer in practice.offers.order_by("sort_order")
    ]


def post_offers(client, practice, rows, initial):
    """Post the organisation's edit form with these offer rows."""
    data = nested_form_data({
        "ods_code": practice.ods_code, "name": practice.name, "kind": practice.kind,
        "parent": practice.parent_id, "place": practice.place, "town": practice.town,
        "postcode": practice.postcode, "website": "",
        "registered_patients": practice.registered_patients, "imd_score": practice.imd_score,
        "active": "on",
        "offers": inline_formset(
            [{k: v for k, v in row.items() if k != "capabilities"} for row in rows],
            initial=initial,
        ),
    })
    # Multiple-choice values go as repeated keys, which nested_form_data does not produce.
    for index, row in enumerate(rows):
        data[f"offers-{index}-capabilities"] = row.get("capabilities", [])
    return client.post(url(practice), data)


def field_error(page, name):
    """The error shown under the inline field whose input is called `name`, or ""."""
    field = page.select_one(f"[name='{name}']").find_parent(class_="w-field")
    errors = field.select_one(".w-field__errors .error-message")
    return errors.get_text(" ", strip=True) if errors else ""


def refused(response):
    assert response.status_code == 200
    page = BeautifulSoup(response.content, "html.parser")
    assert "could not be saved" in page.select_one(".messages").get_text()
    return page


def snapshot(practice):
    return {
        (offer.service_id, offer.since, offer.until,
         tuple(sorted(c.pk for c in offer.capabilities.all())))
        for offer in Offer.objects.filter(organisation=practice)
    }


def test_a_new_offer_of_a_need_its_service_does_not_meet_is_refused(editor_client, demo, practice):
    rows = offer_rows(practice)
    portal = demo["services"]["hospital-patient-portal"]
    triage = Capability.objects.get(slug="self-triage")
    before = snapshot(practice)
    response = post_offers(editor_client, practice, rows + [
        {"service": portal.pk, "since": "", "until": "", "capabilities": [triage.pk]}
    ], initial=len(rows))
    page = refused(response)
    assert field_error(page, f"offers-{len(rows)}-capabilities") == NOT_MET
    assert snapshot(practice) == before
    assert not Offer.objects.filter(organisation=practice, service=portal).exists()


def test_every_need_the_service_does_not_meet_is_named(editor_client, demo, practice):
    rows = offer_rows(practice)
    app = demo["services"]["nhs-app"]
    row = next(row for row in rows if row["service"] == app.pk)
    extra = Capability.objects.filter(slug__in=["self-triage", "condition-management"])
    row["capabilities"] = row["capabilities"] + [c.pk for c in extra]
    before = snapshot(practice)
    page = refused(post_offers(editor_client, practice, rows, initial=len(rows)))
    assert field_error(page, f"offers-{rows.index(row)}-capabilities") == (
        "NHS App does not meet: Self triage, Condition management. Choose from its own "
        "needs, or leave empty for all of them."
    )
    assert snapshot(practice) == before


def test_changing_the_service_of_an_offer_checks_its_needs_against_the_new_one(
    editor_client, demo, practice
):
    rows = offer_rows(practice)
    row = next(row for row in rows if row["service"] == demo["services"]["nhs-app"].pk)
    row["service"] = demo["services"]["hospital-patient-portal"].pk
    row["capabilities"] = [Capability.objects.get(slug="self-triage").pk]
    before = snapshot(practice)
    page = refused(post_offers(editor_client, practice, rows, initial=len(rows)))
    assert field_error(page, f"offers-{rows.index(row)}-capabilities") == NOT_MET
    assert snapshot(practice) == before


def test_needs_the_service_meets_are_saved(editor_client, demo, practice):
    rows = offer_rows(practice)
    portal = demo["services"]["hospital-patient-portal"]
    results = Capability.objects.get(slug="test-results")
    response = post_offers(editor_client, practice, rows + [
        {"service": portal.pk, "since": "2026-01-01", "until": "2026-01-01",
         "capabilities": [results.pk]}
    ], initial=len(rows))
    assert response.status_code == 302, BeautifulSoup(response.content, "html.parser").select(
        ".error-message")
    offer = Offer.objects.get(organisation=practice, service=portal)
    assert [c.slug for c in offer.capabilities.all()] == ["test-results"]
    assert offer.since == offer.until == datetime.date(2026, 1, 1)


def test_an_offer_that_ends_before_it_starts_is_refused(editor_client, demo, practice):
    rows = offer_rows(practice)
    rows[0].update(since="2026-12-01", until="2026-11-01")
    before = snapshot(practice)
    page = refused(post_offers(editor_client, practice, rows, initial=len(rows)))
    assert field_error(page, "offers-0-until") == (
        "The end date must be on or after the start date."
    )
    assert field_error(page, "offers-0-since") == ""
    assert snapshot(practice) == before


def test_the_needs_of_an_offer_are_checkboxes_of_every_capability(editor_client, practice):
    page = BeautifulSoup(editor_client.get(url(practice)).content, "html.parser")
    assert not page.select("select[name='offers-0-capabilities']")
    boxes = page.select("input[type='checkbox'][name='offers-0-capabilities']")
    assert {box["value"] for box in boxes} == {
        str(pk) for pk in Capability.objects.values_list("pk", flat=True)
    }
    help_text = page.select_one("[name='offers-0-capabilities']").find_parent(
        class_="w-field").select_one("[data-field-help]").get_text(" ", strip=True)
    assert "Leave empty for everything the service does" in help_text

"""The service page's edit form refuses what QA found it accepted: a service replaced by
itself or while still in use, and a review date in the future. Capabilities and languages
are ticked, not Ctrl-clicked."""

import datetime

import pytest
from bs4 import BeautifulSoup
from django.utils import timezone
from wagtail.test.utils.form_data import nested_form_data, streamfield

from services_catalogue.models import DigitalService

pytestmark = pytest.mark.django_db


def soup(response):
    return BeautifulSoup(response.content, "html.parser")


def form_data(page):
    """What the browser would send for the page edit form as it stands."""
    form = page.select_one("form#page-edit-form")
    data = {}
    for element in form.select("input[name], select[name], textarea[name]"):
        name = element["name"]
        if element.name == "textarea":
            data[name] = element.get_text()
        elif element.name == "select":
            selected = element.select_one("option[selected]")
            data[name] = selected["value"] if selected else ""
        elif element.get("type") in ("checkbox", "radio"):
            if element.has_attr("checked"):
                value = element.get("value", "on")
                data.setdefault(name, []).append(value)
        elif element.get("type") not in ("submit", "button"):
            data[name] = element.get("value", "")
    # The StreamField is drawn by JavaScript; the demo services have no body.
    data.update(nested_form_data({"body": streamfield([])}))
    return data


def post_edit(client, service, **changes):
    """Open the service's edit form, change some fields and save it as a draft."""
    data = form_data(soup(client.get(f"/admin/pages/{service.pk}/edit/")))
    data.update(changes)
    return client.post(f"/admin/pages/{service.pk}/edit/", data)


def field_error(page, name):
    """The error shown under the field `name`, or "" if none."""
    field = page.select_one(f"form#page-edit-form .w-field[data-contentpath='{name}']")
    errors = field.select_one(".w-field__errors .error-message")
    return errors.get_text(" ", strip=True) if errors else ""


def assert_refused(response, service, revisions_before):
    assert response.status_code == 200
    page = soup(response)
    assert "could not be saved" in page.select_one(".messages").get_text()
    assert service.revisions.count() == revisions_before
    return page


def test_a_service_cannot_be_replaced_by_itself(editor_client, demo):
    service = demo["services"]["nhs-app"]
    before = service.revisions.count()
    response = post_edit(editor_client, service, lifecycle="retired", replaced_by=str(service.pk))
    page = assert_refused(response, service, before)
    assert field_error(page, "replaced_by") == "A service cannot be replaced by itself."
    service.refresh_from_db()
    assert service.lifecycle == "live" and service.replaced_by is None


def test_only_a_retired_service_is_replaced(editor_client, demo):
    service = demo["services"]["nhs-app"]
    other = demo["services"]["nhs-111-online"]
    before = service.revisions.count()
    response = post_edit(editor_client, service, lifecycle="beta", replaced_by=str(other.pk))
    page = assert_refused(response, service, before)
    assert field_error(page, "replaced_by") == (
        "Only a retired service is replaced by another: set Lifecycle to Retired, "
        "or leave this empty."
    )
    assert field_error(page, "lifecycle") == ""
    service.refresh_from_db()
    assert service.replaced_by is None


def test_a_retired_service_can_name_its_replacement(editor_client, demo):
    service = demo["services"]["nhs-app"]
    other = demo["services"]["nhs-111-online"]
    before = service.revisions.count()
    response = post_edit(editor_client, service, lifecycle="retired", replaced_by=str(other.pk))
    assert response.status_code == 302, soup(response).select(".error-message")
    assert service.revisions.count() == before + 1
    draft = DigitalService.objects.get(pk=service.pk).get_latest_revision_as_object()
    assert draft.lifecycle == "retired" and draft.replaced_by_id == other.pk


def test_a_last_review_date_in_the_future_is_refused(editor_client, demo):
    service = demo["services"]["nhs-app"]
    reviewed = service.last_reviewed
    before = service.revisions.count()
    response = post_edit(editor_client, service, last_reviewed="2031-01-01")
    page = assert_refused(response, service, before)
    assert field_error(page, "last_reviewed") == "The last review date cannot be in the future."
    service.refresh_from_db()
    assert service.last_reviewed == reviewed


def test_reviewed_today_is_accepted(editor_client, demo):
    service = demo["services"]["nhs-app"]
    today = timezone.localdate()
    response = post_edit(editor_client, service, last_reviewed=today.isoformat())
    assert response.status_code == 302, soup(response).select(".error-message")
    draft = DigitalService.objects.get(pk=service.pk).get_latest_revision_as_object()
    assert draft.last_reviewed == today


def test_a_new_service_reviewed_in_the_future_is_not_created(editor_client, demo):
    index = demo["services_index"]
    url = f"/admin/pages/add/services_catalogue/digitalservice/{index.pk}/"
    data = form_data(soup(editor_client.get(url)))
    data.update(
        title="Future service", slug="future-service", summary="Does things.",
        provider="NHS England", service_url="https://service.example/start",
        who_can_use="Anyone.", how_to_start="Start.", non_digital_alternative="Phone.",
        last_reviewed=(timezone.localdate() + datetime.timedelta(days=1)).isoformat(),
    )
    response = editor_client.post(url, data)
    assert response.status_code == 200
    assert field_error(soup(response), "last_reviewed") == (
        "The last review date cannot be in the future."
    )
    assert not DigitalService.objects.filter(slug="future-service").exists()


def test_capabilities_and_languages_are_checkboxes(editor_client, demo):
    service = demo["services"]["nhs-app"]
    page = soup(editor_client.get(f"/admin/pages/{service.pk}/edit/"))
    for name in ("capabilities", "languages"):
        assert not page.select(f"select[name='{name}']"), name
        boxes = page.select(f"input[type='checkbox'][name='{name}']")
        assert boxes, name
    ticked = {box["value"] for box in page.select("input[name='capabilities'][checked]")}
    assert ticked == {str(c.pk) for c in service.capabilities.all()}


def test_one_more_tick_keeps_the_others(editor_client, demo):
    """Ticking a box adds to the choice: the other capabilities stay."""
    service = demo["services"]["nhs-app"]
    triage = service.capabilities.model.objects.get(slug="self-triage")
    page = soup(editor_client.get(f"/admin/pages/{service.pk}/edit/"))
    data = form_data(page)
    data["capabilities"] = data["capabilities"] + [str(triage.pk)]
    response = editor_client.post(f"/admin/pages/{service.pk}/edit/", data)
    assert response.status_code == 302, soup(response).select(".error-message")
    draft = DigitalService.objects.get(pk=service.pk).get_latest_revision_as_object()
    assert {c.pk for c in draft.capabilities.all()} == (
        {c.pk for c in service.capabilities.all()} | {triage.pk}
    )

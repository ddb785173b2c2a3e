"""The service page's edit form: labels as editors write them, and help on every field."""

import pytest
from bs4 import BeautifulSoup

from services_catalogue.models import DigitalService

pytestmark = pytest.mark.django_db


def soup(response):
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def fields(page):
    """Each field of the form by name: its label's text and its help text."""
    found = {}
    for field in page.select("form div.w-field[data-contentpath]"):
        name = field["data-contentpath"]
        label = page.select_one(f"label[for='id_{name}']")
        if label is None:  # a StreamField is labelled by its panel's heading
            wrapper = field.find_parent(class_="w-panel")
            label = wrapper.select_one("[data-panel-heading-text]") if wrapper else None
        help_text = field.select_one("[data-field-help]")
        found[name] = (
            label.get_text(" ", strip=True).rstrip("* ").strip() if label else "",
            help_text.get_text(" ", strip=True) if help_text else "",
        )
    return found


@pytest.fixture
def edit_form(editor_client, demo):
    service = demo["services"]["nhs-app"]
    return fields(soup(editor_client.get(f"/admin/pages/{service.pk}/edit/")))


def test_labels_are_written_as_editors_write_them(edit_form):
    labels = {label for label, _ in edit_form.values()}
    assert edit_form["channel_ios"][0] == "iPhone app"
    assert edit_form["accessibility_statement_url"][0] == "Accessibility statement URL"
    assert edit_form["non_digital_alternative"][0] == "Non-digital alternative"
    assert edit_form["service_url"][0] == "Start page URL"
    assert edit_form["dtac_status"][0] == "DTAC status"
    assert "IPhone app" not in labels and "Non digital alternative" not in labels
    assert not [label for label in labels if "url" in label.lower() and "URL" not in label]


def test_every_field_of_the_form_has_help_text(edit_form):
    assert len(edit_form) >= 29
    missing = sorted(name for name, (_, help_text) in edit_form.items() if not help_text)
    assert missing == []


def test_every_editable_service_field_is_in_the_form_with_help(edit_form):
    """A field added to the model later is caught too: it must be in the form, with help."""
    own = {
        field.name for field in DigitalService._meta.get_fields(include_parents=False)
        if getattr(field, "editable", False) and not field.auto_created
        and field.concrete and field.name not in ("public_id", "page_ptr")
    }
    assert own <= set(edit_form), own - set(edit_form)
    for name in own:
        assert DigitalService._meta.get_field(name).help_text, name


def test_the_help_says_true_things_about_what_citizens_see(edit_form):
    assert "anyone in England" in edit_form["scope"][1]
    assert "patients of some GP practices" in edit_form["scope"][1]
    assert "Retired" in edit_form["lifecycle"][1]
    assert "Digital Technology Assessment Criteria" in edit_form["dtac_status"][1]
    assert "retired" in edit_form["replaced_by"][1]
    assert "Go to" in edit_form["service_url"][1]


def test_the_new_service_form_has_the_same_labels_and_help(editor_client, demo):
    index = demo["services_index"]
    page = soup(editor_client.get(f"/admin/pages/add/services_catalogue/digitalservice/{index.pk}/"))
    form = fields(page)
    assert form["channel_ios"] == ("iPhone app", DigitalService._meta.get_field(
        "channel_ios").help_text)
    assert not [name for name, (_, help_text) in form.items() if not help_text]

"""A source with neither a URL nor an uploaded file is how files given to `manage.py import_uptake
FILE --source NAME` are recorded (the command creates one; an editor may create one first
to set a mapped format): it stays valid when unscheduled, is never offered "Collect now",
and its edit form says what such a source is for."""

import pytest
from bs4 import BeautifulSoup
from django.core.exceptions import ValidationError
from django.urls import reverse

from services_catalogue.models import UptakeSource

from .helpers import csv_bytes, run_command, sample_rows, write

pytestmark = pytest.mark.django_db

LIST = "wagtailsnippets_services_catalogue_uptakesource:list"


def soup(response):
    assert response.status_code == 200
    return BeautifulSoup(response.content.decode(), "html.parser")


def test_the_source_import_uptake_creates_can_still_be_edited_and_saved(demo, tmp_path):
    run_command(write(tmp_path, csv_bytes(sample_rows())), source="From the command line")
    source = UptakeSource.objects.get(name="From the command line")
    assert not source.url and not source.upload
    source.full_clean()  # an editor renaming it, or switching it off, is not refused


def test_a_scheduled_source_still_needs_a_url_or_an_uploaded_file(demo):
    source = UptakeSource(name="Scheduled", schedule="monthly")
    with pytest.raises(ValidationError) as refused:
        source.full_clean()
    assert "schedule" in refused.value.message_dict


def test_the_edit_form_says_what_a_source_without_url_or_upload_is_for(admin_client, demo):
    source = UptakeSource.objects.create(name="Command line only")
    url = reverse("wagtailsnippets_services_catalogue_uptakesource:edit", args=[source.pk])
    page = soup(admin_client.get(url))
    helps = " ".join(block.get_text(" ", strip=True)
                     for block in page.select("form .help-block, form .w-help-text"))
    assert "only records the files given to manage.py import_uptake" in helps
    assert "cannot be collected or scheduled" in helps


def test_collect_now_is_not_offered_for_it(admin_client, demo):
    source = UptakeSource.objects.create(name="Command line only")
    page = soup(admin_client.get(reverse(LIST)))
    assert page.select_one(
        f"a[href='{reverse('collect_uptake_source_now', args=[source.pk])}']") is None

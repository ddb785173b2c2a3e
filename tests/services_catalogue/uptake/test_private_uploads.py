"""Uptake files hold exact practice-level counts: an uploaded one is kept where nothing
serves it, and the admin never links to it."""

import pytest
from bs4 import BeautifulSoup
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from services_catalogue.models import UptakeSource
from services_catalogue.private_files import private_storage

pytestmark = pytest.mark.django_db

ROWS = b"period,ods_code,service_slug,metric,value,denominator\n2026-10,A84006,nhs-app,registrations,412,900\n"


def test_an_uploaded_file_is_stored_outside_media_and_has_no_address(settings, demo):
    source = UptakeSource(name="Uploaded")
    source.upload.save("uptake.csv", ContentFile(ROWS))
    path = private_storage.path(source.upload.name)
    assert path.startswith(str(settings.PRIVATE_FILES_ROOT))
    assert not path.startswith(str(settings.MEDIA_ROOT))
    with pytest.raises(ValueError):
        source.upload.url  # noqa: B018 - the property is the behaviour


def test_the_file_cannot_be_fetched_from_the_site(client, settings, demo):
    source = UptakeSource(name="Uploaded")
    source.upload.save("uptake.csv", ContentFile(ROWS))
    for guess in (f"/media/{source.upload.name}", f"/private/{source.upload.name}",
                  "/documents/1/uptake.csv"):
        response = client.get(guess)
        assert response.status_code == 404, guess
        assert b"A84006" not in response.content


def test_an_editor_uploads_a_file_in_the_source_form_and_sees_its_name_but_no_link(
        admin_client, demo):
    add = reverse("wagtailsnippets_services_catalogue_uptakesource:add")
    response = admin_client.post(add, {
        "name": "Monthly upload", "format": "dfd_csv", "active": "on", "url": "",
        "upload": SimpleUploadedFile("october.csv", ROWS, content_type="text/csv"),
        "schedule": "manual", "column_mapping": "{}", "auth_header_name": "",
        "auth_env_var": "",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    source = UptakeSource.objects.get(name="Monthly upload")
    assert source.upload.name.endswith(".csv")
    with source.upload.open("rb") as handle:
        assert handle.read() == ROWS
    edit = reverse("wagtailsnippets_services_catalogue_uptakesource:edit", args=[source.pk])
    page = BeautifulSoup(admin_client.get(edit).content.decode(), "html.parser")
    field = page.select_one("input[type=file][name=upload]")
    assert field is not None
    wrapper = field.find_parent(class_="w-field") or field.parent
    assert "october" in wrapper.get_text()
    assert [a for a in page.select("a[href]") if "october" in a["href"]] == []


@pytest.mark.parametrize("name", ["run.exe", "page.html"])
def test_only_csv_json_or_text_files_are_accepted(demo, name):
    from django.core.exceptions import ValidationError

    source = UptakeSource(name="Odd", upload=SimpleUploadedFile(name, b"x"))
    with pytest.raises(ValidationError) as refused:
        source.full_clean()
    assert "upload" in refused.value.message_dict

"""Migration 0017 moves each uptake source's Wagtail document (served to anyone who guesses
its address) into private storage, and deletes the public copy unless something else uses
it."""

import os

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Max

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BEFORE = [("services_catalogue", "0016_offer_and_service_validation")]
AFTER = [("services_catalogue", "0017_uptake_source_private_upload")]
ROWS = b"period,ods_code,service_slug,metric,value\n2026-10,A84006,nhs-app,logins,7\n"


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_a_source_s_document_becomes_a_private_upload_and_the_public_copy_goes(settings,
                                                                             tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    old = migrate(BEFORE)
    try:  # whatever happens, leave the database migrated for the tests that follow
        Document = old.get_model("wagtaildocs", "Document")
        Source = old.get_model("services_catalogue", "UptakeSource")
        # explicit keys: rows restored after a transactional test do not move the sequences
        document = Document.objects.create(pk=next_pk(Document), title="October upload")
        document.file.save("october.csv", ContentFile(ROWS))
        public_path = document.file.path
        Source.objects.create(pk=next_pk(Source), name="Uploaded", document=document)
        Source.objects.create(pk=next_pk(Source), name="From a URL",
                              url="https://example.org/u.csv")

        new = migrate(AFTER)
        Source = new.get_model("services_catalogue", "UptakeSource")
        uploaded = Source.objects.get(name="Uploaded")
        with uploaded.upload.open("rb") as handle:
            assert handle.read() == ROWS
        name = uploaded.upload.name.rsplit("/", 1)[-1]  # october.csv, or october_<x>.csv
        assert name.startswith("october") and name.endswith(".csv")  # if that name was taken
        assert not Source.objects.get(name="From a URL").upload
        assert not new.get_model("wagtaildocs", "Document").objects.filter(
            pk=document.pk).exists()
        assert not os.path.exists(public_path)
    finally:
        migrate(AFTER)


def next_pk(model) -> int:
    return (model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1000

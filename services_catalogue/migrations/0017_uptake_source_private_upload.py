"""Uptake sources read uploaded files from private storage, not Wagtail documents.

A Wagtail document is served to anyone at /documents/<id>/<name> (and under MEDIA_URL), and
uptake files hold exact practice-level counts. Each source's document is copied into the
new private ``upload`` field; the document itself is then deleted, unless something other
than uptake sources refers to it (Wagtail's reference index), so the public copy goes.
"""

import django.core.validators
from django.core.files.base import ContentFile
from django.db import migrations, models

import services_catalogue.models.uptake
import services_catalogue.private_files


def copy_documents_to_private_uploads(apps, schema_editor):
    UptakeSource = apps.get_model("services_catalogue", "UptakeSource")
    Document = apps.get_model("wagtaildocs", "Document")
    ReferenceIndex = apps.get_model("wagtailcore", "ReferenceIndex")
    ContentType = apps.get_model("contenttypes", "ContentType")
    moved = set()
    for source in UptakeSource.objects.exclude(document__isnull=True):
        document = Document.objects.filter(pk=source.document_id).first()
        if document is None:
            continue
        with document.file.open("rb") as handle:
            data = handle.read()
        name = document.file.name.rsplit("/", 1)[-1]
        source.upload.save(name, ContentFile(data), save=False)
        source.document_id = None
        source.save(update_fields=["upload", "document"])
        moved.add(document.pk)
    if not moved:
        return
    document_type = ContentType.objects.filter(app_label="wagtaildocs", model="document").first()
    for document in Document.objects.filter(pk__in=moved):
        used_elsewhere = document_type is not None and ReferenceIndex.objects.filter(
            to_content_type=document_type, to_object_id=str(document.pk)).exists()
        if not used_elsewhere:
            document.file.delete(save=False)
            document.delete()


class Migration(migrations.Migration):

    dependencies = [
        ("services_catalogue", "0016_offer_and_service_validation"),
        ("wagtaildocs", "0001_initial"),
        ("wagtailcore", "0078_referenceindex"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AddField(
            model_name="uptakesource",
            name="upload",
            field=models.FileField(
                blank=True,
                help_text="Or a file to read each time the source is collected (CSV or JSON). It is kept private: never published on the site, only read by the import.",
                max_length=255,
                storage=services_catalogue.private_files.PrivateStorage(),
                upload_to=services_catalogue.private_files.private_upload_path,
                validators=[django.core.validators.FileExtensionValidator(["csv", "json", "txt"])],
                verbose_name="uploaded file",
            ),
        ),
        migrations.RunPython(copy_documents_to_private_uploads, migrations.RunPython.noop),
        migrations.RemoveField(model_name="uptakesource", name="document"),
        migrations.AlterField(
            model_name="uptakesource",
            name="url",
            field=models.URLField(
                blank=True, help_text="Where to fetch the file (http or https). Leave empty to use an uploaded file.",
                max_length=500, validators=[services_catalogue.models.uptake.http_url_validator],
                verbose_name="URL"),
        ),
        migrations.AlterField(
            model_name="uptakefile",
            name="url",
            field=models.CharField(
                blank=True, help_text="The URL (after redirects), the uploaded file, or the file given to import_uptake.",
                max_length=500, verbose_name="Fetched from"),
        ),
    ]

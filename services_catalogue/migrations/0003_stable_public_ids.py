"""Give services, organisations and capabilities stable UUIDs for the open data API.

Added in three steps so that existing rows each get their own UUID.
"""

import uuid

from django.db import migrations, models

MODELS = ["digitalservice", "organisation", "capability"]


def fill_public_ids(apps, schema_editor):
    for name in MODELS:
        model = apps.get_model("services_catalogue", name)
        for pk in model.objects.filter(public_id__isnull=True).values_list("pk", flat=True):
            model.objects.filter(pk=pk).update(public_id=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [("services_catalogue", "0002_staff_groups")]

    operations = [
        *[
            migrations.AddField(
                model_name=name, name="public_id", field=models.UUIDField(null=True, editable=False)
            )
            for name in MODELS
        ],
        migrations.RunPython(fill_public_ids, migrations.RunPython.noop),
        *[
            migrations.AlterField(
                model_name=name,
                name="public_id",
                field=models.UUIDField(
                    default=uuid.uuid4, unique=True, editable=False,
                    help_text="Stable identifier in the open data API; survives edits and renames.",
                ),
            )
            for name in MODELS
        ],
    ]

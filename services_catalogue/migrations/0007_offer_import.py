"""A record of each applied bulk import of offers, readable by every staff group."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models


def grant_view_permission(apps, schema_editor):
    config = apps.get_app_config("services_catalogue")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    view = Permission.objects.get(
        content_type__app_label="services_catalogue", codename="view_offerimport"
    )
    for group in Group.objects.filter(
        name__in=["Comms editors", "Comms approvers", "Inclusion leads"]
    ):
        group.permissions.add(view)


class Migration(migrations.Migration):

    dependencies = [
        ('services_catalogue', '0006_remove_capability_consistent_offer_fields'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='OfferImport',
            fields=[
                ('id', models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('imported_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ('via', models.CharField(choices=[('admin', 'Admin upload'), ('command', 'Command line')], default='admin', max_length=10)),
                ('file_name', models.CharField(max_length=255)),
                ('sha256', models.CharField(db_index=True, max_length=64, verbose_name='SHA-256')),
                ('rows', models.PositiveIntegerField(default=0, help_text='Offer rows in the file.')),
                ('organisations', models.PositiveIntegerField(default=0, help_text='Organisations the file mentions (the only ones it can change).')),
                ('added', models.PositiveIntegerField(default=0)),
                ('removed', models.PositiveIntegerField(default=0)),
                ('changed', models.PositiveIntegerField(default=0, help_text='Offers kept, with a different list of capabilities.')),
                ('unchanged', models.PositiveIntegerField(default=0)),
                ('warnings', models.TextField(blank=True)),
                ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='offer_imports', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'offer import',
                'ordering': ['-imported_at', '-pk'],
            },
        ),
        migrations.RunPython(grant_view_permission, migrations.RunPython.noop),
    ]

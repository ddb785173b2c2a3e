"""Uptake: where figures come from (UptakeSource), each file imported (UptakeFile, the
provenance) and the figures (UptakeObservation). Inclusion leads may view all three.
"""

import re

import django.core.validators
import django.db.models.deletion
import django.utils.timezone
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

import services_catalogue.models.uptake


def grant_view_permissions(apps, schema_editor):
    config = apps.get_app_config("services_catalogue")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(
        content_type__app_label="services_catalogue",
        codename__in=["view_uptakesource", "view_uptakefile", "view_uptakeobservation"],
    )
    for group in Group.objects.filter(name="Inclusion leads"):
        group.permissions.add(*permissions)


class Migration(migrations.Migration):

    dependencies = [
        ('services_catalogue', '0007_offer_import'),
        ('wagtaildocs', '0014_alter_document_file_size'),
    ]

    operations = [
        migrations.CreateModel(
            name='UptakeSource',
            fields=[
                ('id', models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=100, unique=True)),
                ('format', models.CharField(choices=[('dfd_csv', 'Digital Front Door CSV (period,ods_code,service_slug,metric,value[,denominator])'), ('nhs_app_mi', 'NHS App Management Information, ICB-level CSV (NHS England)'), ('mapped_csv', 'Other CSV, with a column mapping'), ('mapped_json', 'JSON records, with a column mapping')], default='dfd_csv', max_length=20)),
                ('url', models.URLField(blank=True, help_text='Where to fetch the file (http or https). Leave empty to use a document.', max_length=500, validators=[django.core.validators.URLValidator(schemes=['http', 'https'])], verbose_name='URL')),
                ('column_mapping', models.JSONField(blank=True, default=dict, help_text='For the mapped formats only. A JSON object: "columns" maps each of period, ods_code, service, metric, value and (optional) denominator to the column (CSV) or key (JSON) that holds it; "constants" gives a fixed value instead, e.g. {"service": "nhs-app"}. Optional: "metric_names" maps the file\'s metric names to our slugs, "records" names the JSON key that holds the list of records, "ignore_unknown_ods": true skips rows for organisations not in the catalogue (a national file).', validators=[services_catalogue.models.uptake.validate_mapping])),
                ('schedule', models.CharField(choices=[('manual', 'Only when asked (no schedule)'), ('hourly', 'Every hour'), ('daily', 'Every day'), ('weekly', 'Every week'), ('monthly', 'Every 30 days')], default='manual', max_length=10)),
                ('auth_header_name', models.CharField(blank=True, help_text='E.g. Authorization or X-API-Key. Its value is read from the variable below.', max_length=100, validators=[django.core.validators.RegexValidator(re.compile("^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$"), 'Not a valid HTTP header name.')], verbose_name='Authentication header')),
                ('auth_env_var', models.CharField(blank=True, help_text='The NAME of an environment variable set on the workers (never the secret).', max_length=100, validators=[django.core.validators.RegexValidator(re.compile('^[A-Z_][A-Z0-9_]{0,99}$'), 'Capital letters, digits and underscores.')], verbose_name="Environment variable with the header's value")),
                ('active', models.BooleanField(default=True)),
                ('etag', models.CharField(blank=True, editable=False, max_length=255, verbose_name='ETag')),
                ('last_modified', models.CharField(blank=True, editable=False, max_length=100)),
                ('last_sha256', models.CharField(blank=True, editable=False, max_length=64, verbose_name='Last file SHA-256')),
                ('last_dispatched_at', models.DateTimeField(blank=True, editable=False, null=True)),
                ('last_checked_at', models.DateTimeField(blank=True, editable=False, null=True)),
                ('last_changed_at', models.DateTimeField(blank=True, editable=False, null=True)),
                ('last_error', models.TextField(blank=True, editable=False)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('document', models.ForeignKey(blank=True, help_text='Or an uploaded file, read each time the source is collected.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='wagtaildocs.document')),
            ],
            options={
                'verbose_name': 'uptake source',
                'ordering': ['name'],
            },
        ),
        migrations.CreateModel(
            name='UptakeFile',
            fields=[
                ('id', models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('sha256', models.CharField(db_index=True, max_length=64, verbose_name='SHA-256')),
                ('url', models.CharField(blank=True, help_text='The URL (after redirects), the document, or the file given to import_uptake.', max_length=500, verbose_name='Fetched from')),
                ('fetched_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('rows', models.PositiveIntegerField(default=0, help_text='Figures in the file (ours).')),
                ('inserted', models.PositiveIntegerField(default=0)),
                ('updated', models.PositiveIntegerField(default=0)),
                ('deleted', models.PositiveIntegerField(default=0)),
                ('unchanged', models.PositiveIntegerField(default=0)),
                ('periods', models.JSONField(blank=True, default=list, help_text='The months it replaced.')),
                ('source', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='files', to='services_catalogue.uptakesource')),
            ],
            options={
                'verbose_name': 'uptake file',
                'ordering': ['-fetched_at', '-pk'],
            },
        ),
        migrations.CreateModel(
            name='UptakeObservation',
            fields=[
                ('pk', models.CompositePrimaryKey('source', 'period', 'metric', 'service', 'organisation', blank=True, editable=False, primary_key=True, serialize=False)),
                ('period', models.DateField(help_text='The month, as its first day.')),
                ('metric', services_catalogue.models.uptake.ByteOrderCharField(help_text='E.g. registrations, logins, active_users.', max_length=64)),
                ('value', models.BigIntegerField(validators=[django.core.validators.MinValueValidator(0)])),
                ('denominator', models.BigIntegerField(blank=True, help_text='What the value is out of (e.g. registered patients), where the source says.', null=True, validators=[django.core.validators.MinValueValidator(0)])),
                ('fetched_at', models.DateTimeField()),
                ('file', models.ForeignKey(blank=True, db_constraint=False, db_index=False, help_text='The file this figure came from (its URL and SHA-256).', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='services_catalogue.uptakefile')),
                ('organisation', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='uptake_observations', to='services_catalogue.organisation')),
                ('service', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='uptake_observations', to='services_catalogue.digitalservice')),
                ('source', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='observations', to='services_catalogue.uptakesource')),
            ],
            options={
                'verbose_name': 'uptake observation',
                'ordering': ['-period', 'service', 'organisation', 'metric'],
                'constraints': [models.CheckConstraint(condition=models.Q(('value__gte', 0)), name='uptake_value_not_negative'), models.CheckConstraint(condition=models.Q(('denominator__isnull', True), models.Q(('denominator__gte', 0), ('value__lte', models.F('denominator'))), _connector='OR'), name='uptake_value_within_denominator')],
            },
        ),
        migrations.RunPython(grant_view_permissions, migrations.RunPython.noop),
    ]

"""The uptake figures' primary key with the metric last: (source, period, service,
organisation, metric) instead of (source, period, metric, service, organisation).

The same unique key (the DESIGN's), in an order that keeps replacing a source's months an
index range and lets almost every comparison in the index be decided by integers before
the text column is reached: importing a million figures costs PostgreSQL about a quarter
less CPU (docs/performance.md, "Metrics: uptake import").

Django does not alter a composite primary key in the database (the AlterField below is
state only), so PostgreSQL's key is rebuilt here; it takes an exclusive lock on the table
while the index is built. Other databases keep the key they were created with: the same
columns, so the same uniqueness; only the index order differs.
"""

from django.db import migrations, models

TABLE = "services_catalogue_uptakeobservation"
OLD = ("source_id", "period", "metric", "service_id", "organisation_id")
NEW = ("source_id", "period", "service_id", "organisation_id", "metric")


def primary_key(columns):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        quote = schema_editor.quote_name
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass "
                "AND contype = 'p'", [TABLE])
            (name,) = cursor.fetchone()
        schema_editor.execute(
            f"ALTER TABLE {quote(TABLE)} DROP CONSTRAINT {quote(name)}, "
            f"ADD CONSTRAINT {quote(name)} PRIMARY KEY ({', '.join(columns)})"
        )

    return run


class Migration(migrations.Migration):

    dependencies = [
        ('services_catalogue', '0009_accessibility_audits'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='uptakeobservation',
                    name='pk',
                    field=models.CompositePrimaryKey('source', 'period', 'service', 'organisation', 'metric', blank=True, editable=False, primary_key=True, serialize=False),
                ),
            ],
            database_operations=[
                migrations.RunPython(primary_key(NEW), primary_key(OLD)),
            ],
        ),
    ]

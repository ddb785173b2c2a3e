"""The consistent offer now lives in the ConsistentOffer setting (copied there by 0005)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('services_catalogue', '0005_copy_consistent_offer'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='capability',
            name='in_consistent_offer',
        ),
        migrations.RemoveField(
            model_name='capability',
            name='national_default',
        ),
    ]

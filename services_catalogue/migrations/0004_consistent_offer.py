"""The consistent offer becomes a site setting with an ordered list of capabilities.

This creates the setting and its items; 0005 copies the consistent offer into them
from the capabilities, and 0006 removes the old fields from Capability.
"""

import django.db.models.deletion
import modelcluster.fields
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('services_catalogue', '0003_stable_public_ids'),
    ]

    operations = [
        migrations.CreateModel(
            name='ConsistentOffer',
            fields=[
                ('id', models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
            ],
            options={
                'verbose_name': 'consistent offer',
            },
        ),
        migrations.CreateModel(
            name='ConsistentOfferItem',
            fields=[
                ('id', models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('sort_order', models.IntegerField(blank=True, editable=False, null=True)),
                ('capability', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='consistent_offer_items', to='services_catalogue.capability')),
                ('national_default', models.ForeignKey(blank=True, help_text='The national service to point people to where their practice offers nothing.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='default_for_items', to='services_catalogue.digitalservice')),
                ('setting', modelcluster.fields.ParentalKey(on_delete=django.db.models.deletion.CASCADE, related_name='items', to='services_catalogue.consistentoffer')),
            ],
            options={
                'verbose_name': 'consistent offer capability',
                'ordering': ['sort_order'],
                'abstract': False,
                'constraints': [models.UniqueConstraint(fields=('setting', 'capability'), name='consistent_offer_capability_once')],
            },
        ),
    ]

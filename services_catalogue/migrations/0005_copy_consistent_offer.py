"""Copy the consistent offer from the capabilities into the new site setting.

Every capability marked `in_consistent_offer` becomes an item, in the capabilities'
order (sort order, then name), keeping its `national_default`. A national default
on a capability outside the consistent offer was never shown anywhere, so it is not
kept. Backwards, the flags and defaults are set again from the items.

Also lets the Comms approvers group change the setting (it changes every practice
page at once, with no moderation step).
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def copy_to_setting(apps, schema_editor):
    Capability = apps.get_model("services_catalogue", "Capability")
    ConsistentOffer = apps.get_model("services_catalogue", "ConsistentOffer")
    ConsistentOfferItem = apps.get_model("services_catalogue", "ConsistentOfferItem")
    setting = ConsistentOffer.objects.order_by("pk").first()
    if setting is None:
        setting = ConsistentOffer.objects.create()
    consistent = Capability.objects.filter(in_consistent_offer=True).order_by("sort_order", "name")
    for order, capability in enumerate(consistent):
        ConsistentOfferItem.objects.update_or_create(
            setting=setting,
            capability=capability,
            defaults={"national_default_id": capability.national_default_id, "sort_order": order},
        )


def copy_to_capabilities(apps, schema_editor):
    Capability = apps.get_model("services_catalogue", "Capability")
    ConsistentOffer = apps.get_model("services_catalogue", "ConsistentOffer")
    ConsistentOfferItem = apps.get_model("services_catalogue", "ConsistentOfferItem")
    setting = ConsistentOffer.objects.order_by("pk").first()
    items = ConsistentOfferItem.objects.filter(setting=setting) if setting else []
    Capability.objects.update(in_consistent_offer=False, national_default=None)
    for item in items:
        Capability.objects.filter(pk=item.capability_id).update(
            in_consistent_offer=True, national_default_id=item.national_default_id
        )
    ConsistentOfferItem.objects.all().delete()


def grant_permissions(apps, schema_editor):
    config = apps.get_app_config("services_catalogue")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    change = Permission.objects.get(
        content_type__app_label="services_catalogue", codename="change_consistentoffer"
    )
    for group in Group.objects.filter(name="Comms approvers"):
        group.permissions.add(change)


class Migration(migrations.Migration):

    dependencies = [
        ('services_catalogue', '0004_consistent_offer'),
    ]

    operations = [
        migrations.RunPython(copy_to_setting, copy_to_capabilities),
        migrations.RunPython(grant_permissions, migrations.RunPython.noop),
    ]

"""Migrations 0004-0006 move the consistent offer from Capability into the site setting.

Runs the real migrations on the test database: back to 0004 (the setting exists, the
old Capability fields still hold the consistent offer), rows made with the historical
models, forward to the latest state, and back again. Transactional, so it runs after
the other database tests; the database is left fully migrated.
"""

import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

APP = "services_catalogue"
BEFORE_COPY = [(APP, "0004_consistent_offer")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def latest():
    """Every app's latest migration that is applied now: where to leave the database.

    Going back to 0004 also unapplies other apps' migrations that depend on later ones
    of ours, so the test restores all of them, not only this app's.
    """
    loader = MigrationExecutor(connection).loader
    return [node for node in loader.graph.leaf_nodes() if node in loader.applied_migrations]


def capability_columns():
    with connection.cursor() as cursor:
        table = connection.introspection.get_table_description(cursor, "services_catalogue_capability")
    return {column.name for column in table}


def make_national_service(apps, slug):
    """A minimal published DigitalService page, made with the historical models."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    Locale = apps.get_model("wagtailcore", "Locale")
    DigitalService = apps.get_model(APP, "DigitalService")
    content_type, _ = ContentType.objects.get_or_create(app_label=APP, model="digitalservice")
    locale = Locale.objects.first() or Locale.objects.create(language_code="en-gb")
    return DigitalService.objects.create(
        title=slug, draft_title=slug, slug=slug, path=f"9999{uuid.uuid4().int % 10**8:08d}",
        depth=2, url_path=f"/{slug}/", content_type=content_type, locale=locale, live=True,
        translation_key=uuid.uuid4(), public_id=uuid.uuid4(),
        summary="s", provider="NHS England", scope="national", service_url="https://x.example/",
        who_can_use="w", how_to_start="h", non_digital_alternative="n",
    )


def test_the_consistent_offer_moves_from_capabilities_into_the_setting_and_back():
    everything = latest()
    try:
        old = migrate(BEFORE_COPY)
        assert {"in_consistent_offer", "national_default_id"} <= capability_columns()
        Capability = old.get_model(APP, "Capability")
        service = make_national_service(old, "migration-test-app")
        inside_late = Capability.objects.create(
            name="Migration late", slug="migration-late", citizen_label="Late",
            sort_order=5001, in_consistent_offer=True, national_default=service,
        )
        inside_early = Capability.objects.create(
            name="Migration early", slug="migration-early", citizen_label="Early",
            sort_order=5000, in_consistent_offer=True,
        )
        outside = Capability.objects.create(
            name="Migration outside", slug="migration-outside", citizen_label="Outside",
            sort_order=4000, in_consistent_offer=False, national_default=service,
        )

        new = migrate(everything)
        assert not {"in_consistent_offer", "national_default_id"} & capability_columns()
        ConsistentOffer = new.get_model(APP, "ConsistentOffer")
        Item = new.get_model(APP, "ConsistentOfferItem")
        setting = ConsistentOffer.objects.order_by("pk").first()
        items = list(Item.objects.filter(setting=setting).order_by("sort_order", "pk"))
        ours = [(i.capability_id, i.national_default_id) for i in items
                if i.capability_id in {inside_late.pk, inside_early.pk, outside.pk}]
        assert ours == [(inside_early.pk, None), (inside_late.pk, service.pk)]

        # And backwards: the flags and defaults come back from the setting.
        old = migrate(BEFORE_COPY)
        Capability = old.get_model(APP, "Capability")
        flags = {c.slug: (c.in_consistent_offer, c.national_default_id) for c in
                 Capability.objects.filter(slug__startswith="migration-")}
        assert flags == {
            "migration-early": (True, None),
            "migration-late": (True, service.pk),
            "migration-outside": (False, None),
        }
        assert not old.get_model(APP, "ConsistentOfferItem").objects.exists()
    finally:
        migrate(everything)

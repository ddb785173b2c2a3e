"""Factories for test data. Pages need a parent, so page factories take one."""

import datetime
import itertools

import factory
from django.utils import timezone

from portal.models import ServiceIndexPage
from services_catalogue.models import (
    AccessibilityAudit,
    Capability,
    ConsistentOffer,
    ConsistentOfferItem,
    DigitalService,
    InclusionSupport,
    Language,
    Offer,
    Organisation,
)

_ods = itertools.count(1)


class CapabilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Capability
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Capability {n}")
    slug = factory.Sequence(lambda n: f"capability-{n}")
    citizen_label = factory.LazyAttribute(lambda o: f"Do {o.name.lower()}")


class LanguageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Language
        django_get_or_create = ("code",)

    code = "pl"
    name = "Polish"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    ods_code = factory.LazyFunction(lambda: f"T{next(_ods):05d}")
    name = factory.Sequence(lambda n: f"Riverside Surgery {n}")
    kind = "gp_practice"
    town = "Hexham"
    place = "Tynedale"
    postcode = "NE46 1QJ"
    registered_patients = 8000


class OfferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Offer

    organisation = factory.SubFactory(OrganisationFactory)


class InclusionSupportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InclusionSupport

    name = factory.Sequence(lambda n: f"Library {n}")
    kind = "library"
    place = "Tynedale"
    description = "Free computers and Wi-Fi."


def make_service(index: ServiceIndexPage, *, live: bool = True, capabilities=(), languages=(),
                 **fields) -> DigitalService:
    n = next(_ods)
    defaults = dict(
        title=f"Test service {n}",
        slug=f"test-service-{n}",
        summary="Order your repeat medicines online.",
        provider="NHS England",
        scope="national",
        service_url="https://service.example/start",
        who_can_use="Anyone registered with a GP practice.",
        how_to_start="Sign in with NHS login.",
        non_digital_alternative="Phone your GP practice.",
        last_reviewed=datetime.date.today(),
    )
    defaults.update(fields)
    service = DigitalService(**defaults)
    service.capabilities = list(capabilities)
    service.languages = list(languages)
    index.add_child(instance=service)
    revision = service.save_revision()
    if live:
        revision.publish()
    else:
        service.live = False
        service.save()
    service.refresh_from_db()
    return service


def add_to_consistent_offer(capability: Capability, national_default=None) -> ConsistentOfferItem:
    """Put a capability at the end of the consistent offer."""
    setting = ConsistentOffer.load()
    last = setting.items.order_by("-sort_order").values_list("sort_order", flat=True).first()
    return ConsistentOfferItem.objects.create(
        setting=setting, capability=capability, national_default=national_default,
        sort_order=(last or 0) + 1,
    )


def add_audit(service, days_ago=0, **fields) -> AccessibilityAudit:
    """A start page audit of `service` `days_ago` days ago: reachable, no failures, with a
    statement found (override any field)."""
    defaults = dict(
        url=service.service_url, kind="start_page", http_status=200, passed_count=40,
        failed_count=0, statement_found_url="https://service.example/accessibility",
        statement_checks={"found": True, "missing": [], "parts": {
            "compliance_status": True, "non_accessible_content": True,
            "preparation_date": True, "review_date": True, "feedback_contact": True,
            "enforcement_procedure": False}},
        checked_at=timezone.now() - datetime.timedelta(days=days_ago),
    )
    defaults.update(fields)
    return AccessibilityAudit.objects.create(service=service, **defaults)

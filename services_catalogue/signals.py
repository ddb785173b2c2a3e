"""Keep the search index in step with what a service's search entry is built from.

Why: a service is found by the needs it meets (its capabilities, `DigitalService.search_fields`).
Wagtail indexes a page when it is saved, but a published page's capabilities (a parental
many-to-many) are written after that save, so the index would hold the previous needs until
the next publish; and renaming a capability changes no service at all. Both are re-indexed
here once the change is in the database.
"""

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from wagtail.search import index
from wagtail.signals import page_published

from .models import Capability, DigitalService


@receiver(page_published, dispatch_uid="services-catalogue-reindex-published-service")
def reindex_published_service(sender, instance, **kwargs):
    if isinstance(instance, DigitalService):
        pk = instance.pk
        transaction.on_commit(lambda: _reindex(DigitalService.objects.filter(pk=pk)))


@receiver(post_save, sender=Capability, dispatch_uid="services-catalogue-reindex-capability")
def reindex_services_of_capability(sender, instance, created, **kwargs):
    if not created:
        pk = instance.pk
        transaction.on_commit(
            lambda: _reindex(DigitalService.objects.filter(capabilities__pk=pk).distinct()))


def _reindex(services) -> None:
    for service in services:
        index.insert_or_update_object(service)

"""Which service records are overdue for review (the record may no longer match the service)."""

import datetime

from django.conf import settings
from django.utils import timezone

from .models import DigitalService
from .models.service import Lifecycle


def review_cutoff(today: datetime.date | None = None) -> datetime.date:
    today = today or timezone.localdate()
    return today - datetime.timedelta(days=settings.SERVICE_REVIEW_INTERVAL_DAYS)


def services_for_review():
    """Every service citizens can see or have seen, the longest-unreviewed first, each
    marked overdue or not. A retired service is closed (its page only points elsewhere)
    and a draft never published has told nobody anything yet, so neither is counted."""
    cutoff = review_cutoff()
    services = (DigitalService.objects.exclude(lifecycle=Lifecycle.RETIRED)
                .exclude(first_published_at__isnull=True)
                .order_by("last_reviewed", "title")).only(
        "title", "last_reviewed", "live", "has_unpublished_changes", "provider"
    )
    return [(service, service.last_reviewed < cutoff) for service in services]

"""A cache for anonymous public pages, invalidated whenever content changes.

Anonymous citizens get the same page for the same URL, so we keep the rendered
response. Rather than track which page shows which record, every cached entry
carries the catalogue's *content version*; publishing, unpublishing or saving any
catalogue record bumps the version, so no stale page survives a change.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from django.utils.cache import patch_cache_control
from wagtail.signals import page_published, page_unpublished

VERSION_KEY = "content-version"
# HTML pages and the open data API's JSON: both public, both invalidated on publish.
CACHED_CONTENT_TYPES = {"text/html", "application/json"}
UNCACHED_PREFIXES = ("/admin", "/django-admin", "/_util", "/static", "/media")


def content_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, 1, timeout=None)
        version = cache.get(VERSION_KEY, 1)
    return version


def invalidate_public_pages(*args, **kwargs) -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.set(VERSION_KEY, 2, timeout=None)


def page_cache_key(host: str, full_path: str) -> str:
    """The cache key of a page as served now. Hashed: a URL can be 1,000 characters, which
    some cache backends refuse as a key."""
    address = f"{host}:{full_path}".encode()
    return f"page:{content_version()}:{hashlib.sha256(address).hexdigest()}"


class AnonymousPageCacheMiddleware:
    """Serve repeat anonymous GETs of public pages from the cache."""

    def __init__(self, get_response):
        self.get_response = get_response

    def cacheable_request(self, request) -> bool:
        return (
            request.method in ("GET", "HEAD")
            and not request.path.startswith(UNCACHED_PREFIXES)
            and settings.SESSION_COOKIE_NAME not in request.COOKIES
            and "preview" not in request.GET
            and len(request.get_full_path()) <= 1000
        )

    def __call__(self, request):
        if not self.cacheable_request(request):
            return self.get_response(request)
        key = page_cache_key(request.get_host(), request.get_full_path())
        cached = cache.get(key)
        if cached is not None:
            return cached
        response = self.get_response(request)
        if (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and not getattr(request, "_page_cache_skip", False)
            and response.get("Content-Type", "").split(";")[0] in CACHED_CONTENT_TYPES
        ):
            # Browsers must revalidate: our cache is invalidated on publish, theirs is not.
            patch_cache_control(response, no_cache=True)
            cache.set(key, response, settings.PAGE_CACHE_SECONDS)
        return response


page_published.connect(invalidate_public_pages, dispatch_uid="cache-published")
page_unpublished.connect(invalidate_public_pages, dispatch_uid="cache-unpublished")


CATALOGUE_MODELS = {
    "AccessibilityAudit",  # a service page says whether its statement was found, and when
    "Capability",
    "ConsistentOffer",
    "ConsistentOfferItem",
    "Language",
    "Organisation",
    "Offer",
    "InclusionSupport",
    "SiteSettings",
}


@receiver(post_save, dispatch_uid="cache-saved")
@receiver(post_delete, dispatch_uid="cache-deleted")
def invalidate_on_catalogue_change(sender, **kwargs):
    if sender.__name__ in CATALOGUE_MODELS:
        invalidate_public_pages()


@receiver(m2m_changed, dispatch_uid="cache-m2m")
def invalidate_on_relation_change(sender, **kwargs):
    """Offers' capabilities and services' needs are many-to-many; users' groups are not ours."""
    if sender._meta.app_label in {"services_catalogue", "portal"}:
        invalidate_public_pages()

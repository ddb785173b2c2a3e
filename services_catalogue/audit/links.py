"""The link checker: every external link in published content, checked on a schedule.

Sources: live service pages (start page URL, accessibility statement URL, links in the body),
live guide pages and the help getting online page (links in the body), and active help getting
online records (website). Each distinct URL is fetched once per run through the
GuardedFetcher (a GET: the fetcher does not do HEAD; the task gives it a small size limit and a
body cut off at that limit is not an error). The result is written to one LinkCheck per
(source, URL); links no longer in the content are forgotten.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone
from selectolax.lexbor import LexborHTMLParser

# A body larger than the link checker's limit is cut off, which is fine: the link works.
LINK_CHECK_MAX_BYTES = 64 * 1024
LINK_CHECK_CONCURRENCY = 8
NOT_BROKEN_STATUSES = {429}  # rate limited: says nothing about the link
_URL = re.compile(r"^https?://\S+$", re.I)
MAX_URL = 2000


def is_external(url: str) -> bool:
    if not isinstance(url, str) or not _URL.match(url.strip()) or len(url.strip()) > MAX_URL:
        return False
    try:
        return bool(urlsplit(url.strip()).hostname)
    except ValueError:  # e.g. "http://[" : not a URL
        return False


def _hrefs(html: str) -> list[str]:
    tree = LexborHTMLParser(html)
    return [a.attributes.get("href") or "" for a in tree.css("a[href]")]


def stream_links(raw) -> list[str]:
    """External URLs anywhere in a StreamField's raw data: URL values of any block (action
    links, promo URLs) and hrefs inside rich text. Internal page links are not URLs here."""
    found: list[str] = []

    def walk(value):
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)
        elif isinstance(value, str):
            if is_external(value):
                found.append(value.strip())
            elif "<a" in value and "href" in value:
                found.extend(h.strip() for h in _hrefs(value) if is_external(h))

    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raw = [raw]
    walk(raw)
    return list(dict.fromkeys(found))


def _raw_body(page) -> list:
    body = getattr(page, "body", None)
    if body is None:
        return []
    raw = getattr(body, "raw_data", None)
    return list(raw) if raw is not None else []


def collect_links() -> dict[tuple, dict[str, list[str]]]:
    """{(page_id, support_id): {url: [field, ...]}} for every external link in published
    content."""
    from portal.models import GuidePage, HelpGettingOnlinePage
    from services_catalogue.models import DigitalService, InclusionSupport

    links: dict[tuple, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))

    def add(key, url, where):
        if is_external(url):
            links[key][url.strip()].append(where)

    for service in DigitalService.objects.live().only(
        "pk", "service_url", "accessibility_statement_url", "body"
    ):
        key = (service.pk, None)
        add(key, service.service_url, "service_url")
        add(key, service.accessibility_statement_url or "", "accessibility_statement_url")
        for url in stream_links(_raw_body(service)):
            add(key, url, "body")
    for model in (GuidePage, HelpGettingOnlinePage):
        for page in model.objects.live().only("pk", "body"):
            for url in stream_links(_raw_body(page)):
                add((page.pk, None), url, "body")
    for support in InclusionSupport.objects.filter(active=True).exclude(website=""):
        add((None, support.pk), support.website, "website")
    return links


def is_broken(result) -> bool:
    """4xx/5xx, refused, unreachable, timed out: broken. A body cut off at our size limit, a
    page robots.txt asks us not to fetch, and rate limiting (429) are not."""
    if result.truncated:
        return False
    if result.error:
        return "robots.txt" not in result.error
    return result.status is None or (
        result.status >= 400 and result.status not in NOT_BROKEN_STATUSES
    )


@dataclass
class LinkCheckResult:
    links: int = 0
    urls: int = 0
    broken: int = 0
    removed: int = 0


def check_links(fetcher, concurrency: int = LINK_CHECK_CONCURRENCY) -> LinkCheckResult:
    """Check every external link in published content and record the results."""
    from services_catalogue.models import LinkCheck

    links = collect_links()
    urls = sorted({url for by_url in links.values() for url in by_url})
    results = dict(zip(urls, fetcher.fetch_many(urls, concurrency=concurrency), strict=True))
    now = timezone.now()
    outcome = LinkCheckResult(urls=len(urls))

    existing = {(c.page_id, c.support_id, c.url): c for c in LinkCheck.objects.all()}
    keep: set[int] = set()
    to_create, to_update = [], []
    for (page_id, support_id), by_url in links.items():
        for url, where in by_url.items():
            result = results[url]
            broken = is_broken(result)
            error = result.error if (result.error and not result.truncated) else ""
            if not error and broken:
                error = f"HTTP {result.status}"
            check = existing.get((page_id, support_id, url))
            if check is None:
                check = LinkCheck(page_id=page_id, support_id=support_id, url=url)
                to_create.append(check)
            else:
                keep.add(check.pk)
                to_update.append(check)
            check.field = ", ".join(dict.fromkeys(where))[:100]
            check.status = result.status
            check.error = error
            check.checked_at = now
            if broken:
                check.consecutive_failures = (check.consecutive_failures or 0) + 1
                check.first_broken_at = check.first_broken_at if check.broken else now
            else:
                check.consecutive_failures = 0
                check.first_broken_at = None
                check.last_ok_at = now
            check.broken = broken
            outcome.links += 1
            outcome.broken += broken
    stale = [c.pk for c in existing.values() if c.pk not in keep]
    with transaction.atomic():
        # a run at the same moment may have created the same row: keep theirs
        LinkCheck.objects.bulk_create(to_create, batch_size=500, ignore_conflicts=True)
        LinkCheck.objects.bulk_update(
            to_update,
            ["field", "status", "error", "checked_at", "broken", "first_broken_at", "last_ok_at",
             "consecutive_failures"],
            batch_size=500,
        )
        if stale:
            outcome.removed = LinkCheck.objects.filter(pk__in=stale).delete()[0]
    return outcome

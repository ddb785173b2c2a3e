"""Collect one uptake source: fetch its file (or read its uploaded file), then import it.

Fetching goes through the SSRF-guarded `tasks.fetch.GuardedFetcher` with the uptake size
limit and timeout, as a conditional request (If-None-Match / If-Modified-Since from the
last response). A 304, or a file whose SHA-256 is the last one imported, changes nothing.

Errors come in two kinds: `TransientCollectError` (network trouble, 5xx, 429: worth
retrying later, and the Celery task does, with backoff) and `CollectError` (everything
else: refused address, 4xx, missing secret, oversized file). A bad file raises
`UptakeImportError` from the pipeline. None of them ever includes a secret's value.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone

from ..models import UptakeSource
from .pipeline import ImportResult, import_uptake_bytes, max_bytes

TRANSIENT_FETCH_ERRORS = ("Could not connect", "The server did not answer in time",
                          "The server sent the page too slowly", "The request failed")


class CollectError(Exception):
    """The source could not be collected; retrying now would not help."""


class TransientCollectError(CollectError):
    """The source could not be collected this time (network, 5xx, 429): retry later."""


@dataclass
class Fetched:
    body: bytes
    url: str
    etag: str = ""
    last_modified: str = ""
    not_modified: bool = False
    status: int | None = None


@dataclass
class CollectResult:
    source: UptakeSource
    outcome: str  # "imported", "unchanged" (same checksum) or "not_modified" (304)
    url: str = ""
    status: int | None = None
    bytes: int = 0
    imported: ImportResult | None = None
    extra: dict = field(default_factory=dict)

    def counts(self) -> dict:
        counts = {"outcome": self.outcome, "bytes": self.bytes}
        if self.status is not None:
            counts["http_status"] = self.status
        if self.imported is not None and not self.imported.unchanged_file:
            counts.update(self.imported.counts())
        return counts

    def summary(self) -> str:
        if self.outcome == "not_modified":
            return "Not modified since the last collection (HTTP 304): nothing changed."
        if self.outcome == "unchanged":
            return "The file is the same as last time: nothing changed."
        return self.imported.summary()


def request_headers(source: UptakeSource) -> dict[str, str]:
    headers = {}
    if source.etag:
        headers["If-None-Match"] = source.etag
    if source.last_modified:
        headers["If-Modified-Since"] = source.last_modified
    if source.auth_header_name:
        secret = os.environ.get(source.auth_env_var or "", "")
        if not secret:
            raise CollectError(
                f"The environment variable {source.auth_env_var or '(none)'} is not set on "
                f"this worker, so the {source.auth_header_name} header cannot be sent."
            )
        headers[source.auth_header_name] = secret
    return headers


def fetch_source(source: UptakeSource, fetcher=None) -> Fetched:
    from tasks.fetch import fetcher_from_settings

    headers = request_headers(source)
    own = fetcher is None
    if own:
        fetcher = fetcher_from_settings(
            max_bytes=max_bytes(),
            timeout=float(getattr(settings, "UPTAKE_FETCH_TIMEOUT_SECONDS", 60)),
        )
    try:
        result = fetcher.fetch(source.url, headers=headers)
    finally:
        if own:
            fetcher.close()
    if result.truncated:
        raise CollectError(
            f"The file at {source.url} is larger than {fetcher.max_bytes:,} bytes "
            "(UPTAKE_MAX_BYTES): nothing was imported."
        )
    if result.error:
        transient = result.error.startswith(TRANSIENT_FETCH_ERRORS) and not result.tls_error
        kind = TransientCollectError if transient else CollectError
        raise kind(f"Fetching {source.url} failed: {result.error}")
    status = result.status
    if status == 304:
        return Fetched(body=b"", url=result.final_url or source.url, not_modified=True,
                       status=status, etag=result.headers.get("etag", ""),
                       last_modified=result.headers.get("last-modified", ""))
    if status is not None and (status >= 500 or status == 429):
        raise TransientCollectError(f"{source.url} answered HTTP {status}; will try again.")
    if status is None or not 200 <= status < 300:
        hint = " (check the authentication header and variable)" if status in (401, 403) else ""
        raise CollectError(f"{source.url} answered HTTP {status}{hint}: nothing was imported.")
    return Fetched(body=result.body, url=result.final_url or source.url, status=status,
                   etag=result.headers.get("etag", ""),
                   last_modified=result.headers.get("last-modified", ""))


def read_upload(source: UptakeSource) -> Fetched:
    upload = source.upload
    limit = max_bytes()
    name = upload.name.rsplit("/", 1)[-1]
    try:
        size = upload.size
        if size > limit:
            raise CollectError(
                f"The uploaded file {name!r} is {size:,} bytes; the limit is {limit:,} "
                "bytes (UPTAKE_MAX_BYTES)."
            )
        with upload.open("rb") as handle:
            body = handle.read(limit + 1)
    except OSError as error:
        raise CollectError(f"The uploaded file {name!r} cannot be read ({error}).") from None
    return Fetched(body=body, url=f"uploaded file: {name}")


def collect_source(source: UptakeSource, *, fetcher=None, progress=None, now=None,
                   today=None) -> CollectResult:
    """Fetch (or read) the source's file and import it if it changed."""
    now = now or timezone.now()
    try:
        if source.url:
            fetched = fetch_source(source, fetcher)
        elif source.upload:
            fetched = read_upload(source)
        else:
            raise CollectError(
                f"The source {source.name!r} has no URL or uploaded file to collect.")
    except CollectError as error:
        UptakeSource.objects.filter(pk=source.pk).update(last_checked_at=now,
                                                         last_error=str(error)[:2000])
        raise
    if fetched.not_modified:
        UptakeSource.objects.filter(pk=source.pk).update(last_checked_at=now, last_error="")
        return CollectResult(source=source, outcome="not_modified", url=fetched.url,
                             status=fetched.status)
    result = import_uptake_bytes(
        fetched.body, source=source, source_url=fetched.url, fetched_at=now,
        etag=fetched.etag, last_modified=fetched.last_modified, skip_if_unchanged=True,
        progress=progress, today=today,
    )
    if result.unchanged_file:
        UptakeSource.objects.filter(pk=source.pk).update(
            last_checked_at=now, last_error="", etag=fetched.etag[:255] or source.etag,
            last_modified=fetched.last_modified[:100] or source.last_modified,
        )
        return CollectResult(source=source, outcome="unchanged", url=fetched.url,
                             status=fetched.status, bytes=len(fetched.body), imported=result)
    return CollectResult(source=result.source, outcome="imported", url=fetched.url,
                         status=fetched.status, bytes=len(fetched.body), imported=result)

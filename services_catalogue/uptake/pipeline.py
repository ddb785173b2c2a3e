"""One uptake file, start to finish: checksum, parse, validate, store in one transaction."""

from __future__ import annotations

import datetime
import hashlib
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..models import UptakeFile, UptakeFormat, UptakeSchedule, UptakeSource
from .parse import parse
from .store import StoreResult, store
from .validate import validate

DEFAULT_MAX_BYTES = 200 * 1024 * 1024
# Test-only hook (honoured only when settings.UPTAKE_TEST_HOOKS is true): sleep this many
# seconds inside the import's transaction, after the rows are written and before commit,
# touching the marker file first, so a test can kill the worker mid-import.
TEST_SLEEP_ENV = "DFD_TEST_UPTAKE_SLEEP_IN_TRANSACTION"
TEST_MARKER_ENV = "DFD_TEST_UPTAKE_SLEEP_MARKER"


def max_bytes() -> int:
    return int(getattr(settings, "UPTAKE_MAX_BYTES", DEFAULT_MAX_BYTES))


@dataclass
class ImportResult:
    source: UptakeSource
    sha256: str
    rows: int = 0
    skipped: int = 0
    periods: list[datetime.date] = field(default_factory=list)
    stored: StoreResult = field(default_factory=StoreResult)
    file: UptakeFile | None = None  # the provenance record, when anything changed
    unchanged_file: bool = False  # the source's last file had this checksum: not even parsed
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return self.stored.changed

    def counts(self) -> dict:
        counts = {"rows": self.rows, **self.stored.as_dict()}
        if self.skipped:
            counts["skipped"] = self.skipped
        if self.periods:
            counts["periods"] = [f"{p:%Y-%m}" for p in self.periods]
        if self.unchanged_file:
            counts["unchanged_file"] = True
        return counts

    def summary(self) -> str:
        if self.unchanged_file:
            return "The file is the same as the last one imported for this source: nothing changed."
        s = self.stored
        periods = ", ".join(f"{p:%Y-%m}" for p in self.periods[:6])
        if len(self.periods) > 6:
            periods += f" and {len(self.periods) - 6} more"
        text = (f"{self.rows:,} figure{'s' if self.rows != 1 else ''} for {periods or 'no periods'}: "
                f"{s.inserted:,} added, {s.updated:,} updated, {s.deleted:,} removed, "
                f"{s.unchanged:,} unchanged.")
        if self.skipped:
            text += f" {self.skipped:,} rows skipped (other organisations, measures not kept, or no figure given)."
        return text


def _test_pause() -> None:
    if not getattr(settings, "UPTAKE_TEST_HOOKS", False):
        return
    seconds = float(os.environ.get(TEST_SLEEP_ENV) or 0)
    if seconds <= 0:
        return
    marker = os.environ.get(TEST_MARKER_ENV)
    if marker:
        Path(marker).write_text(str(os.getpid()))
    time.sleep(seconds)


def import_uptake_bytes(
    data: bytes,
    *,
    source: UptakeSource | None = None,
    source_name: str | None = None,
    source_url: str = "",
    fetched_at: datetime.datetime | None = None,
    etag: str = "",
    last_modified: str = "",
    skip_if_unchanged: bool = False,
    progress=None,
    today: datetime.date | None = None,
) -> ImportResult:
    """Import one file's bytes for a source (given, or found or created by name).

    All or nothing: any problem raises UptakeImportError before anything is written; the
    write (and the source's new checksum) is one transaction. A source created here is
    created in that same transaction, with the project's own CSV format."""
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    if source is None:
        if not source_name:
            raise ValueError("Give a source or a source name.")
        source = UptakeSource.objects.filter(name=source_name).first()
    fmt = source.format if source else UptakeFormat.DFD_CSV
    mapping = source.column_mapping if source else {}
    fetched_at = fetched_at or timezone.now()
    if skip_if_unchanged and source is not None and source.last_sha256:
        digest = hashlib.sha256(data)
        if source.last_sha256 == digest.hexdigest():
            return ImportResult(source=source, sha256=digest.hexdigest(), unchanged_file=True)
        hashing = None
    else:  # nothing to compare it with: hash it while it is parsed (hashlib frees the GIL)
        digest = hashlib.sha256()
        hashing = threading.Thread(target=digest.update, args=(data,), daemon=True)
        hashing.start()

    if progress:
        progress(0, None, "Reading")
    parsed = parse(data, fmt, mapping, max_bytes())
    seconds["parse"] = time.perf_counter() - started
    if progress:
        progress(0, len(parsed.frame), "Checking")
    mark = time.perf_counter()
    rows = validate(parsed, today=today)
    del parsed
    if hashing is not None:
        hashing.join()
    sha256 = digest.hexdigest()
    seconds["validate"] = time.perf_counter() - mark

    mark = time.perf_counter()
    with transaction.atomic():
        if source is None:
            source, _ = UptakeSource.objects.get_or_create(
                name=source_name,
                defaults={"format": UptakeFormat.DFD_CSV, "schedule": UptakeSchedule.MANUAL},
            )
        # One import per source at a time: a second waits here, then sees our result.
        source = UptakeSource.objects.select_for_update().get(pk=source.pk)
        file = UptakeFile.objects.create(
            source=source, sha256=sha256, url=source_url[:500], fetched_at=fetched_at,
            rows=len(rows), periods=[f"{p:%Y-%m}" for p in rows.periods],
        )
        stored = store(rows, source, file=file, fetched_at=fetched_at, progress=progress)
        if progress:
            progress(len(rows), len(rows), "Writing")
        if stored.changed:
            for name, value in stored.as_dict().items():
                setattr(file, name, value)
            file.save(update_fields=list(stored.as_dict()))
        else:
            file.delete()  # nothing came from it: it is no figure's provenance
            file = None
        _test_pause()
        source.last_sha256 = sha256
        source.last_checked_at = timezone.now()
        if etag or last_modified:
            source.etag, source.last_modified = etag[:255], last_modified[:100]
        if stored.changed:
            source.last_changed_at = source.last_checked_at
        source.last_error = ""
        source.save(update_fields=["last_sha256", "last_checked_at", "etag", "last_modified",
                                   "last_changed_at", "last_error"])
    seconds["store"] = time.perf_counter() - mark
    seconds["total"] = time.perf_counter() - started
    return ImportResult(
        source=source, sha256=sha256, rows=len(rows), skipped=rows.skipped,
        periods=list(rows.periods), stored=stored, file=file, seconds=seconds,
    )

"""python manage.py import_uptake FILE.csv --source NAME [--progress]

Columns `period,ods_code,service_slug,metric,value[,denominator]`, period as YYYY-MM (or,
for a source created with another format, that format). All or nothing: exit code 0 when
the file was imported (or was already), 1 with a message naming each bad row and column
when it is refused (nothing changes), 2 for a wrong command line. Re-importing the same
file changes nothing (it is recognised by its SHA-256 and not even read again; --force
reads and stores it anyway, which also changes nothing); a newer file for the same source replaces the periods it contains.
The source is created (format dfd_csv, no schedule) if it does not exist.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from services_catalogue.uptake import UptakeImportError, import_uptake_bytes, max_bytes


class ProgressBar:
    """A one-line progress bar on stderr (only drawn when asked or on a terminal)."""

    def __init__(self, stream, width: int = 30):
        self.stream = stream
        self.width = width
        self.last = 0.0
        self.drawn = False

    def __call__(self, done: int, total: int | None, step: str) -> None:
        now = time.monotonic()
        finished = bool(total) and done >= total
        if not finished and now - self.last < 0.2 and self.drawn:
            return
        self.last = now
        if total:
            filled = int(self.width * min(done, total) / total)
            bar = "#" * filled + "-" * (self.width - filled)
            text = f"\r{step:<9} [{bar}] {done:,}/{total:,} rows"
        else:
            text = f"\r{step:<9} [{'.' * self.width}]"
        self.stream.write(text.ljust(70))
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()


class Command(BaseCommand):
    help = (
        "Import uptake figures from a CSV file with columns period,ods_code,service_slug,"
        "metric,value and optionally denominator (period as YYYY-MM) for the named source. "
        "All or nothing; re-importing the same file changes nothing; a newer file for the "
        "same source replaces the periods it contains."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the CSV file (UTF-8)")
        parser.add_argument("--source", required=True,
                            help="the uptake source's name (created if missing)")
        parser.add_argument("--progress", action="store_true",
                            help="draw a progress bar on stderr even when it is not a terminal")
        parser.add_argument(
            "--force", action="store_true",
            help="check and store the file even if it is the source's last file (which "
                 "changes nothing unless figures were changed since by other means)",
        )

    def handle(self, *args, **options):
        path = Path(options["file"])
        name = options["source"].strip()
        if not name:
            raise CommandError("--source needs a name.")
        limit = max_bytes()
        try:
            size = path.stat().st_size
            if size > limit:
                raise CommandError(
                    f"{path}: refused; nothing was changed.\nThe file is {size:,} bytes; the "
                    f"limit is {limit:,} bytes (UPTAKE_MAX_BYTES). Split it by period."
                )
            with path.open("rb") as handle:
                data = handle.read(limit + 1)
        except OSError as error:
            raise CommandError(f"{path}: cannot read the file ({error.strerror}).") from None

        stream = getattr(self.stderr, "_out", sys.stderr)
        show_bar = options["progress"] or (hasattr(stream, "isatty") and stream.isatty())
        bar = ProgressBar(stream) if show_bar else None
        try:
            result = import_uptake_bytes(
                data, source_name=name, source_url=path.resolve().as_uri(), progress=bar,
                skip_if_unchanged=not options["force"],
            )
        except UptakeImportError as error:
            count = f"{error.total:,} problem{'s' if error.total != 1 else ''}"
            raise CommandError(f"{path}: refused ({count}); nothing was changed.\n{error}") from None
        finally:
            if bar:
                bar.close()
        self.stdout.write(f"{path.name} \u2192 source \u201c{result.source.name}\u201d: {result.summary()}")
        if options["verbosity"] >= 2:
            timings = ", ".join(f"{k} {v:.2f}s" for k, v in result.seconds.items())
            self.stdout.write(f"Timings: {timings}")
        self.stdout.write(self.style.SUCCESS(f"Imported (sha256 {result.sha256[:12]}\u2026)."))

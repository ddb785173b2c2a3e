"""python manage.py import_reference KIND FILE [options]

KIND is imd, practice_lsoa, practice_age, practice_deprivation, lsoa_breakdown (with
--dataset NAME) or lsoa_lookup.  Exit code 0 when the file was applied (or, with --dry-run,
would apply); 1 with a message naming each bad row and column when it is refused (nothing
changes); 2 for a wrong command line.  The logic is in inclusion.reference_import.
"""

import datetime
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from inclusion.reference_import import (
    KINDS,
    ReferenceImportError,
    import_reference,
    max_bytes,
)


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--extract-date {value!r} is not a date (YYYY-MM-DD).") from None


class Command(BaseCommand):
    help = (
        "Import community reference data: imd (IoD 2019 File 1 or File 7, or lsoa_code,"
        "imd_decile), practice_lsoa, practice_age (NHS England 'Patients Registered at a GP "
        "Practice' files, or the project's simple forms), practice_deprivation (Fingertips "
        "93553 export), lsoa_breakdown (--dataset NAME) and lsoa_lookup (ONS LSOA11CD,LSOA21CD). "
        "All or nothing; replaces the same kind's data for the same extract or version."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=KINDS)
        parser.add_argument("file", help="CSV (UTF-8, UTF-8 with BOM or Windows-1252), XLSX or ZIP")
        parser.add_argument("--dataset", help="lsoa_breakdown: the data set's name, e.g. ethnicity")
        parser.add_argument(
            "--lsoa-version", choices=["2011", "2021"],
            help="the LSOA geography of the file's codes (detected when not given)",
        )
        parser.add_argument("--extract-date", help="practice_lsoa/practice_age: YYYY-MM-DD")
        parser.add_argument("--year", help="practice_deprivation: the year or period, e.g. 2019")
        parser.add_argument("--source", help="practice_deprivation: the source's name")
        parser.add_argument("--sheet", help="XLSX: the sheet to read (ZIP: the member)")
        parser.add_argument("--dry-run", action="store_true", help="check the file, change nothing")
        parser.add_argument("--user", help="the username to record as having made the import")

    def handle(self, *args, **options):
        path = Path(options["file"])
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"No user is called {options['user']!r}.")
        extract_date = _date(options["extract_date"]) if options["extract_date"] else None
        try:
            size = path.stat().st_size
            if size > max_bytes():
                raise CommandError(
                    f"{path}: the file is {size:,} bytes; the limit is {max_bytes():,} bytes "
                    "(REFERENCE_IMPORT_MAX_BYTES). Nothing was changed."
                )
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"{path}: cannot read the file ({error.strerror}).") from None

        try:
            result = import_reference(
                options["kind"], data, file_name=path.name, user=user,
                dry_run=options["dry_run"], dataset=options["dataset"],
                lsoa_version=options["lsoa_version"], extract_date=extract_date,
                year=options["year"], source=options["source"], sheet=options["sheet"],
            )
        except ReferenceImportError as error:
            count = f"{error.total} problem{'s' if error.total != 1 else ''}"
            raise CommandError(f"{path}: refused ({count}); nothing was changed.\n{error}") from None

        prepared = result.prepared
        for warning in prepared.warnings:
            self.stderr.write(self.style.WARNING(f"Warning: {warning}"))
        self.stdout.write(
            f"{path.name} ({prepared.encoding}): {prepared.rows:,} rows read, "
            f"{len(prepared.records):,} records for {prepared.version}; "
            f"{prepared.skipped_rows:,} rows skipped."
        )
        for note in prepared.notes:
            self.stdout.write(f"Note: {note}")
        if result.dry_run:
            self.stdout.write("Dry run: nothing was changed.")
        else:
            self.stdout.write(self.style.SUCCESS(
                f"Imported (record {result.record.pk}, sha256 {result.sha256[:12]}\u2026); "
                f"replaced the previous {prepared.kind} data for {prepared.version}."
            ))

"""python manage.py import_practice_contacts FILE [--dry-run]

Exit code 0 when the file was applied (or, with --dry-run, would apply); 1 with a message
naming each bad row and column when the file is refused (nothing changes); 2 for a wrong
command line. The logic is in services_catalogue.contacts_import.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from services_catalogue.contacts_import import (
    FIELDS,
    FORM_ODS,
    ContactsImportError,
    ContactsPlan,
    import_contacts,
    max_bytes,
    too_big,
)

COUNTED = {"phone": "phone numbers", "address": "addresses", "postcode": "postcodes"}


def refused(path: Path, error: ContactsImportError) -> CommandError:
    count = f"{error.total} problem{'s' if error.total != 1 else ''}"
    return CommandError(f"{path}: refused ({count}); nothing was changed.\n{error}")


def plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'s' if count != 1 else ''}"


class Command(BaseCommand):
    help = (
        "Load GP practices' phone numbers, street addresses and postcodes from NHS ODS's GP "
        "practice file (epraccur.csv, no header) or from a CSV with the header "
        "ods_code,address,phone (postcode optional). Practices not in the catalogue are "
        "skipped (epraccur) or refused (own form); empty cells change nothing. All or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the CSV file (UTF-8, UTF-8 with BOM or Windows-1252)")
        parser.add_argument(
            "--dry-run", action="store_true", help="check the file and show what would change"
        )

    def handle(self, *args, **options):
        path = Path(options["file"])
        data = self.read(path)
        try:
            plan = import_contacts(data, dry_run=options["dry_run"])
        except ContactsImportError as error:
            raise refused(path, error) from None
        for warning in plan.warnings:
            self.stderr.write(self.style.WARNING(f"Warning: {warning}"))
        if options["verbosity"] >= 2:
            for change in plan.changes:
                for name, (before, after) in change.fields.items():
                    self.stdout.write(f"{change.organisation.ods_code} {name}: "
                                      f"{before!r} -> {after!r}")
        self.report(path, plan, dry_run=options["dry_run"])

    def read(self, path: Path) -> bytes:
        try:
            problem = too_big(path.stat().st_size)
            if problem:
                raise refused(path, ContactsImportError([problem]))
            with path.open("rb") as handle:
                return handle.read(max_bytes() + 1)
        except OSError as error:
            raise CommandError(f"{path}: cannot read the file ({error.strerror}).") from None

    def report(self, path: Path, plan: ContactsPlan, *, dry_run: bool) -> None:
        skipped = ""
        if plan.form == FORM_ODS or plan.skipped:
            skipped = f"; {plan.skipped:,} for practices not in the catalogue (skipped)"
        self.stdout.write(
            f"{path.name}: {plural(plan.rows, 'row')} ({plan.form}, {plan.encoding}){skipped}."
        )
        counts = ", ".join(f"{COUNTED[name]} {plan.count(name):,}" for name in FIELDS
                           if plan.count(name))
        verb = "Would change" if dry_run else "Changed"
        self.stdout.write(
            f"{verb}: {plural(len(plan.changes), 'practice')}"
            f"{f' ({counts})' if counts else ''}; {plan.unchanged:,} unchanged."
        )
        if dry_run:
            self.stdout.write("Dry run: nothing was changed.")

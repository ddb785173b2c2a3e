"""python manage.py import_offers FILE.csv [--dry-run] [--user USERNAME]

Exit code 0 when the file was applied (or, with --dry-run, would apply); 1 with a
message naming each bad row and column when the file is refused (nothing changes);
2 for a wrong command line. The logic is in services_catalogue.offer_import.
"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from services_catalogue.models import OfferImport
from services_catalogue.offer_import import (
    ADDED,
    CHANGED,
    REMOVED,
    OfferImportError,
    import_offers,
    max_bytes,
)


class Command(BaseCommand):
    help = (
        "Import offers from a CSV file with columns ods_code,service_slug,capability "
        "(capability optional: empty means everything the service does). The file is the "
        "complete list of offers of every organisation it mentions: their other offers are "
        "removed; organisations it does not mention are untouched. All or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the CSV file (UTF-8, UTF-8 with BOM or Windows-1252)")
        parser.add_argument(
            "--dry-run", action="store_true", help="check the file and show what would change"
        )
        parser.add_argument("--user", help="the username to record as having made the import")

    def handle(self, *args, **options):
        path = Path(options["file"])
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"No user is called {options['user']!r}.")
        try:
            size = path.stat().st_size
            if size > max_bytes():
                raise CommandError(
                    f"{path}: the file is {size:,} bytes; the limit is {max_bytes():,} bytes "
                    "(OFFER_IMPORT_MAX_BYTES). Nothing was changed."
                )
            with path.open("rb") as handle:
                data = handle.read(max_bytes() + 1)
        except OSError as error:
            raise CommandError(f"{path}: cannot read the file ({error.strerror}).") from None

        try:
            result = import_offers(
                data, file_name=path.name, user=user, via=OfferImport.Via.COMMAND,
                dry_run=options["dry_run"],
            )
        except OfferImportError as error:
            count = f"{error.total} problem{'s' if error.total != 1 else ''}"
            raise CommandError(
                f"{path}: refused ({count}); nothing was changed.\n{error}"
            ) from None

        plan = result.plan
        for warning in plan.warnings:
            self.stderr.write(self.style.WARNING(f"Warning: {warning}"))
        if options["verbosity"] >= 2:
            for change in plan.real_changes:
                detail = ""
                if change.kind in (ADDED, CHANGED):
                    detail = f" ({change.after_label})"
                self.stdout.write(
                    f"{change.kind:>9}: {change.organisation.ods_code} {change.service.slug}"
                    f"{detail}"
                )
        counts = plan.counts
        verb = "Would change" if options["dry_run"] else "Changed"
        self.stdout.write(
            f"{path.name}: {plan.rows} row{'s' if plan.rows != 1 else ''} ({plan.encoding}) "
            f"for {len(plan.organisations)} organisation"
            f"{'s' if len(plan.organisations) != 1 else ''}; organisations not in the file "
            "are untouched."
        )
        self.stdout.write(
            f"{verb}: {counts[ADDED]} added, {counts[REMOVED]} removed, "
            f"{counts[CHANGED]} changed, {counts['unchanged']} unchanged."
        )
        if options["dry_run"]:
            self.stdout.write("Dry run: nothing was changed.")
        else:
            self.stdout.write(self.style.SUCCESS(
                f"Imported (record {result.record.pk}, sha256 {result.sha256[:12]}\u2026)."
            ))

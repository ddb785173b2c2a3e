import os

from django.core.management.base import BaseCommand

from portal.demo.loader import ensure_admin, load_demo


class Command(BaseCommand):
    help = "Load the demo ICS (idempotent) and create the demo admin user."

    def add_arguments(self, parser):
        parser.add_argument("--admin-username", default=os.environ.get("DEMO_ADMIN_USERNAME", "admin"))
        parser.add_argument(
            "--admin-password", default=os.environ.get("DEMO_ADMIN_PASSWORD", "demo-admin-password")
        )
        parser.add_argument("--no-admin", action="store_true")

    def handle(self, *args, **options):
        counts = load_demo()
        self.stdout.write(
            f"Demo ICS loaded: {counts['practices']} GP practices, {counts['services']} services."
        )
        if not options["no_admin"]:
            created = ensure_admin(options["admin_username"], options["admin_password"])
            verb = "Created" if created else "Kept existing"
            self.stdout.write(
                f"{verb} admin user. Sign in at http://127.0.0.1:8000/admin/ "
                f"as {options['admin_username']} / {options['admin_password']}"
            )

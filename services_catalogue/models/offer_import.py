from django.conf import settings
from django.db import models
from django.utils import timezone


class OfferImport(models.Model):
    """A record of one applied bulk import of offers from a CSV file (read-only in the admin).

    Dry runs and refused files leave no record: only what changed the catalogue.
    """

    class Via(models.TextChoices):
        ADMIN = "admin", "Admin upload"
        COMMAND = "command", "Command line"

    imported_at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="offer_imports",
    )
    via = models.CharField(max_length=10, choices=Via.choices, default=Via.ADMIN)
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField("SHA-256", max_length=64, db_index=True)
    rows = models.PositiveIntegerField(default=0, help_text="Offer rows in the file.")
    organisations = models.PositiveIntegerField(
        default=0, help_text="Organisations the file mentions (the only ones it can change)."
    )
    added = models.PositiveIntegerField(default=0)
    removed = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(
        default=0, help_text="Offers kept, with a different list of capabilities."
    )
    unchanged = models.PositiveIntegerField(default=0)
    warnings = models.TextField(blank=True)

    class Meta:
        ordering = ["-imported_at", "-pk"]
        verbose_name = "offer import"

    def __str__(self) -> str:
        when = timezone.localtime(self.imported_at).strftime("%d %b %Y %H:%M")
        return f"{self.file_name} ({when})"

    @property
    def summary(self) -> str:
        return (
            f"{self.added} added, {self.removed} removed, {self.changed} changed, "
            f"{self.unchanged} unchanged"
        )

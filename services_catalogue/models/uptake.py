"""Uptake: monthly counts of how many people use each service, by organisation, by source.

An `UptakeSource` is where figures come from (a URL fetched on a schedule, an uploaded
uploaded file, or files given to `manage.py import_uptake`); an `UptakeObservation` is one
figure, with its provenance (source, URL, when it was fetched, the file's SHA-256).
"""

from __future__ import annotations

import datetime
import re

from django.core.exceptions import ValidationError
from django.core.validators import (
    FileExtensionValidator,
    MinValueValidator,
    RegexValidator,
    URLValidator,
)
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from wagtail.admin.panels import FieldPanel, MultiFieldPanel

from services_catalogue.private_files import PrivateFileInput, private_storage, private_upload_path

ENV_VAR_NAME_RE = re.compile(r"^[A-Z_][A-Z0-9_]{0,99}$")
HEADER_NAME_RE = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$")
METRIC_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class UptakeFormat(models.TextChoices):
    DFD_CSV = "dfd_csv", "Digital Front Door CSV (period,ods_code,service_slug,metric,value[,denominator])"
    NHS_APP_MI = "nhs_app_mi", "NHS App Management Information, ICB-level CSV (NHS England)"
    MAPPED_CSV = "mapped_csv", "Other CSV, with a column mapping"
    MAPPED_JSON = "mapped_json", "JSON records, with a column mapping"


# For the sources listing, where the choices' full labels squeeze the other columns.
FORMAT_SHORT_LABELS = {
    UptakeFormat.DFD_CSV: "Digital Front Door CSV",
    UptakeFormat.NHS_APP_MI: "NHS App MI (ICB)",
    UptakeFormat.MAPPED_CSV: "CSV, mapped",
    UptakeFormat.MAPPED_JSON: "JSON, mapped",
}


class UptakeSchedule(models.TextChoices):
    MANUAL = "manual", "Only when asked (no schedule)"
    HOURLY = "hourly", "Every hour"
    DAILY = "daily", "Every day"
    WEEKLY = "weekly", "Every week"
    MONTHLY = "monthly", "Every 30 days"


SCHEDULE_INTERVALS = {
    UptakeSchedule.HOURLY: datetime.timedelta(hours=1),
    UptakeSchedule.DAILY: datetime.timedelta(days=1),
    UptakeSchedule.WEEKLY: datetime.timedelta(days=7),
    UptakeSchedule.MONTHLY: datetime.timedelta(days=30),
}

MAPPING_FIELDS = ("period", "ods_code", "service", "metric", "value", "denominator")
MAPPING_HELP = (
    "For the mapped formats only. A JSON object: \"columns\" maps each of period, ods_code, "
    "service, metric, value and (optional) denominator to the column (CSV) or key (JSON) "
    "that holds it; \"constants\" gives a fixed value instead, e.g. {\"service\": "
    "\"nhs-app\"}. Optional: \"metric_names\" maps the file's metric names to our slugs, "
    "\"records\" names the JSON key that holds the list of records, \"ignore_unknown_ods\": "
    "true skips rows for organisations not in the catalogue (a national file)."
)

http_url_validator = URLValidator(schemes=["http", "https"])


def validate_mapping(value) -> None:
    """Check a column mapping's shape (the import checks it against each file)."""
    if value in (None, {}, ""):
        return
    if not isinstance(value, dict):
        raise ValidationError("The mapping must be a JSON object.")
    unknown = set(value) - {"columns", "constants", "metric_names", "records",
                            "ignore_unknown_ods", "period_format"}
    if unknown:
        raise ValidationError(f"Unknown mapping keys: {', '.join(sorted(unknown))}.")
    columns = value.get("columns", {}) or {}
    constants = value.get("constants", {}) or {}
    for name, part in (("columns", columns), ("constants", constants),
                       ("metric_names", value.get("metric_names", {}) or {})):
        if not isinstance(part, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in part.items()
        ):
            raise ValidationError(f"\"{name}\" must map names to text.")
    bad = (set(columns) | set(constants)) - set(MAPPING_FIELDS)
    if bad:
        raise ValidationError(
            f"Only {', '.join(MAPPING_FIELDS)} can be mapped, not {', '.join(sorted(bad))}."
        )
    for field in MAPPING_FIELDS:
        if field == "denominator":
            continue
        if field not in columns and field not in constants:
            raise ValidationError(f"Say which column holds \"{field}\" (or give a constant).")
        if field in columns and field in constants:
            raise ValidationError(f"\"{field}\" has both a column and a constant.")


class UptakeSource(models.Model):
    """Where uptake figures come from, and how and when to collect them.

    Secrets are never stored: a source that needs an API key names the request header and
    the *environment variable* that holds its value on the workers.
    """

    name = models.CharField(max_length=100, unique=True)
    format = models.CharField(
        max_length=20, choices=UptakeFormat.choices, default=UptakeFormat.DFD_CSV
    )
    url = models.URLField(
        "URL", max_length=500, blank=True, validators=[http_url_validator],
        help_text="Where to fetch the file (http or https). Leave empty to use an uploaded file.",
    )
    upload = models.FileField(
        "uploaded file", blank=True, max_length=255, storage=private_storage,
        upload_to=private_upload_path,
        validators=[FileExtensionValidator(["csv", "json", "txt"])],
        help_text="Or a file to read each time the source is collected (CSV or JSON). It is "
        "kept private: never published on the site, only read by the import.",
    )
    column_mapping = models.JSONField(
        default=dict, blank=True, validators=[validate_mapping], help_text=MAPPING_HELP
    )
    schedule = models.CharField(
        max_length=10, choices=UptakeSchedule.choices, default=UptakeSchedule.MANUAL
    )
    auth_header_name = models.CharField(
        "Authentication header", max_length=100, blank=True,
        validators=[RegexValidator(HEADER_NAME_RE, "Not a valid HTTP header name.")],
        help_text="E.g. Authorization or X-API-Key. Its value is read from the variable below.",
    )
    auth_env_var = models.CharField(
        "Environment variable with the header's value", max_length=100, blank=True,
        validators=[RegexValidator(ENV_VAR_NAME_RE, "Capital letters, digits and underscores.")],
        help_text="The NAME of an environment variable set on the workers (never the secret).",
    )
    active = models.BooleanField(default=True)

    # Conditional requests and change detection (maintained by the collector).
    etag = models.CharField("ETag", max_length=255, blank=True, editable=False)
    last_modified = models.CharField(max_length=100, blank=True, editable=False)
    last_sha256 = models.CharField("Last file SHA-256", max_length=64, blank=True, editable=False)
    last_dispatched_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_checked_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    panels = [
        MultiFieldPanel(
            [FieldPanel("name"), FieldPanel("format"), FieldPanel("active")], heading="Source"
        ),
        MultiFieldPanel(
            [FieldPanel("url"), FieldPanel("upload", widget=PrivateFileInput),
             FieldPanel("schedule")],
            heading="Where and when",
            help_text=(
                "Give a URL to fetch or upload a file to collect this source from here "
                "(on its schedule, or with Collect now). A source with neither only records "
                "the files given to manage.py import_uptake FILE --source NAME: it cannot "
                "be collected or scheduled."
            ),
        ),
        MultiFieldPanel(
            [FieldPanel("auth_header_name"), FieldPanel("auth_env_var")],
            heading="Authentication", classname="collapsed",
        ),
        FieldPanel("column_mapping"),
    ]

    class Meta:
        ordering = ["name"]
        verbose_name = "uptake source"

    def __str__(self) -> str:
        return self.name

    def clean(self):
        super().clean()
        errors = {}
        if bool(self.auth_header_name) != bool(self.auth_env_var):
            errors["auth_env_var"] = "Give both the header name and the variable, or neither."
        if self.format in (UptakeFormat.MAPPED_CSV, UptakeFormat.MAPPED_JSON) and not (
            self.column_mapping or {}
        ).get("columns"):
            errors["column_mapping"] = "A mapped format needs a column mapping."
        if self.schedule != UptakeSchedule.MANUAL and not (self.url or self.upload):
            errors["schedule"] = "A scheduled source needs a URL or an uploaded file to read."
        if self.url and self.upload:
            errors["upload"] = "Use a URL or an uploaded file, not both."
        if errors:
            raise ValidationError(errors)

    @property
    def format_label(self) -> str:
        return FORMAT_SHORT_LABELS.get(self.format, self.get_format_display())

    @property
    def interval(self) -> datetime.timedelta | None:
        return SCHEDULE_INTERVALS.get(self.schedule)

    def is_due(self, now: datetime.datetime | None = None) -> bool:
        interval = self.interval
        if not self.active or interval is None or not (self.url or self.upload):
            return False
        now = now or timezone.now()
        return self.last_dispatched_at is None or self.last_dispatched_at <= now - interval


class UptakeFile(models.Model):
    """One file of figures as it was imported for a source: the observations' provenance.

    Created by each import that changed something; its observations point to it (a figure
    that a newer file restates unchanged keeps the file it first came from)."""

    source = models.ForeignKey(UptakeSource, on_delete=models.CASCADE, related_name="files")
    sha256 = models.CharField("SHA-256", max_length=64, db_index=True)
    url = models.CharField(
        "Fetched from", max_length=500, blank=True,
        help_text="The URL (after redirects), the uploaded file, or the file given to import_uptake.",
    )
    fetched_at = models.DateTimeField(default=timezone.now)
    rows = models.PositiveIntegerField(default=0, help_text="Figures in the file (ours).")
    inserted = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    deleted = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    periods = models.JSONField(default=list, blank=True, help_text="The months it replaced.")

    class Meta:
        ordering = ["-fetched_at", "-pk"]
        verbose_name = "uptake file"

    def __str__(self) -> str:
        when = timezone.localtime(self.fetched_at).strftime("%d %b %Y %H:%M")
        return f"{self.source} {self.sha256[:12]} ({when})"


class ByteOrderCharField(models.CharField):
    """Text compared byte by byte on PostgreSQL (COLLATE "C").

    Metric slugs need no language rules, and a C collation makes their btree comparisons
    (the primary key includes one) several times cheaper than the database's locale."""

    def db_parameters(self, connection):
        params = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            params["collation"] = "C"
        return params


class UptakeObservation(models.Model):
    """One figure: `value` of `metric` for `service` at `organisation` in the month `period`,
    from `source`; unique on (service, organisation, period, metric, source).

    Built for bulk loads (a million figures a file): the primary key is that unique key,
    ordered (source, period, service, organisation, metric) so that replacing a source's
    months is an index range, with the text column last so that almost every comparison
    in the index is decided by the integers before it (a bulk import costs PostgreSQL a
    quarter less than with the metric third), and there is no surrogate id. The foreign
    keys are enforced by Django (on_delete) and by the import, which locks the organisations
    and services it writes figures for (FOR KEY SHARE) instead of a database trigger
    firing for each row. Provenance: `file` (URL, SHA-256, when fetched) and `fetched_at`.
    """

    pk = models.CompositePrimaryKey("source", "period", "service", "organisation", "metric")
    source = models.ForeignKey(
        UptakeSource, on_delete=models.CASCADE, related_name="observations",
        db_constraint=False, db_index=False,  # the primary key leads with it
    )
    period = models.DateField(help_text="The month, as its first day.")
    metric = ByteOrderCharField(
        max_length=64, help_text="E.g. registrations, logins, active_users."
    )
    service = models.ForeignKey(
        "services_catalogue.DigitalService", on_delete=models.CASCADE,
        related_name="uptake_observations", db_constraint=False, db_index=False,
    )
    organisation = models.ForeignKey(
        "services_catalogue.Organisation", on_delete=models.CASCADE,
        related_name="uptake_observations", db_constraint=False, db_index=False,
    )
    value = models.BigIntegerField(validators=[MinValueValidator(0)])
    denominator = models.BigIntegerField(
        null=True, blank=True, validators=[MinValueValidator(0)],
        help_text="What the value is out of (e.g. registered patients), where the source says.",
    )
    fetched_at = models.DateTimeField()
    # RESTRICT, not PROTECT: a file cannot be deleted while figures name it, but deleting
    # a source deletes its figures and its files together.
    file = models.ForeignKey(
        UptakeFile, null=True, blank=True, on_delete=models.RESTRICT, related_name="+",
        db_constraint=False, db_index=False,
        help_text="The file this figure came from (its URL and SHA-256).",
    )

    class Meta:
        ordering = ["-period", "service", "organisation", "metric"]
        verbose_name = "uptake observation"
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="uptake_value_not_negative"),
            models.CheckConstraint(
                condition=Q(denominator__isnull=True)
                | (Q(denominator__gte=0) & Q(value__lte=F("denominator"))),
                name="uptake_value_within_denominator",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metric} {self.period:%Y-%m}: {self.value}"

    @property
    def source_url(self) -> str:
        return self.file.url if self.file_id else ""

    @property
    def file_sha256(self) -> str:
        return self.file.sha256 if self.file_id else ""

"""Community reference data: LSOAs and their deprivation, who is registered where, by age,
and any other LSOA breakdown (ethnicity, main language, rurality ...).

Only aggregates are stored.  Everything here is loaded by ``manage.py import_reference``
(``inclusion.reference_import``), which replaces one kind's data for one extract, version or
data set at a time, in one transaction, and records each applied file in ``ReferenceImport``.

Geography: the English Indices of Deprivation 2019 are on LSOA **2011** boundaries; NHS
England's registration files and Census 2021 use LSOA **2021** codes in recent releases.  Each
row that holds an LSOA code records which geography it is on (``geography_version``) so the
two are never silently mixed; ``LSOALookup`` (ONS LSOA11 -> LSOA21) is what joins them.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone


class GeographyVersion(models.TextChoices):
    LSOA_2011 = "2011", "LSOA 2011"
    LSOA_2021 = "2021", "LSOA 2021"


class LSOA(models.Model):
    """A lower layer super output area with its Index of Multiple Deprivation.

    The table holds the LSOAs of the one IMD edition last imported (IMD 2019: the 32,844
    English LSOAs of 2011); importing an IMD file replaces it whole.
    """

    code = models.CharField("LSOA code", max_length=9, unique=True)
    name = models.CharField(max_length=100, blank=True)
    geography_version = models.CharField(
        max_length=4, choices=GeographyVersion.choices, default=GeographyVersion.LSOA_2011
    )
    imd_edition = models.CharField(
        "IMD edition", max_length=4, default="2019", help_text="e.g. 2019 (English IoD 2019)."
    )
    imd_decile = models.PositiveSmallIntegerField(
        "IMD decile",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text="1 = the most deprived 10% of LSOAs in England, 10 = the least deprived.",
    )
    imd_rank = models.PositiveIntegerField(
        "IMD rank", null=True, blank=True, help_text="1 = the most deprived LSOA in England."
    )
    imd_score = models.FloatField("IMD score", null=True, blank=True)
    local_authority_code = models.CharField(max_length=9, blank=True)
    local_authority_name = models.CharField(max_length=100, blank=True)
    rural_urban = models.CharField("rural/urban class", max_length=60, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "LSOA"
        verbose_name_plural = "LSOAs"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(imd_decile__isnull=True)
                | models.Q(imd_decile__gte=1, imd_decile__lte=10),
                name="inclusion_lsoa_imd_decile_1_10",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}".strip()


class LSOALookup(models.Model):
    """One row of the ONS LSOA (2011) to LSOA (2021) lookup.

    ``change`` is the ONS change indicator: U unchanged, S split (one 2011 LSOA became
    several 2021 ones), M merged (several became one), X irregular (redrawn).
    """

    class Change(models.TextChoices):
        UNCHANGED = "U", "Unchanged"
        SPLIT = "S", "Split"
        MERGED = "M", "Merged"
        IRREGULAR = "X", "Irregular"

    lsoa11_code = models.CharField("LSOA 2011 code", max_length=9, db_index=True)
    lsoa21_code = models.CharField("LSOA 2021 code", max_length=9, db_index=True)
    change = models.CharField(max_length=1, choices=Change.choices, blank=True)

    class Meta:
        ordering = ["lsoa11_code", "lsoa21_code"]
        verbose_name = "LSOA 2011 to 2021 lookup row"
        constraints = [
            models.UniqueConstraint(
                fields=["lsoa11_code", "lsoa21_code"], name="inclusion_lsoalookup_unique_pair"
            )
        ]

    def __str__(self) -> str:
        return f"{self.lsoa11_code} -> {self.lsoa21_code}"


class PracticeLSOAPopulation(models.Model):
    """Patients registered at a practice who live in one LSOA, at one extract date."""

    practice = models.ForeignKey(
        "services_catalogue.Organisation", on_delete=models.CASCADE, related_name="lsoa_populations"
    )
    lsoa_code = models.CharField("LSOA code", max_length=12)
    lsoa = models.ForeignKey(
        LSOA,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="practice_populations",
        help_text="The LSOA of the imported IMD with this code, when there is one.",
    )
    geography_version = models.CharField(
        max_length=4, choices=GeographyVersion.choices, blank=True,
        help_text="The LSOA geography of the file's codes (detected on import).",
    )
    patients = models.PositiveIntegerField()
    extract_date = models.DateField(db_index=True)

    class Meta:
        ordering = ["extract_date", "practice", "lsoa_code"]
        verbose_name = "practice population by LSOA"
        verbose_name_plural = "practice populations by LSOA"
        constraints = [
            models.UniqueConstraint(
                fields=["extract_date", "practice", "lsoa_code"],
                name="inclusion_practicelsoa_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.practice_id} {self.lsoa_code} {self.patients} ({self.extract_date})"


class PracticeAgePopulation(models.Model):
    """Patients registered at a practice in one age band and sex, at one extract date.

    ``age_from``/``age_to`` are the band's first and last year of age (``age_to`` null for an
    open band such as 95+); a single year of age has ``age_from == age_to``.
    """

    class Sex(models.TextChoices):
        ALL = "all", "All"
        FEMALE = "female", "Female"
        MALE = "male", "Male"
        UNKNOWN = "unknown", "Unknown or indeterminate"

    practice = models.ForeignKey(
        "services_catalogue.Organisation", on_delete=models.CASCADE, related_name="age_populations"
    )
    age_band = models.CharField(max_length=12)
    age_from = models.PositiveSmallIntegerField()
    age_to = models.PositiveSmallIntegerField(null=True, blank=True)
    sex = models.CharField(max_length=7, choices=Sex.choices, default=Sex.ALL)
    patients = models.PositiveIntegerField()
    extract_date = models.DateField(db_index=True)

    class Meta:
        ordering = ["extract_date", "practice", "age_from", "sex"]
        verbose_name = "practice population by age"
        verbose_name_plural = "practice populations by age"
        constraints = [
            models.UniqueConstraint(
                fields=["extract_date", "practice", "age_band", "sex"],
                name="inclusion_practiceage_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.practice_id} {self.age_band} {self.sex} {self.patients}"


class PracticeDeprivation(models.Model):
    """A practice's population-weighted IMD score (e.g. OHID Fingertips indicator 93553)."""

    practice = models.ForeignKey(
        "services_catalogue.Organisation", on_delete=models.CASCADE, related_name="deprivation"
    )
    imd_score = models.FloatField("IMD score")
    year = models.CharField(max_length=9, help_text="The IMD edition or time period, e.g. 2019.")
    source = models.CharField(max_length=100, help_text="e.g. Fingertips 93553.")

    class Meta:
        ordering = ["year", "practice"]
        verbose_name = "practice deprivation score"
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "year", "source"], name="inclusion_practicedeprivation_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.practice_id} {self.imd_score:.2f} ({self.source}, {self.year})"


class LSOABreakdown(models.Model):
    """A count of residents of an LSOA in one category of an uploaded data set
    (e.g. Census 2021 TS021 ethnic group, TS029 main language, a rural/urban class)."""

    dataset = models.CharField(max_length=100, db_index=True)
    lsoa_code = models.CharField("LSOA code", max_length=12)
    geography_version = models.CharField(
        max_length=4, choices=GeographyVersion.choices, blank=True
    )
    category = models.CharField(max_length=200)
    count = models.FloatField()

    class Meta:
        ordering = ["dataset", "lsoa_code", "category"]
        verbose_name = "LSOA breakdown count"
        constraints = [
            models.UniqueConstraint(
                fields=["dataset", "lsoa_code", "category"], name="inclusion_lsoabreakdown_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.dataset}: {self.lsoa_code} {self.category} {self.count:g}"


class ReferenceImport(models.Model):
    """A record of one applied reference-data file (dry runs and refused files leave none)."""

    class Kind(models.TextChoices):
        IMD = "imd", "Index of Multiple Deprivation by LSOA"
        PRACTICE_LSOA = "practice_lsoa", "Patients registered by practice and LSOA"
        PRACTICE_AGE = "practice_age", "Patients registered by practice, age and sex"
        PRACTICE_DEPRIVATION = "practice_deprivation", "Deprivation score by practice"
        LSOA_BREAKDOWN = "lsoa_breakdown", "LSOA breakdown"
        LSOA_LOOKUP = "lsoa_lookup", "LSOA 2011 to 2021 lookup"

    kind = models.CharField(max_length=24, choices=Kind.choices, db_index=True)
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField("SHA-256", max_length=64, db_index=True)
    rows = models.PositiveIntegerField(default=0, help_text="Data rows read from the file.")
    imported = models.PositiveIntegerField(default=0, help_text="Records written.")
    skipped_rows = models.PositiveIntegerField(
        default=0, help_text="Rows left out on purpose (other practices, totals, other areas)."
    )
    skipped_practices = models.PositiveIntegerField(
        default=0, help_text="Practice codes in the file that are not in the catalogue."
    )
    unknown_lsoas = models.PositiveIntegerField(
        default=0, help_text="LSOA codes not in the imported IMD."
    )
    version = models.CharField(
        max_length=100, blank=True,
        help_text="What was replaced: the extract date, geography version, year or data set.",
    )
    geography_version = models.CharField(max_length=4, blank=True)
    notes = models.TextField(blank=True)
    imported_at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reference_imports",
    )

    class Meta:
        ordering = ["-imported_at", "-pk"]
        verbose_name = "reference data import"

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.file_name}"

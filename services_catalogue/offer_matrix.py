"""The offer matrix: organisations against the consistent offer, with coverage and gaps.

Each organisation's row comes from `practices.offers_for_organisations`, the bulk form
of `practice_offer` (same `offers_in_force` filter, same `delivered_capability_ids`,
same `offer_rows`), so the matrix always agrees with the public practice pages. The
whole matrix costs a constant number of queries, however many organisations it has.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from django import forms
from django.db.models import Q
from openpyxl import Workbook
from openpyxl.styles import Font

from .models import ConsistentOfferItem, Organisation, OrganisationKind
from .practices import OfferRow, consistent_offer_items, offers_for_organisations

# A cell starting with one of these is a formula to a spreadsheet (OWASP, CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
GAP_COLUMNS = ["Organisation", "ODS code", "PCN", "Place", "Capability", "National default"]


KIND_NOTE = "The consistent offer applies to GP practices, so the matrix lists GP practices only."
INVALID_CHOICE = {"invalid_choice": "“%(value)s” is not one of the choices."}


class MatrixFilterForm(forms.Form):
    """Which GP practices to show, by place and PCN.

    The consistent offer is what GP practices offer their patients, so the matrix lists
    nothing else. `kind` is not offered as a filter; in a URL (older links had it), another
    kind of organisation, or "" for all kinds, is ignored and noted (`kind_ignored`), and a
    value that is no kind at all is an invalid filter, like an unknown place or PCN.
    """

    kind = forms.ChoiceField(
        label="Kind of organisation",
        choices=[("", "All kinds")] + list(OrganisationKind.choices),
        required=False,
        error_messages=INVALID_CHOICE,
    )
    place = forms.ChoiceField(label="Place", required=False, error_messages=INVALID_CHOICE)
    pcn = forms.ChoiceField(
        label="Primary care network", required=False, error_messages=INVALID_CHOICE
    )

    def __init__(self, data=None, **kwargs):
        self.kind_ignored = False
        if data is not None:
            data = data.copy()
            if "kind" not in data:
                data["kind"] = OrganisationKind.GP_PRACTICE
        super().__init__(data, **kwargs)
        places = (
            Organisation.objects.exclude(place="").order_by("place")
            .values_list("place", flat=True).distinct()
        )
        self.fields["place"].choices = [("", "All places")] + [(p, p) for p in places]
        pcns = Organisation.objects.filter(kind=OrganisationKind.PCN).order_by("name")
        self.fields["pcn"].choices = [("", "All PCNs")] + [
            (pcn.ods_code, pcn.name) for pcn in pcns.only("ods_code", "name")
        ]

    def clean_kind(self):
        if self.cleaned_data["kind"] != OrganisationKind.GP_PRACTICE:
            self.kind_ignored = True
        return OrganisationKind.GP_PRACTICE

    def filters(self) -> dict:
        """The filters to apply: GP practices, by place and PCN if valid (any invalid
        filter gives the default view, every GP practice)."""
        if not self.is_bound or not self.is_valid():
            return {"kind": OrganisationKind.GP_PRACTICE}
        filters = {key: value for key, value in self.cleaned_data.items() if value}
        return {**filters, "kind": OrganisationKind.GP_PRACTICE}

    @property
    def problems(self) -> list[str]:
        """Each invalid filter, once: its label and what is wrong with it."""
        return [f"{self.fields[name].label}: {' '.join(errors)}"
                for name, errors in self.errors.items()]


def organisations_for(filters: dict):
    """Active organisations matching the filters, with their parent (for the PCN)."""
    queryset = Organisation.objects.filter(active=True).select_related("parent")
    if filters.get("kind"):
        queryset = queryset.filter(kind=filters["kind"])
    if filters.get("place"):
        queryset = queryset.filter(place=filters["place"])
    if filters.get("ods_codes") is not None:
        queryset = queryset.filter(ods_code__in=filters["ods_codes"])
    if filters.get("pcn"):
        queryset = queryset.filter(
            Q(parent__ods_code=filters["pcn"], parent__kind=OrganisationKind.PCN)
            | Q(ods_code=filters["pcn"], kind=OrganisationKind.PCN)
        )
    return queryset.order_by("name", "ods_code")


def percent(part: int, whole: int) -> int | None:
    return round(100 * part / whole) if whole else None


def share(part: int, whole: int) -> float | None:
    """The unrounded percentage: rate against thresholds on this, so that 89.7% is never
    taken for 90%."""
    return 100 * part / whole if whole else None


def share_text(value: float | None) -> str:
    """A share as the matrix page shows it, everywhere on the page: to one decimal, never
    rounded up onto a threshold of the evidence page's rules that it is rated below
    (89.7 -> "89.7%", 89.96 -> "89.96%"), by the evidence page's own helper; "–" for none."""
    # inclusion.evidence imports this module, so it is imported here, when first used.
    from inclusion.evidence import THRESHOLDS, percent_text

    return "–" if value is None else percent_text(value, THRESHOLDS, decimals=1)


@dataclass
class MatrixRow:
    organisation: Organisation
    cells: list[OfferRow]

    @property
    def offered(self) -> int:
        return sum(1 for cell in self.cells if cell.offered)

    @property
    def coverage(self) -> int | None:
        return percent(self.offered, len(self.cells))

    @property
    def coverage_share(self) -> float | None:
        return share(self.offered, len(self.cells))

    @property
    def coverage_text(self) -> str:
        return share_text(self.coverage_share)


@dataclass
class CapabilityCoverage:
    item: ConsistentOfferItem
    offered: int
    total: int

    @property
    def coverage(self) -> int | None:
        return percent(self.offered, self.total)

    @property
    def coverage_share(self) -> float | None:
        return share(self.offered, self.total)

    @property
    def coverage_text(self) -> str:
        return share_text(self.coverage_share)


@dataclass
class Gap:
    organisation: Organisation
    row: OfferRow

    def as_list(self) -> list[str]:
        org = self.organisation
        pcn = org.pcn
        default = self.row.national_default
        return [
            org.name, org.ods_code, pcn.name if pcn else "", org.place,
            self.row.capability.name, default.title if default else "",
        ]


@dataclass
class OfferMatrix:
    items: list[ConsistentOfferItem]
    rows: list[MatrixRow]

    @property
    def capability_coverage(self) -> list[CapabilityCoverage]:
        return [
            CapabilityCoverage(
                item=item,
                offered=sum(1 for row in self.rows if row.cells[index].offered),
                total=len(self.rows),
            )
            for index, item in enumerate(self.items)
        ]

    @property
    def cells(self) -> int:
        return len(self.rows) * len(self.items)

    @property
    def offered(self) -> int:
        return sum(row.offered for row in self.rows)

    @property
    def coverage(self) -> int | None:
        return percent(self.offered, self.cells)

    @property
    def coverage_share(self) -> float | None:
        return share(self.offered, self.cells)

    @property
    def coverage_text(self) -> str:
        return share_text(self.coverage_share)

    @property
    def gaps(self) -> list[Gap]:
        return [
            Gap(organisation=row.organisation, row=cell)
            for row in self.rows for cell in row.cells if not cell.offered
        ]


def offer_matrix(filters: dict | None = None) -> OfferMatrix:
    """The matrix for the organisations matching `filters` (GP practices if none)."""
    filters = {"kind": OrganisationKind.GP_PRACTICE} if filters is None else filters
    organisations = list(organisations_for(filters))
    items = consistent_offer_items()
    by_organisation = offers_for_organisations(organisations)
    rows = [MatrixRow(organisation=org, cells=by_organisation[org.pk]) for org in organisations]
    return OfferMatrix(items=items, rows=rows)


# ---------------------------------------------------------------------------------------
# Exports


def neutralise(value) -> str:
    """Text a spreadsheet will not run as a formula: a leading ' where it could be one."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def gaps_csv(matrix: OfferMatrix) -> str:
    """The gap list as CSV text, formula-like cells neutralised (with a BOM for Excel)."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(GAP_COLUMNS)
    for gap in matrix.gaps:
        writer.writerow([neutralise(value) for value in gap.as_list()])
    return buffer.getvalue()


def gaps_xlsx(matrix: OfferMatrix) -> bytes:
    """The gap list as an Excel workbook; every cell is text, never a formula."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Gaps"
    rows = [GAP_COLUMNS] + [gap.as_list() for gap in matrix.gaps]
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values, start=1):
            cell = sheet.cell(row=r, column=c)
            cell.value = value
            cell.data_type = "s"  # openpyxl would otherwise write "=..." as a formula
            if str(value).startswith(FORMULA_START):
                cell.quotePrefix = True
            if r == 1:
                cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for column, width in zip("ABCDEF", (40, 12, 40, 24, 36, 24), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

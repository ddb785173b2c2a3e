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


class MatrixFilterForm(forms.Form):
    """Which organisations to show. GP practices unless told otherwise."""

    kind = forms.ChoiceField(
        label="Kind of organisation",
        choices=[("", "All kinds")] + list(OrganisationKind.choices),
        required=False,
    )
    place = forms.ChoiceField(label="Place", required=False)
    pcn = forms.ChoiceField(label="Primary care network", required=False)

    def __init__(self, data=None, **kwargs):
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

    def filters(self) -> dict:
        """The valid filters ({} for any that are invalid: the default view)."""
        if not self.is_bound:
            return {"kind": OrganisationKind.GP_PRACTICE}
        if not self.is_valid():
            return {"kind": OrganisationKind.GP_PRACTICE}
        return {key: value for key, value in self.cleaned_data.items() if value}


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
    """The unrounded percentage (``percent`` rounds it, for display): rate against
    thresholds on this, so that 89.7% is never taken for 90%."""
    return 100 * part / whole if whole else None


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

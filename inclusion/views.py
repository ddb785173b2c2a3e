"""The inclusion dashboard (Wagtail admin, ``/admin/inclusion/``) and its exports.

Who: superusers, and members of the "Inclusion leads" group with admin access.  They see
exact figures on screen (DESIGN: staff screens may show exact figures to users with the
inclusion role).  Every export (CSV, XLSX) applies disclosure control
(``inclusion.analysis.disclose``: counts 1-7 as ``*``, others rounded to the nearest 5,
rates withheld where the numerator is suppressed): DESIGN's "anything public or exported".
"""

from __future__ import annotations

import csv
import datetime
import io
import math
from urllib.parse import urlencode

from django import forms
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.views.generic import TemplateView
from openpyxl import Workbook
from openpyxl.styles import Font
from wagtail.admin.auth import permission_denied
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from portal.models import SiteSettings
from services_catalogue.offer_matrix import FORMULA_START, neutralise
from tasks.models import TaskRun

from . import analysis, charts, dashboard, results

GROUP = "Inclusion leads"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DEMO_WARNING = ("Demonstration data: these figures are synthetic (made up by a model), "
                "not real uptake. Do not use them for decisions.")


def is_inclusion_lead(user) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return user.has_perm("wagtailadmin.access_admin") and user.groups.filter(name=GROUP).exists()


def demo_warning_needed(source: str = "") -> bool:
    return "synthetic" in (source or "").lower() or bool(SiteSettings.load().demonstration_data)


class DashboardForm(forms.Form):
    service = forms.ChoiceField(label="Service", required=False)
    metric = forms.ChoiceField(label="Measure", required=False)
    period = forms.ChoiceField(label="Month", required=False)
    dimension = forms.ChoiceField(label="Compare by", required=False)

    def __init__(self, *args, options: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.measures = options.get("measures") or {}
        self.note = ""
        self.fields["service"].choices = options["services"]
        self.fields["metric"].choices = [(m, m.replace("_", " ")) for m in options["metrics"]]
        self.fields["period"].choices = [(p.strftime("%Y-%m"), dashboard.month_label(p))
                                         for p in options["periods"]]
        self.fields["dimension"].choices = options.get("dimensions") or dashboard.DIMENSIONS

    def defaults(self) -> dict:
        return {name: (field.choices[0][0] if field.choices else "")
                for name, field in self.fields.items()}

    def chosen(self) -> dict:
        """The valid values given, defaults for the rest (bad input never stops the page)."""
        values = self.defaults()
        if self.is_bound:
            self.is_valid()
            values.update({k: v for k, v in self.cleaned_data.items() if v})
        if values["service"] == "nhs-app" and not self.is_bound:
            values["metric"] = "registrations"
        own = self.measures.get(values["service"])
        if own and values["metric"] not in own:
            # every service's measures share one list: a measure of another service would
            # only show an empty dashboard, so show one this service has and say so
            title = dict(self.fields["service"].choices).get(values["service"], "")
            self.note = (f"{title} has no figures for {values['metric'].replace('_', ' ')}: "
                         f"showing {own[0].replace('_', ' ')}. Its measures: "
                         f"{', '.join(m.replace('_', ' ') for m in own)}.")
            values["metric"] = own[0]
            if self.is_bound:  # the form shows the measure the page shows
                self.data = self.data.copy()
                self.data["metric"] = own[0]
            else:
                self.initial["metric"] = own[0]
        if own:
            # the list offers only this service's measures (validation above used them all);
            # dashboard.js narrows it again when another service is picked
            self.fields["metric"].choices = [(m, m.replace("_", " ")) for m in own]
        return values

    def measures_by_service(self) -> dict[str, list[list[str]]]:
        """Each service's measures as (value, label) pairs, for dashboard.js."""
        return {slug: [[m, m.replace("_", " ")] for m in found]
                for slug, found in self.measures.items()}


def parse_period(value: str) -> datetime.date | None:
    try:
        return datetime.datetime.strptime(value, "%Y-%m").date()
    except (TypeError, ValueError):
        return None


# ---------------------------------------------------------------------------------------
# tables as shown and as exported


def _display(value, column: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, str):
        return value
    if column in ("numerator", "denominator", "deciles_used"):
        return f"{int(round(float(value))):,}"
    if column in ("rate", "lower", "upper", "p0") or column.startswith(("lower_", "upper_")):
        return f"{100 * float(value):.1f}%"
    if column.startswith("sii"):
        return f"{100 * float(value):.1f} points"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def table_rows(table: dashboard.Table) -> list[list[str]]:
    frame = table.frame
    return [[_display(row.get(col), col) for col, _ in table.columns]
            for row in frame.to_dict("records")]


def exported(table: dashboard.Table):
    """(headings, rows) of a table as exported: disclosure control applied."""
    columns = [c for c, _ in table.columns if c in table.frame.columns]
    safe = analysis.disclose(table.frame[columns], exact=False)
    headings = [heading for c, heading in table.columns if c in table.frame.columns]
    rows = []
    for record in safe.to_dict("records"):
        row = []
        for col in columns:
            value = record[col]
            if value is None or (isinstance(value, float) and math.isnan(value)):
                value = ""
            elif hasattr(value, "item"):
                value = value.item()
            if isinstance(value, float) and col in ("numerator", "denominator"):
                value = int(value)
            if isinstance(value, datetime.date):
                value = value.strftime("%Y-%m")
            row.append(value)
        rows.append(row)
    return headings, rows


def export_csv(table, board, warn: bool) -> str:
    headings, rows = exported(table)
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    if warn:
        writer.writerow([neutralise(DEMO_WARNING)])
    writer.writerow([neutralise(h) for h in headings])
    for row in rows:
        writer.writerow([value if isinstance(value, int | float) else neutralise(value)
                         for value in row])
    return buffer.getvalue()


def export_xlsx(table, board, warn: bool) -> bytes:
    headings, rows = exported(table)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = table.name[:31]
    lines = []
    if warn:
        lines.append([DEMO_WARNING])
    lines.append(headings)
    header_row = len(lines)
    lines.extend(rows)
    for r, values in enumerate(lines, start=1):
        for c, value in enumerate(values, start=1):
            cell = sheet.cell(row=r, column=c)
            if isinstance(value, int | float) and not isinstance(value, bool):
                cell.value = value
                continue
            text = "" if value is None else str(value)
            cell.value = text
            cell.data_type = "s"  # never a formula
            if text.startswith(FORMULA_START):
                cell.quotePrefix = True
            if r == header_row or (warn and r == 1):
                cell.font = Font(bold=True)
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    about = workbook.create_sheet("About")
    for r, text in enumerate([
        f"{table.title}: {board.service_title}, {board.metric}, "
        f"{dashboard.month_label(board.period)}",
        f"Source: {board.source}",
        f"Denominator: {board.basis}",
        "Disclosure control: counts 1-7 shown as *, other counts rounded to the nearest 5; "
        "rates computed from unrounded counts, withheld where the numerator is suppressed.",
        *( [DEMO_WARNING] if warn else []),
    ], start=1):
        cell = about.cell(row=r, column=1)
        cell.value = text
        cell.data_type = "s"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------
# views


class InclusionLeadView(WagtailAdminTemplateMixin, TemplateView):
    header_icon = "table"
    parent_crumbs: list[dict] = []

    def dispatch(self, request, *args, **kwargs):
        if not is_inclusion_lead(request.user):
            return permission_denied(request)
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        """Home, any parents, then this page: its title is the visible heading (Wagtail's
        slim header shows the last breadcrumb; the h1 is for screen readers only)."""
        return [*self.breadcrumbs_items, *self.parent_crumbs,
                {"url": "", "label": self.get_page_title()}]


def _summary_groups(board, rows) -> str:
    """The chart's text alternative. Rates are compared as shown (one decimal), so groups
    tied at the top or bottom are named together, not one of them picked at random."""
    if not rows:
        return "No figures."
    shown = [(row["label"], f"{100 * row['rate']:.1f}") for row in rows]
    ics = f" The ICS rate is {100 * board.ics['rate']:.1f}%." if board.ics else ""
    tail = f"{ics} The table beside the chart gives every figure."
    values = {value for _, value in shown}
    if len(values) == 1:
        return f"{len(rows)} groups, all at {shown[0][1]}%.{tail}"
    high = max(values, key=float)
    low = min(values, key=float)
    return (f"{len(rows)} groups. Highest: {_labels_at(shown, high)} at {high}%; "
            f"lowest: {_labels_at(shown, low)} at {low}%.{tail}")


def _labels_at(shown: list[tuple[str, str]], value: str) -> str:
    """"A", "A and B", or "A, B and 6 other groups" for the groups shown at `value`."""
    labels = [label for label, v in shown if v == value]
    if len(labels) == 1:
        return labels[0]
    if len(labels) == 2:
        return f"{labels[0]} and {labels[1]}"
    return f"{labels[0]}, {labels[1]} and {len(labels) - 2} other groups"


def render_calculating(view, request, status: results.Status):
    """The page shown while a result is worked out on a worker (or after that failed)."""
    context = InclusionLeadView.get_context_data(view, run=status.run, failed=status.failed)
    context["status_url"] = reverse("inclusion_run_status", args=[status.run.pk])
    return TemplateResponse(request, "inclusion/admin/calculating.html", context,
                            status=500 if status.failed else 202)


def retry_and_redirect(request, kind: str, params: dict):
    results.request(kind, params, retry=True)
    return redirect(request.get_full_path())


def run_status(request, pk: int):
    """Progress of an inclusion computation, as JSON, for the calculating page's script."""
    if not is_inclusion_lead(request.user):
        return permission_denied(request)
    run = get_object_or_404(TaskRun, pk=pk, task_name=results.TASK_NAME)
    return JsonResponse({"outcome": run.outcome, "done": run.progress_done,
                         "total": run.progress_total, "step": run.progress_step,
                         "label": run.progress_label, "percent": run.progress_percent},
                        headers={"Cache-Control": "no-store"})


class DashboardView(InclusionLeadView):
    template_name = "inclusion/admin/dashboard.html"
    page_title = "Inclusion dashboard"

    def get(self, request, *args, **kwargs):
        options = dashboard.choices()
        bound = any(k in request.GET for k in ("service", "metric", "period", "dimension"))
        form = DashboardForm(request.GET if bound else None, options=options)
        values = form.chosen()
        board = None
        if values["service"] and values["metric"]:
            status = results.request("dashboard", self.params(values))
            if not status.ready:
                return render_calculating(self, request, status)
            board = status.result
        fmt = request.GET.get("format", "")
        if fmt in ("csv", "xlsx"):
            name = request.GET.get("table", "")
            if board is None or name not in board.tables:
                return HttpResponseBadRequest("Unknown table.", content_type="text/plain")
            table = board.tables[name]
            warn = demo_warning_needed(board.source)
            stamp = timezone.localdate().isoformat()
            filename = f"inclusion-{name}-{stamp}.{fmt}"
            if fmt == "csv":
                response = HttpResponse(export_csv(table, board, warn),
                                        content_type="text/csv; charset=utf-8")
            else:
                response = HttpResponse(export_xlsx(table, board, warn), content_type=XLSX_TYPE)
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
            return response
        context = self.get_context_data(form=form, board=board, values=values, **kwargs)
        return self.render_to_response(context)

    @staticmethod
    def params(values: dict) -> dict:
        return results.dashboard_params(values["service"], values["metric"],
                                        parse_period(values["period"]), values["dimension"])

    def post(self, request, *args, **kwargs):
        """"Try again" after a failed computation."""
        return retry_and_redirect(request, "dashboard", self.params(DashboardForm(
            request.GET, options=dashboard.choices()).chosen()))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        board = context.get("board")
        context["demo_warning"] = DEMO_WARNING if demo_warning_needed(
            board.source if board else "") else ""
        if board is None or board.empty:
            return context
        values = context["values"]
        # the figures shown, each once (QueryDict.update would append to what was asked)
        shown = {"service": board.service, "metric": board.metric,
                 "period": board.period.strftime("%Y-%m"), "dimension": values["dimension"]}
        tables = []
        for table in board.tables.values():
            links = {fmt: "?" + urlencode({**shown, "format": fmt, "table": table.name})
                     for fmt in ("csv", "xlsx")}
            tables.append({"table": table, "headings": [h for _, h in table.columns],
                           "rows": table_rows(table), "links": links})
        context["tables"] = {t["table"].name: t for t in tables}
        groups = board.tables["groups"].frame.to_dict("records")
        title = f"{board.tables['groups'].title}, {dashboard.month_label(board.period)}"
        context["bar_chart"] = charts.bar_chart(
            "chart-groups", title, _summary_groups(board, groups), groups,
            reference=board.ics["rate"] if board.ics else None)
        trend_rows = board.tables["trend"].frame.to_dict("records")
        if trend_rows:
            first, last = trend_rows[0], trend_rows[-1]
            summary = (f"The ICS rate went from {100 * first['rate']:.1f}% in {first['label']} "
                       f"to {100 * last['rate']:.1f}% in {last['label']}.")
        else:
            summary = "No figures."
        if board.trend:
            t = board.trend
            context["trend_text"] = (
                f"{100 * t['slope_per_year']:+.1f} percentage points a year (95% CI "
                f"{1200 * t['slope_lower']:+.1f} to {1200 * t['slope_upper']:+.1f}) over "
                f"{t['months']} months")
        context["trend_chart"] = charts.line_chart("chart-trend", "ICS rate by month", summary,
                                                   trend_rows)
        return context


class EvidenceView(InclusionLeadView):
    """The *Empower citizens* evidence page (HTML)."""

    template_name = "inclusion/admin/evidence.html"
    page_title = "Empower citizens: evidence"

    def get(self, request, *args, **kwargs):
        status = results.request("evidence", {})
        if not status.ready:
            return render_calculating(self, request, status)
        return self.render_to_response(self.get_context_data(evidence=status.result, **kwargs))

    def post(self, request, *args, **kwargs):
        """"Try again" after a failed computation."""
        return retry_and_redirect(request, "evidence", {})

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        from .evidence_figures import paired  # it imports this module

        sections, sources, figures_by_key = kwargs["evidence"]
        context["sections"] = sections
        context["items"] = paired(sections, figures_by_key)
        context["generated"] = timezone.now()
        warn = any(demo_warning_needed(source) for source in sources) or demo_warning_needed()
        context["demo_warning"] = DEMO_WARNING if warn else ""
        return context


class EvidencePDFView(InclusionLeadView):
    """The *Empower citizens* evidence pack as a PDF download (``inclusion.evidence_pdf``),
    worked out on a worker and kept until new data arrives, like the page."""

    page_title = "Empower citizens: evidence (PDF)"
    parent_crumbs = [{"url": reverse_lazy("inclusion_evidence"),
                      "label": "Empower citizens: evidence"}]

    def get(self, request, *args, **kwargs):
        from . import evidence_pdf

        status = results.request("evidence_pdf", {})
        if not status.ready:
            return render_calculating(self, request, status)
        response = HttpResponse(status.result, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{evidence_pdf.filename()}"'
        response["Cache-Control"] = "private, no-store"
        return response

    def post(self, request, *args, **kwargs):
        """"Try again" after a failed computation."""
        return retry_and_redirect(request, "evidence_pdf", {})

"""The *Empower citizens* evidence pack as a PDF (WeasyPrint).

The evidence is ``inclusion.evidence.sections()`` -- the same sections, statuses, rules and
sources as the HTML page -- printed through ``templates/inclusion/evidence_pdf.html`` with
its own print CSS (A4, page numbers, the demonstration-data warning on the first page and in
every page header).  Each section also gets its charts (inline SVG from
``inclusion.charts``) with their data tables.  A PDF is an export, so every table and chart
applies disclosure control (``inclusion.analysis.disclose``).

The PDF is tagged (PDF/UA-1), titled and in ``en-GB``.  WeasyPrint only reads resources
through ``LocalOnlyFetcher``: ``data:`` URLs and files inside the project's own static
directories.  Everything else (``http``, ``https``, ``ftp``, other files) is refused, so
rendering never opens a network connection.
"""

from __future__ import annotations

import mimetypes
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import DataHandler, Request, url2pathname

from django.apps import apps
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from services_catalogue.offer_matrix import offer_matrix

from . import analysis, charts, dashboard, evidence, results, views

TEMPLATE = "inclusion/evidence_pdf.html"
TITLE = "Empower citizens: evidence"
PDF_VARIANT = "pdf/ua-1"


def filename(day=None) -> str:
    day = day or timezone.localdate()
    return f"empower-citizens-evidence-{day.isoformat()}.pdf"


# ---------------------------------------------------------------------------------------
# no network: the URL fetcher


class RefusedURL(ValueError):
    """A resource the PDF renderer may not read."""


def static_dirs() -> list[Path]:
    """The project's own static directories: ``STATICFILES_DIRS`` and the ``static/``
    folder of each project app (not those of installed packages)."""
    base = Path(settings.BASE_DIR).resolve()
    outside = {Path(p).resolve() for p in {sys.prefix, sys.base_prefix}}
    dirs = []
    for entry in getattr(settings, "STATICFILES_DIRS", ()):
        dirs.append(Path(entry[1] if isinstance(entry, tuple | list) else entry))
    for config in apps.get_app_configs():
        path = Path(config.path).resolve()
        if path.is_relative_to(base) and not any(path.is_relative_to(o) for o in outside):
            dirs.append(path / "static")
    return [d.resolve() for d in dirs if d.is_dir()]


class LocalOnlyFetcher(URLFetcher):
    """Serves ``data:`` URLs and files inside ``roots`` (default: ``static_dirs()``);
    raises ``RefusedURL`` for anything else, before any connection is attempted."""

    def __init__(self, roots: list[Path] | None = None):
        super().__init__(timeout=1, allowed_protocols=("data", "file"), allow_redirects=False)
        self.roots = [Path(r).resolve() for r in (static_dirs() if roots is None else roots)]

    def fetch(self, url, headers=None):
        parts = urlsplit(str(url))
        scheme = parts.scheme.lower()
        if scheme == "data":
            response = DataHandler().data_open(Request(str(url)))
            return URLFetcherResponse(str(url), response.read(), dict(response.headers.items()))
        if scheme == "file" and parts.netloc in ("", "localhost"):
            path = Path(url2pathname(parts.path)).resolve()
            if path.is_file() and any(path.is_relative_to(root) for root in self.roots):
                kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(path.as_uri(), path.read_bytes(),
                                          {"Content-Type": kind})
        raise RefusedURL(f"The PDF renderer does not fetch {url!r}: only data: URLs and "
                         "files in the project's static directories.")

    def __call__(self, url):
        return self.fetch(url)


# ---------------------------------------------------------------------------------------
# figures: charts with their tables


@dataclass
class Figure:
    key: str
    title: str
    chart: str
    headings: list[str]
    rows: list[list[str]]
    note: str = ""


@dataclass
class PrintSection:
    section: evidence.Section
    figures: list[Figure] = field(default_factory=list)


def _board_table(table: dashboard.Table) -> tuple[list[str], list[list[str]]]:
    """Headings and display rows of a dashboard table, disclosure control applied."""
    columns = [c for c, _ in table.columns if c in table.frame.columns]
    headings, rows = views.exported(table)
    return headings, [[views._display(value, col) for value, col in zip(row, columns,
                                                                          strict=True)]
                      for row in rows]


def _chart_rows(table: dashboard.Table) -> list[dict]:
    """Rows for a chart: disclosed, so a withheld rate is not drawn."""
    safe = analysis.disclose(table.frame, exact=False)
    return [row for row in safe.to_dict("records") if charts._finite(row.get("rate"))]


def _capability_figure(key, title, matrix, slugs=None) -> Figure | None:
    entries = [e for e in matrix.capability_coverage
               if slugs is None or e.item.capability.slug in slugs]
    if not entries:
        return None
    rows = [{"label": e.item.capability.name, "rate": e.offered / e.total}
            for e in entries if e.total]
    low = min(entries, key=lambda e: e.coverage or 0)
    summary = (f"{len(entries)} capabilities; the least delivered is {low.item.capability.name}"
               f" at {low.coverage or 0}% of GP practices. The table gives every figure.")
    return Figure(
        key, title, charts.bar_chart(f"chart-{key}", title, summary, rows),
        ["Capability", "GP practices delivering it", "Share of practices"],
        [[e.item.capability.name, f"{e.offered} of {e.total}",
          f"{e.coverage}%" if e.coverage is not None else ""] for e in entries],
        "Counts of practices, not of patients.",
    )


def _trend_figure(board) -> Figure | None:
    table = board.tables.get("trend")
    rows = _chart_rows(table) if table is not None else []
    if not rows:
        return None
    first, last = rows[0], rows[-1]
    title = f"{board.service_title} {board.metric}: ICS rate by month"
    summary = (f"The ICS rate went from {100 * first['rate']:.1f}% in {first['label']} to "
               f"{100 * last['rate']:.1f}% in {last['label']}. The table gives every figure.")
    headings, table_rows = _board_table(table)
    return Figure("trend", title, charts.line_chart("chart-trend", title, summary, rows),
                  headings, table_rows, f"Source: {board.source}. Denominator: {board.basis}.")


def _decile_figure(board) -> Figure | None:
    table = board.tables.get("groups")
    rows = _chart_rows(table) if table is not None else []
    if not rows:
        return None
    title = (f"{board.service_title} {board.metric} by IMD decile (1 = most deprived), "
             f"{dashboard.month_label(board.period)}")
    headings, table_rows = _board_table(table)
    reference = board.ics["rate"] if board.ics else None
    return Figure("deciles", title,
                  charts.bar_chart("chart-deciles", title,
                                   views._summary_groups(board, rows), rows,
                                   reference=reference),
                  headings, table_rows,
                  f"Source: {board.source}. Deprivation {board.method_text}.")


def figures() -> dict[str, list[Figure]]:
    """The charts and tables printed with each section, by section key."""
    matrix = offer_matrix()
    out: dict[str, list[Figure]] = {key: [] for key in evidence.RULES}
    for key, title, slugs in (
            ("coverage", "Consistent offer: practices delivering each capability", None),
            ("self_service", "Self-service capabilities: practices delivering each",
             evidence.SELF_SERVICE),
            ("records", "Record-access capabilities: practices delivering each",
             evidence.RECORD_ACCESS)):
        figure = _capability_figure(key, title, matrix, slugs)
        if figure:
            out[key].append(figure)
    board = results.board("nhs-app", "registrations", None, "imd_decile")
    if not board.empty:
        for figure, key in ((_trend_figure(board), "use"), (_decile_figure(board), "gaps")):
            if figure:
                out[key].append(figure)
    return out


# ---------------------------------------------------------------------------------------
# the document


PDF_STEPS = ("Drawing the charts", "Writing the PDF")


def context(progress=None) -> dict:
    """What the print template shows. ``progress(done, total, step)`` hears of each step."""
    total = len(evidence.STEPS) + len(PDF_STEPS)

    def step(done, _total, name):
        if progress is not None:
            progress(done, total, name)

    sections, sources = evidence.sections(progress=step)
    step(len(evidence.STEPS), total, PDF_STEPS[0])
    by_key = figures()
    warn = any(views.demo_warning_needed(s) for s in sources) or views.demo_warning_needed()
    all_sources = sorted({source for section in sections for source in section.sources})
    return {
        "title": TITLE,
        "sections": [PrintSection(s, by_key.get(s.key, [])) for s in sections],
        "rag_labels": evidence.RAG_LABELS,
        "sources": all_sources,
        "generated": timezone.localtime(),
        "demo_warning": views.DEMO_WARNING if warn else "",
    }


def render_html(ctx: dict | None = None) -> str:
    return render_to_string(TEMPLATE, context() if ctx is None else ctx)


def render_pdf(ctx: dict | None = None, progress=None) -> bytes:
    """The evidence pack as PDF bytes (tagged PDF/UA-1, title and language set)."""
    ctx = context(progress) if ctx is None else ctx
    if progress is not None:
        progress(len(evidence.STEPS) + 1, len(evidence.STEPS) + len(PDF_STEPS), PDF_STEPS[1])
    document = HTML(string=render_html(ctx), url_fetcher=LocalOnlyFetcher())
    return document.write_pdf(pdf_variant=PDF_VARIANT)

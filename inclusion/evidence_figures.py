"""The *Empower citizens* evidence figures: each section's charts with their data tables.

Shared by the evidence page (``templates/inclusion/admin/evidence.html``) and the PDF pack
(``inclusion.evidence_pdf``), so both show exactly the same figures, built once: they are
part of the cached "evidence" result (``inclusion.results``, ``sections_and_figures``).

Disclosure-controlled (``inclusion.analysis.disclose``: counts 1 to 7 shown as *, other
counts rounded to the nearest 5, rates withheld where the numerator is suppressed), on the
page as well as in the PDF: the page shows what the PDF exports, and anyone can save or
print the page.  A chart is drawn from the disclosed rows, so a withheld rate is not drawn.
The capability figures count GP practices, not patients, and are shown as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from services_catalogue.offer_matrix import offer_matrix

from . import analysis, charts, dashboard, evidence, results, views

STEP = "Drawing the charts"
STEPS = (*evidence.STEPS, STEP)


@dataclass
class Figure:
    key: str
    title: str
    chart: str
    headings: list[str]
    rows: list[list[str]]
    note: str = ""


@dataclass
class SectionFigures:
    """A section with the figures shown under it."""

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
    low = min(entries, key=lambda e: e.coverage_share or 0)
    summary = (f"{len(entries)} capabilities; the least delivered is {low.item.capability.name}"
               f" at {evidence.percent_text(low.coverage_share or 0)} of GP practices. The "
               "table gives every figure.")
    return Figure(
        key, title, charts.bar_chart(f"chart-{key}", title, summary, rows),
        ["Capability", "GP practices delivering it", "Share of practices"],
        [[e.item.capability.name, f"{e.offered} of {e.total}",
          evidence.percent_text(e.coverage_share, decimals=1)] for e in entries],
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
    """The charts and tables shown with each section, by section key."""
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


def sections_and_figures(progress=None, total: int | None = None):
    """The "evidence" result: ``(sections, sources, figures_by_key)``.

    ``progress(done, total, step)`` hears of each of ``STEPS``: the sections' steps, then
    drawing the charts.  ``total`` (default ``len(STEPS)``) lets a caller that has steps of
    its own after these (the PDF) report them all against one total."""
    total = len(STEPS) if total is None else total

    def step(done, _total, name):
        if progress is not None:
            progress(done, total, name)

    sections, sources = evidence.sections(progress=step)
    step(len(evidence.STEPS), total, STEP)
    return sections, sources, figures()


def paired(sections, figures_by_key) -> list[SectionFigures]:
    """Each section with its figures, in the sections' order."""
    return [SectionFigures(s, list(figures_by_key.get(s.key, []))) for s in sections]

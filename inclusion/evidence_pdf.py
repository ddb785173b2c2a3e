"""The *Empower citizens* evidence pack as a PDF (WeasyPrint).

The evidence is ``inclusion.evidence.sections()`` -- the same sections, statuses, rules and
sources as the HTML page -- printed through ``templates/inclusion/evidence_pdf.html`` with
its own print CSS (A4, page numbers, the demonstration-data warning on the first page and in
every page header).  Each section also gets its charts (inline SVG from
``inclusion.charts``) with their data tables: the figures of ``inclusion.evidence_figures``,
shared with the page and disclosure-controlled (``inclusion.analysis.disclose``), since a
PDF is an export.  Sections and figures come from the cached "evidence" result
(``inclusion.results.evidence_result``), so the page and the PDF compute them once.

The PDF is tagged (PDF/UA-1), titled and in ``en-GB``.  WeasyPrint only reads resources
through ``LocalOnlyFetcher``: ``data:`` URLs and files inside the project's own static
directories.  Everything else (``http``, ``https``, ``ftp``, other files) is refused, so
rendering never opens a network connection.
"""

from __future__ import annotations

import mimetypes
import sys
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import DataHandler, Request, url2pathname

from django.apps import apps
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from . import evidence, evidence_figures, results, views
from .evidence_figures import Figure, SectionFigures, figures  # noqa: F401 (re-exported)

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
# the document


PDF_STEPS = (evidence_figures.STEP, "Writing the PDF")
PrintSection = SectionFigures  # the name this module used before the figures moved


def context(progress=None) -> dict:
    """What the print template shows. ``progress(done, total, step)`` hears of each step."""
    total = len(evidence.STEPS) + len(PDF_STEPS)
    sections, sources, by_key = results.evidence_result(
        progress=None if progress is None else lambda done, _total, name: progress(
            done, total, name))
    warn = any(views.demo_warning_needed(s) for s in sources) or views.demo_warning_needed()
    all_sources = sorted({source for section in sections for source in section.sources})
    return {
        "title": TITLE,
        "sections": evidence_figures.paired(sections, by_key),
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
        progress(len(evidence_figures.STEPS), len(evidence.STEPS) + len(PDF_STEPS),
                 PDF_STEPS[1])
    document = HTML(string=render_html(ctx), url_fetcher=LocalOnlyFetcher())
    return document.write_pdf(pdf_variant=PDF_VARIANT)

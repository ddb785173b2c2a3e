"""Fixes from the QA review of the inclusion lead's admin screens: statuses rated on
unrounded shares, plain denominators, scrollable wide tables, plain outlier labels, page
titles in the header, charts that stop at 100% and keep their labels inside, and statuses
shown as tags."""

import csv
import datetime
import io
import math
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from bs4 import BeautifulSoup
from django.contrib.staticfiles import finders
from scipy.stats import norm

from inclusion import charts, dashboard, evidence
from services_catalogue.offer_matrix import CapabilityCoverage, MatrixRow, OfferMatrix

pytestmark = pytest.mark.django_db

DASHBOARD = "/admin/inclusion/"
EVIDENCE = "/admin/inclusion/evidence/"
MATRIX = "/admin/offer-matrix/"
STYLESHEET = "inclusion/css/admin.css"
RAG_WORDS = {"green": "Green", "amber": "Amber", "red": "Red", "grey": "No data"}


def soup(response):
    assert response.status_code == 200
    return BeautifulSoup(response.content.decode(), "html.parser")


def rag_of(value, green=90, amber=70):
    """The written rule, applied here to an unrounded percentage."""
    return "green" if value >= green else "amber" if value >= amber else "red"


def percentages(text) -> list[float]:
    return [float(number) for number in re.findall(r"(\d+(?:\.\d+)?)%", text)]


# -- 1. statuses are rated on the unrounded share -------------------------------------------

def stub_matrix(delivering: list[int], practices: int) -> OfferMatrix:
    """A matrix of ``practices`` rows where capability j is delivered at the first
    ``delivering[j]`` practices. The first four capabilities are the self-service ones,
    the next four the record-access ones."""
    slugs = [*evidence.SELF_SERVICE, *evidence.RECORD_ACCESS]
    slugs += [f"other-{n}" for n in range(len(delivering) - len(slugs))]
    items = [SimpleNamespace(capability=SimpleNamespace(name=f"Capability {slug}", slug=slug))
             for slug in slugs[:len(delivering)]]
    rows = [MatrixRow(organisation=SimpleNamespace(name=f"Practice {i}"),
                      cells=[SimpleNamespace(offered=i < d) for d in delivering])
            for i in range(practices)]
    return OfferMatrix(items=items, rows=rows)


def test_coverage_just_under_90_percent_is_amber_and_is_not_shown_as_90(demo, monkeypatch):
    # 39 practices x 12 capabilities; self triage at 35 of 39 (89.74%)
    delivering = [35, 39, 39, 39, 39, 39, 39, 39, 28, 28, 28, 28]
    monkeypatch.setattr(evidence, "offer_matrix", lambda: stub_matrix(delivering, 39))
    offered, cells = sum(delivering), 39 * len(delivering)
    share = 100 * offered / cells
    assert round(share) == 90 and share < 90  # the case the review found

    found = {s.key: s for s in evidence.sections()[0]}
    coverage = found["coverage"]
    assert coverage.rag == "amber"
    assert coverage.findings[0].startswith(f"{share:.1f}% of the consistent offer")
    assert f"{offered} of {cells} practice-capability cells" in coverage.findings[0]
    assert "90%" not in coverage.findings[0]

    self_service = found["self_service"]
    assert self_service.rag == "amber"  # its least-delivered capability is at 89.7%
    assert f"delivered at {100 * 35 / 39:.1f}% of GP practices" in " ".join(
        self_service.findings)
    assert found["records"].rag == "green"


def test_evidence_page_rates_the_demo_offer_on_the_unrounded_share(lead, demo):
    from services_catalogue.practices import practice_offer

    offered = cells = 0
    by_capability: dict[str, list[int]] = {}
    for practice in demo["practices"]:
        if not practice.active:
            continue
        for row in practice_offer(practice):
            cells += 1
            offered += row.offered
            counts = by_capability.setdefault(row.capability.slug, [0, 0])
            counts[0] += row.offered
            counts[1] += 1
    share = 100 * offered / cells
    page = soup(lead.get(EVIDENCE))

    section = page.select_one("section#coverage")
    assert section.select_one(".evidence-rag")["data-rag"] == rag_of(share)
    finding = section.select_one("ul li").get_text(" ", strip=True)
    shown = percentages(finding)[0]
    assert abs(shown - share) <= 0.5
    assert rag_of(shown) == rag_of(share)  # never "90%" beside an amber status

    lowest = min(100 * d / n for slug, (d, n) in by_capability.items()
                 if slug in evidence.SELF_SERVICE)
    section = page.select_one("section#self_service")
    assert section.select_one(".evidence-rag")["data-rag"] == rag_of(lowest)
    for shown in percentages(" ".join(li.get_text() for li in section.select("ul li"))):
        assert shown != 90 or lowest >= 90


def test_percentages_never_round_onto_a_threshold_they_are_rated_below():
    assert evidence.percent_text(89.69) == "89.7%"
    assert evidence.percent_text(89.96) == "89.9%"
    assert evidence.percent_text(69.6) == "69.6%"
    assert evidence.percent_text(92.1) == "92%"
    assert evidence.percent_text(90.0) == "90%"
    assert evidence.percent_text(59.96, (60, 40), decimals=1) == "59.96%"
    assert evidence.percent_text(45.54, (60, 40), decimals=1) == "45.5%"


def test_the_offer_matrix_keeps_its_rounded_coverage_and_adds_the_unrounded_share(demo):
    entry = CapabilityCoverage(item=None, offered=35, total=39)
    assert entry.coverage == 90
    assert entry.coverage_share == pytest.approx(100 * 35 / 39)
    matrix = stub_matrix([35, 39], 39)
    assert matrix.coverage == 95 and matrix.coverage_share == pytest.approx(100 * 74 / 78)
    assert matrix.rows[-1].coverage_share == pytest.approx(50.0)


# -- 2. the use findings name their denominator in plain words ------------------------------

def test_use_findings_say_what_the_rate_is_a_share_of(lead, demo):
    from services_catalogue.models import UptakeObservation

    section = soup(lead.get(EVIDENCE)).select_one("section#use")
    findings = [li.get_text(" ", strip=True) for li in section.select("ul li")]
    for service, metric, label in (
            ("nhs-app", "registrations", "NHS App registrations"),
            ("nhs-app", "logins", "NHS App users logging in that month"),
            ("nhs-login", "registrations", "NHS login accounts")):
        rows = UptakeObservation.objects.filter(service__slug=service, metric=metric,
                                                organisation__kind="gp_practice")
        latest = max(rows.values_list("period", flat=True))
        month = rows.filter(period=latest)
        rate = sum(month.values_list("value", flat=True)) / sum(
            month.values_list("denominator", flat=True))
        expected = (f"{label}: {100 * rate:.1f}% of patients aged 13+ "
                    f"({dashboard.month_label(latest)}).")
        assert expected in findings
    text = " ".join(findings)
    assert "of for" not in text and "synthetic registered population" not in text


def test_each_denominator_has_a_short_name_beside_its_explanation(demo):
    import pandas as pd

    practices = dashboard.practice_table()
    codes = list(practices["practice"][:2])
    obs = pd.DataFrame({"practice": codes, "period": ["2025-01-01"] * 2,
                        "denominator": [None, None], "source": ["Local tool export"] * 2})
    _, basis, denominator = dashboard.population_for(obs, practices, "home-blood-pressure-"
                                                     "monitoring")
    assert (basis, denominator) == ("list size", "registered patients")
    _, basis, denominator = dashboard.population_for(obs, practices, "nhs-app")
    assert denominator == "patients aged 13+" and "registered population by age" in basis
    given = obs.assign(denominator=[1000, 2000], source="NHS England NHS App dashboard")
    _, basis, denominator = dashboard.population_for(given, practices, "nhs-app")
    assert denominator == "the population given by the source"
    assert basis == "the denominators given by the source"


# -- 3. wide tables scroll, from one stylesheet; outliers in words ---------------------------

def css_rules(text: str) -> dict[str, dict[str, str]]:
    """{selector: {property: value}} of a plain stylesheet (no nesting)."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    rules = {}
    for selectors, body in re.findall(r"([^{}]+)\{([^}]*)\}", text):
        declarations = dict(
            (part.split(":", 1)[0].strip(), part.split(":", 1)[1].strip())
            for part in body.split(";") if ":" in part)
        for selector in selectors.split(","):
            rules.setdefault(" ".join(selector.split()), {}).update(declarations)
    return rules


def stylesheet() -> dict[str, dict[str, str]]:
    path = finders.find(STYLESHEET)
    assert path, f"{STYLESHEET} is not in any static directory"
    return css_rules(Path(path).read_text())


def test_one_stylesheet_makes_wide_tables_scroll_on_every_admin_table_page(lead):
    rule = stylesheet()[".dfd-scroll"]
    assert rule["overflow-x"] == "auto" and rule["max-width"] == "100%"
    for url in (DASHBOARD, EVIDENCE, MATRIX):
        page = soup(lead.get(url))
        links = [link["href"] for link in page.select("link[rel=stylesheet]")]
        assert sum(href.split("?")[0].endswith(STYLESHEET) for href in links) == 1, url
        assert page.select(".dfd-scroll"), url
    evidence_page = soup(lead.get(EVIDENCE))
    assert not [style for style in evidence_page.select("style")
                if ".dfd-scroll" in style.get_text()]


@pytest.mark.parametrize("url", [DASHBOARD, EVIDENCE])
def test_every_data_table_is_a_scrollable_region_named_by_its_caption(lead, url):
    page = soup(lead.get(url))
    tables = page.select(".nice-padding table:not(#evidence-summary)")
    assert tables
    for table in tables:
        region = table.find_parent(class_="dfd-scroll")
        assert region is not None, table.get("id")
        assert region["tabindex"] == "0" and region["role"] == "region"
        caption = page.find(id=region["aria-labelledby"])
        assert caption is not None and caption.name == "caption"
        assert caption.find_parent("table") is table and caption.get_text(strip=True)


def funnel_position(z: float) -> str:
    """Where a practice lies against the 95% and 99.8% funnel limits, from its z-score
    (the limits are p0 -/+ z_level * sqrt(p0 (1 - p0) / n))."""
    z95, z998 = norm.ppf(0.975), norm.ppf(0.999)
    if z < -z998:
        return "Below 99.8% limit"
    if z < -z95:
        return "Below 95% limit"
    if z > z998:
        return "Above 99.8% limit"
    if z > z95:
        return "Above 95% limit"
    return "Within limits"


def number(text: str) -> float:
    return float(text.replace(",", ""))


def test_the_funnel_says_in_words_where_each_practice_lies(lead):
    params = {"service": "nhs-app", "metric": "registrations", "dimension": "practice"}
    page = soup(lead.get(DASHBOARD, params))
    table = page.select_one("#table-funnel")
    headings = [th.get_text(strip=True) for th in table.select("thead th")]
    column = headings.index("Outlier")
    ics = [c.get_text(strip=True) for c in page.select_one("#table-ics tbody tr")
           .select("th, td")]
    p0 = number(ics[1]) / number(ics[2])
    labels, checked = set(), 0
    for row in table.select("tbody tr"):
        cells = [c.get_text(strip=True) for c in row.select("th, td")]
        labels.add(cells[column])
        assert "_" not in cells[column]
        x, n = number(cells[1]), number(cells[2])
        z = (x / n - p0) / (p0 * (1 - p0) / n) ** 0.5
        if min(abs(abs(z) - norm.ppf(0.975)), abs(abs(z) - norm.ppf(0.999))) < 0.01:
            continue  # too close to a limit to call from the rounded p0
        assert cells[column] == funnel_position(z), cells[0]
        checked += 1
    assert checked > 30 and "Below 99.8% limit" in labels

    response = lead.get(DASHBOARD, {**params, "format": "csv", "table": "funnel"})
    rows = list(csv.DictReader(io.StringIO(
        "\n".join(response.content.decode("utf-8-sig").splitlines()[1:]))))
    assert {row["Outlier"] for row in rows} <= {
        "Below 99.8% limit", "Below 95% limit", "Within limits", "Above 95% limit",
        "Above 99.8% limit"}


# -- 4. the page title is the visible heading ------------------------------------------------

@pytest.mark.parametrize("url, title", [(DASHBOARD, "Inclusion dashboard"),
                                        (EVIDENCE, "Empower citizens: evidence")])
def test_the_header_names_the_page_not_just_home(lead, url, title):
    page = soup(lead.get(url))
    assert page.select_one("h1").get_text(strip=True) == title
    crumbs = page.select("nav[aria-label=Breadcrumb] li")
    visible = [li.get_text(" ", strip=True) for li in crumbs if not li.has_attr("hidden")]
    assert visible == [title]
    assert [li.get_text(strip=True) for li in crumbs][0] == "Home"
    assert page.select_one("nav[aria-label=Breadcrumb] a[href='/admin/']") is not None
    assert title in page.select_one("title").get_text()


# -- 5. charts -------------------------------------------------------------------------------

def svg_of(markup) -> BeautifulSoup:
    return BeautifulSoup(str(markup), "html.parser").select_one("svg")


def tick_values(svg, attribute="y", at=None) -> list[float]:
    """The percentages written along an axis: text on one line (same ``attribute``)."""
    texts = [t for t in svg.select("text") if re.fullmatch(r"\d+(\.\d+)?%", t.get_text())]
    line = at if at is not None else max(float(t[attribute]) for t in texts)
    return [float(t.get_text().rstrip("%")) for t in texts if float(t[attribute]) == line]


def is_nice(step: float) -> bool:
    mantissa = step / 10 ** math.floor(math.log10(step))
    return any(abs(mantissa - m) < 1e-6 for m in (1, 2, 5, 10))


def test_a_bar_chart_of_shares_stops_at_100_percent_with_round_ticks():
    rows = [{"label": "High", "rate": 0.95, "lower": 0.93, "upper": 0.97},
            {"label": "Lower", "rate": 0.61, "lower": 0.55, "upper": 0.66}]
    svg = svg_of(charts.bar_chart("bars", "Shares", "Two shares.", rows, reference=0.8))
    ticks = tick_values(svg)
    assert max(ticks) == 100 and min(ticks) == 0
    steps = {round(b - a, 6) for a, b in zip(ticks, ticks[1:], strict=False)}
    assert len(steps) == 1 and is_nice(steps.pop())
    assert svg["role"] == "img" and svg.select_one("title") and svg.select_one("desc")
    # not shares (a rate above 1): the axis goes past 100% to show it
    over = svg_of(charts.bar_chart("over", "Over", "Over one.", [{"label": "x", "rate": 1.3}]))
    assert max(tick_values(over)) >= 130


def text_extent(text) -> tuple[float, float]:
    """Left and right edge of an SVG text, allowing 0.6 em a character (generous for
    Arial's digits and capitals)."""
    width = len(text.get_text()) * float(text.get("font-size", 11)) * 0.6
    x = float(text["x"])
    anchor = text.get("text-anchor", "start")
    return {"start": (x, x + width), "middle": (x - width / 2, x + width / 2),
            "end": (x - width, x)}[anchor]


def assert_inside(svg):
    width = float(svg["viewbox"].split()[2])
    for text in svg.select("text"):
        left, right = text_extent(text)
        assert 0 <= left and right <= width, (text.get_text(), left, right, width)


def test_the_trend_chart_keeps_its_first_and_last_month_inside_the_chart():
    months = [dashboard.month_label(datetime.date(2024 + m // 12, m % 12 + 1, 1))
              for m in range(10, 34)]
    rows = [{"label": label, "rate": 0.30 + 0.01 * i, "lower": 0.29 + 0.01 * i,
             "upper": 0.31 + 0.01 * i} for i, label in enumerate(months)]
    svg = svg_of(charts.line_chart("trend", "Trend", "Rising.", rows))
    labels = [t.get_text() for t in svg.select("text") if not t.get_text().endswith("%")]
    assert labels[0] == months[0] and labels[-1] == months[-1]
    assert_inside(svg)
    ticks = sorted(tick_values(svg, "x"))
    steps = {round(b - a, 6) for a, b in zip(ticks, ticks[1:], strict=False)}
    assert len(steps) == 1 and is_nice(steps.pop())
    assert ticks[0] <= 29 and ticks[-1] >= 31 + 23 and ticks[-1] <= 100


def test_a_trend_of_shares_near_100_percent_stops_there():
    rows = [{"label": f"M{i}", "rate": 0.97, "lower": 0.95, "upper": 0.995} for i in range(6)]
    ticks = tick_values(svg_of(charts.line_chart("t", "T", "Flat.", rows)), "x")
    assert max(ticks) == 100


def test_a_long_practice_name_is_shortened_on_its_bar_but_keeps_its_code():
    name = "Haydon Bridge & Allendale Medical Practice (A84012)"
    svg = svg_of(charts.bar_chart("b", "Bars", "One bar.", [{"label": name, "rate": 0.4}]))
    label = next(t for t in svg.select("text") if "A84012" in t.get_text())
    assert label.get_text().endswith("\u2026 (A84012)")
    assert label.get_text().startswith("Haydon Bridge")
    assert_inside(svg)
    assert svg.select_one("title").get_text() == "Bars"


def test_the_dashboard_chart_labels_fit(lead):
    page = soup(lead.get(DASHBOARD))
    svg = page.select_one("svg[aria-labelledby^=chart-trend]")
    assert svg["role"] == "img" and svg.select_one("title").get_text(strip=True)
    assert svg.select_one("desc").get_text(strip=True)
    assert_inside(svg)
    bars = page.select_one("svg[aria-labelledby^=chart-groups]")
    assert max(tick_values(bars)) <= 100
    assert_inside(bars)  # long practice names are shortened to fit


# -- 6. statuses are status tags with their words --------------------------------------------

def luminance(hex_colour: str) -> float:
    hex_colour = hex_colour.lstrip("#")
    if len(hex_colour) == 3:
        hex_colour = "".join(c * 2 for c in hex_colour)
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_statuses_are_tags_with_their_words_in_readable_colours(lead):
    page = soup(lead.get(EVIDENCE))
    summary = page.select("#evidence-summary tbody tr")
    sections = page.select("section.evidence-section")
    assert summary and len(summary) == len(sections)
    tags = [row.select_one("td .w-status") for row in summary]
    tags += [section.select_one("h2 .w-status") for section in sections]
    rules = stylesheet()
    seen = set()
    for tag in tags:
        assert tag is not None
        rag = tag["data-rag"]
        assert tag.get_text(strip=True) == RAG_WORDS[rag]  # the words, not only a colour
        assert f"dfd-rag--{rag}" in tag["class"]
        seen.add(rag)
        rule = rules[f".w-status.dfd-rag--{rag}"]
        assert contrast(rule["color"], rule["background"]) >= 4.5, rag
    base = rules[".w-status.dfd-rag"]
    assert base["border"].startswith("1px solid")  # the tag keeps its edge without colour
    assert seen >= {"green", "amber"}
    for section in sections:
        heading = section.select_one("h2").get_text(" ", strip=True)
        tag = section.select_one("h2 .w-status")
        assert heading.endswith(f": {tag.get_text(strip=True)}")


def test_a_measure_the_service_has_no_figures_for_falls_back_to_one_it_has(lead):
    from services_catalogue.models import UptakeObservation

    own = sorted(set(UptakeObservation.objects.filter(service__slug="nhs-login")
                     .values_list("metric", flat=True)))
    assert "logins" not in own and own
    response = lead.get("/admin/inclusion/", {"service": "nhs-login", "metric": "logins"})
    page = BeautifulSoup(response.content.decode(), "html.parser")
    note = page.select_one("#measure-note").get_text(" ", strip=True)
    shown = own[0] if "registrations" not in own else "registrations"
    assert note.startswith(f"NHS login has no figures for logins: showing {shown}.")
    assert page.select_one("select[name=metric] option[selected]")["value"] == shown
    assert page.select_one("#no-figures") is None


def test_a_measure_the_service_has_shows_no_fallback_note(lead):
    response = lead.get("/admin/inclusion/", {"service": "nhs-app", "metric": "logins"})
    page = BeautifulSoup(response.content.decode(), "html.parser")
    assert page.select_one("#measure-note") is None


def test_the_measure_list_offers_only_the_chosen_service_s_measures(lead):
    import json

    from services_catalogue.models import UptakeObservation

    def measures_of(slug):
        return set(UptakeObservation.objects.filter(service__slug=slug)
                   .values_list("metric", flat=True))

    everything = set(UptakeObservation.objects.values_list("metric", flat=True))
    assert measures_of("nhs-login") < everything, "the demo's services differ in measures"
    page = BeautifulSoup(lead.get("/admin/inclusion/", {"service": "nhs-login"}).content.decode(),
                         "html.parser")
    offered = {o["value"] for o in page.select("select[name=metric] option")}
    assert offered == measures_of("nhs-login")
    # the page carries every service's list, for the script that narrows it on a change
    mapping = json.loads(page.select_one("script#measures-by-service").string)
    assert {pair[0] for pair in mapping["nhs-app"]} == measures_of("nhs-app")
    assert set(mapping) == set(UptakeObservation.objects.values_list("service__slug", flat=True))
    assert page.select_one("script[src$='inclusion/dashboard.js']") is not None


def test_download_links_name_each_choice_once_after_the_form_is_submitted(lead):
    from urllib.parse import parse_qs, urlsplit

    response = lead.get("/admin/inclusion/", {"service": "nhs-app", "metric": "registrations",
                                              "dimension": "practice"})
    page = BeautifulSoup(response.content.decode(), "html.parser")
    links = [a["href"] for a in page.select("a[href*='format=csv'], a[href*='format=xlsx']")]
    assert links
    for href in links:
        query = parse_qs(urlsplit(href).query)
        assert all(len(values) == 1 for values in query.values()), href
        assert query["service"] == ["nhs-app"] and query["dimension"] == ["practice"]
        assert lead.get("/admin/inclusion/" + href).status_code == 200

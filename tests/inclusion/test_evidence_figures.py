"""The evidence figures (charts with their data tables) on the evidence page, shared with the
PDF pack and kept in the cached evidence result, disclosure-controlled on both."""

import pandas as pd
import pytest
from bs4 import BeautifulSoup
from django.core.cache import cache

from inclusion import dashboard, evidence, evidence_figures, evidence_pdf, results
from inclusion.evidence_figures import Figure
from portal.demo.uptake import demo_periods

pytestmark = pytest.mark.django_db

EVIDENCE = "/admin/inclusion/evidence/"
WITH_FIGURES = {"coverage": ["coverage"], "use": ["trend"], "self_service": ["self_service"],
                "records": ["records"], "gaps": ["deciles"]}


def soup(response):
    return BeautifulSoup(response.content.decode(), "html.parser")


def cells(row) -> list[str]:
    return [cell.get_text(strip=True) for cell in row.select("th, td")]


def disclosed(count) -> str:
    """A count as disclosed, worked out here: 1-7 as *, 0 as 0, others to the nearest 5."""
    if 0 < count <= 7:
        return "*"
    return f"{5 * int(count / 5 + 0.5):,}"


def figure_table(page, key) -> list[list[str]]:
    return [cells(row) for row in page.select(f"figure#figure-{key} table tbody tr")]


def observations(period=None) -> pd.DataFrame:
    """The demo's NHS App registrations at GP practices, straight from the database."""
    from services_catalogue.models import UptakeObservation, UptakeSource

    assert UptakeSource.objects.count() == 1  # one source: nothing to choose between
    qs = UptakeObservation.objects.filter(service__slug="nhs-app", metric="registrations",
                                          organisation__kind="gp_practice")
    if period is not None:
        qs = qs.filter(period=period)
    return pd.DataFrame(list(qs.values("organisation__ods_code", "period", "value",
                                       "denominator")))


# -- the page ---------------------------------------------------------------------------

def test_each_section_shows_its_figures_with_an_accessible_chart_and_data_table(lead):
    response = lead.get(EVIDENCE)
    assert response.status_code == 200
    page = soup(response)
    disclosure = page.select_one("#evidence-disclosure").get_text(" ", strip=True)
    assert "same disclosure control as the PDF" in disclosure
    assert "1 to 7 are shown as *" in disclosure and "nearest 5" in disclosure
    for section_key, figure_keys in WITH_FIGURES.items():
        section = page.select_one(f"section#{section_key}")
        figures = section.select("figure.evidence-figure")
        assert [f["data-figure"] for f in figures] == figure_keys, section_key
        for figure in figures:
            title = figure.select_one("figcaption").get_text(strip=True)
            assert title
            svg = figure.select_one("svg[role=img]")
            assert svg is not None, section_key
            for ident in svg["aria-labelledby"].split():
                assert svg.find(id=ident).get_text(strip=True)
            assert svg.select_one("title").get_text(strip=True) == title
            table = figure.select_one("table.listing")
            assert table.select_one("caption").get_text(strip=True) == f"Data: {title}"
            headings = table.select("thead th")
            assert headings and all(th["scope"] == "col" for th in headings)
            rows = table.select("tbody tr")
            assert rows
            for row in rows:
                first = row.find(["th", "td"])
                assert first.name == "th" and first["scope"] == "row"
                assert len(row.select("th, td")) == len(headings)
            assert figure.select_one(".evidence-figure-note").get_text(strip=True)
    assert not page.select("section#support figure")  # nothing to chart there
    # every chart and table id is unique on the page
    ids = [element["id"] for element in page.select("[id]")]
    assert len(ids) == len(set(ids))


def test_the_trend_table_shows_the_disclosed_monthly_totals(lead):
    page = soup(lead.get(EVIDENCE))
    obs = observations()
    totals = obs.groupby("period")[["value", "denominator"]].sum().sort_index()
    shown = figure_table(page, "trend")
    assert [row[0] for row in shown] == [dashboard.month_label(p) for p in totals.index]
    for row, (_, total) in zip(shown, totals.iterrows(), strict=True):
        numerator, denominator = int(total["value"]), int(total["denominator"])
        assert row[1] == disclosed(numerator)
        assert row[2] == disclosed(denominator)
        assert row[3] == f"{100 * numerator / denominator:.1f}%"  # from the unrounded counts


def test_the_decile_table_shows_the_disclosed_totals_of_each_decile(lead, demo):
    """Deciles worked out here from the practices' IMD scores, weighted by list size."""
    page = soup(lead.get(EVIDENCE))
    practices = sorted(((p.imd_score, p.ods_code, p.registered_patients)
                        for p in demo["practices"] if p.active and p.imd_score is not None),
                       key=lambda p: (-p[0], p[1]))
    whole = sum(size for _, _, size in practices)
    decile, before = {}, 0
    for _, code, size in practices:
        decile[code] = min(10, int(10 * (before + size / 2) / whole) + 1)
        before += size
    latest = demo_periods()[-1]
    obs = observations(latest)
    obs["decile"] = obs["organisation__ods_code"].map(decile)
    totals = obs.groupby("decile")[["value", "denominator"]].sum()
    shown = {row[0]: row for row in figure_table(page, "deciles")}
    assert set(shown) == {str(d) for d in totals.index}
    for group, total in totals.iterrows():
        numerator, denominator = int(total["value"]), int(total["denominator"])
        row = shown[str(group)]
        assert row[1:4] == [disclosed(numerator), disclosed(denominator),
                            f"{100 * numerator / denominator:.1f}%"], group
    caption = page.select_one("figure#figure-deciles figcaption").get_text(strip=True)
    assert caption.endswith(dashboard.month_label(latest))


def test_a_small_count_is_shown_as_a_star_and_its_rate_is_neither_shown_nor_drawn(lead):
    from services_catalogue.models import UptakeObservation

    first = demo_periods()[0]
    month = UptakeObservation.objects.filter(service__slug="nhs-app", metric="registrations",
                                             period=first)
    keep = month.order_by("organisation__ods_code").values_list("organisation_id",
                                                                flat=True).first()
    month.exclude(organisation_id=keep).update(value=0)
    month.filter(organisation_id=keep).update(value=3)
    page = soup(lead.get(EVIDENCE))
    row = figure_table(page, "trend")[0]
    assert row[0] == dashboard.month_label(first)
    denominator = int(observations(first)["denominator"].sum())
    assert row[1:] == ["*", disclosed(denominator), "*", "*", "*"]
    desc = page.select_one("#chart-trend-desc").get_text()
    assert dashboard.month_label(first) not in desc  # the chart starts a month later
    assert dashboard.month_label(demo_periods()[1]) in desc


def test_the_capability_tables_count_the_practices_delivering_each_capability(lead, demo):
    from services_catalogue.practices import practice_offer

    offered, total = {}, 0
    for practice in demo["practices"]:
        if not practice.active:
            continue
        total += 1
        for row in practice_offer(practice):
            offered[row.capability.name] = offered.get(row.capability.name, 0) + row.offered
    page = soup(lead.get(EVIDENCE))
    coverage = figure_table(page, "coverage")
    assert {row[0] for row in coverage} == set(offered)
    for name, delivered, share in coverage:
        assert delivered == f"{offered[name]} of {total}"
        assert share == f"{100 * offered[name] / total:.1f}%"  # as the chart labels it
    names = {row[0] for row in figure_table(page, "self_service")}
    assert names and names < set(offered)


# -- the cached result, shared with the PDF -----------------------------------------------

def test_the_cached_evidence_result_holds_the_figures(demo):
    status = results.request("evidence", {})
    assert status.ready
    sections, sources, by_key = status.result
    assert {s.key for s in sections} == set(by_key) == set(evidence.RULES)
    for key, keys in WITH_FIGURES.items():
        assert [f.key for f in by_key[key]] == keys
        assert all(isinstance(f, Figure) and f.chart.startswith("<svg") for f in by_key[key])
    assert cache.get(results.result_key("evidence", {}))[2].keys() == by_key.keys()
    # drawing the charts is one more step of the run, and the bar ends full
    run = status.run
    assert run.progress_done == run.progress_total == len(evidence_figures.STEPS)
    assert run.progress_step == evidence_figures.STEP


def test_progress_totals_stay_the_same_throughout(demo):
    heard = []
    evidence_figures.sections_and_figures(progress=lambda *args: heard.append(args))
    assert {total for _, total, _ in heard} == {len(evidence_figures.STEPS)}
    assert [done for done, _, _ in heard] == sorted(done for done, _, _ in heard)
    assert heard[-1] == (len(evidence.STEPS), len(evidence_figures.STEPS),
                         evidence_figures.STEP)

    cache.clear()
    heard.clear()
    evidence_pdf.context(progress=lambda *args: heard.append(args))
    total = len(evidence.STEPS) + len(evidence_pdf.PDF_STEPS)
    assert {t for _, t, _ in heard} == {total}
    assert heard[-1][2] == evidence_pdf.PDF_STEPS[0]


def test_the_pdf_prints_the_cached_figures_without_computing_them_again(demo, monkeypatch):
    sections, _, by_key = results.request("evidence", {}).result

    def recompute(*args, **kwargs):
        raise AssertionError("the evidence was computed again")

    monkeypatch.setattr(evidence_figures, "sections_and_figures", recompute)
    monkeypatch.setattr(evidence, "sections", recompute)
    ctx = evidence_pdf.context()
    assert [item.section.key for item in ctx["sections"]] == [s.key for s in sections]
    for item in ctx["sections"]:
        assert [f.title for f in item.figures] == [f.title for f in by_key[item.section.key]]
        assert [f.rows for f in item.figures] == [f.rows for f in by_key[item.section.key]]


def test_the_result_key_carries_the_result_format(demo, monkeypatch):
    version = results.data_version()
    key = results.result_key("evidence", {}, version)
    assert f":v{results.RESULT_FORMAT}:" in key
    monkeypatch.setattr(results, "RESULT_FORMAT", results.RESULT_FORMAT - 1)
    assert results.result_key("evidence", {}, version) != key


def test_an_evidence_result_cached_before_the_figures_is_never_read(lead, monkeypatch):
    """The page used to cache (sections, sources); under the old key that pair must not be
    read, or unpacking it would break the page."""
    sections, sources = evidence.sections()
    version = results.data_version()
    old_keys = {
        # the key as it was before it had a format
        f"inclusion:result:{version}:{results._params_hash('evidence', {})}",
    }
    with monkeypatch.context() as patch:
        patch.setattr(results, "RESULT_FORMAT", results.RESULT_FORMAT - 1)
        old_keys.add(results.result_key("evidence", {}, version))
    for key in old_keys:
        cache.set(key, (sections, sources), 600)
    response = lead.get(EVIDENCE)
    assert response.status_code == 200
    assert soup(response).select("section#coverage figure svg[role=img]")
    assert len(results.evidence_result()) == 3


def test_figure_tables_suppress_small_counts_and_round_the_others():
    frame = pd.DataFrame({
        "label": ["A", "B", "C"], "numerator": [3, 12, 0], "denominator": [40, 1001, 9],
        "rate": [3 / 40, 12 / 1001, 0.0], "lower": [0.02, 0.006, 0.0],
        "upper": [0.2, 0.02, 0.3]})
    table = dashboard.Table("t", "T", frame, [("label", "Group"), *dashboard.RATE_COLUMNS])
    headings, rows = evidence_figures._board_table(table)
    assert headings == ["Group", "Numerator", "Denominator", "Rate", "95% CI lower",
                        "95% CI upper"]
    assert rows == [["A", "*", "40", "*", "*", "*"],
                    ["B", "10", "1,000", "1.2%", "0.6%", "2.0%"],
                    ["C", "0", "10", "0.0%", "0.0%", "30.0%"]]
    assert [row["label"] for row in evidence_figures._chart_rows(table)] == ["B", "C"]


def test_the_pdf_module_still_offers_the_moved_names():
    assert evidence_pdf.Figure is evidence_figures.Figure
    assert evidence_pdf.figures is evidence_figures.figures
    assert evidence_pdf.PrintSection is evidence_figures.SectionFigures

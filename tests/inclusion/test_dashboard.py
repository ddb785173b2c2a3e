"""The inclusion dashboard: who may see it, what it shows, and what its exports disclose."""

import csv
import io

import openpyxl
import pytest
from bs4 import BeautifulSoup

from inclusion import charts
from inclusion.dashboard import DIMENSIONS
from inclusion.views import DEMO_WARNING
from portal.demo.uptake import demo_periods

pytestmark = pytest.mark.django_db

URL = "/admin/inclusion/"
TABLES = ("groups", "ics", "gap", "sii", "trend", "funnel", "lowest")


def soup(response):
    return BeautifulSoup(response.content.decode(), "html.parser")


def test_inclusion_lead_sees_every_table(lead):
    response = lead.get(URL)
    assert response.status_code == 200
    page = soup(response)
    for name in TABLES:
        table = page.select_one(f"table#table-{name}")
        assert table is not None, name
        assert table.select_one("caption").get_text(strip=True)
    assert len(page.select("table#table-groups tbody tr")) == 38  # practices by default
    assert page.select_one(".inclusion-demo-warning").get_text(strip=True)
    method = page.select_one("#method").get_text(" ", strip=True)
    assert "IMD 2019 score" in method
    # the method's plain-English text only: its internal name is nowhere on the page
    assert "practice_score" not in page.get_text() and page.select_one("#method code") is None
    assert "synthetic registered population by age" in method and "Age band" in method
    assert "ecological" in method


def test_deprivation_dimension_and_headlines(lead):
    period = demo_periods()[-1].strftime("%Y-%m")
    response = lead.get(URL, {"service": "nhs-app", "metric": "registrations",
                              "period": period, "dimension": "imd_quintile"})
    assert response.status_code == 200
    page = soup(response)
    rows = page.select("table#table-groups tbody tr")
    assert [r.select_one("th").get_text(strip=True) for r in rows] == ["1", "2", "3", "4", "5"]
    rates = [float(r.select("td")[2].get_text(strip=True).rstrip("%")) for r in rows]
    assert rates[0] < rates[-1]  # the most deprived quintile has the lowest uptake
    headlines = page.select_one("#headlines").get_text(" ", strip=True)
    assert "Slope index of inequality" in headlines and "Gap between" in headlines
    assert "practice IMD score" in page.select_one("#method").get_text(" ") or \
        "IMD 2019 score" in page.select_one("#method").get_text(" ")


@pytest.mark.parametrize("dimension", [d for d, _ in DIMENSIONS] + ["age_band"])
def test_every_dimension_renders(lead, dimension):
    response = lead.get(URL, {"service": "nhs-login", "metric": "registrations",
                              "dimension": dimension})
    assert response.status_code == 200
    assert soup(response).select("table#table-groups tbody tr")


def test_svg_charts_are_accessible(lead):
    page = soup(lead.get(URL))
    svgs = page.select("svg.inclusion-chart")
    assert len(svgs) >= 2
    for svg in svgs:
        assert svg["role"] == "img"
        ids = svg["aria-labelledby"].split()
        for ident in ids:
            element = svg.find(id=ident)
            assert element is not None and element.get_text(strip=True)
        assert svg.find("title") is not None and svg.find("desc") is not None


def test_chart_labels_are_escaped():
    svg = charts.bar_chart("x", "<b>", "<script>", [
        {"label": "<script>alert(1)</script>", "rate": 0.5, "lower": 0.4, "upper": 0.6}])
    assert "<script>" not in svg and "&lt;script&gt;" in svg


def test_comms_editor_is_refused(client, member, demo):
    client.force_login(member("Comms editors"))
    response = client.get(URL)
    assert response.status_code in (302, 403)
    assert b"table-groups" not in response.content
    response = client.get(URL, {"format": "csv", "table": "groups"})
    assert response.status_code in (302, 403)


def test_anonymous_is_sent_to_login(client, demo):
    response = client.get(URL)
    assert response.status_code == 302


def test_superuser_may_see_it(client, django_user_model, demo):
    client.force_login(django_user_model.objects.create_superuser("boss", "b@example.org", "pw"))
    assert client.get(URL).status_code == 200


def _check_counts(values):
    for value in values:
        if value in ("", "*"):
            continue
        number = float(value)
        assert number == int(number)
        assert not 1 <= number <= 7
        assert int(number) % 5 == 0


@pytest.mark.parametrize("dimension", ["practice", "imd_decile"])
def test_csv_exports_are_suppressed(lead, dimension):
    for name in TABLES:
        response = lead.get(URL, {"service": "home-blood-pressure-monitoring",
                                  "metric": "active_users", "dimension": dimension,
                                  "format": "csv", "table": name})
        assert response.status_code == 200, name
        assert response["Content-Type"].startswith("text/csv")
        text = response.content.decode("utf-8-sig")
        lines = text.splitlines()
        assert next(csv.reader([lines[0]]))[0] == DEMO_WARNING
        rows = list(csv.DictReader(io.StringIO("\n".join(lines[1:]))))
        for column in ("Numerator", "Denominator"):
            if rows and column in rows[0]:
                _check_counts(row[column] for row in rows)
        assert rows or name == "sii"


def test_xlsx_export_is_suppressed_and_warned(lead):
    response = lead.get(URL, {"service": "nhs-app", "metric": "logins", "dimension": "practice",
                              "format": "xlsx", "table": "groups"})
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == DEMO_WARNING
    headings = list(rows[1])
    numerators = [str(r[headings.index("Numerator")]) for r in rows[2:]]
    denominators = [str(r[headings.index("Denominator")]) for r in rows[2:]]
    assert len(numerators) == 38
    _check_counts(numerators + denominators)
    assert any(DEMO_WARNING == row[0] for row in book["About"].iter_rows(values_only=True))


def test_small_counts_are_starred_in_exports(lead, demo):
    from services_catalogue.models import UptakeObservation
    row = UptakeObservation.objects.filter(service__slug="home-blood-pressure-monitoring",
                                           metric="active_users").order_by("-period").first()
    UptakeObservation.objects.filter(pk=row.pk).update(value=3)
    response = lead.get(URL, {"service": "home-blood-pressure-monitoring",
                              "metric": "active_users", "period": row.period.strftime("%Y-%m"),
                              "dimension": "practice", "format": "csv", "table": "groups"})
    text = response.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO("\n".join(text.splitlines()[1:]))))
    starred = [r for r in rows if r["Numerator"] == "*"]
    assert len(starred) == 1 and starred[0]["Rate"] == "*"
    # on screen the lead sees the exact figure
    page = soup(lead.get(URL, {"service": "home-blood-pressure-monitoring",
                               "metric": "active_users",
                               "period": row.period.strftime("%Y-%m"), "dimension": "practice"}))
    cells = [r.select("td")[0].get_text(strip=True) for r in page.select("#table-groups tbody tr")]
    assert "3" in cells


@pytest.mark.parametrize("params", [
    {"service": "<script>", "metric": "x" * 5000, "period": "9999-99", "dimension": "lsoa"},
    {"period": "2020-13"}, {"period": "1900-01"}, {"dimension": ""}, {"service": "nhs-app\x00"},
    {"format": "csv", "table": "nope"}, {"format": "xlsx"}, {"format": "pdf", "table": "groups"},
    {"service": ["nhs-app", "nhs-login"], "metric": "transactions"},
    {"service": "adult-social-care-online"},
])
def test_hostile_params_never_500(lead, params):
    response = lead.get(URL, params)
    assert response.status_code in (200, 400)
    if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
        assert b'value="<script>"' not in response.content


def test_invalid_choices_show_form_errors(lead):
    response = lead.get(URL, {"service": "no-such-service", "dimension": "imd_decile"})
    assert response.status_code == 200
    page = soup(response)
    assert page.select_one(".help-critical") is not None
    assert len(page.select("table#table-groups tbody tr")) == 10


EVIDENCE = "/admin/inclusion/evidence/"


def test_evidence_page_has_every_section_with_a_rule(lead):
    response = lead.get(EVIDENCE)
    assert response.status_code == 200
    page = soup(response)
    assert page.select_one(".inclusion-demo-warning") is not None
    for key in ("coverage", "use", "self_service", "records", "support", "gaps"):
        section = page.select_one(f"section#{key}")
        assert section is not None, key
        assert section.select_one(".evidence-rag")["data-rag"] in {"green", "amber", "red",
                                                                   "grey"}
        assert section.select_one(".evidence-rule").get_text(strip=True).startswith("Rule:")
        assert section.select_one(".evidence-sources").get_text(strip=True)
    gaps = page.select_one("section#gaps").get_text(" ", strip=True)
    assert "Slope index of inequality" in gaps
    assert "Demonstration data (synthetic)" in page.select_one("section#use").get_text()


def test_evidence_page_refused_for_a_comms_editor(client, member, demo):
    client.force_login(member("Comms editors"))
    response = client.get(EVIDENCE)
    assert response.status_code in (302, 403)
    assert b"evidence-section" not in response.content


def _wilson(x, n, z=1.959963984540054):
    """Wilson score limits computed here, independently of inclusion.stats."""
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * ((p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5) / (1 + z * z / n)
    return centre - half, centre + half


def test_age_bands_share_each_practice_uptake_by_its_patients_ages(lead, demo):
    """Ecological apportionment, recomputed by hand from the database for one month."""
    from inclusion.models import PracticeAgePopulation
    from services_catalogue.models import UptakeObservation

    period = demo_periods()[-1]
    page = soup(lead.get(URL, {"service": "nhs-app", "metric": "registrations",
                               "period": period.strftime("%Y-%m"), "dimension": "age_band"}))
    assert "ecological" in page.select_one("#community-method").get_text()
    shown = {}
    for row in page.select("#table-groups tbody tr"):
        cells = [c.get_text(strip=True) for c in row.select("th, td")]
        shown[cells[0]] = cells
    ages = {}
    for band in PracticeAgePopulation.objects.values("practice__ods_code", "age_band",
                                                     "age_from", "age_to", "patients"):
        ages.setdefault(band["practice__ods_code"], []).append(band)
    numerators, denominators = {}, {}
    for obs in UptakeObservation.objects.filter(service__slug="nhs-app", metric="registrations",
                                                period=period).values(
            "organisation__ods_code", "value"):
        bands = ages[obs["organisation__ods_code"]]
        # patients aged 13+ in each band (10-14 counts two fifths)
        eligible = {}
        for b in bands:
            top = b["age_to"] if b["age_to"] is not None else b["age_from"]
            if top < 13:
                continue
            share = 1.0 if b["age_from"] >= 13 else (top - 13 + 1) / (top - b["age_from"] + 1)
            eligible[b["age_band"]] = b["patients"] * share
        total = sum(eligible.values())
        for band, count in eligible.items():
            numerators[band] = numerators.get(band, 0) + obs["value"] * count / total
            denominators[band] = denominators.get(band, 0) + count
    assert set(shown) == set(numerators)
    for band in ("15-19", "70-74", "90+"):
        rate = numerators[band] / denominators[band]
        lower, upper = _wilson(numerators[band], denominators[band])
        assert shown[band][3] == f"{100 * rate:.1f}%"
        assert shown[band][4] == f"{100 * lower:.1f}%" and shown[band][5] == f"{100 * upper:.1f}%"
    # the demo's older practices take the app up less
    assert numerators["80-84"] / denominators["80-84"] < numerators["30-34"] / \
        denominators["30-34"]


def test_the_practices_furthest_below_expectation_are_linked_to_the_catalogue(lead, demo):
    from services_catalogue.models import InclusionSupport, Organisation
    from services_catalogue.practices import practice_offer

    page = soup(lead.get(URL, {"service": "nhs-app", "metric": "registrations",
                               "dimension": "practice"}))
    rows = page.select("#table-lowest tbody tr")
    assert 0 < len(rows) <= 10
    funnel_z = {}
    for row in page.select("#table-funnel tbody tr"):
        cells = [c.get_text(strip=True) for c in row.select("th, td")]
        funnel_z[cells[0]] = float(cells[9])
    zs = []
    for row in rows:
        cells = [c.get_text(strip=True) for c in row.select("th, td")]
        label, place, z, missing, support = cells[0], cells[1], float(cells[6]), cells[7], cells[8]
        assert z < 0 and z == funnel_z[label]
        zs.append(z)
        code = label.rsplit("(", 1)[1].rstrip(")")
        practice = Organisation.objects.get(ods_code=code)
        assert place == practice.place
        lacking = [row.capability.name for row in practice_offer(practice) if not row.offered]
        assert missing == ("; ".join(lacking) or "Nothing: all delivered")
        local = sorted(InclusionSupport.objects.filter(active=True, place=practice.place)
                       .values_list("name", flat=True))
        assert support == ("; ".join(local) or "None listed")
    assert zs == sorted(zs)
    # the lowest z of all the practices is the first row
    assert zs[0] == min(funnel_z.values())


def test_evidence_counts_the_places_with_inclusion_support(lead, demo):
    from services_catalogue.models import InclusionSupport, Organisation

    places = set(Organisation.objects.filter(kind="gp_practice", active=True)
                 .exclude(place="").values_list("place", flat=True))
    supported = places & set(InclusionSupport.objects.filter(active=True)
                             .values_list("place", flat=True))
    section = soup(lead.get(EVIDENCE)).select_one("section#support")
    text = section.get_text(" ", strip=True)
    assert f"{len(supported)} of {len(places)} places" in text
    expected = "green" if supported == places else (
        "amber" if 2 * len(supported) >= len(places) else "red")
    assert section.select_one(".evidence-rag")["data-rag"] == expected

    # withdraw the support of one place: it is named, and the status is no longer green
    place = sorted(supported)[0]
    InclusionSupport.objects.filter(place=place).update(active=False)
    from portal.cache import invalidate_public_pages
    invalidate_public_pages()  # a queryset update sends no signal; the admin's save does
    section = soup(lead.get(EVIDENCE)).select_one("section#support")
    assert place in section.get_text(" ", strip=True)
    assert section.select_one(".evidence-rag")["data-rag"] != "green"


def test_evidence_reports_the_nhs_website_even_without_figures(lead):
    use = soup(lead.get(EVIDENCE)).select_one("section#use").get_text(" ", strip=True)
    assert "NHS website" in use


def _board(rate=None):
    from types import SimpleNamespace

    return SimpleNamespace(ics={"rate": rate} if rate is not None else None)


def test_the_chart_summary_names_groups_tied_at_the_top_and_bottom_together():
    from inclusion.views import _summary_groups

    bands = ["10-14", "15-19", "20-24", "25-29", "65-69", "70-74"]
    rates = [0.4571, 0.4569, 0.4572, 0.4570, 0.4501, 0.4498]  # 45.7% and 45.0% as shown
    text = _summary_groups(_board(0.455), [{"label": b, "rate": r} for b, r in
                                          zip(bands, rates, strict=True)])
    assert text.startswith("6 groups. Highest: 10-14, 15-19 and 2 other groups at 45.7%; "
                           "lowest: 65-69 and 70-74 at 45.0%. The ICS rate is 45.5%.")


def test_the_chart_summary_names_a_single_highest_and_lowest_group():
    from inclusion.views import _summary_groups

    rows = [{"label": "A", "rate": 0.61}, {"label": "B", "rate": 0.52}, {"label": "C", "rate": 0.4}]
    assert _summary_groups(_board(), rows).startswith(
        "3 groups. Highest: A at 61.0%; lowest: C at 40.0%. The table")


def test_the_chart_summary_says_when_every_group_has_the_same_rate():
    from inclusion.views import _summary_groups

    rows = [{"label": x, "rate": 0.5} for x in "ABC"]
    assert _summary_groups(_board(), rows).startswith("3 groups, all at 50.0%.")

"""The offer matrix: organisations against the consistent offer, coverage and the gap list."""

import csv
import io
import re

import openpyxl
import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inclusion.evidence import THRESHOLDS, percent_text
from services_catalogue.models import Capability, ConsistentOffer, Offer, Organisation
from services_catalogue.offer_matrix import (
    KIND_NOTE,
    MatrixFilterForm,
    gaps_csv,
    gaps_xlsx,
    neutralise,
    offer_matrix,
    share_text,
)
from services_catalogue.practices import practice_offer
from tests.factories import OrganisationFactory, make_service

pytestmark = pytest.mark.django_db

MATRIX = "/admin/offer-matrix/"


@pytest.fixture
def small_pcn(demo):
    """A new PCN with two practices whose offers are known exactly."""
    icb = Organisation.objects.get(kind="icb")
    pcn = OrganisationFactory(kind="pcn", parent=icb, name="Test PCN", place="Testville")
    full = OrganisationFactory(parent=pcn, name="A Full Practice", place="Testville")
    empty = OrganisationFactory(parent=pcn, name="B Empty Practice", place="Testville")
    Offer.objects.create(organisation=full, service=demo["services"]["nhs-app"])
    return pcn, full, empty


def page_rows(client, ods_code):
    """The public practice page, as {capability slug: [service titles] or None for a gap}:
    the services offered there, not the national ones it names beside them."""
    response = client.get(f"/practices/{ods_code}/")
    assert response.status_code == 200
    rows = {}
    for tr in BeautifulSoup(response.content, "html.parser").select("tr[data-capability]"):
        cell = tr.select_one("td")
        if cell.select_one(".dfd-offer-gap"):
            rows[tr["data-capability"]] = None
        else:
            rows[tr["data-capability"]] = [a.get_text(strip=True)
                                           for a in cell.select("a:not(.dfd-national-too a)")]
    return rows


def matrix_rows(matrix, ods_code):
    row = next(r for r in matrix.rows if r.organisation.ods_code == ods_code)
    return {
        cell.capability.slug: [s.title for s in cell.services] if cell.offered else None
        for cell in row.cells
    }


def test_the_matrix_agrees_with_every_demo_practice_page(client, demo):
    matrix = offer_matrix()
    assert len(matrix.rows) == len(demo["practices"])
    for practice in demo["practices"]:
        assert matrix_rows(matrix, practice.ods_code) == page_rows(client, practice.ods_code), (
            practice.ods_code
        )


def test_the_matrix_and_practice_offer_give_the_same_rows_for_every_practice(demo):
    matrix = offer_matrix()
    for practice in demo["practices"]:
        expected = [(r.capability.pk, [s.pk for s in r.services], r.national_default)
                    for r in practice_offer(practice)]
        row = next(r for r in matrix.rows if r.organisation.pk == practice.pk)
        assert [(c.capability.pk, [s.pk for s in c.services], c.national_default)
                for c in row.cells] == expected


def test_pcn_and_icb_offers_count_for_the_practice_in_the_matrix(demo, small_pcn):
    pcn, full, empty = small_pcn
    Offer.objects.create(organisation=pcn, service=demo["services"]["nhs-111-online"])
    cells = matrix_rows(offer_matrix({"pcn": pcn.ods_code, "kind": "gp_practice"}), empty.ods_code)
    assert cells["self-triage"] == ["NHS 111 online"]
    assert "Physiotherapy self-referral" in cells["referral"]  # offered by the ICB


def test_the_matrix_costs_the_same_number_of_queries_however_many_practices(demo):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            matrix = offer_matrix()
            assert matrix.gaps is not None and matrix.capability_coverage
        return len(captured.captured_queries)

    small = queries()
    pcn = demo["practices"][0].parent
    capabilities = list(Capability.objects.all())
    for n in range(30):
        practice = OrganisationFactory(parent=pcn)
        service = make_service(demo["services_index"], capabilities=capabilities[n % 6:n % 6 + 3])
        offer = Offer.objects.create(organisation=practice, service=service)
        offer.capabilities.set(capabilities[n % 6:n % 6 + 1])
        offer.save()
    assert queries() == small


def test_coverage_is_a_percentage_per_capability_and_per_organisation(demo, small_pcn):
    pcn, full, empty = small_pcn
    matrix = offer_matrix({"kind": "gp_practice", "pcn": pcn.ods_code})
    assert [r.organisation for r in matrix.rows] == [full, empty]
    items = list(ConsistentOffer.current_items())
    nhs_app = set(demo["services"]["nhs-app"].capabilities.values_list("pk", flat=True))
    icb_delivers = {c.capability.pk for c in matrix.rows[1].cells if c.offered}
    full_count = sum(1 for i in items if i.capability_id in nhs_app | icb_delivers)
    assert matrix.rows[0].coverage == round(100 * full_count / len(items))
    assert matrix.rows[1].coverage == round(100 * len(icb_delivers) / len(items))
    coverage = {c.item.capability.slug: c.coverage for c in matrix.capability_coverage}
    assert coverage["prescriptions"] == 50  # the NHS App at one of the two practices
    assert coverage["contribute-record"] == 0


def test_the_gap_list_names_organisation_pcn_place_capability_and_national_default(
    demo, small_pcn
):
    pcn, full, empty = small_pcn
    matrix = offer_matrix({"pcn": pcn.ods_code, "kind": "gp_practice"})
    gaps = [gap.as_list() for gap in matrix.gaps]
    assert [empty.name, empty.ods_code, "Test PCN", "Testville",
            "Medications and repeat prescriptions", ""] in gaps
    assert [empty.name, empty.ods_code, "Test PCN", "Testville",
            "Self triage", "NHS 111 online"] in gaps
    assert not any(gap[0] == full.name and gap[4] == "Medications and repeat prescriptions"
                   for gap in gaps)


def test_filters_choose_organisations_by_kind_place_and_pcn(demo, small_pcn):
    pcn, full, empty = small_pcn
    assert {r.organisation for r in offer_matrix({"place": "Testville"}).rows} >= {full, empty, pcn}
    assert [r.organisation for r in offer_matrix({"kind": "pcn", "place": "Testville"}).rows] == [pcn]
    blyth = {r.organisation.ods_code for r in offer_matrix(
        {"kind": "gp_practice", "place": "Blyth"}).rows}
    assert blyth == {p.ods_code for p in demo["practices"] if p.place == "Blyth"}


def test_inactive_organisations_are_left_out(demo, small_pcn):
    pcn, full, empty = small_pcn
    empty.active = False
    empty.save()
    assert [r.organisation for r in offer_matrix({"pcn": pcn.ods_code}).rows] == [full, pcn]


def test_csv_and_xlsx_cells_that_look_like_formulas_are_neutralised(demo, small_pcn):
    pcn, full, empty = small_pcn
    empty.name = "=HYPERLINK(\"http://evil.example\",\"click\")"
    empty.place = "+Testville"
    empty.save()
    pcn.name = "@SUM(A1:A2)"
    pcn.save()
    matrix = offer_matrix({"pcn": pcn.ods_code, "kind": "gp_practice"})

    rows = list(csv.reader(io.StringIO(gaps_csv(matrix).lstrip("\ufeff"))))
    assert rows[0] == ["Organisation", "ODS code", "PCN", "Place", "Capability", "National default"]
    hostile = [row for row in rows[1:] if row[1] == empty.ods_code]
    assert hostile and all(row[0].startswith("'=") and row[2] == "'@SUM(A1:A2)"
                           and row[3] == "'+Testville" for row in hostile)

    sheet = openpyxl.load_workbook(io.BytesIO(gaps_xlsx(matrix))).active
    values = [[cell for cell in row] for row in sheet.iter_rows(min_row=2)]
    cells = [row for row in values if row[1].value == empty.ods_code]
    assert cells and all(row[0].value == empty.name and row[0].data_type == "s" for row in cells)
    assert all(cell.data_type == "s" for row in values for cell in row if cell.value is not None)
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)


def test_neutralise_leaves_ordinary_text_alone():
    assert neutralise("Railway Medical Group") == "Railway Medical Group"
    assert neutralise("-1") == "'-1"
    assert neutralise(None) == ""


# --- The admin page -----------------------------------------------------------------------


def test_the_matrix_page_shows_practices_against_the_consistent_offer(client, member, demo):
    client.force_login(member("Inclusion leads"))
    response = client.get(MATRIX)
    assert response.status_code == 200
    page = BeautifulSoup(response.content, "html.parser")
    table = page.select_one("table#offer-matrix")
    assert table.select_one("caption").get_text(strip=True)
    assert len(table.select("tbody tr[data-ods-code]")) == len(demo["practices"])
    assert all(th.get("scope") in ("col", "row") for th in table.select("th"))
    columns = [th["data-capability"] for th in table.select("thead th[data-capability]")]
    assert columns == [item.capability.slug for item in ConsistentOffer.current_items()]
    gap_cells = table.select("td.dfd-gap")
    assert gap_cells and all(td.get_text(strip=True) == "Gap" for td in gap_cells)
    assert table.find_parent(attrs={"role": "region"}) is not None


def test_the_matrix_page_cells_match_the_practice_page(client, member, demo):
    client.force_login(member("Comms editors"))
    page = BeautifulSoup(client.get(MATRIX).content, "html.parser")
    ods = "A84009"
    row = page.select_one(f"tr[data-ods-code={ods}]")
    shown = {
        td["data-capability"]: None if "dfd-gap" in td["class"]
        else [s.get_text() for s in td.select("[data-service]")]
        for td in row.select("td[data-capability]")
    }
    client.logout()
    assert shown == page_rows(client, ods)


def test_the_matrix_page_filters_by_place(client, member, demo):
    client.force_login(member("Inclusion leads"))
    page = BeautifulSoup(client.get(MATRIX + "?place=Blyth").content, "html.parser")
    codes = {tr["data-ods-code"] for tr in page.select("tr[data-ods-code]")}
    assert codes == {p.ods_code for p in demo["practices"] if p.place == "Blyth"}


@pytest.mark.parametrize("query", ["?kind=galaxy", "?pcn=<script>", "?place=Atlantis&kind=pcn"])
def test_invalid_filters_show_every_gp_practice_with_a_message(client, member, demo, query):
    client.force_login(member("Inclusion leads"))
    response = client.get(MATRIX + query)
    assert response.status_code == 200
    page = BeautifulSoup(response.content, "html.parser")
    assert "Some filters were not valid" in page.get_text()
    assert len(page.select("tr[data-ods-code]")) == len(demo["practices"])


def test_the_gap_list_downloads_as_csv_and_xlsx(client, member, demo):
    client.force_login(member("Inclusion leads"))
    matrix = offer_matrix()
    response = client.get(MATRIX + "?download=csv")
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 1 + len(matrix.gaps)
    response = client.get(MATRIX + "?place=Blyth&download=xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    blyth = offer_matrix({"kind": "gp_practice", "place": "Blyth"})
    assert sheet.max_row == 1 + len(blyth.gaps)


def test_users_without_view_offer_cannot_see_the_matrix(client, django_user_model, demo):
    user = django_user_model.objects.create_user("nobody", password="pw")
    from django.contrib.auth.models import Permission

    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(user)
    assert client.get(MATRIX).status_code == 302
    assert client.get(MATRIX + "?download=csv").status_code == 302


def test_anonymous_visitors_are_sent_to_sign_in(client, demo):
    response = client.get(MATRIX)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_matrix_page_gives_the_overall_coverage_unrounded_to_one_decimal(
        client, member, demo):
    client.force_login(member("Inclusion leads"))
    matrix = offer_matrix()
    delivered = sum(1 for row in matrix.rows for cell in row.cells if cell.offered)
    cells = sum(len(row.cells) for row in matrix.rows)
    expected = f"{100 * delivered / cells:.1f}% of the consistent offer is delivered"
    page = BeautifulSoup(client.get(MATRIX).content, "html.parser")
    assert expected in " ".join(page.get_text().split())


# --- Coverage figures, the kind of organisation, invalid filters ---------------------------


def shares_on_the_page(page) -> list[str]:
    """Every coverage figure of the matrix page: the headline, each practice's, each
    capability's and the total."""
    return [el.get_text(strip=True) for el in page.select(
        "#matrix-summary [data-coverage], table#offer-matrix td[data-coverage], "
        "table#offer-matrix tfoot td[data-capability]")]


def test_share_text_is_the_evidence_pages_one_decimal_never_rounded_onto_a_threshold():
    assert share_text(100 * 409 / 456) == "89.7%" == percent_text(100 * 409 / 456)
    assert share_text(89.96) == "89.96%"  # not "90.0%": it is amber
    assert share_text(69.96) == "69.96%"  # not "70.0%": it is red
    assert share_text(100.0) == "100.0%" and share_text(0.0) == "0.0%"
    assert share_text(None) == "–"


def test_every_coverage_figure_on_the_page_has_the_headlines_format(client, member, demo):
    client.force_login(member("Inclusion leads"))
    matrix = offer_matrix()
    page = BeautifulSoup(client.get(MATRIX).content, "html.parser")
    headline = page.select_one("#matrix-summary [data-coverage]").get_text(strip=True)
    total = page.select_one("table#offer-matrix tfoot td[data-coverage]").get_text(strip=True)
    assert headline == total == share_text(matrix.coverage_share)
    expected = [share_text(matrix.coverage_share)]
    expected += [share_text(row.coverage_share) for row in matrix.rows]
    expected += [share_text(entry.coverage_share) for entry in matrix.capability_coverage]
    expected += [share_text(matrix.coverage_share)]
    shown = shares_on_the_page(page)
    assert shown == expected and len(shown) == 2 + len(matrix.rows) + len(matrix.items)
    unrounded = ([matrix.coverage_share] + [row.coverage_share for row in matrix.rows]
                 + [entry.coverage_share for entry in matrix.capability_coverage]
                 + [matrix.coverage_share])
    for text, share in zip(shown, unrounded, strict=True):
        assert re.fullmatch(r"\d{1,3}\.\d{1,2}%", text), text
        value = float(text.rstrip("%"))
        assert abs(value - share) < 0.1
        assert not any(share < threshold <= value for threshold in THRESHOLDS), text


def test_the_demo_total_is_not_rounded_up_to_90_percent(client, member, demo):
    client.force_login(member("Inclusion leads"))
    matrix = offer_matrix()
    assert matrix.coverage_share < 90 <= round(matrix.coverage_share)  # the case QA found
    page = BeautifulSoup(client.get(MATRIX).content, "html.parser")
    total = page.select_one("table#offer-matrix tfoot td[data-coverage]").get_text(strip=True)
    assert total == f"{matrix.coverage_share:.1f}%" != "90%"


def test_a_matrix_with_nothing_to_rate_shows_a_dash(client, member, demo, small_pcn):
    pcn, full, empty = small_pcn
    Organisation.objects.filter(pk__in=[full.pk, empty.pk]).update(active=False)
    client.force_login(member("Inclusion leads"))
    page = BeautifulSoup(client.get(MATRIX + f"?pcn={pcn.ods_code}").content, "html.parser")
    assert not page.select("tr[data-ods-code]")
    assert "nothing to show" in page.select_one("#matrix-summary").get_text()
    assert set(shares_on_the_page(page)) == {"–"}


@pytest.mark.parametrize("kind", ["trust", "local_authority", "voluntary", "pcn", "icb", ""])
def test_other_kinds_of_organisation_are_not_listed_and_a_note_says_why(
        client, member, demo, kind):
    client.force_login(member("Inclusion leads"))
    default = BeautifulSoup(client.get(MATRIX).content, "html.parser")
    response = client.get(MATRIX + f"?kind={kind}")
    assert response.status_code == 200
    page = BeautifulSoup(response.content, "html.parser")
    assert page.select_one("#matrix-kind-note").get_text(strip=True) == KIND_NOTE
    assert KIND_NOTE == ("The consistent offer applies to GP practices, so the matrix lists "
                         "GP practices only.")
    assert not page.select("[role=alert]")
    codes = {tr["data-ods-code"] for tr in page.select("tr[data-ods-code]")}
    assert codes == {p.ods_code for p in demo["practices"]}
    # The figures are the GP practices', never a 0% for organisations it does not apply to.
    assert shares_on_the_page(page) == shares_on_the_page(default)
    assert "0.0%" not in page.select_one("#matrix-summary").get_text()


def test_the_kind_is_no_longer_a_choice_and_gp_practice_needs_no_note(client, member, demo):
    client.force_login(member("Inclusion leads"))
    for query in ("", "?kind=gp_practice"):
        page = BeautifulSoup(client.get(MATRIX + query).content, "html.parser")
        assert not page.select("select[name=kind]")
        assert page.select("select[name=place]") and page.select("select[name=pcn]")
        assert not page.select("#matrix-kind-note") and not page.select("[role=alert]")


def test_another_kind_keeps_the_other_filters_and_the_downloads(client, member, demo):
    client.force_login(member("Inclusion leads"))
    page = BeautifulSoup(client.get(MATRIX + "?kind=trust&place=Blyth").content, "html.parser")
    assert page.select_one("#matrix-kind-note")
    codes = {tr["data-ods-code"] for tr in page.select("tr[data-ods-code]")}
    assert codes == {p.ods_code for p in demo["practices"] if p.place == "Blyth"}
    rows = list(csv.reader(io.StringIO(
        client.get(MATRIX + "?kind=trust&download=csv").content.decode("utf-8-sig"))))
    assert len(rows) == 1 + len(offer_matrix().gaps)
    assert MatrixFilterForm({"kind": "voluntary"}).filters() == {"kind": "gp_practice"}


@pytest.mark.parametrize("kind", ["galaxy", "<script>alert(1)</script>", "GP_PRACTICE",
                                  "gp_practice'--", "\x00", "trust\x00"])
def test_an_unknown_kind_is_one_invalid_filter_not_an_error(client, member, demo, kind):
    client.force_login(member("Inclusion leads"))
    response = client.get(MATRIX, {"kind": kind})
    assert response.status_code == 200
    page = BeautifulSoup(response.content, "html.parser")
    alerts = page.select("[role=alert]")
    assert len(alerts) == 1 and "Kind of organisation" in alerts[0].get_text()
    assert "<script>alert(1)" not in response.content.decode()
    assert not page.select("#matrix-kind-note")
    assert len(page.select("tr[data-ods-code]")) == len(demo["practices"])


def test_an_unknown_place_is_reported_once(client, member, demo):
    client.force_login(member("Inclusion leads"))
    response = client.get(MATRIX + "?place=zzz&pcn=U99003")
    assert response.status_code == 200
    page = BeautifulSoup(response.content, "html.parser")
    text = " ".join(page.get_text().split())
    assert text.count("zzz") == 1
    assert text.count("not one of the choices") == 1
    assert text.count("Some filters were not valid") == 1
    alert = page.select("[role=alert]")
    assert len(alert) == 1
    assert " ".join(alert[0].get_text().split()) == (
        "Some filters were not valid, so all GP practices are shown. "
        "Place: “zzz” is not one of the choices.")
    assert not page.select(".error-message, .w-field--error, [aria-invalid]")
    # The form shows what is shown: every place and PCN, not the filters that were ignored.
    assert page.select_one("select[name=place] option[selected]")["value"] == ""
    assert page.select_one("select[name=pcn] option[selected]")["value"] == ""
    assert len(page.select("tr[data-ods-code]")) == len(demo["practices"])


def test_several_invalid_filters_share_the_one_message(client, member, demo):
    client.force_login(member("Inclusion leads"))
    page = BeautifulSoup(client.get(MATRIX + "?place=zzz&pcn=nope").content, "html.parser")
    alerts = page.select("[role=alert]")
    assert len(alerts) == 1
    text = " ".join(alerts[0].get_text().split())
    assert "Place: “zzz”" in text and "Primary care network: “nope”" in text
    assert not page.select(".error-message")

"""The offer matrix: organisations against the consistent offer, coverage and the gap list."""

import csv
import io

import openpyxl
import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from services_catalogue.models import Capability, ConsistentOffer, Offer, Organisation
from services_catalogue.offer_matrix import gaps_csv, gaps_xlsx, neutralise, offer_matrix
from services_catalogue.practices import practice_offer
from tests.factories import OrganisationFactory, make_service

pytestmark = pytest.mark.django_db

MATRIX = "/admin/offer-matrix/"


@pytest.fixture
def member(django_user_model):
    def make(group_name):
        user = django_user_model.objects.create_user(
            group_name.replace(" ", "_").lower(), password="pw"
        )
        user.groups.add(Group.objects.get(name=group_name))
        return user
    return make


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
    """The public practice page, as {capability slug: [service titles] or None for a gap}."""
    response = client.get(f"/practices/{ods_code}/")
    assert response.status_code == 200
    rows = {}
    for tr in BeautifulSoup(response.content, "html.parser").select("tr[data-capability]"):
        cell = tr.select_one("td")
        if cell.select_one(".dfd-offer-gap"):
            rows[tr["data-capability"]] = None
        else:
            rows[tr["data-capability"]] = [a.get_text(strip=True) for a in cell.select("a")]
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

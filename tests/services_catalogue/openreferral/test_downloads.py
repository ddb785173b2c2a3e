"""The whole catalogue as one download for analysts: fully nested JSON, and a flat CSV."""

import csv
import io
import json

import pytest

from services_catalogue.models import Capability, DigitalService
from services_catalogue.openreferral.export import spreadsheet_safe
from tests.factories import make_service

from .support import API, contents, every_page

pytestmark = pytest.mark.django_db


def rows(client) -> list[dict]:
    response = client.get(API + "download.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))


def test_the_json_download_is_every_service_fully_nested_as_an_attachment(client, api, demo):
    response = client.get(API + "download.json")
    assert response["Content-Disposition"].startswith('attachment; filename="')
    assert response["Content-Disposition"].endswith('.json"')
    assert response["Access-Control-Allow-Origin"] == "*"
    services = json.loads(response.content)
    listed = contents(every_page(api, "services", per_page=100))
    assert [s["id"] for s in services] == [s["id"] for s in listed]
    assert services[0] == api(f"services/{services[0]['id']}")


def test_the_csv_download_has_one_row_per_service_with_its_key_facts(client, api, demo):
    response = client.get(API + "download.csv")
    assert response["Content-Disposition"].startswith('attachment; filename="')
    assert response["Content-Disposition"].endswith('.csv"')
    found = {row["name"]: row for row in rows(client)}
    assert len(found) == api("services")["total_items"]
    app = found["NHS App"]
    service = demo["services"]["nhs-app"]
    assert app["id"] == str(service.public_id)
    assert app["organisation"] == "NHS England"
    assert app["capabilities"] == "; ".join(c.name for c in service.capabilities.all())
    assert app["nhs_login"] == "NHS login with proof of identity"
    assert app["in_nhs_app"] == "yes"
    assert app["channels"] == "Website; iPhone app; Android app"
    assert app["catalogue_page"].endswith("/services/nhs-app/")
    portal = found["Physiotherapy self-referral"]
    assert portal["organisation_code"] == "RTF"
    assert portal["offered_through"] == "NHS North East and North Cumbria Integrated Care Board"


def test_csv_cells_cannot_run_as_spreadsheet_formulas(client, demo):
    make_service(
        demo["services_index"], title='=HYPERLINK("https://evil.example","Click")',
        summary="+44 premium-rate", provider="@SUM(A1:A9)", who_can_use="-1+1",
        how_to_start="\t=cmd", cost="Free", capabilities=Capability.objects.filter(slug="advice"),
    )
    row = next(r for r in rows(client) if "HYPERLINK" in r["name"])
    assert row["name"] == '\'=HYPERLINK("https://evil.example","Click")'
    assert row["summary"] == "'+44 premium-rate"
    assert row["organisation"] == "'@SUM(A1:A9)"
    assert row["who_can_use"] == "'-1+1"
    assert row["how_to_start"] == "'\t=cmd"
    assert row["cost"] == "Free"


@pytest.mark.parametrize(("value", "safe"), [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@x", "'@x"), ("\r=x", "'\r=x"),
    ("a=b", "a=b"), ("", ""), (None, ""), ("Free", "Free"),
])
def test_spreadsheet_safe(value, safe):
    assert spreadsheet_safe(value) == safe


def test_drafts_are_not_downloaded(client, demo):
    make_service(demo["services_index"], live=False, title="Hidden draft service")
    assert "Hidden draft service" not in {r["name"] for r in rows(client)}
    assert DigitalService.objects.filter(title="Hidden draft service").exists()

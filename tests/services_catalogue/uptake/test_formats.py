"""The other formats: NHS England's NHS App MI (ICB level) and mapped CSV/JSON files."""

import datetime
import json

import pytest

from services_catalogue.models import Organisation, UptakeObservation, UptakeSource
from services_catalogue.uptake import UptakeImportError, import_uptake_bytes

pytestmark = pytest.mark.django_db

ICB = "QHM"  # NHS North East and North Cumbria ICB, the demo's ICB


def source(name, fmt, mapping=None):
    return UptakeSource.objects.create(name=name, format=fmt, column_mapping=mapping or {})


def test_nhs_app_mi_long_layout_maps_icb_rows_onto_the_icb(demo):
    data = (
        "Month,ICB_Code,ICB_Name,Region_Code,Measure,Value\n"
        f"2025-04,{ICB},NHS North East and North Cumbria ICB,Y63,NHS App monthly logins,1234567\n"
        f"2025-04,{ICB},NHS North East and North Cumbria ICB,Y63,NHS App monthly unique user logins,345678\n"
        f"2025-04,{ICB},NHS North East and North Cumbria ICB,Y63,NHS App account registrations,4567\n"
        f"2025-04,{ICB},NHS North East and North Cumbria ICB,Y63,Something new,1\n"
        "2025-04,QYG,NHS Cheshire and Merseyside ICB,Y62,NHS App monthly logins,999\n"
        "2025-04,QYG,NHS Cheshire and Merseyside ICB,Y62,NHS App monthly logins,not-ours\n"
    ).encode()
    result = import_uptake_bytes(data, source=source("NHS App MI", "nhs_app_mi"))
    icb = Organisation.objects.get(ods_code=ICB)
    got = {(o.metric, o.value) for o in UptakeObservation.objects.filter(organisation=icb)}
    assert got == {("logins", 1234567), ("active_users", 345678), ("registrations", 4567)}
    assert {o.service.slug for o in UptakeObservation.objects.all()} == {"nhs-app"}
    assert set(UptakeObservation.objects.values_list("period", flat=True)) == {
        datetime.date(2025, 4, 1)}
    assert result.skipped == 3  # the unknown measure and the other ICB's two rows


def test_nhs_app_mi_wide_layout_one_column_per_measure(demo):
    data = (
        "Month,ICB ODS code,ICB name,NHS App Logins,NHS App Unique User Logins\n"
        f"Apr-25,{ICB},NENC,100,40\n"
        f"May-25,{ICB},NENC,110,45\n"
        "May-25,QYG,Cheshire,1,1\n"
    ).encode()
    import_uptake_bytes(data, source=source("MI wide", "nhs_app_mi"))
    got = set(UptakeObservation.objects.values_list("period", "metric", "value"))
    assert got == {
        (datetime.date(2025, 4, 1), "logins", 100), (datetime.date(2025, 4, 1), "active_users", 40),
        (datetime.date(2025, 5, 1), "logins", 110), (datetime.date(2025, 5, 1), "active_users", 45),
    }


def test_nhs_app_mi_bad_value_for_our_icb_names_its_line_and_column(demo):
    data = (
        "Month,ICB ODS code,NHS App Logins,NHS App Unique User Logins\n"
        f"2025-04,{ICB},100,-4\n"
    ).encode()
    with pytest.raises(UptakeImportError) as raised:
        import_uptake_bytes(data, source=source("MI bad", "nhs_app_mi"))
    assert "Line 2, column NHS App Unique User Logins: \u201c-4\u201d is negative" in str(raised.value)
    assert not UptakeObservation.objects.exists()


def test_nhs_app_mi_without_our_icb_is_refused(demo):
    data = b"Month,ICB_Code,Measure,Value\n2025-04,QYG,NHS App monthly logins,5\n"
    with pytest.raises(UptakeImportError, match="right file"):
        import_uptake_bytes(data, source=source("MI other", "nhs_app_mi"))


def test_nhs_app_mi_without_a_month_column_is_refused(demo):
    with pytest.raises(UptakeImportError, match="Line 1, column Month: is missing"):
        import_uptake_bytes(b"ICB_Code,Measure,Value\nQHM,Logins,5\n",
                            source=source("MI none", "nhs_app_mi"))


MAPPING = {
    "columns": {"period": "Month", "ods_code": "Practice", "metric": "What", "value": "Count",
                "denominator": "List size"},
    "constants": {"service": "gp-online-consultation"},
    "metric_names": {"Online consultations": "transactions"},
}


def test_mapped_csv_reads_through_the_mapping(demo):
    data = (
        b"Practice,Month,What,Count,List size,Notes\n"
        b"A84002,2025-02-01,Online consultations,321,5903,fine\n"
        b"A84005,2025-02-01,Online consultations,12,,\n"
    )
    import_uptake_bytes(data, source=source("Mapped", "mapped_csv", MAPPING))
    got = set(UptakeObservation.objects.values_list(
        "organisation__ods_code", "service__slug", "metric", "value", "denominator", "period"))
    feb = datetime.date(2025, 2, 1)
    assert got == {("A84002", "gp-online-consultation", "transactions", 321, 5903, feb),
                   ("A84005", "gp-online-consultation", "transactions", 12, None, feb)}


def test_mapped_csv_names_the_files_own_columns_in_problems(demo):
    data = "Practice,Month,What,Count,List size\nA84002,2025-02-01,Online consultations,9,5\n"
    with pytest.raises(UptakeImportError) as raised:
        import_uptake_bytes(data.encode(), source=source("Mapped bad", "mapped_csv", MAPPING))
    assert "Line 2, column Count: 9 is more than its denominator, 5." in str(raised.value)


def test_mapped_csv_missing_mapped_column(demo):
    with pytest.raises(UptakeImportError, match="Line 1, column Count: is missing from the header"):
        import_uptake_bytes(b"Practice,Month,What\nA84002,2025-02,x\n",
                            source=source("Mapped missing", "mapped_csv", MAPPING))


def test_mapped_json_records(demo):
    mapping = {"columns": {"period": "month", "ods_code": "org", "value": "n"},
               "constants": {"service": "nhs-app", "metric": "logins"}, "records": "data"}
    data = json.dumps({"data": [
        {"month": "2025-01", "org": "A84002", "n": 5},
        {"month": "2025-01", "org": "A84005", "n": 7.0},
    ]}).encode()
    import_uptake_bytes(data, source=source("JSON", "mapped_json", mapping))
    assert set(UptakeObservation.objects.values_list("organisation__ods_code", "value")) == {
        ("A84002", 5), ("A84005", 7)}


def test_mapped_json_names_the_record(demo):
    mapping = {"columns": {"period": "month", "ods_code": "org", "value": "n"},
               "constants": {"service": "nhs-app", "metric": "logins"}}
    data = json.dumps([{"month": "2025-01", "org": "A84002", "n": 5},
                       {"month": "2025-01", "org": "A84005", "n": 2.5}]).encode()
    with pytest.raises(UptakeImportError) as raised:
        import_uptake_bytes(data, source=source("JSON bad", "mapped_json", mapping))
    assert "Record 2, column n: \u201c2.5\u201d is not a whole number" in str(raised.value)


def test_invalid_json_is_refused(demo):
    mapping = {"columns": {"period": "m", "ods_code": "o", "value": "n"},
               "constants": {"service": "nhs-app", "metric": "logins"}}
    with pytest.raises(UptakeImportError, match="not valid JSON"):
        import_uptake_bytes(b'[{"m": "2025-01",', source=source("JSON broken", "mapped_json", mapping))


def test_mapping_is_validated_in_the_admin_form(demo):
    from django.core.exceptions import ValidationError

    from services_catalogue.models.uptake import validate_mapping

    validate_mapping(MAPPING)
    with pytest.raises(ValidationError, match="Say which column holds"):
        validate_mapping({"columns": {"period": "Month"}})
    with pytest.raises(ValidationError, match="Unknown mapping keys"):
        validate_mapping({"columns": {}, "colums": {}})

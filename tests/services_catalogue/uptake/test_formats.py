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



def nhs_app_figures():
    """What was stored for the ICB, as (period, metric, value)."""
    return set(UptakeObservation.objects.filter(organisation__ods_code=ICB).values_list(
        "period", "metric", "value"))


JUNE = datetime.date(2025, 6, 1)


def test_nhs_app_mi_skips_rows_without_an_icb_code_and_counts_them(demo):
    # The publication has an "Unknown" ICB row with no code, and may carry an England total.
    data = (
        "Month,ICB ODS code,ICB name,NHS App monthly logins,NHS App monthly unique user logins\n"
        f"2025-06-01,{ICB},NENC,100,40\n"
        "2025-06-01,,Unknown,7,3\n"
        "2025-06-01,  ,England,9999,8888\n"
    ).encode()
    result = import_uptake_bytes(data, source=source("MI blank ICB", "nhs_app_mi"))
    assert nhs_app_figures() == {(JUNE, "logins", 100), (JUNE, "active_users", 40)}
    assert UptakeObservation.objects.count() == 2
    assert result.skipped == 4  # two rows of two figures each (as for other ICBs' rows)


def test_nhs_app_mi_long_layout_skips_a_row_without_an_icb_code(demo):
    data = (
        "Month,ICB_Code,Measure,Value\n"
        f"2025-06,{ICB},NHS App monthly logins,100\n"
        "2025-06,,NHS App monthly logins,7\n"
    ).encode()
    result = import_uptake_bytes(data, source=source("MI blank ICB long", "nhs_app_mi"))
    assert nhs_app_figures() == {(JUNE, "logins", 100)}
    assert result.skipped == 1


@pytest.mark.parametrize("gap", ["", "[x]", "[c]", "[z]", "[u]", "*", "-", ":", "..",
                                 " [X] ", "[C]", "  "])
def test_nhs_app_mi_skips_an_empty_cell_or_a_gap_marker_and_counts_it(demo, gap):
    data = (
        "Month,ICB_Code,Measure,Value\n"
        f"2025-06,{ICB},NHS App monthly logins,100\n"
        f"2025-06,{ICB},NHS App account registrations,{gap}\n"
    ).encode()
    result = import_uptake_bytes(data, source=source("MI gap", "nhs_app_mi"))
    assert nhs_app_figures() == {(JUNE, "logins", 100)}
    assert result.skipped == 1


def test_nhs_app_mi_wide_layout_skips_only_the_withheld_figure(demo):
    # e.g. ICB-level registrations withheld for a month: the row's other figures are kept.
    data = (
        "Month,ICB ODS code,NHS App monthly logins,NHS App account registrations\n"
        f"2025-05,{ICB},90,[x]\n"
        f"2025-06,{ICB},100,25\n"
    ).encode()
    result = import_uptake_bytes(data, source=source("MI withheld", "nhs_app_mi"))
    may = datetime.date(2025, 5, 1)
    assert nhs_app_figures() == {(may, "logins", 90), (JUNE, "logins", 100),
                                 (JUNE, "registrations", 25)}
    assert result.skipped == 1


@pytest.mark.parametrize("text, message", [
    ("x", "\u201cx\u201d is not a whole number."),
    ("[note 1]", "\u201c[note 1]\u201d is not a whole number."),
    ("--", "\u201c--\u201d is not a whole number."),
    ("n/a", "\u201cn/a\u201d is not a number (NaN)"),
])
def test_nhs_app_mi_other_text_is_still_refused_naming_its_line_and_column(demo, text, message):
    data = (
        "Month,ICB ODS code,NHS App Logins,NHS App Unique User Logins\n"
        f"2025-05,{ICB},90,40\n"
        f"2025-06,{ICB},100,{text}\n"
    ).encode()
    with pytest.raises(UptakeImportError) as raised:
        import_uptake_bytes(data, source=source("MI text", "nhs_app_mi"))
    assert f"Line 3, column NHS App Unique User Logins: {message}" in str(raised.value)
    assert not UptakeObservation.objects.exists()


def test_nhs_app_mi_reads_thousands_separators(demo):
    data = (
        "Month,ICB_Code,Measure,Value\n"
        f'2025-06,{ICB},NHS App monthly logins,"1,234,567"\n'
        f'2025-06,{ICB},NHS App monthly unique user logins," 12,345 "\n'
        f"2025-06,{ICB},NHS App account registrations,999\n"
    ).encode()
    import_uptake_bytes(data, source=source("MI thousands", "nhs_app_mi"))
    assert nhs_app_figures() == {(JUNE, "logins", 1234567), (JUNE, "active_users", 12345),
                                 (JUNE, "registrations", 999)}


@pytest.mark.parametrize("text", ["1,23", "1,2345", ",123", "1,234,", "12,34,567"])
def test_nhs_app_mi_refuses_a_malformed_thousands_separator(demo, text):
    data = (
        "Month,ICB ODS code,NHS App monthly logins\n"
        f'2025-06,{ICB},"{text}"\n'
    ).encode()
    with pytest.raises(UptakeImportError) as raised:
        import_uptake_bytes(data, source=source("MI bad thousands", "nhs_app_mi"))
    assert f"Line 2, column NHS App monthly logins: \u201c{text}\u201d is not a whole number" \
        in str(raised.value)
    assert not UptakeObservation.objects.exists()


def test_nhs_app_mi_negative_with_thousands_separator_is_still_refused(demo):
    data = f'Month,ICB ODS code,NHS App monthly logins\n2025-06,{ICB},"-1,234"\n'.encode()
    with pytest.raises(UptakeImportError, match="Line 2, column NHS App monthly logins: .* is "
                                                "negative"):
        import_uptake_bytes(data, source=source("MI negative", "nhs_app_mi"))


def test_nhs_app_mi_recognises_footnote_tags_on_column_names(demo):
    data = (
        "Month (note 2),ICB code [note 1],NHS App monthly logins [note 3],"
        "NHS App unique user logins in 12 months [Note 4]\n"
        f"2025-06,{ICB},100,400\n"
    ).encode()
    import_uptake_bytes(data, source=source("MI notes wide", "nhs_app_mi"))
    assert nhs_app_figures() == {(JUNE, "logins", 100), (JUNE, "active_users_12_months", 400)}


def test_nhs_app_mi_recognises_footnote_tags_on_measure_names(demo):
    data = (
        "Month [note 1],ICB_Code,Measure (note 2),Value [note 3]\n"
        f"2025-06,{ICB},NHS App monthly logins [note 1],100\n"
        f"2025-06,{ICB},NHS App prescription orders (note 5),30\n"
    ).encode()
    result = import_uptake_bytes(data, source=source("MI notes long", "nhs_app_mi"))
    assert nhs_app_figures() == {(JUNE, "logins", 100), (JUNE, "prescription_orders", 30)}
    assert result.skipped == 0


@pytest.mark.parametrize("month_column, org_column, month, expected", [
    ("Reporting_Period_Start", "ICB_Code", "2025-06-01T00:00:00.000", JUNE),
    ("reporting period start date", "ICB_Code", "June-25", JUNE),
    ("Month_Start", "ICB", "Jun 25", JUNE),
    ("Period Start", "ICB", "2025-06-01", JUNE),
    ("period_start_date", "ICB_Code", "01/06/2025", JUNE),
    ("Month", "ICB", "Dec-20", datetime.date(2020, 12, 1)),
])
def test_nhs_app_mi_more_column_names_and_month_formats(demo, month_column, org_column,
                                                        month, expected):
    data = (
        f"{month_column},{org_column},NHS App monthly logins\n"
        f"{month},{ICB},100\n"
    ).encode()
    import_uptake_bytes(data, source=source("MI names", "nhs_app_mi"))
    assert nhs_app_figures() == {(expected, "logins", 100)}


def test_nhs_app_mi_prefers_an_icb_code_column_to_one_just_called_icb(demo):
    data = (
        "Month,ICB,ICB_Code,NHS App monthly logins\n"
        f"2025-06,NHS North East and North Cumbria ICB,{ICB},100\n"
    ).encode()
    import_uptake_bytes(data, source=source("MI ICB name", "nhs_app_mi"))
    assert nhs_app_figures() == {(JUNE, "logins", 100)}


@pytest.mark.parametrize("name, metric", [
    ("NHS App monthly logins", "logins"),
    ("NHS App monthly unique user logins", "active_users"),
    ("NHS App unique user logins in 12 months", "active_users_12_months"),
    ("NHS App unique user logins in the last 12 months", "active_users_12_months"),
    ("NHS App unique users logging in in the last 12 months", "active_users_12_months"),
    ("NHS App prescription orders", "prescription_orders"),
    ("NHS App unique users ordering prescriptions", "prescription_users"),
    ("NHS App account registrations", "registrations"),
    ("NHS App monthly logins [note 1]", "logins"),
    # National-only measures map to nothing.
    ("NHS App all-time account registrations", None),
    ("Pharmacy sites live with prescription tracking", None),
    ("Percentage of pharmacy sites live with prescription tracking", None),
    ("Percentage of pharmacy sites live with prescription tracking [note 2]", None),
])
def test_nhs_app_mi_official_measure_names_map_onto_our_metrics(name, metric):
    from services_catalogue.uptake.parse import nhs_app_metric

    assert nhs_app_metric(name) == metric


def test_nhs_app_mi_national_only_measures_are_skipped(demo):
    data = (
        "Month,ICB_Code,Measure,Value\n"
        f"2025-06,{ICB},NHS App monthly logins,100\n"
        f"2025-06,{ICB},NHS App all-time account registrations,5000\n"
        f"2025-06,{ICB},Pharmacy sites live with prescription tracking,300\n"
        f"2025-06,{ICB},Percentage of pharmacy sites live with prescription tracking,50\n"
    ).encode()
    result = import_uptake_bytes(data, source=source("MI national", "nhs_app_mi"))
    assert nhs_app_figures() == {(JUNE, "logins", 100)}
    assert result.skipped == 3


def test_nhs_app_mi_with_only_gaps_for_our_icb_is_refused(demo):
    data = f"Month,ICB_Code,Measure,Value\n2025-06,{ICB},NHS App monthly logins,[x]\n".encode()
    with pytest.raises(UptakeImportError, match="right file"):
        import_uptake_bytes(data, source=source("MI all gaps", "nhs_app_mi"))


@pytest.mark.parametrize("row, message", [
    ("2025-06-01,,Online consultations,5", "column Practice: is empty"),
    ("2025-06-01,A84002,Online consultations,[x]", "column Count: \u201c[x]\u201d is not a whole number"),
    ("2025-06-01,A84002,Online consultations,", "column Count: is empty"),
    ('2025-06-01,A84002,Online consultations,"1,234"', "column Count: \u201c1,234\u201d is not a whole number"),
    ("June-25,A84002,Online consultations,5", "column Month: \u201cJune-25\u201d is not a month"),
    ("Jun 25,A84002,Online consultations,5", "column Month: \u201cJun 25\u201d is not a month"),
])
def test_mapped_csv_keeps_refusing_what_only_the_nhs_app_format_accepts(demo, row, message):
    mapping = {"columns": {"period": "Month", "ods_code": "Practice", "metric": "What",
                           "value": "Count"},
               "constants": {"service": "gp-online-consultation"},
               "metric_names": {"Online consultations": "transactions"}}
    data = f"Month,Practice,What,Count\n{row}\n".encode()
    with pytest.raises(UptakeImportError) as raised:
        import_uptake_bytes(data, source=source("Mapped strict", "mapped_csv", mapping))
    assert f"Line 2, {message}" in str(raised.value)


@pytest.mark.parametrize("cells", ["[x]", '"1,234"', ""])
def test_own_csv_keeps_refusing_gap_markers_blanks_and_thousands_separators(demo, cells):
    data = f"period,ods_code,service_slug,metric,value\n2025-06,A84002,nhs-app,logins,{cells}\n"
    with pytest.raises(UptakeImportError, match="Line 2, column value"):
        import_uptake_bytes(data.encode(), source=source("Own strict", "dfd_csv"))

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

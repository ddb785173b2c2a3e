"""`import_reference KIND FILE`: community reference data from the public files as published.

Real samples (IMD 2019 File 1 as CSV and XLSX, Fingertips 93553) are read from
shared/data/real beside the project and the tests skip when it is absent; every error case
uses a small hand-made file.  All or nothing: a refused file names its line and column and
changes nothing.
"""

from __future__ import annotations

import csv
import datetime
import io
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from inclusion import analysis, frames
from inclusion.models import (
    LSOA,
    LSOABreakdown,
    LSOALookup,
    PracticeAgePopulation,
    PracticeDeprivation,
    PracticeLSOAPopulation,
    ReferenceImport,
)
from inclusion.reference_import import (
    ReferenceImportError,
    detect_geography,
    import_reference,
    parse_age_band,
    parse_date,
)

pytestmark = pytest.mark.django_db

REAL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real"
IMD_CSV = REAL / "imd2019_lsoa_file1.csv"
IMD_XLSX = REAL / "File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx"
FINGERTIPS = REAL / "fingertips_93553_imd2019_score_by_gp_practice.csv"
DEMO_CSV = Path(__file__).resolve().parents[2] / "portal/demo/data/northumberland_practices.csv"

FILE1_HEADER = (
    "LSOA code (2011),LSOA name (2011),Local Authority District code (2019),"
    "Local Authority District name (2019),Index of Multiple Deprivation (IMD) Rank,"
    "Index of Multiple Deprivation (IMD) Decile\n"
)
LSOA_HEADER = "PUBLICATION,EXTRACT_DATE,PRACTICE_CODE,PRACTICE_NAME,LSOA_CODE,SEX,NUMBER_OF_PATIENTS\n"


def needs(path: Path):
    return pytest.mark.skipif(not path.exists(), reason=f"{path} is not available")


@pytest.fixture(autouse=True)
def _without_demo_reference_data(db):
    """Start from no reference data: the demo ICS has a synthetic registered population by
    age (and its ReferenceImport record); rolled back after each test."""
    PracticeAgePopulation.objects.all().delete()
    ReferenceImport.objects.all().delete()


@pytest.fixture
def write(tmp_path):
    def write(content, name="file.csv"):
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        return str(path)
    return write


@pytest.fixture
def run(write):
    """Run the command on a file; returns (stdout, stderr)."""
    def run(kind, content, *args, name="file.csv"):
        out, err = io.StringIO(), io.StringIO()
        call_command("import_reference", kind, write(content, name), *args, stdout=out, stderr=err)
        return out.getvalue(), err.getvalue()
    return run


@pytest.fixture
def refused(write):
    """Run the command expecting a refusal; returns the message."""
    def refused(kind, content, *args, name="file.csv"):
        with pytest.raises(CommandError) as info:
            call_command("import_reference", kind, write(content, name), *args,
                         stdout=io.StringIO(), stderr=io.StringIO())
        return str(info.value)
    return refused


def small_imd(codes_deciles: dict[str, int]) -> str:
    return "lsoa_code,imd_decile\n" + "".join(f"{c},{d}\n" for c, d in codes_deciles.items())


# ---------------------------------------------------------------------------------------
# small parsers


def test_parse_age_band_forms():
    assert parse_age_band("0_4") == ("0-4", 0, 4)
    assert parse_age_band("10-14") == ("10-14", 10, 14)
    assert parse_age_band("5 to 9") == ("5-9", 5, 9)
    assert parse_age_band("95+") == ("95+", 95, None)
    assert parse_age_band("85 and over") == ("85+", 85, None)
    assert parse_age_band("13") == ("13", 13, 13)
    assert parse_age_band("ALL") is None
    assert parse_age_band("9-5") is None


def test_parse_date_forms():
    assert parse_date("01JAN2021") == datetime.date(2021, 1, 1)
    assert parse_date("01-Jan-2021") == datetime.date(2021, 1, 1)
    assert parse_date("2024-04-01") == datetime.date(2024, 4, 1)
    assert parse_date("01/04/2024") == datetime.date(2024, 4, 1)
    assert parse_date("31FEB2021") is None
    assert parse_date("soon") is None


def test_detect_geography():
    imd = {"E01000001", "E01000002", "E01000003"}
    assert detect_geography({"E01000001", "W01000001"}, imd, "2011")[0] == "2011"
    # a code above the last LSOA 2011 code can only be LSOA 2021
    assert detect_geography({"E01000001", "E01035000"}, imd, "2011")[0] == "2021"
    # codes missing from the IMD beyond the tolerated share: the other geography
    version, english, missing, _ = detect_geography({"E01000001", "E01009999"}, imd, "2011")
    assert (version, english, missing) == ("2021", 2, 1)
    assert detect_geography({"E01009999"}, imd, "2011", "2011")[0] == "2011"
    assert detect_geography({"E01000001"}, set(), "")[0] == "2011"


# ---------------------------------------------------------------------------------------
# imd


@needs(IMD_CSV)
def test_imd_file1_csv_as_published(run):
    out, err = run("imd", IMD_CSV.read_bytes(), name=IMD_CSV.name)
    assert LSOA.objects.count() == 32844
    counts = pd.Series(list(LSOA.objects.values_list("imd_decile", flat=True))).value_counts()
    assert set(counts.index) == set(range(1, 11))
    assert set(counts) <= {3284, 3285}
    first = LSOA.objects.get(code="E01000001")
    assert (first.name, first.imd_rank, first.imd_decile) == ("City of London 001A", 29199, 9)
    assert first.local_authority_code == "E09000001"
    assert first.geography_version == "2011" and first.imd_edition == "2019"
    assert LSOA.objects.filter(imd_rank=1, imd_decile=1).count() == 1
    record = ReferenceImport.objects.get()
    assert (record.kind, record.rows, record.imported) == ("imd", 32844, 32844)
    assert record.sha256.startswith("0317ea9c3cbcff6f")
    assert "32,844 rows read" in out and "LSOA 2011" in out
    assert err == ""


@needs(IMD_XLSX)
@needs(IMD_CSV)
def test_imd_file1_xlsx_matches_the_csv(run):
    run("imd", IMD_XLSX.read_bytes(), name=IMD_XLSX.name)
    from_xlsx = dict(LSOA.objects.values_list("code", "imd_decile"))
    ranks = dict(LSOA.objects.values_list("code", "imd_rank"))
    with IMD_CSV.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(from_xlsx) == len(rows) == 32844
    for row in rows:
        code = row["LSOA code (2011)"]
        assert from_xlsx[code] == int(row["Index of Multiple Deprivation (IMD) Decile"])
        assert ranks[code] == int(row["Index of Multiple Deprivation (IMD) Rank"])
    assert ReferenceImport.objects.get().file_name == IMD_XLSX.name


def test_imd_file7_layout_uses_the_imd_decile_not_a_domain_decile(run):
    header = (
        "LSOA code (2011),LSOA name (2011),Local Authority District code (2019),"
        "Local Authority District name (2019),Index of Multiple Deprivation (IMD) Score,"
        "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived),"
        "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs),"
        "Income Score (rate),Income Rank (where 1 is most deprived),"
        "Income Decile (where 1 is most deprived 10% of LSOAs),"
        "Total population: mid 2015 (excluding prisoners)\n"
    )
    body = (
        "E01027353,Northumberland 001A,E06000057,Northumberland,12.5,20000,7,0.1,1000,1,1500\n"
        "E01027354,Northumberland 001B,E06000057,Northumberland,45.1,900,1,0.3,30000,10,1400\n"
    )
    out, _ = run("imd", header + body)
    a, b = LSOA.objects.get(code="E01027353"), LSOA.objects.get(code="E01027354")
    assert (a.imd_decile, a.imd_rank, a.imd_score) == (7, 20000, 12.5)
    assert (b.imd_decile, b.imd_rank, b.imd_score) == (1, 900, 45.1)
    assert "Columns not used: Income Score (rate)" in out


def test_imd_simple_form_and_replacement(run):
    run("imd", small_imd({"E01027353": 3, "E01027354": 8}))
    assert dict(LSOA.objects.values_list("code", "imd_decile")) == {"E01027353": 3, "E01027354": 8}
    run("imd", small_imd({"E01027353": 4}))
    assert dict(LSOA.objects.values_list("code", "imd_decile")) == {"E01027353": 4}
    assert ReferenceImport.objects.count() == 2


def test_imd_bad_rows_are_named_and_nothing_changes(run, refused):
    run("imd", small_imd({"E01027353": 3}))
    message = refused("imd", (
        "lsoa_code,imd_decile\n"
        "E01027353,11\n"
        "X123,2\n"
        "E01027354,\n"
        "E01027355,4\n"
        "E01027355,5\n"
    ))
    assert "refused (4 problems); nothing was changed" in message
    assert "Line 2, column imd_decile: \u201c11\u201d is not an IMD decile" in message
    assert "Line 3, column lsoa_code: \u201cX123\u201d is not an LSOA code" in message
    assert "Line 4, column imd_decile: This cell is empty" in message
    assert "Line 6, column lsoa_code: LSOA E01027355 is on line 5 too." in message
    assert dict(LSOA.objects.values_list("code", "imd_decile")) == {"E01027353": 3}
    assert ReferenceImport.objects.count() == 1


def test_imd_missing_column(refused):
    message = refused("imd", "lsoa_code,score\nE01027353,3\n")
    assert "Line 1: The header has no IMD decile column" in message


def test_imd_relinks_practice_populations(run):
    run("practice_lsoa", "ods_code,lsoa_code,patients\nA84002,E01027353,100\n",
        "--extract-date", "2024-01-01")
    row = PracticeLSOAPopulation.objects.get()
    assert row.lsoa is None
    run("imd", small_imd({"E01027353": 6}))
    row.refresh_from_db()
    assert row.lsoa.code == "E01027353" and row.lsoa.imd_decile == 6


# ---------------------------------------------------------------------------------------
# file handling shared by every kind


def test_windows_1252_and_bom_are_read(run):
    text = "LSOA code (2011),LSOA name (2011),Index of Multiple Deprivation (IMD) Decile\n" \
           "E01027353,Cr\u00e8me Caf\u00e9 001A,2\n"
    out, _ = run("imd", text.encode("cp1252"))
    assert "Windows-1252" in out
    assert LSOA.objects.get().name == "Cr\u00e8me Caf\u00e9 001A"
    out, _ = run("imd", b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert "UTF-8 with byte order mark" in out
    assert LSOA.objects.get().name == "Cr\u00e8me Caf\u00e9 001A"


def test_utf16_nul_empty_and_semicolons_are_refused(refused):
    assert "UTF-16" in refused("imd", "lsoa_code,imd_decile\n".encode("utf-16"))
    assert "NUL byte" in refused("imd", b"lsoa_code,imd_decile\nE01027353,\x003\n")
    assert "The file is empty" in refused("imd", b"  \n")
    assert "semicolons or tabs" in refused("imd", "lsoa_code;imd_decile\nE01027353;3\n")


def test_size_limit(refused):
    with override_settings(REFERENCE_IMPORT_MAX_BYTES=100):
        message = refused("imd", small_imd({f"E01{n:06d}": 1 + n % 10 for n in range(1, 20)}))
    assert "the limit is 100 bytes" in message and "Nothing was changed" in message
    assert not LSOA.objects.exists()


def test_ragged_row_and_overlong_cell(refused):
    message = refused("imd", "lsoa_code,imd_decile\nE01027353,3,extra\nE01027354," + "9" * 300 + "\n")
    assert "Line 2: This row has 3 cells; the header has 2." in message
    assert "Line 3, column imd_decile: The value is 300 characters long" in message


def test_zip_holding_the_csv(run):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("gp-reg-pat-prac-lsoa-all.csv", LSOA_HEADER
                         + "GP_PRAC_PAT_LIST,01APR2024,A84002,THE PRACTICE,E01027353,ALL,50\n")
        archive.writestr("gp-reg-pat-prac-lsoa-male.csv", LSOA_HEADER)
    out, _ = run("practice_lsoa", buffer.getvalue(), name="lsoa.zip")
    row = PracticeLSOAPopulation.objects.get()
    assert (row.patients, row.extract_date) == (50, datetime.date(2024, 4, 1))


def test_dry_run_writes_nothing(run):
    out, _ = run("imd", small_imd({"E01027353": 3}), "--dry-run")
    assert "Dry run: nothing was changed." in out
    assert not LSOA.objects.exists() and not ReferenceImport.objects.exists()


def test_unknown_kind_is_a_usage_error(write):
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("import_reference", "census", write("a,b\n"))


def test_function_raises_with_problems():
    with pytest.raises(ReferenceImportError) as info:
        import_reference("imd", b"lsoa_code,imd_decile\nE01027353,0\n")
    assert info.value.problems[0].line == 2
    assert info.value.problems[0].column == "imd_decile"


# ---------------------------------------------------------------------------------------
# practice_lsoa


def test_practice_lsoa_as_published(run):
    body = (
        "GP_PRAC_PAT_LIST,01JAN2021,A84002,THE ROTHBURY PRACTICE,E01027353,ALL,120\n"
        "GP_PRAC_PAT_LIST,01JAN2021,A84002,THE ROTHBURY PRACTICE,E01027354,ALL,80\n"
        "GP_PRAC_PAT_LIST,01JAN2021,A84005,BEDLINGTONSHIRE,E01027353,ALL,7\n"
        "GP_PRAC_PAT_LIST,01JAN2021,Y99999,NOT OURS,E01000001,ALL,1000\n"
        "GP_PRAC_PAT_LIST,01JAN2021,Y99998,NOT OURS EITHER,rubbish,ALL,x\n"
    )
    run("imd", small_imd({"E01027353": 3, "E01027354": 8}))
    out, err = run("practice_lsoa", LSOA_HEADER + body)
    rows = {(r.practice.ods_code, r.lsoa_code): r for r in PracticeLSOAPopulation.objects.all()}
    assert {k: r.patients for k, r in rows.items()} == {
        ("A84002", "E01027353"): 120, ("A84002", "E01027354"): 80, ("A84005", "E01027353"): 7,
    }
    assert all(r.extract_date == datetime.date(2021, 1, 1) for r in rows.values())
    assert all(r.geography_version == "2011" and r.lsoa is not None for r in rows.values())
    assert "2 practice codes in the file are not practices in the catalogue" in out
    assert err == ""
    record = ReferenceImport.objects.latest("pk")
    assert (record.skipped_practices, record.skipped_rows, record.imported) == (2, 2, 3)
    assert record.version == "extract 2021-01-01"


def test_practice_lsoa_number_of_patients_header_and_sex_split(run):
    header = "PUBLICATION,EXTRACT_DATE,PRACTICE_CODE,PRACTICE_NAME,LSOA_CODE,SEX,Number of Patients\n"
    body = (
        "GP_PRAC_PAT_LIST,01APR2024,A84002,X,E01027353,MALE,10\n"
        "GP_PRAC_PAT_LIST,01APR2024,A84002,X,E01027353,FEMALE,12\n"
        "GP_PRAC_PAT_LIST,01APR2024,A84002,X,E01027354,ALL,5\n"
        "GP_PRAC_PAT_LIST,01APR2024,A84002,X,E01027354,MALE,2\n"
        "GP_PRAC_PAT_LIST,01APR2024,A84002,X,E01027354,FEMALE,3\n"
    )
    out, _ = run("practice_lsoa", header + body)
    assert dict(PracticeLSOAPopulation.objects.values_list("lsoa_code", "patients")) == {
        "E01027353": 22, "E01027354": 5,
    }
    assert "1 practice-LSOA pairs had no ALL row" in out


def test_practice_lsoa_replaces_the_same_extract_only(run):
    simple = "ods_code,lsoa_code,patients\n"
    run("practice_lsoa", simple + "A84002,E01027353,100\n", "--extract-date", "2024-01-01")
    run("practice_lsoa", simple + "A84002,E01027353,90\n", "--extract-date", "2024-04-01")
    run("practice_lsoa", simple + "A84005,E01027354,40\n", "--extract-date", "2024-01-01")
    assert sorted(PracticeLSOAPopulation.objects.values_list(
        "extract_date", "practice__ods_code", "patients")) == [
        (datetime.date(2024, 1, 1), "A84005", 40), (datetime.date(2024, 4, 1), "A84002", 90),
    ]


def test_practice_lsoa_errors(refused, run):
    run("practice_lsoa", "ods_code,lsoa_code,patients\nA84002,E01027353,100\n",
        "--extract-date", "2024-01-01")
    message = refused("practice_lsoa", LSOA_HEADER + (
        "GP_PRAC_PAT_LIST,01JAN2024,A84002,X,E0102735,ALL,10\n"
        "GP_PRAC_PAT_LIST,01JAN2024,A84002,X,E01027354,ALL,-3\n"
        "GP_PRAC_PAT_LIST,01JAN2024,A84002,X,E01027355,BOTH,3\n"
        "GP_PRAC_PAT_LIST,32JAN2024,A84002,X,E01027356,ALL,3\n"
        "GP_PRAC_PAT_LIST,01JAN2024,A84005,X,E01027357,ALL,3\n"
        "GP_PRAC_PAT_LIST,01JAN2024,A84005,X,E01027357,ALL,4\n"
    ))
    assert "Line 2, column LSOA_CODE: \u201cE0102735\u201d is not an LSOA code" in message
    assert "Line 3, column NUMBER_OF_PATIENTS: \u201c-3\u201d is not a number of patients" in message
    assert "Line 4, column SEX: \u201cBOTH\u201d is not a sex" in message
    assert "Line 5, column EXTRACT_DATE: \u201c32JAN2024\u201d is not a date" in message
    assert "Line 7: Practice A84005, LSOA E01027357, sex all is on line 6 too." in message
    assert PracticeLSOAPopulation.objects.get().patients == 100


def test_practice_lsoa_two_extracts_in_one_file(refused):
    message = refused("practice_lsoa", LSOA_HEADER + (
        "GP_PRAC_PAT_LIST,01JAN2024,A84002,X,E01027353,ALL,10\n"
        "GP_PRAC_PAT_LIST,01APR2024,A84002,X,E01027354,ALL,10\n"
    ))
    assert "more than one extract date" in message and "Line 3, column EXTRACT_DATE" in message


def test_practice_lsoa_with_no_catalogue_practice(refused):
    message = refused("practice_lsoa", LSOA_HEADER
                      + "GP_PRAC_PAT_LIST,01JAN2024,Y99999,X,E01027353,ALL,10\n")
    assert "No row is for a practice in the catalogue (1 other practice codes" in message


def test_practice_lsoa_on_2021_codes_is_detected_and_reported(run):
    run("imd", small_imd({"E01027353": 3, "E01027354": 8}))
    out, err = run("practice_lsoa", "ods_code,lsoa_code,patients\n"
                   "A84002,E01027353,100\nA84002,E01035001,50\n", "--extract-date", "2024-10-01")
    assert "1 of the 2 English LSOA codes in this file are not in the loaded IMD" in err
    assert "LSOA 2021 geography" in err and "import_reference lsoa_lookup FILE" in err
    rows = PracticeLSOAPopulation.objects.all()
    assert {r.geography_version for r in rows} == {"2021"}
    assert all(r.lsoa is None for r in rows)
    assert ReferenceImport.objects.latest("pk").unknown_lsoas == 1
    # the analysis refuses to attribute deprivation through them ...
    obs = pd.DataFrame({"practice": ["A84002"], "period": ["2024-10"], "value": [30]})
    with pytest.raises(analysis.LSOAGeographyError, match="1 of the 2 English LSOA codes"):
        analysis.by_deprivation(obs, frames.practice_lsoa_frame(), frames.lsoa_imd_frame())
    # ... until the lookup is loaded: the 2021 code that split from E01027354 goes there
    run("lsoa_lookup", "LSOA11CD,LSOA11NM,LSOA21CD,LSOA21NM,CHGIND\n"
        "E01027353,A,E01027353,A,U\nE01027354,B,E01035001,B1,S\nE01027354,B,E01035002,B2,S\n")
    translated = frames.practice_lsoa_frame()
    assert translated.attrs["translated_from"] == "2021"
    assert dict(zip(translated["lsoa"], translated["patients"], strict=True)) == {
        "E01027353": 100.0, "E01027354": 50.0,
    }
    result = analysis.by_deprivation(obs, translated, frames.lsoa_imd_frame())
    deciles = result[result["breakdown"] == "imd_decile"].set_index("group")
    assert deciles.loc[3, "numerator"] == pytest.approx(20.0)
    assert deciles.loc[8, "numerator"] == pytest.approx(10.0)


def test_explicit_lsoa_version(run):
    run("imd", small_imd({"E01027353": 3}))
    _, err = run("practice_lsoa", "ods_code,lsoa_code,patients\nA84002,E01027353,1\n",
                 "--extract-date", "2024-10-01", "--lsoa-version", "2021")
    assert PracticeLSOAPopulation.objects.get().geography_version == "2021"
    assert "LSOA 2021 geography" in err


# ---------------------------------------------------------------------------------------
# lsoa_lookup


def test_lsoa_lookup_import_and_errors(run, refused):
    run("lsoa_lookup", "FID,LSOA11CD,LSOA11NM,LSOA21CD,LSOA21NM,CHGIND,LAD22CD\n"
        "1,E01000001,x,E01000001,x,U,E09000001\n2,E01000002,y,E01033800,y,S,E09000001\n")
    assert LSOALookup.objects.count() == 2
    message = refused("lsoa_lookup", "LSOA11CD,LSOA21CD,CHGIND\nE01000001,E01000001,Q\n"
                      "E01000001,,U\nE01000003,E01000004,U\nE01000003,E01000004,U\n")
    assert "Line 2, column CHGIND: \u201cQ\u201d is not a change indicator" in message
    assert "Line 3, column LSOA21CD: This cell is empty." in message
    assert "Line 5: E01000003 to E01000004 is on line 4 too." in message
    assert LSOALookup.objects.count() == 2


# ---------------------------------------------------------------------------------------
# practice_age


def test_practice_age_five_year_bands_2022_layout(run):
    header = ("PUBLICATION,EXTRACT_DATE,ORG_TYPE,ORG_CODE,ONS_CODE,POSTCODE,SEX,AGE_GROUP_5,"
              "NUMBER_OF_PATIENTS\n")
    body = (
        "GP_PRAC_PAT_LIST,01APR2024,Comm Region,Y63,E40000012,,ALL,0_4,150000\n"
        "GP_PRAC_PAT_LIST,01APR2024,PCN,U12345,,,MALE,0_4,500\n"
        "GP_PRAC_PAT_LIST,01APR2024,GP,A84002,,NE65 7UW,ALL,ALL,5903\n"
        "GP_PRAC_PAT_LIST,01APR2024,GP,A84002,,NE65 7UW,ALL,0_4,200\n"
        "GP_PRAC_PAT_LIST,01APR2024,GP,A84002,,NE65 7UW,MALE,0_4,110\n"
        "GP_PRAC_PAT_LIST,01APR2024,GP,A84002,,NE65 7UW,FEMALE,0_4,90\n"
        "GP_PRAC_PAT_LIST,01APR2024,GP,A84002,,NE65 7UW,MALE,95+,3\n"
        "GP_PRAC_PAT_LIST,01APR2024,GP,A84002,,NE65 7UW,FEMALE,95+,9\n"
        "GP_PRAC_PAT_LIST,01APR2024,GP,Y99999,,XX1 1XX,MALE,0_4,50\n"
    )
    out, _ = run("practice_age", header + body)
    rows = sorted(PracticeAgePopulation.objects.values_list(
        "age_band", "age_from", "age_to", "sex", "patients", "extract_date"))
    when = datetime.date(2024, 4, 1)
    assert rows == [
        ("0-4", 0, 4, "female", 90, when), ("0-4", 0, 4, "male", 110, when),
        ("95+", 95, None, "female", 9, when), ("95+", 95, None, "male", 3, when),
    ]
    assert "2 rows for other kinds of organisation" in out
    assert "1 all-ages total rows were left out" in out
    assert "1 ALL rows were left out where male and female rows are given" in out
    assert "1 practice code in the file is not" in out
    ages = frames.practice_age_frame()
    assert dict(zip(ages["age_band"], ages["patients"], strict=True)) == {"0-4": 200, "95+": 12}


def test_practice_age_single_year_2021_layout_by_sex(run):
    header = ("PUBLICATION,EXTRACT_DATE,TYPE,CCG_CODE,ONS_CCG_CODE,ORG_CODE,POSTCODE,SEX,AGE,"
              "NUMBER_OF_PATIENTS\n")
    rows = "".join(f"GP_PRAC_PAT_LIST,01JAN2021,GP,00L,E38000130,A84002,NE65 7UW,FEMALE,{age},{age + 1}\n"
                   for age in range(0, 95))
    rows += "GP_PRAC_PAT_LIST,01JAN2021,GP,00L,E38000130,A84002,NE65 7UW,FEMALE,95+,7\n"
    _, err = run("practice_age", header + rows)
    assert PracticeAgePopulation.objects.count() == 96
    assert "only has female patients; import the male file" in err
    male = rows.replace("FEMALE", "MALE")
    run("practice_age", header + male)
    assert PracticeAgePopulation.objects.count() == 192  # the female rows are kept
    eligible = analysis.eligible_population(frames.practice_age_frame(), 13)
    assert eligible.set_index("practice").loc["A84002", "population"] == pytest.approx(
        2 * (sum(a + 1 for a in range(13, 95)) + 7)
    )


def test_practice_age_simple_form_and_errors(run, refused):
    run("practice_age", "ods_code,age_band,sex,patients\nA84002,0-12,all,100\nA84002,13+,all,400\n",
        "--extract-date", "2024-01-01")
    assert PracticeAgePopulation.objects.count() == 2
    message = refused("practice_age", (
        "ods_code,age_band,sex,patients\n"
        "A84002,0-14,all,100\n"
        "A84002,10-20,all,100\n"
        "A84002,old,all,1\n"
        "A84002,30-34,cat,1\n"
    ))
    assert "Line 3, column age_band: Practice A84002 (all): age 10-20 overlaps age 0-14" in message
    assert "Line 4, column age_band: \u201cold\u201d is not an age or age band" in message
    assert "Line 5, column sex: \u201ccat\u201d is not a sex" in message
    assert PracticeAgePopulation.objects.count() == 2


# ---------------------------------------------------------------------------------------
# practice_deprivation


@needs(FINGERTIPS)
def test_practice_deprivation_fingertips_export(run):
    out, _ = run("practice_deprivation", FINGERTIPS.read_bytes(), name=FINGERTIPS.name)
    scores = dict(PracticeDeprivation.objects.values_list("practice__ods_code", "imd_score"))
    with DEMO_CSV.open(encoding="utf-8") as handle:
        demo = {row["ods_code"]: float(row["imd_score"]) for row in csv.DictReader(handle)}
    assert set(scores) == set(demo)
    for code, score in demo.items():
        assert round(scores[code], 2) == pytest.approx(score)
    record = ReferenceImport.objects.get()
    assert record.skipped_practices == 6545 - 38
    assert PracticeDeprivation.objects.filter(year="2019", source="Fingertips 93553").count() == 38
    assert "2 rows for areas other than GP practices were left out" in out
    frame = frames.practice_deprivation_frame()
    assert len(frame) == 38 and frame["population"].notna().all()


def test_practice_deprivation_simple_form_and_errors(run, refused):
    run("practice_deprivation", "ods_code,imd_score,year\nA84002,16.6,2019\nA84005,23.5,2019\n")
    assert PracticeDeprivation.objects.count() == 2
    assert PracticeDeprivation.objects.first().source == "file upload"
    message = refused("practice_deprivation", "ods_code,imd_score\nA84002,lots\nA84005,123\n")
    assert "Line 2, column imd_score: \u201clots\u201d is not an IMD score" in message
    assert "Line 3, column imd_score: \u201c123\u201d is not an IMD score" in message
    message = refused(
        "practice_deprivation",
        "Indicator ID,Indicator Name,Area Code,Area Type,Time period,Value\n"
        "90453,Obesity prevalence,A84002,GP,2019,10\n",
    )
    assert "is not a deprivation score" in message
    assert PracticeDeprivation.objects.count() == 2


# ---------------------------------------------------------------------------------------
# lsoa_breakdown


def test_lsoa_breakdown_long_form(run):
    out, _ = run("lsoa_breakdown", "lsoa_code,category,count\nE01027353,White,90\n"
                 "E01027353,Asian,10\nE01027354,White,50\n", "--dataset", "ethnicity")
    assert LSOABreakdown.objects.filter(dataset="ethnicity").count() == 3
    assert "2 LSOAs, 2 categories (long layout)" in out
    # replacing the data set leaves other data sets alone
    run("lsoa_breakdown", "lsoa_code,category,count\nE01027353,English,100\n", "--dataset", "language")
    run("lsoa_breakdown", "lsoa_code,category,count\nE01027353,White,1\n", "--dataset", "ethnicity")
    assert LSOABreakdown.objects.filter(dataset="ethnicity").count() == 1
    assert LSOABreakdown.objects.filter(dataset="language").count() == 1


def test_lsoa_breakdown_ons_custom_dataset_layout(run):
    content = (
        "Lower layer Super Output Areas Code,Lower layer Super Output Areas,"
        "Ethnic group (6 categories) Code,Ethnic group (6 categories),Observation\n"
        "E01027353,Northumberland 001A,1,\"Asian, Asian British or Asian Welsh\",12\n"
        "E01027353,Northumberland 001A,5,White,1500\n"
    )
    run("lsoa_breakdown", content, "--dataset", "ethnicity")
    assert dict(LSOABreakdown.objects.values_list("category", "count")) == {
        "Asian, Asian British or Asian Welsh": 12.0, "White": 1500.0,
    }
    assert LSOABreakdown.objects.first().geography_version == "2011"


def test_lsoa_breakdown_wide_nomis_layout_drops_totals(run):
    content = (
        "date,geography,geography code,Ethnic group: Total: All usual residents,"
        "Ethnic group: Asian,Ethnic group: White\n"
        "2021,Northumberland 001A,E01027353,1512,12,1500\n"
    )
    out, _ = run("lsoa_breakdown", content, "--dataset", "ethnicity")
    assert dict(LSOABreakdown.objects.values_list("category", "count")) == {
        "Ethnic group: Asian": 12.0, "Ethnic group: White": 1500.0,
    }
    assert "Total columns left out: Ethnic group: Total: All usual residents" in out


def test_lsoa_breakdown_classification(run):
    out, _ = run("lsoa_breakdown", "LSOA11CD,RUC11\nE01027353,Rural village\nE01027354,Urban city\n",
                 "--dataset", "rural_urban")
    assert dict(LSOABreakdown.objects.values_list("lsoa_code", "category")) == {
        "E01027353": "Rural village", "E01027354": "Urban city",
    }
    assert "each LSOA is counted once" in out


def test_lsoa_breakdown_errors(refused):
    assert "--dataset" in refused("lsoa_breakdown", "lsoa_code,category,count\nE01027353,A,1\n")
    message = refused("lsoa_breakdown", "lsoa_code,category,count\nE01027353,A,1\n"
                      "E01027353,B,-1\nbad,A,1\nE01027353,A,2\n", "--dataset", "x")
    assert "Line 3, column count: \u201c-1\u201d is not a count" in message
    assert "Line 4, column lsoa_code: \u201cbad\u201d is not an LSOA code" in message
    assert "Line 5, column category: LSOA E01027353, category \u201cA\u201d is on line 2 too." in message
    assert not LSOABreakdown.objects.exists()


# ---------------------------------------------------------------------------------------
# frames


def test_uptake_frame_is_guarded():
    try:
        frame = frames.uptake_frame()
    except LookupError:
        return  # UptakeObservation not there yet: the loader says so
    assert list(frame.columns)[:5] == ["practice", "service", "metric", "period", "value"]


def test_practices_frame_has_the_demo_hierarchy(demo):
    frame = frames.practices_frame()
    assert len(frame) == len(demo["practices"])
    assert frame["pcn"].notna().all() and frame["place"].ne("").all()

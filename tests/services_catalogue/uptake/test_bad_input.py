"""Every kind of bad input is refused whole, naming the line and column, and changes nothing."""

import pytest

from services_catalogue.models import UptakeObservation, UptakeSource

from .helpers import HEADER, csv_bytes, refused, run_command, sample_rows, snapshot, write

pytestmark = pytest.mark.django_db

GOOD = "2025-03,A84002,nhs-app,logins,10,100"


def lines(*rows, header=HEADER):
    return ("\n".join([header, *rows]) + "\n").encode()


CASES = {
    # name: (file bytes, [expected fragments of the message])
    "missing column": (
        b"period,ods_code,service_slug,value\n2025-03,A84002,nhs-app,10\n",
        ["Line 1, column metric: is missing from the header."],
    ),
    "extra column": (
        lines("2025-03,A84002,nhs-app,logins,10,100,x", header=HEADER + ",notes"),
        ["Line 1, column notes: is not a column of this format"],
    ),
    "repeated column": (
        lines("2025-03,A84002,nhs-app,logins,10,11", header="period,ods_code,service_slug,metric,value,value"),
        ["Line 1, column value: appears twice in the header."],
    ),
    "long ragged row": (
        lines(GOOD, "2025-03,A84005,nhs-app,logins,10,100,extra", GOOD.replace("A84002", "A84006")),
        ["Line 3: has 7 fields; the header has 6: a long (ragged) row."],
    ),
    "short ragged row": (
        lines(GOOD, "2025-03,A84005,nhs-app,logins,10"),
        ["Line 3: has 5 fields; the header has 6: a short (ragged) row."],
    ),
    "several ragged rows": (
        lines(GOOD, "2025-03,A84005", "2025-03,A84006,nhs-app,logins,1,2,3,4"),
        ["Line 3: has 2 fields", "Line 4: has 8 fields"],
    ),
    "text value": (
        lines(GOOD, "2025-03,A84005,nhs-app,logins,lots,100"),
        ["Line 3, column value: \u201clots\u201d is not a whole number."],
    ),
    "decimal value": (
        lines(GOOD, "2025-03,A84005,nhs-app,logins,1.5,100"),
        ["Line 3, column value: \u201c1.5\u201d is not a whole number: counts have no fractions."],
    ),
    "NaN value": (
        lines(GOOD, "2025-03,A84005,nhs-app,logins,NaN,100"),
        ["Line 3, column value: \u201cNaN\u201d is not a number (NaN)"],
    ),
    "infinite value": (
        lines(GOOD, "2025-03,A84005,nhs-app,logins,inf,100"),
        ["Line 3, column value: \u201cinf\u201d is infinite"],
    ),
    "infinite denominator": (
        lines(GOOD, "2025-03,A84005,nhs-app,logins,5,-Infinity"),
        ["Line 3, column denominator: \u201c-Infinity\u201d is infinite"],
    ),
    "negative value": (
        lines(GOOD, "2025-03,A84005,nhs-app,logins,-3,100"),
        ["Line 3, column value: -3 is negative"],
    ),
    "negative value as text path": (
        lines(GOOD, "2025-03,A84005,nhs-app,logins,-3,abc"),
        ["Line 3, column value: \u201c-3\u201d is negative", "Line 3, column denominator: \u201cabc\u201d is not a whole number."],
    ),
    "huge value": (
        lines(GOOD, "2025-03,A84005,nhs-app,logins,99999999999999999999999,"),
        ["Line 3, column value:", "is too large"],
    ),
    "empty value": (
        lines(GOOD, "2025-03,A84005,nhs-app,logins,,100"),
        ["Line 3, column value: is empty"],
    ),
    "value above denominator": (
        lines(GOOD, "2025-03,A84005,nhs-app,logins,101,100"),
        ["Line 3, column value: 101 is more than its denominator, 100."],
    ),
    "unknown ODS code": (
        lines(GOOD, "2025-03,ZZ999,nhs-app,logins,1,100"),
        ["Line 3, column ods_code: \u201cZZ999\u201d is not the ODS code of any organisation"],
    ),
    "empty ODS code": (
        lines(GOOD, "2025-03,,nhs-app,logins,1,100"),
        ["Line 3, column ods_code: is empty"],
    ),
    "unknown service": (
        lines(GOOD, "2025-03,A84005,no-such-service,logins,1,100"),
        ["Line 3, column service_slug: \u201cno-such-service\u201d is not the slug of a service"],
    ),
    "bad metric name": (
        lines(GOOD, "2025-03,A84005,nhs-app,log ins!,1,100"),
        ["Line 3, column metric: \u201clog ins!\u201d is not a metric name"],
    ),
    "malformed period": (
        lines(GOOD, "March 2025,A84005,nhs-app,logins,1,100"),
        ["Line 3, column period: \u201cMarch 2025\u201d is not a month (YYYY-MM, e.g. 2025-04)."],
    ),
    "impossible month": (
        lines(GOOD, "2025-13,A84005,nhs-app,logins,1,100"),
        ["Line 3, column period: \u201c2025-13\u201d is not a month"],
    ),
    "future period": (
        lines(GOOD, "2999-01,A84005,nhs-app,logins,1,100"),
        ["Line 3, column period: \u201c2999-01\u201d is in the future"],
    ),
    "conflicting duplicate": (
        lines(GOOD, "2025-03,A84005,nhs-app,logins,1,100", "2025-03,a84002,nhs-app,logins,11,100"),
        ["Line 4, columns period, ods_code, service_slug, metric: has the same period, ods_code, "
         "service_slug, metric as line 2 but a different value"],
    ),
    "exact duplicate": (
        lines(GOOD, "2025-03,A84005,nhs-app,logins,1,100", GOOD),
        ["Line 4, columns period, ods_code, service_slug, metric: repeats line 2 exactly"],
    ),
    "empty file": (b"", ["The file is empty."]),
    "blank file": (b"\n \n\t\n", ["The file is empty."]),
    "header only": (lines(), ["no data rows"]),
    "binary file": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", ["NUL byte", "binary"]),
    "not UTF-8": (lines(GOOD, "2025-03,A84005,nhs-app,caf\xe9,1,100").replace(b"\xc3\xa9", b"\xe9"),
                  ["Line 3:", "not UTF-8"]),
    "UTF-16": ("\ufeff" + HEADER + "\n").encode("utf-16"),
}
CASES["UTF-16"] = (CASES["UTF-16"], ["UTF-16"])


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_refused_naming_row_and_column_and_nothing_changes(demo, tmp_path, name):
    # Something already imported for the same source must survive a refused file untouched.
    run_command(write(tmp_path, csv_bytes(sample_rows()), "good.csv"))
    before = snapshot()
    data, fragments = CASES[name]
    message = refused(write(tmp_path, data, "bad.csv"))
    assert "refused" in message and "nothing was changed" in message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in:\n{message}"
    assert snapshot() == before


def test_a_refused_file_does_not_create_its_source(demo, tmp_path):
    refused(write(tmp_path, lines("2025-03,ZZ999,nhs-app,logins,1,100")), "Brand new")
    assert not UptakeSource.objects.filter(name="Brand new").exists()
    assert not UptakeObservation.objects.exists()


def test_every_problem_is_reported_up_to_fifty(demo, tmp_path):
    bad = [f"2025-03,ZZ{i:03d},nhs-app,logins,1,100" for i in range(120)]
    message = refused(write(tmp_path, lines(*bad)))
    assert "refused (120 problems)" in message
    assert message.count("is not the ODS code") == 50
    assert "... and 70 more problems." in message
    assert "Line 2, column ods_code" in message and "Line 51, column ods_code" in message


def test_problems_of_several_kinds_are_listed_in_file_order(demo, tmp_path):
    message = refused(write(tmp_path, lines(
        "2025-03,ZZ1,nhs-app,logins,1,100",
        "2025-03,A84005,nhs-app,logins,-1,100",
        "2999-03,A84006,nope,logins,1,100",
    )))
    order = [message.index(f"Line {n},") for n in (2, 3, 4)]
    assert order == sorted(order)
    assert "Line 4, column period" in message and "Line 4, column service_slug" in message


def test_line_numbers_count_blank_lines(demo, tmp_path):
    data = lines(GOOD, "", "2025-03,A84005,nhs-app,logins,x,100")
    assert "Line 4, column value:" in refused(write(tmp_path, data))


def test_line_numbers_are_right_in_quoted_files(demo, tmp_path):
    data = lines('"2025-03","A84002","nhs-app","logins","1",""',
                 '"2025-03","A84005","nhs-app","logins","x",""')
    assert "Line 3, column value: \u201cx\u201d" in refused(write(tmp_path, data))

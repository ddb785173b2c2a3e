"""Practices' phone numbers and street addresses load from NHS ODS's GP practice file
(epraccur.csv) or a short CSV of our own, all or nothing."""

from io import StringIO

import pytest
from bs4 import BeautifulSoup
from django.core.management import CommandError, call_command

from services_catalogue.contacts_import import (
    FORM_ODS,
    FORM_OWN,
    ContactsImportError,
    import_contacts,
    ods_address,
    prepare_contacts,
    readable,
)
from services_catalogue.models import Organisation
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

ALNWICK = "A84006"  # the demo's Alnwick Medical Group, town Alnwick, postcode NE66 2NL
RIVERSIDE = "A84901"  # made up, added by the `riverside` fixture


def epraccur_row(code, name, *address, postcode, phone="", status="A"):
    """One row of epraccur.csv: 27 quoted upper-case columns, as ODS publishes them."""
    lines = list(address) + [""] * (5 - len(address))
    cells = [code, name, "Y63", "QHM", *lines, postcode, "19740401",
             "" if status == "A" else "20240331", status, "B", "00L", "20130401", "", phone,
             "", "", "", "0", "", "U12345", "", "4", ""]
    assert len(cells) == 27
    return ",".join(f'"{cell}"' for cell in cells)


ALNWICK_ROW = epraccur_row(ALNWICK, "ALNWICK MEDICAL GROUP", "ALNWICK MEDICAL GROUP",
                           "INFIRMARY DRIVE", "ALNWICK", "NORTHUMBERLAND",
                           postcode="NE66 2NL", phone="01665 510888")
RIVERSIDE_ROW = epraccur_row(RIVERSIDE, "RIVERSIDE SURGERY", "ST. JAMES'S HOUSE",
                             "1-3 HIGH ST", "HEXHAM", "NORTHUMBERLAND",
                             postcode="NE461QJ", phone="01434 600111")
ELSEWHERE_ROW = epraccur_row("Y99999", "SOMEWHERE ELSE SURGERY", "1 HIGH STREET", "LEEDS",
                             postcode="LS1 1AA", phone="NOT A NUMBER")


def csv_bytes(*lines: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode()


def practice(code: str) -> Organisation:
    return Organisation.objects.get(ods_code=code)


def contacts(code: str) -> tuple[str, str, str]:
    found = practice(code)
    return found.phone, found.address, found.postcode


def refusal(data: bytes) -> str:
    with pytest.raises(ContactsImportError) as raised:
        import_contacts(data)
    return str(raised.value)


@pytest.fixture
def riverside(db):
    return OrganisationFactory(ods_code=RIVERSIDE, name="Riverside Surgery", town="Hexham",
                               postcode="NE46 1AA", phone="", address="")


# ---------------------------------------------------------------------------------------
# NHS ODS's epraccur.csv


def test_epraccur_fills_in_a_practices_phone_number_street_address_and_postcode(riverside):
    plan = import_contacts(csv_bytes(ALNWICK_ROW, RIVERSIDE_ROW, ELSEWHERE_ROW))

    assert contacts(ALNWICK) == ("01665 510888", "Infirmary Drive", "NE66 2NL")
    assert contacts(RIVERSIDE) == ("01434 600111", "St. James's House, 1-3 High St", "NE46 1QJ")
    assert plan.form == FORM_ODS and plan.encoding == "UTF-8"
    assert (plan.rows, plan.skipped, plan.unchanged) == (3, 1, 0)
    assert (plan.count("phone"), plan.count("address"), plan.count("postcode")) == (2, 2, 1)


@pytest.mark.parametrize(("lines", "town", "expected"), [
    (["ALNWICK MEDICAL GROUP", "INFIRMARY DRIVE", "ALNWICK", "NORTHUMBERLAND", ""], "Alnwick",
     "Infirmary Drive"),
    (["THE HEALTH CENTRE", "MARKET PLACE", "BERWICK-UPON-TWEED", "NORTHUMBERLAND"],
     "Berwick-upon-Tweed", "The Health Centre, Market Place"),
    (["UNIT 2", "WATERSIDE WAY", "NORTHUMBERLAND"], "Somewhere not in the file",
     "Unit 2, Waterside Way"),
    (["  INFIRMARY   DRIVE ", "ALNWICK"], "", "Infirmary Drive, Alnwick"),
])
def test_the_street_address_leaves_out_the_practice_name_the_town_and_the_county(
        lines, town, expected):
    assert ods_address(lines, ["ALNWICK MEDICAL GROUP", "Alnwick Medical Group"], town) == expected


@pytest.mark.parametrize(("upper", "expected"), [
    ("INFIRMARY DRIVE", "Infirmary Drive"),
    ("ST. JAMES'S ROAD", "St. James's Road"),
    ("O'BRIEN HOUSE", "O'Brien House"),
    ("NHS HEALTH CENTRE, GP SURGERY, PCN HUB", "NHS Health Centre, GP Surgery, PCN Hub"),
    ("1-3 HIGH ST", "1-3 High St"),
    ("1ST FLOOR, 12A FRONT STREET", "1st Floor, 12A Front Street"),
    ("NEWCASTLE UPON TYNE", "Newcastle upon Tyne"),
    ("Written by a person", "Written by a person"),
])
def test_upper_case_from_ods_is_made_readable(upper, expected):
    assert readable(upper) == expected


def test_a_practice_outside_the_catalogue_is_skipped_even_with_a_garbage_phone_number():
    plan = import_contacts(csv_bytes(ELSEWHERE_ROW, ALNWICK_ROW))

    assert plan.skipped == 1
    assert practice(ALNWICK).phone == "01665 510888"


def test_a_file_with_none_of_our_practices_changes_nothing_and_says_so():
    plan = import_contacts(csv_bytes(ELSEWHERE_ROW))

    assert (plan.skipped, plan.changes) == (1, [])
    assert plan.warnings == ["None of the file's 1 rows is for a GP practice in the catalogue, "
                             "so there was nothing to change."]


def test_a_closed_practice_is_left_as_it_is_with_a_warning(riverside):
    closed = epraccur_row(RIVERSIDE, "RIVERSIDE SURGERY", "NEW ROAD", "HEXHAM",
                          postcode="NE46 9ZZ", phone="BAD", status="C")

    plan = import_contacts(csv_bytes(ALNWICK_ROW, closed))

    assert contacts(RIVERSIDE) == ("", "", "NE46 1AA")
    assert plan.unchanged == 1 and len(plan.changes) == 1
    assert plan.warnings == ["1 practice is closed or dormant in the file: A84901; its details "
                             "were left as they are."]


def test_an_empty_phone_number_in_the_file_leaves_the_stored_one(riverside):
    riverside.phone = "01434 123456"
    riverside.save()
    no_phone = epraccur_row(RIVERSIDE, "RIVERSIDE SURGERY", "NEW ROAD", "HEXHAM",
                            postcode="NE46 1AA", phone="")

    import_contacts(csv_bytes(no_phone))

    assert contacts(RIVERSIDE) == ("01434 123456", "New Road", "NE46 1AA")


def test_the_same_number_spaced_differently_is_not_a_change(riverside):
    riverside.phone = "01434 600 111"
    riverside.save()

    plan = import_contacts(csv_bytes(RIVERSIDE_ROW))

    assert practice(RIVERSIDE).phone == "01434 600 111"
    assert [list(change.fields) for change in plan.changes] == [["address", "postcode"]]


def test_a_bad_phone_number_for_one_of_our_practices_refuses_the_file_naming_line_and_column():
    bad = epraccur_row(ALNWICK, "ALNWICK MEDICAL GROUP", "INFIRMARY DRIVE", "ALNWICK",
                       postcode="NE66 2NL", phone="0166 55")

    message = refusal(csv_bytes(ELSEWHERE_ROW, bad))

    assert message.startswith("Line 2, column contact telephone number (column 18): “0166 55”")
    assert "like 01670 511393" in message
    assert practice(ALNWICK).phone == ""


def test_a_malformed_practice_code_refuses_the_file():
    broken = epraccur_row("A84-06", "ALNWICK MEDICAL GROUP", "ALNWICK", postcode="NE66 2NL")

    message = refusal(csv_bytes(ALNWICK_ROW, broken))

    assert message.startswith("Line 2, column organisation code (column 1): “A84-06” is not "
                              "an ODS code")
    assert practice(ALNWICK).phone == ""


def test_a_short_epraccur_row_refuses_the_file():
    message = refusal(csv_bytes(ALNWICK_ROW, '"A84007","PONTELAND MEDICAL GROUP","Y63"'))

    assert message == "Line 2: This row has 3 cells; an epraccur row has 27 (at least 18)."


def test_conflicting_rows_for_one_practice_refuse_the_file():
    other = ALNWICK_ROW.replace("01665 510888", "01665 510999")

    message = refusal(csv_bytes(ALNWICK_ROW, other))

    assert message == ("Line 2, column organisation code (column 1): A84006 is on line 1 too, "
                       "with a different phone number. Keep one row per practice.")


def test_identical_rows_for_one_practice_are_fine():
    plan = import_contacts(csv_bytes(ALNWICK_ROW, ALNWICK_ROW))

    assert plan.rows == 2 and len(plan.changes) == 1
    assert practice(ALNWICK).phone == "01665 510888"


def test_importing_the_same_file_again_changes_nothing(riverside):
    data = csv_bytes(ALNWICK_ROW, RIVERSIDE_ROW, ELSEWHERE_ROW)
    import_contacts(data)

    again = import_contacts(data)

    assert (again.changes, again.unchanged) == ([], 2)


def test_a_windows_1252_file_is_read():
    row = epraccur_row(ALNWICK, "ALNWICK MEDICAL GROUP", "CAFÉ HOUSE", "ALNWICK",
                       postcode="NE66 2NL")

    plan = import_contacts(csv_bytes(row).decode().encode("cp1252"))

    assert plan.encoding == "Windows-1252"
    assert practice(ALNWICK).address == "Café House"


# ---------------------------------------------------------------------------------------
# Our own form: ods_code,address,phone[,postcode]


def test_the_own_form_sets_address_phone_and_postcode_as_written(riverside):
    plan = import_contacts(csv_bytes(
        " ODS_Code ,Address,PHONE,postcode",
        f"{RIVERSIDE},Riverside House (side door),+44 1434 600111,ne46 1qj",
        f"{ALNWICK},,01665 510888,",
    ))

    assert plan.form == FORM_OWN and plan.rows == 2
    assert contacts(RIVERSIDE) == ("+44 1434 600111", "Riverside House (side door)", "NE46 1QJ")
    assert contacts(ALNWICK) == ("01665 510888", "", "NE66 2NL")


def test_an_unknown_practice_in_the_own_form_refuses_the_whole_file(riverside):
    message = refusal(csv_bytes(
        "ods_code,phone",
        f"{RIVERSIDE},01434 600111",
        "A99999,01665 510888",
        "U99001,01665 510888",
    ))

    assert message.splitlines() == [
        "Line 3, column ods_code: No GP practice in the catalogue has the ODS code “A99999”.",
        "Line 4, column ods_code: U99001 is a primary care network, not a GP practice: only "
        "practices' contact details are imported.",
    ]
    assert practice(RIVERSIDE).phone == "", "nothing was changed, not even the good rows"


def test_an_invalid_phone_number_in_the_own_form_is_named_by_line_and_column():
    message = refusal(csv_bytes("ods_code,address,phone", f"{ALNWICK},Infirmary Drive,999"))

    assert message.startswith("Line 2, column phone: “999” is not a phone number")
    assert practice(ALNWICK).address == ""


def test_a_ragged_row_refuses_the_file():
    message = refusal(csv_bytes("ods_code,phone", f"{ALNWICK},01665 510888,extra"))

    assert message == "Line 2: This row has 3 cells; the header has 2."


def test_an_unknown_column_is_named():
    message = refusal(csv_bytes("ods_code,phone,email", f"{ALNWICK},01665 510888,a@b.example"))

    assert message == ("Line 1: Unknown column “email”. The columns are ods_code, address, "
                       "phone and (optional) postcode.")


def test_a_header_of_neither_form_says_which_two_are_accepted():
    message = refusal(csv_bytes("practice,telephone", f"{ALNWICK},01665 510888"))

    assert "Line 1: The first line is not a header this import knows." in message
    assert "epraccur.csv" in message and "ods_code,address,phone" in message


def test_a_cell_over_200_characters_is_refused():
    message = refusal(csv_bytes("ods_code,address", f"{ALNWICK},{'x' * 201}"))

    assert message.startswith("Line 2, column address: The value is 201 characters long")


@pytest.mark.parametrize(("data", "expected"), [
    (b"", "Line 1: The file is empty."),
    (b" \r\n\r\n", "Line 1: The file is empty."),
    (b"ods_code,phone\r\nA84006,0\x001665\r\n",
     "Line 2: The file contains a NUL byte: it is not a CSV text file."),
    (b"ods_code,phone\r\n", "Line 1: The file has a header but no rows."),
])
def test_a_file_that_is_not_a_contacts_csv_is_refused(data, expected):
    assert refusal(data) == expected


def test_a_dry_run_writes_nothing():
    plan = import_contacts(csv_bytes(ALNWICK_ROW), dry_run=True)

    assert plan.changes[0].fields == {"phone": ("", "01665 510888"),
                                      "address": ("", "Infirmary Drive")}
    assert contacts(ALNWICK) == ("", "", "NE66 2NL")


def test_prepare_contacts_plans_without_writing():
    plan = prepare_contacts(csv_bytes(ALNWICK_ROW))

    assert len(plan.changes) == 1 and practice(ALNWICK).phone == ""


# ---------------------------------------------------------------------------------------
# The command and the public page


def run(*args, **options) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_practice_contacts", *map(str, args), stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def test_the_command_says_what_it_read_and_changed(tmp_path, riverside):
    path = tmp_path / "epraccur.csv"
    closed = epraccur_row("A84007", "PONTELAND MEDICAL GROUP", "PONTELAND", postcode="NE20 9SD",
                          status="D")
    path.write_bytes(csv_bytes(ALNWICK_ROW, RIVERSIDE_ROW, ELSEWHERE_ROW, closed))

    out, err = run(path, verbosity=2)

    assert "A84006 phone: '' -> '01665 510888'" in out
    assert "epraccur.csv: 4 rows (ODS epraccur, UTF-8); 1 for practices not in the catalogue " \
           "(skipped)." in out
    assert "Changed: 2 practices (phone numbers 2, addresses 2, postcodes 1); 1 unchanged." in out
    assert err.startswith("Warning: 1 practice is closed or dormant in the file: A84007;")


def test_the_commands_dry_run_says_nothing_was_changed(tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_bytes(csv_bytes("ods_code,phone", f"{ALNWICK},01665 510888"))

    out, _ = run(path, "--dry-run")

    assert "Would change: 1 practice (phone numbers 1); 0 unchanged." in out
    assert "Dry run: nothing was changed." in out
    assert practice(ALNWICK).phone == ""


def test_the_command_refuses_a_bad_file_with_exit_code_1(tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_bytes(csv_bytes("ods_code,phone", "A99999,01665 510888", f"{ALNWICK},12"))

    with pytest.raises(CommandError) as raised:
        run(path)

    assert raised.value.returncode == 1
    assert str(raised.value).splitlines()[:2] == [
        f"{path}: refused (2 problems); nothing was changed.",
        "Line 2, column ods_code: No GP practice in the catalogue has the ODS code “A99999”.",
    ]


def test_the_command_refuses_a_file_over_the_size_limit_before_reading_it(tmp_path, settings):
    settings.CONTACTS_IMPORT_MAX_BYTES = 100
    path = tmp_path / "epraccur.csv"
    path.write_bytes(csv_bytes(ALNWICK_ROW))

    with pytest.raises(CommandError) as raised:
        run(path)

    assert str(raised.value) == (
        f"{path}: refused (1 problem); nothing was changed.\n"
        f"The file is {path.stat().st_size} bytes; the limit is 100 bytes "
        "(CONTACTS_IMPORT_MAX_BYTES).")
    assert practice(ALNWICK).phone == ""


def test_the_practice_page_shows_the_imported_number_as_a_tel_link(client, demo, tmp_path):
    def call_links():
        page = BeautifulSoup(client.get(f"/practices/{ALNWICK}/").content, "html.parser")
        return [link["href"] for link in page.select("a[href^='tel:']")]

    assert call_links() == [], "the page, now cached, has no number"
    path = tmp_path / "epraccur.csv"
    path.write_bytes(csv_bytes(ALNWICK_ROW))

    run(path)

    assert "tel:+441665510888" in call_links()

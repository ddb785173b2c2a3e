"""Bulk offers from a CSV file: `import_offers` and the module behind it.

The file is the complete list of offers of every organisation it mentions; any bad
row refuses the whole file, naming its line and column, and changes nothing.
"""

import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from wagtail.models import ModelLogEntry

from services_catalogue import offer_import
from services_catalogue.management.commands.import_offers import Command
from services_catalogue.models import Capability, Offer, OfferImport, Organisation
from tests.factories import OrganisationFactory, make_service

pytestmark = pytest.mark.django_db

HEADER = "ods_code,service_slug,capability\n"


def snapshot():
    """Every offer as (ODS code, service slug, capability slugs, since, until)."""
    return sorted(
        (o.organisation.ods_code, o.service.slug,
         tuple(sorted(c.slug for c in o.capabilities.all())), o.since, o.until)
        for o in Offer.objects.select_related("organisation", "service")
        .prefetch_related("capabilities")
    )


def offers_of(ods_code):
    return {
        o.service.slug: sorted(c.slug for c in o.capabilities.all())
        for o in Offer.objects.filter(organisation__ods_code=ods_code)
        .select_related("service").prefetch_related("capabilities")
    }


@pytest.fixture
def write(tmp_path):
    def write(content, name="offers.csv"):
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        return str(path)
    return write


@pytest.fixture
def run(write):
    """Run the command on a file; returns (stdout, stderr)."""
    def run(content, *args):
        out, err = io.StringIO(), io.StringIO()
        call_command("import_offers", write(content), *args, stdout=out, stderr=err)
        return out.getvalue(), err.getvalue()
    return run


@pytest.fixture
def refused(run):
    """Run the command expecting a refusal; checks nothing changed and returns the message."""
    def refused(content, *args):
        before = snapshot()
        imports = OfferImport.objects.count()
        with pytest.raises(CommandError) as caught:
            run(content, *args)
        assert snapshot() == before, "a refused file must leave the offers unchanged"
        assert OfferImport.objects.count() == imports
        return str(caught.value)
    return refused


# --- What a good file does ------------------------------------------------------------------


def test_the_file_is_the_complete_list_of_offers_of_each_organisation_it_mentions(run, demo):
    assert "nhs-app" in offers_of("A84009")
    run(HEADER + "A84009,nhs-111-online,\nA84009,nhs-website,advice\n")
    assert offers_of("A84009") == {"nhs-111-online": [], "nhs-website": ["advice"]}


def test_organisations_not_in_the_file_are_untouched(run, demo):
    others = [row for row in snapshot() if row[0] != "A84009"]
    run(HEADER + "A84009,nhs-111-online,\n")
    assert [row for row in snapshot() if row[0] != "A84009"] == others


def test_an_empty_capability_means_everything_the_service_does(run, demo):
    run(HEADER + "A84009,nhs-app,\n")
    assert offers_of("A84009") == {"nhs-app": []}


def test_rows_for_one_service_make_one_offer_with_those_capabilities(run, demo):
    run(HEADER + "A84009,nhs-app,prescriptions\nA84009,nhs-app,appointments\n")
    assert offers_of("A84009") == {"nhs-app": ["appointments", "prescriptions"]}


def test_the_capability_column_is_optional(run, demo):
    run("ods_code,service_slug\nA84009,nhs-app\n")
    assert offers_of("A84009") == {"nhs-app": []}


def test_a_capability_may_be_given_by_slug_or_name_in_any_case(run, demo):
    run(HEADER + "A84009,nhs-app,PRESCRIPTIONS\nA84009,nhs-app,appointment management\n")
    assert offers_of("A84009") == {"nhs-app": ["appointments", "prescriptions"]}


def test_ods_codes_are_trimmed_and_upper_cased(run, demo):
    run(HEADER + "  a84009 , nhs-app ,\n")
    assert offers_of("A84009") == {"nhs-app": []}


def test_changing_an_offers_capabilities_keeps_the_offer_and_its_dates(run, demo):
    offer = Offer.objects.get(organisation__ods_code="A84009", service__slug="nhs-app")
    offer.since = datetime.date(2024, 4, 1)
    offer.save()
    out, _ = run(HEADER + "A84009,nhs-app,prescriptions\n")
    kept = Offer.objects.get(organisation__ods_code="A84009", service__slug="nhs-app")
    assert kept.pk == offer.pk and kept.since == datetime.date(2024, 4, 1)
    assert [c.slug for c in kept.capabilities.all()] == ["prescriptions"]
    assert "1 changed" in out


def test_the_command_reports_what_changed(run, demo):
    current = offers_of("A84009")
    out, _ = run(HEADER + "A84009,nhs-app,\nA84009,nhs-111-online,\n")
    removed = len(current) - 1
    changed = 1 if current["nhs-app"] else 0
    assert f"1 added, {removed} removed, {changed} changed" in out
    assert "organisations not in the file are untouched" in out


def test_importing_the_same_file_again_changes_nothing(run, demo):
    content = HEADER + "A84009,nhs-app,prescriptions\nA84009,nhs-111-online,\nA84002,nhs-app,\n"
    run(content)
    before = snapshot()
    ids = set(Offer.objects.values_list("pk", flat=True))
    out, _ = run(content)
    assert "0 added, 0 removed, 0 changed, 3 unchanged" in out
    assert snapshot() == before
    assert set(Offer.objects.values_list("pk", flat=True)) == ids


def test_a_dry_run_reports_but_changes_and_records_nothing(run, demo):
    before = snapshot()
    out, _ = run(HEADER + "A84009,nhs-111-online,\n", "--dry-run")
    assert "Would change: 1 added" in out and "Dry run" in out
    assert snapshot() == before
    assert not OfferImport.objects.exists()


def test_an_applied_import_is_recorded_with_who_when_the_file_and_its_counts(
    run, demo, django_user_model
):
    django_user_model.objects.create_user("importer")
    existing = len(offers_of("A84009"))
    content = HEADER + "A84009,nhs-111-online,\n"
    run(content, "--user", "importer")
    record = OfferImport.objects.get()
    assert record.user.username == "importer" and record.via == "command"
    assert record.file_name == "offers.csv"
    assert record.sha256 == offer_import.sha256(content.encode())
    assert (record.added, record.removed, record.changed, record.unchanged) == (1, existing, 0, 0)
    assert (record.rows, record.organisations) == (1, 1)


def test_an_applied_import_is_in_the_audit_log_of_the_import_and_of_each_organisation(run, demo):
    run(HEADER + "A84009,nhs-111-online,\n")
    record = OfferImport.objects.get()
    entries = ModelLogEntry.objects.filter(action="services_catalogue.import_offers")
    on_record = entries.get(object_id=str(record.pk), content_type__model="offerimport")
    assert on_record.data["added"] == 1
    assert "Imported offers from offers.csv: 1 added" in on_record.message
    practice = Organisation.objects.get(ods_code="A84009")
    assert entries.filter(object_id=str(practice.pk), content_type__model="organisation").exists()


def test_an_unknown_user_is_refused(run, demo):
    with pytest.raises(CommandError, match="No user"):
        run(HEADER + "A84009,nhs-app,\n", "--user", "nobody")


def test_offers_of_an_unpublished_service_are_imported_with_a_warning(run, demo):
    draft = make_service(demo["services_index"], live=False,
                         capabilities=Capability.objects.filter(slug="prescriptions"))
    out, err = run(HEADER + f"A84009,{draft.slug},\n")
    assert "Warning: Line 2, column service_slug" in err and "not published" in err
    assert draft.slug in offers_of("A84009")


def test_offers_of_a_retired_service_are_imported_with_a_warning(run, demo):
    retired = make_service(demo["services_index"], lifecycle="retired")
    _, err = run(HEADER + f"A84009,{retired.slug},\n")
    assert "retired" in err


def test_the_public_page_cache_is_invalidated_when_the_import_commits(
    run, demo, django_capture_on_commit_callbacks
):
    from portal.cache import content_version

    practice = OrganisationFactory()
    version = content_version()
    with django_capture_on_commit_callbacks(execute=True):
        run(HEADER + f"{practice.ods_code},nhs-111-online,\n")  # adds only: no model signals
    assert content_version() > version


# --- Encodings and line endings ----------------------------------------------------------


def test_utf8_with_a_byte_order_mark_from_excel_is_accepted(run, demo):
    run(("\ufeff" + HEADER + "A84009,nhs-111-online,\n").encode("utf-8"))
    assert offers_of("A84009") == {"nhs-111-online": []}


def test_windows_1252_from_excel_is_accepted(run, demo):
    capability = Capability.objects.create(
        name="Café – ordering", slug="cafe-ordering", citizen_label="Order at the café"
    )
    service = make_service(demo["services_index"], capabilities=[capability])
    out, _ = run((HEADER + f"A84009,{service.slug},Café – ordering\r\n").encode("cp1252"))
    assert "Windows-1252" in out
    assert offers_of("A84009") == {service.slug: ["cafe-ordering"]}


def test_crlf_line_endings_and_trailing_blank_lines_are_accepted(run, demo):
    run(b"ods_code,service_slug,capability\r\nA84009,nhs-app,\r\n,,\r\n\r\n")
    assert offers_of("A84009") == {"nhs-app": []}


def test_the_header_may_differ_in_case_and_spacing(run, demo):
    run(" ODS_Code , Service Slug ,CAPABILITY \nA84009,nhs-app,\n")
    assert offers_of("A84009") == {"nhs-app": []}


def test_the_columns_may_come_in_any_order(run, demo):
    run("capability,service_slug,ods_code\nprescriptions,nhs-app,A84009\n")
    assert offers_of("A84009") == {"nhs-app": ["prescriptions"]}


def test_quoted_cells_are_read_as_csv(run, demo):
    run('"ods_code","service_slug","capability"\n"A84009","nhs-app","Medications and repeat prescriptions"\n')
    assert offers_of("A84009") == {"nhs-app": ["prescriptions"]}


# --- Refusals: every problem named by line and column, nothing changed ---------------------


def test_an_unknown_ods_code_is_refused_naming_the_line_and_column(refused, demo):
    message = refused(HEADER + "A84009,nhs-app,\nZ99999,nhs-app,\n")
    assert "Line 3, column ods_code: No organisation has the ODS code “Z99999”" in message


def test_an_unknown_service_is_refused(refused, demo):
    assert "Line 2, column service_slug: No service has the slug “nhs-ap”" in refused(
        HEADER + "A84009,nhs-ap,\n")


def test_an_unknown_capability_is_refused(refused, demo):
    assert "Line 2, column capability: No capability" in refused(
        HEADER + "A84009,nhs-app,teleportation\n")


def test_a_capability_the_service_does_not_have_is_refused(refused, demo):
    message = refused(HEADER + "A84009,nhs-111-online,prescriptions\n")
    assert "Line 2, column capability" in message and "does not have the capability" in message


def test_a_duplicate_row_is_refused(refused, demo):
    message = refused(HEADER + "A84009,nhs-app,prescriptions\nA84009,nhs-app,Prescriptions\n")
    assert "Line 3: This row repeats line 2" in message


def test_all_capabilities_and_some_capabilities_of_one_service_conflict(refused, demo):
    message = refused(HEADER + "A84009,nhs-app,\nA84009,nhs-app,prescriptions\n")
    assert "Line 3, column capability" in message and "line 2" in message


def test_every_problem_is_reported_not_only_the_first(refused, demo):
    message = refused(
        HEADER + "Z11111,nhs-app,\nA84009,nhs-app,\nA84009,nope,\nA84002,nhs-app,nope\n"
    )
    assert "Line 2, column ods_code" in message
    assert "Line 4, column service_slug" in message
    assert "Line 5, column capability" in message
    assert "refused (3 problems)" in message


def test_problems_beyond_the_cap_are_counted_not_listed(refused, demo):
    rows = "".join(f"Z{n:05d},nhs-app,\n" for n in range(120))
    message = refused(HEADER + rows)
    assert message.count("No organisation has the ODS code") == offer_import.MAX_PROBLEMS
    assert "and 70 more problems" in message


def test_a_file_without_a_header_is_refused_naming_the_unknown_columns(refused, demo):
    message = refused("A84009,nhs-app,\n")
    assert "Line 1: Unknown columns “A84009”, “nhs-app”" in message


def test_a_header_without_service_slug_is_refused(refused, demo):
    assert "no service_slug column" in refused("ods_code,capability\nA84009,advice\n")


def test_extra_columns_are_refused_by_name(refused, demo):
    message = refused("ods_code,service_slug,capability,notes\nA84009,nhs-app,,hello\n")
    assert "Unknown column “notes”" in message


def test_duplicate_header_columns_are_refused(refused, demo):
    message = refused("ods_code,service_slug,ODS_CODE\nA84009,nhs-app,A84009\n")
    assert "names ods_code more than once" in message


def test_a_semicolon_separated_file_gets_a_hint(refused, demo):
    assert "semicolons" in refused("ods_code;service_slug;capability\nA84009;nhs-app;\n")


@pytest.mark.parametrize("content", [b"", b"   \r\n\n", HEADER.encode(), (HEADER + ",,\n").encode()])
def test_an_empty_file_is_refused(refused, demo, content):
    message = refused(content)
    assert "empty" in message or "no offers" in message


def test_a_ragged_row_is_refused(refused, demo):
    message = refused(HEADER + "A84009,nhs-app\nA84002,nhs-app,,extra\n")
    assert "Line 2: This row has 2 cells; the header has 3" in message
    assert "Line 3: This row has 4 cells" in message


def test_an_empty_required_cell_is_refused(refused, demo):
    assert "Line 2, column service_slug: This cell is empty" in refused(HEADER + "A84009,,\n")


def test_a_file_over_the_size_limit_is_refused(refused, demo, settings):
    settings.OFFER_IMPORT_MAX_BYTES = 100
    message = refused(HEADER + "A84009,nhs-app,\n" * 10)
    assert "the limit is 100 bytes" in message


def test_the_size_limit_holds_for_the_module_too(demo, settings):
    settings.OFFER_IMPORT_MAX_BYTES = 10
    with pytest.raises(offer_import.OfferImportError, match="limit"):
        offer_import.prepare((HEADER + "A84009,nhs-app,\n").encode())


def test_text_that_is_neither_utf8_nor_windows_1252_is_refused(refused, demo):
    message = refused(HEADER.encode() + b"A84009,nhs-app,\x81\x8d\n")
    assert "neither UTF-8 nor Windows-1252" in message and "Line 2" in message


def test_a_bom_followed_by_invalid_utf8_is_refused(refused, demo):
    assert "not valid UTF-8" in refused(b"\xef\xbb\xbf" + HEADER.encode() + b"A84009,\xff,\n")


def test_utf16_is_refused_with_advice(refused, demo):
    assert "UTF-16" in refused(("\ufeff" + HEADER + "A84009,nhs-app,\n").encode("utf-16"))


def test_nul_bytes_are_refused(refused, demo):
    assert "Line 2: The file contains a NUL byte" in refused(HEADER.encode() + b"A84009\x00,nhs-app,\n")


@pytest.mark.parametrize("junk, reason", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "NUL byte"),
    (bytes(range(1, 32)) * 4, "control character"),
    (b"\x1f\x8b\x08" + bytes(range(0x80, 0x100)), "neither UTF-8 nor Windows-1252"),
    (b"PK\x03\x04\x14\x06", "control character"),
])
def test_binary_junk_is_refused(refused, demo, junk, reason):
    assert reason in refused(junk)


def test_formula_like_cells_are_only_ever_data(refused, demo):
    message = refused(HEADER + "\"=cmd|' /C calc'!A0\",nhs-app,\n+A84009,@SUM(A1),-1\n")
    assert "Line 2, column ods_code" in message and "“=cmd|' /C calc'!A0”" in message
    assert "Line 3, column service_slug" in message


def test_a_10000_character_cell_is_refused_without_echoing_it(refused, demo):
    message = refused(HEADER + "A84009,nhs-app," + "x" * 10_000 + "\n")
    assert "Line 2, column capability: The value is 10,000 characters long" in message
    assert "x" * 100 not in message


def test_a_cell_larger_than_the_csv_field_limit_is_refused(refused, demo):
    message = refused(HEADER + 'A84009,nhs-app,"' + "y" * 200_000 + '"\n')
    assert "Line 2" in message


def test_a_quoted_newline_inside_a_cell_is_refused_with_the_starting_line(refused, demo):
    message = refused(HEADER + 'A84009,"nhs-\napp",\nA84002,nhs-app,\n')
    assert "Line 2, column service_slug" in message


def test_a_refused_file_exits_with_a_non_zero_code(write, demo, capsys):
    path = write(HEADER + "Z99999,nhs-app,\n")
    with pytest.raises(SystemExit) as exit_:
        Command().run_from_argv(["manage.py", "import_offers", path])
    assert exit_.value.code == 1
    assert "Line 2, column ods_code" in capsys.readouterr().err


def test_a_missing_file_is_a_clear_error(demo, tmp_path):
    with pytest.raises(CommandError, match="cannot read the file"):
        call_command("import_offers", str(tmp_path / "nope.csv"))


# --- The plan, as the admin preview shows it ----------------------------------------------


def test_the_plan_lists_added_removed_changed_and_unchanged_offers(demo):
    current = offers_of("A84009")
    plan = offer_import.prepare(
        (HEADER + "A84009,nhs-app,prescriptions\nA84009,nhs-111-online,\n").encode()
    )
    kinds = {(c.kind, c.service.slug) for c in plan.changes}
    assert ("added", "nhs-111-online") in kinds
    for slug in set(current) - {"nhs-app"}:
        assert ("removed", slug) in kinds
    assert ("changed", "nhs-app") in kinds or current["nhs-app"] == ["prescriptions"]
    assert [o.ods_code for o in plan.organisations] == ["A84009"]


def test_applying_a_stale_plan_is_refused(demo):
    data = (HEADER + "A84009,nhs-111-online,\n").encode()
    digest = offer_import.prepare(data).digest
    Offer.objects.filter(organisation__ods_code="A84009").delete()
    with pytest.raises(offer_import.PlanChanged):
        offer_import.import_offers(data, file_name="x.csv", expected_digest=digest)
    assert offers_of("A84009") == {}

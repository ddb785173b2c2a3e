"""`manage.py import_uptake`: the DESIGN contract, idempotence, replacement and provenance."""

import datetime
import hashlib

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from services_catalogue.models import UptakeFile, UptakeObservation, UptakeSource
from services_catalogue.uptake import import_uptake_bytes

from .helpers import (
    HEADER,
    PRACTICES,
    csv_bytes,
    figures,
    refused,
    run_command,
    sample_rows,
    snapshot,
    write,
)

pytestmark = pytest.mark.django_db


def test_a_file_is_imported_with_its_provenance(demo, tmp_path):
    data = csv_bytes(sample_rows())
    path = write(tmp_path, data)
    out, _ = run_command(path)
    assert "4 figures for 2025-03: 4 added, 0 updated, 0 removed, 0 unchanged" in out
    source = UptakeSource.objects.get(name="NHS App (test)")
    assert source.format == "dfd_csv" and source.schedule == "manual"
    sha = hashlib.sha256(data).hexdigest()
    assert source.last_sha256 == sha
    observations = list(UptakeObservation.objects.filter(source=source).order_by("value"))
    assert [o.value for o in observations] == [100, 101, 102, 103]
    first = observations[0]
    assert first.organisation.ods_code == PRACTICES[0]
    assert first.service.slug == "nhs-app"
    assert first.period == datetime.date(2025, 3, 1)
    assert first.metric == "logins" and first.denominator == 5000
    assert first.file_sha256 == sha
    assert first.source_url == path.resolve().as_uri()
    assert abs((first.fetched_at - source.last_checked_at).total_seconds()) < 60


def test_the_denominator_column_is_optional(demo, tmp_path):
    rows = [(p, o, s, m, v) for p, o, s, m, v, _ in sample_rows()]
    run_command(write(tmp_path, csv_bytes(rows, "period,ods_code,service_slug,metric,value")))
    assert set(UptakeObservation.objects.values_list("denominator", flat=True)) == {None}


def test_an_empty_denominator_cell_means_none(demo, tmp_path):
    rows = sample_rows()
    rows[0] = rows[0][:5] + ("",)
    run_command(write(tmp_path, csv_bytes(rows)))
    assert UptakeObservation.objects.filter(denominator__isnull=True).count() == 1


def test_columns_may_come_in_any_order_with_a_bom_and_crlf(demo, tmp_path):
    data = ("\ufeffmetric,value,period,ods_code,service_slug\r\n"
            "logins,7,2025-01,a84002 ,NHS-App\r\n").encode()
    run_command(write(tmp_path, data))
    obs = UptakeObservation.objects.get()
    assert (obs.metric, obs.value, obs.organisation.ods_code) == ("logins", 7, "A84002")


def test_quoted_fields_are_read(demo, tmp_path):
    data = (HEADER + '\n"2025-01","A84002","nhs-app","logins","12",""\n').encode()
    run_command(write(tmp_path, data))
    assert UptakeObservation.objects.get().value == 12


def test_reimporting_the_same_file_changes_nothing(demo, tmp_path):
    path = write(tmp_path, csv_bytes(sample_rows()))
    run_command(path)
    before = snapshot()
    out, _ = run_command(path)
    assert "the same as the last one imported for this source: nothing changed" in out
    assert snapshot() == before


def test_reimporting_the_same_file_with_force_still_changes_nothing(demo, tmp_path):
    path = write(tmp_path, csv_bytes(sample_rows()))
    run_command(path)
    before = snapshot()
    out, _ = run_command(path, "NHS App (test)", "--force")
    assert "0 added, 0 updated, 0 removed, 4 unchanged" in out
    assert snapshot() == before


def test_reimporting_an_older_file_restores_it(demo, tmp_path):
    first = write(tmp_path, csv_bytes(sample_rows()), "first.csv")
    run_command(first)
    wanted = figures()
    run_command(write(tmp_path, csv_bytes(sample_rows(start=7)), "second.csv"))
    out, _ = run_command(first)
    assert "4 updated" in out
    assert {f[:6] for f in figures()} == {f[:6] for f in wanted}


def test_a_newer_file_replaces_the_periods_it_contains(demo, tmp_path):
    old = sample_rows("2025-03") + sample_rows("2025-04")
    old_data = csv_bytes(old)
    run_command(write(tmp_path, old_data, "march-april.csv"))
    april_before = set(UptakeObservation.objects.filter(period="2025-04-01").values_list(
        "organisation_id", "value", "file_id", "fetched_at"))
    # The newer file restates March: one figure changed, one the same, one gone, one new.
    newer = [
        ("2025-03", "A84002", "nhs-app", "logins", 999, 5000),   # changed
        ("2025-03", "A84005", "nhs-app", "logins", 101, 5000),   # same value
        ("2025-03", "A84006", "nhs-app", "registrations", 5, ""),  # new
    ]                                                               # A84006/A84007 logins: gone
    data = csv_bytes(newer)
    out, _ = run_command(write(tmp_path, data, "march-v2.csv"))
    assert "3 figures for 2025-03: 1 added, 1 updated, 2 removed, 1 unchanged" in out
    march = {(o.organisation.ods_code, o.metric): o for o in
             UptakeObservation.objects.filter(period="2025-03-01").select_related("file")}
    assert set(march) == {("A84002", "logins"), ("A84005", "logins"), ("A84006", "registrations")}
    assert march[("A84002", "logins")].value == 999
    new_sha = hashlib.sha256(data).hexdigest()
    old_sha = hashlib.sha256(old_data).hexdigest()
    # Provenance: what changed or is new came from the newer file; the unchanged figure
    # keeps the file it came from.
    assert march[("A84002", "logins")].file_sha256 == new_sha
    assert march[("A84006", "registrations")].file_sha256 == new_sha
    assert march[("A84005", "logins")].file_sha256 == old_sha
    newer_file = UptakeFile.objects.get(sha256=new_sha)
    assert (newer_file.inserted, newer_file.updated, newer_file.deleted, newer_file.unchanged,
            newer_file.periods) == (1, 1, 2, 1, ["2025-03"])
    # April, not in the newer file, is untouched.
    assert set(UptakeObservation.objects.filter(period="2025-04-01").values_list(
        "organisation_id", "value", "file_id", "fetched_at")) == april_before


def test_sources_do_not_replace_each_other(demo, tmp_path):
    path = write(tmp_path, csv_bytes(sample_rows()))
    run_command(path, "Source A")
    run_command(write(tmp_path, csv_bytes(sample_rows(start=1)), "b.csv"), "Source B")
    assert len(figures("Source A")) == 4 and len(figures("Source B")) == 4
    assert {v for *_, v, _d, _s, _h in figures("Source A")} == {100, 101, 102, 103}


def test_the_progress_bar_goes_to_stderr_when_asked(demo, tmp_path):
    out, err = run_command(write(tmp_path, csv_bytes(sample_rows())), "NHS App (test)",
                           "--progress")
    assert "Writing" in err and "4/4 rows" in err
    assert "[" not in out.split("\n")[0] or "Writing" not in out


def test_no_progress_bar_when_not_a_terminal(demo, tmp_path):
    _, err = run_command(write(tmp_path, csv_bytes(sample_rows())))
    assert err == ""


def test_a_file_over_the_size_limit_is_refused_before_reading(demo, tmp_path, settings):
    settings.UPTAKE_MAX_BYTES = 100
    message = refused(write(tmp_path, csv_bytes(sample_rows())))
    assert "limit is 100 bytes" in message and "UPTAKE_MAX_BYTES" in message
    assert not UptakeObservation.objects.exists() and not UptakeSource.objects.exists()


def test_a_missing_file_is_a_command_error(demo, tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        call_command("import_uptake", str(tmp_path / "nope.csv"), "--source", "x")


def test_the_exit_code_is_non_zero_on_bad_input(demo, tmp_path, capsys):
    from django.core.management import ManagementUtility

    # As from the shell: CommandError becomes exit code 1 with the message on stderr.
    path = write(tmp_path, b"period,ods_code\n2025-01,A84002\n")
    with pytest.raises(SystemExit) as exited:
        ManagementUtility(["manage.py", "import_uptake", str(path), "--source", "x"]).execute()
    assert exited.value.code == 1
    assert "Line 1, column service_slug: is missing from the header." in capsys.readouterr().err


def test_the_exit_code_is_zero_on_success(demo, tmp_path, capsys):
    from django.core.management import ManagementUtility

    path = write(tmp_path, csv_bytes(sample_rows()))
    ManagementUtility(["manage.py", "import_uptake", str(path), "--source", "x"]).execute()
    assert "Imported" in capsys.readouterr().out


def test_the_plain_function_is_what_the_command_runs(demo):
    result = import_uptake_bytes(csv_bytes(sample_rows()), source_name="Direct")
    assert result.rows == 4 and result.stored.inserted == 4
    again = import_uptake_bytes(csv_bytes(sample_rows()), source=result.source,
                                skip_if_unchanged=True)
    assert again.unchanged_file and not again.changed

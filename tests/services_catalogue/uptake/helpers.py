"""Helpers for the uptake tests: write files, run the command, snapshot the database."""

from __future__ import annotations

import io

from django.core.management import call_command
from django.core.management.base import CommandError

from services_catalogue.models import UptakeFile, UptakeObservation, UptakeSource
from tasks.models import TaskRun

HEADER = "period,ods_code,service_slug,metric,value,denominator"
PRACTICES = ["A84002", "A84005", "A84006", "A84007"]


def csv_bytes(rows, header: str = HEADER) -> bytes:
    lines = [header] + [",".join(str(cell) for cell in row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def sample_rows(period="2025-03", metric="logins", start=100):
    return [(period, code, "nhs-app", metric, start + i, 5000) for i, code in enumerate(PRACTICES)]


def write(tmp_path, data: bytes, name: str = "uptake.csv"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def run_command(path, source="NHS App (test)", *args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_uptake", str(path), "--source", source, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def refused(path, source="NHS App (test)") -> str:
    """Run the command expecting a refusal; return its message."""
    try:
        run_command(path, source)
    except CommandError as error:
        return str(error)
    raise AssertionError("the file was not refused")


def snapshot() -> dict:
    """Everything an import may change, exactly (timestamps and provenance included)."""
    return {
        "observations": sorted(UptakeObservation.objects.values_list(
            "source_id", "period", "metric", "service_id", "organisation_id", "value",
            "denominator", "fetched_at", "file_id")),
        "files": sorted(UptakeFile.objects.values_list(
            "pk", "source_id", "sha256", "url", "fetched_at", "rows", "inserted", "updated",
            "deleted", "unchanged")),
        "sources": sorted(UptakeSource.objects.values_list(
            "pk", "name", "format", "etag", "last_modified", "last_sha256", "last_changed_at")),
        "task_runs": TaskRun.objects.count(),
    }


def figures(source_name=None) -> set:
    """The figures as data (no timestamps), to compare two imports' results."""
    qs = UptakeObservation.objects.all()
    if source_name:
        qs = qs.filter(source__name=source_name)
    return set(qs.values_list("service__slug", "organisation__ods_code", "period", "metric",
                              "value", "denominator", "source__name", "file__sha256"))

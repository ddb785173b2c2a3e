"""`manage.py audit_accessibility [URL ...|--all] [--json] [--engine static|axe]`."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from services_catalogue.audit import engines
from services_catalogue.models import AccessibilityAudit
from tests.factories import make_service
from tests.services_catalogue.audits.sites import make_fetcher

pytestmark = pytest.mark.django_db
COMMAND = "services_catalogue.management.commands.audit_accessibility"


@pytest.fixture(autouse=True)
def loopback_fetcher(monkeypatch):
    """The command's fetcher, like every test fetcher, can only reach 127.0.0.0/8."""
    monkeypatch.setattr(f"{COMMAND}.fetcher_from_settings", lambda **kw: make_fetcher())


def run(*args) -> str:
    out = io.StringIO()
    call_command("audit_accessibility", *args, stdout=out)
    return out.getvalue()


def test_urls_are_audited_and_printed(demo, sites):
    out = run(sites.url("/svc/good/"), sites.url("/svc/none/"))
    assert sites.url("/svc/good/") in out and sites.url("/svc/none/") in out
    assert "1 failed" in out and "FAILED 23a2a8 [1.1.1]" in out
    assert f"statement: {sites.url('/svc/good/accessibility')}" in out
    assert "statement: not found" in out


def test_json_is_a_list_of_objects_with_url_status_and_findings(demo, sites):
    data = json.loads(run("--json", sites.url("/svc/old/"), sites.url("/broken")))
    assert [item["url"] for item in data] == [sites.url("/svc/old/"), sites.url("/broken")]
    old, broken = data
    assert old["status"] == 200 and old["counts"]["failed"] == 1
    assert any(f["rule"] == "23a2a8" and f["outcome"] == "failed" for f in old["findings"])
    for finding in old["findings"]:
        assert {"rule", "wcag", "outcome", "target", "message"} <= set(finding)
    assert old["statement"]["found"] and old["statement"]["out_of_date"]
    assert old["statement"]["page"]["url"] == sites.url("/svc/old/statement")
    assert broken["status"] == 500 and broken["findings"] == [] and broken["error"]
    assert old["service"] is None


def test_only_urls_of_services_are_stored(demo, sites):
    service = make_service(demo["services_index"], service_url=sites.url("/svc/good/"))
    before = AccessibilityAudit.objects.count()
    data = json.loads(run("--json", sites.url("/svc/good/"), sites.url("/svc/old/")))
    assert data[0]["service"] == service.slug and data[1]["service"] is None
    assert AccessibilityAudit.objects.count() == before + 2
    assert set(AccessibilityAudit.objects.filter(service=service)
               .values_list("kind", flat=True)) == {"start_page", "statement"}


def test_all_audits_every_live_service(demo, sites):
    good = make_service(demo["services_index"], service_url=sites.url("/svc/good/"))
    out = run("--all")
    assert "Audited" in out and good.title not in out  # services are named by slug
    assert f"[{good.slug}]" in out
    assert AccessibilityAudit.objects.filter(service=good, error="").exists()
    live = demo["services"]["nhs-app"]
    assert AccessibilityAudit.objects.filter(service=live).exclude(error="").exists()


def test_all_as_json(demo, sites):
    make_service(demo["services_index"], service_url=sites.url("/svc/good/"))
    data = json.loads(run("--all", "--json"))
    assert any(item["status"] == 200 and item["statement"]["found"] for item in data)
    assert all({"url", "status", "findings", "service"} <= set(item) for item in data)


def test_engine_axe_without_a_browser_falls_back_and_says_so(demo, sites, settings, tmp_path):
    settings.ACCESSIBILITY_AUDIT_BROWSER = str(tmp_path / "nothing")
    (item,) = json.loads(run("--json", "--engine", "axe", sites.url("/svc/none/")))
    assert item["engine"] == "static" and item["engine_note"] == engines.NO_BROWSER_NOTE
    assert "note: No browser installed" in run("--engine", "axe", sites.url("/svc/none/"))


@pytest.mark.parametrize("args, message", [
    ([], "Give one or more URLs"),
    (["--all", "https://example.org/"], "either URLs or --all"),
    (["example.org"], "Not an http(s) address: 'example.org'"),
    (["ftp://example.org/x"], "Not an http(s) address"),
    (["--engine", "lighthouse", "https://example.org/"], "invalid choice: 'lighthouse'"),
])
def test_bad_arguments_fail_with_a_clear_message(args, message):
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call_command("audit_accessibility", *args)


def test_bad_arguments_exit_non_zero_on_the_command_line(tmp_path):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "manage.py", "audit_accessibility"], capture_output=True, text=True,
        cwd=str(__import__("django").conf.settings.BASE_DIR), timeout=120,
    )
    assert result.returncode != 0
    assert "Give one or more URLs to audit, or --all" in result.stderr

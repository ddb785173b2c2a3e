"""python manage.py audit_accessibility [URL ...|--all] [--json] [--engine static|axe]

URLs given: audit each (its start page and the accessibility statement it links to) and print
the results; audits are stored only for URLs that are a live service's start page. `--all`:
audit every live, non-retired service and store the results. `--json` prints a JSON list of
objects {url, status, findings, counts, statement, ...} instead of text.

Exit code 0 when the audits ran (whatever they found); non-zero with a message for a bad
command line. The logic is in services_catalogue.audit.
"""

import json
from urllib.parse import urlsplit

from django.core.management.base import BaseCommand, CommandError

from services_catalogue.audit import engines
from services_catalogue.audit.runner import (
    Checker,
    audit_all,
    audit_url,
    result_json,
    store_report,
    url_services,
)
from tasks.fetch import fetcher_from_settings


class Command(BaseCommand):
    help = (
        "Audit the accessibility of service start pages and their accessibility statements: "
        "the given URLs, or every live service with --all."
    )

    def add_arguments(self, parser):
        parser.add_argument("urls", nargs="*", metavar="URL", help="http(s) addresses to audit")
        parser.add_argument("--all", action="store_true",
                            help="audit every live, non-retired service and store the results")
        parser.add_argument("--json", action="store_true", help="print the results as JSON")
        parser.add_argument(
            "--engine", choices=engines.ENGINES, default=None,
            help="static (the ACT rules checker, default) or axe (axe-core in Chromium; falls "
                 "back to static when no browser is installed). Default: the "
                 "ACCESSIBILITY_AUDIT_ENGINE setting.",
        )

    def handle(self, *args, urls, **options):
        if options["all"] and urls:
            raise CommandError("Give either URLs or --all, not both.")
        if not options["all"] and not urls:
            raise CommandError("Give one or more URLs to audit, or --all for every live service.")
        bad = [url for url in urls if urlsplit(url).scheme not in ("http", "https")
               or not urlsplit(url).hostname]
        if bad:
            raise CommandError(
                "Not an http(s) address: " + ", ".join(repr(url) for url in bad)
                + " (give full addresses such as https://www.nhs.uk/)."
            )
        engine = options["engine"] or engines.default_engine()
        results: list[dict] = []
        with fetcher_from_settings() as fetcher:
            if options["all"]:
                def collect(service, audits, error):
                    statement = audits[1] if len(audits) > 1 else None
                    data = result_json(audits[0], statement)
                    data["service"] = service.slug
                    results.append(data)
                    if not options["json"]:
                        self._print(data)

                outcome = audit_all(fetcher, engine=engine, on_result=collect)
                if not options["json"]:
                    self.stdout.write(
                        f"Audited {outcome.total} services: {outcome.audited} checked, "
                        f"{len(outcome.failed)} could not be checked."
                    )
            else:
                services = url_services(urls)
                with Checker(engine, fetcher) as checker:
                    for url in urls:
                        service = services.get(url)
                        report = audit_url(
                            url, fetcher, checker=checker,
                            statement_url=getattr(service, "accessibility_statement_url", "")
                            or "",
                        )
                        if service is not None:
                            store_report(service, report)
                        data = result_json(report.start, report.statement)
                        data["service"] = service.slug if service is not None else None
                        results.append(data)
                        if not options["json"]:
                            self._print(data)
        if options["json"]:
            self.stdout.write(json.dumps(results, indent=2))

    def _print(self, data: dict) -> None:
        write = self.stdout.write
        service = f" [{data['service']}]" if data.get("service") else ""
        write(f"{data['url']}{service}")
        if data["error"]:
            status = f"HTTP {data['status']}: " if data["status"] else ""
            write(f"  could not be checked: {status}{data['error']}")
        else:
            counts = data["counts"]
            write(
                f"  HTTP {data['status']} in {data['response_time_ms']} ms; {data['engine']}: "
                f"{counts['failed']} failed, {counts['cantTell']} can't tell, "
                f"{counts['passed']} passed"
            )
        if data["engine_note"]:
            write(f"  note: {data['engine_note']}")
        for finding in data["findings"]:
            if finding["outcome"] == "failed":
                nodes = finding.get("nodes") or 1
                more = f" (+{nodes - 1} more)" if nodes > 1 else ""
                wcag = ", ".join(finding["wcag"]) or "-"
                write(f"    FAILED {finding['rule']} [{wcag}] {finding['target']}{more}: "
                      f"{finding['message']}")
        statement = data["statement"]
        if statement["found"]:
            checks = statement["checks"]
            missing = ", ".join(checks.get("missing") or []) or "none"
            stale = " OUT OF DATE," if statement["out_of_date"] else ""
            write(f"  statement: {statement['url']}{stale} missing parts: {missing}")
        else:
            write(f"  statement: not found ({statement['checks'].get('reason', '')})")

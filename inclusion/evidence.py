"""The *Empower citizens* evidence page: a RAG status per section, each by a written rule.

Sections: offer coverage (the consistent offer, ``services_catalogue.offer_matrix``), use of
the NHS App, NHS login and the NHS website, self-service pathways, record access, the
accessibility of the services (their latest audits), digital inclusion support by place,
and the inclusion gap and its trend (``inclusion.dashboard``).  The rules are data
(``RULES``) so the page prints the same rules it applies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone

from services_catalogue.offer_matrix import offer_matrix

from . import dashboard, results

SELF_SERVICE = ("self-triage", "referral", "appointments", "prescriptions")
RECORD_ACCESS = ("health-record", "test-results", "correspondence", "care-plans")

RULES = {
    "coverage": "Green: at least 90% of practice-capability cells of the consistent offer "
                "are delivered; amber: at least 70% but under 90%; red: under 70%.",
    "use": "Green: at least 60% of patients aged 13+ registered for the NHS App in the latest "
           "month; amber: at least 40% but under 60%; red: under 40%.",
    "self_service": "Green: every self-service capability (self triage, referral, "
                    "appointments, repeat prescriptions) delivered at 90% or more of practices; "
                    "amber: the least-delivered one at 70% or more but under 90%; red: "
                    "under 70%.",
    "records": "Green: every record-access capability (health record, test results, "
               "correspondence, care plans) delivered at 90% or more of practices; amber: the "
               "least-delivered one at 70% or more but under 90%; red: under 70%.",
    "accessibility": "Green: at least 90% of live services had an accessibility statement "
                     "found and up to date at an audit in the last 31 days; amber: at least "
                     "70% but under 90%; red: under 70% (a service not audited in that time "
                     "counts as without). Failed automated checks are reported, not "
                     "scored: they cover only what a page's markup decides, not a full WCAG "
                     "audit.",
    "support": "Green: every place with GP practices has at least one active digital "
               "inclusion support service listed (free computers, digital champions, devices, "
               "data, courses or a helpline); amber: at least half of them do; red: fewer.",
    "gaps": "For NHS App registrations: green when the slope index of inequality (SII) is "
            "below 5 percentage points or its 95% CI includes 0; amber when it is 5 to 10 "
            "points, or above 10 but smaller than 12 months earlier; red when above 10 points "
            "and not smaller than 12 months earlier.",
}
RAG_LABELS = {"green": "Green", "amber": "Amber", "red": "Red", "grey": "No data"}


THRESHOLDS = (90, 70)  # green and amber of the offer, pathway and accessibility rules
USE_THRESHOLDS = (60, 40)  # green and amber of the "use" rule


def rag_from_percent(value: float | None, green: float, amber: float) -> str:
    """The status of an *unrounded* percentage (89.7 is amber against "at least 90")."""
    if value is None:
        return "grey"
    return "green" if value >= green else "amber" if value >= amber else "red"


def percent_text(value: float | None, thresholds=THRESHOLDS, decimals: int = 0) -> str:
    """A percentage as shown beside its status: to ``decimals`` places, unless rounding
    would carry it onto a threshold it is rated below -- then one more place, and never
    rounded up onto the threshold (89.7 -> "89.7%", 89.96 -> "89.9%", 92.1 -> "92%")."""
    if value is None:
        return ""

    def crosses(shown: float) -> bool:
        return any(value < t <= shown for t in thresholds)

    if not crosses(round(value, decimals)):
        return f"{value:.{decimals}f}%"
    places = decimals + 1
    shown = round(value, places)
    if crosses(shown):
        shown = math.floor(value * 10 ** places) / 10 ** places
    return f"{shown:.{places}f}%"


@dataclass
class Section:
    key: str
    title: str
    rag: str
    findings: list[str]
    sources: list[str] = field(default_factory=list)

    @property
    def rule(self) -> str:
        return RULES[self.key]

    @property
    def rag_label(self) -> str:
        return RAG_LABELS[self.rag]


def _capability_coverage(matrix, slugs) -> list[tuple[str, float | None]]:
    """(capability, unrounded share of practices delivering it) for the given slugs."""
    return [(entry.item.capability.name, entry.coverage_share)
            for entry in matrix.capability_coverage if entry.item.capability.slug in slugs]


def _pathways(key, title, matrix, slugs, today) -> Section:
    rows = _capability_coverage(matrix, slugs)
    values = [c for _, c in rows if c is not None]
    rag = rag_from_percent(min(values) if values else None, 90, 70)
    findings = [f"{name}: delivered at {percent_text(c)} of GP practices." if c is not None
                else f"{name}: no practices." for name, c in rows]
    if not rows:
        findings = ["None of these capabilities is in the consistent offer."]
    return Section(key, title, rag, findings,
                   [f"Offers in the catalogue, as at {today:%d %B %Y}."])


def _support(today) -> Section:
    """The digital inclusion strategy in practice: is there somewhere in every place that
    helps people get online?"""
    from services_catalogue.models import InclusionSupport, Organisation, OrganisationKind

    places = sorted(set(Organisation.objects.filter(
        kind=OrganisationKind.GP_PRACTICE, active=True).exclude(place="")
        .values_list("place", flat=True)))
    support = {}
    for place, kind in InclusionSupport.objects.filter(active=True).values_list("place",
                                                                              "kind"):
        support.setdefault(place, set()).add(kind)
    served = [place for place in places if support.get(place)]
    share = 100 * len(served) / len(places) if places else None
    rag = "grey" if share is None else rag_from_percent(share, 100, 50)
    findings = [f"{len(served)} of {len(places)} places with GP practices have digital "
                "inclusion support listed."]
    missing = [place for place in places if not support.get(place)]
    if missing:
        findings.append(f"No support listed in: {', '.join(missing)}.")
    total = sum(1 for _ in InclusionSupport.objects.filter(active=True))
    findings.append(f"{total} active support services in the catalogue (shown to citizens "
                    "on the help getting online page and beside each practice's offer).")
    return Section("support", "Digital inclusion support", rag, findings,
                   [f"Inclusion support services in the catalogue, as at {today:%d %B %Y}."])


AUDIT_MAX_AGE_DAYS = 31


def _rule_names() -> dict[str, str]:
    from tasks.act import RULES as ACT_RULES

    return {spec.id: spec.name for spec in ACT_RULES}


def _accessibility(today) -> Section:
    """The services themselves: can disabled people use them? The legal minimum (Public
    Sector Bodies Accessibility Regulations 2018) is a current accessibility statement, so
    that is what is scored; failed automated checks are reported beside it, not scored,
    because they cover only what a page's markup decides."""
    from services_catalogue.audit.reports import services_with_latest_audit

    rows = services_with_latest_audit()
    if not rows:
        return Section("accessibility", "Accessibility of the services", "grey",
                       ["There are no live services to audit."])
    since = timezone.now() - timedelta(days=AUDIT_MAX_AGE_DAYS)
    recent = [(service, audit) for service, audit in rows
              if audit is not None and audit.checked_at >= since]
    current = [a for _, a in recent if a.statement_found and not a.statement_out_of_date]
    out_of_date = [a for _, a in recent if a.statement_found and a.statement_out_of_date]
    unreachable = [s for s, a in recent if a.error]
    failed = [(s, a) for s, a in recent if not a.error and a.failed_count]
    share = 100 * len(current) / len(rows)
    findings = [
        f"{len(recent)} of {len(rows)} live services audited in the last "
        f"{AUDIT_MAX_AGE_DAYS} days.",
        f"Accessibility statement found and up to date: {len(current)} of {len(rows)} "
        f"live services ({percent_text(share)}); out of date: {len(out_of_date)}; not found or not "
        f"checked: {len(rows) - len(current) - len(out_of_date)}.",
    ]
    if unreachable:
        findings.append(f"Start page could not be fetched: {len(unreachable)} "
                        f"({', '.join(s.title for s in unreachable)}).")
    checked = len(recent) - len(unreachable)
    findings.append(f"Start pages with failed automated checks: {len(failed)} of {checked}.")
    by_rule: dict[str, int] = {}
    for _, audit in failed:
        for rule in {f.get("rule") for f in audit.findings or []
                     if f.get("outcome") == "failed" and f.get("rule")}:
            by_rule[rule] = by_rule.get(rule, 0) + 1
    if by_rule:
        names = _rule_names()
        common = sorted(by_rule.items(), key=lambda item: (-item[1], item[0]))[:3]
        findings.append("Most common failures: " + "; ".join(
            f"{names.get(rule, rule)} ({count} service{'s' if count != 1 else ''})"
            for rule, count in common) + ".")
    audited = [a.checked_at for _, a in rows if a is not None]
    if not recent:
        # the rule counts a service not audited lately as without a statement, so this is
        # rated like any other share; say how to get evidence
        findings.append("Audits run daily, or from a service's Accessibility panel in the "
                        "admin.")
    sources = ([f"Accessibility audits of the services' start pages and statements, latest "
                f"on {timezone.localtime(max(audited)):%d %B %Y}."] if audited
               else ["No accessibility audit has been run yet."])
    return Section(
        "accessibility", "Accessibility of the services", rag_from_percent(share, 90, 70),
        findings, sources,
    )


def _website_use() -> tuple[str, list[str]]:
    """The NHS website has no registrations: report its measure with the most figures."""
    from services_catalogue.models.uptake import UptakeObservation

    metrics = {}
    for metric in UptakeObservation.objects.filter(service__slug="nhs-website").values_list(
            "metric", flat=True):
        metrics[metric] = metrics.get(metric, 0) + 1
    if not metrics:
        return ("NHS website: no figures loaded (add an uptake source for it under Metrics).",
                [])
    metric = max(sorted(metrics), key=metrics.get)
    board = _latest_rate("nhs-website", metric)
    if board is None or not board.ics:
        return f"NHS website ({metric.replace('_', ' ')}): no figures.", []
    return (f"NHS website, {metric.replace('_', ' ')}: {100 * board.ics['rate']:.1f}% of "
            f"{_denominator(board)} ({dashboard.month_label(board.period)}).",
            [f"{board.source}, {dashboard.month_label(board.period)}."])


def _denominator(board) -> str:
    """What a rate is a share of, in a few words ("patients aged 13+"): the dashboard's
    ``basis`` is the long explanation, for its method notes."""
    return board.denominator or "the eligible population"


def _latest_rate(service: str, metric: str):
    board = results.board(service, metric, None, "practice")
    return board if not board.empty else None


STEPS = ("Offer coverage", "NHS App registrations", "NHS App logins", "NHS login accounts",
         "Accessibility audits", "Inclusion support", "Inclusion gaps",
         "Inclusion gaps 12 months earlier")


def sections(progress=None) -> tuple[list[Section], set[str]]:
    """The evidence, section by section. Each dashboard it reads comes from (and goes to)
    the results cache, so the evidence pack and the dashboard share their work."""
    def step(index: int) -> None:
        if progress is not None:
            progress(index, len(STEPS), STEPS[index])

    step(0)
    today = timezone.localdate()
    matrix = offer_matrix()
    out = []
    used_sources: set[str] = set()

    coverage = matrix.coverage_share
    out.append(Section(
        "coverage", "Offer coverage", rag_from_percent(coverage, 90, 70),
        [f"{percent_text(coverage) if coverage is not None else '0%'} of the consistent offer "
         f"is delivered across {len(matrix.rows)} GP practices ({matrix.offered} of "
         f"{matrix.cells} practice-capability cells; {len(matrix.gaps)} gaps)."],
        [f"Offers in the catalogue, as at {today:%d %B %Y}."],
    ))

    findings, sources, app_rate = [], [], None
    for index, (service, metric, label) in enumerate((
            ("nhs-app", "registrations", "NHS App registrations"),
            ("nhs-app", "logins", "NHS App users logging in that month"),
            ("nhs-login", "registrations", "NHS login accounts")), start=1):
        step(index)
        board = _latest_rate(service, metric)
        if board is None or not board.ics:
            findings.append(f"{label}: no figures.")
            continue
        rate = board.ics["rate"]
        if (service, metric) == ("nhs-app", "registrations"):
            app_rate = 100 * rate
        shown = percent_text(100 * rate, USE_THRESHOLDS if (service, metric) == (
            "nhs-app", "registrations") else (), decimals=1)
        findings.append(f"{label}: {shown} of {_denominator(board)} "
                        f"({dashboard.month_label(board.period)}).")
        sources.append(f"{board.source}, {dashboard.month_label(board.period)}.")
        used_sources.add(board.source)
    website = _website_use()
    findings.append(website[0])
    sources.extend(website[1])
    out.append(Section("use", "Use of the NHS App, NHS login and the NHS website",
                       rag_from_percent(app_rate, 60, 40), findings, sorted(set(sources))))

    out.append(_pathways("self_service", "Self-service pathways", matrix, SELF_SERVICE, today))
    out.append(_pathways("records", "Record access", matrix, RECORD_ACCESS, today))

    step(4)
    out.append(_accessibility(today))
    step(5)
    out.append(_support(today))
    step(6)
    board = _latest_rate("nhs-app", "registrations")
    if board is None or not board.sii:
        out.append(Section("gaps", "Inclusion gaps and trend", "grey",
                           ["No NHS App registration figures by deprivation."]))
    else:
        sii = 100 * board.sii["sii"]
        includes_zero = board.sii["sii_lower"] <= 0 <= board.sii["sii_upper"]
        periods = dashboard.choices()["periods"]
        earlier_period = next((p for p in periods if (board.period.year - p.year) * 12
                               + board.period.month - p.month == 12), None)
        step(7)
        earlier = (results.board("nhs-app", "registrations", earlier_period, "practice")
                   if earlier_period else None)
        earlier_sii = 100 * earlier.sii["sii"] if earlier and earlier.sii else None
        narrowing = earlier_sii is not None and sii < earlier_sii
        if sii < 5 or includes_zero:
            rag = "green"
        elif sii <= 10 or narrowing:
            rag = "amber"
        else:
            rag = "red"
        findings = [
            f"Slope index of inequality across IMD deciles: {sii:.1f} percentage points "
            f"(95% CI {100 * board.sii['sii_lower']:.1f} to {100 * board.sii['sii_upper']:.1f}) "
            f"in {dashboard.month_label(board.period)}.",
        ]
        if board.gap:
            findings.append(f"Least against most deprived quintile: {100 * board.gap['least']:.1f}%"
                            f" against {100 * board.gap['most']:.1f}% ({board.gap['points']} "
                            "points).")
        if earlier_sii is not None:
            findings.append(f"12 months earlier the SII was {earlier_sii:.1f} points: the gap is "
                            f"{'narrowing' if narrowing else 'not narrowing'}.")
        if board.trend:
            findings.append(f"The ICS rate changes by {100 * board.trend['slope_per_year']:+.1f} "
                            "percentage points a year.")
        if board.outliers:
            findings.append(f"{len(board.outliers)} practices are below the 99.8% funnel limit: "
                            f"{', '.join(board.outliers)}.")
        findings.append(f"Deprivation method: {board.method_text}.")
        out.append(Section("gaps", "Inclusion gaps and trend", rag, findings,
                           [f"{board.source}, {dashboard.month_label(board.period)}; "
                            "IMD 2019 (practice scores)."]))
        used_sources.add(board.source)
    return out, used_sources

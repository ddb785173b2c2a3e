"""Finding a service's accessibility statement and checking it has the parts the law requires.

The Public Sector Bodies (Websites and Mobile Applications) (No. 2) Accessibility Regulations
2018 require a statement that says how compliant the service is (fully, partially or not
compliant), lists the content that is not accessible and why, says when the statement was
prepared and last reviewed, tells people how to give feedback and contact the provider, and
points to the enforcement procedure (the Equality and Human Rights Commission, or in Northern
Ireland the Equality Commission; people are told to contact the Equality Advisory and Support
Service). GOV.UK's model statement uses exactly these phrases, which is what we look for.

Everything here is plain Python on strings: no Django, no network.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser

from tasks.act.dom import limit_nesting

# A statement reviewed or prepared longer ago than this is out of date (the regulations ask
# for a yearly review).
OUT_OF_DATE_AFTER_DAYS = 365
MAX_URL = 2000  # longer links are not followed (nor stored)

PARTS = (
    "compliance_status",
    "non_accessible_content",
    "preparation_date",
    "review_date",
    "feedback_contact",
    "enforcement_procedure",
)
PART_LABELS = {
    "compliance_status": "Compliance status (fully, partially or not compliant)",
    "non_accessible_content": "Non-accessible content",
    "preparation_date": "When the statement was prepared",
    "review_date": "When the statement was last reviewed",
    "feedback_contact": "Feedback and contact information",
    "enforcement_procedure": "Enforcement procedure (EHRC / EASS)",
}

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
            ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
            ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
DATE_PATTERNS = [
    re.compile(rf"\b{_DAY}(?:\s+of)?\s+{_MONTH},?\s+{_YEAR}\b", re.I),  # 23 September 2024
    re.compile(rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}\b", re.I),  # September 23, 2024
    re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<month>[01]?\d)-(?P<day>[0-3]?\d)\b"),  # ISO
    re.compile(r"\b(?P<day>[0-3]?\d)/(?P<month>[01]?\d)/(?P<year>(?:19|20)\d\d)\b"),  # 23/09/2024
    re.compile(rf"\b{_MONTH}\s+{_YEAR}\b", re.I),  # September 2024 (first of the month)
]

# Phrases introducing each date, and how far after them we look for the date itself.
PREPARED = re.compile(
    r"\b(?:statement\s+was\s+(?:first\s+)?(?:prepared|published|created|written)"
    r"|prepared\s+on|(?:first\s+)?published\s+on|was\s+prepared)\b",
    re.I,
)
REVIEWED = re.compile(
    r"\b(?:last\s+(?:reviewed|updated|revised)|reviewed\s+on|updated\s+on|revised\s+on"
    r"|was\s+(?:last\s+)?(?:reviewed|updated))\b",
    re.I,
)
DATE_WINDOW = 160
SENTENCE_END = re.compile(r"[.!?]\s+(?=[A-Z])")

COMPLIANCE = re.compile(r"\b(fully|partially|not|non)[\s-]+compliant\b", re.I)
NON_ACCESSIBLE = re.compile(
    r"\bnon[\s-]?accessible\s+content\b|\bcontent\s+(?:that\s+is|that's|which\s+is)\s+not\s+"
    r"accessible\b|\bnot\s+accessible\b|\bnon[\s-]?compliance\s+with\s+the\s+accessibility\s+"
    r"regulations\b|\bdisproportionate\s+burden\b|\bnot\s+within\s+the\s+scope\s+of\s+the\s+"
    r"accessibility\s+regulations\b|\bknown\s+(?:accessibility\s+)?issues\b",
    re.I,
)
EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
PHONE = re.compile(r"(?<!\d)(?:\+44\s?|0)\d{2,4}[\s-]?\d{3,4}[\s-]?\d{3,4}(?!\d)")
CONTACT = re.compile(r"\bcontact\b|\bfeedback\b", re.I)
ENFORCEMENT_WORDS = re.compile(
    r"equality\s+and\s+human\s+rights\s+commission|equality\s+advisory\s+and\s+support\s+"
    r"service|equality\s+commission\s+for\s+northern\s+ireland",
    re.I,
)
ENFORCEMENT_ACRONYMS = re.compile(r"\b(?:EHRC|EASS|ECNI)\b")


@dataclass
class StatementCheck:
    """What a statement page contains, part by part."""

    parts: dict[str, bool] = field(default_factory=dict)
    compliance_status: str = ""  # "fully compliant", "partially compliant", "not compliant"
    prepared_on: datetime.date | None = None
    reviewed_on: datetime.date | None = None
    out_of_date: bool = False
    looks_like_statement: bool = False

    @property
    def missing(self) -> list[str]:
        return [part for part in PARTS if not self.parts.get(part)]

    @property
    def latest_date(self) -> datetime.date | None:
        dates = [d for d in (self.prepared_on, self.reviewed_on) if d]
        return max(dates) if dates else None

    def as_json(self) -> dict:
        return {
            "looks_like_statement": self.looks_like_statement,
            "parts": {part: bool(self.parts.get(part)) for part in PARTS},
            "missing": self.missing,
            "compliance_status": self.compliance_status,
            "prepared_on": self.prepared_on.isoformat() if self.prepared_on else None,
            "reviewed_on": self.reviewed_on.isoformat() if self.reviewed_on else None,
        }


# -- dates --------------------------------------------------------------------------------
def _month_number(value: str) -> int:
    return int(value) if value.isdigit() else MONTHS[value.lower().rstrip(".")]


def parse_date(text: str) -> datetime.date | None:
    """The first date written in `text` ("23 September 2024", "23rd Sept 2024",
    "September 23, 2024", "2024-09-23", "23/09/2024", "September 2024"), or None.

    A written-out date that does not exist ("31 February 2024") is skipped, and its month
    and year are not read as "February 2024"."""
    claimed: list[tuple[int, int]] = []  # spans of full dates, valid or not
    found: list[tuple[int, datetime.date]] = []
    for pattern in DATE_PATTERNS:
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(start < claim_end and claim_start < end for claim_start, claim_end in claimed):
                continue
            claimed.append((start, end))
            groups = match.groupdict()
            try:
                day = datetime.date(
                    int(groups["year"]), _month_number(groups["month"]), int(groups.get("day") or 1)
                )
            except (ValueError, KeyError):
                continue
            found.append((start, day))
    return min(found)[1] if found else None


def _date_after(phrase: re.Pattern, text: str) -> datetime.date | None:
    """The date nearest after any of the phrase's occurrences (the latest such date if
    several sentences give one, e.g. "last updated" twice)."""
    dates = []
    for match in phrase.finditer(text):
        window = SENTENCE_END.split(text[match.end(): match.end() + DATE_WINDOW], 1)[0]
        found = parse_date(window)
        if found:
            dates.append(found)
    return max(dates) if dates else None


# -- the page -----------------------------------------------------------------------------
def _parse(html: str) -> LexborHTMLParser:
    return LexborHTMLParser(limit_nesting(html))


def page_text(tree: LexborHTMLParser) -> str:
    for node in tree.css("script, style, template, noscript"):
        node.decompose()
    root = tree.body or tree.root
    text = root.text(separator=" ") if root is not None else ""
    return re.sub(r"\s+", " ", text)


def check_statement(
    html: str, today: datetime.date | None = None, *, title_hint: str = ""
) -> StatementCheck:
    """Which of the required parts an accessibility statement page has."""
    today = today or datetime.date.today()
    tree = _parse(html)
    hrefs = [a.attributes.get("href") or "" for a in tree.css("a[href]")]
    text = page_text(tree)
    check = StatementCheck()

    compliance = COMPLIANCE.search(text)
    if compliance:
        level = compliance.group(1).lower()
        check.compliance_status = ("not" if level == "non" else level) + " compliant"
    check.prepared_on = _date_after(PREPARED, text)
    check.reviewed_on = _date_after(REVIEWED, text)
    fully = check.compliance_status == "fully compliant"
    check.parts = {
        "compliance_status": bool(compliance),
        # A fully compliant service has nothing to list.
        "non_accessible_content": bool(NON_ACCESSIBLE.search(text)) or fully,
        "preparation_date": check.prepared_on is not None,
        "review_date": check.reviewed_on is not None,
        "feedback_contact": bool(
            EMAIL.search(text)
            or PHONE.search(text)
            or CONTACT.search(text)
            or any(h.lower().startswith(("mailto:", "tel:")) for h in hrefs)
        ),
        "enforcement_procedure": bool(
            ENFORCEMENT_WORDS.search(text) or ENFORCEMENT_ACRONYMS.search(text)
        ),
    }
    latest = check.latest_date
    check.out_of_date = bool(
        latest and (today - latest).days > OUT_OF_DATE_AFTER_DAYS
    )
    title = (tree.css_first("title").text() if tree.css_first("title") else "") + " " + title_hint
    check.looks_like_statement = bool(
        re.search(r"accessibility", title + " " + text[:5000], re.I)
        and (compliance or sum(check.parts.values()) >= 2)
    )
    return check


# -- finding the statement from the start page --------------------------------------------
def statement_links(html: str, base_url: str) -> list[str]:
    """Candidate statement URLs linked from a page, the likeliest first.

    Link text "accessibility statement" beats link text mentioning "accessibility", which
    beats an address mentioning it; only http(s) links are returned, absolute."""
    tree = _parse(html)
    scored: dict[str, tuple[int, int]] = {}
    for position, anchor in enumerate(tree.css("a[href]")):
        href = (anchor.attributes.get("href") or "").strip()
        if not href or href.startswith("#"):
            continue
        label = " ".join(
            filter(None, [anchor.text(separator=" "), anchor.attributes.get("aria-label"),
                          anchor.attributes.get("title")])
        ).lower()
        label = re.sub(r"\s+", " ", label)
        score = 0
        if "accessibility statement" in label:
            score = 3
        elif "accessibility" in label:
            score = 2
        elif "accessibility" in href.lower():
            score = 1
        if not score:
            continue
        try:
            absolute = urljoin(base_url, href)
            if urlsplit(absolute).scheme not in ("http", "https") or len(absolute) > MAX_URL:
                continue
        except ValueError:  # e.g. "http://[" : not a URL
            continue
        absolute = absolute.split("#", 1)[0]
        best = scored.get(absolute)
        if best is None or score > best[0]:
            scored[absolute] = (score, -position)
    return [url for url, _ in sorted(scored.items(), key=lambda item: item[1], reverse=True)]

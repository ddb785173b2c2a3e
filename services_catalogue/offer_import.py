"""Bulk offers from a CSV file: parse, validate, plan (diff), apply.

The file (columns `ods_code,service_slug,capability`, capability optional) is the
complete list of offers for every organisation it mentions: their offers that are
not in the file are removed. Organisations the file does not mention are untouched.

All or nothing: `prepare` reads the whole file and raises `OfferImportError` listing
every problem it found (up to `MAX_PROBLEMS`), each naming its line and column;
`import_offers` plans and applies in one transaction and records the import in
`OfferImport` and in Wagtail's audit log. The `import_offers` management command and
the admin upload both use this module; neither has logic of its own.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from wagtail.log_actions import LogContext, log

from services_catalogue.csv_text import CsvTextError, decode_csv_bytes
from services_catalogue.import_errors import MAX_PROBLEMS, FileRefused  # noqa: F401 - re-exported

from .models import Capability, DigitalService, Offer, OfferImport, Organisation
from .models.organisation import ODS_CODE_RE, normalise_ods_code
from .models.service import Lifecycle

ACTION = "services_catalogue.import_offers"
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
MAX_CELL_CHARS = 200
COLUMNS = ("ods_code", "service_slug", "capability")
REQUIRED = ("ods_code", "service_slug")
# Unicode's "Cc" characters except tab, line feed and carriage return.


def max_bytes() -> int:
    return int(getattr(settings, "OFFER_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


# ---------------------------------------------------------------------------------------
# Problems


@dataclass(frozen=True)
class Problem:
    """Something wrong with the file, where it is (1-based line in the file, column name)."""

    message: str
    line: int | None = None
    column: str | None = None

    @property
    def where(self) -> str:
        parts = []
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.column:
            parts.append(f"column {self.column}")
        return ", ".join(parts)

    def __str__(self) -> str:
        return f"{self.where.capitalize()}: {self.message}" if self.where else self.message


class OfferImportError(FileRefused):
    """The file was refused; nothing changed. `problems` holds at most MAX_PROBLEMS."""


class PlanChanged(Exception):
    """The catalogue changed between the preview and the confirmation."""

    def __init__(self, plan: Plan):
        self.plan = plan
        super().__init__("The offers changed since the preview; check the new preview.")


def show(value: str, limit: int = 40) -> str:
    """A value from the file, quoted, shortened and with anything unprintable escaped."""
    if len(value) > limit:
        value = value[:limit] + "\u2026"
    printable = "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in value
    )
    return f"\u201c{printable}\u201d"


# ---------------------------------------------------------------------------------------
# Parse


@dataclass(frozen=True)
class Row:
    line: int
    ods_code: str
    service_slug: str
    capability: str


@dataclass
class ParsedFile:
    rows: list[Row]
    encoding: str
    problems: list[Problem] = field(default_factory=list)


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding name): UTF-8 (with or without a byte order mark) or Windows-1252.

    Excel's "CSV UTF-8" starts with a byte order mark; its plain "CSV" is Windows-1252.
    Anything that is neither, or that holds NUL or other control characters, is not
    a CSV text file and is refused.
    """
    if len(data) > max_bytes():
        raise OfferImportError([Problem(
            f"The file is {len(data):,} bytes; the limit is {max_bytes():,} bytes "
            "(OFFER_IMPORT_MAX_BYTES). Split it by organisation: each file only changes "
            "the organisations it mentions."
        )])
    if not data.strip():
        raise OfferImportError([Problem("The file is empty.")])
    try:
        return decode_csv_bytes(data)
    except CsvTextError as error:
        raise OfferImportError([Problem(error.message, line=error.line)]) from None


def _header_name(cell: str) -> str:
    return re.sub(r"[\s\-]+", "_", cell.strip()).lower()


def parse(text: str, encoding: str = "UTF-8") -> ParsedFile:
    """Rows of the file, with every problem of shape (header, ragged rows, empty cells)."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        raw_header = next(reader, None)
    except csv.Error as error:
        raise OfferImportError(
            [Problem(f"The header cannot be read as CSV: {error}.", line=1)]
        ) from None
    if not raw_header or not any(cell.strip() for cell in raw_header):
        raise OfferImportError([Problem(
            "The first line must be the header: ods_code,service_slug,capability.", line=1
        )])
    header = [_header_name(cell) for cell in raw_header]
    problems = []
    if len(header) == 1 and (";" in raw_header[0] or "\t" in raw_header[0]):
        problems.append(Problem(
            "The header has one column: the file seems to use semicolons or tabs between "
            "columns. Use commas (save from Excel as \u201cCSV UTF-8 (comma delimited)\u201d).",
            line=1,
        ))
    else:
        unknown = [raw.strip() for raw, name in zip(raw_header, header, strict=True)
                   if name and name not in COLUMNS]
        if unknown:
            problems.append(Problem(
                "Unknown column" + ("s " if len(unknown) > 1 else " ")
                + ", ".join(show(name) for name in unknown)
                + ". The columns are ods_code, service_slug and (optional) capability.",
                line=1,
            ))
        duplicates = sorted({name for name in header if name and header.count(name) > 1})
        if duplicates:
            problems.append(Problem(
                "The header names " + ", ".join(duplicates) + " more than once.", line=1
            ))
        missing = [name for name in REQUIRED if name not in header]
        if missing:
            problems.append(Problem(
                "The header has no " + " or ".join(missing) + " column.", line=1
            ))
    if problems:
        raise OfferImportError(problems)

    position = {name: header.index(name) for name in COLUMNS if name in header}
    nameless = [index for index, name in enumerate(header) if not name]
    rows = []
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            problems.append(Problem(f"This line cannot be read as CSV: {error}.", line=start))
            break
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            problems.append(Problem(
                f"This row has {len(cells)} cell{'s' if len(cells) != 1 else ''}; "
                f"the header has {len(header)}.",
                line=start,
            ))
            continue
        row_problems = []
        for index in nameless:
            if cells[index].strip():
                row_problems.append(Problem(
                    f"A value ({show(cells[index].strip())}) is in column {index + 1}, "
                    "which has no name in the header.",
                    line=start,
                ))
        values = {}
        for name, index in position.items():
            value = cells[index].strip()
            if len(value) > MAX_CELL_CHARS:
                row_problems.append(Problem(
                    f"The value is {len(value):,} characters long; at most "
                    f"{MAX_CELL_CHARS} are allowed ({show(value)}).",
                    line=start, column=name,
                ))
                value = ""
            elif not value and name in REQUIRED:
                row_problems.append(Problem("This cell is empty.", line=start, column=name))
            values[name] = value
        if row_problems:
            problems.extend(row_problems)
            continue
        rows.append(Row(
            line=start,
            ods_code=values["ods_code"],
            service_slug=values["service_slug"],
            capability=values.get("capability", ""),
        ))
    if not rows and not problems:
        problems.append(Problem(
            "The file has a header but no offers. To remove every offer of an "
            "organisation, edit it in the admin."
        ))
    return ParsedFile(rows=rows, encoding=encoding, problems=problems)


# ---------------------------------------------------------------------------------------
# Validate


@dataclass
class Wanted:
    """What the file asks for: per organisation, per service, the capabilities (empty: all)."""

    offers: dict[int, dict[int, frozenset[int]]]
    organisations: dict[int, Organisation]
    services: dict[int, DigitalService]
    capabilities: dict[int, Capability]
    first_line: dict[tuple[int, int], int]
    rows: int
    encoding: str
    warnings: list[Problem]


def _lookup(index: dict[str, list], key: str):
    """An exact match, else a unique case-insensitive one; (match, ambiguous)."""
    exact = [item for item in index.get(key.casefold(), []) if item[0] == key]
    if exact:
        return exact[0][1], False
    found = index.get(key.casefold(), [])
    if len(found) > 1:
        return None, True
    return (found[0][1] if found else None), False


def _index(pairs) -> dict[str, list]:
    index: dict[str, list] = {}
    for key, value in pairs:
        index.setdefault(key.casefold(), []).append((key, value))
    return index


def validate(parsed: ParsedFile) -> Wanted:
    """Resolve every row against the catalogue; raise with every problem found."""
    problems = list(parsed.problems)
    warnings: list[Problem] = []
    codes = {normalise_ods_code(row.ods_code) for row in parsed.rows}
    organisations = {
        org.ods_code: org for org in Organisation.objects.filter(ods_code__in=codes)
    }
    services = list(
        DigitalService.objects.only("pk", "title", "slug", "live", "lifecycle")
        .prefetch_related("capabilities")
        .order_by("pk")
    )
    service_index = _index((service.slug, service) for service in services)
    service_capabilities = {
        service.pk: {c.pk for c in service.capabilities.all()} for service in services
    }
    all_capabilities = list(Capability.objects.all())
    capability_by_slug = _index((c.slug, c) for c in all_capabilities)
    capability_by_name = _index((c.name, c) for c in all_capabilities)

    offers: dict[int, dict[int, frozenset[int]]] = {}
    first_line: dict[tuple[int, int], int] = {}
    seen: dict[tuple[int, int, int | None], int] = {}
    every: dict[tuple[int, int], int] = {}
    warned: set = set()
    used_orgs: dict[int, Organisation] = {}
    used_services: dict[int, DigitalService] = {}
    used_capabilities: dict[int, Capability] = {}

    for row in parsed.rows:
        code = normalise_ods_code(row.ods_code)
        org = organisations.get(code)
        row_ok = True
        if org is None:
            row_ok = False
            if ODS_CODE_RE.match(code):
                message = f"No organisation has the ODS code {show(row.ods_code)}."
            else:
                message = (f"{show(row.ods_code)} is not an ODS code (3 to 10 letters and "
                           "digits, e.g. A84002).")
            problems.append(Problem(message, line=row.line, column="ods_code"))
        service, ambiguous = _lookup(service_index, row.service_slug)
        if service is None:
            row_ok = False
            message = (f"More than one service has the slug {show(row.service_slug)}."
                       if ambiguous else f"No service has the slug {show(row.service_slug)}.")
            problems.append(Problem(message, line=row.line, column="service_slug"))
        capability = None
        if row.capability:
            capability, ambiguous = _lookup(capability_by_slug, row.capability)
            if capability is None and not ambiguous:
                capability, ambiguous = _lookup(capability_by_name, row.capability)
            if capability is None:
                row_ok = False
                problems.append(Problem(
                    f"No capability has the slug or name {show(row.capability)}.",
                    line=row.line, column="capability",
                ))
            elif service is not None and capability.pk not in service_capabilities[service.pk]:
                row_ok = False
                problems.append(Problem(
                    f"{show(service.title)} does not have the capability "
                    f"{show(capability.name)}: add it to the service first, or leave the "
                    "cell empty to offer everything the service does.",
                    line=row.line, column="capability",
                ))
        if not row_ok:
            continue

        key = (org.pk, service.pk, capability.pk if capability else None)
        if key in seen:
            problems.append(Problem(f"This row repeats line {seen[key]}.", line=row.line))
            continue
        seen[key] = row.line
        pair = (org.pk, service.pk)
        if pair in every or (capability is None and pair in first_line):
            other = every.get(pair, first_line.get(pair))
            problems.append(Problem(
                f"{org.ods_code} and {service.slug} are on line {other} too, and one of the "
                "two rows has no capability (which means every capability of the service). "
                "Either leave the capability empty on a single row, or list each capability.",
                line=row.line, column="capability",
            ))
            continue
        if capability is None:
            every[pair] = row.line
        first_line.setdefault(pair, row.line)
        chosen = offers.setdefault(org.pk, {}).get(service.pk, frozenset())
        offers[org.pk][service.pk] = chosen | ({capability.pk} if capability else set())
        used_orgs[org.pk] = org
        used_services[service.pk] = service
        if capability is not None:
            used_capabilities[capability.pk] = capability

        if ("service", service.pk) not in warned:
            if not service.live:
                warned.add(("service", service.pk))
                warnings.append(Problem(
                    f"{show(service.title)} is not published: its offers are saved but not "
                    "shown to the public until it is.",
                    line=row.line, column="service_slug",
                ))
            elif service.lifecycle == Lifecycle.RETIRED:
                warned.add(("service", service.pk))
                warnings.append(Problem(
                    f"{show(service.title)} is retired: its offers are saved but not shown.",
                    line=row.line, column="service_slug",
                ))
        if not org.active and ("org", org.pk) not in warned:
            warned.add(("org", org.pk))
            warnings.append(Problem(
                f"{org.name} ({org.ods_code}) is not active: its page is not shown.",
                line=row.line, column="ods_code",
            ))

    if problems:
        problems.sort(key=lambda p: (p.line or 0))
        raise OfferImportError(problems)
    return Wanted(
        offers=offers, organisations=used_orgs, services=used_services,
        capabilities=used_capabilities, first_line=first_line, rows=len(parsed.rows),
        encoding=parsed.encoding, warnings=warnings,
    )


# ---------------------------------------------------------------------------------------
# Plan


ADDED, REMOVED, CHANGED, UNCHANGED = "added", "removed", "changed", "unchanged"


@dataclass
class Change:
    kind: str
    organisation: Organisation
    service: DigitalService
    before: list[str] = field(default_factory=list)
    after: list[str] = field(default_factory=list)
    offer_id: int | None = None
    capability_ids: frozenset[int] = frozenset()

    @property
    def before_label(self) -> str:
        return ", ".join(self.before) if self.before else "Everything the service does"

    @property
    def after_label(self) -> str:
        return ", ".join(self.after) if self.after else "Everything the service does"


@dataclass
class Plan:
    changes: list[Change]
    rows: int
    organisations: list[Organisation]
    encoding: str
    warnings: list[Problem]
    next_sort_order: dict[int, int]

    def count(self, kind: str) -> int:
        return sum(1 for change in self.changes if change.kind == kind)

    @property
    def counts(self) -> dict[str, int]:
        return {kind: self.count(kind) for kind in (ADDED, REMOVED, CHANGED, UNCHANGED)}

    @property
    def real_changes(self) -> list[Change]:
        return [change for change in self.changes if change.kind != UNCHANGED]

    @property
    def has_changes(self) -> bool:
        return any(change.kind != UNCHANGED for change in self.changes)

    @property
    def digest(self) -> str:
        """A fingerprint of what applying the plan would do, to detect a stale preview."""
        lines = sorted(
            f"{c.kind}:{c.organisation.pk}:{c.service.pk}:{c.offer_id}:"
            f"{','.join(map(str, sorted(c.capability_ids)))}"
            for c in self.changes
        )
        return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def plan(wanted: Wanted) -> Plan:
    """The difference between the file and the offers of the organisations it mentions."""
    existing = (
        Offer.objects.filter(organisation__in=list(wanted.organisations))
        .select_related("service")
        .prefetch_related("capabilities")
        .order_by("organisation_id", "sort_order", "pk")
    )
    names = {pk: capability.name for pk, capability in wanted.capabilities.items()}
    changes = []
    next_sort_order: dict[int, int] = {}
    have: dict[tuple[int, int], Offer] = {}
    for offer in existing:
        have[(offer.organisation_id, offer.service_id)] = offer
        next_sort_order[offer.organisation_id] = max(
            next_sort_order.get(offer.organisation_id, 0), (offer.sort_order or 0) + 1
        )
    for org_pk, org in wanted.organisations.items():
        wanted_here = wanted.offers.get(org_pk, {})
        for (offer_org, service_pk), offer in have.items():
            if offer_org != org_pk or service_pk in wanted_here:
                continue
            before = sorted(c.name for c in offer.capabilities.all())
            changes.append(Change(REMOVED, org, offer.service, before=before, offer_id=offer.pk))
        for service_pk, chosen in wanted_here.items():
            service = wanted.services[service_pk]
            after = sorted(names[pk] for pk in chosen)
            offer = have.get((org_pk, service_pk))
            if offer is None:
                changes.append(Change(ADDED, org, service, after=after, capability_ids=chosen))
                continue
            current = frozenset(c.pk for c in offer.capabilities.all())
            before = sorted(c.name for c in offer.capabilities.all())
            kind = UNCHANGED if current == chosen else CHANGED
            changes.append(Change(kind, org, service, before=before, after=after,
                                  offer_id=offer.pk, capability_ids=chosen))
    order = {REMOVED: 0, CHANGED: 1, ADDED: 2, UNCHANGED: 3}
    changes.sort(key=lambda c: (order[c.kind], c.organisation.name, c.organisation.ods_code,
                                c.service.title.casefold()))
    organisations = sorted(wanted.organisations.values(), key=lambda o: (o.name, o.ods_code))
    return Plan(changes=changes, rows=wanted.rows, organisations=organisations,
                encoding=wanted.encoding, warnings=wanted.warnings,
                next_sort_order=next_sort_order)


def prepare(data: bytes) -> Plan:
    """Decode, parse, validate and plan; raises OfferImportError with every problem."""
    text, encoding = decode(data)
    return plan(validate(parse(text, encoding)))


# ---------------------------------------------------------------------------------------
# Apply


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def apply(plan_: Plan, *, file_name: str, digest: str, user=None,
          via: str = OfferImport.Via.ADMIN) -> OfferImport:
    """Make the plan's changes and record them. Call inside a transaction (import_offers)."""
    through = Offer.capabilities.through
    removed = [c.offer_id for c in plan_.changes if c.kind == REMOVED]
    changed = [c for c in plan_.changes if c.kind == CHANGED]
    added = [c for c in plan_.changes if c.kind == ADDED]
    if removed:
        Offer.objects.filter(pk__in=removed).delete()
    if changed:
        through.objects.filter(offer_id__in=[c.offer_id for c in changed]).delete()
        through.objects.bulk_create([
            through(offer_id=c.offer_id, capability_id=pk)
            for c in changed for pk in sorted(c.capability_ids)
        ])
    if added:
        sort_order = dict(plan_.next_sort_order)
        offers = []
        for change in added:
            org_pk = change.organisation.pk
            offers.append(Offer(organisation_id=org_pk, service_id=change.service.pk,
                                sort_order=sort_order.get(org_pk, 0)))
            sort_order[org_pk] = sort_order.get(org_pk, 0) + 1
        Offer.objects.bulk_create(offers)
        if any(offer.pk is None for offer in offers):  # a backend that returns no ids
            ids = {
                (org_pk, service_pk): pk
                for org_pk, service_pk, pk in Offer.objects.filter(
                    organisation_id__in={o.organisation_id for o in offers}
                ).values_list("organisation_id", "service_id", "pk")
            }
            for offer in offers:
                offer.pk = ids[(offer.organisation_id, offer.service_id)]
        through.objects.bulk_create([
            through(offer_id=offer.pk, capability_id=pk)
            for offer, change in zip(offers, added, strict=True)
            for pk in sorted(change.capability_ids)
        ])

    counts = plan_.counts
    record = OfferImport.objects.create(
        user=user if user is not None and user.is_authenticated else None,
        via=via,
        file_name=file_name[:255],
        sha256=digest,
        rows=plan_.rows,
        organisations=len(plan_.organisations),
        warnings="\n".join(str(w) for w in plan_.warnings),
        **counts,
    )
    actor = record.user
    with LogContext(user=actor):
        log(record, ACTION, user=actor, data={"file_name": record.file_name,
                                              "sha256": digest, **counts})
        by_org: dict[int, dict[str, list[str]]] = {}
        for change in plan_.real_changes:
            entry = by_org.setdefault(change.organisation.pk, {ADDED: [], REMOVED: [], CHANGED: []})
            entry[change.kind].append(change.service.title)
        organisations = {org.pk: org for org in plan_.organisations}
        for org_pk, entry in by_org.items():
            log(organisations[org_pk], ACTION, user=actor, data={
                "file_name": record.file_name, "sha256": digest, "import_id": record.pk,
                **{kind: len(titles) for kind, titles in entry.items()},
                "services": entry,
            })
    if plan_.has_changes:
        from portal.cache import invalidate_public_pages

        transaction.on_commit(invalidate_public_pages)
    return record


@dataclass
class ImportResult:
    plan: Plan
    record: OfferImport | None
    sha256: str

    @property
    def applied(self) -> bool:
        return self.record is not None


def import_offers(data: bytes, *, file_name: str, user=None, via: str = OfferImport.Via.ADMIN,
                  dry_run: bool = False, expected_digest: str | None = None) -> ImportResult:
    """Check the whole file and, unless a dry run, apply it: all or nothing.

    With `expected_digest` (the plan's digest shown in a preview), refuses with
    `PlanChanged` if the offers changed since, so what is applied is what was previewed.
    """
    digest = sha256(data)
    text, encoding = decode(data)
    parsed = parse(text, encoding)
    with transaction.atomic():
        if not dry_run:
            codes = {normalise_ods_code(row.ods_code) for row in parsed.rows}
            # Hold the organisations the file changes until the import commits.
            list(Organisation.objects.select_for_update().filter(ods_code__in=codes)
                 .values_list("pk", flat=True))
        plan_ = plan(validate(parsed))
        if expected_digest is not None and plan_.digest != expected_digest:
            raise PlanChanged(plan_)
        if dry_run:
            return ImportResult(plan=plan_, record=None, sha256=digest)
        record = apply(plan_, file_name=file_name, digest=digest, user=user, via=via)
    return ImportResult(plan=plan_, record=record, sha256=digest)


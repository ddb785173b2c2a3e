"""GP practices' phone numbers, street addresses and postcodes from a CSV file, so that a
comms team does not type them in one by one.

Two forms are accepted and told apart by their first line:

* NHS ODS's GP practice file, ``epraccur.csv`` (the national download, or the ``epraccur``
  report of ODS Data Search and Export): no header, 27 upper-case columns. It covers all of
  England, so rows for practices that are not in the catalogue are skipped and counted
  without being checked: another ICS's bad phone number must not stop ours loading.
  Source: NHS England, Organisation Data Service; contains public sector information
  licensed under the Open Government Licence v3.0.
* Our own form, with a header ``ods_code,address,phone`` (``postcode`` optional): every row
  must name a GP practice in the catalogue, and values are taken as written.

An empty cell never blanks a stored value: it means the file does not know it. All or
nothing, like the other imports: every problem is reported with its line and column and
nothing is written unless there are none. Practices are saved one by one (not with
``QuerySet.update``) so that the public page cache and search index hear about it.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from services_catalogue.csv_text import CsvTextError, decode_csv_bytes
from services_catalogue.import_errors import MAX_PROBLEMS, FileRefused  # noqa: F401 - re-exported
from services_catalogue.offer_import import Problem, show

from .models import Organisation, OrganisationKind
from .models.organisation import ODS_CODE_RE, normalise_ods_code, phone_digits, validate_uk_phone

FORM_ODS = "ODS epraccur"
FORM_OWN = "ods_code,address,phone"
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
MAX_CELL_CHARS = 200
FIELDS = ("phone", "address", "postcode")  # the order changes are counted and listed in
MAX_CHARS = {"address": 200, "phone": 30, "postcode": 10}  # Organisation's max_length
FIELD_WORDS = {"phone": "phone number", "address": "address", "postcode": "postcode"}

# epraccur.csv, 0-based. Rows stop being useful to us after the telephone number.
ODS_MIN_CELLS = 18
ODS_CODE, ODS_NAME, ODS_POSTCODE, ODS_STATUS, ODS_PHONE = 0, 1, 9, 12, 17
ODS_ADDRESS = range(4, 9)
ODS_ACTIVE = "A"
ODS_LABELS = {
    ODS_CODE: "organisation code", ODS_NAME: "name", ODS_POSTCODE: "postcode",
    ODS_STATUS: "status code", ODS_PHONE: "contact telephone number",
    **{index: f"address line {index - 3}" for index in ODS_ADDRESS},
}
OWN_COLUMNS = ("ods_code", "address", "phone", "postcode")
POSTCODE_RE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}$")

TWO_FORMS = (
    "The file must be either NHS ODS's GP practice file (epraccur.csv as downloaded: no "
    "header line, the practice code first, 27 columns) or a CSV with the header "
    "ods_code,address,phone (address or phone may be left out; postcode is optional)."
)


def max_bytes() -> int:
    return int(getattr(settings, "CONTACTS_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def ods_label(index: int) -> str:
    return f"{ODS_LABELS[index]} (column {index + 1})"


class ContactsImportError(FileRefused):
    """The file was refused and nothing changed; problems are in file order."""

    def __init__(self, problems: list, total: int | None = None):
        super().__init__(sorted(problems, key=lambda p: p.line or 0), total)


def too_big(size: int) -> Problem | None:
    """Checked before reading, so a huge file is refused without being loaded."""
    if size <= max_bytes():
        return None
    return Problem(
        f"The file is {size:,} bytes; the limit is {max_bytes():,} bytes "
        "(CONTACTS_IMPORT_MAX_BYTES)."
    )


# ---------------------------------------------------------------------------------------
# Readable text from ODS's upper case

KEEP_UPPER = frozenset({"NHS", "GP", "PCN", "ICB", "UK"})
SMALL_WORDS = frozenset({"and", "of", "on", "upon", "under"})
ORDINAL_SUFFIXES = frozenset({"ST", "ND", "RD", "TH"})
APOSTROPHES = "'\u2019"
_LETTERS = re.compile(r"[^\W\d_]+")


def _readable_word(match: re.Match) -> str:
    word, start, text = match.group(), match.start(), match.string
    before = text[start - 1] if start else ""
    if word in KEEP_UPPER:
        return word
    if before and before in APOSTROPHES:  # James's, O'Brien
        return word.lower() if len(word) <= 2 else word.capitalize()
    if before.isdigit():  # 1st Floor, but 12A stays a house number
        return word.lower() if word in ORDINAL_SUFFIXES else word
    starts_part = not text[:start].rsplit(",", 1)[-1].strip()
    if word.lower() in SMALL_WORDS and not starts_part:  # Berwick-upon-Tweed
        return word.lower()
    return word.capitalize()


def readable(value: str) -> str:
    """ODS writes everything in capitals; citizens read mixed case more easily. A value with
    any lower case letter was written by a person and is left alone."""
    if any(ch.islower() for ch in value):
        return value
    return _LETTERS.sub(_readable_word, value)


def _same_words(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]|_", " ", text).casefold().split())


def ods_address(lines: list[str], names: list[str], town: str) -> str:
    """The street address without the practice's name, town and county, which the practice
    page shows from their own fields (name, town, postcode)."""
    lines = [" ".join(line.split()) for line in lines if line.strip()]
    name_keys = {_same_words(name) for name in names if name.strip()}
    lines = [line for line in lines if _same_words(line) not in name_keys]
    keys = [_same_words(line) for line in lines]
    town_key = _same_words(town)
    if town_key and town_key in keys:
        lines = lines[:keys.index(town_key)]
    elif len(lines) >= 3:
        lines = lines[:-1]  # with no town to cut at, the last line is the county
    return readable(", ".join(lines))


def normal_postcode(value: str) -> str:
    compact = "".join(value.split()).upper()
    return f"{compact[:-3]} {compact[-3:]}" if 5 <= len(compact) <= 7 else compact


# ---------------------------------------------------------------------------------------
# Parse: the file's shape, without the catalogue


@dataclass
class ParsedFile:
    form: str
    encoding: str
    rows: list[tuple[int, list[str]]]  # (1-based line, cells), blank lines left out
    columns: dict[str, int] = field(default_factory=dict)  # own form: column -> index
    width: int = 0  # own form: cells in the header


def decode(data: bytes) -> tuple[str, str]:
    problem = too_big(len(data))
    if problem:
        raise ContactsImportError([problem])
    if not data.strip():
        raise ContactsImportError([Problem("The file is empty.", line=1)])
    try:
        return decode_csv_bytes(data)
    except CsvTextError as error:
        raise ContactsImportError([Problem(error.message, line=error.line)]) from None


def _csv_rows(text: str) -> tuple[list[tuple[int, list[str]]], list[Problem]]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows = []
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return rows, []
        except csv.Error as error:
            return rows, [Problem(f"This line cannot be read as CSV: {error}.", line=start)]
        if any(cell.strip() for cell in cells):
            rows.append((start, cells))


def is_ods_row(cells: list[str]) -> bool:
    return len(cells) >= ODS_MIN_CELLS and bool(ODS_CODE_RE.match(normalise_ods_code(cells[0])))


def _header_problems(line: int, cells: list[str], names: list[str]) -> list[Problem]:
    problems = []
    unknown = [cell.strip() or f"column {index + 1} (no name)"
               for index, (cell, name) in enumerate(zip(cells, names, strict=True))
               if name not in OWN_COLUMNS]
    if unknown:
        problems.append(Problem(
            f"Unknown column{'s' if len(unknown) > 1 else ''} "
            + ", ".join(show(name) for name in unknown)
            + ". The columns are ods_code, address, phone and (optional) postcode.", line=line))
    repeated = sorted({name for name in names if name in OWN_COLUMNS and names.count(name) > 1})
    if repeated:
        problems.append(Problem(f"The header names {', '.join(repeated)} more than once.",
                                line=line))
    if "ods_code" not in names or not {"address", "phone"} & set(names):
        hint = ""
        if cells and ODS_CODE_RE.match(normalise_ods_code(cells[0])):
            hint = (f" This line starts with a practice code but has {len(cells)} cells; an "
                    f"epraccur row has 27 (at least {ODS_MIN_CELLS}).")
        problems.append(Problem(f"The first line is not a header this import knows. "
                                f"{TWO_FORMS}{hint}", line=line))
    return problems


def parse(text: str, encoding: str = "UTF-8") -> ParsedFile:
    """The form and the rows; refuses a file whose shape is wrong."""
    rows, problems = _csv_rows(text)
    if not rows:
        raise ContactsImportError(problems or [Problem("The file is empty.", line=1)])
    first_line, first = rows[0]
    if is_ods_row(first):
        problems += [Problem(f"This row has {len(cells)} cells; an epraccur row has 27 (at "
                             f"least {ODS_MIN_CELLS}).", line=line)
                     for line, cells in rows if len(cells) < ODS_MIN_CELLS]
        if problems:
            raise ContactsImportError(problems)
        return ParsedFile(FORM_ODS, encoding, rows)
    names = [cell.strip().lower() for cell in first]
    problems = _header_problems(first_line, first, names) + problems
    problems += [Problem(f"This row has {len(cells)} cell{'s' if len(cells) != 1 else ''}; "
                         f"the header has {len(first)}.", line=line)
                 for line, cells in rows[1:] if len(cells) != len(first)]
    if len(rows) == 1 and not problems:
        problems.append(Problem("The file has a header but no rows.", line=first_line))
    if problems:
        raise ContactsImportError(problems)
    columns = {name: names.index(name) for name in OWN_COLUMNS if name in names}
    return ParsedFile(FORM_OWN, encoding, rows[1:], columns, len(first))


# ---------------------------------------------------------------------------------------
# Check: what the file wants for each catalogue practice


@dataclass(frozen=True)
class Wanted:
    """What one row asks for; values it leaves empty are not in `values`."""

    line: int
    code: str
    values: tuple[tuple[str, str], ...] = ()
    active: bool = True


def _check_value(name: str, value: str, line: int, column: str) -> tuple[str, list[Problem]]:
    """The value as stored, or problems if it cannot be."""
    if name == "postcode":
        value = normal_postcode(value)
    else:
        value = " ".join(value.split())
    if len(value) > MAX_CHARS[name]:
        return "", [Problem(f"The {FIELD_WORDS[name]} is {len(value):,} characters long; at "
                            f"most {MAX_CHARS[name]} fit ({show(value)}).",
                            line=line, column=column)]
    if name == "phone" and value:
        try:
            validate_uk_phone(value)
        except ValidationError as error:
            return "", [Problem(f"{show(value)} is not a phone number that dials as written. "
                                f"{error.messages[0]}", line=line, column=column)]
    if name == "postcode" and value and not POSTCODE_RE.match(value):
        return "", [Problem(f"{show(value)} is not a UK postcode, like NE66 2NL.",
                            line=line, column=column)]
    return value, []


def _long_cells(line: int, cells: dict[str, str]) -> list[Problem]:
    return [Problem(f"The value is {len(value):,} characters long; at most {MAX_CELL_CHARS} "
                    f"are allowed ({show(value)}).", line=line, column=column)
            for column, value in cells.items() if len(value) > MAX_CELL_CHARS]


def _ods_wanted(line: int, cells: list[str], practice: Organisation) -> tuple[Wanted, list]:
    """A catalogue practice's row of epraccur; the only rows of that file that are checked."""
    code = practice.ods_code
    if cells[ODS_STATUS].strip().upper() != ODS_ACTIVE:
        return Wanted(line, code, active=False), []
    used = (ODS_NAME, *ODS_ADDRESS, ODS_POSTCODE, ODS_PHONE)
    problems = _long_cells(line, {ods_label(index): cells[index] for index in used})
    if problems:
        return Wanted(line, code), problems
    address = ods_address([cells[index] for index in ODS_ADDRESS],
                          [cells[ODS_NAME], practice.name], practice.town)
    values = []
    for name, raw, column in (("phone", cells[ODS_PHONE], ods_label(ODS_PHONE)),
                              ("address", address, "address lines 1 to 5 (columns 5 to 9)"),
                              ("postcode", cells[ODS_POSTCODE], ods_label(ODS_POSTCODE))):
        value, found = _check_value(name, raw, line, column)
        problems += found
        if value:
            values.append((name, value))
    return Wanted(line, code, tuple(values)), problems


def _own_wanted(line: int, cells: list[str], columns: dict[str, int],
                code: str) -> tuple[Wanted, list]:
    raw = {name: cells[index].strip() for name, index in columns.items() if name != "ods_code"}
    problems = _long_cells(line, raw)
    if problems:
        return Wanted(line, code), problems
    values = []
    for name in FIELDS:
        value, found = _check_value(name, raw.get(name, ""), line, name)
        problems += found
        if value:
            values.append((name, value))
    return Wanted(line, code, tuple(values)), problems


def _code_cell(parsed: ParsedFile, cells: list[str]) -> str:
    return cells[ODS_CODE if parsed.form == FORM_ODS else parsed.columns["ods_code"]]


def _code_problem(parsed: ParsedFile, line: int, raw: str, others: dict[str, str]):
    """Why a row's code names no catalogue practice, or None if the row is just skipped."""
    code = normalise_ods_code(raw)
    column = ods_label(ODS_CODE) if parsed.form == FORM_ODS else "ods_code"
    if not code:
        return Problem("This cell is empty.", line=line, column=column)
    if len(code) > MAX_CELL_CHARS or not ODS_CODE_RE.match(code):
        return Problem(f"{show(raw.strip())} is not an ODS code (3 to 10 letters and digits, "
                       "e.g. A84006).", line=line, column=column)
    if parsed.form == FORM_ODS:
        return None
    if code in others:
        kind = OrganisationKind(others[code]).label.lower()
        return Problem(f"{code} is a {kind}, not a GP practice: only practices' contact "
                       "details are imported.", line=line, column=column)
    return Problem(f"No GP practice in the catalogue has the ODS code {show(raw.strip())}.",
                   line=line, column=column)


def _conflict(wanted: Wanted, earlier: Wanted, parsed: ParsedFile) -> Problem:
    if wanted.active != earlier.active:
        what = "a different status"
    else:
        mine, theirs = dict(wanted.values), dict(earlier.values)
        what = " and ".join(f"a different {FIELD_WORDS[name]}" for name in FIELDS
                            if mine.get(name) != theirs.get(name))
    column = ods_label(ODS_CODE) if parsed.form == FORM_ODS else "ods_code"
    return Problem(f"{wanted.code} is on line {earlier.line} too, with {what}. Keep one row "
                   "per practice.", line=wanted.line, column=column)


@dataclass
class Checked:
    wanted: dict[str, Wanted]  # by ODS code, first row of each practice
    skipped: int


def check(parsed: ParsedFile, practices: dict[str, Organisation],
          others: dict[str, str]) -> Checked:
    """Every row against the catalogue; raises with every problem found."""
    problems, wanted, skipped = [], {}, 0
    for line, cells in parsed.rows:
        code = normalise_ods_code(_code_cell(parsed, cells))
        practice = practices.get(code)
        if practice is None:
            problem = _code_problem(parsed, line, _code_cell(parsed, cells), others)
            if problem:
                problems.append(problem)
            skipped += 1
            continue
        if parsed.form == FORM_ODS:
            row, found = _ods_wanted(line, cells, practice)
        else:
            row, found = _own_wanted(line, cells, parsed.columns, code)
        problems += found
        if found:
            continue
        earlier = wanted.setdefault(code, row)
        if earlier is not row and (earlier.values, earlier.active) != (row.values, row.active):
            problems.append(_conflict(row, earlier, parsed))
    if problems:
        raise ContactsImportError(problems)
    return Checked(wanted, skipped)


# ---------------------------------------------------------------------------------------
# Plan and apply


@dataclass
class Change:
    organisation: Organisation
    fields: dict[str, tuple[str, str]]  # field -> (before, after)


@dataclass
class ContactsPlan:
    form: str
    encoding: str
    rows: int
    changes: list[Change]
    unchanged: int
    skipped: int
    warnings: list[str]

    def count(self, name: str) -> int:
        """How many practices get a new `name` (phone, address or postcode)."""
        return sum(1 for change in self.changes if name in change.fields)


def _differences(practice: Organisation, wanted: Wanted) -> dict[str, tuple[str, str]]:
    """Only real changes: the same number spaced differently is the same number."""
    differences = {}
    for name, after in wanted.values:
        before = getattr(practice, name)
        same = (phone_digits(before) == phone_digits(after) if name == "phone" and before
                else before == after)
        if not same:
            differences[name] = (before, after)
    return differences


def _warnings(parsed: ParsedFile, checked: Checked) -> list[str]:
    warnings = []
    closed = sorted(code for code, wanted in checked.wanted.items() if not wanted.active)
    if closed:
        many = len(closed) != 1
        warnings.append(
            f"{len(closed)} practice{'s are' if many else ' is'} closed or dormant in the file: "
            f"{', '.join(closed)}; {'their' if many else 'its'} details were left as they are.")
    if parsed.form == FORM_ODS and not checked.wanted:
        warnings.append(f"None of the file's {len(parsed.rows):,} rows is for a GP practice in "
                        "the catalogue, so there was nothing to change.")
    return warnings


def _catalogue(parsed: ParsedFile, lock: bool) -> tuple[dict[str, Organisation], dict]:
    """The catalogue's GP practices the file names (locked when about to be changed), and for
    our own form the other organisations it names, to say why they are refused."""
    codes = {normalise_ods_code(_code_cell(parsed, cells)) for _, cells in parsed.rows}
    gp = Organisation.objects.filter(kind=OrganisationKind.GP_PRACTICE)
    known = set(gp.values_list("ods_code", flat=True)) & codes
    practices = gp.filter(ods_code__in=known).order_by("ods_code")
    if lock:
        practices = practices.select_for_update()
    others = {}
    if parsed.form == FORM_OWN:
        others = dict(Organisation.objects.filter(ods_code__in=codes - known)
                      .values_list("ods_code", "kind"))
    return {practice.ods_code: practice for practice in practices}, others


def plan(parsed: ParsedFile, *, lock: bool = False) -> ContactsPlan:
    practices, others = _catalogue(parsed, lock)
    checked = check(parsed, practices, others)
    changes, unchanged = [], 0
    for code, wanted in sorted(checked.wanted.items()):
        differences = _differences(practices[code], wanted) if wanted.active else {}
        if differences:
            changes.append(Change(practices[code], differences))
        else:
            unchanged += 1
    return ContactsPlan(form=parsed.form, encoding=parsed.encoding, rows=len(parsed.rows),
                        changes=changes, unchanged=unchanged, skipped=checked.skipped,
                        warnings=_warnings(parsed, checked))


def prepare_contacts(data: bytes) -> ContactsPlan:
    """What the file would change; raises ContactsImportError with every problem."""
    return plan(parse(*decode(data)))


def apply(plan_: ContactsPlan) -> None:
    """Call inside the transaction that locked the practices (import_contacts)."""
    for change in plan_.changes:
        practice = change.organisation
        for name, (_, after) in change.fields.items():
            setattr(practice, name, after)
        practice.save(update_fields=list(change.fields))
    if plan_.changes:
        from portal.cache import invalidate_public_pages

        # Saving already invalidated the pages, but a page rendered before the commit
        # would be cached with the old details: invalidate again once they are visible.
        transaction.on_commit(invalidate_public_pages)


def plan_digest(plan_: ContactsPlan) -> str:
    """What a plan would change, so that confirming a preview applies what was previewed."""
    changes = [[change.organisation.ods_code, name, before, after]
               for change in plan_.changes for name, (before, after) in change.fields.items()]
    return hashlib.sha256(json.dumps(changes).encode()).hexdigest()


class PlanChanged(Exception):
    """The practices changed between the preview and the confirmation: nothing applied."""

    def __init__(self, plan_: ContactsPlan):
        super().__init__("The practices changed after the preview.")
        self.plan = plan_


def import_contacts(data: bytes, *, dry_run: bool = False, expected_digest: str | None = None
                    ) -> ContactsPlan:
    """Check the whole file and, unless a dry run, apply it in one transaction; with
    ``expected_digest`` (the admin's confirm step), only if it still makes the changes
    that were previewed (else PlanChanged)."""
    parsed = parse(*decode(data))
    with transaction.atomic():
        plan_ = plan(parsed, lock=not dry_run)
        if expected_digest is not None and not hmac.compare_digest(plan_digest(plan_),
                                                                   expected_digest):
            raise PlanChanged(plan_)
        if not dry_run:
            apply(plan_)
    return plan_

"""Community reference data from public files: read, check, replace, record.

``import_reference(kind, data, ...)`` is what ``manage.py import_reference KIND FILE`` runs.
The kinds and the files each accepts (columns are found by name, tolerantly: case, spaces,
underscores and brackets do not matter; other columns are ignored and listed):

``imd``
    English Indices of Deprivation 2019 File 1 (sheet ``IMD2019`` of the XLSX, or that
    sheet saved as CSV) or File 7 (CSV): ``LSOA code (2011)``, ``Index of Multiple
    Deprivation (IMD) Decile`` (File 7: ``... Decile (where 1 is most deprived 10% of
    LSOAs)``), optional rank, score, LSOA name, local authority code and name.  The project's
    own form ``lsoa_code,imd_decile``.  Replaces the whole LSOA table.
``practice_lsoa``
    NHS England *Patients Registered at a GP Practice*, LSOA file:
    ``PUBLICATION,EXTRACT_DATE,PRACTICE_CODE,PRACTICE_NAME,LSOA_CODE,SEX,NUMBER_OF_PATIENTS``
    (or ``Number of Patients``); with a SEX column, ``ALL`` rows are used where present and
    male and female rows summed otherwise.  The project's form ``ods_code,lsoa_code,patients``.
    Replaces the rows of the same extract date.
``practice_age``
    The same publication's 5-year band file (``ORG_TYPE,ORG_CODE,...,SEX,AGE_GROUP_5,
    NUMBER_OF_PATIENTS``) or single-year-of-age files (``TYPE,CCG_CODE`` or
    ``SUB_ICB_LOCATION_CODE,...,ORG_CODE`` or ``CODE,SEX,AGE,NUMBER_OF_PATIENTS``); rows of
    other organisation types and ``ALL`` ages are left out.  The project's form
    ``ods_code,age_band,sex,patients``.  Replaces the rows of the same extract date and sexes.
``practice_deprivation``
    OHID Fingertips export (indicator 93553, *Deprivation score (IMD 2019)*, rows with
    ``Area Type`` GP): ``Area Code``, ``Value``, ``Time period``.  The project's form
    ``ods_code,imd_score[,year]``.  Replaces the rows of the same year and source.
``lsoa_breakdown``  (``dataset`` required)
    Any LSOA table: long (``lsoa_code,category,count``; ONS "create a custom dataset" CSVs
    with ``Lower layer Super Output Areas Code``, a category column and ``Observation``),
    wide (Nomis bulk census tables: one count column per category; columns named
    ``Total`` are left out) or a classification (LSOA code and one category, e.g. a
    rural/urban class: count 1).  Replaces the data set.
``lsoa_lookup``
    ONS LSOA (2011) to LSOA (2021) lookup: ``LSOA11CD,LSOA21CD`` (+ optional ``CHGIND``).
    Replaces the lookup.

Rules shared by every kind: all or nothing (every bad row is named by line and column, up to
``MAX_PROBLEMS`` shown, and nothing is written); one transaction replaces the previous data
of the same extract/version; UTF-8 (with or without BOM) or Windows-1252 text, XLSX, or a
ZIP holding the CSV; at most ``REFERENCE_IMPORT_MAX_BYTES`` (default 200 MB).  Practices not
in the catalogue are skipped and counted (national files cover all of England), which is not
an error.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from services_catalogue.csv_text import CsvTextError, decode_csv_bytes
from services_catalogue.import_errors import MAX_PROBLEMS, FileRefused  # noqa: F401 - re-exported
from services_catalogue.models import Organisation, OrganisationKind

from .models import (
    LSOA,
    GeographyVersion,
    LSOABreakdown,
    LSOALookup,
    PracticeAgePopulation,
    PracticeDeprivation,
    PracticeLSOAPopulation,
    ReferenceImport,
)

KINDS = tuple(ReferenceImport.Kind.values)
DEFAULT_MAX_BYTES = 200 * 1024 * 1024
MAX_CELL_CHARS = 200
BATCH = 2000
# The last LSOA 2011 code in England; LSOA 2021 added codes above it.
LAST_LSOA11_NUMBER = 33768
# Share of a file's English LSOA codes that may be missing from the loaded IMD before the
# file is taken to be on the other LSOA geography.
GEOGRAPHY_MISMATCH_SHARE = 0.005
LSOA_CODE_RE = re.compile(r"^[EWSN]\d{8}$")
NO_LSOA_RE = re.compile(r"^(NO\d{4}|UNKNOWN)$")


def max_bytes() -> int:
    return int(getattr(settings, "REFERENCE_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


# ---------------------------------------------------------------------------------------
# Problems


@dataclass(frozen=True)
class Problem:
    """Something wrong with the file, where it is (1-based line or sheet row, column name)."""

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
        return f"{self.where[:1].upper()}{self.where[1:]}: {self.message}" if self.where else self.message


class ReferenceImportError(FileRefused):
    """The file was refused; nothing changed. ``problems`` holds at most MAX_PROBLEMS."""


class Problems:
    """Collects problems, keeping the first few hundred and counting the rest."""

    KEEP = 500

    def __init__(self):
        self.items: list[Problem] = []
        self.total = 0

    def add(self, message: str, line: int | None = None, column: str | None = None) -> None:
        self.total += 1
        if len(self.items) < self.KEEP:
            self.items.append(Problem(message, line, column))

    def __bool__(self) -> bool:
        return self.total > 0

    def raise_if_any(self) -> None:
        if self.total:
            items = sorted(self.items, key=lambda p: (p.line or 0))
            raise ReferenceImportError(items, self.total)


def show(value: str, limit: int = 40) -> str:
    """A value from the file, quoted, shortened and with anything unprintable escaped."""
    if len(value) > limit:
        value = value[:limit] + "\u2026"
    printable = "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in value
    )
    return f"\u201c{printable}\u201d"


# ---------------------------------------------------------------------------------------
# Reading: bytes -> header and rows (CSV text, XLSX or a ZIP holding a CSV)


@dataclass
class Table:
    header: list[str]
    rows: Iterable[tuple[int, list[str]]]
    encoding: str
    line_word: str = "line"


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding name): UTF-8 (with or without a byte order mark) or Windows-1252."""
    try:
        return decode_csv_bytes(data)
    except CsvTextError as error:
        raise ReferenceImportError([Problem(error.message, line=error.line)]) from None


def _csv_table(text: str, encoding: str) -> Table:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                header = cells
                break
    except csv.Error as error:
        raise ReferenceImportError(
            [Problem(f"The header cannot be read as CSV: {error}.", line=reader.line_num)]
        ) from None
    if header is None:
        raise ReferenceImportError([Problem("The file has no header row and no data.")])
    if len(header) == 1 and (";" in header[0] or "\t" in header[0]):
        raise ReferenceImportError([Problem(
            "The header has one column: the file seems to use semicolons or tabs between "
            "columns. Use commas (save from Excel as \u201cCSV UTF-8 (comma delimited)\u201d).",
            line=reader.line_num,
        )])

    def rows() -> Iterator[tuple[int, list[str]]]:
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                raise ReferenceImportError(
                    [Problem(f"This line cannot be read as CSV: {error}.", line=start)]
                ) from None
            yield start, cells

    return Table(header=header, rows=rows(), encoding=encoding)


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _xlsx_table(data: bytes, sheet: str | None, preferred: tuple[str, ...]) -> Table:
    import openpyxl  # optional at import time: only XLSX files need it

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged workbook
        raise ReferenceImportError(
            [Problem(f"The file looks like an Excel workbook but cannot be read ({error}).")]
        ) from None
    names = book.sheetnames
    if sheet:
        if sheet not in names:
            raise ReferenceImportError([Problem(
                f"The workbook has no sheet {show(sheet)}; its sheets are "
                + ", ".join(show(n) for n in names) + "."
            )])
        chosen = sheet
    else:
        chosen = next((n for n in preferred if n in names), None)
        if chosen is None:
            data_sheets = [n for n in names if n.strip().lower() not in {"notes", "contents"}]
            if len(data_sheets) != 1:
                raise ReferenceImportError([Problem(
                    "The workbook has several sheets (" + ", ".join(show(n) for n in names)
                    + "); name the one to read with --sheet."
                )])
            chosen = data_sheets[0]
    ws = book[chosen]
    iterator = ws.iter_rows(values_only=True)
    header = None
    row_number = 0
    for values in iterator:
        row_number += 1
        cells = [_cell_text(v) for v in values]
        if any(c.strip() for c in cells):
            header = cells
            break
    if header is None:
        raise ReferenceImportError([Problem(f"The sheet {show(chosen)} is empty.")])
    first = row_number

    def rows() -> Iterator[tuple[int, list[str]]]:
        number = first
        for values in iterator:
            number += 1
            yield number, [_cell_text(v) for v in values]
        book.close()

    return Table(header=header, rows=rows(), encoding=f"XLSX sheet {chosen}", line_word="row")


def read_table(
    data: bytes, *, sheet: str | None = None, preferred_sheets: tuple[str, ...] = ()
) -> Table:
    """The header and the rows of a CSV text file, an XLSX workbook or a ZIP holding a CSV."""
    if len(data) > max_bytes():
        raise ReferenceImportError([Problem(
            f"The file is {len(data):,} bytes; the limit is {max_bytes():,} bytes "
            "(REFERENCE_IMPORT_MAX_BYTES)."
        )])
    if not data.strip():
        raise ReferenceImportError([Problem("The file is empty.")])
    if data.startswith(b"PK\x03\x04"):
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
            members = archive.namelist()
        except zipfile.BadZipFile:
            raise ReferenceImportError([Problem("The file is a damaged ZIP archive.")]) from None
        if "[Content_Types].xml" in members:
            return _xlsx_table(data, sheet, preferred_sheets)
        csvs = [m for m in members if m.lower().endswith(".csv") and not m.endswith("/")]
        if sheet:
            csvs = [m for m in csvs if m == sheet or m.rsplit("/", 1)[-1] == sheet]
        elif len(csvs) > 1:
            every = [m for m in csvs if re.search(r"[-_]all\.csv$", m.lower())]
            csvs = every if len(every) == 1 else csvs
        if len(csvs) != 1:
            raise ReferenceImportError([Problem(
                "The ZIP archive should hold one CSV file; it holds "
                + (", ".join(show(m) for m in members) or "nothing")
                + ". Name the one to read with --sheet."
            )])
        info = archive.getinfo(csvs[0])
        if info.file_size > max_bytes():
            raise ReferenceImportError([Problem(
                f"{csvs[0]} is {info.file_size:,} bytes uncompressed; the limit is "
                f"{max_bytes():,} bytes (REFERENCE_IMPORT_MAX_BYTES)."
            )])
        data = archive.read(csvs[0])
    text, encoding = decode(data)
    return _csv_table(text, encoding)


# ---------------------------------------------------------------------------------------
# Columns, found by name


def norm_header(cell: str) -> str:
    """``'LSOA code (2011)'`` -> ``'lsoa code 2011'``; ``NUMBER_OF_PATIENTS`` ->
    ``'number of patients'``."""
    cell = cell.replace("\ufeff", "").strip().lower()
    return re.sub(r"[^a-z0-9]+", " ", cell).strip()


@dataclass(frozen=True)
class Field:
    name: str
    patterns: tuple[str, ...]
    required: bool = False
    label: str = ""


LSOA_CODE_PATTERNS = (
    r"lsoa (?:code|cd)(?: 20[12]1)?",
    r"lsoa(?:11|21)(?: ?cd| code)",
    r"lsoa 20[12]1 code",
    r"lower layer super output areas? (?:20[12]1 )?code",
    r"lsoa",
)
PRACTICE_PATTERNS = (
    r"practice code", r"ods code", r"org code", r"gp practice code", r"practice ods code",
    r"code", r"practice",
)
PATIENTS_PATTERNS = (r"number of patients", r"patients", r"registered patients", r"count")
EXTRACT_PATTERNS = (r"extract date", r"extract_date")


@dataclass
class Columns:
    """Which column (position and header as written) holds each field."""

    position: dict[str, int]
    header: dict[str, str]
    ignored: list[str]

    def get(self, cells: list[str], name: str) -> str:
        index = self.position.get(name)
        if index is None or index >= len(cells):
            return ""
        return cells[index].strip()

    def __contains__(self, name: str) -> bool:
        return name in self.position


def find_columns(header: list[str], fields: tuple[Field, ...], form: str) -> Columns:
    normalised = [norm_header(cell) for cell in header]
    position: dict[str, int] = {}
    used: set[int] = set()
    problems = Problems()
    for spec in fields:
        for pattern in spec.patterns:
            hits = [
                i for i, name in enumerate(normalised)
                if i not in used and name and re.fullmatch(pattern, name)
            ]
            if len(hits) > 1:
                problems.add(
                    "Columns " + " and ".join(show(header[i].strip()) for i in hits)
                    + f" could both be the {spec.label or spec.name.replace('_', ' ')}; "
                    "rename or remove one.",
                    line=1,
                )
            if hits:
                position[spec.name] = hits[0]
                used.add(hits[0])
                break
        else:
            if spec.required:
                problems.add(
                    f"The header has no {spec.label or spec.name.replace('_', ' ')} column. "
                    f"Expected {form}.",
                    line=1,
                )
    problems.raise_if_any()
    ignored = [header[i].strip() for i in range(len(header)) if i not in used and header[i].strip()]
    return Columns(
        position=position,
        header={name: header[i].strip() for name, i in position.items()},
        ignored=ignored,
    )


# ---------------------------------------------------------------------------------------
# Cell parsers


def parse_int(value: str) -> int | None:
    text = value.replace(",", "").strip()
    if re.fullmatch(r"\d+", text):
        return int(text)
    if re.fullmatch(r"\d+\.0+", text):
        return int(float(text))
    return None


def parse_float(value: str) -> float | None:
    try:
        number = float(value.replace(",", "").strip())
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None


MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
)}


def parse_date(value: str) -> datetime.date | None:
    """``01JAN2021``, ``01-Jan-2021``, ``2021-01-01``, ``01/01/2021`` or ``2021-01``."""
    text = value.strip()
    match = re.fullmatch(r"(\d{1,2})[ \-]?([A-Za-z]{3})[A-Za-z]*[ \-]?(\d{4})", text)
    try:
        if match:
            month = MONTHS.get(match.group(2).lower())
            if month:
                return datetime.date(int(match.group(3)), month, int(match.group(1)))
            return None
        match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?", text)
        if match:
            return datetime.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
        if match:
            return datetime.date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
        match = re.fullmatch(r"(\d{4})-(\d{1,2})", text)
        if match:
            return datetime.date(int(match.group(1)), int(match.group(2)), 1)
    except ValueError:
        return None
    return None


SEXES = {
    "all": "all", "persons": "all", "person": "all", "p": "all", "t": "all", "total": "all",
    "male": "male", "males": "male", "m": "male",
    "female": "female", "females": "female", "f": "female",
    "unknown": "unknown", "u": "unknown", "i": "unknown", "indeterminate": "unknown",
}


def parse_age_band(value: str) -> tuple[str, int, int | None] | None:
    """(label, first year, last year or None for an open band): ``0_4``, ``0-4``, ``5 to 9``,
    ``95+``, ``85 and over``, ``13``."""
    text = value.strip().lower()
    match = re.fullmatch(r"(\d{1,3})\s*(?:_|-|\u2013|to)\s*(\d{1,3})", text)
    if match:
        low, high = int(match.group(1)), int(match.group(2))
        if high < low or high > 130:
            return None
        return f"{low}-{high}", low, high
    match = re.fullmatch(r"(\d{1,3})\s*(?:\+|plus|and over|and above|or over|or older)", text)
    if match:
        return f"{int(match.group(1))}+", int(match.group(1)), None
    match = re.fullmatch(r"(\d{1,3})", text)
    if match and int(text) <= 130:
        return str(int(text)), int(text), int(text)
    return None


def lsoa_number(code: str) -> int | None:
    return int(code[3:]) if code.startswith("E01") and LSOA_CODE_RE.match(code) else None


def header_geography(header: str) -> str:
    name = norm_header(header)
    if re.search(r"2011|lsoa11", name):
        return GeographyVersion.LSOA_2011
    if re.search(r"2021|lsoa21", name):
        return GeographyVersion.LSOA_2021
    return ""


# ---------------------------------------------------------------------------------------
# Prepared imports


@dataclass
class Prepared:
    """What a file would write, and what to tell the person importing it."""

    kind: str
    rows: int = 0
    records: list = field(default_factory=list)
    skipped_rows: int = 0
    skipped_practices: set[str] = field(default_factory=set)
    unknown_lsoas: int = 0
    version: str = ""
    geography_version: str = ""
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    encoding: str = ""
    replace: dict = field(default_factory=dict)


def _practices() -> dict[str, int]:
    return dict(
        Organisation.objects.filter(kind=OrganisationKind.GP_PRACTICE).values_list("ods_code", "pk")
    )


def _check_cell_lengths(cells: list[str], columns: Columns, line: int, problems: Problems) -> bool:
    ok = True
    for name, index in columns.position.items():
        if index < len(cells) and len(cells[index]) > MAX_CELL_CHARS:
            problems.add(
                f"The value is {len(cells[index]):,} characters long; at most "
                f"{MAX_CELL_CHARS} are allowed ({show(cells[index])}).",
                line=line, column=columns.header[name],
            )
            ok = False
    return ok


def _note_ignored(prepared: Prepared, columns: Columns) -> None:
    if columns.ignored:
        shown = ", ".join(columns.ignored[:8]) + (" ..." if len(columns.ignored) > 8 else "")
        prepared.notes.append(f"Columns not used: {shown}.")


def _skipped_note(prepared: Prepared) -> None:
    if prepared.skipped_practices:
        count = len(prepared.skipped_practices)
        prepared.notes.append(
            f"{count:,} practice code{'s' if count != 1 else ''} in the file "
            f"{'are' if count != 1 else 'is'} not practices in the catalogue: "
            "their rows were skipped (national files cover all of England)."
        )


def _rows_of(table: Table, columns: Columns, problems: Problems) -> Iterator[tuple[int, list[str]]]:
    width = len(table.header)
    for line, cells in table.rows:
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            problems.add(
                f"This row has {len(cells)} cells; the header has {width}.", line=line
            )
            continue
        if not _check_cell_lengths(cells, columns, line, problems):
            continue
        yield line, cells


def _extract_date(
    values: dict[datetime.date, int], option: datetime.date | None, prepared: Prepared,
    problems: Problems, column: str | None,
) -> datetime.date:
    if option is not None:
        if values and set(values) != {option}:
            prepared.notes.append(
                f"The file's {column} says {', '.join(sorted(str(d) for d in values))}; "
                f"--extract-date {option} was used instead."
            )
        return option
    if len(values) > 1:
        dates = sorted(values.items())
        problems.add(
            "The file holds more than one extract date ("
            + ", ".join(f"{d} first on line {line}" for d, line in dates[:4])
            + "); import one extract at a time.",
            line=dates[1][1], column=column,
        )
        return dates[0][0]
    if values:
        return next(iter(values))
    today = timezone.localdate()
    prepared.notes.append(
        f"The file has no extract date; it is recorded as {today} (use --extract-date to set it)."
    )
    return today


# ---- imd ------------------------------------------------------------------------------

IMD_FIELDS = (
    Field("lsoa", LSOA_CODE_PATTERNS, required=True, label="LSOA code"),
    Field("decile", (
        r"index of multiple deprivation(?: imd)? decile.*", r"imd(?: 20\d\d)? decile.*",
        r"decile",
    ), required=True, label="IMD decile"),
    Field("rank", (r"index of multiple deprivation(?: imd)? rank.*", r"imd(?: 20\d\d)? rank.*",
                   r"rank")),
    Field("score", (r"index of multiple deprivation(?: imd)? score.*",
                    r"imd(?: 20\d\d)? score.*")),
    Field("name", (r"lsoa name(?: 20[12]1)?", r"lsoa(?:11|21) ?nm", r"lsoa name")),
    Field("la_code", (r"local authority district code(?: 20\d\d)?", r"lad\d\d ?cd",
                      r"local authority code", r"la code")),
    Field("la_name", (r"local authority district name(?: 20\d\d)?", r"lad\d\d ?nm",
                      r"local authority name", r"la name")),
    Field("rural_urban", (r"rural urban.*", r"ruc\d\d(?: ?nm)?")),
)
IMD_FORM = ("the IMD 2019 File 1 or File 7 columns (\u201cLSOA code (2011)\u201d, "
            "\u201cIndex of Multiple Deprivation (IMD) Decile\u201d) or lsoa_code,imd_decile")


def prepare_imd(table: Table, *, lsoa_version: str | None = None, **_) -> Prepared:
    columns = find_columns(table.header, IMD_FIELDS, IMD_FORM)
    prepared = Prepared(kind="imd", encoding=table.encoding)
    _note_ignored(prepared, columns)
    problems = Problems()
    seen: dict[str, int] = {}
    records: list[LSOA] = []
    for line, cells in _rows_of(table, columns, problems):
        prepared.rows += 1
        raw_code = columns.get(cells, "lsoa")
        code = raw_code.upper()
        ok = True
        if not code:
            problems.add("This cell is empty.", line, columns.header["lsoa"])
            ok = False
        elif not re.fullmatch(r"[EW]01\d{6}", code):
            problems.add(
                f"{show(raw_code)} is not an LSOA code (E01 and six digits, e.g. E01027353).",
                line, columns.header["lsoa"],
            )
            ok = False
        elif code in seen:
            problems.add(f"LSOA {code} is on line {seen[code]} too.", line, columns.header["lsoa"])
            ok = False
        else:
            seen[code] = line
        raw_decile = columns.get(cells, "decile")
        decile = parse_int(raw_decile)
        if decile is None or not 1 <= decile <= 10:
            problems.add(
                "This cell is empty; the IMD decile is a whole number from 1 (most deprived) "
                "to 10." if not raw_decile else
                f"{show(raw_decile)} is not an IMD decile (a whole number from 1 to 10).",
                line, columns.header["decile"],
            )
            ok = False
        rank = None
        if "rank" in columns and columns.get(cells, "rank"):
            rank = parse_int(columns.get(cells, "rank"))
            if rank is None or rank < 1:
                problems.add(
                    f"{show(columns.get(cells, 'rank'))} is not a rank (a whole number from 1).",
                    line, columns.header["rank"],
                )
                ok = False
        score = None
        if "score" in columns and columns.get(cells, "score"):
            score = parse_float(columns.get(cells, "score"))
            if score is None:
                problems.add(
                    f"{show(columns.get(cells, 'score'))} is not a number.",
                    line, columns.header["score"],
                )
                ok = False
        if not ok:
            continue
        records.append(LSOA(
            code=code,
            name=columns.get(cells, "name")[:100],
            imd_decile=decile,
            imd_rank=rank,
            imd_score=score,
            local_authority_code=columns.get(cells, "la_code")[:9],
            local_authority_name=columns.get(cells, "la_name")[:100],
            rural_urban=columns.get(cells, "rural_urban")[:60],
        ))
    if not records and not problems:
        problems.add("The file has a header but no LSOAs.")
    problems.raise_if_any()

    version = lsoa_version or header_geography(columns.header["lsoa"])
    if not version:
        beyond = any((lsoa_number(r.code) or 0) > LAST_LSOA11_NUMBER for r in records)
        version = GeographyVersion.LSOA_2021 if beyond else GeographyVersion.LSOA_2011
        prepared.notes.append(
            f"The header does not say which LSOA geography the codes are on; taken as "
            f"LSOA {version} (use --lsoa-version to say)."
        )
    edition = "2019" if version == GeographyVersion.LSOA_2011 else "2025"
    for record in records:
        record.geography_version = version
        record.imd_edition = edition
    deciles = {r.imd_decile for r in records}
    if len(records) > 1000 and deciles != set(range(1, 11)):
        prepared.warnings.append(
            "Deciles " + ", ".join(str(d) for d in sorted(set(range(1, 11)) - deciles))
            + " do not occur: is this the whole of England?"
        )
    prepared.records = records
    prepared.version = f"LSOA {version}"
    prepared.geography_version = version
    if 0 < len(records) < 32000 and version == GeographyVersion.LSOA_2011:
        prepared.notes.append(
            f"{len(records):,} LSOAs: England has 32,844; deciles are England's whatever the "
            "file covers."
        )
    return prepared


# ---- practice_lsoa ---------------------------------------------------------------------

PRACTICE_LSOA_FIELDS = (
    Field("practice", PRACTICE_PATTERNS, required=True, label="practice code"),
    Field("lsoa", LSOA_CODE_PATTERNS, required=True, label="LSOA code"),
    Field("patients", PATIENTS_PATTERNS, required=True, label="number of patients"),
    Field("extract_date", EXTRACT_PATTERNS),
    Field("sex", (r"sex", r"gender")),
)
PRACTICE_LSOA_FORM = ("PRACTICE_CODE,LSOA_CODE,NUMBER_OF_PATIENTS (NHS England's LSOA file) "
                      "or ods_code,lsoa_code,patients")


def _loaded_imd() -> tuple[set[str], str]:
    codes = set(LSOA.objects.values_list("code", flat=True))
    version = (
        LSOA.objects.values_list("geography_version", flat=True).first() if codes else ""
    )
    return codes, version or ""


def detect_geography(
    codes: Iterable[str], imd_codes: set[str], imd_version: str, explicit: str = ""
) -> tuple[str, int, int, str]:
    """(geography version, English codes in the file, those not in the IMD, how it was told).

    Explicit (option or header) wins.  Otherwise any English code above E01033768 is LSOA
    2021; with an IMD loaded, more than GEOGRAPHY_MISMATCH_SHARE of the codes missing from it
    means the other geography; else the IMD's.
    """
    english = {c for c in codes if c.startswith("E01")}
    missing = english - imd_codes if imd_codes else set()
    if explicit:
        return explicit, len(english), len(missing), "as stated"
    if any((lsoa_number(c) or 0) > LAST_LSOA11_NUMBER for c in english):
        return GeographyVersion.LSOA_2021, len(english), len(missing), "codes above E01033768"
    if imd_codes and english:
        if len(missing) / len(english) > GEOGRAPHY_MISMATCH_SHARE:
            other = (GeographyVersion.LSOA_2011 if imd_version == GeographyVersion.LSOA_2021
                     else GeographyVersion.LSOA_2021)
            return other, len(english), len(missing), "codes missing from the IMD"
        return imd_version or GeographyVersion.LSOA_2011, len(english), len(missing), "match the IMD"
    return GeographyVersion.LSOA_2011, len(english), len(missing), "assumed"


def geography_message(file_version: str, english: int, missing: int, imd_version: str) -> str:
    return (
        f"{missing:,} of the {english:,} English LSOA codes in this file are not in the loaded "
        f"IMD (LSOA {imd_version} geography): the file is on LSOA {file_version} geography. "
        "Deprivation will not be attributed through these LSOAs until the ONS LSOA (2011) to "
        "LSOA (2021) lookup is loaded: python manage.py import_reference lsoa_lookup FILE "
        "(columns LSOA11CD,LSOA21CD[,CHGIND])."
    )


def prepare_practice_lsoa(
    table: Table, *, extract_date: datetime.date | None = None, lsoa_version: str | None = None,
    **_,
) -> Prepared:
    columns = find_columns(table.header, PRACTICE_LSOA_FIELDS, PRACTICE_LSOA_FORM)
    prepared = Prepared(kind="practice_lsoa", encoding=table.encoding)
    _note_ignored(prepared, columns)
    practices = _practices()
    problems = Problems()
    dates: dict[datetime.date, int] = {}
    # (practice, lsoa) -> sex -> (patients, line)
    cells_by_key: dict[tuple[str, str], dict[str, tuple[int, int]]] = {}
    for line, cells in _rows_of(table, columns, problems):
        prepared.rows += 1
        ods = columns.get(cells, "practice").upper()
        if ods not in practices:
            prepared.skipped_rows += 1
            if ods:
                prepared.skipped_practices.add(ods)
            else:
                problems.add("This cell is empty.", line, columns.header["practice"])
            continue
        ok = True
        raw_code = columns.get(cells, "lsoa")
        code = raw_code.upper()
        if not code:
            problems.add("This cell is empty.", line, columns.header["lsoa"])
            ok = False
        elif not (LSOA_CODE_RE.match(code) or NO_LSOA_RE.match(code)):
            problems.add(
                f"{show(raw_code)} is not an LSOA code (a letter and eight digits, e.g. E01027353).",
                line, columns.header["lsoa"],
            )
            ok = False
        raw = columns.get(cells, "patients")
        patients = parse_int(raw)
        if patients is None:
            problems.add(
                "This cell is empty." if not raw
                else f"{show(raw)} is not a number of patients (a whole number, 0 or more).",
                line, columns.header["patients"],
            )
            ok = False
        sex = "all"
        if "sex" in columns:
            raw_sex = columns.get(cells, "sex")
            sex = SEXES.get(raw_sex.lower(), "")
            if not sex:
                problems.add(
                    f"{show(raw_sex)} is not a sex (ALL, MALE or FEMALE).",
                    line, columns.header["sex"],
                )
                ok = False
        if "extract_date" in columns and extract_date is None:
            raw_date = columns.get(cells, "extract_date")
            when = parse_date(raw_date)
            if when is None:
                problems.add(
                    f"{show(raw_date)} is not a date (e.g. 01JAN2021 or 2021-01-01).",
                    line, columns.header["extract_date"],
                )
                ok = False
            else:
                dates.setdefault(when, line)
        if not ok:
            continue
        by_sex = cells_by_key.setdefault((ods, code), {})
        if sex in by_sex:
            problems.add(
                f"Practice {ods}, LSOA {code}"
                + (f", sex {sex}" if "sex" in columns else "")
                + f" is on line {by_sex[sex][1]} too.",
                line,
            )
            continue
        by_sex[sex] = (patients, line)
    when = _extract_date(dates, extract_date, prepared, problems,
                         columns.header.get("extract_date"))
    if not cells_by_key and not problems:
        problems.add(
            "No row is for a practice in the catalogue "
            f"({len(prepared.skipped_practices):,} other practice codes in the file); "
            "nothing was imported."
        )
    problems.raise_if_any()

    summed = 0
    totals: dict[tuple[str, str], int] = {}
    for key, by_sex in cells_by_key.items():
        if "all" in by_sex:
            totals[key] = by_sex["all"][0]
        else:
            totals[key] = sum(p for p, _ in by_sex.values())
            summed += 1
    if summed and "sex" in columns:
        prepared.notes.append(
            f"{summed:,} practice-LSOA pairs had no ALL row: their male and female rows were added."
        )

    imd_codes, imd_version = _loaded_imd()
    explicit = lsoa_version or header_geography(columns.header["lsoa"])
    version, english, missing, how = detect_geography(
        {code for _, code in totals}, imd_codes, imd_version, explicit
    )
    prepared.geography_version = version
    prepared.unknown_lsoas = missing
    if not imd_codes:
        prepared.notes.append(
            "No IMD is loaded yet, so the LSOA codes were not checked against it "
            f"(taken as LSOA {version}: {how})."
        )
    elif imd_version and version != imd_version:
        lookup = LSOALookup.objects.exists()
        message = geography_message(version, english, missing, imd_version)
        if lookup:
            message = (
                f"{missing:,} of the {english:,} English LSOA codes are not in the loaded IMD: "
                f"the file is on LSOA {version} geography. The LSOA 2011 to 2021 lookup is "
                "loaded, so deprivation is attributed through it."
            )
        prepared.warnings.append(message)
    elif missing:
        prepared.warnings.append(
            f"{missing:,} of the {english:,} English LSOA codes in the file are not in the "
            "loaded IMD: their patients cannot be given an IMD decile."
        )
    outside = sum(1 for _, code in totals if not code.startswith("E01"))
    if outside:
        prepared.notes.append(
            f"{outside:,} practice-LSOA pairs are outside England or have no LSOA recorded "
            "(no IMD decile)."
        )

    lsoa_ids = (
        dict(LSOA.objects.values_list("code", "pk")) if imd_codes and version == imd_version
        else {}
    )
    prepared.records = [
        PracticeLSOAPopulation(
            practice_id=practices[ods], lsoa_code=code, lsoa_id=lsoa_ids.get(code),
            geography_version=version, patients=patients, extract_date=when,
        )
        for (ods, code), patients in totals.items()
    ]
    prepared.version = f"extract {when}"
    prepared.replace = {"extract_date": when}
    _skipped_note(prepared)
    return prepared


# ---- practice_age ----------------------------------------------------------------------

PRACTICE_AGE_FIELDS = (
    Field("type", (r"org type", r"type", r"organisation type")),
    Field("practice", PRACTICE_PATTERNS, required=True, label="practice code"),
    Field("age", (r"age group 5", r"age band", r"age group", r"age", r"age group 1"),
          required=True, label="age or age band"),
    Field("sex", (r"sex", r"gender")),
    Field("patients", PATIENTS_PATTERNS, required=True, label="number of patients"),
    Field("extract_date", EXTRACT_PATTERNS),
)
PRACTICE_AGE_FORM = ("ORG_CODE (or CODE),SEX,AGE_GROUP_5 (or AGE),NUMBER_OF_PATIENTS "
                     "or ods_code,age_band,sex,patients")


def prepare_practice_age(
    table: Table, *, extract_date: datetime.date | None = None, **_
) -> Prepared:
    columns = find_columns(table.header, PRACTICE_AGE_FIELDS, PRACTICE_AGE_FORM)
    prepared = Prepared(kind="practice_age", encoding=table.encoding)
    _note_ignored(prepared, columns)
    practices = _practices()
    problems = Problems()
    dates: dict[datetime.date, int] = {}
    other_types = totals_skipped = 0
    # (practice, band label) -> sex -> (patients, line, from, to)
    found: dict[tuple[str, str], dict[str, tuple[int, int, int, int | None]]] = {}
    for line, cells in _rows_of(table, columns, problems):
        prepared.rows += 1
        if "type" in columns and columns.get(cells, "type").upper() not in {"GP", "GP PRACTICE"}:
            other_types += 1
            prepared.skipped_rows += 1
            continue
        ods = columns.get(cells, "practice").upper()
        if ods not in practices:
            prepared.skipped_rows += 1
            if ods:
                prepared.skipped_practices.add(ods)
            else:
                problems.add("This cell is empty.", line, columns.header["practice"])
            continue
        raw_age = columns.get(cells, "age")
        if raw_age.upper() in {"ALL", "ALL AGES", "TOTAL"}:
            totals_skipped += 1
            prepared.skipped_rows += 1
            continue
        ok = True
        band = parse_age_band(raw_age)
        if band is None:
            problems.add(
                "This cell is empty." if not raw_age else
                f"{show(raw_age)} is not an age or age band (e.g. 13, 0_4, 10-14 or 95+).",
                line, columns.header["age"],
            )
            ok = False
        sex = "all"
        if "sex" in columns:
            raw_sex = columns.get(cells, "sex")
            sex = SEXES.get(raw_sex.lower(), "")
            if not sex:
                problems.add(
                    f"{show(raw_sex)} is not a sex (ALL, MALE, FEMALE or UNKNOWN).",
                    line, columns.header["sex"],
                )
                ok = False
        raw = columns.get(cells, "patients")
        patients = parse_int(raw)
        if patients is None:
            problems.add(
                "This cell is empty." if not raw
                else f"{show(raw)} is not a number of patients (a whole number, 0 or more).",
                line, columns.header["patients"],
            )
            ok = False
        if "extract_date" in columns and extract_date is None:
            raw_date = columns.get(cells, "extract_date")
            when = parse_date(raw_date)
            if when is None:
                problems.add(
                    f"{show(raw_date)} is not a date (e.g. 01JAN2021 or 2021-01-01).",
                    line, columns.header["extract_date"],
                )
                ok = False
            else:
                dates.setdefault(when, line)
        if not ok:
            continue
        label, low, high = band
        by_sex = found.setdefault((ods, label), {})
        if sex in by_sex:
            problems.add(
                f"Practice {ods}, age {label}, sex {sex} is on line {by_sex[sex][1]} too.", line
            )
            continue
        by_sex[sex] = (patients, line, low, high)
    when = _extract_date(dates, extract_date, prepared, problems,
                         columns.header.get("extract_date"))
    if not found and not problems:
        problems.add(
            "No row is for an age band of a practice in the catalogue "
            f"({len(prepared.skipped_practices):,} other practice codes, {totals_skipped:,} "
            "all-ages rows); nothing was imported."
        )

    # Keep ALL only where there is no male/female split for that band.
    dropped_all = 0
    bands: dict[tuple[str, str], list[tuple[int, int | None, int, str]]] = {}
    kept: list[tuple[str, str, str, int, int, int | None]] = []
    for (ods, label), by_sex in found.items():
        split = {s for s in by_sex if s != "all"}
        for sex, (patients, line, low, high) in by_sex.items():
            if sex == "all" and split:
                dropped_all += 1
                continue
            kept.append((ods, label, sex, patients, low, high))
            bands.setdefault((ods, sex), []).append((low, high, line, label))
    for (ods, sex), spans in bands.items():
        spans.sort(key=lambda span: (span[0], 10**6 if span[1] is None else span[1]))
        for (_low1, high1, line1, label1), (low2, _h2, line2, label2) in zip(
            spans, spans[1:], strict=False
        ):
            if high1 is None or low2 <= high1:
                problems.add(
                    f"Practice {ods} ({sex}): age {label2} overlaps age {label1} on line "
                    f"{line1}. Import either single years or bands, not both.",
                    line2, columns.header["age"],
                )
    problems.raise_if_any()
    if other_types:
        prepared.notes.append(
            f"{other_types:,} rows for other kinds of organisation (regions, ICBs, PCNs ...) "
            "were left out."
        )
    if totals_skipped:
        prepared.notes.append(f"{totals_skipped:,} all-ages total rows were left out.")
    if dropped_all:
        prepared.notes.append(
            f"{dropped_all:,} ALL rows were left out where male and female rows are given."
        )
    sexes = sorted({row[2] for row in kept})
    if sexes in (["male"], ["female"]):
        prepared.warnings.append(
            f"The file only has {sexes[0]} patients; import the "
            f"{'female' if sexes[0] == 'male' else 'male'} file of the same extract too."
        )
    prepared.records = [
        PracticeAgePopulation(
            practice_id=practices[ods], age_band=label, age_from=low, age_to=high, sex=sex,
            patients=patients, extract_date=when,
        )
        for ods, label, sex, patients, low, high in kept
    ]
    prepared.version = f"extract {when} ({', '.join(sexes)})"
    prepared.replace = {"extract_date": when, "sex__in": sexes}
    _skipped_note(prepared)
    return prepared


# ---- practice_deprivation --------------------------------------------------------------

DEPRIVATION_FIELDS = (
    Field("practice", (r"area code", r"ods code", r"practice code", r"org code", r"code"),
          required=True, label="practice code (Area Code)"),
    Field("score", (r"value", r"imd(?: 20\d\d)? score", r"deprivation score", r"score"),
          required=True, label="IMD score (Value)"),
    Field("area_type", (r"area type",)),
    Field("year", (r"time period", r"year", r"imd year")),
    Field("indicator_id", (r"indicator id",)),
    Field("indicator_name", (r"indicator name",)),
)
DEPRIVATION_FORM = ("the Fingertips export columns (Area Code, Area Type, Time period, Value) "
                    "or ods_code,imd_score[,year]")


def prepare_practice_deprivation(
    table: Table, *, year: str | None = None, source: str | None = None, **_
) -> Prepared:
    columns = find_columns(table.header, DEPRIVATION_FIELDS, DEPRIVATION_FORM)
    prepared = Prepared(kind="practice_deprivation", encoding=table.encoding)
    _note_ignored(prepared, columns)
    practices = _practices()
    problems = Problems()
    other_areas = no_value = 0
    indicators: dict[str, int] = {}
    seen: dict[tuple[str, str], int] = {}
    found: list[tuple[str, str, float]] = []
    for line, cells in _rows_of(table, columns, problems):
        prepared.rows += 1
        if "indicator_name" in columns:
            name = columns.get(cells, "indicator_name")
            if name and "deprivation" not in name.lower():
                problems.add(
                    f"{show(name, 60)} is not a deprivation score: export Fingertips indicator "
                    "93553, Deprivation score (IMD 2019).",
                    line, columns.header["indicator_name"],
                )
                continue
        if "indicator_id" in columns and columns.get(cells, "indicator_id"):
            indicators.setdefault(columns.get(cells, "indicator_id"), line)
        if "area_type" in columns and columns.get(cells, "area_type").upper() not in {
            "GP", "GPS", "GP PRACTICE", "GP PRACTICES",
        }:
            other_areas += 1
            prepared.skipped_rows += 1
            continue
        ods = columns.get(cells, "practice").upper()
        if ods not in practices:
            prepared.skipped_rows += 1
            if ods:
                prepared.skipped_practices.add(ods)
            else:
                problems.add("This cell is empty.", line, columns.header["practice"])
            continue
        raw = columns.get(cells, "score")
        if not raw:
            no_value += 1
            prepared.skipped_rows += 1
            continue
        score = parse_float(raw)
        if score is None or score < 0 or score > 100:
            problems.add(
                f"{show(raw)} is not an IMD score (a number from 0 to 100).",
                line, columns.header["score"],
            )
            continue
        when = year or columns.get(cells, "year") or "2019"
        if len(when) > 9:
            problems.add(f"{show(when)} is not a year or period.", line,
                         columns.header.get("year"))
            continue
        if (ods, when) in seen:
            problems.add(f"Practice {ods} ({when}) is on line {seen[(ods, when)]} too.", line)
            continue
        seen[(ods, when)] = line
        found.append((ods, when, score))
    if len(indicators) > 1:
        items = sorted(indicators.items(), key=lambda item: item[1])
        problems.add(
            "The file mixes indicators " + ", ".join(i for i, _ in items)
            + "; export one indicator.", items[1][1], columns.header["indicator_id"],
        )
    if not found and not problems:
        problems.add(
            "No row is a score for a practice in the catalogue "
            f"({len(prepared.skipped_practices):,} other practice codes); nothing was imported."
        )
    problems.raise_if_any()
    if source is None:
        source = f"Fingertips {next(iter(indicators))}" if indicators else "file upload"
    if other_areas:
        prepared.notes.append(f"{other_areas:,} rows for areas other than GP practices were left out.")
    if no_value:
        prepared.notes.append(f"{no_value:,} catalogue practices have no value in the file.")
    if "year" not in columns and not year:
        prepared.notes.append("The file has no year; recorded as 2019 (use --year to set it).")
    prepared.records = [
        PracticeDeprivation(practice_id=practices[ods], imd_score=score, year=when, source=source)
        for ods, when, score in found
    ]
    years = sorted({when for _, when, _ in found})
    prepared.version = f"{source}, {', '.join(years)}"
    prepared.replace = {"source": source, "year__in": years}
    _skipped_note(prepared)
    return prepared


# ---- lsoa_breakdown ---------------------------------------------------------------------

BREAKDOWN_FIELDS = (
    Field("lsoa", LSOA_CODE_PATTERNS + (r"geography code", r"mnemonic"),
          required=True, label="LSOA code"),
    Field("category", (r"category", r"categories")),
    Field("count", (r"count", r"observation", r"number", r"value", r"patients", r"population")),
)
NOT_CATEGORY = (
    r"lsoa name.*", r"lsoa(?:11|21) ?nm", r"lower layer super output areas?(?: 20[12]1)?",
    r"geography", r"date", r".* code", r"lad\d\d ?(?:cd|nm)", r"local authority.*",
    r"msoa.*", r"lsoa.*",
)
BREAKDOWN_FORM = "lsoa_code,category,count (or one count column per category)"


def prepare_lsoa_breakdown(
    table: Table, *, dataset: str | None = None, lsoa_version: str | None = None, **_
) -> Prepared:
    if not dataset or not dataset.strip():
        raise ReferenceImportError([Problem(
            "Name the data set with --dataset (e.g. --dataset ethnicity)."
        )])
    dataset = dataset.strip()[:100]
    columns = find_columns(table.header, BREAKDOWN_FIELDS, BREAKDOWN_FORM)
    prepared = Prepared(kind="lsoa_breakdown", encoding=table.encoding)
    used = set(columns.position.values())
    candidates = [
        i for i, cell in enumerate(table.header)
        if i not in used and cell.strip()
        and not any(re.fullmatch(p, norm_header(cell)) for p in NOT_CATEGORY)
    ]
    wide: list[int] = []
    layout = ""
    if "category" in columns:
        layout = "long" if "count" in columns else "classification"
    elif len(candidates) == 1:
        columns.position["category"] = candidates[0]
        columns.header["category"] = table.header[candidates[0]].strip()
        layout = "long" if "count" in columns else "classification"
    elif "count" in columns:
        raise ReferenceImportError([Problem(
            "Which column is the category? Candidates: "
            + ", ".join(show(table.header[i].strip()) for i in candidates)
            + ". Name it \u201ccategory\u201d.", line=1,
        )] if candidates else [Problem(
            "The header has a count column but no category column. Expected "
            + BREAKDOWN_FORM + ".", line=1,
        )])
    else:
        totals = [i for i in candidates if "total" in norm_header(table.header[i]).split()]
        wide = [i for i in candidates if i not in totals]
        if not wide:
            raise ReferenceImportError([Problem(
                "The header has no category or count columns. Expected " + BREAKDOWN_FORM + ".",
                line=1,
            )])
        layout = "wide"
        if totals:
            prepared.notes.append(
                "Total columns left out: " + ", ".join(table.header[i].strip() for i in totals) + "."
            )
    ignored = [
        table.header[i].strip() for i in range(len(table.header))
        if i not in columns.position.values() and i not in wide and table.header[i].strip()
        and not (layout == "wide" and "total" in norm_header(table.header[i]).split())
    ]
    if ignored:
        prepared.notes.append("Columns not used: " + ", ".join(ignored[:8]) + ".")
    problems = Problems()
    seen: dict[tuple[str, str], int] = {}
    found: list[tuple[str, str, float]] = []

    def add(code: str, category: str, count: float, line: int, column: str) -> None:
        key = (code, category)
        if key in seen:
            problems.add(
                f"LSOA {code}, category {show(category)} is on line {seen[key]} too.", line, column
            )
            return
        seen[key] = line
        found.append((code, category, count))

    for line, cells in _rows_of(table, columns, problems):
        prepared.rows += 1
        raw_code = columns.get(cells, "lsoa")
        code = raw_code.upper()
        if not LSOA_CODE_RE.match(code):
            problems.add(
                "This cell is empty." if not code else
                f"{show(raw_code)} is not an LSOA code (a letter and eight digits, e.g. E01027353).",
                line, columns.header["lsoa"],
            )
            continue
        if layout == "wide":
            for index in wide:
                raw = cells[index].strip() if index < len(cells) else ""
                count = parse_float(raw)
                if count is None or count < 0:
                    problems.add(
                        "This cell is empty." if not raw else
                        f"{show(raw)} is not a count (a number, 0 or more).",
                        line, table.header[index].strip(),
                    )
                    continue
                add(code, table.header[index].strip()[:200], count, line,
                    table.header[index].strip())
            continue
        category = columns.get(cells, "category")
        if not category:
            problems.add("This cell is empty.", line, columns.header["category"])
            continue
        count = 1.0
        if layout == "long":
            raw = columns.get(cells, "count")
            count = parse_float(raw)
            if count is None or count < 0:
                problems.add(
                    "This cell is empty." if not raw else
                    f"{show(raw)} is not a count (a number, 0 or more).",
                    line, columns.header["count"],
                )
                continue
        add(code, category, count, line, columns.header["category"])
    if not found and not problems:
        problems.add("The file has a header but no rows.")
    problems.raise_if_any()

    imd_codes, imd_version = _loaded_imd()
    explicit = lsoa_version or header_geography(columns.header["lsoa"])
    version, english, missing, _how = detect_geography(
        {code for code, _, _ in found}, imd_codes, imd_version, explicit
    )
    prepared.geography_version = version
    prepared.unknown_lsoas = missing
    if imd_version and version != imd_version:
        prepared.warnings.append(
            f"This data set is on LSOA {version} geography and the IMD on LSOA {imd_version}: "
            "it is joined to practices' LSOA populations through the LSOA 2011 to 2021 lookup "
            "when they differ."
        )
    if layout == "classification":
        prepared.notes.append("No count column: each LSOA is counted once in its category.")
    prepared.records = [
        LSOABreakdown(dataset=dataset, lsoa_code=code, geography_version=version,
                      category=category, count=count)
        for code, category, count in found
    ]
    categories = len({category for _, category, _ in found})
    prepared.notes.append(
        f"{len({c for c, _, _ in found}):,} LSOAs, {categories:,} categories ({layout} layout)."
    )
    prepared.version = dataset
    prepared.replace = {"dataset": dataset}
    return prepared


# ---- lsoa_lookup ------------------------------------------------------------------------

LOOKUP_FIELDS = (
    Field("lsoa11", (r"lsoa11 ?cd", r"lsoa 2011 code", r"lsoa code 2011", r"lsoa11 code"),
          required=True, label="LSOA11CD"),
    Field("lsoa21", (r"lsoa21 ?cd", r"lsoa 2021 code", r"lsoa code 2021", r"lsoa21 code"),
          required=True, label="LSOA21CD"),
    Field("change", (r"chgind", r"change indicator", r"change")),
)


def prepare_lsoa_lookup(table: Table, **_) -> Prepared:
    columns = find_columns(table.header, LOOKUP_FIELDS, "LSOA11CD,LSOA21CD[,CHGIND]")
    prepared = Prepared(kind="lsoa_lookup", encoding=table.encoding)
    _note_ignored(prepared, columns)
    problems = Problems()
    seen: dict[tuple[str, str], int] = {}
    records: list[LSOALookup] = []
    for line, cells in _rows_of(table, columns, problems):
        prepared.rows += 1
        ok = True
        codes = []
        for name in ("lsoa11", "lsoa21"):
            raw_code = columns.get(cells, name)
            code = raw_code.upper()
            if not LSOA_CODE_RE.match(code):
                problems.add(
                    "This cell is empty." if not code else
                    f"{show(raw_code)} is not an LSOA code (a letter and eight digits).",
                    line, columns.header[name],
                )
                ok = False
            codes.append(code)
        change = columns.get(cells, "change").upper()
        if change and change not in {"U", "S", "M", "X"}:
            problems.add(
                f"{show(change)} is not a change indicator (U, S, M or X).",
                line, columns.header["change"],
            )
            ok = False
        if not ok:
            continue
        key = (codes[0], codes[1])
        if key in seen:
            problems.add(f"{codes[0]} to {codes[1]} is on line {seen[key]} too.", line)
            continue
        seen[key] = line
        records.append(LSOALookup(lsoa11_code=codes[0], lsoa21_code=codes[1], change=change))
    if not records and not problems:
        problems.add("The file has a header but no rows.")
    problems.raise_if_any()
    prepared.records = records
    prepared.version = "LSOA 2011 to LSOA 2021"
    return prepared


PREPARERS = {
    "imd": prepare_imd,
    "practice_lsoa": prepare_practice_lsoa,
    "practice_age": prepare_practice_age,
    "practice_deprivation": prepare_practice_deprivation,
    "lsoa_breakdown": prepare_lsoa_breakdown,
    "lsoa_lookup": prepare_lsoa_lookup,
}


# ---------------------------------------------------------------------------------------
# Apply


@dataclass
class ImportResult:
    prepared: Prepared
    sha256: str
    record: ReferenceImport | None
    dry_run: bool

    @property
    def imported(self) -> int:
        return len(self.prepared.records)


def _apply(prepared: Prepared) -> None:
    kind = prepared.kind
    if kind == "imd":
        PracticeLSOAPopulation.objects.filter(lsoa__isnull=False).update(lsoa=None)
        LSOA.objects.all().delete()
        LSOA.objects.bulk_create(prepared.records, batch_size=BATCH)
        version = prepared.geography_version
        PracticeLSOAPopulation.objects.filter(geography_version=version).update(
            lsoa=Subquery(LSOA.objects.filter(code=OuterRef("lsoa_code")).values("pk")[:1])
        )
    elif kind == "practice_lsoa":
        PracticeLSOAPopulation.objects.filter(**prepared.replace).delete()
        PracticeLSOAPopulation.objects.bulk_create(prepared.records, batch_size=BATCH)
    elif kind == "practice_age":
        PracticeAgePopulation.objects.filter(**prepared.replace).delete()
        PracticeAgePopulation.objects.bulk_create(prepared.records, batch_size=BATCH)
    elif kind == "practice_deprivation":
        PracticeDeprivation.objects.filter(**prepared.replace).delete()
        PracticeDeprivation.objects.bulk_create(prepared.records, batch_size=BATCH)
    elif kind == "lsoa_breakdown":
        LSOABreakdown.objects.filter(**prepared.replace).delete()
        LSOABreakdown.objects.bulk_create(prepared.records, batch_size=BATCH)
    elif kind == "lsoa_lookup":
        LSOALookup.objects.all().delete()
        LSOALookup.objects.bulk_create(prepared.records, batch_size=BATCH)
    else:  # pragma: no cover - guarded by import_reference
        raise ValueError(kind)


def import_reference(
    kind: str,
    data: bytes,
    *,
    file_name: str = "",
    user=None,
    dry_run: bool = False,
    dataset: str | None = None,
    lsoa_version: str | None = None,
    extract_date: datetime.date | None = None,
    year: str | None = None,
    source: str | None = None,
    sheet: str | None = None,
) -> ImportResult:
    """Read, check and (unless ``dry_run``) apply one file; raise ReferenceImportError if bad."""
    if kind not in PREPARERS:
        raise ReferenceImportError([Problem(
            f"Unknown kind {show(kind)}; the kinds are {', '.join(PREPARERS)}."
        )])
    if lsoa_version not in (None, "", "2011", "2021"):
        raise ReferenceImportError([Problem("--lsoa-version is 2011 or 2021.")])
    sha256 = hashlib.sha256(data).hexdigest()
    table = read_table(data, sheet=sheet, preferred_sheets=("IMD2019", "IoD2019 Scores", "IMD"))
    prepared = PREPARERS[kind](
        table, dataset=dataset, lsoa_version=lsoa_version or None, extract_date=extract_date,
        year=year, source=source,
    )
    if dry_run:
        return ImportResult(prepared=prepared, sha256=sha256, record=None, dry_run=True)
    with transaction.atomic():
        _apply(prepared)
        record = ReferenceImport.objects.create(
            kind=kind,
            file_name=(file_name or "upload")[:255],
            sha256=sha256,
            rows=prepared.rows,
            imported=len(prepared.records),
            skipped_rows=prepared.skipped_rows,
            skipped_practices=len(prepared.skipped_practices),
            unknown_lsoas=prepared.unknown_lsoas,
            version=prepared.version[:100],
            geography_version=prepared.geography_version,
            notes="\n".join(prepared.warnings + prepared.notes),
            user=user if getattr(user, "pk", None) else None,
        )
    return ImportResult(prepared=prepared, sha256=sha256, record=record, dry_run=False)

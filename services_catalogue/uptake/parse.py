"""Read an uptake file into a canonical pandas frame, refusing files that are not tables.

Every format ends as the same `ParsedFile`: one row per figure with the columns
period, ods_code, service, metric, value and denominator, plus where each row is in the
file (its line, or its record number in JSON) and how the file names each column, so
that `validate` can say exactly where a problem is.

The project's own CSV is read by pandas' C parser with explicit dtypes: the text columns
as categories (each distinct code is then checked and looked up once, not once a row)
and value/denominator straight into 64-bit integers. Only when that typed read fails is
the file read again as text, to find and name the bad cells. Ragged rows are found by
counting delimiters, so the happy path has no per-row Python loop; a file with quoted
fields is checked row by row with the csv module instead.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import Problem, UptakeImportError, show

CANONICAL = ("period", "ods_code", "service", "metric", "value", "denominator")
TEXT_FIELDS = ("period", "ods_code", "service", "metric")
# The project's own CSV (the DESIGN contract), as named in its header.
DFD_COLUMNS = ("period", "ods_code", "service_slug", "metric", "value", "denominator")
DFD_REQUIRED = DFD_COLUMNS[:5]
DFD_TO_CANONICAL = dict(zip(DFD_COLUMNS, CANONICAL, strict=True))

NHS_APP_SERVICE = "nhs-app"


@dataclass
class ParsedFile:
    frame: pd.DataFrame
    columns: dict[str, str]  # canonical name -> how the file names it (for messages)
    unit: str = "line"  # "line" (CSV) or "record" (JSON)
    lines: np.ndarray | None = None  # where each row is; None: row i is at first_line + i
    first_line: int = 2
    typed: bool = False  # value/denominator already read as integers
    has_denominator: bool = False
    constants: dict[str, str] = field(default_factory=dict)
    value_columns: np.ndarray | None = None  # per row, for wide files (one column a metric)
    ignore_unknown_ods: bool = False
    exact_period: bool = True  # period must be YYYY-MM (else: any date in the month)
    period_format: str | None = None
    metric_names: dict[str, str] = field(default_factory=dict)
    skipped: int = 0  # rows the format ignores on purpose (e.g. measures we do not keep)
    # Month formats tried after validate.PERIOD_FORMATS, for this format only (when no
    # period_format is given).
    more_period_formats: tuple[str, ...] = ()

    def line_numbers(self, positions: np.ndarray) -> np.ndarray:
        positions = np.asarray(positions, dtype=np.int64)
        if self.lines is None:
            return positions + self.first_line
        return self.lines[positions]

    def take(self, keep: np.ndarray) -> None:
        """Keep only the rows where `keep` is true (positions renumbered, lines kept)."""
        positions = np.flatnonzero(keep)
        if self.lines is None:
            self.lines = positions.astype(np.int64) + self.first_line
        else:
            self.lines = self.lines[positions]
        self.frame = self.frame.iloc[positions].reset_index(drop=True)
        if self.value_columns is not None:
            self.value_columns = self.value_columns[positions]


def refuse(message: str, line: int | None = None, column: str | None = None,
           unit: str = "line") -> UptakeImportError:
    return UptakeImportError([Problem(line=line, column=column, message=message, unit=unit)])


# ---------------------------------------------------------------------------------------
# Bytes -> text checks shared by every format


def check_bytes(data: bytes, limit: int) -> None:
    """Refuse an empty, oversized, binary or non-UTF-8 file (nothing has been parsed yet)."""
    if len(data) > limit:
        raise refuse(
            f"The file is {len(data):,} bytes; the limit is {limit:,} bytes (UPTAKE_MAX_BYTES). "
            "Split it by period: a file only replaces the periods it contains."
        )
    if re.search(rb"\S", data) is None:
        raise refuse("The file is empty.")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise refuse(
            "The file is UTF-16 text (Excel's \u201cUnicode text\u201d). Save it as "
            "\u201cCSV UTF-8 (comma delimited)\u201d instead."
        )
    nul = data.find(b"\x00")
    if nul >= 0:
        raise refuse(
            "The file contains a NUL byte: it is a binary file, not CSV or JSON text.",
            line=data.count(b"\n", 0, nul) + 1,
        )
    if not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise refuse(
                "The file is not UTF-8 text (a binary file, or saved in another encoding: "
                "save it as \u201cCSV UTF-8\u201d).",
                line=data.count(b"\n", 0, error.start) + 1,
            ) from None


def strip_bom(data: bytes) -> bytes:
    return data[len(codecs.BOM_UTF8):] if data.startswith(codecs.BOM_UTF8) else data


def header_names(data: bytes) -> list[str]:
    data = strip_bom(data[:65536])
    end = data.find(b"\n")
    first = data if end < 0 else data[:end]
    text = first.decode("utf-8").rstrip("\r")
    return next(csv.reader([text]), [])


def normalise_header(name: str) -> str:
    return name.strip().lower()


# ---------------------------------------------------------------------------------------
# Where the rows are, and ragged rows


def count_bytes(data: bytes, *chars: bytes) -> list[int]:
    """How many times each of these single bytes occurs in `data`: one numpy pass over
    1 MB slices, five times faster than a `bytes.count` for each."""
    buffer = np.frombuffer(data, dtype=np.uint8)
    values = [ord(char) for char in chars]
    counts = [0] * len(values)
    for start in range(0, len(buffer), 1 << 20):
        piece = buffer[start:start + (1 << 20)]
        for i, value in enumerate(values):
            counts[i] += int(np.count_nonzero(piece == value))
    return counts


def scan_lines(data: bytes, fields: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Delimiter counts per line, without quotes: (line numbers of the data records,
    line numbers of ragged lines, their field counts). Vectorised with numpy."""
    buffer = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(buffer == 10)
    if len(data) and data[-1:] != b"\n":
        ends = np.append(ends, len(data))
    starts = np.concatenate(([0], ends[:-1] + 1))
    lengths = ends - starts
    # A line that is empty (or just the \r of \r\n) is blank: skipped, as pandas does.
    carriage = np.zeros(len(ends), dtype=bool)
    nonzero = lengths > 0
    carriage[nonzero] = buffer[ends[nonzero] - 1] == 13
    blank = (lengths == 0) | ((lengths == 1) & carriage)
    commas = np.flatnonzero(buffer == 44)
    per_line = np.diff(np.searchsorted(commas, ends), prepend=0)
    numbers = np.arange(1, len(ends) + 1)
    data_lines = (numbers > 1) & ~blank
    ragged = data_lines & (per_line != fields - 1)
    return numbers[data_lines], numbers[ragged], per_line[ragged] + 1


def scan_quoted(text: str, fields: int) -> tuple[list[list[str]], np.ndarray, list[tuple]]:
    """Row by row with the csv module, for files with quoted fields."""
    reader = csv.reader(io.StringIO(text, newline=""))
    rows, lines, ragged = [], [], []
    previous_end = 0
    try:
        for record in reader:
            start = previous_end + 1
            previous_end = reader.line_num
            if start == 1:
                continue  # the header
            if not record:
                continue  # a blank line
            if len(record) != fields:
                ragged.append((start, len(record)))
            rows.append(record)
            lines.append(start)
    except csv.Error as error:
        raise refuse(f"The file is not valid CSV: {error}.", line=reader.line_num) from None
    return rows, np.asarray(lines, dtype=np.int64), ragged


def ragged_problems(ragged: list[tuple[int, int]], fields: int) -> list[Problem]:
    problems = []
    for line, count in ragged:
        if count < fields:
            message = f"has {count} field{'s' if count != 1 else ''}; the header has {fields}: a short (ragged) row."
        else:
            message = f"has {count} fields; the header has {fields}: a long (ragged) row."
        problems.append(Problem(line=int(line), message=message))
    return problems


# ---------------------------------------------------------------------------------------
# Reading a CSV table


def read_table(data: bytes, names: list[str], dtypes: dict, na_columns: tuple = ()) -> tuple:
    """(frame, lines or None, typed ok) for CSV `data` whose header has `names`.

    Refuses ragged rows (every one, up to the problem limit) naming their lines."""
    fields = len(names)
    quoted = b'"' in data
    if quoted:
        text = strip_bom(data).decode("utf-8")
        rows, lines, ragged = scan_quoted(text, fields)
        if ragged:
            raise UptakeImportError(ragged_problems(ragged, fields))
        if not rows:
            return pd.DataFrame(columns=names), lines, False
        frame = pd.DataFrame(rows, columns=names, dtype=object)
        for name, dtype in dtypes.items():
            if dtype == "category":
                frame[name] = frame[name].astype("category")
        return frame, lines, False

    options = dict(
        header=0, names=names, index_col=False, keep_default_na=False,
        na_values={name: [""] for name in na_columns}, skip_blank_lines=True,
        encoding="utf-8", engine="c", low_memory=False,
    )
    typed = True
    try:
        with warnings.catch_warnings():
            # A failed int64 cast warns before it raises; the raise is what we act on.
            warnings.simplefilter("ignore", RuntimeWarning)
            frame = pd.read_csv(io.BytesIO(data), dtype=dtypes, **options)
    except pd.errors.ParserError:
        _, ragged_lines, counts = scan_lines(data, fields)
        if len(ragged_lines):
            raise UptakeImportError(
                ragged_problems(list(zip(ragged_lines.tolist(), counts.tolist(), strict=True)), fields),
                total=len(ragged_lines),
            ) from None
        raise refuse("The file could not be read as CSV.") from None
    except (ValueError, OverflowError, TypeError):
        typed = False
        text_dtypes = {k: (v if v == "category" else object) for k, v in dtypes.items()}
        try:
            frame = pd.read_csv(io.BytesIO(data), dtype=text_dtypes, **options)
        except pd.errors.ParserError:
            _, ragged_lines, counts = scan_lines(data, fields)
            raise UptakeImportError(
                ragged_problems(list(zip(ragged_lines.tolist(), counts.tolist(), strict=True)), fields),
                total=len(ragged_lines),
            ) from None

    rows = len(frame)
    lines = None
    # Short rows do not stop pandas (it pads them), and blank lines shift line numbers:
    # counting delimiters and newlines says whether either is possible at all.
    header_end = data.find(b"\n")
    newlines, commas = count_bytes(data, b"\n", b",")
    expected_newlines = rows + 1 if data.endswith(b"\n") else rows
    commas_ok = commas == (fields - 1) * (rows + 1)
    if not commas_ok or newlines != expected_newlines or header_end < 0:
        record_lines, ragged_lines, counts = scan_lines(data, fields)
        if len(ragged_lines):
            raise UptakeImportError(
                ragged_problems(list(zip(ragged_lines.tolist(), counts.tolist(), strict=True)), fields),
                total=len(ragged_lines),
            )
        if len(record_lines) == rows:
            lines = record_lines
    return frame, lines, typed


# ---------------------------------------------------------------------------------------
# Formats


def parse_dfd_csv(data: bytes) -> ParsedFile:
    """The project's own CSV: period,ods_code,service_slug,metric,value[,denominator]."""
    raw_names = header_names(data)
    names = [normalise_header(name) for name in raw_names]
    problems = []
    seen = set()
    for name, raw in zip(names, raw_names, strict=True):
        if name in seen:
            problems.append(Problem(line=1, column=raw.strip(),
                                    message="appears twice in the header."))
        elif name not in DFD_COLUMNS:
            problems.append(Problem(
                line=1, column=raw.strip() or "(empty)",
                message=f"is not a column of this format; the columns are "
                        f"{', '.join(DFD_REQUIRED)} and optionally denominator.",
            ))
        seen.add(name)
    for required in DFD_REQUIRED:
        if required not in seen:
            problems.append(Problem(line=1, column=required,
                                    message="is missing from the header."))
    if problems:
        raise UptakeImportError(problems)

    has_denominator = "denominator" in names
    dtypes = {"period": "category", "ods_code": "category", "service_slug": "category",
              "metric": "category", "value": "int64"}
    if has_denominator:
        dtypes["denominator"] = "Int64"
    frame, lines, typed = read_table(
        data, names, dtypes, na_columns=("denominator",) if has_denominator else ()
    )
    frame = frame.rename(columns=DFD_TO_CANONICAL)
    return ParsedFile(
        frame=frame, columns={DFD_TO_CANONICAL[n]: n for n in names}, lines=lines,
        typed=typed, has_denominator=has_denominator,
    )


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(name).strip().lower()).strip("_")


def _json_records(data: bytes, key: str | None) -> pd.DataFrame:
    try:
        document = json.loads(strip_bom(data).decode("utf-8"))
    except (ValueError, RecursionError) as error:
        raise refuse(f"The file is not valid JSON ({getattr(error, 'msg', error)}).",
                     line=getattr(error, "lineno", None)) from None
    records = document
    if key:
        records = document.get(key) if isinstance(document, dict) else None
    elif isinstance(document, dict):
        lists = [value for value in document.values() if isinstance(value, list)]
        records = lists[0] if len(lists) == 1 else None
    if not isinstance(records, list):
        where = f" under \u201c{key}\u201d" if key else ""
        raise refuse(f"The JSON holds no list of records{where}.")
    if not records:
        raise refuse("The file has no records.")
    bad = next((i for i, record in enumerate(records) if not isinstance(record, dict)), None)
    if bad is not None:
        raise refuse("is not an object of named values.", line=bad + 1, unit="record")
    return pd.DataFrame.from_records(records)


def parse_mapped(data: bytes, mapping: dict, *, json_records: bool) -> ParsedFile:
    """A CSV or JSON file of another shape, read through a column mapping (UptakeSource)."""
    columns = dict(mapping.get("columns") or {})
    constants = dict(mapping.get("constants") or {})
    if not columns:
        raise refuse("This source has no column mapping: say which column holds what.")
    if json_records:
        raw = _json_records(data, mapping.get("records"))
        present = set(raw.columns)
        problems = [
            Problem(column=name, message="is in no record.", unit="record")
            for canonical, name in columns.items()
            if name not in present and canonical != "denominator"
        ]
        if problems:
            raise UptakeImportError(problems)
        if columns.get("denominator") not in present:
            columns.pop("denominator", None)
        lines, first_line, unit = None, 1, "record"
    else:
        raw_names = header_names(data)
        counts = {}
        for name in raw_names:
            counts[name] = counts.get(name, 0) + 1
        problems = [
            Problem(line=1, column=name, message="is missing from the header.")
            for name in columns.values() if name not in counts
        ] + [
            Problem(line=1, column=name, message="appears twice in the header.")
            for name in columns.values() if counts.get(name, 0) > 1
        ]
        if problems:
            raise UptakeImportError(problems)
        names = [name if counts[name] == 1 else f"{name}__{i}" for i, name in enumerate(raw_names)]
        dtypes = {
            name: (object if canonical in ("value", "denominator") else "category")
            for canonical, name in columns.items()
        }
        raw, lines, _ = read_table(data, names, dtypes)
        first_line, unit = 2, "line"
    frame = pd.DataFrame({canonical: raw[name] for canonical, name in columns.items()})
    display = dict(columns)
    for canonical in constants:
        display[canonical] = f"{canonical} (constant)"
    return ParsedFile(
        frame=frame, columns=display, unit=unit, lines=lines, first_line=first_line,
        typed=False, has_denominator="denominator" in columns, constants=constants,
        ignore_unknown_ods=bool(mapping.get("ignore_unknown_ods")), exact_period=False,
        period_format=mapping.get("period_format"),
        metric_names=dict(mapping.get("metric_names") or {}),
    )


# NHS England's NHS App Management Information, ICB-level CSV. The publication gives the
# measures below for each ICB and month; NHS England has changed the file's layout between
# releases (one column per measure, or a measure name and value per row), so both are
# accepted, with the column names normalised (case, spaces and punctuation ignored, and a
# trailing footnote tag such as "[note 1]" or "(note 2)" dropped).
#
# NOTE for whoever maintains this: the column names below (month, ICB code, measure, value)
# are NOT checked against a real published CSV; no header line of one could be found when
# this was written, so they are candidates covering the names NHS England has used
# elsewhere. The measure names ARE the official ones, from the "NHS App statistics"
# releases on digital.nhs.uk (Nov 2025 to Apr 2026). When a real file is to hand, check its
# header against these lists and add a test with it.
NHS_APP_PERIOD_COLUMNS = ("month", "reporting_period", "report_period", "period", "date",
                          "year_month", "month_year", "reporting_month", "report_month",
                          "month_start_date", "effective_snapshot_date", "achievement_month",
                          "reporting_period_start", "reporting_period_start_date",
                          "month_start", "period_start", "period_start_date")
NHS_APP_ORG_COLUMNS = ("icb_code", "icb_ods_code", "icb_ods", "icb24cdh", "icb23cdh",
                       "icb22cdh", "icb_cdh", "org_code", "organisation_code", "ods_code",
                       "commissioner_code",
                       "icb")  # last resort: a column just called ICB (holding the code)
NHS_APP_MEASURE_COLUMNS = ("measure", "measure_name", "metric", "metric_name", "indicator")
NHS_APP_VALUE_COLUMNS = ("value", "measure_value", "metric_value", "count")
NHS_APP_MEASURES = {
    # normalised measure (column) name, without "NHS App", -> our metric slug. The national-
    # only measures ("NHS App all-time account registrations", "Pharmacy sites live with
    # prescription tracking" and its percentage) are deliberately absent: they map to nothing.
    "logins": "logins",
    "monthly_logins": "logins",
    "unique_user_logins": "active_users",
    "monthly_unique_user_logins": "active_users",
    "unique_users_logging_in": "active_users",
    "unique_user_logins_in_12_months": "active_users_12_months",
    "unique_user_logins_12_months": "active_users_12_months",
    "unique_user_logins_in_the_last_12_months": "active_users_12_months",
    "unique_user_logins_in_last_12_months": "active_users_12_months",
    "unique_user_logins_last_12_months": "active_users_12_months",
    "unique_users_logging_in_in_the_last_12_months": "active_users_12_months",
    "unique_users_logging_in_last_12_months": "active_users_12_months",
    "prescription_orders": "prescription_orders",
    "unique_users_ordering_prescriptions": "prescription_users",
    "account_registrations": "registrations",
    "new_account_registrations": "registrations",
    "registrations": "registrations",
}
# Months as NHS England's files and Excel exports write them, beyond validate.PERIOD_FORMATS
# (tried after those, for this format only): "2025-06-01T00:00:00.000", "June-25", "Jun 25".
NHS_APP_PERIOD_FORMATS = ("%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%d %H:%M:%S.%f", "%B-%y", "%b %y",
                          "%B %y")
# Cells that stand for no figure (statistical gap markers: not available, confidential,
# not applicable, unreliable, and the older symbols), compared stripped and lower-cased.
# Such a cell, or an empty one, is skipped (counted as skipped), not refused.
NHS_APP_GAP_MARKERS = ("", "[x]", "[c]", "[z]", "[u]", "*", "-", ":", "..")
# A whole number written with thousands separators, e.g. 1,234,567 (and not 1,23).
NHS_APP_THOUSANDS = r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?"
FOOTNOTE = re.compile(r"(?:\s*[\[(]\s*notes?\s*\d+[a-z]?(?:\s*(?:,|and|&)\s*\d+[a-z]?)*\s*[\])])+\s*$",
                      re.IGNORECASE)


def without_footnote(name: str) -> str:
    """A header or measure name without its trailing footnote tag(s): "X [note 1]" -> "X"."""
    return FOOTNOTE.sub("", str(name))


def nhs_app_metric(name: str) -> str | None:
    key = _slug(without_footnote(name))
    for prefix in ("nhs_app_", "nhsapp_"):
        if key.startswith(prefix):
            key = key[len(prefix):]
            break
    return NHS_APP_MEASURES.get(key)


def _nhs_app_drop_gaps(parsed: ParsedFile, keep: np.ndarray | None) -> ParsedFile:
    """Skip (and count) the rows with no ICB code (the "Unknown" ICB, an England total) or
    no figure (empty, or a gap marker such as [x] or [c]), as well as those `keep` drops;
    then read thousands separators in what is left. Whole-column work: each ODS code is
    checked once, the values with pandas' string methods."""
    frame = parsed.frame
    rows = len(frame)
    keep = np.ones(rows, dtype=bool) if keep is None else keep.copy()
    org = frame["ods_code"]
    if not isinstance(org.dtype, pd.CategoricalDtype):
        org = org.astype("category")
    blank = [str(c).strip() == "" for c in org.cat.categories] + [True]  # code -1: missing
    keep &= ~np.asarray(blank, dtype=bool)[org.cat.codes.to_numpy()]
    raw = frame["value"].astype(object)
    text = raw.where(raw.notna(), "").astype(str).str.strip()
    keep &= ~text.str.lower().isin(NHS_APP_GAP_MARKERS).to_numpy()
    dropped = rows - int(np.count_nonzero(keep))
    if dropped:
        parsed.take(keep)
        text = text[keep].reset_index(drop=True)
    parsed.skipped += dropped
    grouped = text.str.fullmatch(NHS_APP_THOUSANDS).to_numpy(dtype=bool)
    if grouped.any():
        text = text.where(~grouped, text.str.replace(",", "", regex=False))
    parsed.frame["value"] = text
    return parsed


def parse_nhs_app_mi(data: bytes, mapping: dict | None = None) -> ParsedFile:
    mapping = mapping or {}
    raw_names = header_names(data)
    by_slug = {}
    for name in raw_names:
        by_slug.setdefault(_slug(without_footnote(name)), name)

    def find(candidates):
        return next((by_slug[c] for c in candidates if c in by_slug), None)

    period_col = find(NHS_APP_PERIOD_COLUMNS)
    org_col = find(NHS_APP_ORG_COLUMNS)
    measure_col = find(NHS_APP_MEASURE_COLUMNS)
    value_col = find(NHS_APP_VALUE_COLUMNS)
    wide = {name: nhs_app_metric(name) for name in raw_names if nhs_app_metric(name)}
    problems = []
    if period_col is None:
        problems.append(Problem(line=1, column="Month",
                                message="is missing: no column holds the reporting month."))
    if org_col is None:
        problems.append(Problem(line=1, column="ICB code",
                                message="is missing: no column holds the ICB's ODS code."))
    long_layout = measure_col is not None and value_col is not None
    if not long_layout and not wide:
        problems.append(Problem(
            line=1, column="Measure",
            message="is missing: the file has neither a measure and value column nor a "
                    "column for any NHS App measure (e.g. NHS App logins).",
        ))
    if problems:
        raise UptakeImportError(problems)

    names = list(raw_names)
    dtypes = {period_col: "category", org_col: "category"}
    if long_layout:
        dtypes[measure_col] = "category"
        dtypes[value_col] = object
    else:
        for name in wide:
            dtypes[name] = object
    table, lines, _ = read_table(data, names, dtypes)
    rows = len(table)
    base_lines = lines if lines is not None else np.arange(rows, dtype=np.int64) + 2
    service = (mapping.get("constants") or {}).get("service", NHS_APP_SERVICE)
    if long_layout:
        measures = table[measure_col].astype("category")
        slugs = [nhs_app_metric(str(c)) for c in measures.cat.categories]
        kept = sorted({slug for slug in slugs if slug})
        position = {slug: i for i, slug in enumerate(kept)}
        # The extra last entry catches code -1 (an empty measure cell): not a measure we keep.
        lookup = np.array([position[s] if s else -1 for s in slugs] + [-1], dtype=np.int64)
        codes = lookup[measures.cat.codes.to_numpy()]
        known = codes >= 0
        metric = pd.Categorical.from_codes(codes, categories=kept)
        frame = pd.DataFrame({"period": table[period_col], "ods_code": table[org_col],
                              "metric": metric, "value": table[value_col]})
        parsed = ParsedFile(
            frame=frame, lines=base_lines,
            columns={"period": period_col, "ods_code": org_col, "metric": measure_col,
                     "value": value_col, "service": "service (constant)"},
            constants={"service": service}, ignore_unknown_ods=True, exact_period=False,
            more_period_formats=NHS_APP_PERIOD_FORMATS,
        )
        return _nhs_app_drop_gaps(parsed, known)
    parts = []
    for name, slug in wide.items():
        parts.append(pd.DataFrame({
            "period": table[period_col], "ods_code": table[org_col],
            "metric": pd.Categorical([slug] * rows, categories=sorted(set(wide.values()))),
            "value": table[name], "__column": name,
        }))
    frame = pd.concat(parts, ignore_index=True)
    value_columns = frame.pop("__column").to_numpy()
    parsed = ParsedFile(
        frame=frame, lines=np.tile(base_lines, len(wide)),
        columns={"period": period_col, "ods_code": org_col, "metric": "metric (column name)",
                 "value": "value", "service": "service (constant)"},
        constants={"service": service}, value_columns=value_columns,
        ignore_unknown_ods=True, exact_period=False, more_period_formats=NHS_APP_PERIOD_FORMATS,
    )
    return _nhs_app_drop_gaps(parsed, None)


def parse(data: bytes, fmt: str, mapping: dict | None, limit: int) -> ParsedFile:
    check_bytes(data, limit)
    if fmt == "dfd_csv":
        parsed = parse_dfd_csv(data)
    elif fmt == "nhs_app_mi":
        parsed = parse_nhs_app_mi(data, mapping)
    elif fmt == "mapped_csv":
        parsed = parse_mapped(data, mapping or {}, json_records=False)
    elif fmt == "mapped_json":
        parsed = parse_mapped(data, mapping or {}, json_records=True)
    else:
        raise refuse(f"Unknown format {show(fmt)}.")
    if len(parsed.frame) == 0 and not parsed.skipped:
        raise refuse("The file has a header but no data rows." if parsed.unit == "line"
                     else "The file has no records.")
    return parsed

"""Write checked uptake rows for one source: call inside a transaction (`pipeline` does).

A file replaces, for its source, every observation of the months it contains: figures no
longer in the file are deleted, changed ones updated, new ones inserted; a figure with
the same value and denominator is left exactly as it is (with the file it came from), so
storing the same file twice changes nothing.

PostgreSQL: the organisations and services written for are locked (FOR KEY SHARE, what a
foreign key trigger would do once per row, done once per organisation). When the source
has nothing yet for those months (a first import), the rows go straight into the table
with one binary `COPY`, built from the numpy arrays in primary-key order (no per-row
Python). Otherwise they are copied into a temporary table the same way, then one `DELETE` of the
figures gone, one `UPDATE ... FROM` of those whose value or denominator changed and one
`INSERT ... SELECT` of the new ones (the source's row lock keeps other imports out).
Other databases (SQLite in development and tests): a pandas diff against what is stored.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from django.db import connection

from ..models import DigitalService, Organisation, UptakeObservation
from .errors import Problem, UptakeImportError
from .validate import ValidRows

Progress = Callable[[int, int, str], None]
COPY_CHUNK_ROWS = 100_000
BINARY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
BINARY_TRAILER = b"\xff\xff"
PG_EPOCH = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
# The order the binary COPY sends the columns in: fixed-width first, then the two whose
# width varies from row to row (a NULL denominator has no bytes; metrics differ in length).
COLUMNS = ("source_id", "period", "service_id", "organisation_id", "value", "fetched_at",
           "file_id", "denominator", "metric")


@dataclass
class StoreResult:
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.inserted or self.updated or self.deleted)

    def as_dict(self) -> dict:
        return asdict(self)


def store(rows: ValidRows, source, *, file, fetched_at, progress: Progress | None = None
          ) -> StoreResult:
    if connection.vendor == "postgresql":
        return store_postgresql(rows, source, file=file, fetched_at=fetched_at,
                                progress=progress)
    return store_generic(rows, source, file=file, fetched_at=fetched_at, progress=progress)


# ---------------------------------------------------------------------------------------
# PostgreSQL


def lock_parents(cursor, rows: ValidRows) -> None:
    """Keep the organisations and services we write figures for from being deleted until we
    commit (the foreign keys are not database constraints: see UptakeObservation)."""
    for model, known, ids, label in (
        (Organisation, rows.organisation_ids, rows.organisation_id, "organisations"),
        (DigitalService, rows.service_ids, rows.service_id, "services"),
    ):
        wanted = known if known is not None else np.unique(ids).tolist()
        table = connection.ops.quote_name(model._meta.db_table)
        column = connection.ops.quote_name(model._meta.pk.column)
        cursor.execute(f"SELECT {column} FROM {table} WHERE {column} = ANY(%s) FOR KEY SHARE",
                       [wanted])
        found = len(cursor.fetchall())
        if found != len(wanted):
            raise UptakeImportError([Problem(message=(
                f"{len(wanted) - found} of the file's {label} were deleted while it was being "
                "imported; nothing was changed. Import it again."))])


class BinaryRows:
    """Binary COPY tuples (the columns in COLUMNS) for slices of checked rows, in their order.

    Each row is first written at full width into a numpy record (a denominator always
    present, the metric padded to the longest), then the bytes a row does not have (the
    denominator's when it is NULL, the metric's padding) are dropped with one boolean mask
    built per (metric, has denominator) layout: no per-row Python, whatever the order."""

    def __init__(self, rows: ValidRows, *, source_id: int, file_id: int, fetched_at,
                 chunk_rows: int = COPY_CHUNK_ROWS):
        self.rows = rows
        metrics = [metric.encode() for metric in rows.metrics] or [b""]
        longest = max(len(metric) for metric in metrics)
        self.dtype = np.dtype([
            ("n", ">i2"), ("l_source", ">i4"), ("source", ">i4"),
            ("l_period", ">i4"), ("period", ">i4"),
            ("l_service", ">i4"), ("service", ">i4"),
            ("l_organisation", ">i4"), ("organisation", ">i4"),
            ("l_value", ">i4"), ("value", ">i8"),
            ("l_fetched", ">i4"), ("fetched", ">i8"),
            ("l_file", ">i4"), ("file", ">i4"),
            ("l_denominator", ">i4"), ("denominator", ">i8"),
            ("l_metric", ">i4"), ("metric", f"S{max(longest, 1)}"),
        ])
        width = self.dtype.itemsize
        denominator_at = self.dtype.fields["denominator"][1]
        metric_at = self.dtype.fields["metric"][1]
        # keep[metric_index * 2 + has_denominator]: which of a record's bytes are sent
        self.keep = np.ones((len(metrics) * 2, width), dtype=bool)
        for index, metric in enumerate(metrics):
            self.keep[index * 2, denominator_at:denominator_at + 8] = False
            self.keep[index * 2:index * 2 + 2, metric_at + len(metric):] = False
        self.metric_bytes = np.array(metrics, dtype=self.dtype["metric"])
        self.metric_lengths = np.array([len(metric) for metric in metrics], dtype=np.int32)
        self.period_days = np.array([(p - PG_EPOCH.date()).days for p in rows.periods],
                                    dtype=np.int32)
        size = min(chunk_rows, len(rows))
        self.records = np.empty(size, dtype=self.dtype)  # reused from chunk to chunk
        self.mask = np.empty((size, width), dtype=bool)
        # What every row has in common is written once; `encode` writes the rest.
        constants = dict(
            n=len(COLUMNS), l_source=4, source=source_id, l_period=4, l_service=4,
            l_organisation=4, l_value=8, l_fetched=8,
            fetched=int((fetched_at - PG_EPOCH) / datetime.timedelta(microseconds=1)),
            l_file=4, file=file_id,
        )
        for name, value in constants.items():
            self.records[name] = value

    def encode(self, start: int, end: int) -> memoryview:
        rows, count = self.rows, end - start
        block = self.records[:count]
        block["period"] = self.period_days[rows.period_index[start:end]]
        block["service"] = rows.service_id[start:end]
        block["organisation"] = rows.organisation_id[start:end]
        block["value"] = rows.value[start:end]
        has_denominator = rows.has_denominator[start:end]
        block["l_denominator"] = np.where(has_denominator, 8, -1)
        block["denominator"] = rows.denominator[start:end]
        metric = rows.metric_index[start:end]
        block["l_metric"] = self.metric_lengths[metric]
        block["metric"] = self.metric_bytes[metric]
        mask = np.take(self.keep, metric * 2 + has_denominator, axis=0, out=self.mask[:count],
                       mode="clip")  # (indexes are valid; "clip" writes straight to out)
        return memoryview(block.view(np.uint8).reshape(count, -1)[mask])


def copy_into_table(cursor, rows: ValidRows, *, source_id: int, file_id: int, fetched_at,
                    progress=None, table: str | None = None) -> None:
    """Binary COPY of the rows, in their order (primary-key order), into the observations
    table (or a table with the same columns)."""
    table = table or connection.ops.quote_name(UptakeObservation._meta.db_table)
    total = len(rows)
    if not total:
        return
    encoder = BinaryRows(rows, source_id=source_id, file_id=file_id, fetched_at=fetched_at,
                         chunk_rows=COPY_CHUNK_ROWS)
    with cursor.cursor.copy(
        f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN (FORMAT BINARY)"
    ) as copy:
        copy.write(BINARY_SIGNATURE)
        for start in range(0, total, COPY_CHUNK_ROWS):
            end = min(total, start + COPY_CHUNK_ROWS)
            copy.write(encoder.encode(start, end))
            if progress:
                progress(end, total, "Writing")
        copy.write(BINARY_TRAILER)


def store_postgresql(rows: ValidRows, source, *, file, fetched_at, progress=None
                     ) -> StoreResult:
    table = connection.ops.quote_name(UptakeObservation._meta.db_table)
    total = len(rows)
    periods = list(rows.periods)
    with connection.cursor() as cursor:
        lock_parents(cursor, rows)
        cursor.execute(
            f"SELECT count(*) FROM {table} WHERE source_id = %s AND period = ANY(%s::date[])",
            [source.pk, periods],
        )
        existing = cursor.fetchone()[0]
        if not existing:
            copy_into_table(cursor, rows, source_id=source.pk, file_id=file.pk,
                            fetched_at=fetched_at, progress=progress)
            return StoreResult(inserted=total)

        # Replacing: the file goes into a temporary table shaped like ours, then three set
        # operations (hash joins, not a million index probes): delete the figures no longer
        # in the file, update those that changed, insert the new ones.
        cursor.execute("DROP TABLE IF EXISTS pg_temp.uptake_incoming")
        cursor.execute(
            f"CREATE TEMPORARY TABLE uptake_incoming (LIKE {table} INCLUDING DEFAULTS) "
            "ON COMMIT DROP"
        )
        copy_into_table(cursor, rows, source_id=source.pk, file_id=file.pk,
                        fetched_at=fetched_at, progress=progress, table="uptake_incoming")
        cursor.execute("ANALYZE uptake_incoming")
        # Right after a bulk load the table's statistics can be stale enough for the planner
        # to pick a nested-loop anti-join (a million times a million): rule it out here.
        cursor.execute("SET LOCAL enable_nestloop = off")
        same_key = ("i.period = o.period AND i.metric = o.metric AND "
                    "i.service_id = o.service_id AND i.organisation_id = o.organisation_id")
        cursor.execute(
            f"DELETE FROM {table} o WHERE o.source_id = %s AND o.period = ANY(%s::date[]) "
            f"AND NOT EXISTS (SELECT 1 FROM uptake_incoming i WHERE {same_key})",
            [source.pk, periods],
        )
        deleted = cursor.rowcount
        cursor.execute(
            f"UPDATE {table} o SET value = i.value, denominator = i.denominator, "
            "fetched_at = i.fetched_at, file_id = i.file_id FROM uptake_incoming i "
            f"WHERE o.source_id = %s AND o.period = ANY(%s::date[]) AND {same_key} "
            "AND (o.value, o.denominator) IS DISTINCT FROM (i.value, i.denominator)",
            [source.pk, periods],
        )
        updated = cursor.rowcount
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(COLUMNS)}) SELECT {', '.join(COLUMNS)} "
            f"FROM uptake_incoming i WHERE NOT EXISTS (SELECT 1 FROM {table} o "
            f"WHERE o.source_id = %s AND {same_key})",
            [source.pk],
        )
        inserted = cursor.rowcount
        cursor.execute("RESET enable_nestloop")
        cursor.execute("DROP TABLE IF EXISTS pg_temp.uptake_incoming")
    kept = existing - deleted
    return StoreResult(inserted=inserted, updated=updated, deleted=deleted,
                       unchanged=kept - updated)


# ---------------------------------------------------------------------------------------
# Any other database (SQLite in development and tests)

KEY = ["period", "metric", "service_id", "organisation_id"]
WHERE_KEY = "source_id = %s AND period = %s AND metric = %s AND service_id = %s AND organisation_id = %s"


def store_generic(rows: ValidRows, source, *, file, fetched_at, progress=None) -> StoreResult:
    periods = np.asarray(rows.periods + [None], dtype=object)[:-1]
    metrics = np.asarray(rows.metrics + [None], dtype=object)[:-1]
    incoming = pd.DataFrame({
        "period": periods[rows.period_index] if len(rows) else [],
        "metric": metrics[rows.metric_index] if len(rows) else [],
        "service_id": rows.service_id,
        "organisation_id": rows.organisation_id,
        "value": rows.value,
        "denominator": pd.array(np.where(rows.has_denominator, rows.denominator, 0),
                                dtype="Int64"),
    })
    incoming.loc[~rows.has_denominator, "denominator"] = pd.NA
    stored = pd.DataFrame.from_records(
        UptakeObservation.objects.filter(source=source, period__in=rows.periods).values_list(
            *KEY, "value", "denominator"),
        columns=[*KEY, "old_value", "old_denominator"],
    )
    if len(stored):
        stored["old_denominator"] = stored["old_denominator"].astype("Int64")
        merged = incoming.merge(stored, on=KEY, how="outer", indicator=True)
    else:
        merged = incoming.assign(old_value=pd.NA, old_denominator=pd.NA, _merge="left_only")
    gone = (merged["_merge"] == "right_only").to_numpy()
    new = (merged["_merge"] == "left_only").to_numpy()
    both = (merged["_merge"] == "both").to_numpy()
    differs = np.zeros(len(merged), dtype=bool)
    if both.any():
        same_denominator = (merged["denominator"].isna() & merged["old_denominator"].isna()) | (
            merged["denominator"] == merged["old_denominator"]).fillna(False)
        same = (merged["value"] == merged["old_value"]).fillna(False) & same_denominator
        differs = both & ~same.to_numpy(dtype=bool)

    table = connection.ops.quote_name(UptakeObservation._meta.db_table)

    def keys(mask):
        return [(source.pk, r.period, r.metric, int(r.service_id), int(r.organisation_id))
                for r in merged.loc[mask, KEY].itertuples(index=False)]

    with connection.cursor() as cursor:
        if gone.any():
            cursor.executemany(f"DELETE FROM {table} WHERE {WHERE_KEY}", keys(gone))
        if differs.any():
            changes = merged.loc[differs]
            cursor.executemany(
                f"UPDATE {table} SET value = %s, denominator = %s, fetched_at = %s, "
                f"file_id = %s WHERE {WHERE_KEY}",
                [(int(r.value), None if pd.isna(r.denominator) else int(r.denominator),
                  fetched_at, file.pk, source.pk, r.period, r.metric, int(r.service_id),
                  int(r.organisation_id)) for r in changes.itertuples(index=False)],
            )
    write = merged.loc[new]
    batch, done = [], 0
    for record in write.itertuples(index=False):
        denominator = record.denominator
        batch.append(UptakeObservation(
            source_id=source.pk, period=record.period, metric=record.metric,
            service_id=int(record.service_id), organisation_id=int(record.organisation_id),
            value=int(record.value), denominator=None if pd.isna(denominator) else int(denominator),
            fetched_at=fetched_at, file_id=file.pk,
        ))
        if len(batch) >= 2000:
            UptakeObservation.objects.bulk_create(batch)
            done += len(batch)
            batch = []
            if progress:
                progress(done, len(write), "Writing")
    if batch:
        UptakeObservation.objects.bulk_create(batch)
    updated = int(differs.sum())
    return StoreResult(inserted=int(new.sum()), updated=updated, deleted=int(gone.sum()),
                       unchanged=int(both.sum()) - updated)

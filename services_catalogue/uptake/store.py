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
COPY_CHUNK_ROWS = 200_000
MAX_SEGMENTS = 10_000
BINARY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
BINARY_TRAILER = b"\xff\xff"
PG_EPOCH = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
COLUMNS = ("source_id", "period", "metric", "service_id", "organisation_id", "value",
           "denominator", "fetched_at", "file_id")


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
    for model, ids, label in ((Organisation, rows.organisation_id, "organisations"),
                              (DigitalService, rows.service_id, "services")):
        wanted = np.unique(ids).tolist()
        table = connection.ops.quote_name(model._meta.db_table)
        column = connection.ops.quote_name(model._meta.pk.column)
        cursor.execute(f"SELECT {column} FROM {table} WHERE {column} = ANY(%s) FOR KEY SHARE",
                       [wanted])
        found = len(cursor.fetchall())
        if found != len(wanted):
            raise UptakeImportError([Problem(message=(
                f"{len(wanted) - found} of the file's {label} were deleted while it was being "
                "imported; nothing was changed. Import it again."))])


def _segments(rows: ValidRows) -> list[tuple[int, int]]:
    """Runs of rows with one fixed binary layout (same period, metric and denominator
    presence), in primary-key order, cut to at most COPY_CHUNK_ROWS rows."""
    total = len(rows)
    if not total:
        return []
    key = (rows.period_index.astype(np.int64) * (len(rows.metrics) + 1)
           + rows.metric_index) * 2 + rows.has_denominator
    cuts = np.flatnonzero(np.diff(key)) + 1
    if len(cuts) > MAX_SEGMENTS:
        return []  # pathological interleaving: the caller groups instead
    starts = np.concatenate(([0], cuts))
    ends = np.concatenate((cuts, [total]))
    segments = []
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        for piece in range(start, end, COPY_CHUNK_ROWS):
            segments.append((piece, min(end, piece + COPY_CHUNK_ROWS)))
    return segments


def _final_block(rows: ValidRows, select, *, source_id: int, file_id: int, fetched_us: int,
                 period_days: np.ndarray) -> bytes:
    """Binary COPY tuples for the observation table's columns (COLUMNS), one layout."""
    first = int(select[0]) if isinstance(select, np.ndarray) else select.start
    metric = rows.metrics[int(rows.metric_index[first])].encode()
    with_denominator = bool(rows.has_denominator[first])
    fields = [("n", ">i2"), ("l_source", ">i4"), ("source", ">i4"),
              ("l_period", ">i4"), ("period", ">i4"),
              ("l_metric", ">i4"), ("metric", f"S{len(metric)}"),
              ("l_service", ">i4"), ("service", ">i4"),
              ("l_organisation", ">i4"), ("organisation", ">i4"),
              ("l_value", ">i4"), ("value", ">i8"),
              ("l_denominator", ">i4")]
    if with_denominator:
        fields.append(("denominator", ">i8"))
    fields += [("l_fetched", ">i4"), ("fetched", ">i8"), ("l_file", ">i4"), ("file", ">i4")]
    count = len(rows.value[select])
    block = np.empty(count, dtype=np.dtype(fields))
    block["n"] = len(COLUMNS)
    block["l_source"], block["source"] = 4, source_id
    block["l_period"], block["period"] = 4, period_days[rows.period_index[select]]
    block["l_metric"], block["metric"] = len(metric), metric
    block["l_service"], block["service"] = 4, rows.service_id[select]
    block["l_organisation"], block["organisation"] = 4, rows.organisation_id[select]
    block["l_value"], block["value"] = 8, rows.value[select]
    if with_denominator:
        block["l_denominator"], block["denominator"] = 8, rows.denominator[select]
    else:
        block["l_denominator"] = -1  # NULL
    block["l_fetched"], block["fetched"] = 8, fetched_us
    block["l_file"], block["file"] = 4, file_id
    return block.tobytes()


def _period_days(rows: ValidRows) -> np.ndarray:
    return np.array([(p - datetime.date(2000, 1, 1)).days for p in rows.periods],
                    dtype=np.int32)


def copy_into_table(cursor, rows: ValidRows, *, source_id: int, file_id: int, fetched_at,
                    progress=None, table: str | None = None) -> None:
    """Binary COPY of the rows, in primary-key order, into the observations table (or a
    table with the same columns)."""
    table = table or connection.ops.quote_name(UptakeObservation._meta.db_table)
    fetched_us = int((fetched_at - PG_EPOCH) / datetime.timedelta(microseconds=1))
    period_days = _period_days(rows)
    total = len(rows)
    segments = _segments(rows)
    if segments:
        selections = [slice(start, end) for start, end in segments]
    else:  # group by layout instead of keeping strict key order
        key = (rows.period_index.astype(np.int64) * (len(rows.metrics) + 1)
               + rows.metric_index) * 2 + rows.has_denominator
        selections = [np.flatnonzero(key == value) for value in np.unique(key)]
    done = 0
    with cursor.cursor.copy(
        f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN (FORMAT BINARY)"
    ) as copy:
        copy.write(BINARY_SIGNATURE)
        for select in selections:
            copy.write(_final_block(rows, select, source_id=source_id, file_id=file_id,
                                    fetched_us=fetched_us, period_days=period_days))
            done += len(rows.value[select])
            if progress:
                progress(done, total, "Writing")
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

"""How checked rows are ordered and written: key order, the binary COPY's variable layout."""

import random

import numpy as np
import pytest
from django.db import connection

from services_catalogue.models import UptakeObservation
from services_catalogue.uptake import import_uptake_bytes, store
from services_catalogue.uptake.validate import key_order

from .helpers import PRACTICES, csv_bytes

pytestmark = pytest.mark.django_db

# Metrics of different lengths (each row's binary tuple has its own width) and a service
# slug besides nhs-app; some figures without a denominator (a NULL has no bytes at all).
METRICS = ["a", "logins", "registrations", "active_users"]


def _rows(services):
    rows = []
    for period in ("2025-01", "2025-02"):
        for code in PRACTICES:
            for slug in services:
                for m, metric in enumerate(METRICS):
                    value = len(rows)
                    denominator = "" if (value + m) % 3 == 0 else value + 1000
                    rows.append((period, code, slug, metric, value, denominator))
    return rows


def _stored():
    return set(UptakeObservation.objects.values_list(
        "period", "organisation__ods_code", "service__slug", "metric", "value", "denominator"))


def _expected(rows):
    import datetime

    return {(datetime.date(int(p[:4]), int(p[5:]), 1), o, s, m, v, None if d == "" else d)
            for p, o, s, m, v, d in rows}


@pytest.mark.parametrize("chunk_rows", [100_000, 7])
def test_rows_in_any_order_with_mixed_layouts_are_stored_exactly(demo, monkeypatch, chunk_rows):
    # 7 rows a COPY chunk: many chunks, the last one short (PostgreSQL's path).
    monkeypatch.setattr(store, "COPY_CHUNK_ROWS", chunk_rows)
    services = sorted(demo["services"])[:2]
    rows = _rows(services)
    random.Random(4).shuffle(rows)
    result = import_uptake_bytes(csv_bytes(rows), source_name="Store test")
    assert result.stored.inserted == len(rows)
    assert _stored() == _expected(rows)


def test_a_newer_file_with_mixed_layouts_replaces_exactly(demo):
    services = sorted(demo["services"])[:2]
    rows = _rows(services)
    import_uptake_bytes(csv_bytes(rows), source_name="Store test")
    newer = [(p, o, s, m, v + (i % 2), d if d == "" or i % 5 else "")
             for i, (p, o, s, m, v, d) in enumerate(rows) if i % 7]
    random.Random(5).shuffle(newer)
    result = import_uptake_bytes(csv_bytes(newer), source_name="Store test")
    assert result.stored.deleted == len(rows) - len(newer)
    assert _stored() == _expected(newer)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_key_order_is_a_stable_sort_with_unkeyed_rows_first(seed):
    rng = np.random.default_rng(seed)
    key = rng.integers(-1, 40, 5_000)  # many equal keys, and -1 (a row that cannot be keyed)
    order, ordered = key_order(key, 40)
    expected = np.argsort(key, kind="stable")
    assert np.array_equal(order, expected)
    assert np.array_equal(ordered, key[expected])
    # A key space too large to pack with the row number: the plain stable sort, same order.
    order, ordered = key_order(key, 1 << 62)
    assert np.array_equal(order, expected) and np.array_equal(ordered, key[expected])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's key")
def test_the_primary_key_has_the_metric_last():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.attname FROM pg_index i JOIN LATERAL unnest(i.indkey) WITH ORDINALITY "
            "k(attnum, n) ON true JOIN pg_attribute a ON a.attrelid = i.indrelid "
            "AND a.attnum = k.attnum WHERE i.indrelid = %s::regclass AND i.indisprimary "
            "ORDER BY k.n", [UptakeObservation._meta.db_table])
        columns = [name for (name,) in cursor.fetchall()]
    assert columns == ["source_id", "period", "service_id", "organisation_id", "metric"]

"""Collecting a source over HTTP from a local fixture server (never beyond 127.0.0.0/8)."""

import hashlib

import pytest
from django.core.files.base import ContentFile

from services_catalogue.models import UptakeObservation, UptakeSource
from services_catalogue.uptake.collect import CollectError, TransientCollectError, collect_source
from tasks.fetch import GuardedFetcher
from tasks.models import TaskRun
from tests.tasks.loopback import LoopbackOnlyTransport
from tests.tasks.uptake_server import UptakeServer

from .helpers import csv_bytes, figures, sample_rows, snapshot

pytestmark = pytest.mark.django_db

SECRET = "s3cr3t-api-key-value"


@pytest.fixture
def server():
    with UptakeServer() as running:
        yield running


def fetcher(**options):
    defaults = dict(allowed_networks=["127.0.0.1/32"], transport=LoopbackOnlyTransport(),
                    timeout=2.0, max_bytes=1024 * 1024)
    defaults.update(options)
    return GuardedFetcher(**defaults)


def make_source(url, **fields):
    return UptakeSource.objects.create(name=fields.pop("name", "Fetched"), url=url,
                                       schedule="daily", **fields)


def test_a_source_is_fetched_and_imported_with_provenance(demo, server):
    data = csv_bytes(sample_rows())
    server.files["/uptake.csv"] = data
    source = make_source(server.url("/uptake.csv"))
    result = collect_source(source, fetcher=fetcher())
    assert result.outcome == "imported" and result.imported.stored.inserted == 4
    obs = UptakeObservation.objects.filter(source=source)
    assert set(obs.values_list("file__url", "file__sha256")) == {
        (server.url("/uptake.csv"), hashlib.sha256(data).hexdigest())}
    source.refresh_from_db()
    assert source.etag.startswith('"') and source.last_modified
    assert source.last_sha256 == hashlib.sha256(data).hexdigest()


def test_not_modified_304_changes_nothing(demo, server):
    server.files["/uptake.csv"] = csv_bytes(sample_rows())
    source = make_source(server.url("/uptake.csv"))
    collect_source(source, fetcher=fetcher())
    before = snapshot()
    source.refresh_from_db()
    result = collect_source(source, fetcher=fetcher())
    assert result.outcome == "not_modified"
    path, headers = server.requests[-1]
    assert headers["if-none-match"] == source.etag
    assert headers["if-modified-since"] == source.last_modified
    assert snapshot() == before


def test_the_same_file_without_etag_support_changes_nothing(demo, server):
    server.files["/plain.csv"] = csv_bytes(sample_rows())
    server.no_etag.add("/plain.csv")
    source = make_source(server.url("/plain.csv"))
    collect_source(source, fetcher=fetcher())
    before = snapshot()
    source.refresh_from_db()
    result = collect_source(source, fetcher=fetcher())
    assert result.outcome == "unchanged"
    assert snapshot() == before


def test_a_changed_file_on_the_server_replaces_its_periods(demo, server):
    server.files["/uptake.csv"] = csv_bytes(sample_rows("2025-03") + sample_rows("2025-04"))
    source = make_source(server.url("/uptake.csv"))
    collect_source(source, fetcher=fetcher())
    server.files["/uptake.csv"] = csv_bytes(sample_rows("2025-04", start=500))
    source.refresh_from_db()
    result = collect_source(source, fetcher=fetcher())
    assert result.outcome == "imported"
    assert result.imported.stored.updated == 4
    april = set(UptakeObservation.objects.filter(period="2025-04-01").values_list("value", flat=True))
    assert april == {500, 501, 502, 503}
    assert UptakeObservation.objects.filter(period="2025-03-01").count() == 4


def test_the_auth_header_is_read_from_the_environment_and_never_stored(demo, server, monkeypatch):
    server.files["/private.csv"] = csv_bytes(sample_rows())
    server.auth["/private.csv"] = ("X-Api-Key", SECRET)
    monkeypatch.setenv("DFD_TEST_UPTAKE_KEY", SECRET)
    source = make_source(server.url("/private.csv"), auth_header_name="X-Api-Key",
                         auth_env_var="DFD_TEST_UPTAKE_KEY")
    from tasks.uptake import collect_source_by_id

    counts = collect_source_by_id(source.pk, fetcher=fetcher())
    assert counts["inserted"] == 4
    assert server.requests[-1][1]["x-api-key"] == SECRET
    assert "x-api-key" not in server.requests[0][1]  # robots.txt is fetched without it
    stored = repr(list(UptakeSource.objects.values())) + repr(list(UptakeObservation.objects.values())) \
        + repr(list(TaskRun.objects.values()))
    assert SECRET not in stored


def test_a_missing_secret_is_an_error_naming_the_variable(demo, server, monkeypatch):
    monkeypatch.delenv("DFD_TEST_UPTAKE_KEY", raising=False)
    source = make_source(server.url("/private.csv"), auth_header_name="X-Api-Key",
                         auth_env_var="DFD_TEST_UPTAKE_KEY")
    with pytest.raises(CollectError, match="DFD_TEST_UPTAKE_KEY is not set"):
        collect_source(source, fetcher=fetcher())
    assert server.requests == []


def test_a_wrong_secret_is_a_401_error_without_the_secret(demo, server, monkeypatch):
    server.files["/private.csv"] = csv_bytes(sample_rows())
    server.auth["/private.csv"] = ("X-Api-Key", SECRET)
    monkeypatch.setenv("DFD_TEST_UPTAKE_KEY", "wrong-value")
    source = make_source(server.url("/private.csv"), auth_header_name="X-Api-Key",
                         auth_env_var="DFD_TEST_UPTAKE_KEY")
    with pytest.raises(CollectError) as raised:
        collect_source(source, fetcher=fetcher())
    assert "HTTP 401" in str(raised.value) and "wrong-value" not in str(raised.value)
    assert not isinstance(raised.value, TransientCollectError)


def test_the_auth_header_does_not_follow_a_redirect_to_another_origin(demo, monkeypatch):
    with UptakeServer() as first, UptakeServer() as second:
        second.files["/elsewhere.csv"] = csv_bytes(sample_rows())
        monkeypatch.setenv("DFD_TEST_UPTAKE_KEY", SECRET)
        source = make_source(first.url("/redirect?to=" + second.url("/elsewhere.csv")),
                             auth_header_name="X-Api-Key", auth_env_var="DFD_TEST_UPTAKE_KEY")
        result = collect_source(source, fetcher=fetcher())
        assert result.outcome == "imported"
        assert first.requests[-1][1]["x-api-key"] == SECRET
        assert "x-api-key" not in second.requests[-1][1]
        assert set(UptakeObservation.objects.values_list("file__url", flat=True)) == {
            second.url("/elsewhere.csv")}


@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_server_errors_are_transient(demo, server, status):
    source = make_source(server.url(f"/status/{status}"))
    with pytest.raises(TransientCollectError, match=f"HTTP {status}"):
        collect_source(source, fetcher=fetcher())
    source.refresh_from_db()
    assert f"HTTP {status}" in source.last_error


def test_a_refused_connection_is_transient(demo):
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    source = make_source(f"http://127.0.0.1:{port}/uptake.csv")
    with pytest.raises(TransientCollectError, match="Could not connect"):
        collect_source(source, fetcher=fetcher(respect_robots=False))


def test_a_404_is_not_transient(demo, server):
    source = make_source(server.url("/missing.csv"))
    with pytest.raises(CollectError, match="HTTP 404") as raised:
        collect_source(source, fetcher=fetcher())
    assert not isinstance(raised.value, TransientCollectError)


def test_a_file_over_the_size_limit_is_refused(demo, server):
    server.files["/big.csv"] = csv_bytes(sample_rows() * 1000)
    source = make_source(server.url("/big.csv"))
    with pytest.raises(CollectError, match="larger than"):
        collect_source(source, fetcher=fetcher(max_bytes=10_000))
    assert not UptakeObservation.objects.exists()


def test_private_addresses_are_refused_by_the_guard(demo):
    source = make_source("http://10.0.0.1/uptake.csv")
    with pytest.raises(CollectError, match="private"):
        collect_source(source, fetcher=fetcher())


def test_a_bad_file_from_the_server_changes_nothing(demo, server):
    from services_catalogue.uptake import UptakeImportError

    server.files["/uptake.csv"] = csv_bytes(sample_rows())
    source = make_source(server.url("/uptake.csv"))
    collect_source(source, fetcher=fetcher())
    before = snapshot()
    server.files["/uptake.csv"] = csv_bytes([("2025-03", "A84002", "nhs-app", "logins", -1, 5)])
    source.refresh_from_db()
    with pytest.raises(UptakeImportError, match="Line 2, column value"):
        collect_source(source, fetcher=fetcher())
    assert snapshot() == before


def test_an_uploaded_file_is_read_from_private_storage(demo):
    source = UptakeSource(name="Uploaded")
    source.upload.save("uptake.csv", ContentFile(csv_bytes(sample_rows())))
    result = collect_source(source)
    assert result.outcome == "imported"
    assert len(figures("Uploaded")) == 4
    assert collect_source(UptakeSource.objects.get(pk=source.pk)).outcome == "unchanged"

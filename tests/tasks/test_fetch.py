"""The shared fetcher: polite, bounded, and never tricked into fetching internal addresses.

No test here can reach beyond 127.0.0.0/8: the transport refuses any other address
before connecting, so a broken guard fails a test instead of sending traffic out.
"""

import ipaddress

import httpx
import pytest

from tasks.fetch import OFFLINE_NOTE, FetchRefused, GuardedFetcher, address_refusal, system_resolver
from tests.tasks.fixture_server import FixtureServer


class LoopbackOnlyTransport(httpx.HTTPTransport):
    def handle_request(self, request):
        host = request.url.host.strip("[]")
        if not ipaddress.ip_address(host).is_loopback:
            raise AssertionError(f"test tried to connect to {host}, outside loopback")
        return super().handle_request(request)


@pytest.fixture(scope="module")
def server():
    with FixtureServer() as running:
        yield running


def make_fetcher(resolver=None, **options):
    defaults = dict(allowed_networks=["127.0.0.1/32"], transport=LoopbackOnlyTransport(),
                    timeout=2.0, max_bytes=256 * 1024)
    defaults.update(options)
    if resolver is not None:
        defaults["resolver"] = resolver
    return GuardedFetcher(**defaults)


def fake_dns(table):
    def resolve(host, port):
        if host not in table:
            raise OSError("no such host")
        return table[host]
    return resolve


@pytest.mark.parametrize("address, reason", [
    ("127.0.0.1", "loopback"), ("10.0.0.1", "private"), ("192.168.1.5", "private"),
    ("172.16.0.9", "private"), ("169.254.169.254", "metadata"), ("169.254.1.1", "link-local"),
    ("224.0.0.1", "multicast"), ("0.0.0.0", "unspecified"), ("::1", "loopback"),
    ("fd00:ec2::254", "metadata"), ("::ffff:10.0.0.1", "private"), ("100.100.100.200", "metadata"),
    ("240.0.0.1", "reserved"),
])
def test_the_guard_refuses_non_public_addresses(address, reason):
    assert reason in address_refusal(address)


def test_the_guard_allows_public_addresses_and_allow_listed_networks():
    assert address_refusal("8.8.8.8") is None
    assert address_refusal("127.0.0.1", [ipaddress.ip_network("127.0.0.0/8")]) is None


def test_a_host_name_resolving_to_a_private_address_is_refused_before_connecting():
    fetcher = make_fetcher(resolver=fake_dns({"intranet.example": ["10.1.2.3"]}))
    result = fetcher.fetch("http://intranet.example/")
    assert "private" in result.error and result.status is None


def test_any_private_address_among_several_answers_is_refused():
    fetcher = make_fetcher(resolver=fake_dns({"mixed.example": ["93.184.216.34", "10.0.0.7"]}))
    with pytest.raises(FetchRefused):
        fetcher.pinned_address("https://mixed.example/")


def test_the_fetcher_connects_to_the_address_it_checked_not_a_second_lookup(server):
    answers = iter([["127.0.0.1"], ["10.0.0.1"]])  # a rebinding DNS server

    def rebinding(host, port):
        return next(answers)

    fetcher = make_fetcher(resolver=rebinding, respect_robots=False)
    result = fetcher.fetch(f"http://rebind.example:{server.port}/host")
    assert result.status == 200
    assert result.body.decode() == f"rebind.example:{server.port}"


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/", "gopher://x/",
                                 "http://user:pw@example.org/", "http:///nohost"])
def test_only_plain_http_and_https_urls_are_fetched(url):
    assert make_fetcher().fetch(url).error


def test_a_normal_page_is_fetched_with_status_type_and_timing(server):
    result = make_fetcher().fetch(server.url("/ok"))
    assert result.ok and result.status == 200
    assert result.content_type.startswith("text/html")
    assert b"<h1>Fine</h1>" in result.body and result.elapsed_ms > 0


def test_redirects_are_followed_up_to_five_hops(server):
    result = make_fetcher().fetch(server.url("/hops/5"))
    assert result.ok and len(result.redirects) == 5


def test_endless_redirects_stop_after_five(server):
    result = make_fetcher().fetch(server.url("/loop/0"))
    assert "More than 5 redirects" in result.error


def test_an_endless_body_is_cut_off_at_the_size_limit(server):
    result = make_fetcher(max_bytes=100_000).fetch(server.url("/endless"))
    assert result.truncated and len(result.body) == 100_000
    assert "larger than" in result.error


def test_a_slow_drip_is_abandoned(server):
    result = make_fetcher(timeout=0.3).fetch(server.url("/drip"))
    assert result.error and "slowly" in result.error


def test_wrong_content_types_are_reported_as_they_are(server):
    assert make_fetcher().fetch(server.url("/image")).content_type == "image/png"


def test_invalid_utf8_decodes_with_replacement_characters(server):
    text = make_fetcher().fetch(server.url("/bad-utf8")).text()
    assert "\ufffd" in text and "caf" in text


@pytest.mark.parametrize("path, target", [("/to-private", "10.0.0.1"),
                                          ("/to-metadata", "169.254.169.254")])
def test_a_redirect_to_an_internal_address_is_refused(server, path, target):
    result = make_fetcher().fetch(server.url(path))
    assert target in result.error and "Refused" in result.error


def test_robots_txt_is_respected(server):
    result = make_fetcher().fetch(server.url("/private/page"))
    assert "robots.txt" in result.error and result.status is None


def test_server_errors_are_recorded_not_raised(server):
    result = make_fetcher().fetch(server.url("/server-error"))
    assert result.status == 503 and not result.ok


def test_loopback_is_refused_unless_allow_listed(server):
    result = make_fetcher(allowed_networks=[]).fetch(server.url("/ok"))
    assert "loopback" in result.error


def test_many_pages_are_fetched_concurrently_in_order(server):
    urls = [server.url("/ok")] * 6 + [server.url("/image")]
    results = make_fetcher().fetch_many(urls, concurrency=4)
    assert [r.status for r in results] == [200] * 7
    assert results[-1].content_type == "image/png"


def test_offline_a_host_name_is_refused_without_looking_it_up(monkeypatch):
    looked_up = []
    monkeypatch.setattr("socket.getaddrinfo", lambda *a, **k: looked_up.append(a) or [])
    fetcher = GuardedFetcher(offline=True, transport=LoopbackOnlyTransport())
    assert fetcher.resolver is system_resolver
    result = fetcher.fetch("https://www.nhs.uk/nhs-app/")
    assert result.error == OFFLINE_NOTE
    assert result.status is None
    assert looked_up == []


def test_offline_a_public_address_is_refused_before_connecting():
    fetcher = make_fetcher(offline=True)
    with pytest.raises(FetchRefused, match="switched off"):
        fetcher.pinned_address("http://93.184.215.14/")
    # a name a resolver maps to a public address is refused too
    fetcher = make_fetcher(fake_dns({"example.test": ["93.184.215.14"]}), offline=True)
    with pytest.raises(FetchRefused, match="switched off"):
        fetcher.pinned_address("http://example.test/")


def test_offline_this_machine_can_still_be_fetched_when_allow_listed(server):
    fetcher = make_fetcher(fake_dns({"site.test": ["127.0.0.1"]}), offline=True)
    result = fetcher.fetch(server.url("/ok").replace("127.0.0.1", "site.test"))
    assert result.error == ""
    assert result.status == 200


def test_offline_keeps_the_ssrf_reason_for_internal_addresses():
    fetcher = make_fetcher(fake_dns({"internal.test": ["10.0.0.1"]}), offline=True)
    with pytest.raises(FetchRefused, match="private"):
        fetcher.pinned_address("http://internal.test/")


def test_the_demo_and_development_settings_fetch_offline_and_production_does_not():
    import importlib

    dev = importlib.import_module("portal.settings.dev")
    base = importlib.import_module("portal.settings.base")
    assert dev.FETCH_OFFLINE is True
    assert base.FETCH_OFFLINE is False

"""The HTTP fetcher the accessibility auditor, link checker and uptake sources share.

Editors type the URLs we fetch, so every fetch is an SSRF risk. The guard resolves
the host itself, refuses any address that is not public (loopback, private,
link-local, multicast, reserved, cloud metadata) unless it is allow-listed, and
then connects to *that* address (Host header and TLS SNI keep the name), so a
DNS answer that changes between check and connect (rebinding) cannot slip through.
Redirects are followed by hand so each hop is checked the same way.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit, urlunsplit
from urllib.robotparser import RobotFileParser

import httpx

USER_AGENT = "DigitalFrontDoorBot/0.1 (NHS ICS service catalogue checker; accessibility and link audits)"
MAX_REDIRECTS = 5
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
DEFAULT_TIMEOUT = 10.0
METADATA_ADDRESSES = {
    ipaddress.ip_address("169.254.169.254"),  # AWS, Azure, GCP, OpenStack
    ipaddress.ip_address("fd00:ec2::254"),  # AWS IPv6
    ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
    ipaddress.ip_address("192.0.0.192"),  # Oracle Cloud
}

Resolver = Callable[[str, int], list[str]]


class FetchRefused(Exception):
    """The guard would not let us fetch this URL; the message says why."""


OFFLINE_NOTE = (
    "Fetching from the internet is switched off here (FETCH_OFFLINE is on, the default for "
    "the demo and development): nothing was fetched."
)
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


def is_loopback(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def parse_networks(values: Iterable[str]) -> list[ipaddress._BaseNetwork]:
    return [ipaddress.ip_network(value.strip(), strict=False) for value in values if value.strip()]


def address_refusal(address: str, allowed_networks=()) -> str | None:
    """Why this address may not be fetched, or None if it may."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in network for network in allowed_networks):
        return None
    if ip in METADATA_ADDRESSES:
        return f"{ip} is a cloud metadata address"
    for test, label in (
        (ip.is_loopback, "a loopback address"),
        (ip.is_link_local, "a link-local address"),
        (ip.is_multicast, "a multicast address"),
        (ip.is_unspecified, "an unspecified address"),
        (ip.is_reserved, "a reserved address"),
        (ip.is_private, "a private address"),
        (not ip.is_global, "not a public address"),
    ):
        if test:
            return f"{ip} is {label}"
    return None


@dataclass
class FetchResult:
    url: str
    final_url: str = ""
    status: int | None = None
    content_type: str = ""
    body: bytes = b""
    elapsed_ms: float = 0.0
    redirects: list[str] = field(default_factory=list)
    truncated: bool = False
    error: str = ""
    tls_error: bool = False
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.error and self.status is not None and 200 <= self.status < 300

    def text(self) -> str:
        """The body decoded leniently: invalid bytes become U+FFFD, never an exception."""
        charset = "utf-8"
        for part in self.content_type.split(";")[1:]:
            key, _, value = part.strip().partition("=")
            if key.lower() == "charset" and value:
                charset = value.strip("\"'")
        try:
            return self.body.decode(charset, errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")


class GuardedFetcher:
    """Fetch public web pages politely and safely.

    `transport` is for tests: they pass one that refuses any non-loopback address,
    so even a broken guard cannot send traffic off the machine.

    `offline` (the demo's and development's default, setting FETCH_OFFLINE) fetches from
    this machine only: a name is not even looked up in DNS unless a resolver was given, so
    an editor trying "Audit it now" on a demo service sends nothing off the machine.
    """

    def __init__(
        self,
        *,
        allowed_networks: Iterable[str] = (),
        resolver: Resolver = system_resolver,
        transport: httpx.BaseTransport | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        timeout: float = DEFAULT_TIMEOUT,
        max_redirects: int = MAX_REDIRECTS,
        per_host_concurrency: int = 2,
        respect_robots: bool = True,
        user_agent: str = USER_AGENT,
        offline: bool = False,
    ):
        self.offline = offline
        self.allowed_networks = parse_networks(allowed_networks)
        self.resolver = resolver
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.max_redirects = max_redirects
        self.respect_robots = respect_robots
        self.user_agent = user_agent
        self.per_host_concurrency = per_host_concurrency
        self._host_slots: dict[str, threading.Semaphore] = {}
        self._lock = threading.Lock()
        self._robots: dict[str, RobotFileParser | None] = {}
        self.client = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            follow_redirects=False,
            headers={"User-Agent": user_agent},
            trust_env=False,
        )

    def close(self) -> None:
        self.client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- the guard -------------------------------------------------------------
    def pinned_address(self, url: str) -> tuple[str, str]:
        """(the address we will connect to, the host name) or FetchRefused."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise FetchRefused(f"Only http and https addresses can be checked, not {parts.scheme or 'none'!r}.")
        if not parts.hostname:
            raise FetchRefused("The address has no host name.")
        if parts.username or parts.password:
            raise FetchRefused("Addresses with a user name or password are not fetched.")
        host = parts.hostname
        port = parts.port or (443 if parts.scheme == "https" else 80)
        if self.offline and self.resolver is system_resolver and not _is_ip(host) \
                and host.lower() not in LOOPBACK_NAMES:
            raise FetchRefused(OFFLINE_NOTE)
        try:
            addresses = [host] if _is_ip(host) else self.resolver(host, port)
        except (OSError, UnicodeError) as error:
            raise FetchRefused(f"The host name {host!r} could not be resolved ({error}).") from error
        if not addresses:
            raise FetchRefused(f"The host name {host!r} has no address.")
        for address in addresses:
            reason = address_refusal(address, self.allowed_networks)
            if reason:
                raise FetchRefused(f"Refused {url}: {host} resolves to {reason}.")
            if self.offline and not is_loopback(address):
                raise FetchRefused(OFFLINE_NOTE)
        return addresses[0], host

    def _slot(self, host: str) -> threading.Semaphore:
        with self._lock:
            return self._host_slots.setdefault(host, threading.Semaphore(self.per_host_concurrency))

    # -- robots.txt ------------------------------------------------------------
    def allowed_by_robots(self, url: str) -> bool:
        if not self.respect_robots:
            return True
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._robots:
            result = self._fetch_once(origin + "/robots.txt", max_bytes=512 * 1024)
            parser = None
            if result.status and 200 <= result.status < 300:
                parser = RobotFileParser()
                parser.parse(result.text().splitlines())
            self._robots[origin] = parser
        parser = self._robots[origin]
        return parser is None or parser.can_fetch(self.user_agent, url)

    # -- fetching --------------------------------------------------------------
    def fetch(self, url: str, headers: dict[str, str] | None = None) -> FetchResult:
        """Fetch a URL, following at most `max_redirects` checked redirects.

        `headers` (e.g. conditional-request or authentication headers) are sent to the
        URL's own origin only: a redirect to another scheme, host or port drops them, so
        a credential never follows a redirect off-site. robots.txt is fetched without them.
        """
        started = time.monotonic()
        origin = _origin(url)
        try:
            if not self.allowed_by_robots(url):
                return FetchResult(url=url, error="robots.txt asks us not to fetch this page.")
        except FetchRefused as refused:
            return FetchResult(url=url, error=str(refused))
        current = url
        redirects: list[str] = []
        while True:
            hop_headers = headers if headers and _origin(current) == origin else None
            result = self._fetch_once(current, headers=hop_headers)
            result.url = url
            result.redirects = redirects
            if result.error or result.status not in (301, 302, 303, 307, 308):
                result.elapsed_ms = (time.monotonic() - started) * 1000
                return result
            location = result.headers.get("location")
            if not location:
                result.error = f"Redirect {result.status} without a Location header."
                return result
            if len(redirects) >= self.max_redirects:
                result.error = f"More than {self.max_redirects} redirects."
                result.elapsed_ms = (time.monotonic() - started) * 1000
                return result
            current = urljoin(current, location)
            redirects.append(current)

    def _fetch_once(self, url: str, max_bytes: int | None = None,
                    headers: dict[str, str] | None = None) -> FetchResult:
        limit = max_bytes or self.max_bytes
        result = FetchResult(url=url, final_url=url)
        try:
            address, host = self.pinned_address(url)
        except FetchRefused as refused:
            result.error = str(refused)
            return result
        parts = urlsplit(url)
        netloc = f"[{address}]" if ":" in address else address
        if parts.port:
            netloc += f":{parts.port}"
        pinned = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
        host_header = parts.netloc.rsplit("@", 1)[-1]
        extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
        deadline = time.monotonic() + self.timeout * 3
        started = time.monotonic()
        with self._slot(host):
            try:
                request = self.client.build_request(
                    "GET", pinned, headers={**(headers or {}), "Host": host_header},
                    extensions=extensions,
                )
                response = self.client.send(request, stream=True)
                try:
                    result.status = response.status_code
                    result.headers = {k.lower(): v for k, v in response.headers.items()}
                    result.content_type = response.headers.get("content-type", "")
                    body = bytearray()
                    for chunk in response.iter_raw():
                        body.extend(chunk)
                        if len(body) > limit:
                            result.truncated = True
                            result.error = f"The response is larger than {limit:,} bytes."
                            del body[limit:]
                            break
                        if time.monotonic() > deadline:
                            result.error = "The server sent the page too slowly."
                            break
                    result.body = bytes(body)
                finally:
                    response.close()
            except httpx.ConnectError as error:
                result.tls_error = "CERTIFICATE" in str(error).upper() or "SSL" in str(error).upper()
                result.error = f"Could not connect: {error}"
            except httpx.TimeoutException:
                result.error = "The server did not answer in time."
            except httpx.HTTPError as error:
                result.error = f"The request failed: {error}"
        result.elapsed_ms = (time.monotonic() - started) * 1000
        return result

    def fetch_many(self, urls: Iterable[str], concurrency: int = 8) -> list[FetchResult]:
        """Fetch many URLs in parallel, at most `per_host_concurrency` at a time per host."""
        urls = list(urls)
        with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            return list(pool.map(self.fetch, urls))


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def fetcher_from_settings(**overrides) -> GuardedFetcher:
    from django.conf import settings

    options = {
        "allowed_networks": getattr(settings, "FETCH_ALLOWED_NETWORKS", []),
        "max_bytes": getattr(settings, "FETCH_MAX_BYTES", DEFAULT_MAX_BYTES),
        "timeout": getattr(settings, "FETCH_TIMEOUT_SECONDS", DEFAULT_TIMEOUT),
        "offline": getattr(settings, "FETCH_OFFLINE", False),
    }
    transport = getattr(settings, "FETCH_TRANSPORT", None)
    if transport and "transport" not in overrides:
        # Tests point this at a transport that refuses anything but loopback.
        from django.utils.module_loading import import_string

        options["transport"] = import_string(transport)()
    options.update(overrides)
    return GuardedFetcher(**options)

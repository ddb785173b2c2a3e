"""An httpx transport that refuses to connect anywhere but loopback (127.0.0.0/8, ::1).

Tests give it to every fetcher (in worker subprocesses through settings.FETCH_TRANSPORT),
so even a broken SSRF guard fails a test instead of sending traffic off the machine.
"""

import ipaddress

import httpx


class LoopbackOnlyTransport(httpx.HTTPTransport):
    def handle_request(self, request):
        host = request.url.host.strip("[]")
        if not ipaddress.ip_address(host).is_loopback:
            raise AssertionError(f"test tried to connect to {host}, outside loopback")
        return super().handle_request(request)

"""A local server of uptake files on 127.0.0.1 with ETag / Last-Modified support.

`server.files[path] = bytes` publishes a file; `server.auth[path] = (header, value)`
makes it require a header; `server.requests` records (path, headers) of every request.
Special paths: /status/<code> answers that status; /redirect?to=<url> redirects there.
"""

from __future__ import annotations

import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LAST_MODIFIED = "Wed, 01 Jan 2025 00:00:00 GMT"


class UptakeHandler(BaseHTTPRequestHandler):
    server: UptakeHTTPServer

    def log_message(self, *args):
        pass

    def send(self, status, body=b"", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def do_GET(self):
        parts = urlsplit(self.path)
        path = parts.path
        self.server.requests.append((path, {k.lower(): v for k, v in self.headers.items()}))
        if path == "/robots.txt":
            return self.send(200, b"User-agent: *\nAllow: /\n", [("Content-Type", "text/plain")])
        if path.startswith("/status/"):
            return self.send(int(path.rsplit("/", 1)[1]), b"no")
        if path == "/redirect":
            target = parse_qs(parts.query)["to"][0]
            return self.send(302, headers=[("Location", target)])
        if path not in self.server.files:
            return self.send(404, b"not found")
        required = self.server.auth.get(path)
        if required and self.headers.get(required[0]) != required[1]:
            return self.send(401, b"who are you?")
        body = self.server.files[path]
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        conditional = path not in self.server.no_etag
        if conditional and self.headers.get("If-None-Match") == etag:
            return self.send(304, headers=[("ETag", etag)])
        headers = [("Content-Type", "text/csv; charset=utf-8")]
        if conditional:
            headers += [("ETag", etag), ("Last-Modified", LAST_MODIFIED)]
        self.send(200, body, headers)


class UptakeHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), UptakeHandler)
        self.files: dict[str, bytes] = {}
        self.auth: dict[str, tuple[str, str]] = {}
        self.no_etag: set[str] = set()
        self.requests: list[tuple[str, dict]] = []


class UptakeServer:
    def __init__(self):
        self.httpd = UptakeHTTPServer()
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def files(self):
        return self.httpd.files

    @property
    def auth(self):
        return self.httpd.auth

    @property
    def no_etag(self):
        return self.httpd.no_etag

    @property
    def requests(self):
        return self.httpd.requests

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()

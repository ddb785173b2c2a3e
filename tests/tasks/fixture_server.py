"""A local web server of well-behaved and hostile fixture sites, on 127.0.0.1 only."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FixtureHandler(BaseHTTPRequestHandler):
    routes: dict = {}

    def log_message(self, *args):
        pass

    def send_body(self, status, body: bytes, content_type="text/html; charset=utf-8", headers=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def redirect(self, location, status=302):
        self.send_response(status)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self):  # noqa: C901 - one branch per fixture
        path = self.path.split("?")[0]
        if path == "/robots.txt":
            self.send_body(200, b"User-agent: *\nDisallow: /private/\n", "text/plain")
        elif path == "/ok":
            self.send_body(200, b"<!doctype html><html lang=en><title>OK</title><h1>Fine</h1></html>")
        elif path.startswith("/loop/"):
            n = int(path.rsplit("/", 1)[1])
            self.redirect(f"/loop/{n + 1}")
        elif path.startswith("/hops/"):
            n = int(path.rsplit("/", 1)[1])
            self.redirect(f"/hops/{n - 1}") if n > 0 else self.send_body(200, b"<p>arrived</p>")
        elif path == "/endless":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            chunk = b"<p>" + b"x" * 65536 + b"</p>"
            try:
                for _ in range(100_000):
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass
        elif path == "/drip":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            try:
                for _ in range(200):
                    self.wfile.write(b"<p>.</p>")
                    self.wfile.flush()
                    time.sleep(0.05)
            except (BrokenPipeError, ConnectionResetError):
                pass
        elif path == "/image":
            self.send_body(200, b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "image/png")
        elif path == "/bad-utf8":
            self.send_body(200, b"<p>caf\xe9 \xff\xfe</p>")
        elif path == "/to-private":
            self.redirect("http://10.0.0.1/admin")
        elif path == "/to-metadata":
            self.redirect("http://169.254.169.254/latest/meta-data/")
        elif path == "/private/page":
            self.send_body(200, b"<p>robots should stop us</p>")
        elif path == "/host":
            self.send_body(200, self.headers.get("Host", "").encode(), "text/plain")
        elif path == "/server-error":
            self.send_body(503, b"busy")
        else:
            self.send_body(404, b"<p>not found</p>")


class FixtureServer:
    def __init__(self):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), FixtureHandler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()

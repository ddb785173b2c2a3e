"""Benchmark the accessibility auditor: `.venv/bin/python bench/metrics_audit.py [--write-docs]`.

Part 2 of the metrics benchmark (bench/metrics.py is part 1, the uptake import; its `main()`
runs `bench_audit(args)` when that name is defined there). About 4 minutes on 2 cores,
most of it axe-core.

1. generates 500 deterministic, realistic service start pages of about 100 KB each (header
   navigation, cards with headings, links, lists, forms, tables; a few accessibility faults
   sprinkled in by a seeded random generator);
2. serves them from a separate process (so the server never competes with the auditor for
   Python's GIL) on a free port of 127.0.0.1, each page on its own host name
   (`site<N>.bench.test`, resolved to 127.0.0.1 by the fetcher's resolver: like real
   services, every page is on a different host, so the fetcher's per-host limit of 2 is not
   what is measured);
3. with a fresh GuardedFetcher each time (the production configuration: SSRF guard,
   robots.txt fetched once per host, 5 MB limit), and the same concurrency (8 threads):
   - fetches all 500 pages (`fetch_many`): the baseline;
   - audits all 500 pages with the static checker (`audit_url`: fetch, check, look for the
     statement link, compact the findings; nothing is stored);
   - for information, fetches and audits them again with 2 worker processes of 4 threads
     each (how Celery's prefork workers share the work in production);
   and reports pages/s for each and the ratio audit / fetch (target >= 0.5). The server
   answers at once (no Nagle delay, no think time): fetching alone is then bound by the
   CPU of the client and the server, the hardest case for the ratio;
   and, for information, fetches and audits them again with 200 ms added before every answer
   (`--latency-ms`; a real site's time to first byte);
4. times the static checker and axe-core (in headless Chromium, warm, pages loaded with
   set-content-style interception as in production) on the same 10 pages, and reports the
   time per page of each and the ratio (target: the static checker >= 100x faster).

It is a measurement: it exits 0 whether or not the targets are met. All traffic stays on
127.0.0.1. `--write-docs` rewrites this part's block of docs/performance.md (section
"Metrics: accessibility audits").
"""

from __future__ import annotations

import argparse
import datetime
import multiprocessing
import os
import platform
import random
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "performance.md"
SECTION = "## Metrics: accessibility audits"
GENERATED_START = "<!-- bench/metrics_audit.py: generated start -->"
GENERATED_END = "<!-- bench/metrics_audit.py: generated end -->"
N_PAGES = 500
PAGE_BYTES = 100_000
CONCURRENCY = 8
AXE_PAGES = 10
LATENCY_MS = 200.0  # the "for information" run with a realistic time to first byte
TARGET_THROUGHPUT_RATIO = 0.5
TARGET_AXE_RATIO = 100.0
HOST = "127.0.0.1"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- pages ----------------------------------------------------------------------------------
WORDS = (
    "health service online appointment repeat prescription record pharmacy practice nurse "
    "doctor results referral advice support booking medicines care plan test letter"
).split()


def realistic_page(index: int, size: int = PAGE_BYTES) -> str:
    """A deterministic service start page of about `size` characters."""
    rnd = random.Random(20260303 + index)

    def txt(n: int) -> str:
        return " ".join(rnd.choice(WORDS) for _ in range(n))

    parts = [
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{txt(3).title()} - Service {index}</title>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<style>.sr-only{position:absolute;width:1px;height:1px;clip:rect(0 0 0 0)}"
        ".card{padding:1rem;border:1px solid #ccc}</style>"
        '</head><body><a class="skip" href="#main">Skip to main content</a>'
        '<header><a href="/"><img src="/logo.svg" alt="Service home"></a><nav '
        'aria-label="Main"><ul>'
        + "".join(f'<li><a href="/s{i}">{txt(2)}</a></li>' for i in range(15))
        + '</ul></nav></header><main id="main"><h1>' + txt(4) + "</h1>"
    ]
    n = 0
    length = sum(map(len, parts))
    while length < size - 200:
        n += 1
        fault = rnd.random()
        image = (
            f'<img src="/i{n}.png">' if fault < 0.03
            else f'<img src="/i{n}.png" alt="{txt(3)}">'
        )
        link = f'<a href="/x{n}"></a>' if 0.03 <= fault < 0.05 else f'<a href="/x{n}">{txt(3)}</a>'
        label = (
            f'<input id="f{n}" autocomplete="postal-code">' if 0.05 <= fault < 0.07
            else f'<label for="f{n}">Postcode</label><input id="f{n}" autocomplete="postal-code">'
        )
        chunk = (
            f'<section class="card"><h2>{txt(4)}</h2>{image}<p>{txt(40)} {link}</p><ul>'
            + "".join(f'<li><a href="/y{n}-{j}">{txt(2)}</a></li>' for j in range(5))
            + f'</ul><form action="/search">{label}<button type="submit">Find</button></form>'
            '<table><caption>Uptake</caption><tr><th scope="col">Service</th>'
            f'<th scope="col">Uptake</th></tr><tr><td>{txt(2)}</td><td>{n}%</td></tr></table>'
            "</section>"
        )
        parts.append(chunk)
        length += len(chunk)
    parts.append('</main><footer><p><a href="/privacy">Privacy</a> <a href="/cookies">Cookies'
                 "</a></p></footer></body></html>")
    return "".join(parts)


# -- the server (its own process) -------------------------------------------------------------
def _serve(pages: list[bytes], ready, port_value, latency: float = 0.0) -> None:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Send every answer at once: with Nagle's algorithm on, the body (a separate write
        # after the headers) waits for the client's delayed ACK, about 40 ms on Linux, on
        # every small answer (robots.txt), which made fetching look latency-bound.
        disable_nagle_algorithm = True

        def log_message(self, *args):
            pass

        def do_GET(self):
            if latency:
                time.sleep(latency)  # time to first byte of a real site
            path = self.path.split("?")[0]
            if path.startswith("/p/"):
                body, status = pages[int(path[3:])], 200
            else:
                body, status = b"not found", 404
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer((HOST, 0), Handler)
    httpd.daemon_threads = True
    httpd.request_queue_size = 128
    port_value.value = httpd.server_address[1]
    ready.set()
    httpd.serve_forever()


class PageServer:
    def __init__(self, pages: list[str], latency_ms: float = 0.0):
        context = multiprocessing.get_context("fork")
        self.ready = context.Event()
        self.port_value = context.Value("i", 0)
        self.process = context.Process(
            target=_serve,
            args=([p.encode() for p in pages], self.ready, self.port_value, latency_ms / 1000),
            daemon=True,
        )

    def __enter__(self):
        self.process.start()
        if not self.ready.wait(30):
            raise RuntimeError("the page server did not start")
        self.port = self.port_value.value
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.join(10)

    def urls(self, n: int) -> list[str]:
        return [f"http://site{i}.bench.test:{self.port}/p/{i}" for i in range(n)]


def bench_resolver(host: str, port: int) -> list[str]:
    if host.endswith(".bench.test"):
        return [HOST]
    raise OSError(f"{host} is not a benchmark host")


def make_fetcher():
    from tasks.fetch import GuardedFetcher

    return GuardedFetcher(allowed_networks=[f"{HOST}/32"], resolver=bench_resolver)


# -- the runs ---------------------------------------------------------------------------------
def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.dev")
    import django

    django.setup()


def run_fetch(urls: list[str]) -> dict:
    with make_fetcher() as fetcher:
        started = time.perf_counter()
        results = fetcher.fetch_many(urls, concurrency=CONCURRENCY)
        elapsed = time.perf_counter() - started
    ok = sum(1 for r in results if r.ok)
    return {"seconds": elapsed, "pages_per_s": len(urls) / elapsed, "ok": ok,
            "bytes": sum(len(r.body) for r in results)}


def _audit_urls(urls: list[str], threads: int) -> list[tuple[int, int, str]]:
    from services_catalogue.audit.runner import Checker, audit_url

    with make_fetcher() as fetcher, Checker("static", fetcher) as checker:
        def one(url):
            report = audit_url(url, fetcher, checker=checker)
            return report.start.failed_count, report.start.passed_count, report.start.error

        with ThreadPoolExecutor(max_workers=threads) as pool:
            return list(pool.map(one, urls))


def run_audit(urls: list[str]) -> dict:
    started = time.perf_counter()
    results = _audit_urls(urls, CONCURRENCY)
    elapsed = time.perf_counter() - started
    errors = [e for _, _, e in results if e]
    return {"seconds": elapsed, "pages_per_s": len(urls) / elapsed, "errors": len(errors),
            "failed": sum(f for f, _, _ in results), "passed": sum(p for _, p, _ in results)}


def run_fetch_and_parse(urls: list[str]) -> dict:
    """Fetch each page and parse it with lexbor, nothing else: the ceiling of any audit that
    parses the page in this process (no rule run at all)."""
    from selectolax.lexbor import LexborHTMLParser

    def one(url):
        result = fetcher.fetch(url)
        if result.ok:
            LexborHTMLParser(result.text())

    with make_fetcher() as fetcher:
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
            list(pool.map(one, urls))
        elapsed = time.perf_counter() - started
    return {"seconds": elapsed, "pages_per_s": len(urls) / elapsed}


def _audit_chunk(args: tuple[list[str], int]) -> list[tuple[int, int, str]]:
    urls, threads = args
    setup_django()
    return _audit_urls(urls, threads)


def _fetch_chunk(args: tuple[list[str], int]) -> list[tuple[int, int, str]]:
    urls, threads = args
    setup_django()
    with make_fetcher() as fetcher:
        return [(0, 0, r.error) for r in fetcher.fetch_many(urls, concurrency=threads)]


def run_processes(job, urls: list[str], processes: int) -> dict:
    """`job` on `processes` worker processes, CONCURRENCY threads in all (how Celery's prefork
    workers share the work in production)."""
    threads = CONCURRENCY // processes
    chunks = [(urls[i::processes], threads) for i in range(processes)]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=processes, mp_context=context) as pool:
        # start the workers (Python and Django start-up is not what is measured)
        list(pool.map(job, [([], threads) for _ in range(processes)]))
        started = time.perf_counter()
        results = [r for chunk in pool.map(job, chunks) for r in chunk]
        elapsed = time.perf_counter() - started
    return {"seconds": elapsed, "pages_per_s": len(urls) / elapsed, "processes": processes,
            "threads": threads, "errors": sum(1 for _, _, e in results if e)}


def run_engines(pages: list[str], urls: list[str]) -> dict:
    from services_catalogue.audit import engines

    static_times, axe_times = [], []
    static_failed, axe_failed = 0, 0
    engines.static_findings(pages[0], urls[0])  # warm up
    for html, url in zip(pages, urls, strict=True):
        started = time.perf_counter()
        findings = engines.static_findings(html, url)
        static_times.append(time.perf_counter() - started)
        static_failed += engines.count_outcomes(findings)["failed"]
    result = {"static_ms": 1000 * statistics.mean(static_times), "static_failed": static_failed,
              "pages": len(pages)}
    if not engines.browser_available():
        result["axe_error"] = f"{engines.browser_path()} is not installed"
        return result
    with engines.AxeRunner() as runner:
        started = time.perf_counter()
        runner.run("<!doctype html><html lang=en><title>warm</title></html>",
                   "https://warm.bench.test/")
        result["axe_launch_ms"] = 1000 * (time.perf_counter() - started)
        version = ""
        for html, url in zip(pages, urls, strict=True):
            started = time.perf_counter()
            run = runner.run(html, url)
            axe_times.append(time.perf_counter() - started)
            axe_failed += engines.count_outcomes(run.findings)["failed"]
            version = run.version
    result.update(axe_ms=1000 * statistics.mean(axe_times), axe_failed=axe_failed,
                  axe_version=version, ratio=statistics.mean(axe_times) / statistics.mean(
                      static_times))
    return result


# -- reporting --------------------------------------------------------------------------------
def machine() -> dict:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem = int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024
    except (OSError, ValueError, IndexError):
        mem = 0.0
    try:
        chromium = subprocess.run(["/usr/bin/chromium", "--version"], capture_output=True,
                                  text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        chromium = "not installed"
    return {"cpus": os.cpu_count(), "cpu": cpu, "memory_gib": mem,
            "kernel": platform.release(), "python": platform.python_version(),
            "chromium": chromium, "load": os.getloadavg()[0]}


def report(results: dict) -> str:
    m, fetch, audit, procs, eng = (results[k] for k in ("machine", "fetch", "audit",
                                                         "processes", "engines"))
    fetch_procs = results["fetch_processes"]
    parse_only = results["parse_only"]
    shape = f"{procs['processes']} processes x {procs['threads']} threads"
    ratio = audit["pages_per_s"] / fetch["pages_per_s"]
    lines = [
        f"Run on {results['date']} with `.venv/bin/python bench/metrics_audit.py --write-docs` "
        f"(whole run {results['seconds']:.0f} s).",
        "",
        f"- Machine: {m['cpus']} CPUs ({m['cpu']}), {m['memory_gib']:.1f} GiB memory, Linux "
        f"{m['kernel']}, Python {m['python']}, {m['chromium']}. The page server (its own "
        "process) and the auditor share these CPUs; 1-minute load average "
        f"{m['load']:.1f} when the run started{results['load_note']}.",
        f"- Pages: {results['pages']} generated start pages, {results['page_kb']:.0f} KB on "
        "average, each on its own host name resolved to 127.0.0.1; GuardedFetcher in its "
        f"production configuration (robots.txt fetched once per host), {CONCURRENCY} threads.",
        "",
        "| run | seconds | pages/s | ratio to fetching alone | target | result |",
        "|---|---:|---:|---:|---:|---|",
        f"| fetch only (`fetch_many`, {CONCURRENCY} threads) | {fetch['seconds']:.2f} | "
        f"{fetch['pages_per_s']:.1f} | 1.00 |  | baseline |",
        f"| audit, static checker ({CONCURRENCY} threads, one process) | {audit['seconds']:.2f} | "
        f"{audit['pages_per_s']:.1f} | {ratio:.3f} | {TARGET_THROUGHPUT_RATIO} | "
        f"{'PASS' if ratio >= TARGET_THROUGHPUT_RATIO else 'FAIL'} |",
        f"| for information: fetch and lexbor parse only, no rules ({CONCURRENCY} threads, one "
        f"process; the ceiling of any in-process audit) | {parse_only['seconds']:.2f} | "
        f"{parse_only['pages_per_s']:.1f} | "
        f"{parse_only['pages_per_s'] / fetch['pages_per_s']:.3f} |  |  |",
        "",
        f"For information, both again as Celery's prefork workers share the work ({shape}, "
        f"the same {CONCURRENCY} fetches at a time in all):",
        "",
        "| run | seconds | pages/s | ratio to fetching alone |",
        "|---|---:|---:|---:|",
        f"| fetch only ({shape}) | {fetch_procs['seconds']:.2f} | "
        f"{fetch_procs['pages_per_s']:.1f} | 1.00 |",
        f"| audit, static checker ({shape}) | {procs['seconds']:.2f} | "
        f"{procs['pages_per_s']:.1f} | "
        f"{procs['pages_per_s'] / fetch_procs['pages_per_s']:.3f} |",
        "",
    ]
    if "slow_fetch" in results:
        slow_fetch, slow_audit = results["slow_fetch"], results["slow_audit"]
        lines += [
            f"For information, the same with {results['latency_ms']:.0f} ms added before every "
            "answer (a real site's time to first byte; each page also costs a robots.txt "
            "request):",
            "",
            "| run | seconds | pages/s | ratio to fetching alone |",
            "|---|---:|---:|---:|",
            f"| fetch only | {slow_fetch['seconds']:.2f} | {slow_fetch['pages_per_s']:.1f} | 1.00 |",
            f"| audit, static checker, one process | {slow_audit['seconds']:.2f} | "
            f"{slow_audit['pages_per_s']:.1f} | "
            f"{slow_audit['pages_per_s'] / slow_fetch['pages_per_s']:.3f} |",
            "",
        ]
    lines += [
        f"Audit results: {audit['failed']:,} failed and {audit['passed']:,} passed checks in "
        f"all, {audit['errors']} pages not checked; the fetch-only run fetched {fetch['ok']} "
        "pages.",
        "",
    ]
    if "axe_ms" in eng:
        lines += [
            f"| engine, same {eng['pages']} pages | time per page (ms) | failed checks | "
            "ratio | target | result |",
            "|---|---:|---:|---:|---:|---|",
            f"| static ACT checker (`check_html`) | {eng['static_ms']:.1f} | "
            f"{eng['static_failed']} | 1 |  |  |",
            f"| axe-core {eng['axe_version']} in Chromium (warm; launch "
            f"{eng['axe_launch_ms']:.0f} ms not included) | {eng['axe_ms']:.1f} | "
            f"{eng['axe_failed']} | {eng['ratio']:.1f}x slower | 100x | "
            f"{'PASS' if eng['ratio'] >= TARGET_AXE_RATIO else 'FAIL'} |",
        ]
    else:
        lines.append(f"axe-core not measured: {eng['axe_error']}.")
    if "axe_ms" in eng:
        lines += ["", "axe-core's extra failures are mostly `target-size` (WCAG 2.5.8, links in "
                  "lists under 24 px apart), which needs layout: the static checker cannot "
                  "decide it."]
    lines += ["", f"`SUMMARY: {results['summary']}`"]
    return "\n".join(lines)


def write_docs(text: str) -> None:
    content = DOCS.read_text() if DOCS.exists() else "# Performance\n"
    block = f"{GENERATED_START}\n{text}\n{GENERATED_END}"
    if GENERATED_START in content and GENERATED_END in content:
        before = content.split(GENERATED_START, 1)[0]
        after = content.split(GENERATED_END, 1)[1]
        content = before + block + after
    else:
        content = content.rstrip("\n") + "\n\n" + SECTION + "\n\n" + INTRO + "\n" + block + "\n"
    DOCS.write_text(content)


INTRO = """Auditing service start pages with the static ACT checker, against fetching the same pages
alone; and the static checker against axe-core in Chromium. `bench/metrics_audit.py` (about
4 minutes on 2 CPUs, most of it axe-core; no database needed):

```sh
.venv/bin/python bench/metrics_audit.py               # prints the tables
.venv/bin/python bench/metrics_audit.py --write-docs  # and rewrites the block below
```

What it does is described at the top of the script. **Targets** (from the issue): audit
throughput at least half the fetch-only throughput with the same client and concurrency
(ratio >= 0.5); the static checker at least 100 times faster per page than axe-core.
"""


def bench_audit(args: argparse.Namespace) -> dict:
    """Part 2 of bench/metrics.py: run the accessibility audit benchmark, return figures."""
    started = time.perf_counter()
    setup_django()
    n = int(getattr(args, "pages", N_PAGES) or N_PAGES)
    log(f"generating {n} pages ...")
    pages = [realistic_page(i) for i in range(n)]
    results = {"date": datetime.date.today().isoformat(), "machine": machine(), "pages": n,
               "page_kb": statistics.mean(len(p) for p in pages) / 1000}
    with PageServer(pages) as server:
        urls = server.urls(n)
        log("fetching only ...")
        run_fetch(urls[:50])  # warm the server's threads and the client
        results["fetch"] = run_fetch(urls)
        log("auditing (threads) ...")
        results["audit"] = run_audit(urls)
        log("fetching and parsing only ...")
        results["parse_only"] = run_fetch_and_parse(urls)
        processes = max(2, min(4, os.cpu_count() or 2))
        log("fetching only (processes) ...")
        results["fetch_processes"] = run_processes(_fetch_chunk, urls, processes)
        log("auditing (processes) ...")
        results["processes"] = run_processes(_audit_chunk, urls, processes)
    latency = float(getattr(args, "latency_ms", LATENCY_MS) or 0)
    if latency:
        with PageServer(pages, latency_ms=latency) as slow:
            urls_slow = slow.urls(n)
            log(f"with {latency:.0f} ms server latency: fetching only ...")
            results["slow_fetch"] = run_fetch(urls_slow)
            log(f"with {latency:.0f} ms server latency: auditing ...")
            results["slow_audit"] = run_audit(urls_slow)
            results["latency_ms"] = latency
    log(f"static checker against axe-core on {AXE_PAGES} pages ...")
    results["engines"] = run_engines(pages[:AXE_PAGES], urls[:AXE_PAGES])
    end_load = os.getloadavg()[0]
    results["load_note"] = f" and {end_load:.1f} at the end" + (
        " (above the CPU count: other work was running and the figures are depressed)"
        if max(end_load, results["machine"]["load"]) > (os.cpu_count() or 1) else "")
    ratio = results["audit"]["pages_per_s"] / results["fetch"]["pages_per_s"]
    axe_ratio = results["engines"].get("ratio")
    met = [ratio >= TARGET_THROUGHPUT_RATIO] + ([axe_ratio >= TARGET_AXE_RATIO]
                                                 if axe_ratio else [])
    results["summary"] = (
        f"{'PASS' if all(met) else 'FAIL'}: audit/fetch throughput {ratio:.3f} (target "
        f">= {TARGET_THROUGHPUT_RATIO}); static checker "
        + (f"{axe_ratio:.1f}x faster than axe-core (target >= {TARGET_AXE_RATIO:.0f}x)"
           if axe_ratio else "not compared with axe-core (no browser)")
    )
    results["seconds"] = time.perf_counter() - started
    text = report(results)
    print(text)
    if getattr(args, "write_docs", False):
        write_docs(text)
        log(f"wrote {DOCS}")
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=N_PAGES)
    parser.add_argument("--latency-ms", type=float, default=LATENCY_MS,
                        help="also measure with this server latency, for information (0: skip)")
    parser.add_argument("--write-docs", action="store_true")
    bench_audit(parser.parse_args(argv))
    return 0


if __name__ == "__main__":
    threading.excepthook = lambda args: None  # the server's threads may see resets at exit
    sys.exit(main())

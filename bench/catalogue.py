"""Benchmark the public catalogue at scale: `make bench` (or `.venv/bin/python bench/catalogue.py`).

What it does, start to finish (about 4 minutes on 2 cores):

1. creates a scratch PostgreSQL database (`dfd_bench` on 127.0.0.1:5432, user postgres),
   migrates it and loads the demo ICS for the page tree;
2. seeds a scale data set on top: 1,000 digital services (live DigitalService pages under
   /services/, placed in Wagtail's tree as `add_child` would, in one transaction, without
   revisions), 2,000 GP practices under 40 PCNs and 60,000 offers (bulk_create, their
   capabilities through the M2M through-model);
3. collects static files into a temporary STATIC_ROOT and serves the site with gunicorn
   (2 sync workers, production settings, Redis db 14 as the cache, flushed first) on a free
   port of 127.0.0.1, with the benchmark baseline view switched on;
4. for each path: one request (timed: a page's uncached cost), a 1 s wrk warm-up so every
   worker has served it, the baseline again for 5 s, then the path with `wrk -t2 -c8 -d10s`;
5. prints requests/s, p50/p95/p99 latency and the ratio to the baseline measured just before
   against the targets (anonymous pages >= 0.5, the API >= 0.3), and, for information, the
   pages again with the page cache off; then stops gunicorn and drops the database, whatever
   happened.

It is a measurement: it exits 0 whether or not the targets are met (non-zero only if it could
not run at all). All traffic stays on 127.0.0.1. `--write-docs` also rewrites the generated
block of docs/performance.md with this run's figures.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "performance.md"
HOST = "127.0.0.1"
PG_URL = "postgresql://postgres@127.0.0.1:5432"
REDIS_URL = "redis://127.0.0.1:6379/14"
BASELINE_PATH = "/_bench/baseline/"
API_PATH = "/api/openreferral/services"
NEED = "prescriptions"
GENERATED_START = "<!-- bench/catalogue.py: generated start -->"
GENERATED_END = "<!-- bench/catalogue.py: generated end -->"

# wrk reports latency in microseconds; done() runs once after the run with the merged stats.
WRK_LUA = """
done = function(summary, latency, requests)
  io.write(string.format("BENCH p95_us=%d p50_us=%d p99_us=%d requests=%d duration_us=%d "
    .. "connect=%d read=%d write=%d status=%d timeout=%d\\n",
    latency:percentile(95), latency:percentile(50), latency:percentile(99),
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout))
end
"""


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --------------------------------------------------------------------------- seeding
# Runs in a child process (`catalogue.py _seed`) with DATABASE_URL set to the scratch
# database, so the parent never holds a connection to it and can always drop it.


def seed(n_services: int, n_practices: int, n_offers_each: int) -> None:
    import django

    django.setup()
    from django.db import transaction
    from django.db.models import F
    from django.db.models.signals import post_save
    from django.utils import timezone
    from modelsearch.signal_handlers import post_save_signal_handler
    from wagtail.signal_handlers import disable_reference_index_auto_update

    from portal.models import ServiceIndexPage
    from services_catalogue.models import (
        Capability,
        DigitalService,
        Language,
        Offer,
        Organisation,
    )

    rng = random.Random(20250401)
    # The search index is only read for ?q= searches and the reference index and audit log
    # only by the admin, none of which the benchmark requests: skip them for each new page
    # (together they are three quarters of the time a page save takes).
    post_save.disconnect(post_save_signal_handler, sender=DigitalService)

    capabilities = list(Capability.objects.all())
    languages = list(Language.objects.all())
    english = next(lang for lang in languages if lang.code == "en")
    index = ServiceIndexPage.objects.get()
    now = timezone.now()
    today = datetime.date.today()

    started = time.monotonic()
    with transaction.atomic(), disable_reference_index_auto_update():
        # Treebeard-safe bulk insert: what `index.add_child(instance=page)` does, without its
        # per-page parent lock, last-child lookup and validation (slugs are unique by
        # construction), and no revisions: pages are live as saved, as after a publish.
        index = ServiceIndexPage.objects.select_for_update().get(pk=index.pk)
        last_child = index.get_last_child()
        step = DigitalService._str2int(last_child.path[-DigitalService.steplen:]) if last_child else 0
        new_services = []
        for i in range(1, n_services + 1):
            scope = rng.choices(["national", "ics", "local"], weights=[5, 25, 70])[0]
            page = DigitalService(
                title=f"Bench service {i:04d}",
                draft_title=f"Bench service {i:04d}",
                slug=f"bench-service-{i:04d}",
                locale_id=index.locale_id,
                depth=index.depth + 1,
                path=DigitalService._get_path(index.path, index.depth + 1, step + i),
                live=True,
                has_unpublished_changes=False,
                first_published_at=now,
                last_published_at=now,
                summary=f"A made-up service number {i} for the benchmark, with a plain summary.",
                provider=rng.choice(["NHS England", "Northumbria Healthcare", "A supplier Ltd"]),
                scope=scope,
                service_url=f"https://example.org/service/{i}",
                channel_web=True,
                channel_ios=rng.random() < 0.4,
                channel_android=rng.random() < 0.4,
                channel_phone=rng.random() < 0.2,
                nhs_login=rng.choice(["none", "p5", "p9"]),
                in_nhs_app=rng.random() < 0.2,
                who_can_use="Anyone registered with a GP practice in our area.",
                how_to_start="Go to the website and follow the steps.",
                non_digital_alternative="Phone your GP practice.",
                lifecycle=rng.choices(["live", "beta", "retired"], weights=[85, 10, 5])[0],
                last_reviewed=today - datetime.timedelta(days=rng.randrange(400)),
            )
            page._cached_parent_obj = index  # Page.save reads the parent for url_path
            page.save(clean=False, log_action=None)  # no audit log entry: admin-only
            new_services.append(page)
        ServiceIndexPage.objects.filter(pk=index.pk).update(numchild=F("numchild") + n_services)
        log(f"  {len(new_services)} service pages in {time.monotonic() - started:.1f}s")

        service_caps = {}
        cap_rows, lang_rows = [], []
        CapThrough = DigitalService.capabilities.through
        LangThrough = DigitalService.languages.through
        for page in new_services:
            chosen = rng.sample(capabilities, rng.randint(1, 4))
            service_caps[page.pk] = chosen
            cap_rows += [CapThrough(digitalservice_id=page.pk, capability_id=c.pk) for c in chosen]
            extra = rng.sample(languages, rng.randint(0, 2))
            lang_rows += [
                LangThrough(digitalservice_id=page.pk, language_id=lang.pk)
                for lang in {english, *extra}
            ]
        CapThrough.objects.bulk_create(cap_rows, batch_size=5000)
        LangThrough.objects.bulk_create(lang_rows, batch_size=5000)

        icb = Organisation.objects.get(kind="icb")
        pcns = Organisation.objects.bulk_create(
            [
                Organisation(ods_code=f"UZB{n:02d}", name=f"Bench {n:02d} Primary Care Network",
                             kind="pcn", place=f"Bench place {n:02d}", parent=icb)
                for n in range(1, 41)
            ]
        )
        practices = Organisation.objects.bulk_create(
            [
                Organisation(
                    ods_code=f"ZB{n:04d}", name=f"Bench Surgery {n:04d}", kind="gp_practice",
                    parent=pcns[n % len(pcns)], place=pcns[n % len(pcns)].place,
                    town=f"Benchtown {n % 97}", postcode=f"NE{n % 70} {n % 9}AB",
                    registered_patients=rng.randint(2000, 25000),
                    imd_score=round(rng.uniform(5, 45), 2), active=True,
                )
                for n in range(1, n_practices + 1)
            ],
            batch_size=2000,
        )
        log(f"  {len(pcns)} PCNs and {len(practices)} practices")

        all_services = list(DigitalService.objects.values_list("pk", flat=True))
        existing_caps = dict(service_caps)
        for service in DigitalService.objects.filter(pk__in=set(all_services) - set(service_caps)):
            existing_caps[service.pk] = list(service.capabilities.all())
        offers = []
        for practice in practices:
            for order, service_id in enumerate(rng.sample(all_services, n_offers_each)):
                r = rng.random()
                offers.append(
                    Offer(
                        organisation_id=practice.pk, service_id=service_id, sort_order=order,
                        since=today + datetime.timedelta(days=30) if r < 0.05 else
                        (today - datetime.timedelta(days=rng.randrange(900)) if r < 0.5 else None),
                        until=today - datetime.timedelta(days=10) if 0.95 < r else None,
                    )
                )
        Offer.objects.bulk_create(offers, batch_size=5000)
        OfferCaps = Offer.capabilities.through
        offer_cap_rows = []
        for offer in offers:
            caps = existing_caps.get(offer.service_id) or []
            if caps and rng.random() < 0.5:  # else: everything the service does
                for cap in rng.sample(caps, rng.randint(1, len(caps))):
                    offer_cap_rows.append(OfferCaps(offer_id=offer.pk, capability_id=cap.pk))
        OfferCaps.objects.bulk_create(offer_cap_rows, batch_size=5000)
        log(f"  {len(offers)} offers with {len(offer_cap_rows)} capability links")

    print(
        f"SEEDED services={DigitalService.objects.count()} "
        f"organisations={Organisation.objects.count()} offers={Offer.objects.count()}",
        flush=True,
    )


# --------------------------------------------------------------------------- helpers


def run(cmd: list[str], env: dict, label: str, capture: bool = False) -> str:
    started = time.monotonic()
    result = subprocess.run(
        cmd, cwd=ROOT, env=env, text=True,
        stdout=subprocess.PIPE if capture else None, stderr=subprocess.STDOUT if capture else None,
    )
    if result.returncode != 0:
        if capture:
            print(result.stdout)
        raise RuntimeError(f"{label} failed (exit {result.returncode})")
    log(f"{label}: {time.monotonic() - started:.1f}s")
    return result.stdout or ""


def pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def pg_version() -> str:
    import psycopg

    with psycopg.connect(f"{PG_URL}/postgres") as conn:
        return conn.execute("SHOW server_version").fetchone()[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def get(url: str, timeout: float = 30) -> tuple[int, float, bytes]:
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            body = response.read()
            return response.status, time.monotonic() - started, body
    except urllib.error.HTTPError as error:
        return error.code, time.monotonic() - started, error.read()


def machine() -> dict:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    import django
    import gunicorn
    import wagtail

    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    wrk_line = (wrk_version.stdout or wrk_version.stderr).splitlines()[0].split(" [")[0]
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "postgresql": pg_version(),
        "django": django.get_version(),
        "wagtail": wagtail.__version__,
        "gunicorn": gunicorn.__version__,
        "wrk": wrk_line,
    }


def parse_wrk(output: str) -> dict:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    stats = re.search(
        r"BENCH p95_us=(\d+) p50_us=(\d+) p99_us=(\d+) requests=(\d+) duration_us=(\d+) "
        r"connect=(\d+) read=(\d+) write=(\d+) status=(\d+) timeout=(\d+)",
        output,
    )
    if not rps or not stats:
        raise RuntimeError(f"could not parse wrk output:\n{output}")
    values = [int(v) for v in stats.groups()]
    return {
        "rps": float(rps.group(1)),
        "p95_ms": values[0] / 1000,
        "p50_ms": values[1] / 1000,
        "p99_ms": values[2] / 1000,
        "requests": values[3],
        "errors": sum(values[5:]),
        "non_2xx": values[8],
    }


# --------------------------------------------------------------------------- the benchmark


class Server:
    """gunicorn on a free loopback port; stopped by `stop()` whatever state it is in."""

    def __init__(self, env: dict, workers: int, worker_class: str, threads: int, log_path: Path):
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.log_path = log_path
        cmd = [
            sys.executable, "-m", "gunicorn", "portal.wsgi:application",
            "--bind", f"{HOST}:{self.port}", "--workers", str(workers),
            "--worker-class", worker_class, "--error-logfile", str(log_path),
            "--log-level", "warning", "--timeout", "60",
        ]
        if worker_class == "gthread":
            cmd += ["--threads", str(threads)]
        self.log_handle = log_path.open("w")
        self.process = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=self.log_handle, stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                status, _, _ = get(self.url + BASELINE_PATH, timeout=5)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not become ready:\n{self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # gunicorn's graceful stop
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log_handle.close()


# wagtail-nhsuk-frontend 2.1 ships nhsuk-frontend-*.min.css ending in a sourceMappingURL comment
# but not the .map file, so the production storage's post-processing (Django's manifest
# storage rewrites source map references too) stops collectstatic with MissingFileError.
# Only for collecting, the benchmark then uses the same storage minus the source map rewrite;
# the manifest it writes is the one production reads, so gunicorn runs unmodified settings.
STATIC_SHIM = """
from portal.settings.production import *  # noqa: F401,F403
from portal.settings.production import STORAGES
from whitenoise.storage import CompressedManifestStaticFilesStorage


class NoSourceMapStorage(CompressedManifestStaticFilesStorage):
    patterns = tuple(
        (glob, tuple(p for p in rules if "sourceMappingURL" not in (p[0] if isinstance(p, tuple) else p)))
        for glob, rules in CompressedManifestStaticFilesStorage.patterns
    )


STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "bench_static_shim.NoSourceMapStorage"}}
"""


def collectstatic(env: dict, tmp: Path) -> None:
    cmd = [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"]
    started = time.monotonic()
    result = subprocess.run(cmd, cwd=ROOT, env=env, text=True, capture_output=True)
    if result.returncode == 0:
        log(f"collectstatic: {time.monotonic() - started:.1f}s")
        return
    if "MissingFileError" not in result.stderr or ".map" not in result.stderr:
        print(result.stdout, result.stderr)
        raise RuntimeError("collectstatic failed")
    missing = re.search(r"references a file which could not be found:\s+(\S+)", result.stderr)
    log("WARNING: `manage.py collectstatic` fails with the production settings: "
        "a static file refers to a source map that is not shipped"
        + (f" ({missing.group(1).strip()})" if missing else "")
        + ". Collecting with the source-map rewrite off instead (see STATIC_SHIM).")
    (tmp / "bench_static_shim.py").write_text(STATIC_SHIM)
    shim_env = env | {
        "DJANGO_SETTINGS_MODULE": "bench_static_shim",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(tmp), env.get("PYTHONPATH")])),
    }
    run(cmd, shim_env, "collectstatic (source-map rewrite off)", capture=True)


def redis_flush() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def cached_in_redis(port: int, path: str) -> bool:
    """Whether the page cache holds this path (key layout of portal/cache.py, prefix `dfd`)."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    version = client.get("dfd:1:content-version")
    version = int(version) if version is not None else 1
    return bool(client.exists(f"dfd:1:page:{version}:{HOST}:{port}:{path}"))


def wrk(url: str, args: argparse.Namespace, lua: Path, duration: int) -> dict:
    cmd = [
        "wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{duration}s", "--latency",
        "--timeout", "10s", "-s", str(lua), url,
    ]
    output = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60).stdout
    return parse_wrk(output)


def bench_rows(server: Server, rows: list[dict], args: argparse.Namespace, lua: Path,
               duration: int, adjacent_baseline: int) -> None:
    """Measure each row; with `adjacent_baseline` seconds, measure the baseline again right
    before each path, so that its ratio compares two runs under the same machine load."""
    for row in rows:
        url = server.url + row["path"]
        status, cold, _ = get(url)
        row["status"] = status
        row["cold_ms"] = cold * 1000
        row["result"] = None
        if status != 200:
            if row["kind"] == "api" and status == 404:
                log(f"{row['path']}: 404, not available")
            else:
                log(f"{row['path']}: HTTP {status} on the first request; not measured")
            continue
        # Warm every worker, not just the one that served the first request: a sync worker
        # builds the URLconf and loads templates on its own first request.
        wrk(url, args, lua, args.warmup)
        row["cached"] = cached_in_redis(server.port, row["path"])
        if adjacent_baseline and row["kind"] != "baseline":
            row["baseline"] = wrk(server.url + BASELINE_PATH, args, lua, adjacent_baseline)
        row["result"] = r = wrk(url, args, lua, duration)
        if row["kind"] == "baseline":
            row["baseline"] = r
        log(f"{row['path']}: {r['rps']:.0f} req/s, p95 {r['p95_ms']:.1f} ms, "
            + (f"baseline just before {row['baseline']['rps']:.0f} req/s, " if "baseline" in row
               else "")
            + f"first request {row['cold_ms']:.0f} ms, cached={row['cached']}, "
            f"errors={r['errors']}")


def table(rows: list[dict], fallback_baseline_rps: float, with_targets: bool) -> list[str]:
    header = ("| path | requests/s | p50 ms | p95 ms | p99 ms | baseline requests/s | "
              "ratio to baseline | first request ms | from page cache |")
    rule = "|---|---:|---:|---:|---:|---:|---:|---:|---|"
    if with_targets:
        header += " target | result |"
        rule += "---:|---|"
    lines = [header, rule]
    for row in rows:
        r = row.get("result")
        target = f"{row['target']:.1f}" if row.get("target") else ""
        if r is None or not r["requests"]:
            if r is None and row.get("status") == 404:
                reason, verdict = "not available (404)", "not available"
            elif r is None:
                reason, verdict = f"HTTP {row.get('status')}", "FAIL"
            else:
                reason, verdict = "no request completed", "FAIL"
            cells = [f"`{row['path']}`", reason, "", "", "", "", "", "", ""]
            if with_targets:
                cells += [target, verdict]
        else:
            baseline_rps = row["baseline"]["rps"] if "baseline" in row else fallback_baseline_rps
            ratio = r["rps"] / baseline_rps if baseline_rps else 0
            row["ratio"] = ratio
            cells = [
                f"`{row['path']}`", f"{r['rps']:.0f}", f"{r['p50_ms']:.1f}", f"{r['p95_ms']:.1f}",
                f"{r['p99_ms']:.1f}", f"{baseline_rps:.0f}", f"{ratio:.2f}",
                f"{row['cold_ms']:.0f}", "yes" if row.get("cached") else "no",
            ]
            if r["errors"]:
                cells[1] += f" ({r['errors']} errors)"
            if with_targets:
                if row["target"] is None:
                    cells += ["", "baseline"]
                else:
                    row["pass"] = ratio >= row["target"] and not r["errors"]
                    cells += [target, "PASS" if row["pass"] else "FAIL"]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def write_docs(block: str) -> None:
    text = DOCS.read_text() if DOCS.exists() else ""
    if GENERATED_START in text and GENERATED_END in text:
        before = text.split(GENERATED_START)[0]
        after = text.split(GENERATED_END, 1)[1]
        DOCS.write_text(f"{before}{GENERATED_START}\n{block}\n{GENERATED_END}{after}")
    else:
        DOCS.parent.mkdir(exist_ok=True)
        DOCS.write_text(
            f"{text}\n## Catalogue (bench/catalogue.py)\n\n{GENERATED_START}\n{block}\n"
            f"{GENERATED_END}\n"
        )
    log(f"wrote the figures into {DOCS.relative_to(ROOT)}")


def main(args: argparse.Namespace) -> int:
    if not shutil.which("wrk"):
        print("wrk is not installed: run `make wrk` (Debian package wrk).", file=sys.stderr)
        return 2
    total_started = time.monotonic()
    db_url = f"{PG_URL}/{args.database}"
    tmp = Path(tempfile.mkdtemp(prefix="dfd-bench-"))
    lua = tmp / "p95.lua"
    lua.write_text(WRK_LUA)
    base_env = {
        k: v for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "CELERY_", "PAGE_CACHE_"))
    }
    base_env |= {"DATABASE_URL": db_url, "PYTHONUNBUFFERED": "1"}
    # Setting up runs with the dev settings (in-process tasks, local-memory cache), so that
    # nothing it does reaches a real Celery broker; serving runs with production settings.
    setup_env = base_env | {"DJANGO_SETTINGS_MODULE": "portal.settings.dev", "DJANGO_DEBUG": "false"}
    serve_env = base_env | {
        "DJANGO_SETTINGS_MODULE": "portal.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "REDIS_URL": REDIS_URL,
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_STATIC_ROOT": str(tmp / "static"),
        "BENCHMARK_BASELINE_VIEW": "true",
        "CELERY_BROKER_URL": REDIS_URL,  # never used by GET requests; kept off db 0
    }
    python = sys.executable
    server = None
    static_thread = None
    created_db = False
    try:
        info = machine()
        log(f"machine: {info['nproc']} x {info['cpu']}, {info['memory']}, Python {info['python']}, "
            f"PostgreSQL {info['postgresql']}")
        redis_flush()
        pg_admin(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        pg_admin(f'CREATE DATABASE "{args.database}"')
        created_db = True
        log(f"created database {args.database}")
        # collectstatic needs no database: run it while the database is migrated and seeded.
        static_errors: list[BaseException] = []

        def collect() -> None:
            try:
                collectstatic(serve_env, tmp)
            except BaseException as error:  # noqa: BLE001 - re-raised in the main thread
                static_errors.append(error)

        static_thread = threading.Thread(target=collect)
        static_thread.start()
        run([python, "manage.py", "migrate", "--noinput", "-v", "0"], setup_env, "migrate")
        run([python, "manage.py", "load_demo", "--no-admin"], setup_env, "load_demo", capture=True)
        out = run(
            [python, __file__, "_seed", "--services", str(args.services),
             "--practices", str(args.practices), "--offers-each", str(args.offers_each)],
            setup_env, "seed",
            capture=True,
        )
        print(out.strip())
        counts = dict(re.findall(r"(\w+)=(\d+)", re.search(r"SEEDED (.*)", out).group(1)))
        seeded = ", ".join(f"{int(n):,} {name}" for name, n in counts.items())
        static_thread.join()
        static_thread = None
        if static_errors:
            raise static_errors[0]
        redis_flush()

        rows = [
            {"path": BASELINE_PATH, "kind": "baseline", "target": None},
            {"path": "/services/", "kind": "page", "target": 0.5},
            {"path": f"/services/?need={NEED}", "kind": "page", "target": 0.5},
            {"path": "/services/bench-service-0001/", "kind": "page", "target": 0.5},
            {"path": "/practices/ZB0001/", "kind": "page", "target": 0.5},
            {"path": API_PATH, "kind": "api", "target": 0.3},
        ]
        load_start = os.getloadavg()[0]
        server = Server(serve_env, args.workers, args.worker_class, args.gthreads,
                        tmp / "gunicorn.log")
        server.wait_ready()
        log(f"gunicorn up on {server.url} ({args.workers} x {args.worker_class})")
        bench_rows(server, rows, args, lua, args.duration, args.baseline_duration)

        uncached_rows = []
        if args.uncached_duration:
            # The same pages with the page cache off: what every request costs after a
            # publish (which invalidates every cached page) until the pages are warm again.
            server.stop()
            server = Server(serve_env | {"PAGE_CACHE_SECONDS": "0"}, args.workers,
                            args.worker_class, args.gthreads, tmp / "gunicorn-uncached.log")
            server.wait_ready()
            log("gunicorn restarted with PAGE_CACHE_SECONDS=0 (page cache off)")
            uncached_rows = [dict(path=row["path"], kind=row["kind"], target=None)
                             for row in rows if row["kind"] == "page"]
            bench_rows(server, uncached_rows, args, lua, args.uncached_duration,
                       min(args.baseline_duration, 3))

        load_end = os.getloadavg()[0]
        server.stop()
        for log_path in sorted(tmp.glob("gunicorn*.log")):
            if "Traceback" in log_path.read_text():
                print(f"gunicorn reported errors ({log_path.name}):")
                print(log_path.read_text()[-3000:])

        baseline = rows[0].get("result")
        if baseline is None:
            raise RuntimeError("the baseline view did not answer 200")
        lines = table(rows, baseline["rps"], with_targets=True)
        measured = [r for r in rows if r["target"] is not None and r.get("status") != 404]
        failed = [r for r in measured if not r.get("pass")]
        missing = [r for r in rows if r["target"] is not None and r.get("status") == 404]
        summary = (
            f"SUMMARY: {'PASS' if not failed else 'FAIL'}: {len(measured) - len(failed)} of "
            f"{len(measured)} measured paths meet their target"
            + (f"; below target: {', '.join(r['path'] for r in failed)}" if failed else "")
            + (f"; not available: {', '.join(r['path'] for r in missing)}" if missing else "")
        )
        print()
        print("\n".join(lines))
        if uncached_rows:
            print("\nPage cache off (PAGE_CACHE_SECONDS=0), for information:\n")
            uncached_lines = table(uncached_rows, baseline["rps"], with_targets=False)
            print("\n".join(uncached_lines))
        print()
        print(summary)
        elapsed = time.monotonic() - total_started
        print(f"(total {elapsed:.0f}s; 1-minute load average {load_start:.1f} when serving "
              f"started, {load_end:.1f} at the end, on {info['nproc']} CPUs)")

        if args.write_docs:
            command = " ".join([".venv/bin/python bench/catalogue.py", *sys.argv[1:]])
            block = "\n".join(
                [
                    f"Run on {datetime.date.today().isoformat()} with `{command}` "
                    f"(whole run {elapsed:.0f} s).",
                    "",
                    f"- Machine: {info['nproc']} CPUs ({info['cpu']}), {info['memory']} memory, "
                    f"{info['os']}. wrk, gunicorn, PostgreSQL and Redis all share these CPUs; "
                    f"1-minute load average {load_start:.1f} when serving started and "
                    f"{load_end:.1f} at the end (other work was running on the machine: above "
                    f"{info['nproc']} means the figures are depressed and noisy).",
                    f"- Software: Python {info['python']}, PostgreSQL {info['postgresql']}, "
                    f"Django {info['django']}, Wagtail {info['wagtail']}, "
                    f"gunicorn {info['gunicorn']}, {info['wrk']}.",
                    f"- Data: {seeded} (the demo ICS plus the seeded scale set).",
                    f"- Server: gunicorn, {args.workers} `{args.worker_class}` workers, "
                    "production settings, Redis cache, `DATABASE_CONN_MAX_AGE` unset (0).",
                    f"- Load: `wrk -t{args.threads} -c{args.connections} -d{args.duration}s "
                    "--latency` per path, after one request (its time is *first request ms*) "
                    f"and a {args.warmup} s wrk warm-up; p95 from a wrk Lua `done()` callback. "
                    f"Each path's ratio is to the baseline measured for {args.baseline_duration} s "
                    "just before it (*baseline requests/s*), so both runs saw the same load.",
                    "",
                    *lines,
                    "",
                    f"`{summary}`",
                    *(
                        [
                            "",
                            "With the page cache off (`PAGE_CACHE_SECONDS=0`, "
                            f"`-d{args.uncached_duration}s`, baseline 3 s just before each), "
                            "for information: what each page costs to build, as after any "
                            "publish until it is cached again.",
                            "",
                            *uncached_lines,
                        ]
                        if uncached_rows else []
                    ),
                ]
            )
            write_docs(block)
        return 0
    finally:
        if static_thread is not None:
            static_thread.join()
        if server is not None:
            server.stop()
        if created_db:
            try:
                pg_admin(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
                log(f"dropped database {args.database}")
            except Exception as error:  # noqa: BLE001 - report, keep cleaning up
                print(f"could not drop {args.database}: {error}", file=sys.stderr)
        try:
            redis_flush()
        except Exception as error:  # noqa: BLE001
            print(f"could not flush {REDIS_URL}: {error}", file=sys.stderr)
        shutil.rmtree(tmp, ignore_errors=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command")
    seed_parser = sub.add_parser("_seed", help="internal: seed the scratch database")
    for p in (parser, seed_parser):
        p.add_argument("--services", type=int, default=1000)
        p.add_argument("--practices", type=int, default=2000)
        p.add_argument("--offers-each", type=int, default=30, help="offers per practice")
    parser.add_argument("--database", default="dfd_bench")
    parser.add_argument("--duration", type=int, default=10, help="wrk seconds per path")
    parser.add_argument("--uncached-duration", type=int, default=5,
                        help="wrk seconds per page with the page cache off (0: skip)")
    parser.add_argument("--baseline-duration", type=int, default=5,
                        help="wrk seconds of baseline measured again just before each path")
    parser.add_argument("--warmup", type=int, default=1,
                        help="wrk seconds per path, discarded, after the first request")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    parser.add_argument("--gthreads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument("--write-docs", action="store_true",
                        help="rewrite the generated block of docs/performance.md")
    return parser.parse_args()


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    arguments = parse_args()
    if arguments.command == "_seed":
        seed(arguments.services, arguments.practices, arguments.offers_each)
        sys.exit(0)

    def stop(signum, frame):
        raise SystemExit(f"stopped by signal {signum}")  # so that `finally` cleans up

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)
    sys.exit(main(arguments))

"""Benchmark metrics collection at scale: `.venv/bin/python bench/metrics.py` (or `make bench`).

Part 1, `bench_import` (uptake import), start to finish (a few minutes on 2 cores):

1. creates a scratch PostgreSQL database (`dfd_bench_metrics` on 127.0.0.1:5432, user
   postgres), migrates it and loads the demo ICS;
2. scales it up: 2,500 GP practices and 20 services in all (the demo's plus bench ones), so
   that 2,500 practices x 20 services x 4 metrics x 5 months = 1,000,000 figures;
3. writes that 1,000,000-row file in the `import_uptake` format (deterministic: seeded);
4. times, 3 times each, median reported:
   - `COPY` of the same file into a plain table (text columns, bigint value/denominator,
     no index): the speed floor the import is measured against;
   - `manage.py import_uptake` of the file into an empty uptake table, in a child process
     (the time of the command itself, without Python and Django start-up, and the child's
     peak memory, `ru_maxrss` from `os.wait4`);
   - for both, the CPU time of the PostgreSQL backend that did the work (from /proc: the
     server is on this machine) and of the importing process: figures that other work on
     a shared machine disturbs much less than elapsed times;
5. then, once each: re-importing the same file (changes nothing) and importing a newer file
   for the same months with 10% of the figures changed (the replacement path);
6. prints the figures and the ratio COPY time / import time against the targets (>= 1/3,
   peak memory < 1 GB), and drops the database, whatever happened.

Part 2, `bench_audit` (accessibility audits), is not here yet: `main()` runs it when this
module defines it (see the marked place at the end of the file).

It is a measurement: it exits 0 whether or not the targets are met (non-zero only if it
could not run). `--write-docs` rewrites this part's block of docs/performance.md (section
"Metrics: uptake import") with this run's figures.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "performance.md"
PG_URL = "postgresql://postgres@127.0.0.1:5432"
DATABASE = "dfd_bench_metrics"
SOURCE = "Bench uptake"
SEED = 20250401
N_PRACTICES = 2_500
N_SERVICES = 20
METRICS = ("logins", "registrations", "active_users", "transactions")
MONTHS = ("2025-01", "2025-02", "2025-03", "2025-04", "2025-05")
TARGET_RATIO = 1 / 3
TARGET_MEMORY_MB = 1024
SECTION = "## Metrics: uptake import"
GENERATED_START = "<!-- bench/metrics.py import: generated start -->"
GENERATED_END = "<!-- bench/metrics.py import: generated end -->"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def database_url() -> str:
    return f"{PG_URL}/{DATABASE}"


def child_env() -> dict:
    return {**os.environ, "DATABASE_URL": database_url(),
            "DJANGO_SETTINGS_MODULE": "portal.settings.dev", "DJANGO_DEBUG": "0",
            "PYTHONPATH": str(ROOT)}


def backend_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) a PostgreSQL backend has used so far, read from /proc
    (the server runs on this machine); None where that cannot be read."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def cpu_used(before: float | None, after: float | None) -> float | None:
    return None if before is None or after is None else after - before


def pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def run(cmd: list[str], label: str) -> str:
    started = time.monotonic()
    result = subprocess.run(cmd, cwd=ROOT, env=child_env(), text=True, capture_output=True)
    if result.returncode != 0:
        print(result.stdout[-5000:], result.stderr[-5000:])
        raise RuntimeError(f"{label} failed (exit {result.returncode})")
    log(f"{label}: {time.monotonic() - started:.1f}s")
    return result.stdout


# --------------------------------------------------------------------------- children
# Run as `metrics.py _seed` / `metrics.py _import FILE` with DATABASE_URL set to the
# scratch database, so the parent never holds a Django connection to it.


def seed() -> None:
    import django

    django.setup()
    from django.db import transaction
    from django.db.models import F
    from django.utils import timezone

    from portal.demo.loader import load_demo
    from portal.models import ServiceIndexPage
    from services_catalogue.models import DigitalService, Organisation

    load_demo()
    now = timezone.now()
    with transaction.atomic():
        index = ServiceIndexPage.objects.select_for_update().get()
        existing = DigitalService.objects.count()
        extra = N_SERVICES - existing
        last = index.get_last_child()
        step = DigitalService._str2int(last.path[-DigitalService.steplen:]) if last else 0
        for i in range(1, extra + 1):
            page = DigitalService(
                title=f"Bench service {i:02d}", draft_title=f"Bench service {i:02d}",
                slug=f"bench-service-{i:02d}", locale_id=index.locale_id,
                depth=index.depth + 1,
                path=DigitalService._get_path(index.path, index.depth + 1, step + i),
                live=True, has_unpublished_changes=False, first_published_at=now,
                last_published_at=now, summary="A made-up service for the benchmark.",
                provider="Bench", service_url=f"https://example.org/{i}",
                who_can_use="Anyone.", how_to_start="Start.", non_digital_alternative="Phone.",
            )
            page._cached_parent_obj = index
            page.save(clean=False, log_action=None)
        ServiceIndexPage.objects.filter(pk=index.pk).update(numchild=F("numchild") + extra)
        icb = Organisation.objects.get(kind="icb")
        existing_practices = Organisation.objects.filter(kind="gp_practice").count()
        Organisation.objects.bulk_create(
            [Organisation(ods_code=f"ZB{n:04d}", name=f"Bench Surgery {n:04d}",
                          kind="gp_practice", parent=icb, active=True)
             for n in range(1, N_PRACTICES - existing_practices + 1)],
            batch_size=2000,
        )
    practices = list(Organisation.objects.filter(kind="gp_practice").order_by("ods_code")
                     .values_list("ods_code", flat=True))
    services = list(DigitalService.objects.order_by("slug").values_list("slug", flat=True))
    print(json.dumps({"practices": practices, "services": services}))


def import_child(path: str, source: str) -> None:
    import resource

    import django

    django.setup()
    from django.core.management import call_command, load_command_class
    from django.db import connection

    # Loading the command imports pandas and numpy: start-up, like Python's and Django's.
    load_command_class("services_catalogue", "import_uptake")
    connection.ensure_connection()
    server = connection.connection.info.backend_pid
    server_before, python_before = backend_cpu(server), time.process_time()
    started = time.perf_counter()
    call_command("import_uptake", path, "--source", source, verbosity=2)
    seconds = time.perf_counter() - started
    server_cpu = cpu_used(server_before, backend_cpu(server))
    python_cpu = time.process_time() - python_before
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print("BENCH " + json.dumps({"seconds": seconds, "maxrss_kb": maxrss,
                                 "server_cpu": server_cpu, "python_cpu": python_cpu}))


# --------------------------------------------------------------------------- the file


def write_file(path: Path, practices: list[str], services: list[str], changed: float = 0.0,
               seed_value: int = SEED) -> int:
    """The benchmark file: every month x practice x service x metric, seeded values.

    `changed`: the share of figures whose value differs from the seed_value=SEED file."""
    import numpy as np

    rng = np.random.default_rng(seed_value)
    n = len(MONTHS) * len(practices) * len(services) * len(METRICS)
    denominators = rng.integers(1_000, 30_000, n)
    values = (denominators * rng.random(n) * 0.6).astype(np.int64)
    if changed:
        flip = np.random.default_rng(seed_value + 1).random(n) < changed
        values = np.where(flip, np.maximum(values - 1, 0) + (values == 0), values)
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write("period,ods_code,service_slug,metric,value,denominator\n")
        i = 0
        for month in MONTHS:
            for code in practices:
                prefix = f"{month},{code},"
                chunk = []
                for slug in services:
                    for metric in METRICS:
                        chunk.append(f"{prefix}{slug},{metric},{values[i]},{denominators[i]}\n")
                        i += 1
                handle.write("".join(chunk))
    return n


# --------------------------------------------------------------------------- measuring


def time_copy(path: Path) -> tuple[float, float | None]:
    """COPY the file as it is into a plain table (no index), committed: (seconds, CPU
    seconds of the PostgreSQL backend that did it)."""
    import psycopg

    with psycopg.connect(database_url()) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_copy")
        conn.execute("CREATE TABLE bench_copy (period text, ods_code text, service_slug text, "
                     "metric text, value bigint, denominator bigint)")
        conn.commit()
        server_before = backend_cpu(conn.info.backend_pid)
        started = time.perf_counter()
        with conn.cursor() as cursor, cursor.copy(
            "COPY bench_copy FROM STDIN (FORMAT csv, HEADER true)"
        ) as copy, path.open("rb") as handle:
            while block := handle.read(1 << 20):
                copy.write(block)
        conn.commit()
        seconds = time.perf_counter() - started
        server_cpu = cpu_used(server_before, backend_cpu(conn.info.backend_pid))
        count = conn.execute("SELECT count(*) FROM bench_copy").fetchone()[0]
        conn.execute("DROP TABLE bench_copy")
        conn.commit()
    assert count > 0
    return seconds, server_cpu


def time_table_floor() -> dict:
    """What writing the imported rows costs the database alone: COPY (binary) of exactly the
    rows the import wrote into a table like the observations table, with its primary key
    (the unique key the design requires) and without any index."""
    import psycopg

    table = "services_catalogue_uptakeobservation"
    columns = ("source_id, period, metric, service_id, organisation_id, value, denominator, "
               "fetched_at, file_id")
    figures = {}
    with psycopg.connect(database_url()) as conn:
        source_id = conn.execute("SELECT id FROM services_catalogue_uptakesource WHERE name = %s",
                                 [SOURCE]).fetchone()[0]
        buffer = bytearray()
        with conn.cursor() as cursor, cursor.copy(
            f"COPY (SELECT {columns} FROM {table} WHERE source_id = {int(source_id)} "
            "ORDER BY source_id, period, service_id, organisation_id, metric) "
            "TO STDOUT (FORMAT BINARY)"
        ) as copy:
            for block in copy:
                buffer += block
        for label, like in (("with_key", "INCLUDING ALL"),
                            ("no_index", "INCLUDING DEFAULTS INCLUDING CONSTRAINTS")):
            conn.execute("DROP TABLE IF EXISTS bench_floor")
            conn.execute(f"CREATE TABLE bench_floor (LIKE {table} {like})")
            conn.commit()
            started = time.perf_counter()
            with conn.cursor() as cursor, cursor.copy(
                f"COPY bench_floor ({columns}) FROM STDIN (FORMAT BINARY)"
            ) as copy:
                for start in range(0, len(buffer), 1 << 20):
                    copy.write(bytes(buffer[start:start + (1 << 20)]))
            conn.commit()
            figures[label] = time.perf_counter() - started
        conn.execute("DROP TABLE bench_floor")
        conn.commit()
    return figures


def reset_uptake() -> None:
    import psycopg

    bench = "(SELECT id FROM services_catalogue_uptakesource WHERE name = %s)"
    with psycopg.connect(database_url(), autocommit=True) as conn:
        conn.execute(f"DELETE FROM services_catalogue_uptakeobservation WHERE source_id IN {bench}",
                     [SOURCE])
        conn.execute(f"DELETE FROM services_catalogue_uptakefile WHERE source_id IN {bench}",
                     [SOURCE])
        conn.execute("DELETE FROM services_catalogue_uptakesource WHERE name = %s", [SOURCE])
        conn.execute("VACUUM ANALYZE services_catalogue_uptakeobservation")


def time_import(path: Path, source: str = SOURCE) -> dict:
    """Run import_uptake in a child process; its own timing and its peak memory."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, __file__, "_import", str(path), source], cwd=ROOT, env=child_env(),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        print(out[-3000:], err[-3000:])
        raise RuntimeError(f"import_uptake failed (exit {proc.returncode})")
    line = next(x for x in out.splitlines() if x.startswith("BENCH "))
    figures = json.loads(line[len("BENCH "):])
    summary = next((x for x in out.splitlines() if "source \u201c" in x), "")
    timings = next((x for x in out.splitlines() if x.startswith("Timings:")), "")
    return {"seconds": figures["seconds"], "wall_seconds": wall,
            "peak_mb": usage.ru_maxrss / 1024, "summary": summary.strip(),
            "timings": timings.strip(), "server_cpu": figures.get("server_cpu"),
            "python_cpu": figures.get("python_cpu")}


def shown(seconds: float | None) -> str:
    return "?" if seconds is None else f"{seconds:.2f}s"


def seconds_text(seconds: float | None) -> str:
    return "?" if seconds is None else f"{seconds:.2f} s"


def median_or_none(values) -> float | None:
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 2) if values else None


def bench_import(args: argparse.Namespace) -> dict:
    results: dict = {"rows": 0}
    workdir = Path(tempfile.mkdtemp(prefix="dfd-bench-metrics-"))
    try:
        log(f"Creating the scratch database {DATABASE}")
        pg_admin(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        pg_admin(f'CREATE DATABASE "{DATABASE}"')
        run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], "migrate")
        seeded = json.loads(run([sys.executable, __file__, "_seed"], "seed (demo ICS scaled up)")
                            .strip().splitlines()[-1])
        practices, services = seeded["practices"], seeded["services"]
        log(f"  {len(practices):,} practices, {len(services)} services")

        first = workdir / "uptake-1m.csv"
        started = time.monotonic()
        rows = write_file(first, practices, services)
        size_mb = first.stat().st_size / 1e6
        results.update(rows=rows, file_mb=round(size_mb, 1))
        log(f"Wrote {rows:,} rows ({size_mb:.1f} MB) in {time.monotonic() - started:.1f}s")

        copies, copy_cpus, imports, floors = [], [], [], []
        for attempt in range(1, args.repeat + 1):
            seconds, server_cpu = time_copy(first)
            copies.append(seconds)
            copy_cpus.append(server_cpu)
            reset_uptake()
            imports.append(time_import(first))
            floors.append(time_table_floor())
            log(f"  run {attempt}: COPY {copies[-1]:.2f}s, import_uptake "
                f"{imports[-1]['seconds']:.2f}s (process {imports[-1]['wall_seconds']:.1f}s, "
                f"peak {imports[-1]['peak_mb']:.0f} MB); the same rows by binary COPY into "
                f"the table: {floors[-1]['with_key']:.2f}s with its key, "
                f"{floors[-1]['no_index']:.2f}s without")
            log(f"    {imports[-1]['timings']}; CPU: PostgreSQL {shown(copy_cpus[-1])} for "
                f"the COPY, {shown(imports[-1]['server_cpu'])} for the import, whose own "
                f"process used {shown(imports[-1]['python_cpu'])}")
        copy_s = statistics.median(copies)
        import_s = statistics.median(i["seconds"] for i in imports)
        peak = max(i["peak_mb"] for i in imports)
        results.update(
            copy_seconds=round(copy_s, 2), import_seconds=round(import_s, 2),
            import_process_seconds=round(statistics.median(i["wall_seconds"] for i in imports), 2),
            ratio=round(copy_s / import_s, 3), peak_mb=round(peak), repeat=args.repeat,
            import_rows_per_second=round(rows / import_s),
            floor_key_seconds=round(statistics.median(f["with_key"] for f in floors), 2),
            floor_noindex_seconds=round(statistics.median(f["no_index"] for f in floors), 2),
            copy_rows_per_second=round(rows / copy_s), timings=imports[-1]["timings"],
            copy_server_cpu=median_or_none(copy_cpus),
            import_server_cpu=median_or_none(i["server_cpu"] for i in imports),
            import_python_cpu=median_or_none(i["python_cpu"] for i in imports),
        )

        same = time_import(first)
        results["reimport_seconds"] = round(same["seconds"], 2)
        results["reimport_summary"] = same["summary"]
        log(f"Re-import of the same file: {same['seconds']:.2f}s: {same['summary']}")

        newer = workdir / "uptake-1m-newer.csv"
        write_file(newer, practices, services, changed=0.10)
        replaced = time_import(newer)
        results["replace_seconds"] = round(replaced["seconds"], 2)
        results["replace_peak_mb"] = round(replaced["peak_mb"])
        results["replace_summary"] = replaced["summary"]
        log(f"Newer file (10% changed): {replaced['seconds']:.2f}s, peak "
            f"{replaced['peak_mb']:.0f} MB: {replaced['summary']}")
    finally:
        for path in workdir.glob("*"):
            path.unlink()
        workdir.rmdir()
        try:
            pg_admin(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
            log(f"Dropped {DATABASE}")
        except Exception as error:  # noqa: BLE001 - report, do not mask the real error
            log(f"Could not drop {DATABASE}: {error}")

    ok_ratio = results["ratio"] >= TARGET_RATIO
    ok_memory = results["peak_mb"] < TARGET_MEMORY_MB
    print()
    print(f"Uptake import of {results['rows']:,} rows ({results['file_mb']} MB), median of "
          f"{args.repeat}:")
    print(f"  COPY into a plain table   {results['copy_seconds']:>7.2f} s  "
          f"({results['copy_rows_per_second']:,} rows/s)")
    print(f"  import_uptake             {results['import_seconds']:>7.2f} s  "
          f"({results['import_rows_per_second']:,} rows/s; whole process "
          f"{results['import_process_seconds']:.2f} s)")
    print(f"  ratio COPY/import         {results['ratio']:>7.3f}    target >= {TARGET_RATIO:.3f}: "
          f"{'met' if ok_ratio else 'NOT met'}")
    print(f"  the rows alone, binary COPY into the observations table: "
          f"{results['floor_key_seconds']:.2f} s with its primary key, "
          f"{results['floor_noindex_seconds']:.2f} s without any index")
    print(f"  CPU time: PostgreSQL {shown(results['copy_server_cpu'])} for the COPY, "
          f"{shown(results['import_server_cpu'])} for the import; the import's own process "
          f"{shown(results['import_python_cpu'])}")
    print(f"  peak memory (child)       {results['peak_mb']:>7} MB target < {TARGET_MEMORY_MB} MB: "
          f"{'met' if ok_memory else 'NOT met'}")
    print(f"  re-import, same file      {results['reimport_seconds']:>7.2f} s")
    print(f"  newer file, 10% changed   {results['replace_seconds']:>7.2f} s")
    results["met"] = ok_ratio and ok_memory
    return results


# --------------------------------------------------------------------------- docs


def docs_block(results: dict) -> str:
    r = results["import"]
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    return "\n".join([
        GENERATED_START,
        f"Run of {datetime.date.today():%d %B %Y} ({machine}; PostgreSQL on 127.0.0.1; "
        f"median of {r['repeat']}):",
        "",
        "| measure | result | target |",
        "|---|---|---|",
        f"| rows in the file | {r['rows']:,} ({r['file_mb']} MB) | 1,000,000 |",
        f"| `COPY` into a plain table | {r['copy_seconds']:.2f} s | |",
        f"| `import_uptake` (parse, validate, store, commit) | {r['import_seconds']:.2f} s "
        f"({r['import_rows_per_second']:,} rows/s) | |",
        f"| ratio `COPY` time / import time | {r['ratio']:.3f} | >= 0.333 |",
        f"| the imported rows alone, binary `COPY` into the observations table with its "
        f"primary key / without any index | {r['floor_key_seconds']:.2f} s / "
        f"{r['floor_noindex_seconds']:.2f} s | |",
        f"| CPU time (less sensitive to other work on the machine): the PostgreSQL backend "
        f"for the `COPY` / for the import; the importing process itself | "
        f"{seconds_text(r.get('copy_server_cpu'))} / {seconds_text(r.get('import_server_cpu'))}; "
        f"{seconds_text(r.get('import_python_cpu'))} | |",
        f"| peak memory of the importing process | {r['peak_mb']} MB | < 1024 MB |",
        f"| whole `import_uptake` process (with Python and Django start-up) | "
        f"{r['import_process_seconds']:.2f} s | |",
        f"| re-import of the same file (changes nothing) | {r['reimport_seconds']:.2f} s | |",
        f"| newer file, same months, 10% of figures changed | {r['replace_seconds']:.2f} s, "
        f"{r['replace_peak_mb']} MB | |",
        "",
        f"Phases of the last first import: {r['timings'].replace('Timings: ', '')}.",
        GENERATED_END,
    ])


INTRO = """
`bench/metrics.py` (part 1) imports a 1,000,000-row uptake file (2,500 practices x 20
services x 4 metrics x 5 months, seeded) into a scratch PostgreSQL database with
`manage.py import_uptake` and compares it with `COPY` of the same file into a plain table.

```sh
.venv/bin/python bench/metrics.py --part import --write-docs   # about 3 minutes on 2 CPUs
```

The import parses with pandas (explicit dtypes: text columns as categories, numbers
straight to int64), validates whole columns at once (each distinct ODS code, slug, metric
and month is checked once; one sort both orders the rows by primary key and finds repeated
figures), maps codes to ids with array lookups and, for months the source has no figures
for yet, writes with one binary `COPY` straight into the observations table, built from
the numpy arrays in primary-key order, (source, period, service, organisation, metric);
a newer file for months already there goes through a temporary table and three set
operations (delete gone, update changed, insert new). All in one transaction that locks
the source.
"""


def write_docs(results: dict) -> None:
    block = docs_block(results)
    text = DOCS.read_text() if DOCS.exists() else "# Performance\n"
    if GENERATED_START in text and GENERATED_END in text:
        before, rest = text.split(GENERATED_START, 1)
        _, after = rest.split(GENERATED_END, 1)
        text = before + block + after
    elif SECTION in text:
        head, tail = text.split(SECTION, 1)
        text = head + SECTION + "\n" + INTRO + "\n" + block + "\n" + tail.lstrip("\n")
    else:
        text = text.rstrip("\n") + "\n\n" + SECTION + "\n" + INTRO + "\n" + block + "\n"
    DOCS.write_text(text)
    log(f"Updated {DOCS.relative_to(ROOT)}")


# --------------------------------------------------------------------------- main


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=["all", "import", "audit"], default="all")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of COPY and import")
    parser.add_argument("--write-docs", action="store_true",
                        help="rewrite this benchmark's block of docs/performance.md")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    results: dict = {}
    if args.part in ("all", "import"):
        results["import"] = bench_import(args)
    # Part 2: the accessibility-audit benchmark defines `bench_audit(args) -> dict` below
    # (at the marked place); main() runs it when it exists.
    audit = globals().get("bench_audit")
    if audit is not None and args.part in ("all", "audit"):
        results["audit"] = audit(args)
    if args.write_docs and "import" in results:
        write_docs(results)
    return 0


# --------------------------------------------------------------------------- part 2
# bench_audit(args: argparse.Namespace) -> dict goes here (accessibility audits).


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_seed":
        sys.path.insert(0, str(ROOT))
        seed()
    elif len(sys.argv) > 1 and sys.argv[1] == "_import":
        sys.path.insert(0, str(ROOT))
        import_child(sys.argv[2], sys.argv[3])
    else:
        sys.exit(main())

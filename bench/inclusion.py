"""Benchmark the inclusion analysis at England scale: `.venv/bin/python bench/inclusion.py`.

What it does (about a minute on 2 cores):

1. generates a deterministic synthetic England (seeded): 6,500 practices in ~1,250 PCNs and
   42 places, 33,000 LSOAs with spatially clustered IMD deciles, 800,000 practice-by-LSOA
   population rows, practice IMD scores and 24 months x 5 services of uptake (780,000
   observations), written as CSV (or Parquet with --format parquet, when pyarrow is
   installed) to a temporary directory;
2. in a child process, reads the inputs with pandas (the baseline) and then runs the full
   analysis on them: rates with Wilson limits at practice, PCN, place and ICS level for every
   month and service, IMD deciles and quintiles by ecological apportionment, SII/RII per month
   with 10,000 Monte Carlo draws each and its trend, every community against the ICS and the
   best-served fifth, rate trends, and funnel limits with outliers;
3. prints the read time, the analysis time, their ratio (target: analysis <= 3 x read) and the
   child's peak resident memory (resource.getrusage(RUSAGE_CHILDREN).ru_maxrss; target
   < 2 GB), and appends them with the machine (nproc, CPU model, memory) to the
   "Inclusion analysis" section of docs/performance.md (--no-docs to skip).

It is a measurement: it exits 0 whether or not the targets are met.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "performance.md"
SECTION = "## Inclusion analysis"
SERVICES = ("nhs-app", "nhs-login", "online-consultation", "repeat-prescriptions", "111-online")
TARGET_RATIO = 3.0
TARGET_BYTES = 2 * 1024**3


# --------------------------------------------------------------------------------------
# data


def generate(directory: Path, *, practices: int, lsoas: int, rows: int, months: int,
             services: int, fmt: str, seed: int = 20250401) -> dict[str, int]:
    """Write the synthetic inputs; returns their sizes in bytes."""
    rng = np.random.default_rng(seed)
    # LSOAs in a line; deprivation varies smoothly along it, so practices near each other
    # share deciles, as they do in England.
    walk = np.cumsum(rng.normal(size=lsoas))
    smooth = np.convolve(walk, np.ones(200) / 200, mode="same") + rng.normal(0, 0.8, lsoas)
    rank = smooth.argsort().argsort()
    decile = 1 + rank * 10 // lsoas
    lsoa_codes = np.array([f"E01{i:06d}" for i in range(1, lsoas + 1)], dtype=object)
    lsoa_imd = pd.DataFrame({"lsoa": lsoa_codes, "imd_decile": decile})

    # practice x LSOA: each practice takes a run of LSOAs around its centre
    sizes = rng.poisson(rows / practices, practices).astype(np.int64)
    sizes = np.maximum(sizes, 5)
    diff = rows - sizes.sum()
    sizes[rng.choice(practices, abs(diff), replace=True)] += np.sign(diff)
    sizes = np.maximum(sizes, 1)
    while sizes.sum() != rows:  # exact row count after the floor above
        i = rng.integers(practices)
        step = 1 if sizes.sum() < rows else -1
        if sizes[i] + step >= 1:
            sizes[i] += step
    centres = np.sort(rng.integers(0, lsoas, practices))
    practice_idx = np.repeat(np.arange(practices), sizes)
    within = np.arange(rows) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    stride = np.repeat(rng.integers(1, 3, practices), sizes)
    lsoa_idx = (np.repeat(centres - sizes // 2, sizes) + within * stride) % lsoas
    distance = np.abs(within - np.repeat(sizes // 2, sizes)) / np.repeat(sizes, sizes)
    patients = np.maximum(1, rng.gamma(2.0, 40.0, rows) * np.exp(-4 * distance)).astype(np.int64)
    practice_codes = np.array([f"P{i:05d}" for i in range(practices)], dtype=object)
    practice_lsoa = pd.DataFrame({"practice": practice_codes[practice_idx],
                                  "lsoa": lsoa_codes[lsoa_idx], "patients": patients})

    registered = np.bincount(practice_idx, weights=patients, minlength=practices)
    eligible = np.round(registered * rng.uniform(0.82, 0.9, practices)).astype(np.int64)
    mean_decile = np.bincount(practice_idx, weights=patients * decile[lsoa_idx],
                              minlength=practices) / registered
    n_pcn = max(1, practices // 5)
    pcn = np.minimum(np.arange(practices) * n_pcn // practices, n_pcn - 1)
    place = np.minimum(np.arange(practices) * 42 // practices, 41)
    practice_frame = pd.DataFrame({
        "practice": practice_codes,
        "name": [f"Practice {i}" for i in range(practices)],
        "pcn": [f"U{p:05d}" for p in pcn],
        "place": [f"Q{p:02d}" for p in place],
        "population": eligible,
    })
    scores = pd.DataFrame({"practice": practice_codes,
                           "imd_score": np.round(50 - 4.5 * mean_decile + rng.normal(0, 3, practices), 2),
                           "population": registered.astype(np.int64)})

    # uptake: higher in less deprived practices, growing month by month
    periods = pd.period_range("2023-01", periods=months, freq="M").astype(str).to_numpy()
    base = 0.15 + 0.025 * mean_decile + rng.normal(0, 0.04, practices)
    service_level = np.linspace(1.0, 0.3, services)
    p = (np.clip(base[:, None, None] * service_level[None, :, None]
                 * (1 + 0.015 * np.arange(months))[None, None, :], 0.001, 0.95))
    values = rng.binomial(np.broadcast_to(eligible[:, None, None], p.shape), p)
    obs = pd.DataFrame({
        "practice": np.repeat(practice_codes, services * months),
        "service": np.tile(np.repeat(np.array(SERVICES[:services], dtype=object), months),
                           practices),
        "period": np.tile(periods, practices * services),
        "value": values.ravel(),
    })

    frames = {"practices": practice_frame, "lsoa_imd": lsoa_imd,
              "practice_lsoa": practice_lsoa, "scores": scores, "obs": obs}
    sizes_out = {}
    for name, frame in frames.items():
        path = directory / f"{name}.{fmt}"
        if fmt == "parquet":
            frame.to_parquet(path, index=False)
        else:
            frame.to_csv(path, index=False)
        sizes_out[name] = path.stat().st_size
    return sizes_out


# --------------------------------------------------------------------------------------
# the measured child


DTYPES = {
    "practices": {"practice": str, "name": str, "pcn": str, "place": str, "population": "int64"},
    "lsoa_imd": {"lsoa": str, "imd_decile": "int64"},
    "practice_lsoa": {"practice": str, "lsoa": str, "patients": "int64"},
    "scores": {"practice": str, "imd_score": "float64", "population": "int64"},
    "obs": {"practice": str, "service": str, "period": str, "value": "int64"},
}


def read_inputs(directory: Path, fmt: str) -> dict[str, pd.DataFrame]:
    if fmt == "parquet":
        return {name: pd.read_parquet(directory / f"{name}.parquet") for name in DTYPES}
    return {name: pd.read_csv(directory / f"{name}.csv", dtype=dtypes)
            for name, dtypes in DTYPES.items()}


def analyse(data: dict[str, pd.DataFrame], reps: int) -> tuple[dict, dict[str, float]]:
    """The full analysis of the inputs; returns a summary and the time of each step."""
    from inclusion import analysis

    steps = {}
    t = time.perf_counter()
    panel = analysis.Panel(data["obs"], data["practices"])
    steps["panel"] = time.perf_counter() - t
    t = time.perf_counter()
    rates = analysis.uptake_rates(panel, data["practices"])
    steps["uptake_rates"] = time.perf_counter() - t
    t = time.perf_counter()
    deciles = analysis.by_deprivation(panel, data["practice_lsoa"], data["lsoa_imd"],
                                      data["scores"], population=data["practices"])
    steps["by_deprivation"] = time.perf_counter() - t
    t = time.perf_counter()
    result = analysis.gaps(rates, deciles, reps=reps, seed=1)
    steps["gaps"] = time.perf_counter() - t
    summary = {
        "rate_rows": len(rates),
        "decile_rows": len(deciles),
        "sii": int(result["sii"]["sii"].notna().sum()),
        "sii_trends": len(result["sii_trend"]),
        "rate_trends": len(result["rate_trend"]),
        "compare_rows": len(result["compare"]),
        "funnel_rows": len(result["funnel"]),
        "outliers": len(result["outliers"]),
    }
    return summary, steps


def child(directory: Path, fmt: str, reps: int, repeats: int) -> None:
    sys.path.insert(0, str(ROOT))
    import gc

    # imported before timing, as pandas is for the read: otherwise the first round's
    # analysis would include loading scipy (about a second), not analysing
    import inclusion.analysis  # noqa: F401

    runs = []
    for _ in range(repeats):
        gc.collect()
        wall, cpu = time.perf_counter(), time.process_time()
        data = read_inputs(directory, fmt)
        read = (time.perf_counter() - wall, time.process_time() - cpu)
        wall, cpu = time.perf_counter(), time.process_time()
        summary, steps = analyse(data, reps)
        analysis = (time.perf_counter() - wall, time.process_time() - cpu)
        runs.append({"read": read, "analysis": analysis, "steps": steps})
        rows = {name: len(frame) for name, frame in data.items()}
        del data
    print(json.dumps({"runs": runs, "summary": summary, "rows": rows,
                      "load": os.getloadavg()}))


# --------------------------------------------------------------------------------------
# machine and docs


def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024**2:.1f} GiB"
                break
    except OSError:
        pass
    return {"nproc": str(os.cpu_count()), "cpu": cpu, "memory": memory,
            "python": platform.python_version(), "pandas": pd.__version__,
            "numpy": np.__version__}


INTRO = """{section}

`bench/inclusion.py` (`.venv/bin/python bench/inclusion.py`) generates a deterministic synthetic
England (6,500 practices, 33,000 LSOAs, 800,000 practice-by-LSOA rows, 24 months x 5 services
= 780,000 uptake observations) as files in a temporary directory, then in a child process
reads them with pandas (the baseline) and runs the full analysis of `inclusion.analysis`:
rates with Wilson limits at practice, PCN, place and ICS level for every month and service,
IMD deciles and quintiles by ecological apportionment, SII/RII per month and service with
10,000 Monte Carlo draws each and the SII trend, every community against the ICS and the
best-served fifth, rate trends and funnel limits with outliers.  Targets: the analysis takes
no more than 3x the read, and the child's peak resident memory (getrusage RUSAGE_CHILDREN
ru_maxrss) stays under 2 GB.  Times are medians of 3 read-then-analyse rounds in the same
child, with `inclusion.analysis` (and scipy) imported before the first round, as pandas is for
the read; CPU time (process_time, all threads) is shown beside wall time because the machine is
shared: the load average is recorded with each row.  Each run appends a row.

| when (UTC) | machine | inputs | read, s wall (CPU) | analysis, s wall (CPU) | analysis / read | peak RSS | targets |
|---|---|---|---|---|---|---|---|
"""


def append_docs(row: str) -> None:
    DOCS.parent.mkdir(parents=True, exist_ok=True)
    text = DOCS.read_text(encoding="utf-8") if DOCS.exists() else "# Performance\n"
    if SECTION not in text:
        text = text.rstrip("\n") + "\n\n" + INTRO.format(section=SECTION) + row + "\n"
        DOCS.write_text(text, encoding="utf-8")
        return
    start = text.index(SECTION)
    following = text.find("\n## ", start + len(SECTION))
    end = len(text) if following < 0 else following + 1
    section = text[start:end].rstrip("\n")
    text = text[:start] + section + "\n" + row + "\n" + ("\n" + text[end:] if following >= 0 else "")
    DOCS.write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--practices", type=int, default=6500)
    parser.add_argument("--lsoas", type=int, default=33000)
    parser.add_argument("--rows", type=int, default=800_000, help="practice-by-LSOA rows")
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--services", type=int, default=5)
    parser.add_argument("--reps", type=int, default=10_000, help="Monte Carlo draws per SII")
    parser.add_argument("--format", choices=["csv", "parquet"], default="csv")
    parser.add_argument("--repeats", type=int, default=3,
                        help="read and analyse this many times; the medians are reported")
    parser.add_argument("--no-docs", action="store_true", help="do not append to docs")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        child(Path(args.child), args.format, args.reps, args.repeats)
        return 0
    if args.format == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            print("--format parquet needs pyarrow; use csv", file=sys.stderr)
            return 2
    if args.services > len(SERVICES):
        parser.error(f"at most {len(SERVICES)} services")

    with tempfile.TemporaryDirectory(prefix="dfd-bench-inclusion-") as tmp:
        directory = Path(tmp)
        started = time.perf_counter()
        sizes = generate(directory, practices=args.practices, lsoas=args.lsoas, rows=args.rows,
                         months=args.months, services=args.services, fmt=args.format)
        print(f"generated in {time.perf_counter() - started:.1f}s: "
              + ", ".join(f"{k} {v / 1e6:.1f} MB" for k, v in sizes.items()))
        load_before = os.getloadavg()
        done = subprocess.run(
            [sys.executable, __file__, "--child", str(directory), "--format", args.format,
             "--reps", str(args.reps), "--repeats", str(args.repeats)],
            capture_output=True, text=True, check=False,
        )
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # KiB on Linux
    if done.returncode != 0:
        print(done.stdout, done.stderr, sep="\n", file=sys.stderr)
        return 1
    result = json.loads(done.stdout.strip().splitlines()[-1])
    runs = result["runs"]

    def median(values):
        return float(np.median(values))

    read_s = median([r["read"][0] for r in runs])
    analysis_s = median([r["analysis"][0] for r in runs])
    read_cpu = median([r["read"][1] for r in runs])
    analysis_cpu = median([r["analysis"][1] for r in runs])
    best_ratio = min(r["analysis"][0] / r["read"][0] for r in runs)
    ratio = analysis_s / read_s
    ok_ratio, ok_memory = ratio <= TARGET_RATIO, peak < TARGET_BYTES
    steps = {k: median([r["steps"][k] for r in runs]) for k in runs[0]["steps"]}
    m = machine()
    load = ", ".join(f"{x:.1f}" for x in load_before) + " before; " + ", ".join(
        f"{x:.1f}" for x in result["load"]) + " after"
    summary = result["summary"]
    print(f"inputs: {', '.join(f'{k} {v:,}' for k, v in result['rows'].items())} rows")
    print(f"read with pandas ({args.format}): {read_s:.2f} s wall, {read_cpu:.2f} s CPU "
          f"(median of {len(runs)})")
    print(f"analysis: {analysis_s:.2f} s wall, {analysis_cpu:.2f} s CPU ("
          + ", ".join(f"{k} {v:.2f} s" for k, v in steps.items()) + ")")
    print(f"analysis / read: {ratio:.2f} wall (best round {best_ratio:.2f}), "
          f"{analysis_cpu / read_cpu:.2f} CPU; target <= {TARGET_RATIO:g}: "
          f"{'met' if ok_ratio else 'NOT met'}")
    print(f"peak RSS of the child: {peak / 1024**2:,.0f} MiB (target < 2 GB: "
          f"{'met' if ok_memory else 'NOT met'})")
    print(f"output: {summary['rate_rows']:,} rate rows, {summary['decile_rows']:,} decile "
          f"rows, {summary['sii']} SIIs ({summary['sii_trends']} trends), "
          f"{summary['rate_trends']:,} rate trends, {summary['compare_rows']:,} comparisons, "
          f"{summary['funnel_rows']:,} funnel rows (latest month), "
          f"{summary['outliers']:,} low outliers")
    print(f"machine: {m['nproc']} CPUs, {m['cpu']}, {m['memory']}; Python {m['python']}, "
          f"pandas {m['pandas']}, numpy {m['numpy']}; load average {load}")
    if not args.no_docs:
        when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M")
        inputs = (f"{args.practices:,} practices, {args.lsoas:,} LSOAs, {args.rows:,} "
                  f"practice-LSOA rows, {args.months} months x {args.services} services, "
                  f"{args.format}, {args.reps:,} draws")
        row = (f"| {when} | {m['nproc']} x {m['cpu']}, {m['memory']}, Python {m['python']}, "
               f"pandas {m['pandas']}; load {load} | {inputs} | {read_s:.2f} ({read_cpu:.2f}) | "
               f"{analysis_s:.2f} ({analysis_cpu:.2f}) | {ratio:.2f} wall (best round "
               f"{best_ratio:.2f}), {analysis_cpu / read_cpu:.2f} CPU | "
               f"{peak / 1024**2:,.0f} MiB | ratio {'met' if ok_ratio else 'NOT met'}, "
               f"memory {'met' if ok_memory else 'NOT met'} |")
        append_docs(row)
        print(f"appended to {DOCS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

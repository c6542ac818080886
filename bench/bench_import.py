"""Benchmark: import of 100 000 assignment rows (CSV) into SQLite (and PostgreSQL if a URL
is given), side by side with the floor — reading and parsing the same file without writing.

    .venv/bin/python bench/bench_import.py [--rows 100000] [--postgres URL]

Prints a Markdown table for docs/performance.md. Ratios matter more than seconds: this
runs on noisy shared machines.
"""

from __future__ import annotations

import argparse
import csv
import gc
import platform
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from storage.db import make_engine, migrate  # noqa: E402
from storage.importer import import_file, parse_assignments, read_table  # noqa: E402

HEADER = ["Uppdrag/Nämndinitiativ", "Målområde", "Titel", "Ansvarig avdelning", "Slutdatum",
          "Status", "Prognos för slutförande", "Senaste kommentar", "Kommentarsdatum"]
UNITS = ["IT-enheten", "Stab- och planeringsavdelningen", "Ekonomiavdelningen",
         "Näringslivsenheten", "Räddningstjänsten", "HR-avdelningen", "Kommundirektör"]


def write_file(path: Path, rows: int) -> None:
    rng = random.Random(42)
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f, delimiter=";")
        out.writerow(HEADER)
        for i in range(rows):
            due = rng.choice([f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                              f"kvartal {rng.randint(1, 4)} 2026", "2027"])
            out.writerow([
                rng.choice(["Uppdrag", "Nämndinitiativ"]),
                f"{rng.randint(1, 6)}. Målområde {rng.randint(1, 6)}",
                f"Uppdrag nummer {i}: utreda förutsättningarna för åtgärd {rng.randint(1, 10**6)}",
                rng.choice(UNITS),
                due,
                rng.choice(["Ej påbörjad", "Påbörjad", "Slutförd"]),
                rng.choice(["Enligt plan", "Avvikelse från plan"]),
                f"Arbetet pågår enligt tidplan; avstämning sker löpande ({i}).",
                "2025-07-31",
            ])


def timed(fn) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    gc.collect()
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--postgres", help="postgresql+psycopg://… of an EMPTY database")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "uppdrag.csv"
        write_file(path, args.rows)
        floor, _ = timed(lambda: parse_assignments(read_table(path)))
        results = [("read + parse only (floor)", floor, None)]
        targets = [("SQLite", f"sqlite:///{tmp}/bench.db")]
        if args.postgres:
            targets.append(("PostgreSQL", args.postgres))
        for name, url in targets:
            engine = make_engine(url)
            migrate(engine)
            first, r1 = timed(lambda e=engine: import_file(e, path))
            again, r2 = timed(lambda e=engine: import_file(e, path))
            assert r1.created == args.rows and r2.unchanged == args.rows, (r1, r2)
            results.append((f"{name}: first import", first, r1))
            results.append((f"{name}: same file again (no-op)", again, r2))
            engine.dispose()
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.rows} assignment rows, {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}\n")
    print("| step | seconds | rows/s | × floor |")
    print("|---|---:|---:|---:|")
    for label, seconds, _ in results:
        print(f"| {label} | {seconds:.2f} | {args.rows / seconds:,.0f} | {seconds / floor:.1f} |")
    print(f"\npeak RSS of the whole run: {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()

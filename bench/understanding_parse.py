"""Parse accuracy of the understanding on the labelled corpora and the held-out sets, per
kind and language (no bot, no database: understanding.Understander on demo catalogs).

    .venv/bin/python bench/understanding_parse.py [--failures] [--heldout-only]
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "understanding")]

from labels import (  # noqa: E402
    Case,
    corpus_cases,
    heldout2_cases,
    heldout3_cases,
    heldout_cases,
    run,
)

from understanding import Understander  # noqa: E402


def table(title: str, cases: list[Case], results: dict[str, list[str]]) -> str:
    cells: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for case in cases:
        for key in ((case.kind, case.lang), (case.kind, "all"), ("all", case.lang),
                    ("all", "all")):
            cells[key][1] += 1
            cells[key][0] += not results[case.id]
    kinds = sorted({c.kind for c in cases}) + ["all"]
    langs = ["sv", "en", "fi", "all"]
    lines = [title, f"{'kind':<12}" + "".join(f"{lang:>12}" for lang in langs)]
    for kind in kinds:
        row = f"{kind:<12}"
        for lang in langs:
            ok, n = cells.get((kind, lang), [0, 0])
            row += f"{f'{ok}/{n} {100 * ok / n:.0f}%' if n else '-':>12}"
        lines.append(row)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--failures", action="store_true")
    parser.add_argument("--heldout-only", action="store_true")
    args = parser.parse_args()
    understander = Understander()
    sets = [("held-out", heldout_cases()), ("held-out 2", heldout2_cases()),
            ("held-out 3", heldout3_cases())]
    if not args.heldout_only:
        sets.insert(0, ("corpus", corpus_cases()))
    for title, cases in sets:
        results = {c.id: run(c, understander) for c in cases}
        print(table(f"\n{title}: parse accuracy", cases, results))
        if args.failures:
            for case in cases:
                for error in results[case.id]:
                    print(f"  {case.id}: {error}")


if __name__ == "__main__":
    main()

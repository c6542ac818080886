"""How well does Läget understand its users? Runs the labelled question corpora
(tests/understanding/corpus/*.txt for Norrtälje, corpus/<org>/*.txt for the other demo
organisations, corpus/<org>+<name>/ after importing its files) through the bot's HTTP
endpoint, exactly as tests/understanding/test_corpus.py does, and prints the share of cases
answered correctly per kind and language, one table per organisation.

    python bench/understanding.py [--org lovisa] [--lang sv] [--kind follow_up] [--show-failures]
                                  [--set heldout3]   (a held-out set instead of the corpora)

The bot runs in-process on a fresh SQLite database with the demo data and today fixed at
2025-09-15; each case is sent from its organisation's tenant. A case passes when every turn's
reply shows what expected.py computes from that organisation's demo CSV files and nothing it
must not.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "tests", ROOT / "tests" / "understanding"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from runner import (  # noqa: E402
    HTTP_HELDOUT,
    KINDS,
    LOCALES,
    ORGS,
    CaseResult,
    accuracy_tables,
    load_cases,
    run_case,
    running_corpus_bot,
)


async def run(langs: list[str], kinds: list[str] | None, orgs: list[str],
              source: str = "corpus") -> tuple[list[CaseResult], float]:
    cases = [c for c in load_cases(langs, orgs, source) if not kinds or c.kind in kinds]
    results: list[CaseResult] = []
    seconds = 0.0
    # the demo corpora on one bot; a corpus with import files on a bot of its own
    groups = sorted({c.org if "+" in c.org else "" for c in cases})
    for group in groups:
        with tempfile.TemporaryDirectory(prefix="laget-understanding-") as tmp:
            async with running_corpus_bot(f"sqlite:///{Path(tmp) / 'laget.db'}",
                                          group or ORGS[0]) as client:
                started = time.perf_counter()
                results += [await run_case(client, case) for case in cases
                            if (case.org if "+" in case.org else "") == group]
                seconds += time.perf_counter() - started
    order = {id(c): n for n, c in enumerate(cases)}
    return sorted(results, key=lambda r: order[id(r.case)]), seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--org", action="append", choices=ORGS,
                        help="only this organisation's corpus (repeatable; default: all)")
    parser.add_argument("--lang", action="append", choices=sorted(LOCALES),
                        help="only this language (repeatable; default: all)")
    parser.add_argument("--kind", action="append", choices=KINDS,
                        help="only this kind of question (repeatable; default: all)")
    parser.add_argument("--set", choices=("corpus", *HTTP_HELDOUT), default="corpus",
                        help="the corpora (default) or a held-out set (Norrtälje's)")
    parser.add_argument("--show-failures", action="store_true",
                        help="print every failing question with what was missing or wrong")
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)  # the bot logs every turn it did not understand

    results, seconds = asyncio.run(run(args.lang or list(LOCALES), args.kind,
                                       args.org or list(ORGS), args.set))
    turns = sum(len(r.turns) for r in results)
    if args.show_failures:
        failures = [r for r in results if not r.ok]
        print(f"Failing cases: {len(failures)}\n")
        for result in failures:
            print(result.describe(), end="\n\n")
    print(accuracy_tables(results))
    print(f"\n{len(results)} cases, {turns} turns in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

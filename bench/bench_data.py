"""Fills a database with the demo organisations plus N synthetic assignments and M comments
in the default organisation (Norrtälje), for the turn benchmarks. Plain bulk inserts, in a
session scoped to that organisation (row-level security on PostgreSQL); the importer would
take minutes for 200 000 comments.

    .venv/bin/python bench/bench_data.py DATABASE_URL [--assignments 20000] [--comments 200000]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select  # noqa: E402

from storage.db import make_engine, migrate, session  # noqa: E402
from storage.demo import load_demo  # noqa: E402
from storage.domain import normalize  # noqa: E402
from storage.models import Assignment, StatusComment, Unit  # noqa: E402

BATCH = 5000


def populate(url: str, assignments: int = 20_000, comments: int = 200_000) -> dict[str, float]:
    began = time.perf_counter()
    engine = make_engine(url)
    migrate(engine)
    load_demo(engine)
    rng = random.Random(7)
    org = 1  # the first demo organisation: the default in local mode
    with session(engine, org) as s, s.begin():
        conn = s.connection()
        unit_ids = [row[0] for row in conn.execute(select(Unit.id)
                                                   .where(Unit.organisation_id == org))]
        first_number = (conn.execute(select(Assignment.number)
                                     .where(Assignment.organisation_id == org)
                                     .order_by(Assignment.number.desc()))
                        .scalars().first() or 0) + 1
        rows = []
        for i in range(assignments):
            kind = rng.choice(["Uppdrag", "Nämndinitiativ"])
            title = f"Syntetiskt uppdrag {i}: utreda åtgärd {rng.randint(1, 10**6)}"
            rows.append({
                "organisation_id": org, "number": first_number + i,
                "kind": kind, "goal_area": f"{rng.randint(1, 6)}. Mål",
                "title": title, "unit_id": rng.choice(unit_ids),
                "due_date": date(2023, 1, 1) + timedelta(days=rng.randint(0, 5 * 365)),
                "status": rng.choice(["not_started", "started", "completed"]),
                "forecast": rng.choice(["on_plan", "deviation"]),
                "kind_key": normalize(kind), "title_key": normalize(title), "version": 1,
                "updated_at": datetime(2025, 7, 31, tzinfo=UTC),
            })
        for start in range(0, len(rows), BATCH):
            conn.execute(insert(Assignment), rows[start:start + BATCH])
        # Ids come from the database (other organisations' rows are invisible here under
        # PostgreSQL's row-level security, so their ids can't be counted on).
        id_of = dict(conn.execute(select(Assignment.number, Assignment.id)
                                  .where(Assignment.organisation_id == org,
                                         Assignment.number >= first_number)).all())
        per = max(1, comments // max(1, assignments))
        batch: list[dict] = []
        made = 0
        for i in range(assignments):
            for j in range(per):
                if made >= comments:
                    break
                batch.append({
                    "organisation_id": org, "assignment_id": id_of[first_number + i],
                    "text": f"Lägesrapport {j}: arbetet fortgår, avstämning med nämnden ({i}).",
                    "author": "import", "author_id": "", "changes": "",
                    "created_at": datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=j * 30,
                                                                               minutes=i),
                })
                made += 1
            if len(batch) >= BATCH:
                conn.execute(insert(StatusComment), batch)
                batch = []
        if batch:
            conn.execute(insert(StatusComment), batch)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
    else:
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    return {"seconds": time.perf_counter() - began}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--assignments", type=int, default=20_000)
    parser.add_argument("--comments", type=int, default=200_000)
    args = parser.parse_args()
    print(populate(args.url, args.assignments, args.comments))


if __name__ == "__main__":
    main()

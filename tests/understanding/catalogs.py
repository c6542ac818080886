"""Catalogs of the demo organisations, built from storage/demo CSV files with the csv module
only, as the dialogs would build them from the database: units with their aliases, the
assignments numbered 1… in file order, kinds and goal areas as they appear."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

from understanding.catalog import AssignmentEntry, Catalog, IndicatorEntry, UnitEntry

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "storage" / "demo"
LANGUAGES = {"norrtalje": ("sv", "en"), "lovisa": ("fi", "sv", "en"), "lerum": ("sv", "en"),
             "nykoping": ("sv", "en"), "alingsas": ("sv", "en")}


def demo_file(org: str, name: str) -> Path | None:
    for path in (DEMO / org / name, DEMO / name if org == "norrtalje" else None):
        if path is not None and path.is_file():
            return path
    return None


def _rows(org: str, name: str) -> list[dict[str, str]]:
    path = demo_file(org, name)
    if path is None:
        return []
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def _year(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() else None


@cache
def catalog(org: str = "norrtalje") -> Catalog:
    names: list[str] = []
    parents: dict[str, str] = {}
    for r in _rows(org, "units.csv"):
        names.append(r["Enhet"].strip())
        if r.get("Överordnad", "").strip():
            parents[r["Enhet"].strip()] = r["Överordnad"].strip()
    for r in _rows(org, "finance.csv"):
        if r["Verksamhet"].strip() not in names:
            names.append(r["Verksamhet"].strip())
    aliases: dict[str, list[str]] = {n: [] for n in names}
    for r in _rows(org, "unit_aliases.csv"):
        unit = r["unit"].strip()
        if unit not in aliases:
            names.append(unit)
            aliases[unit] = []
        aliases[unit].append(r["alias"].strip())
    ids = {name: i for i, name in enumerate(names, 1)}
    lookup = {n.casefold(): ids[n] for n in names}
    for unit, words in aliases.items():
        for w in words:
            lookup.setdefault(w.casefold(), ids[unit])
    units = tuple(UnitEntry(ids[n], n, tuple(aliases[n]), ids.get(parents.get(n, "")))
                  for n in names)
    assignments = []
    kinds: list[str] = []
    goals: list[str] = []
    for number, r in enumerate(_rows(org, "assignments.csv"), 1):
        kind = r["Uppdrag/Nämndinitiativ"].strip()
        goal = " ".join(r["Målområde"].split())
        kinds += [kind] if kind not in kinds else []
        goals += [goal] if goal and goal not in goals else []
        unit = lookup.get(r["Ansvarig avdelning"].strip().casefold(), 0)
        assignments.append(AssignmentEntry(number, " ".join(r["Titel"].split()), kind, goal,
                                           unit))
    indicators: list[IndicatorEntry] = []
    seen: set[str] = set()
    for r in _rows(org, "indicators.csv"):
        name = " ".join(r["Nyckeltal"].split())
        if name in seen:
            continue
        seen.add(name)
        indicators.append(IndicatorEntry(len(indicators) + 1, name,
                                         lookup.get(r["Ansvarig"].strip().casefold()),
                                         " ".join(r.get("Mål", "").split()),
                                         r.get("Kolada-id", "").strip()))
    lines: list[str] = []
    years: list[int] = []
    for r in _rows(org, "budget.csv"):
        if r["Rad"].strip() not in lines:
            lines.append(r["Rad"].strip())
        year = _year(r["År"])
        if year and year not in years:
            years.append(year)
    return Catalog(version=f"demo-{org}-1", units=units, assignments=tuple(assignments),
                   indicators=tuple(indicators), kinds=tuple(kinds), goal_areas=tuple(goals),
                   budget_lines=tuple(lines), budget_years=tuple(sorted(years)),
                   languages=LANGUAGES.get(org, ("sv", "en")))

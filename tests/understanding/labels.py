"""Corpus and held-out cases at the parse level: a label (tests/understanding/expected.py's
grammar, plus the verbs below) → what the Question must say.

Extra verbs (the held-out sets use them; the corpus grammar has no words for these):
    budget [unit=U] [year=Y] [years=A-B] [line=L]       (org=lovisa)
    indicators [indicator=WORDS] [judgement=J] [by_gender] [unit=U]
    update number=N | title=WORDS;  subscribe rest=TEXT;  unsubscribe rest=TEXT
    subscriptions | reminders_off | reminders_on | my_assignments | unknown;  snooze days=N
Any label may add as_text (the answer again as text) and org=ORG (another demo catalog).
Assignment sets are compared as sets of numbers: a title=WORDS label is met by the numbers of
exactly the assignments whose titles contain WORDS.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import expected as ex
from catalogs import catalog

from storage.domain import normalize as storage_key
from understanding import Context, Intent, Question, Understander
from understanding.question import Form

HERE = Path(__file__).resolve().parent
CORPUS_DIRS = (HERE / "corpus",)
HELDOUT_DIR = HERE / "heldout"
TODAY = ex.TODAY
NOW = datetime(TODAY.year, TODAY.month, TODAY.day, 10, 0)
EXTRA_VERBS = {"budget", "indicators", "update", "subscribe", "unsubscribe", "subscriptions",
               "reminders_off", "reminders_on", "my_assignments", "unknown", "snooze"}


@dataclass(frozen=True)
class Case:
    source: str  # corpus | heldout
    lang: str
    kind: str
    line: int
    questions: tuple[str, ...]
    labels: tuple[str, ...]

    @property
    def id(self) -> str:
        return f"{self.source}-{self.lang}-{self.kind}-{self.line}"


def load(path: Path, source: str) -> list[Case]:
    cases = []
    lang = path.stem
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = [p.strip() for p in line.split(" | ")]
        if len(parts) != 3:
            raise ValueError(f"{path.name}:{number}: not KIND | QUESTION | LABEL")
        kind, questions, labels = parts
        qs = tuple(q.strip() for q in questions.split(" >> "))
        ls = tuple(lab.strip() for lab in labels.split(" >> "))
        if len(qs) != len(ls):
            raise ValueError(f"{path.name}:{number}: {len(qs)} turns but {len(ls)} labels")
        cases.append(Case(source, lang, kind, number, qs, ls))
    return cases


def corpus_dir() -> Path:
    return HERE / "corpus"


def corpus_cases() -> list[Case]:
    return [c for lang in ("sv", "en", "fi") if (corpus_dir() / f"{lang}.txt").exists()
            for c in load(corpus_dir() / f"{lang}.txt", "corpus")]


def heldout_cases() -> list[Case]:
    return [c for lang in ("sv", "en", "fi") for c in load(HELDOUT_DIR / f"{lang}.txt", "heldout")]


def heldout2_cases() -> list[Case]:
    """The second held-out set (written after tuning, scored before any change for it)."""
    return [c for lang in ("sv", "en", "fi")
            for c in load(HERE / "heldout2" / f"{lang}.txt", "heldout2")]


def heldout3_cases() -> list[Case]:
    """The third held-out set (corpus grammar; also run through the HTTP endpoint by
    test_corpus.py and bench/understanding.py --set heldout3)."""
    return [c for lang in ("sv", "en", "fi")
            for c in load(HERE / "heldout3" / f"{lang}.txt", "heldout3")]


# --- labels ---------------------------------------------------------------------------------


def split_label(text: str) -> tuple[str, dict[str, str]]:
    tokens = shlex.split(text)
    args: dict[str, str] = {}
    for token in tokens[1:]:
        key, _, value = token.partition("=")
        args[key] = value
    return tokens[0], args


def _unit_id(org: str, name: str) -> int:
    for unit in catalog(org).units:
        if unit.name == name or name in unit.aliases:
            return unit.id
    raise ValueError(f"no unit {name!r} in {org}")


def _goal(org: str, number: str) -> str:
    for goal in catalog(org).goal_areas:
        if re.match(rf"\s*{int(number)}[.)\s]", goal):
            return goal
    raise ValueError(f"no goal area {number} in {org}")


def _title_numbers(org: str, words: str) -> set[int]:
    return {a.number for a in catalog(org).assignments if words.casefold() in a.title.casefold()}


def _selected(org: str, q: Question) -> set[int]:
    """The assignments a question's numbers or words pick (the rest of the filter aside)."""
    flt = q.filter
    numbers = {a.number for a in catalog(org).assignments}
    if flt.numbers:
        numbers &= set(flt.numbers)
    if flt.words:
        from understanding.normalize import fold
        numbers = {a.number for a in catalog(org).assignments if a.number in numbers
                   and all(w in fold(a.title.casefold()) for w in flt.words)}
    return numbers


def check(q: Question, label: str, previous_numbers: tuple[int, ...] = ()) -> list[str]:
    """What is wrong with q for this label (empty: right)."""
    verb, args = split_label(label)
    org = args.pop("org", "norrtalje")
    as_text = "as_text" in args
    args.pop("as_text", None)
    errors: list[str] = []

    def want(name: str, got: object, expected: object) -> None:
        if got != expected:
            errors.append(f"{name}: got {got!r}, expected {expected!r}")

    if as_text:  # the corpus grammar cannot say it; "som text" repeats the previous label
        want("as_text", q.as_text, True)
    if verb == "forecast":
        want("intent", q.intent, Intent.FINANCE)
        want("form", q.form, Form.UNIT)
        want("units", q.units, (_unit_id(org, args["unit"]),))
    elif verb == "finance_rank":
        want("intent", q.intent, Intent.FINANCE)
        want("form", q.form, Form.RANK)
        want("measure", q.measure and q.measure.value, args["by"])
        want("top", q.top, int(args.get("n") or 1))
    elif verb == "finance_total":
        want("intent", q.intent, Intent.FINANCE)
        want("form", q.form, Form.TOTAL)
    elif verb == "finance_units":
        want("intent", q.intent, Intent.FINANCE)
        want("form", q.form, Form.WHICH)
        want("balance", q.balance and q.balance.value, args["which"])
    elif verb in ("list", "count", "detail"):
        want("intent", q.intent, Intent.ASSIGNMENTS)
        want("form", q.form, {"list": Form.LIST, "count": Form.COUNT,
                              "detail": Form.DETAIL}[verb])
        args.pop("show", None)
        if verb == "detail":
            if "nth" in args:
                n = int(args["nth"])
                one = previous_numbers[n - 1] if 0 < n <= len(previous_numbers) else None
            else:
                found = _title_numbers(org, args["title"]) if "title" in args else set()
                if "title" not in args:
                    found = {a.number for a in ex.select(args)} if org == "norrtalje" else set()
                one = next(iter(found)) if len(found) == 1 else None
            want("numbers", q.filter.numbers, (one,))
            return errors
        flt = q.filter
        want("page", q.page, int(args.get("page") or 1))
        want("units", flt.unit_ids, (_unit_id(org, args["unit"]),) if "unit" in args else ())
        want("kinds", flt.kinds, (args["kind"],) if "kind" in args else ())
        status = args.get("status")
        want("statuses", flt.statuses, (status,) if status and status != "open" else ())
        want("open_only", flt.open_only, status == "open")
        want("forecasts", flt.forecasts, (args["forecast"],) if "forecast" in args else ())
        want("goal_areas", flt.goal_areas, (_goal(org, args["goal"]),) if "goal" in args else ())
        want("overdue", flt.overdue, "overdue" in args)
        want("due_from", flt.due_from,
             date.fromisoformat(args["due_from"]) if "due_from" in args else None)
        want("due_to", flt.due_to, date.fromisoformat(args["due_to"]) if "due_to" in args else None)
        if "title" in args:
            want("title matches", _selected(org, q), _title_numbers(org, args["title"]))
        else:
            want("numbers/words", (flt.numbers, flt.words), ((), ()))
    elif verb in ("summary", "help", "units", "subscriptions", "reminders_off", "reminders_on",
                  "my_assignments", "unknown"):
        want("intent", q.intent, Intent(verb))
        if verb == "units":
            want("units", q.units, (_unit_id(org, args["unit"]),) if "unit" in args else ())
    elif verb == "budget":
        want("intent", q.intent, Intent.BUDGET)
        want("units", q.units, (_unit_id(org, args["unit"]),) if "unit" in args else ())
        want("year", q.year, int(args["year"]) if "year" in args else None)
        years = tuple(int(y) for y in args["years"].split("-")) if "years" in args else None
        want("years", q.years, years)
        want("budget_line", q.budget_line, storage_key(args["line"]) if "line" in args else None)
        want("form", q.form, Form.CHANGE if years else Form.UNIT)
    elif verb == "indicators":
        want("intent", q.intent, Intent.INDICATORS)
        if "indicator" in args:
            ids = {i.id for i in catalog(org).indicators
                   if args["indicator"].casefold() in i.name.casefold()}
            want("indicators", set(q.indicators), ids)
        else:
            want("indicators", q.indicators, ())
        want("judgement", q.judgement and q.judgement.value, args.get("judgement"))
        want("by_gender", q.by_gender, "by_gender" in args)
        want("units", q.units, (_unit_id(org, args["unit"]),) if "unit" in args else ())
    elif verb == "update":
        want("intent", q.intent, Intent.UPDATE)
        if "number" in args:
            want("numbers", q.filter.numbers, (int(args["number"]),))
        else:
            want("title matches", _selected(org, q), _title_numbers(org, args["title"]))
    elif verb in ("subscribe", "unsubscribe"):
        want("intent", q.intent, Intent(verb))
        want("rest", q.rest, args.get("rest", ""))
    elif verb == "snooze":
        want("intent", q.intent, Intent.SNOOZE)
        want("days", q.days, int(args["days"]))
    else:
        errors.append(f"unknown verb {verb!r}")
    return errors


def list_numbers(label: str) -> tuple[int, ...]:
    """The numbers a list label shows, in display order (the page shown), for nth=."""
    verb, args = split_label(label)
    if verb != "list" or args.get("org", "norrtalje") != "norrtalje":
        return ()
    args = {k: v for k, v in args.items() if k not in ("as_text", "org")}
    return tuple(a.number for a in ex.page_of(args))


def shown_units(label: str) -> tuple[int, ...]:
    """The units a finance ranking or "which units" label shows, in order."""
    verb, args = split_label(label)
    if args.get("org", "norrtalje") != "norrtalje":
        return ()
    rows = list(ex.finance())
    if verb == "finance_rank":
        by = args["by"]
        if by == "surplus":
            ranked = sorted((f for f in rows if f.deviation > 0), key=lambda f: -f.deviation)
        elif by == "deficit":
            ranked = sorted((f for f in rows if f.deviation < 0), key=lambda f: f.deviation)
        else:
            ranked = sorted(rows, key=lambda f: f.budget_year if by == "budget"
                            else f.forecast_year)
        names = [f.unit for f in ranked][: int(args.get("n") or 1)]
    elif verb == "finance_units":
        test = {"deficit": lambda d: d < 0, "surplus": lambda d: d > 0,
                "balanced": lambda d: d == 0}[args["which"]]
        names = [f.unit for f in rows if test(f.deviation)]
    elif verb == "forecast":
        names = [args["unit"]]
    else:
        return ()
    return tuple(_unit_id("norrtalje", n) for n in names)


def run(case: Case, understander: Understander) -> list[str]:
    """Every turn of a case; the errors of the first wrong turn, prefixed with it."""
    context: Context | None = None
    now = NOW
    for turn, (text, label) in enumerate(zip(case.questions, case.labels, strict=True)):
        org = split_label(label)[1].get("org", "norrtalje")
        q = understander.understand(text, catalog(org), TODAY, context=context, now=now)
        previous = context.numbers if context else ()
        errors = check(q, label, previous)
        if errors:
            return [f"turn {turn + 1} {text!r} [{label}] → {q.to_data()}: " + "; ".join(errors)]
        numbers = list_numbers(label)
        context = Context(q, numbers, q.page, now, shown_units(label))
        now += timedelta(minutes=1)
    return []

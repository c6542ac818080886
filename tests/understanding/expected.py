"""The expected answer content of a corpus label, computed from the demo CSV files only.

Nothing here imports the bot: the labels (see corpus/*.txt) are resolved with the csv module
and plain Python against the Norrtälje demo CSV files, so the corpus measures the bot instead of
repeating it. `expected(label, lang, previous)` returns what a correct reply must contain and
must not contain; tests/understanding/runner.py checks a reply against it.

Label grammar (space-separated, values with spaces quoted: unit="Stab och planering"):

    forecast unit=U                       one unit's full-year figures
    finance_rank by=surplus|deficit|budget|forecast [n=N]
    finance_total                         the sum over all units
    finance_units which=deficit|surplus|balanced
    list FILTERS [page=N]                 assignments, due date ascending, 30 a page
    count FILTERS
    detail FILTERS [show=due,unit,comment,status]   exactly one assignment (or nth=N)
    summary | help | units

    FILTERS: unit=U kind=Uppdrag|Nämndinitiativ status=not_started|started|completed|open
             forecast=on_plan|deviation goal=N overdue due_from=YYYY-MM-DD due_to=YYYY-MM-DD
             title=WORDS nth=N (the N-th item of the previous turn's list)

    title= is a case-insensitive substring of the title as printed; for detail it must
    match exactly one assignment, for list it may match several. nth= needs `previous`,
    the label of the turn before, which must be a list (its page counts).

What a reply must show (contains) and must not show (absent):

    list      the titles of the page (due date ascending, no date last, then title in
              Swedish order), absent: the title of every assignment the filters exclude;
              an empty page: none=True
    count     the number in digits; 0: none=True (a standalone 0 also says so)
    detail    the title, and: the due date (show=due, the default; sv/en 2025-12-01,
              fi 1.12.2025), the canonical unit (show=unit), the start of the latest comment
              (show=comment), the report's status word in Swedish replies (show=status);
              absent: every other title
    forecast  budget helår, prognos, signed deviation (-41 225, -39 853, +1 372; 0 when
              none); absent: the other units' Prognos figures
    finance_rank   the first n units and their figure (surplus: the deviation, budget /
              forecast: the largest cost frame, i.e. the most negative figure); none when no
              unit qualifies (by=deficit here)
    finance_total  the summed budget, forecast and signed deviation
    finance_units  the units of the set, absent: the others; an empty set: none=True
    summary   the totals per kind and overall (21, 15, 36); units: the seven canonical names;
              help: any reply

A title is recognised by its beginning (TITLE_CHARS, cut at a word, no final full stop), so
that a card may shorten long titles; a title that must be absent is looked for the same way,
or as printed in full where its beginning is quoted in another assignment's comment. A
none=True reply must hold a "none" word (NONE_WORDS) and name what there is none of
(Expectation.topics: the unit asked about, overdue / due words, "more" for a page past the
end, deficit words), outside quotation marks.
"""

from __future__ import annotations

import csv
import re
import shlex
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The Norrtälje report: storage/demo/norrtalje/ (storage/demo/ before the demo held several
# organisations).
DEMO = next(d for d in (ROOT / "storage" / "demo" / "norrtalje", ROOT / "storage" / "demo")
            if (d / "assignments.csv").exists())
TODAY = date(2025, 9, 15)  # LAGET_TODAY of the corpus run
PAGE_SIZE = 30
TITLE_CHARS = 60  # a title is recognised by its beginning, cut at a word, at most this long
COMMENT_CHARS = 60

# A reply to a question whose answer is empty must say so with one of these (whole words).
NONE_WORDS = {
    "sv": ("ingen", "inga", "inget", "inte några", "saknas", "nej"),
    "en": ("no", "none", "nothing", "not any"),
    "fi": ("ei", "yksikään", "mikään", "yhtään", "ei ole"),
}
# ... and, so that "I can't find a unit called 'this week'" does not count as saying so, name
# what there is none of: one word (a word beginning) of each topic the question has.
TOPIC_WORDS = {
    "assignments": {"sv": ("uppdrag", "initiativ", "nämndinitiativ"),
                    "en": ("assignment", "initiative", "task"),
                    "fi": ("tehtäv", "aloit", "toimeksian")},
    "due": {"sv": ("förfall", "slutdatum", "deadline", "klar", "färdig", "leverera"),
            "en": ("due", "deadline", "finish", "complete", "done", "deliver"),
            "fi": ("eräänty", "erääntyv", "määräai", "eräpäiv", "valmi")},
    "overdue": {"sv": ("försen", "passera", "förfallen"),
                "en": ("overdue", "late", "past due", "behind"),
                "fi": ("myöhä", "määräaika on mennyt", "ylittä")},
    "more": {"sv": ("fler", "mer", "sista", "sida", "slut", "alla"),
             "en": ("more", "last", "page", "end", "all"),
             "fi": ("lisää", "enempää", "viimei", "sivu", "kaikki")},
    "deficit": {"sv": ("underskott", "över budget", "överskrid", "negativ"),
                "en": ("deficit", "over budget", "overspen", "negative", "exceed"),
                "fi": ("alijää", "ylit", "negatiivi")},
}
# Report wording of status, shown in Swedish replies (sv: show=status).
STATUS_SV = {"not_started": "Ej påbörjad", "started": "Påbörjad", "completed": "Slutförd"}

STATUS_CSV = {"Ej påbörjad": "not_started", "Påbörjad": "started", "Slutförd": "completed"}
FORECAST_CSV = {"Enligt plan": "on_plan", "Avvikelse från plan": "deviation"}
KINDS = ("Uppdrag", "Nämndinitiativ")
FILTER_KEYS = {"unit", "kind", "status", "forecast", "goal", "overdue", "due_from", "due_to",
               "title", "page", "nth"}
SHOW = {"due", "unit", "comment", "status"}


@dataclass(frozen=True)
class Expectation:
    contains: list[str] = field(default_factory=list)  # every one must be in the reply
    absent: list[str] = field(default_factory=list)  # none of these may be
    none: bool = False  # the answer is empty: the reply must say so (NONE_WORDS)
    zero_ok: bool = False  # for none: a standalone "0" says so as well (counts)
    # for none: groups of words; the reply must show one word of every group (TOPIC_WORDS)
    topics: list[list[str]] = field(default_factory=list)


@dataclass(frozen=True)
class Assignment:
    number: int  # 1-based row in assignments.csv (the order the demo import creates them)
    kind: str
    goal: int
    title: str
    unit: str  # canonical unit name
    due: date | None
    status: str  # not_started | started | completed
    forecast: str  # on_plan | deviation
    comment: str


@dataclass(frozen=True)
class Finance:
    unit: str
    budget_year: Decimal
    forecast_year: Decimal

    @property
    def deviation(self) -> Decimal:
        return self.forecast_year - self.budget_year


class LabelError(ValueError):
    pass


# --- data -----------------------------------------------------------------------------------


def normalize(text: str) -> str:
    return " ".join(text.split())


def _number(text: str) -> Decimal:
    cleaned = text.replace("\u2212", "-").replace("\xa0", "").replace(" ", "").replace(",", ".")
    return Decimal(cleaned)


def read_demo(name: str) -> list[dict[str, str]]:
    with open(DEMO / name, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


@cache
def finance() -> tuple[Finance, ...]:
    return tuple(
        Finance(r["Verksamhet"].strip(), _number(r["Budget helår"]), _number(r["Prognos"]))
        for r in read_demo("finance.csv")
    )


@cache
def unit_names() -> tuple[str, ...]:
    return tuple(f.unit for f in finance())


@cache
def _alias_index() -> dict[str, str]:
    index = {name.casefold(): name for name in unit_names()}
    for r in read_demo("unit_aliases.csv"):
        index.setdefault(r["alias"].strip().casefold(), r["unit"].strip())
    return index


def canonical_unit(name: str) -> str:
    try:
        return _alias_index()[name.strip().casefold()]
    except KeyError:
        raise LabelError(f"unknown unit {name!r}") from None


@cache
def assignments() -> tuple[Assignment, ...]:
    result = []
    for number, r in enumerate(read_demo("assignments.csv"), 1):
        due = r["Slutdatum"].strip()
        result.append(Assignment(
            number=number,
            kind=r["Uppdrag/Nämndinitiativ"].strip(),
            goal=int(r["Målområde"].split(".", 1)[0]),
            title=normalize(r["Titel"]),
            unit=canonical_unit(r["Ansvarig avdelning"]),
            due=date.fromisoformat(due) if due else None,
            status=STATUS_CSV[r["Status"].strip()],
            forecast=FORECAST_CSV[r["Prognos för slutförande"].strip()],
            comment=normalize(r["Senaste kommentar"]),
        ))
    return tuple(result)


# --- formatting -----------------------------------------------------------------------------


def format_number(value: Decimal) -> str:
    """-41 225, 27,5: as the report prints figures (tkr)."""
    sign = "-" if value < 0 else ""
    value = abs(value)
    whole = int(value)
    fraction = value - whole
    digits = f"{whole:,}".replace(",", " ")
    if fraction:
        digits += "," + str(fraction.normalize()).split(".", 1)[1]
    return sign + digits


def format_signed(value: Decimal) -> str:
    """+1 372, -250, 0."""
    if value == 0:
        return "0"
    return ("+" if value > 0 else "") + format_number(value)


def format_date(value: date, lang: str) -> str:
    return f"{value.day}.{value.month}.{value.year}" if lang == "fi" else value.isoformat()


# Swedish alphabetical order: å ä ö after z, case-insensitive.
_SV_ORDER = str.maketrans({"å": "{", "ä": "|", "ö": "}", "æ": "|", "ø": "}"})


def sv_sort_key(text: str) -> str:
    return text.casefold().translate(_SV_ORDER)


def list_order(item: Assignment, title_key=sv_sort_key) -> tuple:  # type: ignore[no-untyped-def]
    return (item.due is None, item.due or date.max, title_key(item.title))


def title_key(title: str) -> str:
    """What a reply must show of a title: its beginning, up to TITLE_CHARS, cut at a word,
    without a final full stop (a card may shorten long titles)."""
    title = normalize(title).rstrip(".")
    if len(title) <= TITLE_CHARS:
        return title
    cut = title[: TITLE_CHARS + 1].rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;:–-")


def comment_key(comment: str) -> str:
    """The beginning of a comment a reply must show: COMMENT_CHARS at most, cut at a word."""
    comment = normalize(comment)
    if len(comment) <= COMMENT_CHARS:
        return comment
    return comment[: COMMENT_CHARS + 1].rsplit(" ", 1)[0].rstrip(" ,.;:–-")


@cache
def absent_form(title: str) -> str:
    """What a reply must not show of a title it should not list: its title_key, unless that
    text occurs in another title or in a comment (a comment may quote a title); then the
    full title as printed, with its final full stop, which the quotes leave out."""
    key = title_key(title).casefold()
    others = [a.title.casefold() for a in assignments() if a.title != title]
    comments = [a.comment.casefold() for a in assignments()]
    if any(key in text for text in others + comments):
        return normalize(title)
    return title_key(title)


# --- labels ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Label:
    verb: str
    args: dict[str, str]

    @property
    def text(self) -> str:
        parts = [self.verb]
        for key, value in self.args.items():
            if value == "":
                parts.append(key)
            elif " " in value:
                parts.append(f'{key}="{value}"')
            else:
                parts.append(f"{key}={value}")
        return " ".join(parts)


VERBS = {"forecast", "finance_rank", "finance_total", "finance_units", "list", "count",
         "detail", "summary", "help", "units"}


def parse_label(text: str) -> Label:
    try:
        tokens = shlex.split(text)
    except ValueError as exc:
        raise LabelError(f"{text!r}: {exc}") from None
    if not tokens or tokens[0] not in VERBS:
        raise LabelError(f"{text!r}: unknown verb")
    args: dict[str, str] = {}
    for token in tokens[1:]:
        key, sep, value = token.partition("=")
        if key in args:
            raise LabelError(f"{text!r}: {key} twice")
        if not sep and key != "overdue":
            raise LabelError(f"{text!r}: {token!r} is not key=value")
        args[key] = value
    label = Label(tokens[0], args)
    _validate(label)
    return label


def _validate(label: Label) -> None:
    verb, args = label.verb, label.args
    allowed: set[str] = {
        "forecast": {"unit"},
        "finance_rank": {"by", "n"},
        "finance_total": set(),
        "finance_units": {"which"},
        "list": FILTER_KEYS - {"nth"},
        "count": FILTER_KEYS - {"page", "nth"},
        "detail": (FILTER_KEYS - {"page"}) | {"show"},
        "summary": set(),
        "help": set(),
        "units": set(),
    }[verb]
    if extra := set(args) - allowed:
        raise LabelError(f"{label.text!r}: {sorted(extra)} not allowed with {verb}")
    if verb == "forecast" and args.get("unit", "") not in unit_names():
        raise LabelError(f"{label.text!r}: forecast needs a canonical unit=")
    if "unit" in args and args["unit"] not in unit_names():
        raise LabelError(f"{label.text!r}: {args['unit']!r} is not a canonical unit name")
    if verb == "finance_rank" and args.get("by") not in {"surplus", "deficit", "budget",
                                                         "forecast"}:
        raise LabelError(f"{label.text!r}: by= must be surplus|deficit|budget|forecast")
    if verb == "finance_units" and args.get("which") not in {"deficit", "surplus", "balanced"}:
        raise LabelError(f"{label.text!r}: which= must be deficit|surplus|balanced")
    checks = {
        "kind": lambda v: v in KINDS,
        "status": lambda v: v in {"not_started", "started", "completed", "open"},
        "forecast": lambda v: v in {"on_plan", "deviation"},
        "goal": str.isdigit, "page": str.isdigit, "nth": str.isdigit, "n": str.isdigit,
        "overdue": lambda v: v == "",
        "due_from": _is_date, "due_to": _is_date,
        "title": bool,
        "show": lambda v: bool(v) and set(v.split(",")) <= SHOW,
    }
    for key, value in args.items():
        check = checks.get(key)
        if check and not check(value):
            raise LabelError(f"{label.text!r}: bad {key}={value!r}")


def _is_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def matches(item: Assignment, args: dict[str, str], today: date = TODAY) -> bool:
    if "unit" in args and item.unit != args["unit"]:
        return False
    if "kind" in args and item.kind != args["kind"]:
        return False
    status = args.get("status")
    if status == "open" and item.status == "completed":
        return False
    if status and status != "open" and item.status != status:
        return False
    if "forecast" in args and item.forecast != args["forecast"]:
        return False
    if "goal" in args and item.goal != int(args["goal"]):
        return False
    if "overdue" in args and not (item.due and item.due < today and item.status != "completed"):
        return False
    if "due_from" in args and not (item.due and item.due >= date.fromisoformat(args["due_from"])):
        return False
    if "due_to" in args and not (item.due and item.due <= date.fromisoformat(args["due_to"])):
        return False
    return "title" not in args or args["title"].casefold() in item.title.casefold()


def select(args: dict[str, str], title_order=sv_sort_key) -> list[Assignment]:  # type: ignore[no-untyped-def]
    found = [a for a in assignments() if matches(a, args)]
    return sorted(found, key=lambda a: list_order(a, title_order))


def page_of(args: dict[str, str], title_order=sv_sort_key) -> list[Assignment]:  # type: ignore[no-untyped-def]
    page = int(args.get("page") or 1)
    return select(args, title_order)[PAGE_SIZE * (page - 1): PAGE_SIZE * page]


def resolve_one(label: Label, previous: str | None,
                title_order=sv_sort_key) -> Assignment:  # type: ignore[no-untyped-def]
    """The one assignment a detail label means."""
    args = label.args
    if "nth" in args:
        if not previous:
            raise LabelError(f"{label.text!r}: nth= needs the previous turn's label")
        before = parse_label(previous)
        if before.verb != "list":
            raise LabelError(f"{label.text!r}: the previous turn {previous!r} is not a list")
        shown = page_of(before.args, title_order)
        n = int(args["nth"])
        if not 1 <= n <= len(shown):
            raise LabelError(f"{label.text!r}: the previous list has {len(shown)} items")
        return shown[n - 1]
    filters = {k: v for k, v in args.items() if k != "show"}
    if not filters:
        raise LabelError(f"{label.text!r}: detail needs filters or nth=")
    found = select(filters, title_order)
    if len(found) != 1:
        raise LabelError(f"{label.text!r}: matches {len(found)} assignments, not one")
    return found[0]


# --- expectations -----------------------------------------------------------------------------


def expected(label: str, lang: str, previous: str | None = None) -> Expectation:
    """What a reply to a question with this label must (not) contain, in language lang
    (sv, en, fi). previous: the label of the previous turn of the conversation, for nth=."""
    if lang not in NONE_WORDS:
        raise LabelError(f"unknown language {lang!r}")
    parsed = parse_label(label)
    verb, args = parsed.verb, parsed.args
    if verb == "forecast":
        return _forecast(args["unit"])
    if verb == "finance_rank":
        return _rank(args["by"], int(args.get("n") or 1), lang)
    if verb == "finance_total":
        rows = finance()
        budget = sum((f.budget_year for f in rows), Decimal(0))
        forecast = sum((f.forecast_year for f in rows), Decimal(0))
        return Expectation([format_number(budget), format_number(forecast),
                            format_signed(forecast - budget)])
    if verb == "finance_units":
        return _finance_units(args["which"], lang)
    if verb == "list":
        shown = page_of(args)
        hidden = [absent_form(a.title) for a in assignments() if not matches(a, args)]
        return Expectation([title_key(a.title) for a in shown], hidden, none=not shown,
                           topics=[] if shown else _topics(args, lang))
    if verb == "count":
        n = len(select(args))
        return Expectation([str(n)] if n else [], [], none=n == 0, zero_ok=n == 0,
                           topics=[] if n else _topics(args, lang))
    if verb == "detail":
        return _detail(resolve_one(parsed, previous), args.get("show", "due"), lang)
    if verb == "summary":
        kinds = [sum(1 for a in assignments() if a.kind == k) for k in KINDS]
        return Expectation([str(n) for n in kinds] + [str(sum(kinds))])
    if verb == "units":
        return Expectation(list(unit_names()))
    return Expectation()  # help: any non-empty reply


def _forecast(unit: str) -> Expectation:
    row = next(f for f in finance() if f.unit == unit)
    own = [format_number(row.budget_year), format_number(row.forecast_year),
           format_signed(row.deviation)]
    others = sorted({format_number(f.forecast_year) for f in finance()
                     if f.unit != unit and format_number(f.forecast_year) not in own})
    return Expectation(own, others)


def _topics(args: dict[str, str], lang: str) -> list[list[str]]:
    """What an empty list or a zero count must name: the unit asked about, that items are
    overdue or due, that there are no more pages; else that there are no assignments."""
    if int(args.get("page") or 1) > 1:
        return [list(TOPIC_WORDS["more"][lang])]
    groups = []
    if "unit" in args:
        groups.append(sorted(unit_and_aliases(args["unit"])))
    if "overdue" in args:
        groups.append(list(TOPIC_WORDS["overdue"][lang]))
    elif "due_from" in args or "due_to" in args:
        groups.append(list(TOPIC_WORDS["due"][lang]))
    return groups or [list(TOPIC_WORDS["assignments"][lang])]


def unit_and_aliases(unit: str) -> set[str]:
    return {unit} | {r["alias"].strip() for r in read_demo("unit_aliases.csv")
                     if r["unit"].strip() == unit}


def _rank(by: str, n: int, lang: str) -> Expectation:
    rows = list(finance())
    if by == "surplus":
        ranked = sorted((f for f in rows if f.deviation > 0), key=lambda f: -f.deviation)
        figure = [format_signed(f.deviation) for f in ranked]
    elif by == "deficit":
        ranked = sorted((f for f in rows if f.deviation < 0), key=lambda f: f.deviation)
        figure = [format_signed(f.deviation) for f in ranked]
    elif by == "budget":  # the largest budget: the largest cost frame (costs are negative)
        ranked = sorted(rows, key=lambda f: f.budget_year)
        figure = [format_number(f.budget_year) for f in ranked]
    else:  # forecast: the largest forecast cost
        ranked = sorted(rows, key=lambda f: f.forecast_year)
        figure = [format_number(f.forecast_year) for f in ranked]
    if not ranked:
        return Expectation(none=True, topics=[list(TOPIC_WORDS["deficit"][lang])])
    if n > len(ranked):
        raise LabelError(f"finance_rank by={by} n={n}: only {len(ranked)} units qualify")
    contains: list[str] = []
    for f, shown in list(zip(ranked, figure, strict=True))[:n]:
        contains += [f.unit, shown]
    return Expectation(contains)


def _finance_units(which: str, lang: str) -> Expectation:
    test = {"deficit": lambda d: d < 0, "surplus": lambda d: d > 0,
            "balanced": lambda d: d == 0}[which]
    inside = [f.unit for f in finance() if test(f.deviation)]
    if not inside:
        deficits = [format_signed(f.deviation) for f in finance() if f.deviation < 0]
        return Expectation([], deficits, none=True,
                           topics=[list(TOPIC_WORDS[which][lang])])
    outside = [f.unit for f in finance() if f.unit not in inside]
    return Expectation(inside, outside)


def _detail(item: Assignment, show: str, lang: str) -> Expectation:
    contains = [title_key(item.title)]
    wanted = show.split(",")
    if "due" in wanted and item.due:
        contains.append(format_date(item.due, lang))
    if "unit" in wanted:
        contains.append(item.unit)
    if "comment" in wanted and item.comment:
        contains.append(comment_key(item.comment))
    if "status" in wanted and lang == "sv":
        contains.append(STATUS_SV[item.status])
    others = [absent_form(a.title) for a in assignments() if a.number != item.number]
    return Expectation(contains, others)


def matching_titles(label: str) -> list[str]:
    """The full titles a list/count label selects, for tests and the bench's output."""
    return [a.title for a in select(parse_label(label).args)]


def word_start_pattern(words: list[str] | tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(w) for w in words)
    return re.compile(rf"(?<!\w)(?:{alternatives})", re.IGNORECASE)


def none_pattern(lang: str) -> re.Pattern[str]:
    words = "|".join(re.escape(w) for w in NONE_WORDS[lang])
    return re.compile(rf"(?<!\w)(?:{words})(?!\w)", re.IGNORECASE)

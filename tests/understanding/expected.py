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
    list FILTERS [page=N] [via=U]         assignments, due date ascending, 30 a page
    count FILTERS
    detail FILTERS [show=due,unit,comment,status]   exactly one assignment (or nth=N)
    summary | help | units [unit=U]       units=: who answers for U (units.csv's person)

  Indicators and yearly budgets (the organisations that have them, corpus/<org>/):

    indicator name=WORDS [show=trend,gender,no_gender,comparison,target]   one indicator
                                          (name=: words of its name, from a word start)
    indicators [name=WORDS] [unit=U] [goal=WORDS] [which=J] [gender]   a set of indicators
    budget unit=U [year=Y] [line=L]       a unit's yearly budget (the year of today if none)
    budget_change unit=U line=L from=Y to=Y   one line from one year to another
    no_forecast unit=U [year=Y]           a forecast asked of a unit that has only a budget

    J: negative|positive|unchanged|below_target|worse (than the comparison value)

    FILTERS: unit=U kind=K (a kind of the organisation's file: Uppdrag, Nämndinitiativ,
             Nyckelmål) status=not_started|started|completed|not_reported|open
             forecast=on_plan|deviation|not_reported goal=N overdue
             due_from=YYYY-MM-DD due_to=YYYY-MM-DD
             title=WORDS nth=N (the N-th item of the previous turn's list)

    title= is a case-insensitive substring of the title as printed; for detail it must
    match exactly one assignment, for list it may match several. nth= needs `previous`,
    the label of the turn before, which must be a list (its page counts).

What a reply must show (contains) and must not show (absent):

    list      the titles of the page (due date ascending, no date last, then title in
              Swedish order), absent: the title of every assignment the filters exclude;
              an empty page: none=True; via=U: asked of unit U, which has none, the list of
              unit= (U's parent, units.csv) and a reply that says U has none (none=True)
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
              units unit=U: U and its responsible person, absent: the other units' persons;
              help: any reply

    indicator  its name, its latest value (as printed: 9,0, 1 063) and year; show=trend: the
              judgement word of the language (positiv / positive / myönteinen ...), gender:
              the latest women's and men's values, comparison / target: that value;
              no_gender (women and men asked of one that has no such figures): the reply
              says there are none for women and men (none=True) and shows the total;
              absent: the organisation's other indicator names
    indicators the names of the set (name= words the name has, from a word start; unit= the
              responsible unit; goal= a substring of its goal; which= the judgement or the
              comparison; gender= with a women / men split), absent: the others; an empty
              set: none=True
    budget    the unit's amount of every line for the year (of line= only, and of every year
              when year= is not given), "€" for EUR organisations; absent: amounts of the
              other units that this unit's budget does not have; a year the budget does not
              have: none=True (and the year named)
    budget_change  both amounts, the signed change and the change in per cent (one decimal)
    no_forecast    says there is no forecast (none=True, topic: forecast), and shows the
              budget of the year (default: today's year)

The organisation: every function takes org= (a folder of storage/demo, default norrtalje),
the corpus files say it by their folder (corpus/<org>/<lang>.txt; corpus/<lang>.txt is
Norrtälje's). Rules that are the product's decisions (docs/decisions.md), computed here from
the printed cells: an indicator's judgement is its latest value's printed Trend, else its
direction (a later year's printed Prognos, else the change between its last two values)
through the polarity (Riktning); a value is worse than a target or comparison value when it
is on the wrong side of it by the polarity.

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
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEMO_ROOT = ROOT / "storage" / "demo"
DEFAULT_ORG = "norrtalje"  # the default organisation; corpus/<lang>.txt talk to it
# The Norrtälje report: storage/demo/norrtalje/ (storage/demo/ before the demo held several
# organisations).
DEMO = next(d for d in (DEMO_ROOT / DEFAULT_ORG, DEMO_ROOT)
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
    "indicators": {"sv": ("nyckeltal", "indikator"),
                   "en": ("indicator", "key figure", "kpi"),
                   "fi": ("tunnusluku", "tunnusluv", "mittari", "indikaattor")},
    "forecast": {"sv": ("prognos",), "en": ("forecast",), "fi": ("ennuste",)},
    "negative": {"sv": ("negativ", "sämre", "fel håll"),
                 "en": ("negative", "worse", "wrong way"),
                 "fi": ("negatiivi", "kieltei", "heikke", "huonone")},
    "positive": {"sv": ("positiv", "bättre", "rätt håll"),
                 "en": ("positive", "better", "right way"),
                 "fi": ("positiivi", "myöntei", "parane")},
    "unchanged": {"sv": ("oförändr", "bibehåll"), "en": ("unchanged",),
                  "fi": ("ennallaan", "muuttumat", "ei muutosta")},
    "below_target": {"sv": ("mål",), "en": ("target",), "fi": ("tavoit",)},
    "worse": {"sv": ("jämför",), "en": ("compar",), "fi": ("vertail",)},
    "gender": {"sv": ("kvinn", "kön"), "en": ("women", "gender"), "fi": ("nais", "sukupuol")},
}
# An indicator's judgement in the words of a reply (what the cards print, any case).
JUDGEMENT_WORD = {
    "sv": {"positive": "positiv", "negative": "negativ", "unchanged": "oförändrad"},
    "en": {"positive": "positive", "negative": "negative", "unchanged": "unchanged"},
    "fi": {"positive": "myönteinen", "negative": "kielteinen", "unchanged": "ei muutosta"},
}
JUDGEMENTS = ("negative", "positive", "unchanged", "below_target", "worse")
# Report wording of status, shown in Swedish replies (sv: show=status).
STATUS_SV = {"not_started": "Ej påbörjad", "started": "Påbörjad", "completed": "Slutförd",
             "not_reported": "Ej rapporterad"}

STATUS_CSV = {"Ej påbörjad": "not_started", "Påbörjad": "started", "Slutförd": "completed",
              "Ej rapporterad": "not_reported"}
FORECAST_CSV = {"Enligt plan": "on_plan", "Avvikelse från plan": "deviation",
                "": "not_reported"}
KINDS = ("Uppdrag", "Nämndinitiativ")  # Norrtälje's, in the order the summary counts them
FILTER_KEYS = {"unit", "kind", "status", "forecast", "goal", "overdue", "due_from", "due_to",
               "title", "page", "nth"}
SHOW = {"due", "unit", "comment", "status"}
INDICATOR_SHOW = {"trend", "gender", "no_gender", "comparison", "target"}


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


@dataclass(frozen=True)
class IndicatorYear:
    year: int
    value: str | None  # as printed ("9,0", "1063", "+1,9"); None: no value
    women: str | None
    men: str | None
    target: str | None
    comparison: str | None
    trend: str  # the printed judgement (Pos, Neg, Oförändrad, Positivt ...) or ""
    forecast: str  # the printed direction (Ökande, Minskande, Bibehållen) or ""


@dataclass(frozen=True)
class Indicator:
    name: str
    unit: str  # canonical unit name ("" when none)
    goal: str
    polarity: str  # higher | lower | neutral
    years: tuple[IndicatorYear, ...]  # ascending

    @property
    def with_value(self) -> list[IndicatorYear]:
        return [y for y in self.years if y.value is not None]

    @property
    def latest(self) -> IndicatorYear | None:
        return self.with_value[-1] if self.with_value else None


@dataclass(frozen=True)
class BudgetCell:
    unit: str
    line: str
    year: int
    scenario: str  # Bokslut | Budget | Ekonomiplan
    amount: Decimal | None  # None: the cell is empty (missing, not 0)


class LabelError(ValueError):
    pass


# --- data -----------------------------------------------------------------------------------


def normalize(text: str) -> str:
    return " ".join(text.split())


def _number(text: str) -> Decimal:
    cleaned = text.replace("\u2212", "-").replace("\xa0", "").replace(" ", "").replace(",", ".")
    return Decimal(cleaned)


CORPUS_DIR = Path(__file__).resolve().parent / "corpus"


def demo_dir(org: str = DEFAULT_ORG) -> Path:
    base = org.split("+", 1)[0]
    if base == DEFAULT_ORG:
        return DEMO
    folder = DEMO_ROOT / base
    if not folder.is_dir():
        raise LabelError(f"no demo organisation {base!r} (a folder of storage/demo)")
    return folder


def import_files(org: str) -> list[Path]:
    """What a corpus of "<org>+<name>" imports into the demo organisation before it asks:
    the files of corpus/<org>+<name>/import/ (a file the bot has never seen)."""
    if "+" not in org:
        return []
    return sorted((CORPUS_DIR / org / "import").glob("*.csv"))


# The kind of an import file by its header, as storage.importer tells them (a column only
# that kind has); the rows are read as if they were the demo's file of that name.
_IMPORT_KINDS = {"Nyckeltal": "indicators.csv", "Rad": "budget.csv", "Titel": "assignments.csv"}


def _read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        first = f.readline()
        f.seek(0)
        delimiter = max(";,\t", key=first.count)
        return list(csv.DictReader(f, delimiter=delimiter))


def read_demo(name: str, org: str = DEFAULT_ORG) -> list[dict[str, str]]:
    """A demo file's rows, and those of the corpus's import files of the same kind."""
    path = demo_dir(org) / name
    rows = _read_csv(path) if path.is_file() else []
    for extra in import_files(org):
        table = _read_csv(extra)
        header = set(table[0]) if table else set()
        if any(column in header and file == name for column, file in _IMPORT_KINDS.items()):
            rows += table
    return rows


@cache
def finance(org: str = DEFAULT_ORG) -> tuple[Finance, ...]:
    return tuple(
        Finance(r["Verksamhet"].strip(), _number(r["Budget helår"]), _number(r["Prognos"]))
        for r in read_demo("finance.csv", org)
    )


@cache
def unit_names(org: str = DEFAULT_ORG) -> tuple[str, ...]:
    """Canonical names: units.csv's, then finance.csv's (Norrtälje has only the latter), then
    those an imported file creates (an indicator's unit nobody has named yet)."""
    names = [r["Enhet"].strip() for r in read_demo("units.csv", org)]
    names += [f.unit for f in finance(org)]
    known = {n.casefold() for n in names} | {
        r["alias"].strip().casefold() for r in read_demo("unit_aliases.csv", org)}
    for extra in import_files(org):
        for r in _read_csv(extra):
            unit = (r.get("Ansvarig") or r.get("Enhet") or "").strip()
            if unit and unit.casefold() not in known:
                names.append(unit)
                known.add(unit.casefold())
    return tuple(dict.fromkeys(names))


@cache
def _alias_index(org: str = DEFAULT_ORG) -> dict[str, str]:
    index = {name.casefold(): name for name in unit_names(org)}
    for r in read_demo("unit_aliases.csv", org):
        index.setdefault(r["alias"].strip().casefold(), r["unit"].strip())
    return index


def parent_of(unit: str, org: str = DEFAULT_ORG) -> str | None:
    for r in read_demo("units.csv", org):
        if r["Enhet"].strip() == unit:
            return r.get("Överordnad", "").strip() or None
    return None


def canonical_unit(name: str, org: str = DEFAULT_ORG) -> str:
    try:
        return _alias_index(org)[name.strip().casefold()]
    except KeyError:
        raise LabelError(f"unknown unit {name!r} in {org}") from None


def _due(text: str) -> date | None:
    """An ISO date, or a year alone (its last day: Lovisa's key goals are due "2025")."""
    text = text.strip()
    if not text:
        return None
    if re.fullmatch(r"\d{4}", text):
        return date(int(text), 12, 31)
    return date.fromisoformat(text)


def _goal_number(text: str) -> int:
    """"1. LIVSKRAFTIG STAD" → 1; a goal area without a number → 0."""
    m = re.match(r"\s*(\d+)", text)
    return int(m[1]) if m else 0


@cache
def assignments(org: str = DEFAULT_ORG) -> tuple[Assignment, ...]:
    result = []
    for number, r in enumerate(read_demo("assignments.csv", org), 1):
        result.append(Assignment(
            number=number,
            kind=r["Uppdrag/Nämndinitiativ"].strip(),
            goal=_goal_number(r["Målområde"]),
            title=normalize(r["Titel"]),
            unit=canonical_unit(r["Ansvarig avdelning"], org),
            due=_due(r["Slutdatum"]),
            status=STATUS_CSV[r["Status"].strip()],
            forecast=FORECAST_CSV[r["Prognos för slutförande"].strip()],
            comment=normalize(r["Senaste kommentar"]),
        ))
    return tuple(result)


@cache
def kinds(org: str = DEFAULT_ORG) -> tuple[str, ...]:
    return tuple(dict.fromkeys(a.kind for a in assignments(org)))


def _cell(text: str | None) -> str | None:
    text = (text or "").strip()
    return None if text in ("", "-", "–") else text


_POLARITY_CSV = {"högre är bättre": "higher", "lägre är bättre": "lower", "": "neutral",
                 "neutral": "neutral", "higher_better": "higher", "lower_better": "lower"}


@cache
def indicators(org: str = DEFAULT_ORG) -> tuple[Indicator, ...]:
    """indicators.csv: one row per indicator and year, in file order."""
    rows: dict[str, list[dict[str, str]]] = {}
    for r in read_demo("indicators.csv", org):
        rows.setdefault(normalize(r["Nyckeltal"]), []).append(r)
    result = []
    for name, group in rows.items():
        first = group[0]
        years = sorted(
            (IndicatorYear(int(r["År"]), _cell(r["Värde"]), _cell(r.get("Kvinnor")),
                           _cell(r.get("Män")), _cell(r.get("Målvärde")),
                           _cell(r.get("Jämförvärde")), (r.get("Trend") or "").strip(),
                           (r.get("Prognos") or "").strip())
             for r in group if r["År"].strip()),
            key=lambda y: y.year)
        unit = first.get("Ansvarig", "").strip()
        result.append(Indicator(
            name=name, unit=canonical_unit(unit, org) if unit else "",
            goal=normalize(first.get("Mål", "")),
            polarity=_POLARITY_CSV[first.get("Riktning", "").strip().casefold()],
            years=tuple(years)))
    return tuple(result)


@cache
def budget_cells(org: str = DEFAULT_ORG) -> tuple[BudgetCell, ...]:
    return tuple(
        BudgetCell(canonical_unit(r["Enhet"], org), r["Rad"].strip(), int(r["År"]),
                   r["Typ"].strip(), _number(r["Belopp"]) if r["Belopp"].strip() else None)
        for r in read_demo("budget.csv", org))


# The demo organisations that report in euros (storage/demo/__init__.py: currency="EUR").
EUR_ORGS = frozenset({"lovisa"})


def currency(org: str = DEFAULT_ORG) -> str:
    """EUR for the demo organisations that report in euros (Lovisa), else SEK (tkr): also
    for a budget imported into a Swedish one (corpus/lerum+region)."""
    return "EUR" if org.split("+", 1)[0] in EUR_ORGS else "SEK"


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
def absent_form(title: str, org: str = DEFAULT_ORG) -> str:
    """What a reply must not show of a title it should not list: its title_key, unless that
    text occurs in another title or in a comment (a comment may quote a title); then the
    full title as printed, with its final full stop, which the quotes leave out."""
    key = title_key(title).casefold()
    others = [a.title.casefold() for a in assignments(org) if a.title != title]
    comments = [a.comment.casefold() for a in assignments(org)]
    if any(key in text for text in others + comments):
        return normalize(title)
    return title_key(title)


@cache
def absent_indicator(name: str, org: str = DEFAULT_ORG) -> str:
    """An indicator name a reply must not show: its beginning, or the whole name where the
    beginning is part of another indicator's name."""
    key = title_key(name).casefold()
    if any(key in i.name.casefold() for i in indicators(org) if i.name != name):
        return name
    return title_key(name)


def format_value(text: str) -> str:
    """An indicator value as printed, with the thousands spaced: "1063" → "1 063", "9,0"
    stays "9,0", "+1,9" → "1,9" (a reply may sign it)."""
    text = text.strip().lstrip("+").replace(" ", "").replace("\xa0", "")
    sign = "-" if text[:1] in "-\u2212" else ""
    head, sep, frac = text.lstrip("-\u2212").replace(".", ",").partition(",")
    return sign + f"{int(head):,}".replace(",", " ") + (sep + frac if sep else "")


def format_percent(value: Decimal, lang: str = "sv") -> str:
    """+8,3 (8.3 in English): a change in per cent, one decimal, rounded half up."""
    rounded = value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    text = ("+" if rounded > 0 else "-" if rounded < 0 else "") + f"{abs(rounded):.1f}"
    return text if lang == "en" else text.replace(".", ",")


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
         "detail", "summary", "help", "units", "indicator", "indicators", "budget",
         "budget_change", "no_forecast"}
FLAGS = {"overdue", "gender"}  # keys without a value


def parse_label(text: str, org: str = DEFAULT_ORG) -> Label:
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
        if not sep and key not in FLAGS:
            raise LabelError(f"{text!r}: {token!r} is not key=value")
        args[key] = value
    label = Label(tokens[0], args)
    _validate(label, org)
    return label


def _validate(label: Label, org: str = DEFAULT_ORG) -> None:
    verb, args = label.verb, label.args
    allowed: set[str] = {
        "forecast": {"unit"},
        "finance_rank": {"by", "n"},
        "finance_total": set(),
        "finance_units": {"which"},
        "list": (FILTER_KEYS - {"nth"}) | {"via"},
        "count": FILTER_KEYS - {"page", "nth"},
        "detail": (FILTER_KEYS - {"page"}) | {"show"},
        "summary": set(),
        "help": set(),
        "units": {"unit"},
        "indicator": {"name", "show"},
        "indicators": {"name", "unit", "goal", "which", "gender"},
        "budget": {"unit", "year", "line"},
        "budget_change": {"unit", "line", "from", "to"},
        "no_forecast": {"unit", "year"},
    }[verb]
    if extra := set(args) - allowed:
        raise LabelError(f"{label.text!r}: {sorted(extra)} not allowed with {verb}")
    if verb == "forecast" and args.get("unit", "") not in {f.unit for f in finance(org)}:
        raise LabelError(f"{label.text!r}: forecast needs a canonical unit= with figures")
    if "via" in args and (args.get("unit") != parent_of(args["via"], org)
                          or select({**args, "unit": args["via"]}, org=org)):
        raise LabelError(f"{label.text!r}: via= must be a unit with none of these, "
                         f"whose parent is unit=")
    if "unit" in args and args["unit"] not in unit_names(org):
        raise LabelError(f"{label.text!r}: {args['unit']!r} is not a canonical unit name "
                         f"in {org}")
    for key in {"budget": ("unit",), "budget_change": ("unit", "line", "from", "to"),
                "no_forecast": ("unit",), "indicator": ("name",)}.get(verb, ()):
        if not args.get(key):
            raise LabelError(f"{label.text!r}: {verb} needs {key}=")
    if verb == "finance_rank" and args.get("by") not in {"surplus", "deficit", "budget",
                                                         "forecast"}:
        raise LabelError(f"{label.text!r}: by= must be surplus|deficit|budget|forecast")
    if verb == "finance_units" and args.get("which") not in {"deficit", "surplus", "balanced"}:
        raise LabelError(f"{label.text!r}: which= must be deficit|surplus|balanced")
    indicator_verb = verb in ("indicator", "indicators")
    checks = {
        "kind": lambda v: v in kinds(org),
        "status": lambda v: v in {"not_started", "started", "completed", "not_reported",
                                  "open"},
        "forecast": lambda v: v in {"on_plan", "deviation", "not_reported"},
        "goal": bool if indicator_verb else str.isdigit,
        "page": str.isdigit, "nth": str.isdigit, "n": str.isdigit,
        "overdue": lambda v: v == "", "gender": lambda v: v == "",
        "due_from": _is_date, "due_to": _is_date,
        "title": bool, "name": bool,
        "show": lambda v: bool(v) and set(v.split(",")) <= (INDICATOR_SHOW if indicator_verb
                                                           else SHOW),
        "which": lambda v: v in JUDGEMENTS or not indicator_verb,
        "year": str.isdigit, "from": str.isdigit, "to": str.isdigit,
        "line": lambda v: v in {c.line for c in budget_cells(org)},
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


def select(args: dict[str, str], title_order=sv_sort_key,  # type: ignore[no-untyped-def]
           org: str = DEFAULT_ORG) -> list[Assignment]:
    found = [a for a in assignments(org) if matches(a, args)]
    return sorted(found, key=lambda a: list_order(a, title_order))


def page_of(args: dict[str, str], title_order=sv_sort_key,  # type: ignore[no-untyped-def]
            org: str = DEFAULT_ORG) -> list[Assignment]:
    page = int(args.get("page") or 1)
    return select(args, title_order, org)[PAGE_SIZE * (page - 1): PAGE_SIZE * page]


def resolve_one(label: Label, previous: str | None,  # type: ignore[no-untyped-def]
                title_order=sv_sort_key, org: str = DEFAULT_ORG) -> Assignment:
    """The one assignment a detail label means."""
    args = label.args
    if "nth" in args:
        if not previous:
            raise LabelError(f"{label.text!r}: nth= needs the previous turn's label")
        before = parse_label(previous, org)
        if before.verb != "list":
            raise LabelError(f"{label.text!r}: the previous turn {previous!r} is not a list")
        shown = page_of(before.args, title_order, org)
        n = int(args["nth"])
        if not 1 <= n <= len(shown):
            raise LabelError(f"{label.text!r}: the previous list has {len(shown)} items")
        return shown[n - 1]
    filters = {k: v for k, v in args.items() if k != "show"}
    if not filters:
        raise LabelError(f"{label.text!r}: detail needs filters or nth=")
    found = select(filters, title_order, org)
    if len(found) != 1:
        raise LabelError(f"{label.text!r}: matches {len(found)} assignments, not one")
    return found[0]


# --- expectations -----------------------------------------------------------------------------


def expected(label: str, lang: str, previous: str | None = None,
             org: str = DEFAULT_ORG) -> Expectation:
    """What a reply to a question with this label must (not) contain, in language lang
    (sv, en, fi), from organisation org. previous: the label of the previous turn of the
    conversation, for nth=."""
    if lang not in NONE_WORDS:
        raise LabelError(f"unknown language {lang!r}")
    parsed = parse_label(label, org)
    verb, args = parsed.verb, parsed.args
    if verb in ("indicator", "indicators"):
        return _indicator(args, lang, org) if verb == "indicator" else \
            _indicator_set(args, lang, org)
    if verb in ("budget", "budget_change", "no_forecast"):
        return _budget(verb, args, lang, org)
    if verb == "forecast":
        return _forecast(args["unit"], org)
    if verb == "finance_rank":
        return _rank(args["by"], int(args.get("n") or 1), lang, org)
    if verb == "finance_total":
        rows = finance(org)
        budget = sum((f.budget_year for f in rows), Decimal(0))
        forecast = sum((f.forecast_year for f in rows), Decimal(0))
        return Expectation([format_number(budget), format_number(forecast),
                            format_signed(forecast - budget)])
    if verb == "finance_units":
        return _finance_units(args["which"], lang, org)
    if verb == "list":
        shown = page_of(args, org=org)
        hidden = [absent_form(a.title, org) for a in assignments(org) if not matches(a, args)]
        if "via" in args:
            return Expectation([title_key(a.title) for a in shown], hidden, none=True,
                               topics=[sorted(unit_and_aliases(args["via"], org))])
        return Expectation([title_key(a.title) for a in shown], hidden, none=not shown,
                           topics=[] if shown else _topics(args, lang, org))
    if verb == "count":
        n = len(select(args, org=org))
        return Expectation([str(n)] if n else [], [], none=n == 0, zero_ok=n == 0,
                           topics=[] if n else _topics(args, lang, org))
    if verb == "detail":
        return _detail(resolve_one(parsed, previous, org=org), args.get("show", "due"), lang,
                       org)
    if verb == "summary":
        counts = [sum(1 for a in assignments(org) if a.kind == k)
                  for k in (KINDS if org == DEFAULT_ORG else kinds(org))]
        return Expectation([str(n) for n in counts] + [str(sum(counts))])
    if verb == "units" and "unit" in args:
        return _unit_responsible(args["unit"], org)
    if verb == "units":
        return Expectation(list(unit_names(org)))
    return Expectation()  # help: any non-empty reply


def _unit_responsible(unit: str, org: str = DEFAULT_ORG) -> Expectation:
    """Who answers for a unit: its name and units.csv's responsible person; absent: the
    other units' responsible persons."""
    if unit not in unit_names(org):
        raise LabelError(f"no unit {unit!r} in {org}")
    people = {r["Enhet"].strip(): (r.get("Ansvarsperson") or "").strip()
              for r in read_demo("units.csv", org)}
    own = people.get(unit, "")
    others = sorted({p for u, p in people.items() if p and u != unit and p != own})
    return Expectation([unit] + ([own] if own else []), others)


def _forecast(unit: str, org: str = DEFAULT_ORG) -> Expectation:
    row = next(f for f in finance(org) if f.unit == unit)
    own = [format_number(row.budget_year), format_number(row.forecast_year),
           format_signed(row.deviation)]
    others = sorted({format_number(f.forecast_year) for f in finance(org)
                     if f.unit != unit and format_number(f.forecast_year) not in own})
    return Expectation(own, others)


def _topics(args: dict[str, str], lang: str, org: str = DEFAULT_ORG) -> list[list[str]]:
    """What an empty list or a zero count must name: the unit asked about, that items are
    overdue or due, that there are no more pages; else that there are no assignments."""
    if int(args.get("page") or 1) > 1:
        return [list(TOPIC_WORDS["more"][lang])]
    groups = []
    if "unit" in args:
        groups.append(sorted(unit_and_aliases(args["unit"], org)))
    if "overdue" in args:
        groups.append(list(TOPIC_WORDS["overdue"][lang]))
    elif "due_from" in args or "due_to" in args:
        groups.append(list(TOPIC_WORDS["due"][lang]))
    return groups or [list(TOPIC_WORDS["assignments"][lang])]


def unit_and_aliases(unit: str, org: str = DEFAULT_ORG) -> set[str]:
    return {unit} | {r["alias"].strip() for r in read_demo("unit_aliases.csv", org)
                     if r["unit"].strip() == unit}


def _rank(by: str, n: int, lang: str, org: str = DEFAULT_ORG) -> Expectation:
    rows = list(finance(org))
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


def _finance_units(which: str, lang: str, org: str = DEFAULT_ORG) -> Expectation:
    test = {"deficit": lambda d: d < 0, "surplus": lambda d: d > 0,
            "balanced": lambda d: d == 0}[which]
    inside = [f.unit for f in finance(org) if test(f.deviation)]
    if not inside:
        deficits = [format_signed(f.deviation) for f in finance(org) if f.deviation < 0]
        return Expectation([], deficits, none=True,
                           topics=[list(TOPIC_WORDS[which][lang])])
    outside = [f.unit for f in finance(org) if f.unit not in inside]
    return Expectation(inside, outside)


def _detail(item: Assignment, show: str, lang: str, org: str = DEFAULT_ORG) -> Expectation:
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
    others = [absent_form(a.title, org) for a in assignments(org) if a.number != item.number]
    return Expectation(contains, others)


def matching_titles(label: str, org: str = DEFAULT_ORG) -> list[str]:
    """The full titles a list/count label selects, for tests and the bench's output."""
    return [a.title for a in select(parse_label(label, org).args, org=org)]


# --- indicators -------------------------------------------------------------------------


def _is_better(value: str, other: str, polarity: str) -> bool | None:
    a, b = _number(value), _number(other)
    if polarity == "neutral" or a == b:
        return None
    return a > b if polarity == "higher" else a < b


def _direction(i: Indicator) -> str | None:
    """increasing | decreasing | unchanged: a printed forecast after the latest value, else
    the change between the last two values."""
    now = i.latest
    ahead = [y for y in i.years if y.value is None and y.forecast
             and (now is None or y.year > now.year)]
    if ahead:
        word = ahead[-1].forecast.casefold()
        return ("increasing" if word.startswith("ök") else
                "decreasing" if word.startswith("minsk") else "unchanged")
    if len(i.with_value) < 2:
        return None
    before, after = (_number(y.value or "") for y in i.with_value[-2:])
    return "increasing" if after > before else "decreasing" if after < before else "unchanged"


def judgement(i: Indicator) -> str | None:
    """positive | negative | unchanged | None (nothing tells, or a neutral indicator)."""
    now = i.latest
    if now is not None and now.trend:
        word = now.trend.casefold()
        return ("positive" if word.startswith("pos") else
                "negative" if word.startswith("neg") else "unchanged")
    direction = _direction(i)
    if direction is None or (direction != "unchanged" and i.polarity == "neutral"):
        return None
    if direction == "unchanged":
        return "unchanged"
    return "positive" if (direction == "increasing") == (i.polarity == "higher") \
        else "negative"


def below_target(i: Indicator) -> bool:
    now = i.latest
    return bool(now and now.value and now.target
                and _is_better(now.value, now.target, i.polarity) is False)


def worse_than_comparison(i: Indicator) -> bool:
    now = i.latest
    return bool(now and now.value and now.comparison
                and _is_better(now.value, now.comparison, i.polarity) is False)


def has_gender(i: Indicator) -> bool:
    return any(y.women or y.men for y in i.years)


def indicator_matches(i: Indicator, args: dict[str, str], org: str = DEFAULT_ORG) -> bool:
    if "name" in args and not re.search(rf"(?<!\w){re.escape(args['name'])}", i.name,
                                        re.IGNORECASE):
        return False
    if "unit" in args and i.unit != args["unit"]:
        return False
    if "goal" in args and args["goal"].casefold() not in i.goal.casefold():
        return False
    if "gender" in args and not has_gender(i):
        return False
    which = args.get("which")
    if which == "below_target":
        return below_target(i)
    if which == "worse":
        return worse_than_comparison(i)
    return which is None or judgement(i) == which


def select_indicators(args: dict[str, str], org: str = DEFAULT_ORG) -> list[Indicator]:
    return [i for i in indicators(org) if indicator_matches(i, args, org)]


def _indicator(args: dict[str, str], lang: str, org: str) -> Expectation:
    found = select_indicators({"name": args["name"]}, org)
    if len(found) != 1:
        raise LabelError(f"indicator name={args['name']!r}: {len(found)} indicators in {org}")
    i = found[0]
    contains = [title_key(i.name)]
    now = i.latest
    if now is not None:
        contains += [format_value(now.value or ""), str(now.year)]
    wanted = set(args.get("show", "").split(","))
    if "trend" in wanted:
        found_judgement = judgement(i)
        if found_judgement is None:
            raise LabelError(f"indicator {i.name!r}: nothing tells its trend")
        contains.append(JUDGEMENT_WORD[lang][found_judgement])
    if "gender" in wanted:
        if now is None or not (now.women and now.men):
            raise LabelError(f"indicator {i.name!r}: no women/men values in its latest year")
        contains += [format_value(now.women), format_value(now.men)]
    for key, attr in (("comparison", "comparison"), ("target", "target")):
        if key in wanted:
            value = getattr(now, attr) if now else None
            if not value:
                raise LabelError(f"indicator {i.name!r}: no {key} value")
            contains.append(format_value(value))
    others = [absent_indicator(o.name, org) for o in indicators(org) if o.name != i.name]
    if "no_gender" in wanted:
        if has_gender(i):
            raise LabelError(f"indicator {i.name!r} has women/men values")
        return Expectation(contains, others, none=True,
                           topics=[list(TOPIC_WORDS["gender"][lang])])
    return Expectation(contains, others)


def _indicator_set(args: dict[str, str], lang: str, org: str) -> Expectation:
    inside = select_indicators(args, org)
    names = {i.name for i in inside}
    outside = [absent_indicator(o.name, org) for o in indicators(org) if o.name not in names]
    if not inside:
        topics = [list(TOPIC_WORDS["indicators"][lang])]
        if args.get("which"):
            topics.append(list(TOPIC_WORDS[args["which"]][lang]))
        return Expectation([], outside, none=True, topics=topics)
    return Expectation([title_key(i.name) for i in inside], outside)


# --- yearly budgets ---------------------------------------------------------------------


def budget_amount(unit: str, line: str, year: int, org: str) -> Decimal | None:
    for c in budget_cells(org):
        if (c.unit, c.line, c.year) == (unit, line, year):
            return c.amount
    raise LabelError(f"{unit}'s budget has no cell {line!r} {year} in {org}")


def _budget(verb: str, args: dict[str, str], lang: str, org: str) -> Expectation:
    unit = args["unit"]
    own = [c for c in budget_cells(org) if c.unit == unit]
    if not own:
        raise LabelError(f"{unit} has no budget in {org}")
    money = ["€"] if currency(org) == "EUR" else []
    own_amounts = {format_number(c.amount) for c in own if c.amount is not None}
    others = sorted({format_number(c.amount) for c in budget_cells(org)
                     if c.unit != unit and c.amount is not None and abs(c.amount) >= 1000}
                    - own_amounts)
    if verb == "budget_change":
        line, start, end = args["line"], int(args["from"]), int(args["to"])
        a, b = budget_amount(unit, line, start, org), budget_amount(unit, line, end, org)
        if a is None or b is None:
            raise LabelError(f"{unit} {line}: no amount for {start if a is None else end}")
        contains = [line, format_number(a), format_number(b), format_signed(b - a), *money]
        if a:
            contains.append(format_percent((b - a) / a * 100, lang))
        return Expectation(contains, others)
    years = sorted({c.year for c in own})
    year = int(args["year"]) if "year" in args else None
    if verb == "no_forecast" or ("line" not in args and year is None):
        year = year or (TODAY.year if TODAY.year in years else years[-1])
    if year is not None and year not in years:  # the reply must say there is none for it
        return Expectation([], others, none=True, topics=[[str(year)]])
    cells = [c for c in own if (year is None or c.year == year)
             and ("line" not in args or c.line == args["line"])]
    if "line" in args and not cells:
        raise LabelError(f"{unit}'s budget has no line {args['line']!r}")
    contains = ([args["line"]] if "line" in args else []) + \
        [str(year)] * (year is not None) + \
        list(dict.fromkeys(format_number(c.amount) for c in cells if c.amount is not None))
    if verb == "no_forecast":
        return Expectation([unit, *contains, *money], others, none=True,
                           topics=[list(TOPIC_WORDS["forecast"][lang])])
    return Expectation(contains + money, others)


def word_start_pattern(words: list[str] | tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(w) for w in words)
    return re.compile(rf"(?<!\w)(?:{alternatives})", re.IGNORECASE)


def none_pattern(lang: str) -> re.Pattern[str]:
    words = "|".join(re.escape(w) for w in NONE_WORDS[lang])
    return re.compile(rf"(?<!\w)(?:{words})(?!\w)", re.IGNORECASE)

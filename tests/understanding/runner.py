"""Runs the labelled question corpora (corpus/*.txt) through the bot's HTTP endpoint and
checks each reply against expected.py. Shared by test_corpus.py and bench/understanding.py.

A corpus line:  KIND | QUESTION [>> FOLLOW-UP ...] | LABEL [>> LABEL ...]
A corpus file talks to one organisation: corpus/<lang>.txt to the default one (Norrtälje),
corpus/<org>/<lang>.txt to the demo organisation of that folder of storage/demo (lovisa,
lerum, nykoping …); every turn is sent from that organisation's tenant
(channelData.tenant.id, as Teams sends it) and its labels are computed from its CSV files.
corpus/<org>+<name>/ talks to that organisation after the files of its import/ folder were
imported (files the bot has never seen: names no lexicon lists); it runs on a bot of its
own (running_corpus_bot), its labels computed from the demo's files and the imported ones.
Each case runs in a conversation of its own; each turn's reply (its text and every string of
its cards) must contain every `contains` string, no `absent` string, no traceback, and, when
the answer is empty, a word saying so and a word naming what there is none of (the unit
asked about, "försenade", "förfaller", "underskott", "fler" ...: Expectation.topics), so that
"I can't find a unit called 'this week'" does not pass for "nothing is due this week".

Matching: case-insensitive, whitespace runs (also no-break and thin spaces) count as one
space, U+2212 minus counts as "-", Markdown backslash-escapes are removed. Two refinements
keep short needles honest: a needle of 2-3 capital letters (IT, HR, KD) matches only as a
capitalised whole word ("it" in "with it" is not IT), and a number matches only as a whole
number (5 is not in 2025, 372 is not in 1 372, 12 is not in 1.12.2025).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from expected import (
    DEFAULT_ORG,
    TODAY,
    Expectation,
    LabelError,
    expected,
    import_files,
    none_pattern,
    parse_label,
    word_start_pattern,
)

CORPUS_DIR = Path(__file__).resolve().parent / "corpus"
# Held-out sets run through the HTTP endpoint as well (Norrtälje's, in the corpus grammar):
# heldout3/<lang>.txt, written after tuning and scored once before any change for it.
HTTP_HELDOUT = ("heldout3",)
LOCALES = {"sv": "sv-SE", "en": "en-US", "fi": "fi-FI"}
# What Teams sends where another locale is the usual one (Swedish speakers in Finland).
ORG_LOCALES = {"lovisa": {"sv": "sv-FI"}}
KINDS = ("forecast", "unit_names", "cross_unit", "filter", "time", "assignment", "count",
         "follow_up", "messy", "summary", "help", "units",
         # indicators: one by (words of) its name; a unit's or a goal's; which are developing
         # negatively / positively, below target, worse than comparable municipalities;
         # women and men
         "indicator", "indicator_set", "judgement", "gender",
         # yearly budgets: a unit's budget (a year, a line), a line's change between years,
         # a forecast asked of a unit that has only a budget; key goals (assignments)
         "budget", "budget_line", "budget_change", "no_forecast", "key_goals")


def _tenants() -> dict[str, str]:
    from storage.demo import DEMO_ORGANISATIONS

    return {demo.folder: demo.tenant for demo in DEMO_ORGANISATIONS}


TENANTS = _tenants()
# The demo folders (the default organisation first), then the corpora with imports.
ORGS = tuple(TENANTS) + tuple(sorted(
    d.name for d in CORPUS_DIR.iterdir() if d.is_dir() and "+" in d.name
    and d.name.split("+", 1)[0] in TENANTS))


def base_org(org: str) -> str:
    """The demo organisation a corpus talks to ("lerum+unseen" → "lerum")."""
    return org.split("+", 1)[0]


@dataclass(frozen=True)
class Case:
    lang: str
    kind: str
    line: int
    questions: tuple[str, ...]
    labels: tuple[str, ...]
    org: str = DEFAULT_ORG
    source: str = "corpus"  # corpus | a held-out set of HTTP_HELDOUT

    @property
    def id(self) -> str:
        head = "" if self.org == DEFAULT_ORG else f"{self.org}-"
        if self.source != "corpus":
            head = f"{self.source}-{head}"
        return f"{head}{self.lang}-{self.kind}-{self.line}"

    @property
    def file(self) -> str:
        if self.source != "corpus":
            return f"{self.source}/{self.lang}.txt"
        return f"{self.lang}.txt" if self.org == DEFAULT_ORG else f"{self.org}/{self.lang}.txt"

    @property
    def locale(self) -> str:
        return ORG_LOCALES.get(base_org(self.org), {}).get(self.lang, LOCALES[self.lang])


class CorpusError(ValueError):
    pass


def parse_corpus(text: str, lang: str, org: str = DEFAULT_ORG,
                 source: str = "corpus") -> list[Case]:
    where = lang if org == DEFAULT_ORG else f"{org}/{lang}"
    if source != "corpus":
        where = f"{source}/{where}"
    cases = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) != 3:
            raise CorpusError(f"{where}:{number}: expected KIND | QUESTION | LABEL: {raw!r}")
        kind, question, label = parts
        if kind not in KINDS:
            raise CorpusError(f"{where}:{number}: unknown kind {kind!r}")
        questions = tuple(q.strip() for q in question.split(">>"))
        labels = tuple(lab.strip() for lab in label.split(">>"))
        if len(questions) != len(labels) or not all(questions) or not all(labels):
            raise CorpusError(f"{where}:{number}: {len(questions)} questions, "
                              f"{len(labels)} labels")
        if kind == "follow_up" and len(questions) < 2:
            raise CorpusError(f"{where}:{number}: a follow_up case needs two turns or more")
        previous = None
        for lab in labels:
            try:
                parse_label(lab, org)
                expected(lab, lang, previous, org)
            except LabelError as exc:
                raise CorpusError(f"{where}:{number}: {exc}") from None
            previous = lab
        cases.append(Case(lang, kind, number, questions, labels, org, source))
    return cases


def corpus_path(org: str, lang: str) -> Path:
    return CORPUS_DIR / (f"{lang}.txt" if org == DEFAULT_ORG else f"{org}/{lang}.txt")


def load_cases(langs: Iterable[str] = tuple(LOCALES),
               orgs: Iterable[str] = ORGS, source: str = "corpus") -> list[Case]:
    """Every case of the given languages and organisations; an organisation without a
    corpus (a folder with no file of the language) has none. source= a held-out set of
    HTTP_HELDOUT instead of the corpora (Norrtälje's only)."""
    cases: list[Case] = []
    langs = tuple(langs)
    if source != "corpus":
        if source not in HTTP_HELDOUT:
            raise CorpusError(f"no held-out set {source!r}: {', '.join(HTTP_HELDOUT)}")
        for lang in langs:
            path = CORPUS_DIR.parent / source / f"{lang}.txt"
            if DEFAULT_ORG in tuple(orgs) and path.is_file():
                cases += parse_corpus(path.read_text(encoding="utf-8"), lang, DEFAULT_ORG,
                                      source)
        return cases
    for org in orgs:
        if org not in ORGS:
            raise CorpusError(f"no corpus organisation {org!r}: {', '.join(ORGS)}")
        for lang in langs:
            path = corpus_path(org, lang)
            if path.is_file():
                cases += parse_corpus(path.read_text(encoding="utf-8"), lang, org)
    return cases


# --- what a reply shows ---------------------------------------------------------------------

# Keys whose string values a person sees: TextBlock/TextRun text, FactSet title/value, action
# and choice titles, input labels and values, chart labels and legends.
CARD_TEXT_KEYS = {"text", "title", "value", "label", "legend", "x", "subtitle",
                  "placeholder", "fallbackText", "altText", "name"}
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_SPACES = re.compile(r"[\s\u00a0\u2007\u2009\u202f]+")
_LINE_SPACES = re.compile(r"[^\S\n]+|[\u00a0\u2007\u2009\u202f]+")


def card_strings(node: Any, key: str | None = None) -> Iterator[str]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield from card_strings(v, k)
    elif isinstance(node, list):
        for v in node:
            yield from card_strings(v, key)
    elif isinstance(node, str) and key in CARD_TEXT_KEYS:
        yield node


def reply_text(replies: list[dict[str, Any]]) -> str:
    """Everything the user sees of a turn's replies, one string per line."""
    shown: list[str] = []
    for reply in replies:
        if reply.get("text"):
            shown.append(reply["text"])
        for attachment in reply.get("attachments") or []:
            shown.extend(card_strings(attachment.get("content")))
    return _ESCAPE.sub(r"\1", "\n".join(shown))


def flatten(text: str) -> str:
    return _SPACES.sub(" ", text.replace("\u2212", "-")).strip()


def flatten_lines(text: str) -> str:
    """Like flatten, but line breaks stay: table cells and card elements arrive one a line,
    and "8" above "36" is not the number 8 36."""
    text = _LINE_SPACES.sub(" ", text.replace("\u2212", "-"))
    return re.sub(r" ?\n[\s]*", "\n", text).strip()


def needle_pattern(needle: str) -> tuple[re.Pattern[str], bool]:
    """(pattern, case_sensitive) for one contains/absent string."""
    flat = flatten(needle)
    if re.fullmatch(r"[A-ZÅÄÖ]{2,3}", flat):
        return re.compile(rf"(?<!\w){re.escape(flat)}(?!\w)"), True
    body = re.escape(flat.casefold())
    before = r"(?<!\d)(?<!\d )(?<!\d[.,-])" if flat[:1].isdigit() else ""
    if flat[:1] in "+-" and flat[1:2].isdigit():
        before = r"(?<!\d)"
    after = r"(?!\d)(?! \d{3}(?!\d))(?![.,-]\d)" if flat[-1:].isdigit() else ""
    return re.compile(before + body + after), False


def shows(needle: str, raw: str) -> bool:
    """Numbers are looked for line by line, other text across line breaks."""
    pattern, cased = needle_pattern(needle)
    numeric = needle.strip()[:1].isdigit() or needle.strip()[-1:].isdigit()
    text = flatten_lines(raw) if numeric else flatten(raw)
    return bool(pattern.search(text if cased else text.casefold()))


_QUOTED = re.compile(r'”[^”\n]{0,200}”|“[^”\n]{0,200}”|"[^"\n]{0,200}"|«[^»\n]{0,200}»'
                     r'|»[^«»\n]{0,200}[«»]|„[^“”\n]{0,200}[“”]')


def unquoted(text: str) -> str:
    """The reply without what it quotes (typically the question's own words)."""
    return _QUOTED.sub(" ", text)


def mentions(group: list[str], raw: str) -> bool:
    """One of the group: unit names (capitalised) by the matching rules, topic words as the
    beginning of a word ("försen" in "försenade")."""
    names = [w for w in group if w[:1].isupper()]
    words = [w for w in group if w not in names]
    return (any(shows(name, raw) for name in names)
            or bool(words and word_start_pattern(words).search(flatten(raw))))


_ZERO = re.compile(r"(?<![\d,.])0(?![\d,.])")


@dataclass
class TurnCheck:
    question: str
    label: str
    reply: str
    missing: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)  # absent strings the reply showed
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.wrong or self.problems)

    def describe(self) -> str:
        lines = [f"  Q: {self.question}", f"  label: {self.label}"]
        if self.missing:
            lines.append(f"  missing: {self.missing}")
        if self.wrong:
            lines.append(f"  should not show: {self.wrong}")
        if self.problems:
            lines.append(f"  problems: {self.problems}")
        excerpt = flatten(self.reply)
        lines.append(f"  reply: {excerpt[:400]}{'…' if len(excerpt) > 400 else ''}")
        return "\n".join(lines)


def check_reply(question: str, label: str, raw: str, expectation: Expectation, lang: str,
                status: int = 200) -> TurnCheck:
    result = TurnCheck(question, label, raw)
    flat = flatten(raw)
    if status >= 300:
        result.problems.append(f"HTTP {status}")
    if not flat:
        result.problems.append("empty reply")
    if "Traceback" in raw or re.search(r'File ".*", line \d+', raw):
        result.problems.append("traceback in the reply")
    result.missing = [s for s in expectation.contains if not shows(s, raw)]
    result.wrong = [s for s in expectation.absent if shows(s, raw)]
    own = unquoted(raw)  # "no unit called 'X'" echoing the question says nothing about X
    if expectation.none and not (
        none_pattern(lang).search(flatten(own))
        or (expectation.zero_ok and _ZERO.search(flatten_lines(own)))
    ):
        result.problems.append(f"does not say there are none ({lang})")
    if expectation.none:
        for group in expectation.topics:
            if not mentions(group, own):
                result.problems.append(f"says none, but not of what: none of {group}")
    return result


@dataclass
class CaseResult:
    case: Case
    turns: list[TurnCheck]

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.turns) and len(self.turns) == len(self.case.questions)

    def describe(self) -> str:
        head = f"{self.case.id} ({self.case.file} line {self.case.line})"
        return "\n".join([head] + [t.describe() if not t.ok else f"  Q: {t.question}  (ok)"
                                    for t in self.turns])


async def run_case(client: Any, case: Case) -> CaseResult:
    """Every turn of the case in a new conversation (and as a user of its own), from the
    tenant of the case's organisation."""
    conversation_id = f"corpus-{case.id}"
    turns = []
    previous: str | None = None
    for question, label in zip(case.questions, case.labels, strict=True):
        turn = await client.say(question, conversation_id=conversation_id,
                                locale=case.locale, user_id=f"29:corpus-{case.id}",
                                user_name="Corpus Användare",
                                channelData={"tenant": {"id": TENANTS[base_org(case.org)]}})
        expectation = expected(label, case.lang, previous, case.org)
        turns.append(check_reply(question, label, reply_text(turn.replies), expectation,
                                 case.lang, turn.status))
        previous = label
    return CaseResult(case, turns)


@asynccontextmanager
async def running_corpus_bot(database_url: str, org: str = DEFAULT_ORG) -> AsyncIterator[Any]:
    """The bot on the demo data (today fixed), with the corpus's import files imported into
    its organisation (none for a plain demo corpus)."""
    from botclient import bot_settings, running_bot

    from storage import organisations
    from storage.db import session
    from storage.importer import import_file

    settings = bot_settings(database_url, fixed_today=TODAY.isoformat())
    async with running_bot(settings) as client:
        files = import_files(org)
        if files:
            with session(client.engine) as s:
                found = organisations.by_tenant(s, TENANTS[base_org(org)])
            assert found is not None, org
            for path in files:
                import_file(client.engine, found.id, path)
        yield client


def accuracy_tables(results: list[CaseResult]) -> str:
    """One accuracy table per organisation that has results, each under its name."""
    parts = []
    for org in ORGS:
        rows = [r for r in results if r.case.org == org]
        if rows:
            parts.append(f"{org}\n{accuracy_table(rows)}")
    return "\n\n".join(parts)


def accuracy_table(results: list[CaseResult]) -> str:
    """Cases passed per kind (rows) and language (columns)."""
    langs = [lang for lang in LOCALES if any(r.case.lang == lang for r in results)]
    kinds = [k for k in KINDS if any(r.case.kind == k for r in results)]

    def cell(rows: list[CaseResult]) -> str:
        if not rows:
            return "-"
        passed = sum(r.ok for r in rows)
        return f"{passed}/{len(rows)} {100 * passed / len(rows):3.0f}%"

    header = ["kind"] + langs + ["all"]
    table = [header]
    for kind in kinds + ["all"]:
        rows = [r for r in results if kind in ("all", r.case.kind)]
        table.append([kind] + [cell([r for r in rows if r.case.lang == lang]) for lang in langs]
                     + [cell(rows)])
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                       for i, (c, w) in enumerate(zip(row, widths, strict=True)))
             for row in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.insert(len(lines) - 1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)

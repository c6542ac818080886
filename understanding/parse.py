"""Question text → `Question`: entities first, then the intent.

1. Tokens are matched against every lexicon phrase and every catalog name at once (index.py);
   time expressions are read (timeexpr.py); the best non-overlapping choice of matches covers
   the question (matching.segment), so "Räddningstjänstens prognos" is a unit and a cue word,
   and "has biggest" is a ranking word and a word not understood, never a unit.
2. The words left over are looked up in the assignment titles.
3. The intent follows from the cue words and what was found: a unit alone asks for its
   figures, title words alone for that assignment, "hur många" for a count, and so on.
   Close readings become `alternatives`; words not understood are `unmatched`.
"""

from __future__ import annotations

import re
from collections import OrderedDict, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from threading import Lock
from typing import TYPE_CHECKING, Any

from understanding import timeexpr
from understanding.catalog import Catalog
from understanding.index import EntityIndex, LexiconIndex, TitleHit, entity_index
from understanding.lexicon import Lexicon, load_all
from understanding.matching import FUZZY, Match, Payload, segment
from understanding.normalize import Text, Token, fold, is_number, tokenize
from understanding.question import (
    AssignmentFilter,
    Balance,
    Form,
    Intent,
    Judgement,
    Measure,
    Question,
)

if TYPE_CHECKING:
    from understanding.followup import Context

DUE_SOON_DAYS = 30
MAX_NUMBERS = 50  # title matches beyond this are a words filter, not a list of numbers
_LEXICON_PRIORITY = {"stop": 0.3, "polite": 0.4, "conj": 0.3, "pronoun": 0.3, "neg": 0.5}
_COMMANDS = ("subscribe", "unsubscribe", "subscriptions", "reminders_off", "reminders_on",
             "snooze", "update", "my_assignments", "cancel")
_FINANCE_CUES = ("finance", "forecast", "budget")
_BALANCE = {"deficit": Balance.DEFICIT, "surplus": Balance.SURPLUS,
            "balanced": Balance.BALANCED}
_JUDGEMENT = {"negative": Judgement.NEGATIVE, "positive": Judgement.POSITIVE,
              "below_target": Judgement.BELOW_TARGET,
              "worse_than_comparison": Judgement.WORSE_THAN_COMPARISON}
_DETAIL_CUES = ("when", "responsible", "comment", "status_of")
# time words that name a stretch of time (not "i", "på", "före"): "the last quarter" is time
_TIME_NOUNS = set(timeexpr.UNITS + timeexpr.RELATIVE + timeexpr.BOUNDARIES)


@dataclass
class _Found:
    """What the chosen matches say."""

    text: Text
    tokens: tuple[Token, ...]
    segments: list[Match]
    cues: dict[str, list[Match]] = field(default_factory=lambda: defaultdict(list))
    statuses: list[str] = field(default_factory=list)
    forecasts: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    kind_concepts: list[str] = field(default_factory=list)
    noun: bool = False
    units: list[Match] = field(default_factory=list)
    goals: list[str] = field(default_factory=list)
    goal_matches: list[Match] = field(default_factory=list)
    indicators: list[int] = field(default_factory=list)
    indicator_goals: list[str] = field(default_factory=list)
    budget_lines: list[str] = field(default_factory=list)
    times: list[timeexpr.TimeMatch] = field(default_factory=list)
    refs: list[int] = field(default_factory=list)
    ints: list[tuple[int, int]] = field(default_factory=list)  # (value, token index)
    years: list[int] = field(default_factory=list)
    long_ints: list[int] = field(default_factory=list)  # token indexes of larger numbers
    ordinals: list[int] = field(default_factory=list)
    numbers_words: list[tuple[int, int]] = field(default_factory=list)  # (value, start)
    title_concepts: list[str] = field(default_factory=list)
    leftover: list[int] = field(default_factory=list)  # token indexes not understood
    votes: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    def cue(self, *names: str) -> bool:
        return any(self.cues.get(n) for n in names)

    def first(self) -> Match | None:
        return self.segments[0] if self.segments else None


class Understander:
    """Reads questions in the languages of its lexicons. Build one and share it: the lexicon
    index is built here, each catalog's entity index on first use per catalog version."""

    def __init__(self, lexicons: Sequence[Lexicon] | None = None,
                 remembered: int = 4096) -> None:
        self.lexicons = tuple(lexicons) if lexicons is not None else load_all()
        self.index = LexiconIndex(self.lexicons)
        self._stop_words = {lex.language: {fold(w.casefold()) for w in lex.words("stopwords")}
                            for lex in self.lexicons}
        self._hints = {lex.language: tuple(lex.words("hint_letters")) for lex in self.lexicons}
        # The same words against the same catalog on the same day read the same: staff ask
        # the same few questions, and a Question is immutable.
        self._read_before: OrderedDict[tuple[str, str, date], Question] = OrderedDict()
        self._read_lock = Lock()
        self._remember_at_most = remembered  # 0: read every time (bench/bench_understanding)

    # --- public --------------------------------------------------------------------------

    def understand(self, text: str, catalog: Catalog, today: date,
                   context: Context | None = None, now: datetime | None = None) -> Question:
        """The question, standalone; with a followup.Context, completed from the previous
        turn ("och HR?", "visa fler", "den andra")."""
        question = self._remembered(text, catalog, today)
        if context is not None:
            from understanding.followup import resolve  # followup imports nothing from here

            return resolve(question, context, now or datetime.now(context.at.tzinfo))
        if question.asks_which and question.follow_up and question.filter == AssignmentFilter():
            # "vilka är det?" as the first message: nothing to point back to
            return Question(Intent.UNKNOWN, language=question.language, follow_up=True,
                            confidence=0.0)
        return question

    def entities(self, catalog: Catalog) -> EntityIndex:
        return entity_index(catalog, self.index)

    def find_unit(self, text: str, catalog: Catalog) -> tuple[int | None, list[int]]:
        """The one unit a text names (for subscription unit words), else (None, suggestions)."""
        ei = self.entities(catalog)
        found = self._read(tokenize(text), ei, date.today())
        ids = {p.value for m in found.units for p in m.payloads if p.kind == "unit"}
        if len(ids) == 1 and not [i for i in found.leftover
                                  if found.tokens[i].folded not in self.index.stopwords]:
            return next(iter(ids)), []
        words = " ".join(found.tokens[i].text for i in found.leftover) or text
        return None, sorted(ids) or ei.unit_suggestions(words)

    def _remembered(self, text: str, catalog: Catalog, today: date) -> Question:
        key = (text, catalog.version, today)
        with self._read_lock:
            found = self._read_before.get(key)
            if found is not None:
                self._read_before.move_to_end(key)
                return found
        found = self._understand(text, catalog, today)
        if not self._remember_at_most:
            return found
        with self._read_lock:
            self._read_before[key] = found
            while len(self._read_before) > self._remember_at_most:
                self._read_before.popitem(last=False)
        return found

    # --- reading -----------------------------------------------------------------------

    def _understand(self, text: str, catalog: Catalog, today: date) -> Question:
        parsed = tokenize(text)
        if not parsed.tokens:
            return Question(Intent.HELP, confidence=0.5 if parsed.original else 1.0)
        ei = self.entities(catalog)
        found = self._read(parsed, ei, today)
        language = self._language(found)
        question = _Decider(self, found, ei, catalog, today).decide()
        return question.with_(language=language)

    def _tokens(self, parsed: Text, ei: EntityIndex) -> tuple[Token, ...]:
        """Hyphenated words nobody knows whole are read as their parts
        ("Turistbyrån-tehtävän" → "Turistbyrån", "tehtävän")."""
        out: list[Token] = []
        for t in parsed.tokens:
            inner = t.text.strip("-")
            if "-" in inner and not self._known(t, ei):
                pos = t.start
                for part in t.text.split("-"):
                    if part:
                        out.append(Token(part, fold(part), pos, pos + len(part), t.upper))
                    pos += len(part) + 1
                continue
            out.append(t)
        return tuple(out)

    def _known(self, token: Token, ei: EntityIndex) -> bool:
        lexical, names = self.index.trie.vocabulary, ei.trie.vocabulary
        for k, _ in self.index.variants.of(token, names=True):
            if k.startswith("=") and (k[1:] in lexical or k[1:] in names):
                return True
        return ei.titles.knows(token.folded)

    def _read(self, parsed: Text, ei: EntityIndex, today: date) -> _Found:
        tokens = self._tokens(parsed, ei)
        lexical_forms, name_forms = [], []
        for t in tokens:
            forms = list(self.index.variants.of(t))
            names = list(self.index.variants.of(t, names=True))
            if (len(t.folded) >= 5 and t.folded.isalpha() and not self._known(t, ei)
                    and not ei.titles.stems_for(t)):
                near = self.index.trie.nearest(t.folded) or ei.trie.nearest(t.folded)
                if near:
                    forms.append(("=" + near, FUZZY))
                    names.append(("=" + near, FUZZY))
            lexical_forms.append(forms)
            name_forms.append(names)
        lexical = self.index.trie.matches(lexical_forms)
        entities = ei.trie.matches(name_forms)
        times = timeexpr.find(tokens, lexical, today)
        extra: list[Match] = [Match(tm.start, tm.end, (Payload("timex", tm),), 1.0)
                              for tm in times]
        for i, t in enumerate(tokens):
            compound = ei.compound_indicators(t) if ei.catalog.indicators \
                and not self._known(t, ei) else set()
            if compound:  # read only where nothing else covers the word
                extra.append(Match(i, i + 1, tuple(Payload("indicator", c, None, 0.5)
                                                   for c in sorted(compound)), FUZZY))
            if t.text.startswith("#") and is_number(t.text[1:]):
                extra.append(Match(i, i + 1, (Payload("ref", int(t.text[1:])),), 1.0))
            elif is_number(t.text):
                value = int(t.text)
                kind = "year" if 1900 <= value <= 2200 and len(t.text) == 4 else "int"
                extra.append(Match(i, i + 1, (Payload(kind, value),), 1.0))
        extra += _numbered(tokens, lexical)
        chosen = segment(_merged(lexical + entities + extra), len(tokens), _score(tokens, self))
        return self._collect(parsed, tokens, chosen, ei)

    def _collect(self, parsed: Text, tokens: tuple[Token, ...], chosen: list[Match],
                 ei: EntityIndex) -> _Found:
        found = _Found(parsed, tokens, chosen)
        covered: set[int] = set()
        for m in chosen:
            covered.update(range(m.start, m.end))
            langs = {p.lang for p in m.payloads if p.lang}
            if m.has("unit") and not m.kinds() & {"cue", "status", "forecast", "noun"}:
                langs = set()  # "IT" says nothing about the language
            for lang in langs:
                found.votes[lang] += m.length / len(langs)
            for p in m.payloads:
                if p.kind == "cue":
                    found.cues[p.value].append(m)
                elif p.kind == "status":
                    found.statuses.append(p.value)
                elif p.kind == "forecast":
                    found.forecasts.append(p.value)
                elif p.kind == "kind":
                    found.kinds.append(p.value)
                elif p.kind == "kind_concept":
                    found.kind_concepts.append(p.value)
                elif p.kind == "noun":
                    found.noun = True
                elif p.kind == "goal":
                    found.goal_matches.append(m)
                elif p.kind == "indicator":
                    found.indicators.append(p.value)
                elif p.kind == "indicator_goal":
                    found.indicator_goals.append(p.value)
                elif p.kind == "budget_line":
                    found.budget_lines.append(p.value)
                elif p.kind == "timex":
                    found.times.append(p.value)
                elif p.kind == "ref":
                    found.refs.append(p.value)
                elif p.kind == "ordinal":
                    found.ordinals.append(p.value)
                elif p.kind == "number":
                    found.numbers_words.append((p.value, m.start))
                elif p.kind == "title_concept":
                    found.title_concepts.append(p.value)
            if m.has("unit") and not self._pronoun_not_unit(tokens, m):
                found.units.append(m)
        found.leftover = [i for i in range(len(tokens)) if i not in covered]
        # Numbers are numbers whatever else they were read as ("3" after "målområde")
        found.ints = [(int(t.text), i) for i, t in enumerate(tokens)
                      if is_number(t.text) and len(t.text) <= 3]
        found.years = [int(t.text) for t in tokens
                       if is_number(t.text) and len(t.text) == 4 and 1900 <= int(t.text) <= 2200]
        found.long_ints = [i for i, t in enumerate(tokens) if is_number(t.text)
                           and len(t.text) > 3 and int(t.text) not in found.years]
        return found

    def _pronoun_not_unit(self, tokens: Sequence[Token], m: Match) -> bool:
        """'it' in "show it as text": a short lower-case little word is not the unit IT."""
        t = tokens[m.start]
        if m.length != 1 or len(t.folded) > 3 or t.upper or t.folded not in self.index.stopwords:
            return False
        # only where the question is in the language the little word belongs to: "hur går
        # det för it" is Swedish, and there "it" can only be the unit
        own = {lex.language for lex in self.lexicons if t.folded in self._stop_words[lex.language]}
        votes: dict[str, int] = defaultdict(int)
        for other in _other_languages(tokens, m, self):
            votes[other] += 1
        best = max(votes.values(), default=0)
        return any(votes.get(lang, 0) == best and best > 0 for lang in own)

    def _language(self, found: _Found) -> str | None:
        votes = dict(found.votes)
        for lang, letters in self._hints.items():
            if any(letter in found.text.original.casefold() for letter in letters):
                votes[lang] = votes.get(lang, 0.0) + 1.0
        if not votes:
            return None
        ranked = sorted(votes.items(), key=lambda kv: -kv[1])
        if len(ranked) > 1 and ranked[1][1] >= ranked[0][1] - 0.01:
            return None
        return ranked[0][0] if ranked[0][1] >= 0.5 else None


def _other_languages(tokens: Sequence[Token], skip: Match, u: Understander) -> list[str]:
    """The languages of the other words of the question (one vote per word)."""
    out = []
    for i, t in enumerate(tokens):
        if skip.start <= i < skip.end:
            continue
        out.extend(lang for lang, words in u._stop_words.items() if t.folded in words)
    return out


def _merged(matches: list[Match]) -> list[Match]:
    """One match per span, with every reading of it: "ekonomi" is a cue word, a unit's
    alias and a goal area's word at once, and which it is depends on the rest."""
    by_span: dict[tuple[int, int], list[Match]] = defaultdict(list)
    for m in matches:
        by_span[(m.start, m.end)].append(m)
    out = []
    for (start, end), group in by_span.items():
        if len(group) == 1:
            out.append(group[0])
            continue
        best = max(m.quality for m in group)
        payloads = tuple(dict.fromkeys(p for m in group if m.quality >= best - 0.051
                                       for p in m.payloads))
        out.append(Match(start, end, payloads, best))
    return out


def _score(tokens: Sequence[Token], understander: Understander) -> object:
    def score(m: Match) -> float:
        weight = 0.0
        for p in m.payloads:
            w = _LEXICON_PRIORITY.get(p.kind, 1.0) * p.weight
            if p.kind == "timex":
                w = 1.3
            elif p.kind == "unit" and m.length == 1:
                t = tokens[m.start]
                # "it" in "show it as text", "its forecast": a short lower-case pronoun is
                # never the unit IT
                if len(t.folded) <= 3 and not t.upper and t.folded in understander.index.stopwords:
                    w = 0.0
            weight = max(weight, w)
        return (m.length ** 1.5) * m.quality * weight
    return score


class _Decider:
    """From what was found to one Question (with alternatives when unsure)."""

    def __init__(self, understander: Understander, found: _Found, ei: EntityIndex,
                 catalog: Catalog, today: date) -> None:
        self.u = understander
        self.f = found
        self.ei = ei
        self.catalog = catalog
        self.today = today
        self.unmatched: list[str] = []
        self._hits: list[TitleHit] | None = None
        self._title_matched: set[int] = set()
        self._title_common: list[str] = []
        self._negate()
        self.goals = self._choose_goals()

    # --- preparation ---------------------------------------------------------------------

    def _negated(self, m: Match) -> bool:
        """A negation word right before a match ("inte påbörjade", "not counting board
        initiatives", "haven't been started"), across at most two little words."""
        segments = self.f.segments
        i = segments.index(m)
        for j in range(i - 1, max(-1, i - 4), -1):
            prev = segments[j]
            if prev.has("neg"):
                return True
            if not prev.kinds() & {"stop", "pronoun", "conj"} or prev.end < m.start - 3:
                return False
        return False

    def _negate(self) -> None:
        """Negated statuses, forecasts and kinds turn into what they exclude."""
        f = self.f
        flip_status = {"started": "not_started", "completed": "open", "not_started": "started"}
        flip_forecast = {"on_plan": "deviation", "deviation": "on_plan"}
        statuses: list[str] = []
        forecasts: list[str] = []
        self.excluded_kinds: list[str] = []
        for m in f.segments:
            neg = self._negated(m) if m.kinds() & {"status", "forecast", "kind",
                                                   "kind_concept"} else False
            for p in m.payloads:
                if p.kind == "status":
                    statuses.append(flip_status.get(p.value, p.value) if neg else p.value)
                elif p.kind == "forecast":
                    forecasts.append(flip_forecast.get(p.value, p.value) if neg else p.value)
                elif p.kind in ("kind", "kind_concept") and neg:
                    kind = p.value if p.kind == "kind" else self.ei.kinds_by_concept.get(p.value)
                    if kind:
                        self.excluded_kinds.append(kind)
        f.statuses = list(dict.fromkeys(statuses))
        f.forecasts = list(dict.fromkeys(forecasts))

    def _assignment_context(self) -> bool:
        f = self.f
        return bool(f.noun or f.statuses or f.kinds or f.kind_concepts
                    or f.cue("overdue", "due", "deadline", "count"))

    def _choose_goals(self) -> list[str]:
        """Goal areas named ("målområde 3", "inom trygghet", "the safety goal area"); the
        words of a goal's name are then used up ("ekonomi i balans" is not a finance cue)."""
        f = self.f
        goals: list[str] = []
        for m in f.cues.get("goal", []):
            for value, index in f.ints:
                if index in (m.end, m.start - 1) and value in self.ei.goal_numbers:
                    goals.append(self.ei.goal_numbers[value])
        explicit = bool(f.cues.get("goal"))
        for m in f.goal_matches:
            others = m.kinds() - {"goal", "stop", "conj"}
            if not explicit:
                if others or not self._assignment_context():
                    continue
                if self._title_word(m) and m.length == 1 and not self._more_goal_words(m):
                    continue  # "kontoret för hållbar utveckling" is a title, not goal 1
            goals.extend(p.value for p in m.payloads if p.kind == "goal")
        goals = list(dict.fromkeys(goals))
        if goals:
            self._absorb(goals)
        return goals

    def _title_word(self, m: Match) -> bool:
        return any(q >= 1.0 for i in range(m.start, m.end)
                   for q in self.ei.titles.stems_for(self.f.tokens[i]).values())

    def _more_goal_words(self, m: Match) -> bool:
        """Another word of the same goal area's name next to it ("inkluderande kommun"), or
        joined to it ("miljö och klimat")."""
        f = self.f
        words: set[str] = set()
        for goal in m.values("goal"):
            words |= self.ei.goal_words.get(goal, set())
        joined = {i for i in (m.start - 1, m.end) if 0 <= i < len(f.tokens) and any(
            s.has("conj") and s.start == i for s in f.segments)}
        near = [i for i in (m.start - 1, m.end, *(i + (1 if i >= m.end else -1)
                                                   for i in joined))
                if 0 <= i < len(f.tokens) and i not in joined]
        return any(f.tokens[i].folded in words and f.tokens[i].folded not in
                   self.u.index.stopwords for i in near)

    def _absorb(self, goals: list[str]) -> None:
        f = self.f
        words: set[str] = set()
        for g in goals:
            words |= self.ei.goal_words.get(g, set())

        def inside(m: Match) -> bool:
            return all(f.tokens[i].folded in words or any(
                k[k.index(":") + 1:] in words for k, _ in self.u.index.variants.of(f.tokens[i])
                if ":" in k) or f.tokens[i].folded in self.u.index.stopwords
                for i in range(m.start, m.end))

        keep = [m for m in f.segments
                if m.has("goal") or m.has("cue", "goal") or m.kinds() & {"unit", "status",
                                                                         "forecast", "kind",
                                                                         "noun", "timex"}
                or not inside(m)]
        gone = {i for m in f.segments if m not in keep for i in range(m.start, m.end)}
        gone |= {i for i in f.leftover if f.tokens[i].folded in words}
        if not gone:
            return
        rebuilt = self.u._collect(f.text, f.tokens, keep, self.ei)
        rebuilt.leftover = [i for i in rebuilt.leftover if i not in gone]
        rebuilt.statuses, rebuilt.forecasts = f.statuses, f.forecasts
        self.f = rebuilt

    # --- helpers -----------------------------------------------------------------------

    def _words(self, indexes: Sequence[int]) -> tuple[str, ...]:
        return tuple(self.f.tokens[i].text for i in indexes)

    def _only(self, *allowed: str, segments: Sequence[Match] | None = None) -> bool:
        """Every chosen match is one of these kinds (stop words and politeness always are),
        and nothing is left over."""
        keep = {"stop", "polite", "conj", "pronoun", *allowed}
        segs = self.f.segments if segments is None else segments
        return not self.f.leftover and all(m.kinds() & keep for m in segs)

    def _rest_after(self, m: Match) -> str:
        """The text after a command word, as typed."""
        tokens = self.f.tokens
        if m.end >= len(tokens):
            return ""
        return self.f.text.original[tokens[m.end].start:].strip(" .!?")

    def _unit_ids(self) -> tuple[list[int], list[list[int]]]:
        """The units named (each match's best unit) and the ambiguous matches' options. A
        word that is also a cue ("ekonomi") is the cue when another unit is named."""
        f = self.f
        plain = {"unit", "stop", "conj", "goal", "title_concept", "pronoun", "polite"}
        strong = [m for m in f.units if not (m.kinds() - plain)]
        chosen = strong or [m for m in f.units if not m.has("title_concept")] or f.units
        ids: list[int] = []
        ambiguous: list[list[int]] = []
        for m in chosen:
            payloads = sorted((p for p in m.payloads if p.kind == "unit"),
                              key=lambda p: -p.weight)
            top = list(dict.fromkeys(p.value for p in payloads
                                     if p.weight >= payloads[0].weight - 0.01))
            if len(top) > 1:
                ambiguous.append(top)
            if top[0] not in ids:
                ids.append(top[0])
        return ids, ambiguous

    def _other_cues(self, *allowed: str) -> bool:
        ignorable = {"follow_up", "help", "which", *allowed}
        return any(name not in ignorable and ms for name, ms in self.f.cues.items())

    # --- the decision ------------------------------------------------------------------

    def decide(self) -> Question:
        f = self.f
        first = f.first()
        if first is not None and first.start == 0:
            command = self._command(first)
            if command is not None:
                return command
        follow = self._follow_up_only()
        if follow is not None:
            return follow
        question = self._question()
        changes: dict[str, object] = {}
        if f.cue("as_text"):
            changes["as_text"] = True
        if page := self._page():
            changes["page"] = page
        if self._elliptical(question):
            changes["follow_up"] = True
        if f.cue("which") and question.intent is Intent.ASSIGNMENTS \
                and question.form is Form.LIST:
            changes["asks_which"] = True
        if self.unmatched and question.intent is not Intent.UNKNOWN:
            changes["unmatched"] = tuple(dict.fromkeys(self.unmatched))
        return question.with_(**changes) if changes else question

    def _elliptical(self, question: Question) -> bool:
        """To be completed from the previous turn: it starts with "och"/"and"/"entä"/"bara",
        points back ("det", "its", "niistä"), or asks about details of nothing named."""
        f = self.f
        lead = f.segments[0] if f.segments else None
        if lead is not None and lead.start == 0 and (lead.has("cue", "follow_up")
                                                     or lead.has("cue", "narrow")):
            return True
        has_subject = bool(question.units or question.filter.unit_ids
                           or question.filter.numbers or question.filter.words)
        # a pronoun points back only where nothing is named: "vilka av dem är försenade?",
        # not "show started assignments that deviate"
        if any(m.has("pronoun") and m not in f.units for m in f.segments) and not has_subject \
                and not (f.noun or f.kinds or f.kind_concepts):
            return True
        return question.intent is Intent.ASSIGNMENTS and question.form is Form.DETAIL \
            and not question.filter.numbers

    def _page(self) -> int | None:
        f = self.f
        for m in f.cues.get("page", []):
            for value, index in f.ints:
                if index == m.end:
                    return max(1, min(value, 10_000))
        return None

    def _command(self, first: Match) -> Question | None:
        names = [n for n in _COMMANDS if first.has("cue", n)]
        if not names:
            return None
        rest = self.f.segments[1:]
        name = names[0]
        if name in ("subscriptions", "reminders_off", "reminders_on", "my_assignments",
                    "cancel"):
            return Question(Intent(name)) if self._only(segments=rest) else None
        if name == "subscribe":
            if self._only(segments=rest) and self.f.cue("subscriptions"):
                return Question(Intent.SUBSCRIPTIONS)
            return self._subscribe(self._rest_after(first)[:500])
        if name == "unsubscribe":
            return Question(Intent.UNSUBSCRIBE, rest=self._rest_after(first)[:500])
        if name == "snooze":
            return self._snooze(first)
        return self._update(first)

    def _subscribe(self, rest: str) -> Question:
        """The options as typed (`rest`), the units their words name (none = all) and the
        words that name none (`unmatched`: the dialogs refuse those)."""
        from understanding.subscription import SubscriptionError, subscription_parts

        question = Question(Intent.SUBSCRIBE, rest=rest)
        try:
            options, indicators = subscription_parts(rest, self.u.lexicons)
        except SubscriptionError:
            return question  # the dialogs parse again and word the refusal
        units: list[int] = []
        unknown: list[str] = []
        conjunctions = {w for lex in self.u.lexicons for w in lex.words("conjunctions")}
        for words in options.unit_words:
            found = self._units_named(words, conjunctions)
            if found:
                units.extend(u for u in found if u not in units)
            else:
                unknown.append(words)
        return question.with_(units=tuple(units), unmatched=tuple(unknown),
                              with_indicators=indicators)

    def _units_named(self, words: str, conjunctions: set[str]) -> list[int]:
        """One unit ("Stab och planering"), or several joined by a conjunction ("IT och
        HR")."""
        unit_id, _ = self.u.find_unit(words, self.catalog)
        if unit_id is not None:
            return [unit_id]
        parts = [p for p in re.split(r"\s+(?:" + "|".join(map(re.escape, conjunctions))
                                     + r")\s+", words, flags=re.IGNORECASE) if p.strip()]
        found = [self.u.find_unit(p, self.catalog)[0] for p in parts] if len(parts) > 1 else []
        return [u for u in found if u is not None] if found and None not in found else []

    def _snooze(self, first: Match) -> Question:
        """'snooza två veckor', 'remind me in 2 weeks', 'torkuta viikko': a week by default."""
        f = self.f
        for tm in f.times:
            if tm.kind == "within" and tm.due_from and tm.due_to:
                return Question(Intent.SNOOZE, days=max(1, min((tm.due_to - tm.due_from).days,
                                                                 3650)))
        count = next((v for v, i in sorted(f.ints + f.numbers_words, key=lambda x: x[1])
                      if i >= first.end), None)
        if count is None and any(i >= first.end for i in f.long_ints):
            # "snooza 99999 veckor": past any limit, so storage refuses it (not a silent week)
            return Question(Intent.SNOOZE, days=3650)
        week = any(m.start >= first.end and m.has("time", "week") for m in f.segments)
        month = any(m.start >= first.end and m.has("time", "month") for m in f.segments)
        unit = 30 if month else 7 if week else 1
        days = (count or 1) * unit if (count or week or month) else 7
        return Question(Intent.SNOOZE, days=max(1, min(days, 3650)))

    def _update(self, first: Match) -> Question:
        f = self.f
        if f.refs:
            return Question(Intent.UPDATE, filter=AssignmentFilter(numbers=tuple(f.refs[:1])))
        hits = self._title_hits(after=first.end)
        if hits:
            numbers = self._best_numbers(hits)
            return Question(Intent.UPDATE, filter=AssignmentFilter(numbers=numbers),
                            confidence=0.9 if len(numbers) == 1 else 0.7)
        words = self._title_words([i for i in f.leftover if i >= first.end])
        terms = tuple(f.tokens[i].folded for i in words)
        return Question(Intent.UPDATE, filter=AssignmentFilter(words=terms),
                        confidence=0.5 if terms else 1.0)

    def _follow_up_only(self) -> Question | None:
        """'visa fler', 'föregående', 'den andra', 'nummer 3', 'som text' on their own, and
        an ordinal with nothing else named ("vem ansvarar för den tredje?")."""
        f = self.f
        if f.cue("more") and self._only("cue") and not self._other_cues("more", "as_text"):
            return Question(Intent.MORE, follow_up=True)
        if f.cue("previous") and self._only("cue") and not self._other_cues("previous"):
            return Question(Intent.PREVIOUS, follow_up=True)
        # "den andra" and "when was the first one due?", not "the last quarter"
        timed = f.times or any(m.has("month") or any(
            v in _TIME_NOUNS for v in m.values("time")) for m in f.segments)
        if f.ordinals and not timed and not f.units and not f.refs and not self._title_hits():
            return Question(Intent.NTH, nth=self._nth(f.ordinals[0]), follow_up=True,
                            as_text=f.cue("as_text"))
        for m in f.cues.get("nth_prefix", []):
            for value, index in f.ints:
                if index == m.end and self._only("cue", "int"):
                    return Question(Intent.NTH, nth=max(1, min(value, 1000)), follow_up=True)
        if f.cue("as_text") and self._only("cue") and not self._other_cues("as_text"):
            return Question(Intent.AS_TEXT, as_text=True, follow_up=True)
        if f.cue("which") and self._only("cue") and all(
                name in ("which", "year_word") for name, ms in f.cues.items() if ms):
            # "vilka är det?", "which ones?", "mitkä ne ovat?": the items just counted
            return Question(Intent.ASSIGNMENTS, Form.LIST, asks_which=True, follow_up=True)
        if f.cue("page") and self._page() and self._only("cue", "int") \
                and not self._other_cues("page"):
            return Question(Intent.MORE, page=self._page() or 1, follow_up=True)
        if f.cue("cancel") and self._only("cue") and not self._other_cues("cancel"):
            return Question(Intent.CANCEL)
        return None

    @staticmethod
    def _nth(value: int) -> int:
        return value if value > 0 else 1000  # "den sista": the dialogs clamp to the list

    # --- the main reading ----------------------------------------------------------------

    def _question(self) -> Question:
        f = self.f
        if f.cue("help") and self._only("cue") and not self._other_cues("help"):
            return Question(Intent.HELP)
        if f.cue("status_of") and self._only("cue") and not self._other_cues("status_of"):
            return Question(Intent.SUMMARY)  # "status", "läget?", "tilanne": the overview
        units, ambiguous = self._unit_ids()
        if self._who_is_responsible_for_a_unit(units):
            return Question(Intent.UNITS, units=tuple(units))
        indicator = f.cue("indicators", *_JUDGEMENT, "by_gender") or self._names_indicator()
        if indicator and not self._assignment_signal() and not self._about_an_assignment():
            return self._indicators(units)
        budget = self._budget(units)
        if budget is not None:
            return budget
        finance = self._finance_score(units)
        assignment = self._assignment_score()
        if self._a_units_deviation(units):
            return self._finance(units, ambiguous)
        if self._is_summary(units, finance):
            return Question(Intent.SUMMARY)
        if self._is_units_list(units, assignment):
            return Question(Intent.UNITS)
        if finance > 0 and finance >= assignment:
            return self._finance(units, ambiguous)
        if assignment > 0:
            if assignment < 1.0 and not units and self._strange_words():
                return self._unknown()  # "vad blir det för väder imorgon?"
            return self._assignments(units, ambiguous)
        if units:
            question = Question(Intent.FINANCE, Form.UNIT, units=tuple(units),
                                subject_only=True)
            return self._with_unit_alternatives(question, ambiguous)
        if self._detail_without_subject():
            return Question(Intent.ASSIGNMENTS, Form.DETAIL, confidence=0.3)
        return self._unknown()

    def _a_units_deviation(self, units: list[int]) -> bool:
        """"IT:s avvikelse", "kuinka suuri on IT:n poikkeama?", "what is the deviation for
        IT?": a unit and the bare word (not "avvikelse från plan") are the unit's deviation
        budget–forecast, not its assignments that deviate from plan; an assignment noun, a
        status, a kind or a title makes it those."""
        f = self.f
        spans = [m for m in f.segments if m.has("forecast")]
        return bool(units and spans and all(m.end - m.start == 1 for m in spans)
                    and not self._assignment_signal() and not f.cue("count")
                    and not f.times and not self._title_hits())

    def _who_is_responsible_for_a_unit(self, units: list[int]) -> bool:
        """"Kuka vastaa ICT:stä?", "vem ansvarar för Stadskanslitjänster?", "who is in
        charge of the rescue service?": a unit and who answers for it (units.csv's
        responsible person), not its figures; an assignment's title words, a status, a kind,
        a finance or indicator word make it a question about those instead."""
        f = self.f
        return bool(units and f.cue("responsible") and not self._assignment_signal()
                    and not f.cue(*_FINANCE_CUES, *_BALANCE, "indicators", *_JUDGEMENT,
                                  "by_gender", "count", "rank_max", "rank_min", "top",
                                  "total", "when", "comment")
                    and not f.indicators and not f.budget_lines and not f.times
                    and not f.ordinals and not self._title_hits())

    def _detail_without_subject(self) -> bool:
        f = self.f
        return f.cue(*_DETAIL_CUES) and not f.leftover

    def _is_summary(self, units: list[int], finance: float) -> bool:
        """'sammanställning', 'översikt över uppdragen och initiativen', 'per status', 'hur
        går det totalt med uppdragen'."""
        f = self.f
        if units or self.goals or f.statuses or f.forecasts or f.times or f.refs:
            return False
        if f.cue("overdue", "due", "deadline", *_BALANCE, "rank_max", "rank_min"):
            return False
        if f.cue("summary"):
            return not self._kinds() and not self._title_hits()
        return bool(f.cue("total") and f.noun and not f.cue("forecast", "budget"))

    def _is_units_list(self, units: list[int], assignment: float) -> bool:
        f = self.f
        if units or assignment >= 1 or f.cue(*_BALANCE, "rank_max", "rank_min", "top",
                                              "total", "forecast", "budget"):
            return False
        if f.cue("units") and self._only("cue", "unit"):
            return True
        return bool(f.cue("which") and f.cue("unit_noun") and not self._strange_words())

    # --- scores ------------------------------------------------------------------------

    def _finance_score(self, units: list[int]) -> float:
        f = self.f
        score = sum(1.0 for name in (*_FINANCE_CUES, *_BALANCE) if f.cues.get(name))
        if f.cue("rank_max", "rank_min", "top"):
            score += 0.6 if (f.cue("unit_noun", "which") or score) else 0.3
        if f.cue("total"):
            score += 0.6
        if f.cue("which") and f.cue("unit_noun") and score:
            score += 0.3
        if units and score:
            score += 0.5  # "IT:s helårsprognos": a unit and a finance word
        if units and score == 0 and not self._assignment_signal():
            score += 0.5
        return score

    def _about_an_assignment(self) -> bool:
        """"Vem ansvarar för genomlysningen av kommunens organisation?": who, when or the
        comment of what an assignment's title names is about that assignment, though a word
        of it names an indicator too (unless an indicator word says otherwise)."""
        f = self.f
        return bool(f.cue("when", "responsible", "comment")
                    and not f.cue("indicators", *_JUDGEMENT, "by_gender")
                    and self._title_hits())

    def _assignment_signal(self) -> bool:
        f = self.f
        return bool(f.noun or f.statuses or f.kinds or f.refs or self.goals
                    or f.cue("overdue", "due", "deadline"))

    def _assignment_score(self) -> float:
        f = self.f
        score = 0.0
        score += 1.0 if f.noun else 0.0
        score += 1.0 if f.statuses else 0.0
        score += 0.8 if f.forecasts else 0.0
        score += 1.0 if f.kinds or f.kind_concepts else 0.0
        score += 1.5 if f.cue("overdue") else 0.0
        score += 1.5 if f.cue("due") else 0.0
        score += 1.0 if f.cue("deadline") else 0.0
        score += 0.8 if any(tm.kind != "year" for tm in f.times) else 0.0
        score += 2.0 if f.refs else 0.0
        score += 0.6 if f.cue("count") else 0.0
        score += 1.0 if self.goals else 0.0
        score += 0.5 if f.cue("soon") else 0.0
        hits = self._title_hits()
        if hits:
            exact = any(q >= 1.0 for i in self._title_matched
                        for q in self.ei.titles.stems_for(f.tokens[i]).values()) \
                or bool(self._concept_terms())
            score += 1.2 if exact else 0.6
            if f.cue(*_DETAIL_CUES):
                score += 1.0
        return score

    # --- title search --------------------------------------------------------------------

    def _title_words(self, indexes: Sequence[int]) -> list[int]:
        f = self.f
        return [i for i in indexes if not f.tokens[i].text.startswith("#")
                and not is_number(f.tokens[i].text)
                and f.tokens[i].folded not in self.u.index.stopwords]

    def _concept_terms(self, after: int = 0) -> list[tuple[int, dict[str, float]]]:
        f = self.f
        terms = []
        for m in f.segments:
            if m.start < after or m.kinds() & {"unit", "cue", "status", "forecast", "kind"}:
                continue
            for name in m.values("title_concept"):
                stems = self.ei.title_concepts.get(name)
                if stems:
                    terms.append((m.start, stems))
        return terms

    def _title_hits(self, after: int = 0) -> list[TitleHit]:
        if after == 0 and self._hits is not None:
            return self._hits
        f = self.f
        words = self._title_words([i for i in f.leftover if i >= after])
        concepts = self._concept_terms(after)
        hits: list[TitleHit] = []
        if words or concepts:
            hits, self._title_matched, self._title_common = self.ei.titles.search(
                [(i, f.tokens[i]) for i in words], concepts)
            self._title_matched |= {i for i, _ in concepts}
        if after == 0:
            self._hits = hits
        return hits

    def _strange_words(self) -> list[int]:
        self._title_hits()
        return [i for i in self._title_words(self.f.leftover) if i not in self._title_matched]

    def _best_numbers(self, hits: list[TitleHit]) -> tuple[int, ...]:
        """The hits close to the best: one when it stands out, several when they tie; with
        words joined by a conjunction ("trygghetskameror och hyresgarantier") the best for
        each of them."""
        top = hits[0].score
        near = [h for h in hits if h.score >= top * 0.85 and h.tokens >= hits[0].tokens]
        numbers = [h.number for h in (near or hits[:1])]
        if any(m.has("conj") for m in self.f.segments):
            for index in sorted(self._title_matched):
                best = next((h for h in hits if index in h.tokens), None)
                if best is not None and not best.tokens & hits[0].tokens \
                        and best.score >= top * 0.7:
                    numbers.extend(h.number for h in hits if h.tokens == best.tokens
                                   and h.score >= best.score * 0.85)
        return tuple(dict.fromkeys(numbers))[:MAX_NUMBERS]

    # --- assignments ---------------------------------------------------------------------

    def _assignments(self, units: list[int], ambiguous: list[list[int]]) -> Question:
        f = self.f
        flt = self._filter(units)
        form = Form.COUNT if f.cue("count") else Form.LIST
        confidence = 1.0
        numbers: tuple[int, ...] = ()
        strange = self._strange_words()
        self.unmatched.extend(self._words(strange))
        unknown_units = () if units else tuple(
            f.text.original[f.tokens[i].start:f.tokens[i].end] for i in strange
            if self.u.index.variants.org_named(f.tokens[i].folded))
        if f.refs:
            numbers = tuple(dict.fromkeys(f.refs))[:MAX_NUMBERS]
        elif hits := self._title_hits():
            numbers = self._best_numbers(hits)
            if len(numbers) > 1 and f.cue(*_DETAIL_CUES):
                # "när ska koldioxidbudgeten vara klar?": which of them? ask back
                options = tuple(Question(Intent.ASSIGNMENTS, Form.DETAIL, confidence=0.5,
                                         filter=AssignmentFilter(numbers=(n,)))
                                for n in numbers[:3])
                return Question(Intent.ASSIGNMENTS, Form.LIST, confidence=0.5,
                                filter=_replace(flt, numbers=numbers), alternatives=options)
        elif self._title_common:
            flt = _replace(flt, words=tuple(self._title_common))
        which = f.cue("which") and (f.noun or f.cue("unit_noun")) and not f.cue(*_DETAIL_CUES)
        timed = any(tm.kind != "year" for tm in f.times) or flt.overdue
        listing = which or bool(units or flt.kinds or flt.goal_areas) or (
            timed and not f.cue(*_DETAIL_CUES))
        if len(numbers) == 1 and form is Form.LIST and not listing:
            # one assignment: its own details, whatever else the words said ("är det klart?")
            return self._with_unit_alternatives(
                Question(Intent.ASSIGNMENTS, Form.DETAIL, filter=AssignmentFilter(
                    numbers=numbers)), ambiguous)
        if numbers:
            flt = _replace(flt, numbers=numbers)
        question = Question(Intent.ASSIGNMENTS, form, filter=flt, confidence=confidence,
                            unknown_units=unknown_units[:5])
        return self._with_unit_alternatives(question, ambiguous)

    def _kinds(self) -> list[str]:
        """Kinds asked for; none when all are ("uppdrag och initiativ"), the others when one
        is excluded ("uppdragen, inte nämndinitiativen")."""
        f = self.f
        kinds = list(dict.fromkeys(f.kinds))
        for concept in f.kind_concepts:
            kind = self.ei.kinds_by_concept.get(concept)
            if kind and kind not in kinds:
                kinds.append(kind)
        generic = [k for k in kinds if self._kind_is_noun(k)] + self._joined_generic()
        specific = [k for k in kinds if k not in generic and k not in self.excluded_kinds]
        if self.excluded_kinds:
            return [k for k in self.catalog.kinds if k not in self.excluded_kinds]
        if generic and specific and set(generic + specific) >= set(self.catalog.kinds):
            return []
        return specific

    def _filter(self, units: list[int]) -> AssignmentFilter:
        f = self.f
        statuses = [s for s in f.statuses if s != "open"]
        open_only = "open" in f.statuses or f.cue("due")
        due_from: date | None = None
        due_to: date | None = None
        for tm in f.times:
            if tm.kind == "year" and not (f.cue("due", "deadline") or f.noun):
                continue
            if tm.kind == "boundary":  # "årsskiftet" alone: this year's end
                due_from, due_to = None, tm.due_to
            else:
                due_from, due_to = tm.due_from, tm.due_to
        if (f.cue("due") or f.cue("soon")) and due_from is None and due_to is None \
                and not f.cue("overdue"):
            due_from, due_to = self.today, self.today + timedelta(days=DUE_SOON_DAYS)
            open_only = True
        if due_from is not None and due_to is not None and due_from > due_to:
            due_from, due_to = due_to, due_from
        return AssignmentFilter(
            unit_ids=tuple(units),
            statuses=tuple(statuses),
            forecasts=tuple(f.forecasts),
            kinds=tuple(self._kinds()),
            goal_areas=tuple(self.goals),
            overdue=f.cue("overdue"),
            open_only=bool(open_only) and not statuses,
            due_from=due_from,
            due_to=due_to,
        )

    def _joined_generic(self) -> list[str]:
        """'uppdrag och initiativ', 'assignments and initiatives': the general word for
        assignments joined to a kind means the catalog's general kind as well."""
        segs = self.f.segments
        for i, m in enumerate(segs[:-2]):
            if segs[i + 1].has("conj") and (
                    (m.has("noun") and segs[i + 2].kinds() & {"kind", "kind_concept"})
                    or (segs[i + 2].has("noun") and m.kinds() & {"kind", "kind_concept"})):
                return [k for k in self.catalog.kinds if k in self.ei.generic_kinds]
        return []

    def _kind_is_noun(self, kind: str) -> bool:
        return any(m.has("kind", kind) and m.has("noun") for m in self.f.segments)

    # --- finance -------------------------------------------------------------------------

    def _finance(self, units: list[int], ambiguous: list[list[int]]) -> Question:
        f = self.f
        balance = next((b for name, b in _BALANCE.items() if f.cues.get(name)), None)
        self.unmatched.extend(self._words(self._strange_words()))
        if f.cue("rank_max", "rank_min", "top") and not units:
            measure = self._measure(balance)
            top = self._top()
            if measure is None:
                options = tuple(Question(Intent.FINANCE, Form.RANK, measure=m, top=top)
                                for m in (Measure.SURPLUS, Measure.DEFICIT, Measure.BUDGET))
                return Question(Intent.UNKNOWN, alternatives=options, confidence=0.3)
            return Question(Intent.FINANCE, Form.RANK, measure=measure, top=top)
        if balance is not None and not units:
            return Question(Intent.FINANCE, Form.WHICH, balance=balance)
        if f.cue("total") and not units:
            return Question(Intent.FINANCE, Form.TOTAL)
        question = Question(Intent.FINANCE, Form.UNIT, units=tuple(units),
                            subject_only=bool(units) and not f.cue(
                                *_FINANCE_CUES, *_BALANCE, "total", "rank_max", "rank_min"))
        if not units:
            # "prognos för Kulturförvaltningen": no such unit; offer the nearest names
            strange = " ".join(self._words(self._strange_words()))
            options = tuple(Question(Intent.FINANCE, Form.UNIT, units=(u,), confidence=0.3)
                            for u in (self.ei.unit_suggestions(strange) if strange else []))
            question = question.with_(confidence=0.6 if not strange else 0.3,
                                      alternatives=options)
        return self._with_unit_alternatives(question, ambiguous)

    def _measure(self, balance: Balance | None) -> Measure | None:
        f = self.f
        if balance is Balance.DEFICIT:
            return Measure.DEFICIT
        if balance is Balance.SURPLUS:
            return Measure.SURPLUS
        if f.cue("forecast"):
            return Measure.FORECAST
        if f.cue("budget"):
            return Measure.BUDGET
        return None

    def _top(self) -> int:
        f = self.f
        for value, _ in sorted(f.ints + f.numbers_words, key=lambda x: x[1]):
            if 1 <= value <= 100:
                return value
        return 1

    # --- budgets (yearly budgets with line items) ----------------------------------------

    def _budget(self, units: list[int]) -> Question | None:
        f = self.f
        cat = self.catalog
        if not (cat.budget_years or cat.budget_lines):
            return None
        # a year as said ("2026") or as a whole calendar year ("nästa år", "ensi vuonna")
        said = f.years or [tm.due_from.year for tm in f.times
                           if tm.kind == "relative" and tm.due_from and tm.due_to
                           and (tm.due_from.month, tm.due_from.day) == (1, 1)
                           and tm.due_to == tm.due_from.replace(month=12, day=31)]
        years = [y for y in said if not cat.budget_years or y in cat.budget_years]
        line = f.budget_lines[0] if f.budget_lines else None
        lead = f.segments[0] if f.segments else None
        # "entä 2026?", "and 2025?": another year of the budget just shown
        another_year = bool(years and lead is not None and lead.start == 0
                            and lead.has("cue", "follow_up") and self._only("cue", "year")
                            and not self._other_cues("to"))
        if line is None and not (years and (f.cue(*_FINANCE_CUES) or units or another_year)):
            return None
        if self._assignment_signal():
            return None
        self.unmatched.extend(self._words(self._strange_words()))
        if len(years) >= 2 or (f.cue("change") and len(years) >= 1):
            pair = (years[0], years[1]) if len(years) >= 2 else (years[0] - 1, years[0])
            return Question(Intent.BUDGET, Form.CHANGE, units=tuple(units), years=pair,
                            budget_line=line)
        return Question(Intent.BUDGET, Form.UNIT, units=tuple(units),
                        year=years[0] if years else None, budget_line=line)

    # --- indicators ----------------------------------------------------------------------

    def _indicators(self, units: list[int]) -> Question:
        f = self.f
        judgement = next((j for name, j in _JUDGEMENT.items() if f.cues.get(name)), None)
        self.unmatched.extend(self._words(self._strange_words()))
        ids = self._best_indicators()
        # an indicator's goal by its words ("målet om den gröna omställningen"), where no
        # indicator is named or the question says "goal"; then words the goal and a name
        # share are the goal's ("målet långsiktig ekonomisk hållbarhet")
        goals = self._best(f.indicator_goals, "indicator_goal") \
            if (not ids or f.cue("goal")) else ()
        if goals and f.cue("goal") and all(m.has("indicator_goal") for m in f.segments
                                           if m.has("indicator")):
            ids = ()
        form = Form.DETAIL if len(ids) == 1 and judgement is None else Form.LIST
        return Question(Intent.INDICATORS, form, units=tuple(units), indicators=ids,
                        judgement=judgement, by_gender=f.cue("by_gender"),
                        filter=AssignmentFilter(goal_areas=goals or tuple(self.goals)))

    def _names_indicator(self) -> bool:
        """Some word names an indicator and not a unit as well: "räddningstjänsten" in
        "vad är prognosen för räddningstjänsten?" is the unit Räddningstjänst Östra
        Mälardalen, though "Nöjdhet med räddningstjänsten" has the word too; "nöjdhet" names
        the indicator."""
        return any(m.has("indicator") and not m.has("unit") for m in self.f.segments)

    def _best(self, values: list[Any], kind: str) -> tuple[Any, ...]:
        """The values (indicators, goals) most of the question's spans name."""
        counts: dict[Any, int] = defaultdict(int)
        for m in self.f.segments:
            for value in set(m.values(kind)):
                counts[value] += 1
        best = max(counts.values(), default=0)
        return tuple(v for v in dict.fromkeys(values) if counts[v] == best)

    def _best_indicators(self) -> tuple[int, ...]:
        """The indicators most of the question's words name, then those whose names have
        most of its words: "ekonomiskt bistånd" is the one with both words (though
        "ekonomiskt" is a finance word, and "ekonomisk" names another one); "avfallet" names
        both that have it."""
        f = self.f
        if not self._names_indicator():
            return ()
        ids = self._best(f.indicators, "indicator")
        if len(ids) < 2:
            return ids
        words = [t for t in f.tokens
                 if t.folded not in self.u.index.stopwords and not is_number(t.text)]

        def in_name(indicator: int) -> int:
            keys = self.ei.indicator_keys.get(indicator, set())
            return sum(1 for t in words if self.ei.word_of(keys, t))

        best = max(in_name(i) for i in ids)
        return tuple(i for i in ids if in_name(i) == best)

    # --- unsure --------------------------------------------------------------------------

    def _with_unit_alternatives(self, question: Question,
                                ambiguous: list[list[int]]) -> Question:
        if not ambiguous:
            return question
        options = []
        for unit_id in ambiguous[0][:3]:
            def swap(ids: tuple[int, ...], pick: int = unit_id) -> tuple[int, ...]:
                return tuple(pick if u in ambiguous[0] else u for u in ids)
            options.append(question.with_(units=swap(question.units),
                                          filter=_replace(question.filter,
                                                          unit_ids=swap(question.filter.unit_ids)),
                                          confidence=0.5))
        return question.with_(alternatives=tuple(options), confidence=0.5)

    def _unknown(self) -> Question:
        """Not understood: the words that were not, and units they look like (as buttons)."""
        f = self.f
        words = [i for i in f.leftover if f.tokens[i].folded not in self.u.index.stopwords]
        unmatched = self._words(words)
        alternatives: list[Question] = []
        for word in unmatched:
            if len(word) >= 3:
                for unit_id in self.ei.unit_suggestions(word):
                    alternatives.append(Question(Intent.FINANCE, Form.UNIT, units=(unit_id,),
                                                 confidence=0.3))
        return Question(Intent.UNKNOWN, unmatched=unmatched,
                        alternatives=tuple(alternatives[:3]), confidence=0.0)


def _replace(flt: AssignmentFilter, **changes: object) -> AssignmentFilter:
    return replace(flt, **changes)  # type: ignore[arg-type]


def _numbered(tokens: Sequence[Token], lexical: list[Match]) -> list[Match]:
    """"uppdrag 22", "assignment number 30", "tehtävä nro 5": an assignment noun and a
    number after it (a "nummer" word between them or not) is that assignment, as #22 is."""
    found: list[Match] = []
    prefixes = {m.start: m.end for m in lexical if m.has("cue", "nth_prefix")}
    # "uppdrag 30 dagar framåt", "tasks 2 weeks ahead": a time's number, not an assignment's
    timed = {m.start for m in lexical
             if any(m.has("time", unit) for unit in timeexpr.UNITS)}
    for m in lexical:
        if not m.has("noun"):
            continue
        i = prefixes.get(m.end, m.end)
        if i < len(tokens) and is_number(tokens[i].text) and len(tokens[i].text) <= 3 \
                and int(tokens[i].text) > 0 and i + 1 not in timed:
            found.append(Match(m.start, i + 1, (Payload("ref", int(tokens[i].text)),), 1.0))
    return found

"""Phrase matching over tokens: a trie of phrases (lexicon words and catalog names), each
query token tried in several forms (as typed, without a name suffix, without an
organisational suffix, stemmed, or as the nearest known word when misspelt).

Every match carries its span in tokens, so the whole question is read for entities and cue
words before anything is decided, and a word is used by one reading only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import OSA

from understanding.lexicon import Lexicon, stem
from understanding.normalize import Token, fold, tokenize

MAX_PHRASE = 8  # tokens; no phrase in a lexicon or a unit name is longer
EXACT, STRIPPED, ORG_STRIPPED, STEMMED, FUZZY = 1.0, 0.95, 0.9, 0.9, 0.8
MIN_STEM_LEN = 4  # shorter words are matched as typed: stems of "do" or "is" mean nothing
MIN_FUZZY_LEN = 5


@dataclass(frozen=True, slots=True)
class Payload:
    kind: str  # cue, status, forecast, kind, noun, unit, goal, indicator, budget_line, month …
    value: Any
    lang: str | None = None  # the lexicon it came from; None for catalog names
    weight: float = 1.0


@dataclass(frozen=True, slots=True)
class Match:
    start: int  # token index
    end: int  # exclusive
    payloads: tuple[Payload, ...]
    quality: float

    @property
    def length(self) -> int:
        return self.end - self.start

    def kinds(self) -> set[str]:
        return {p.kind for p in self.payloads}

    def values(self, kind: str) -> list[Any]:
        return [p.value for p in self.payloads if p.kind == kind]

    def has(self, kind: str, value: Any = None) -> bool:
        return any(p.kind == kind and (value is None or p.value == value)
                   for p in self.payloads)


@dataclass
class _Node:
    children: dict[str, _Node] = field(default_factory=dict)
    payloads: list[Payload] = field(default_factory=list)


class PhraseTrie:
    """Phrases as token paths. A path step is '=' + the folded word, or 'sv:' + its Swedish
    stem (likewise en:, fi:), so 'prognosen' finds the phrase 'prognos'."""

    def __init__(self) -> None:
        self.root = _Node()
        self.vocabulary: set[str] = set()  # every folded word on any path, for typo repair
        self._by_length: dict[int, list[str]] | None = None

    def add(self, phrase: str, payload: Payload, stemmers: Iterable[str] = (),
            exact: bool = False) -> None:
        """exact: only the word as typed matches (stop words: "sää" must not become "så"
        by losing a Finnish ending)."""
        tokens = tokenize(phrase).tokens
        if not tokens or len(tokens) > MAX_PHRASE:
            return
        # exact: as typed (casefolded, not folded), so "mår" is not the month "mar"
        paths = {tuple(("!" + t.text) if exact else ("=" + t.folded) for t in tokens)}
        for name in stemmers:
            paths.add(tuple(_stem_key(name, t) for t in tokens))
        for path in paths:
            node = self.root
            for step in path:
                node = node.children.setdefault(step, _Node())
            if payload not in node.payloads:
                node.payloads.append(payload)
        self.vocabulary.update(t.folded for t in tokens if not exact)
        self._by_length = None

    def nearest(self, word: str) -> str | None:
        """The known word one typo away (two for long words), if exactly one is nearest."""
        if len(word) < MIN_FUZZY_LEN or word in self.vocabulary:
            return None
        if self._by_length is None:
            buckets: dict[int, list[str]] = defaultdict(list)
            for w in self.vocabulary:
                if len(w) >= MIN_FUZZY_LEN:
                    buckets[len(w)].append(w)
            self._by_length = dict(buckets)
        limit = 1 if len(word) < 8 else 2
        candidates = [w for n in range(len(word) - limit, len(word) + limit + 1)
                      for w in self._by_length.get(n, ())]
        return nearest(word, candidates, limit)

    def matches(self, variants: Sequence[Sequence[tuple[str, float]]]) -> list[Match]:
        """Every phrase that starts at any token, with its span and worst step quality."""
        found: dict[tuple[int, int], dict[Payload, float]] = {}
        n = len(variants)
        for i in range(n):
            frontier: list[tuple[_Node, float]] = [(self.root, 1.0)]
            for j in range(i, min(n, i + MAX_PHRASE)):
                step: list[tuple[_Node, float]] = []
                for node, quality in frontier:
                    seen: set[int] = set()
                    for key, q in variants[j]:
                        child = node.children.get(key)
                        if child is None or id(child) in seen:
                            continue
                        seen.add(id(child))
                        step.append((child, min(quality, q)))
                if not step:
                    break
                for node, quality in step:
                    if node.payloads:
                        slot = found.setdefault((i, j + 1), {})
                        for payload in node.payloads:
                            if quality > slot.get(payload, 0.0):
                                slot[payload] = quality
                frontier = step
        result = []
        for (start, end), payloads in found.items():
            best = max(payloads.values())
            # A span keeps the payloads reached at (nearly) its best quality: "prognosen"
            # exact beats a stem hit of another phrase on the same word.
            kept = tuple(p for p, q in payloads.items() if q >= best - 0.051)
            result.append(Match(start, end, kept, best))
        return result


def nearest(word: str, candidates: Sequence[str], limit: int) -> str | None:
    """The candidate fewest edits away (a swap of two letters is one edit: "octobre"), ties
    broken by the same length and then by more letters in place at both ends ("summery" is
    "summary" rather than "summera"); None if still tied."""
    found = process.extract(word, candidates, scorer=OSA.distance, score_cutoff=limit, limit=8)
    if not found:
        return None

    def same(a: str, b: str) -> int:
        return next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y),
                    min(len(a), len(b)))

    def rank(hit: tuple[str, float, int]) -> tuple[float, int, int]:
        w = hit[0]
        return (hit[1], abs(len(w) - len(word)), -(same(w, word) + same(w[::-1], word[::-1])))

    ranked = sorted(found, key=rank)
    if len(ranked) > 1 and rank(ranked[0]) == rank(ranked[1]):
        return None  # two words equally near: don't guess
    return str(ranked[0][0])


def _stem_key(stemmer_name: str, token: Token) -> str:
    if len(token.text) < MIN_STEM_LEN or not token.text.isalpha():
        return "=" + token.folded
    return f"{stemmer_name}:{fold(stem(stemmer_name, token.text))}"


class Variants:
    """The forms a query token is tried in; built once per set of lexicons."""

    def __init__(self, lexicons: Sequence[Lexicon]) -> None:
        self.stemmers = tuple(dict.fromkeys(lex.stemmer_name for lex in lexicons))
        suffixes = {fold(s.casefold()) for lex in lexicons for s in lex.words("name_suffixes")}
        self.suffixes = tuple(sorted(suffixes, key=len, reverse=True))
        # a name's stem as its ending leaves it ("kse s": "keskukse(n)" is "keskus")
        self.stem_changes = tuple(tuple(fold(c).split(" ", 1)) for lex in lexicons
                                  for c in lex.words("name_stem_changes"))
        orgs = {fold(s.casefold()) for lex in lexicons for s in lex.words("org_suffixes")}
        self.org_suffixes = tuple(sorted(orgs, key=len, reverse=True))
        self._cached = lru_cache(maxsize=16384)(self._compute)

    def org_named(self, folded: str) -> bool:
        """The word ends as a unit's name does ("socialförvaltningen", "it-avdelningen")."""
        return any(folded.endswith(suffix) and len(folded) - len(suffix) >= 2
                   for suffix in self.org_suffixes)

    def of(self, token: Token, names: bool = False) -> tuple[tuple[str, float], ...]:
        """Forms to try against lexicon phrases; with names=True also the forms only names
        take (without an organisational suffix: "it-avdelningen" → "it")."""
        return self._cached(token.text, token.folded, names)

    def bases(self, folded: str, names: bool = True) -> list[tuple[str, float]]:
        """The word without a name suffix ('staben' → 'stab', 'it:n' → 'it'; with the stem
        the ending changed: 'keskuksen' → 'keskus') and without an organisational suffix
        ('it-avdelningen' → 'it', 'elinkeinoyksikön' → 'elinkeino')."""
        out: list[tuple[str, float]] = []
        for suffix in self.suffixes:
            if folded.endswith(suffix) and len(folded) - len(suffix) >= 2:
                base = folded[: -len(suffix)].rstrip("-:'")
                out.append((base, STRIPPED))
                out.extend((base[: -len(end)] + new, STRIPPED) for end, new in self.stem_changes
                           if base.endswith(end) and len(base) > len(end) + 1)
        for suffix in self.org_suffixes if names else ():
            if folded.endswith(suffix) and len(folded) - len(suffix) >= 2:
                base = folded[: -len(suffix)].rstrip("-:'")
                if len(base) >= 2:
                    out.append((base, ORG_STRIPPED))
                    # "stabsavdelningen" → "stabs" → "stab"
                    out.extend((b.rstrip("-:'"), ORG_STRIPPED - 0.05) for b in
                               (base[: -len(s)] for s in self.suffixes
                                if base.endswith(s) and len(base) - len(s) >= 2))
        return out

    def _compute(self, text: str, folded: str, names: bool) -> tuple[tuple[str, float], ...]:
        out: dict[str, float] = {"=" + folded: EXACT, "!" + text: EXACT}
        for base, q in self.bases(folded, names):
            out.setdefault("=" + base, q)
        if len(text) >= MIN_STEM_LEN and text.replace("-", "").isalpha():
            for name in self.stemmers:
                out.setdefault(f"{name}:{fold(stem(name, text))}", STEMMED)
        return tuple(out.items())


def segment(matches: list[Match], n: int, score: Any) -> list[Match]:
    """The best non-overlapping choice of matches (dynamic programming over token positions);
    `score(match)` says how much a match is worth. Tokens left out are not understood."""
    starting: dict[int, list[Match]] = defaultdict(list)
    for m in matches:
        starting[m.start].append(m)
    best: list[tuple[float, list[Match]]] = [(0.0, [])] * (n + 1)
    for i in range(n - 1, -1, -1):
        value, chosen = best[i + 1]
        for m in starting.get(i, ()):
            s = score(m) + best[m.end][0]
            if s > value:
                value, chosen = s, [m, *best[m.end][1]]
        best[i] = (value, chosen)
    return best[0][1]

"""What can be found in a question: the lexicons' words (LexiconIndex, built once) and one
organisation's entities (EntityIndex, built once per Catalog.version).

Units are found by name, alias, the name without its organisational suffix
("IT-avdelningen" → "IT", "Stabsavdelningen" → "stab"), the first part of a joined name
("Stab och planering" → "stab") and the lexicons' concept words ("personalavdelningen",
"human resources", "henkilöstöhallinto" for whichever unit is the HR unit). Assignments are
found by title words through an inverted index of stems, with IDF weights, compound parts and
typo repair.
"""

from __future__ import annotations

import bisect
import math
import re
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import process

from storage.domain import normalize as storage_key
from understanding.catalog import Catalog
from understanding.lexicon import Lexicon, stem
from understanding.matching import (
    FUZZY,
    MIN_FUZZY_LEN,
    Payload,
    PhraseTrie,
    Variants,
    nearest,
)
from understanding.normalize import Token, fold, is_number, tokenize
from understanding.timeexpr import TIME_KEYS

# A title word in more assignments than this narrows a search but does not start one: with
# 20 000 assignments "utreda" would otherwise score thousands of candidates per question.
COMMON_POSTINGS = 200
MIN_COMPOUND = 5  # a query word this long may be a part of a title compound
INDICATOR_SHARED = 3  # a word of at most this many indicator names (or a quarter) names them
MIN_PART = 4  # letters: the shortest part of a compound of two indicator words


class LexiconIndex:
    """Every lexicon phrase in one trie, each stemmed by its own language's stemmer."""

    def __init__(self, lexicons: Sequence[Lexicon]) -> None:
        self.lexicons = tuple(lexicons)
        self.variants = Variants(lexicons)
        self.trie = PhraseTrie()
        self.stopwords: set[str] = set()  # folded, any language
        self.single_words: set[str] = set()  # folded one-word phrases of any list
        for lex in lexicons:
            self._add_lexicon(lex)

    def _add(self, lex: Lexicon, phrases: Iterable[str], payload: Payload) -> None:
        for phrase in phrases:
            if len(phrase) <= 3 and payload.kind in ("month", "weekday"):
                # "mar", "maj", "ons": as typed only ("mår" is no month)
                self.trie.add(phrase, payload, exact=True)
                continue
            self.trie.add(phrase, payload, (lex.stemmer_name,))
            tokens = tokenize(phrase).tokens
            if len(tokens) == 1:
                self.single_words.add(tokens[0].folded)

    def _add_lexicon(self, lex: Lexicon) -> None:
        lang = lex.language
        for name, phrases in lex.groups("cues").items():
            self._add(lex, phrases, Payload("cue", name, lang))
        for group in ("statuses", "forecasts"):
            kind = group[:-1] if group == "forecasts" else "status"
            for value, phrases in lex.groups(group).items():
                self._add(lex, phrases, Payload(kind, value, lang))
        for name, phrases in lex.groups("kinds").items():
            self._add(lex, phrases, Payload("kind_concept", name, lang))
        self._add(lex, lex.words("assignment_nouns"), Payload("noun", "assignment", lang))
        for group, kind in (("months", "month"), ("weekdays", "weekday"), ("numbers", "number"),
                            ("ordinals", "ordinal")):
            for value, phrases in lex.groups(group).items():
                self._add(lex, phrases, Payload(kind, int(value), lang))
        for key in TIME_KEYS:
            self._add(lex, lex.time(key), Payload("time", key, lang))
        # Stop words and politeness are stemmed too little to matter: exact forms only.
        for word in lex.words("stopwords"):
            self.trie.add(word, Payload("stop", None, lang), exact=True)
            self.stopwords.add(fold(word.casefold()))
        for word in lex.words("politeness"):
            self.trie.add(word, Payload("polite", None, lang), exact=True)
        for word in lex.words("conjunctions"):
            self.trie.add(word, Payload("conj", None, lang), exact=True)
        for word in lex.words("negation"):
            self.trie.add(word, Payload("neg", None, lang), exact=True)
        for word in lex.words("pronouns"):
            self.trie.add(word, Payload("pronoun", None, lang), exact=True)

    def concept_groups(self, key: str) -> dict[str, list[tuple[Lexicon, str]]]:
        """A concept list (concepts, budget_lines, indicator_concepts, kinds) merged over the
        languages: concept name → (lexicon, phrase)."""
        merged: dict[str, list[tuple[Lexicon, str]]] = defaultdict(list)
        for lex in self.lexicons:
            for name, phrases in lex.groups(key).items():
                merged[name].extend((lex, p) for p in phrases)
        return merged


@dataclass(frozen=True)
class TitleHit:
    number: int
    score: float
    tokens: frozenset[int]  # which query tokens matched its title


class TitleIndex:
    """Inverted index of assignment title words: stem → assignment numbers."""

    def __init__(self, titles: Sequence[tuple[int, str]], stemmer: str,
                 stopwords: set[str]) -> None:
        self.stemmer = stemmer
        self.stopwords = stopwords
        postings: dict[str, set[int]] = defaultdict(set)
        self.word_stem: dict[str, str] = {}  # folded word → stem key
        for number, title in titles:
            for word in self._title_words(title):
                postings[self._stem(word)].add(number)
        self.postings = {k: frozenset(v) for k, v in postings.items()}
        self.count = max(1, len(titles))
        self.stems = sorted(self.postings)
        self.reversed = sorted(s[::-1] for s in self.stems)
        by_length: dict[int, list[str]] = defaultdict(list)
        for word in self.word_stem:
            if len(word) >= MIN_FUZZY_LEN:
                by_length[len(word)].append(word)
        self.by_length = dict(by_length)

    def _title_words(self, title: str) -> list[str]:
        words = []
        for token in tokenize(title).tokens:
            parts = [token.text] + (token.text.split("-") if "-" in token.text else [])
            for part in parts:
                part = part.strip("-:")
                if len(part) >= 2 and not is_number(part) and fold(part) not in self.stopwords:
                    words.append(part)
        return words

    def _stem(self, word: str) -> str:
        folded = fold(word)
        cached = self.word_stem.get(folded)
        if cached is None:
            base = word.split(":")[0]  # "CEMR:s" → "cemr"
            cached = fold(stem(self.stemmer, base)) if base.isalpha() else fold(base)
            self.word_stem[folded] = cached
        return cached

    def idf(self, stem_key: str) -> float:
        return math.log(1 + self.count / len(self.postings.get(stem_key, ())) ) \
            if stem_key in self.postings else 0.0

    def knows(self, folded: str) -> bool:
        return folded in self.word_stem

    def stems_for(self, token: Token) -> dict[str, float]:
        """Title stems a query word stands for, with how sure that is."""
        text = token.text.split(":")[0]
        if len(text) < 2 or is_number(text):
            return {}
        key = fold(stem(self.stemmer, text)) if text.isalpha() else fold(text)
        found: dict[str, float] = {}
        if key in self.postings:
            found[key] = 1.0
        if token.folded in self.word_stem:
            found[self.word_stem[token.folded]] = 1.0
        if len(key) >= MIN_COMPOUND:
            # a part of a compound: "koldioxid" in "koldioxidbudget", "kameror" in
            # "trygghetskameror"; and the query a longer form of a title stem
            lo = bisect.bisect_left(self.stems, key)
            for s in self.stems[lo: lo + 50]:
                if not s.startswith(key):
                    break
                found.setdefault(s, 0.7)
            rkey = key[::-1]
            lo = bisect.bisect_left(self.reversed, rkey)
            for r in self.reversed[lo: lo + 50]:
                if not r.startswith(rkey):
                    break
                found.setdefault(r[::-1], 0.7)
        if not found and len(token.folded) >= MIN_FUZZY_LEN:
            # a typo: the nearest title word, else the nearest stem ("trygghetskammerorna")
            limit = 1 if len(token.folded) < 8 else 2
            word = nearest(token.folded, [w for n in range(len(token.folded) - limit,
                                                           len(token.folded) + limit + 1)
                                          for w in self.by_length.get(n, ())], limit)
            if word is not None:
                found[self.word_stem[word]] = FUZZY
            elif len(key) >= 8:
                near = nearest(key, [s for s in self.stems if abs(len(s) - len(key)) <= 2], 2)
                if near is not None:
                    found[near] = FUZZY
        return found

    def search(self, tokens: Sequence[tuple[int, Token]],
               concepts: Sequence[tuple[int, dict[str, float]]] = ()
               ) -> tuple[list[TitleHit], set[int], list[str]]:
        """Rank assignments by the query words their titles contain (and by glossary terms:
        "carbon budget" stands for "koldioxidbudget"). Returns the hits (best first), the
        query token indexes that matched some title word, and the words too common to search
        by (a words filter instead)."""
        scores: dict[int, float] = defaultdict(float)
        covered: dict[int, set[int]] = defaultdict(set)
        matched: set[int] = set()
        common: list[str] = []
        terms = [(i, t.folded, self.stems_for(t)) for i, t in tokens]
        terms += [(i, "", stems) for i, stems in concepts]
        for index, folded, stems in terms:
            if not stems:
                continue
            matched.add(index)
            best_per_number: dict[int, float] = {}
            rare = False
            for s, quality in stems.items():
                numbers = self.postings[s]
                if len(numbers) > COMMON_POSTINGS:
                    continue
                rare = True
                value = quality * self.idf(s)
                for n in numbers:
                    if value > best_per_number.get(n, 0.0):
                        best_per_number[n] = value
            if not rare:
                if folded:
                    common.append(folded)
                continue
            for n, value in best_per_number.items():
                scores[n] += value
                covered[n].add(index)
        hits = [TitleHit(n, s, frozenset(covered[n])) for n, s in scores.items()]
        # Common words still narrow: a hit must also contain them.
        if common and hits:
            needed = [self._common_numbers(w) for w in common]
            hits = [h for h in hits if all(h.number in numbers for numbers in needed)]
        hits.sort(key=lambda h: (-h.score, h.number))
        return hits, matched, common

    def _common_numbers(self, folded: str) -> frozenset[int]:
        token = tokenize(folded).tokens[0]
        numbers: set[int] = set()
        for s in self.stems_for(token):
            numbers |= self.postings[s]
        return frozenset(numbers)


@dataclass(frozen=True)
class GoalArea:
    stored: str
    number: int | None


class EntityIndex:
    """One organisation's names as trie phrases, plus its title index."""

    def __init__(self, catalog: Catalog, lexicon_index: LexiconIndex) -> None:
        self.catalog = catalog
        self.lexicon_index = lexicon_index
        self.trie = PhraseTrie()
        self.unit_names = {u.id: u.name for u in catalog.units}
        self.goal_numbers: dict[int, str] = {}
        self.kinds_by_concept: dict[str, str] = {}
        variants = lexicon_index.variants
        self._stemmers = variants.stemmers
        self._add_units(catalog, lexicon_index)
        self._add_kinds(catalog, lexicon_index)
        self._add_goals(catalog, lexicon_index)
        self._add_indicators(catalog, lexicon_index)
        self._add_budget_lines(catalog, lexicon_index)
        language = next((lex for lex in lexicon_index.lexicons
                         if lex.language in catalog.languages), lexicon_index.lexicons[0])
        self.titles = TitleIndex([(a.number, a.title) for a in catalog.assignments],
                                 language.stemmer_name, lexicon_index.stopwords)
        self.numbers = frozenset(a.number for a in catalog.assignments)
        self.title_concepts: dict[str, dict[str, float]] = {}
        self._add_title_concepts(lexicon_index)

    # --- units ---------------------------------------------------------------------------

    def _unit_keys(self, text: str) -> list[tuple[str, float]]:
        """A name and the shorter forms people use for it."""
        key = " ".join(t.folded for t in tokenize(text).tokens)
        if not key:
            return []
        out = [(key, 1.0)]
        tokens = key.split(" ")
        variants = self.lexicon_index.variants
        conjunctions = {fold(w) for lex in self.lexicon_index.lexicons
                        for w in lex.words("conjunctions")}
        if len(tokens) == 1:
            out.extend((b, 0.9) for b, q in variants.bases(key) if q < 0.95)
        parts: list[list[str]] = [[]]
        for t in tokens:
            if t in conjunctions:
                parts.append([])
            else:
                parts[-1].append(t)
        if len(parts) > 1:
            for part in parts:
                if not part:
                    continue
                word = " ".join(part).rstrip("-")
                out.append((word, 0.85))
                if len(part) == 1:  # not shorter than 4: "barn" is no "bar" ("bara")
                    out.extend((b, 0.8) for b, _ in variants.bases(word) if len(b) >= 4)
        return [(k, w) for k, w in out if len(k.replace(" ", "")) >= 2]

    def _add_units(self, catalog: Catalog, lexicon_index: LexiconIndex) -> None:
        keys_of: dict[int, dict[str, float]] = {}
        for unit in catalog.units:
            keys: dict[str, float] = {}
            for text in (unit.name, *unit.aliases):
                for key, weight in self._unit_keys(text):
                    if weight > keys.get(key, 0.0):
                        keys[key] = weight
            keys_of[unit.id] = keys
        # Concept words: a concept belongs to the units one of its phrases names.
        concept_units: dict[str, set[int]] = defaultdict(set)
        concepts = lexicon_index.concept_groups("concepts")
        for name, phrases in concepts.items():
            phrase_keys = {self._phrase_key(p) for _, p in phrases}
            for unit_id, keys in keys_of.items():
                if phrase_keys & set(keys):
                    concept_units[name].add(unit_id)
        # A name that begins with a concept's word ("Räddningstjänst Östra Mälardalen",
        # "Pelastustoimi Itä-Uusimaa") is that concept's unit too, where no unit's name or
        # alias is the concept itself ("räddningstjänsten", "pelastustoimen" name it).
        for name, phrases in concepts.items():
            if concept_units.get(name):
                continue
            heads = {k for _, p in phrases if " " not in (k := self._phrase_key(p))
                     and len(k) >= 5}
            for unit_id, keys in keys_of.items():
                if any(" " in key and key.split(" ", 1)[0] in heads for key in keys):
                    concept_units[name].add(unit_id)
        for unit_id, keys in keys_of.items():
            for key, weight in keys.items():
                # names of several words inflect in their last word ("Kaupunginkanslian
                # palvelujen", "Talous- ja henkilöstöpalveluiden"): stems as well
                self.trie.add(key, Payload("unit", unit_id, None, weight),
                              self._stemmers if " " in key else ())
        for name, unit_ids in concept_units.items():
            for unit_id in unit_ids:
                for lex, phrase in concepts[name]:
                    key = self._phrase_key(phrase)
                    if key not in keys_of[unit_id]:
                        self.trie.add(phrase, Payload("unit", unit_id, None, 0.9),
                                      (lex.stemmer_name,) if " " in key else ())

    @staticmethod
    def _phrase_key(phrase: str) -> str:
        return " ".join(t.folded for t in tokenize(phrase).tokens)

    # --- kinds, goals, indicators, budget lines ------------------------------------------

    def _add_kinds(self, catalog: Catalog, lexicon_index: LexiconIndex) -> None:
        """Kinds by name and by the lexicons' kind concepts; a kind named like the general
        word for assignments ("Uppdrag") is the generic kind."""
        concepts = lexicon_index.concept_groups("kinds")
        nouns = {fold(stem(lex.stemmer_name, w.casefold())) for lex in lexicon_index.lexicons
                 for w in lex.words("assignment_nouns")}
        self.generic_kinds = {k for k in catalog.kinds
                              if any(fold(stem(lex.stemmer_name, k.casefold())) in nouns
                                     for lex in lexicon_index.lexicons)}
        for kind in catalog.kinds:
            key = self._phrase_key(kind)
            self.trie.add(kind, Payload("kind", kind), self._stemmers)
            for name, phrases in concepts.items():
                keys = {self._phrase_key(p) for _, p in phrases}
                stems = {self._stem_key(lex, p) for lex, p in phrases}
                if key in keys or any(self._stem_key(lex, kind) in stems
                                      for lex in lexicon_index.lexicons):
                    self.kinds_by_concept[name] = kind
                    for lex, phrase in phrases:
                        self.trie.add(phrase, Payload("kind", kind), (lex.stemmer_name,))

    @staticmethod
    def _stem_key(lex: Lexicon, phrase: str) -> str:
        return " ".join(fold(stem(lex.stemmer_name, t.text)) for t in tokenize(phrase).tokens)

    def _distinctive(self, texts: Sequence[str], lexicon_index: LexiconIndex,
                     share: float = 1.0, cue_words: bool = False,
                     limit: int | None = None) -> list[dict[str, str]]:
        """For each text, its words found in at most `share` of the texts (or in at most
        `limit` of them), as folded word → word; lexicon words and numbers are never
        distinctive. The parts of joined words count as words ("övervikt/obesitas")."""
        words_of: list[dict[str, str]] = []
        df: dict[str, int] = defaultdict(int)
        for text in texts:
            words: dict[str, str] = {}
            for token in tokenize(text).tokens:
                for part in {token.text, *re.split(r"[-/]", token.text)}:
                    part = part.strip("-:.")
                    folded = fold(part)
                    if (len(part) < 3 or is_number(part) or folded in lexicon_index.stopwords
                            or (folded in lexicon_index.single_words and not cue_words)):
                        continue
                    words[folded] = part
            for folded in words:
                df[folded] += 1
            words_of.append(words)
        if limit is None:
            limit = max(1, int(share * len(texts)))
        return [{f: w for f, w in words.items() if df[f] <= limit} for words in words_of]

    def _add_goals(self, catalog: Catalog, lexicon_index: LexiconIndex) -> None:
        """Goal areas by number ("målområde 3"), by a word only they contain ("trygg"), and
        by the lexicons' goal concepts ("safety", "turvallisuus" for the goal with "trygg")."""
        texts = list(catalog.goal_areas)
        concepts = lexicon_index.concept_groups("goal_concepts")
        self.goal_words: dict[str, set[str]] = {}
        # goal names may hold cue words ("ekonomi i balans"): the parser weighs them
        for stored, words in zip(texts, self._distinctive(texts, lexicon_index, 0.0, True),
                                 strict=True):
            if m := re.match(r"\s*(\d{1,3})[.)\s]", stored):
                self.goal_numbers.setdefault(int(m[1]), stored)
            for word in words.values():
                self.trie.add(word, Payload("goal", stored, None, 0.8), self._stemmers)
            distinct = {fold(w.casefold()) for w in words.values()}
            distinct |= {fold(stem(n, w.casefold())) for w in words.values()
                         for n in self._stemmers}
            own = self._name_keys(stored)
            heads: list[tuple[Lexicon, str]] = []
            for _name, phrases in concepts.items():
                if any(" " not in p.strip() and (self._phrase_key(p) in distinct
                                                 or self._stem_key(lex, p) in distinct)
                       for lex, p in phrases):
                    for lex, phrase in phrases:
                        self.trie.add(phrase, Payload("goal", stored, None, 0.8),
                                      (lex.stemmer_name,))
                        own |= self._name_keys(phrase)
                        heads.append((lex, phrase))
            heads += [(lex, w) for lex in lexicon_index.lexicons for w in words.values()]
            self._add_goal_compounds(stored, heads)
            self.goal_words[stored] = own

    def _add_goal_compounds(self, stored: str, heads: list[tuple[Lexicon, str]]) -> None:
        """A goal's word joined to a word for a goal area ("trygghetsområdet",
        "miljömålet", "turvallisuusalueen"): the goal, as its words are."""
        for lex, head in heads:
            head = head.casefold()
            if " " in head or len(head) < 4:
                continue
            for area in lex.groups("cues").get("goal", []):
                if " " in area or len(area) < 4:
                    continue
                for link in ("", "s", "-"):
                    if link == "s" and head.endswith("s"):
                        continue
                    self.trie.add(head + link + area, Payload("goal", stored, None, 0.8),
                                  (lex.stemmer_name,))

    def _add_indicators(self, catalog: Catalog, lexicon_index: LexiconIndex) -> None:
        """Indicators by the words of their names as stored: a word of one name, and a word
        a few names share ("avfall" in two, "servicemätning" in five: the parser keeps the
        indicators most of the question's words name), by a Kolada id, and by the lexicons'
        glossary ("sick leave" for a name with "sjukfrånvaro"). Their goals by a word only
        that goal has ("nyckeltal för målet om den gröna omställningen")."""
        names = [i.name for i in catalog.indicators]
        distinct = self._distinctive(names, lexicon_index,
                                     limit=max(INDICATOR_SHARED, len(names) // 4))
        concepts = lexicon_index.concept_groups("indicator_concepts")
        self.indicator_keys: dict[int, set[str]] = {}  # its words and their stems
        self._indicator_words: dict[str, set[int]] = defaultdict(set)
        for indicator, words in zip(catalog.indicators, distinct, strict=True):
            for word in words.values():
                self.trie.add(word, Payload("indicator", indicator.id, None, 0.9), self._stemmers)
            if indicator.source_id:
                self.trie.add(indicator.source_id, Payload("indicator", indicator.id))
            name_keys = self._name_keys(indicator.name)
            self.indicator_keys[indicator.id] = self._word_keys(indicator.name)
            for key in self.indicator_keys[indicator.id]:
                self._indicator_words[key].add(indicator.id)
            for _, phrases in concepts.items():
                if any(self._matches_name(lex, p, name_keys) for lex, p in phrases):
                    for lex, phrase in phrases:
                        self.trie.add(phrase, Payload("indicator", indicator.id, None, 0.9),
                                      (lex.stemmer_name,))
        goals = list(dict.fromkeys(i.goal for i in catalog.indicators if i.goal))
        for goal, words in zip(goals, self._distinctive(goals, lexicon_index, 0.0),
                               strict=True):
            for word in words.values():
                self.trie.add(word, Payload("indicator_goal", goal, None, 0.8), self._stemmers)

    def _word_keys(self, text: str) -> set[str]:
        """Folded words of a text (and the parts of joined words) and their stems."""
        keys: set[str] = set()
        for token in tokenize(text).tokens:
            for part in {token.text, *re.split(r"[-/]", token.text)}:
                if part:
                    keys.add(fold(part))
                    keys.update(fold(stem(n, part)) for n in self._stemmers)
        return keys

    def compound_indicators(self, token: Token) -> set[int]:
        """The indicators that have both parts of a compound the question makes of two of
        their words ("biblioteksbesöken": "Besök på kommunens bibliotek", "hemtjänst-
        kostnaden": "Kostnad för hemtjänst"), with or without a joining s."""
        word = token.folded
        if len(word) < 2 * MIN_PART or not word.isalpha():
            return set()
        found: set[int] = set()
        for cut in range(MIN_PART, len(word) - MIN_PART + 1):
            head, tail = word[:cut], word[cut:]
            tails = self._indicator_ids(tail)
            if not tails:
                continue
            for part in {head, head[:-1] if head.endswith("s") else head}:
                if len(part) >= MIN_PART:
                    found |= self._indicator_ids(part) & tails
        return found

    def _indicator_ids(self, word: str) -> set[int]:
        ids = set(self._indicator_words.get(word, ()))
        for n in self._stemmers:
            ids |= self._indicator_words.get(fold(stem(n, word)), set())
        return ids

    def word_of(self, keys: set[str], token: Token) -> bool:
        """Is the question's token a word of the text these keys are of?"""
        return token.folded in keys or any(fold(stem(n, token.text)) in keys
                                           for n in self._stemmers)

    def _name_keys(self, name: str) -> set[str]:
        """Folded words, word pairs and their stems of a name, to match concept phrases."""
        tokens = list(tokenize(name).tokens)
        keys: set[str] = set()
        for i in range(len(tokens)):
            for n in (1, 2, 3):
                span = tokens[i: i + n]
                if len(span) < n:
                    break
                keys.add(" ".join(s.folded for s in span))
                for stemmer in self._stemmers:
                    keys.add(" ".join(fold(stem(stemmer, s.text)) for s in span))
        return keys

    def _matches_name(self, lex: Lexicon, phrase: str, name_keys: set[str]) -> bool:
        return (self._phrase_key(phrase) in name_keys
                or self._stem_key(lex, phrase) in name_keys)

    def _add_budget_lines(self, catalog: Catalog, lexicon_index: LexiconIndex) -> None:
        concepts = lexicon_index.concept_groups("budget_lines")
        for line in catalog.budget_lines:
            value = storage_key(line)
            self.trie.add(line, Payload("budget_line", value), self._stemmers)
            key = self._phrase_key(line)
            for _, phrases in concepts.items():
                if any(self._phrase_key(p) == key or self._stem_key(lex, p)
                       == self._stem_key(lex, line) for lex, p in phrases):
                    for lex, phrase in phrases:
                        self.trie.add(phrase, Payload("budget_line", value, None, 0.9),
                                      (lex.stemmer_name,))

    def _add_title_concepts(self, lexicon_index: LexiconIndex) -> None:
        """Glossary words for title words in other languages ("CCTV", "summer jobs",
        "kesätyöt" for "trygghetskameror", "sommarjobb"): a concept is kept only when one of
        its one-word phrases is a title word here."""
        for name, phrases in lexicon_index.concept_groups("title_concepts").items():
            stems: dict[str, float] = {}
            for _, phrase in phrases:
                tokens = tokenize(phrase).tokens
                if len(tokens) == 1:
                    for s, q in self.titles.stems_for(tokens[0]).items():
                        if q >= 0.7 and q != FUZZY:
                            stems[s] = max(stems.get(s, 0.0), q)
            if not stems:
                continue
            self.title_concepts[name] = stems
            for lex, phrase in phrases:
                self.trie.add(phrase, Payload("title_concept", name, None, 0.9),
                              (lex.stemmer_name,))

    # --- lookups -----------------------------------------------------------------------

    def unit_suggestions(self, word: str, limit: int = 3) -> list[int]:
        """Units whose names look like a word that matched none: for "did you mean …"."""
        choices: dict[str, int] = {}
        for unit in self.catalog.units:
            for text in (unit.name, *unit.aliases):
                choices[fold(text.casefold())] = unit.id
        found = process.extract(fold(word.casefold()), list(choices), limit=limit * 3,
                                score_cutoff=60)
        ids: list[int] = []
        for name, _score, _ in found:
            if choices[name] not in ids:
                ids.append(choices[name])
        return ids[:limit]


_CACHE: OrderedDict[tuple[str, int], EntityIndex] = OrderedDict()
_CACHE_SIZE = 8
_LOCK = threading.Lock()


def entity_index(catalog: Catalog, lexicon_index: LexiconIndex) -> EntityIndex:
    """The index of a catalog, built once per version (and per set of lexicons)."""
    key = (catalog.version, id(lexicon_index))
    with _LOCK:
        found = _CACHE.get(key)
        if found is not None:
            _CACHE.move_to_end(key)
            return found
    built = EntityIndex(catalog, lexicon_index)
    with _LOCK:
        _CACHE[key] = built
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return built

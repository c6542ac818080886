"""Answers to the same question, asked the same day in the same language and organisation,
are the same until an import or an update changes what they show: the organisation's answer
version, read on every turn (one primary-key read, shared with the catalog check), is part
of the key, so a change made on any instance makes every instance's cached answers stale.
Only commands declared `shared` are cached: their answer depends on nothing but the
organisation's data, the question, the language and the day (not on who asks, or where)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from threading import Lock

from dialogs.answers import Answer


class AnswerCache:
    """A bounded LRU of answers. Cached answers are shared between turns: nothing may change
    an Answer or its card after it is made (replies copy what they change)."""

    def __init__(self, max_entries: int = 512) -> None:
        self._max = max_entries
        self._lock = Lock()
        self._answers: OrderedDict[Hashable, Answer] = OrderedDict()
        self.hits = self.misses = 0

    def get(self, key: Hashable) -> Answer | None:
        with self._lock:
            found = self._answers.get(key)
            if found is None:
                self.misses += 1
                return None
            self._answers.move_to_end(key)
            self.hits += 1
            return found

    def put(self, key: Hashable, answer: Answer) -> None:
        if self._max <= 0:
            return
        with self._lock:
            self._answers[key] = answer
            self._answers.move_to_end(key)
            while len(self._answers) > self._max:
                self._answers.popitem(last=False)

    def __len__(self) -> int:
        return len(self._answers)

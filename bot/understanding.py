"""Rule-based understanding of Swedish and English questions; no cloud service.

`understand()` turns a question into an `Intent`: what is asked and about which unit or
assignment. Resolving the subject against the database is the dialogs' job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from storage.domain import normalize

INTENTS = ("help", "summary", "units", "overdue", "due_soon", "forecast", "status", "search",
           "update", "my_assignments")
DEFAULT_DUE_SOON_DAYS = 30
# Deadline nudges (dialogs/subscriptions.py).
NUDGE_INTENTS = ("subscribe", "unsubscribe", "subscriptions", "reminders_off", "reminders_on",
                 "snooze")
INTENTS = INTENTS + NUDGE_INTENTS


@dataclass(frozen=True)
class Intent:
    name: str
    subject: str = ""  # unit name or words of a title, as typed
    as_text: bool = False
    page: int = 1
    days: int = DEFAULT_DUE_SOON_DAYS
    assignment_id: int | None = None
    language: str | None = None  # guessed from the words; None when it can't tell


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE | re.UNICODE)


AS_TEXT = _rx(r"\b(?:som|i|as|in)\s+(?:ren\s+|plain\s+)?text\b")
PAGE = _rx(r"\b(?:sida|page)\s+(\d{1,4})\b")
DAYS = _rx(r"\b(?:inom|within|next|in|kommande|närmaste|de närmaste|the next)\s+(\d{1,4})\s+"
           r"(?:dagar|dagarna|dag|days|day)\b")
ASSIGNMENT_ID = _rx(r"#(\d{1,9})\b")

UPDATE = _rx(r"^(?:uppdatera|update|rapportera|report)\b")
MY_ASSIGNMENTS = _rx(r"^(?:mina uppdrag|my assignments|my tasks|mina)[\s?!.]*$")
HELP = _rx(r"^(?:help|hjälp|hjalp|hej|hallå|hello|hi|hey|start|meny|menu|\?|"
           r"vad kan du(?: göra)?|what can you do|kommandon|commands)[\s?!.]*$")
SUMMARY = _rx(r"\b(?:sammanställning\w*|sammanstallning\w*|summary|summarise|summarize|"
              r"översikt\w*|oversikt\w*|overview|totalt|totals?)\b")
UNITS = _rx(r"^(?:(?:vilka|lista|visa|alla|list|show|which|all)\s+)?(?:the\s+)?"
            r"(?:enheter(?:na)?|units|avdelningar(?:na)?|departments|verksamheter(?:na)?)"
            r"(?:\s+(?:finns|are there|finns det))?[\s?!.]*$")
OVERDUE = _rx(r"\b(?:försenade?|försenat|forsenade?|förfallna|overdue|late|delayed|behind|"
              r"past due|missade|missed)\b")
DUE_SOON = _rx(r"\b(?:förfaller|forfaller|förfaller snart|due soon|due|upcoming|deadlines?|"
               r"snart|soon|närmaste tiden|coming up)\b")
STATUS = _rx(r"^(?:status|läget|laget|lägesrapport|state)\b")
STATUS_WITH = _rx(r"\b(?:hur går det med|hur gar det med|how is the|how's the|hur ligger)\b")
FORECAST = _rx(r"\b(?:prognos(?:en|er)?|forecasts?|budget(?:en|ar)?|ekonomi(?:n|ska)?|"
               r"economy|finances?|financials?|utfall(?:et)?|avvikelse(?:n|r)?|deviation|"
               r"surplus|deficit|överskott|underskott|resultat(?:et)?|tkr)\b")
FORECAST_FOR = _rx(r"\b(?:hur går det för|hur gar det for|hur går det på|how is|how's|"
                   r"how are|how does)\b")

FILLER = set(
    """
    vad vilka vilket vilken är ar för for hos med inom på pa visa mig det går gar hur uppdrag
    uppdragen uppdraget nämndinitiativ nämndinitiativen initiativ som har finns de den och en
    ett om kan du jag vill se ge ligger till alla just nu idag läget laget status för sida
    what whats is are the of at in show me which assignments assignment tasks task how does
    doing do look looks like please tell about unit units department dept list give i want to
    see any there our my current currently now today going go on s with get all
    enheten enheter avdelningen
    """.split()
)
SWEDISH_WORDS = set(
    """
    vad vilka vilket hur går är för försenade prognos prognosen sammanställning hjälp enheter
    uppdrag snart förfaller som text visa med hos inom det läget
    """.split()
)
ENGLISH_WORDS = set(
    """
    what whats which how is are overdue forecast summary help units due soon as text show
    the for of doing late assignments
    """.split()
)

_WORDS = re.compile(r"[\w#-]+", re.UNICODE)


def guess_language(text: str) -> str | None:
    words = _WORDS.findall(normalize(text.replace("'", " ")))
    sv = sum(w in SWEDISH_WORDS for w in words) + 2 * bool(re.search(r"[åäö]", text.lower()))
    en = sum(w in ENGLISH_WORDS for w in words)
    if sv > en:
        return "sv"
    if en > sv:
        return "en"
    return None


def reply_language(locale: str | None, guessed: str | None) -> str:
    """The activity's locale when it is Swedish or English, else the question's language;
    Swedish when neither tells."""
    prefix = (locale or "").split("-")[0].lower()
    if prefix in ("sv", "en"):
        return prefix
    return guessed or "sv"


def _remainder(text: str, *patterns: re.Pattern[str]) -> str:
    """What is left of the question once keywords and filler words are removed."""
    for pattern in patterns:
        text = pattern.sub(" ", text)
    text = re.sub(r"(\w)['’]s\b", r"\1", text)  # IT's → IT
    text = re.sub(r"(\w):s\b", r"\1", text)  # IT:s → IT
    words = [w for w in re.split(r"[\s?!.,;:\"”“()]+", text) if w]
    kept = [w for w in words if normalize(w) not in FILLER]
    return " ".join(kept).strip(" -'’")


# Nudge commands are matched on the whole message, before anything else is stripped:
# their options ("14 dagar", "kl 9") are read by storage.nudges.parse_subscription.
UNSUBSCRIBE = _rx(r"^(?:avsluta\s+(?:prenumeration(?:en|er|erna)?|nudges)|sluta\s+prenumerera|"
                  r"avprenumerera|unsubscribe|stop\s+(?:subscription|nudges))\b")
SUBSCRIPTIONS = _rx(r"^(?:(?:visa|lista|mina|våra|show|list|our|my)\s+)?"
                    r"(?:prenumerationer(?:na)?|subscriptions)[\s?!.]*$")
SUBSCRIBE = _rx(r"^(?:prenumerera|subscribe)\b(?:\s+(?:på|to|on)\b)?")
REMINDERS_OFF = _rx(r"^(?:(?:stäng|stang|slå|sla)\s+av\s+påminnelser(?:na)?|"
                    r"påminnelser\s+av|inga\s+(?:fler\s+)?påminnelser|"
                    r"(?:turn\s+off|disable|stop)\s+reminders|reminders\s+off|no\s+reminders)"
                    r"[\s?!.]*$")
REMINDERS_ON = _rx(r"^(?:(?:slå|sla)\s+på\s+påminnelser(?:na)?|påminnelser\s+på|"
                   r"(?:turn\s+on|enable|start)\s+reminders|reminders\s+on)[\s?!.]*$")
SNOOZE = _rx(r"^(?:snooze|snooza|påminn(?:\s+mig)?\s+(?:igen\s+)?om|remind\s+me\s+(?:again\s+)?in)"
             r"(?:\s+(?:(\d{1,3})|en|ett|one|a)\s+(veckor|vecka|weeks?|dagar|dag|days?))?"
             r"[\s?!.]*$")


def _nudge_intent(text: str, language: str | None) -> Intent | None:
    if m := UNSUBSCRIBE.match(text):
        return Intent("unsubscribe", text[m.end():].strip(), language=language)
    if SUBSCRIPTIONS.match(text):
        return Intent("subscriptions", language=language)
    if m := SUBSCRIBE.match(text):
        return Intent("subscribe", text[m.end():].strip(), language=language)
    if REMINDERS_OFF.match(text):
        return Intent("reminders_off", language=language)
    if REMINDERS_ON.match(text):
        return Intent("reminders_on", language=language)
    if m := SNOOZE.match(text):
        count = int(m[1]) if m[1] else 1
        unit = (m[2] or "vecka").lower()
        days = count * 7 if unit.startswith(("veck", "week")) else count
        return Intent("snooze", days=days, language=language)
    return None


def understand(question: str) -> Intent:
    text = " ".join(question.split())
    language = guess_language(text)
    if nudge := _nudge_intent(text, language):
        return nudge
    as_text = bool(AS_TEXT.search(text))
    text = AS_TEXT.sub(" ", text)
    page = 1
    if m := PAGE.search(text):
        page = max(1, int(m[1]))
        text = PAGE.sub(" ", text)
    days = DEFAULT_DUE_SOON_DAYS
    if m := DAYS.search(text):
        days = max(1, min(int(m[1]), 3650))
        text = DAYS.sub(" ", text)
    common = {"as_text": as_text, "page": page, "days": days, "language": language}

    if not text.strip() or HELP.match(text.strip()):
        return Intent("help", **common)
    if MY_ASSIGNMENTS.match(text.strip()):
        return Intent("my_assignments", **common)
    if UPDATE.match(text.strip()):
        m = ASSIGNMENT_ID.search(text)
        return Intent("update", "" if m else _remainder(text, UPDATE),
                      assignment_id=int(m[1]) if m else None, **common)
    if m := ASSIGNMENT_ID.search(text):
        return Intent("status", assignment_id=int(m[1]), **common)
    if UNITS.match(text.strip()):
        return Intent("units", **common)
    if SUMMARY.search(text):
        return Intent("summary", **common)
    if OVERDUE.search(text):
        return Intent("overdue", _remainder(text, OVERDUE), **common)
    if STATUS.match(text.strip()) or STATUS_WITH.search(text):
        return Intent("status", _remainder(text, STATUS, STATUS_WITH), **common)
    if FORECAST.search(text) or FORECAST_FOR.search(text):
        return Intent("forecast", _remainder(text, FORECAST, FORECAST_FOR), **common)
    if DUE_SOON.search(text):
        return Intent("due_soon", _remainder(text, DUE_SOON), **common)
    # No keyword: a bare unit name asks for its forecast, other words search titles.
    return Intent("search", _remainder(text), **common)

"""Parse-level accuracy: every corpus case (corpus/*.txt, written by another helper) and every
held-out case (heldout/*.txt, written before the corpus was read) must parse to its label;
plus the readings the brief names and the vocabulary added with code."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from catalogs import catalog
from labels import Case, check, corpus_cases, heldout2_cases, heldout3_cases, heldout_cases, run

from understanding import Form, Intent, Question, Understander

U = Understander()
TODAY = date(2025, 9, 15)
CORPUS = corpus_cases()
HELDOUT = heldout_cases() + heldout2_cases() + heldout3_cases()


# Known misses, kept visible (none now: "summery", one letter from both "summary" and the
# Swedish "summera", is in the English lexicon as the common misspelling it is).
KNOWN_MISSES: set[str] = set()


@pytest.mark.parametrize("case", [pytest.param(c, marks=pytest.mark.xfail(strict=True))
                                  if c.id in KNOWN_MISSES else c for c in CORPUS],
                         ids=[c.id for c in CORPUS])
def test_corpus(case: Case) -> None:
    assert run(case, U) == []


@pytest.mark.parametrize("case", HELDOUT, ids=[c.id for c in HELDOUT])
def test_heldout(case: Case) -> None:
    assert run(case, U) == []


def ask(text: str, org: str = "norrtalje") -> Question:
    return U.understand(text, catalog(org), TODAY)


# Phrasings added together with the code or lexicon words that read them (each must be a
# case somewhere: these are the ones the corpus and held-out sets do not hold).
PHRASINGS = [
    ("vilka uppdrag är inte påbörjade?", "list status=not_started"),
    ("uppdrag som inte är slutförda", "list status=open"),
    ("ei vielä aloitetut tehtävät", "list status=not_started"),
    ("which assignments are not on track?", "list forecast=deviation"),
    ("alla uppdrag utom nämndinitiativen", "list kind=Uppdrag"),
    ("initiatives excluding completed ones", "list kind=Nämndinitiativ status=open"),
    ("status of the summer jobs assignment", "detail title=sommarjobb"),
    ("kesätöiden tilanne", "detail title=sommarjobb"),
    ("security cameras", "detail title=Trygghetskameror"),
    ("assignments in the safety goal area", "list goal=3"),
    ("tehtävät turvallisuus-tavoitealueella", "list goal=3"),
    ("uppdrag om en sund ekonomi", "list goal=1"),
    ("vad förföll förra veckan?", "list status=open due_from=2025-09-08 due_to=2025-09-14"),
    ("deadlines in December", "list status=open due_from=2025-12-01 due_to=2025-12-31"),
    ("mitä erääntyi viime viikolla?", "list status=open due_from=2025-09-08 due_to=2025-09-14"),
    ("vilka uppdrag har passerat slutdatum?", "list overdue"),
    ("what is past the deadline?", "list overdue"),
    ("hur många uppdrag och initiativ finns per status?", "summary"),
    ("vilka enheter har överskott?", "finance_units which=surplus"),
    ("which unit is furthest over budget", "finance_rank by=deficit"),
    ("hur går det för it", "forecast unit=IT"),
    ("vem har hand om turistbyrån?", "detail title=Turistbyrån"),
    # found by reading unlabelled questions (see docs/understanding.md)
    ("Hur många uppdrag är kvar att göra?", "count status=open"),
    ("How many assignments are left?", "count status=open"),
    ("Kuinka monta tehtävää on jäljellä?", "count status=open"),
    ("How much has IT spent so far?", "forecast unit=IT"),
    ("Paljonko IT on käyttänyt tähän mennessä?", "forecast unit=IT"),
    ("Vilka enheter har positiv prognos?", "finance_units which=surplus"),
    ("Vem har sämst prognos?", "finance_rank by=deficit"),
    ("Who has the worst forecast?", "finance_rank by=deficit"),
    ("Kenellä on huonoin ennuste?", "finance_rank by=deficit"),
    ("Vilka uppdrag förfaller innan jul?", "list status=open due_to=2025-12-23"),
    ("What is due before Christmas?", "list status=open due_to=2025-12-23"),
    ("Mitä erääntyy ennen joulua?", "list status=open due_to=2025-12-23"),
    ("Show started assignments that deviate", "list status=started forecast=deviation"),
    ("Mitä integraatiostrategialle kuuluu?", "detail title=Integrationsstrategin"),
    ("Vad är läget?", "summary"),
    ("Which deadlines fall in the last quarter?",
     "list status=open due_from=2025-10-01 due_to=2025-12-31"),
    ("What is due in Q1 next year?", "list status=open due_from=2026-01-01 due_to=2026-03-31"),
    ("vad förfaller i mars nästa år?", "list status=open due_from=2026-03-01 due_to=2026-03-31"),
    ("laske valmiit", "count status=completed"),
    ("Mitkä tehtävät on saatu valmiiksi?", "list status=completed"),
    ("kan du visa mig stabens uppdrag som ska va klara i okt",
     'list unit="Stab och planering" status=open due_from=2025-10-01 due_to=2025-10-31'),
    # found by heldout3 (docs/understanding.md): a month's end as a boundary, a goal word
    # joined to a word for a goal area, goal words joined by "och", balance phrases
    ("what is due before the end of October?", "list status=open due_to=2025-10-31"),
    ("vad ska vara klart till slutet av november?", "list status=open due_to=2025-11-30"),
    ("mitä pitää saada valmiiksi marraskuun loppuun mennessä?",
     "list status=open due_to=2025-11-30"),
    ("what's due after the end of November?", "list status=open due_from=2025-12-01"),
    ("vad förfaller i slutet av oktober?",
     "list status=open due_from=2025-10-01 due_to=2025-10-31"),
    ("mitä erääntyy tämän kuun loppuun mennessä?", "list status=open due_to=2025-09-30"),
    ("what is due by the end of next month?", "list status=open due_to=2025-10-31"),
    ("visa uppdrag 22", "detail title=styrmodellen"),
    ("when is assignment number 20 due?", "detail title=CEMR"),
    ("tehtävä nro 19", "detail title=hyresgarantier"),
    ("due between now and Christmas", "list status=open due_from=2025-09-15 due_to=2025-12-24"),
    ("vad förfaller mellan nu och 1 november?",
     "list status=open due_from=2025-09-15 due_to=2025-11-01"),
    ("mitä erääntyy tästä vuoden loppuun?",
     "list status=open due_from=2025-09-15 due_to=2025-12-31"),
    ("what's due in the first quarter of 2026?",
     "list status=open due_from=2026-01-01 due_to=2026-03-31"),
    ("uppdrag i miljöområdet", "list goal=5"),
    ("vilka uppdrag finns i klimatområdet?", "list goal=5"),
    ("turvallisuusalueen tehtävät", "list goal=3"),
    ("uppdrag om miljö och klimat", "list goal=5"),
    ("Vem går mest back?", "finance_rank by=deficit"),
    ("går någon enhet jämnt ut?", "finance_units which=balanced"),
    ("ovatko jotkin yksiköt ylittämässä budjettia?", "finance_units which=deficit"),
    ("kuka vastaa palotarkastuksesta?", "detail title=brandskyddskontroll"),
]


def test_titles_joined_by_and_are_each_found() -> None:
    assert ask("trygghetskameror och hyresgarantier").filter.numbers == (6, 19)
    assert set(ask("uppdrag om välfärdsbrott och krisberedskap").filter.numbers) == {8, 30, 31}


@pytest.mark.parametrize(("text", "label"), PHRASINGS)
def test_phrasings(text: str, label: str) -> None:
    assert check(ask(text), label) == []


def test_a_finance_word_is_more_than_a_subject() -> None:
    assert not ask("Hur stort är överskottet för IT?").subject_only
    assert ask("IT").subject_only
    assert ask("entä HR:n budjetti verrattuna IT:hen").units == (3, 7)


def test_a_unit_alone_asks_for_its_figures() -> None:
    q = ask("Räddningstjänsten")
    assert (q.intent, q.form, q.units) == (Intent.FINANCE, Form.UNIT, (6,))


def test_no_unit_is_invented_from_leftover_words() -> None:
    q = ask("has biggest")
    assert q.intent is Intent.UNKNOWN and q.units == () and not q.filter.unit_ids
    assert {a.measure for a in q.alternatives} >= {None} or q.alternatives
    q = ask("prognos för Kulturförvaltningen")
    assert q.units == () and "kulturförvaltningen" in q.unmatched


def test_a_unit_name_that_names_no_unit_is_kept_as_typed() -> None:
    """A list asked of a unit the organisation lacks must not be everyone's list: the
    dialogs refuse it by `unknown_units` (words with a unit's ending, lexicon data)."""
    q = ask("försenade för Socialförvaltningen")
    assert q.intent is Intent.ASSIGNMENTS and q.filter.unit_ids == ()
    assert q.unknown_units == ("Socialförvaltningen",)
    assert Question.from_data(q.to_data()) == q
    # Filler words are no unit names, and a known unit leaves nothing unknown.
    assert ask("asså vilka uppdrag e klara").unknown_units == ()
    known = ask("försenade för Näringslivsenheten")
    assert known.filter.unit_ids and known.unknown_units == ()


def test_unknown_words_are_reported_with_suggestions() -> None:
    q = ask("hur mår brandförsvart egentligen med sina grejer")
    assert q.intent in (Intent.FINANCE, Intent.UNKNOWN)
    q = ask("vad tycker du om vädret")
    assert q.intent is Intent.UNKNOWN and "vädret" in q.unmatched


def test_ambiguous_units_come_back_as_alternatives() -> None:
    q = ask("prognos för kommunikation", "nykoping")
    assert q.intent is Intent.FINANCE and q.units


def test_budget_questions() -> None:
    q = ask("vad är budgeten för ekonomi- och personaltjänster 2025?", "lovisa")
    assert (q.intent, q.year, q.units) == (Intent.BUDGET, 2025, (4,))
    q = ask("ICT:n budjetti 2025", "lovisa")
    assert (q.intent, q.year, q.units) == (Intent.BUDGET, 2025, (3,))
    q = ask("hur ändras personalkostnaderna från 2024 till 2025?", "lovisa")
    assert (q.form, q.years, q.budget_line) == (Form.CHANGE, (2024, 2025), "personalkostnader")
    # without budget years in the catalog the same words are Norrtälje's finance figures
    assert ask("budget för IT 2025").intent is Intent.FINANCE


def test_other_organisations() -> None:
    q = ask("kaupunginkanslian palvelujen budjetti 2025", "lovisa")  # an inflected alias
    assert (q.intent, q.units, q.year) == (Intent.BUDGET, (2,), 2025)
    q = ask("Talous- ja henkilöstöpalveluiden henkilöstökulut 2025", "lovisa")
    assert (q.units, q.budget_line, q.unmatched) == ((4,), "personalkostnader", ())
    q = ask("hur många särskilda uppdrag finns det?", "nykoping")
    assert (q.form, q.filter.kinds, q.follow_up) == (Form.COUNT, ("Särskilt uppdrag",), False)
    q = ask("hur många nyckelmål är inte rapporterade?", "lovisa")
    assert (q.filter.statuses, q.filter.kinds) == (("not_reported",), ("Nyckelmål",))
    q = ask("Vilka nyckeltal har HR-avdelningen?", "nykoping")
    assert (q.intent, q.units) == (Intent.INDICATORS, (3,))


def test_indicator_questions() -> None:
    q = ask("which indicators are worse than comparable municipalities?", "nykoping")
    assert (q.intent, q.judgement) == (Intent.INDICATORS, "worse_than_comparison")
    q = ask("företagsklimat", "lerum")
    assert q.intent is Intent.INDICATORS and len(q.indicators) == 1
    q = ask("HME kvinnor och män", "nykoping")
    assert q.by_gender and q.indicators


def test_commands() -> None:
    assert ask("prenumerera IT, Stab veckovis måndag kl 9").rest == "IT, Stab veckovis måndag kl 9"
    assert ask("tilaa IT viikoittain").intent is Intent.SUBSCRIBE
    assert (ask("unsubscribe #3").intent, ask("unsubscribe #3").rest) == (Intent.UNSUBSCRIBE,
                                                                         "#3")
    assert ask("snooze 2 weeks").days == 14
    assert ask("snooza en vecka").days == 7
    assert ask("torkuta kaksi viikkoa").days == 14
    # a number past any limit is read, so that storage refuses it, not a silent week
    assert ask("påminn om 99999 veckor").days == ask("snooze 12345 days").days == 3650
    assert ask("snooze 2026").days == 7  # a year is no length
    assert ask("uppdatera #12").filter.numbers == (12,)
    assert ask("update trygghetskameror").filter.numbers == (6,)
    assert ask("mina uppdrag").intent is Intent.MY_ASSIGNMENTS
    assert ask("avbryt").intent is Intent.CANCEL
    assert ask("peruuta").intent is Intent.CANCEL
    assert ask("slå på påminnelser").intent is Intent.REMINDERS_ON
    assert ask("show it as text").intent is Intent.AS_TEXT  # "it" is no unit here


def test_language_guess() -> None:
    assert ask("vilka uppdrag är försenade?").language == "sv"
    assert ask("which assignments are overdue?").language == "en"
    assert ask("mitkä tehtävät ovat myöhässä?").language == "fi"
    assert ask("IT").language is None


def test_hostile_input_is_cheap_and_harmless() -> None:
    assert ask("").intent is Intent.HELP
    assert ask("🙈🙈🙈").intent is Intent.HELP
    q = ask("försenade " * 5000)
    assert q.intent is Intent.ASSIGNMENTS
    assert ask("\x00\u202e#999999999999").intent in (Intent.UNKNOWN, Intent.ASSIGNMENTS,
                                                      Intent.HELP)


def test_questions_round_trip_through_button_data() -> None:
    for text in ("försenade uppdrag för staben inom två veckor", "och HR?", "den andra",
                 "vilka tre enheter har högst budget", "uppdrag om välfärdsbrott"):
        q = ask(text)
        assert Question.from_data(q.to_data()) == q.with_(alternatives=())


def test_close_readings_are_asked_back() -> None:
    q = ask("när ska koldioxidbudgeten vara klar?")  # two assignments name it
    assert q.confidence < 1 and {a.filter.numbers for a in q.alternatives} == {(11,), (33,)}
    q = ask("prognos för Räddningsverket")
    assert q.units == () and q.alternatives and q.alternatives[0].units == (6,)


def test_every_teams_command_is_understood_in_english_and_swedish() -> None:
    """A command picked in Teams arrives as its prompt (a "prompt" command) or else its
    title: manifest.json (English) and sv.json, read in a demo organisation that has
    what it asks about."""
    import json
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "manifest"
    manifest = json.loads((root / "manifest.json").read_text("utf-8"))
    swedish = json.loads((root / "sv.json").read_text("utf-8"))
    for c, command_list in enumerate(manifest["bots"][0]["commandLists"]):
        for i, cmd in enumerate(command_list["commands"]):
            field = "prompt" if cmd.get("type") == "prompt" else "title"
            sv_words = swedish[f"bots[0].commandLists[{c}].commands[{i}].{field}"]
            # Norrtälje has no indicators: the indicator command is asked in Lerum.
            for org in ("norrtalje", "lerum"):
                english, svenska = ask(cmd[field], org), ask(sv_words, org)
                if english.intent is not Intent.UNKNOWN and english.confidence >= 0.5:
                    break
            assert english.intent is not Intent.UNKNOWN and english.confidence >= 0.5, cmd[field]
            assert (svenska.intent, svenska.form) == (english.intent, english.form), sv_words


def test_subscribe_names_its_units() -> None:
    q = ask("prenumerera IT, Stab veckovis måndag kl 9 med nyckeltal")
    assert (q.units, q.unmatched, q.with_indicators) == ((7, 5), (), True)
    q = ask("subscribe IT and HR weekly")
    assert q.units == (7, 3)
    q = ask("tilaa Kulttuuritoimi viikoittain")
    assert q.units == () and q.unmatched == ("Kulttuuritoimi",)
    assert ask("prenumerera alla enheter dagligen").units == ()


def test_any_text_gives_a_question() -> None:
    """No input makes understanding fail, and every answer survives the button round trip."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    words = st.sampled_from(["IT", "Stab", "försenade", "och", "inte", "#12", "2025", "13.10.",
                             "prognos", "the", "second", "entä", "kl", "9", "Q4", "före",
                             "årsskiftet", "hur", "många", "-", ":", "ICT:n", "🙈", "ä", ""])
    texts = st.one_of(st.text(max_size=80), st.lists(words, max_size=12).map(" ".join))

    @settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(texts)
    def check_one(text: str) -> None:
        q = ask(text)
        assert Question.from_data(q.to_data()) == q.with_(alternatives=())

    check_one()


def test_a_reading_is_remembered_only_for_the_same_catalog_version_and_day() -> None:
    """Understander remembers readings by (text, catalog version, day): a new alias (a new
    catalog version) or another day reads the words again."""
    from dataclasses import replace

    before = catalog()
    assert ask("prognos för datorgänget").units == ()
    it = next(u for u in before.units if u.name == "IT")
    units = tuple(replace(u, aliases=(*u.aliases, "datorgänget")) if u is it else u
                  for u in before.units)
    after = replace(before, units=units, version=before.version + "+alias")
    assert U.understand("prognos för datorgänget", after, TODAY).units == (it.id,)
    assert U.understand("prognos för datorgänget", before, TODAY).units == ()
    tomorrow = U.understand("försenade uppdrag", before, TODAY + timedelta(days=1))
    assert tomorrow is not U.understand("försenade uppdrag", before, TODAY)
    assert U.understand("försenade uppdrag", before, TODAY) is U.understand(
        "försenade uppdrag", before, TODAY)

"""Demo data: every seed municipality as an organisation of its own, exactly as printed
(see SOURCES.md), with fixed tenant ids so that each can be talked to from its tenant."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from storage import organisations
from storage.db import session
from storage.importer import ImportResult, import_file
from storage.roles import RoleName, grant, revoke_granted_by

DEMO_DIR = Path(__file__).resolve().parent
# Units first (they name the canonical units and parents), then aliases, then the rest.
FILE_ORDER = ("units.csv", "finance.csv", "unit_aliases.csv", "budget.csv",
              "assignments.csv", "indicators.csv")


@dataclass(frozen=True)
class DemoOrganisation:
    name: str
    folder: str
    tenant: str
    languages: tuple[str, ...]
    timezone: str = "Europe/Stockholm"
    currency: str = "SEK"
    kolada_municipality: str = ""
    kolada_kpis: tuple[str, ...] = ()

    @property
    def files(self) -> list[Path]:
        return [DEMO_DIR / self.folder / f for f in FILE_ORDER
                if (DEMO_DIR / self.folder / f).is_file()]


# The first is the default organisation (local mode: the Agents Playground and the Emulator).
DEMO_ORGANISATIONS: tuple[DemoOrganisation, ...] = (
    DemoOrganisation("Norrtälje kommun", "norrtalje", "11111111-1111-4111-8111-111111111111",
                     ("sv", "en"), kolada_municipality="0188"),
    DemoOrganisation("Lovisa stad", "lovisa", "22222222-2222-4222-8222-222222222222",
                     ("fi", "sv", "en"), timezone="Europe/Helsinki", currency="EUR"),
    DemoOrganisation("Lerums kommun", "lerum", "33333333-3333-4333-8333-333333333333",
                     ("sv", "en"), kolada_municipality="1441"),
    DemoOrganisation("Nyköpings kommun", "nykoping", "44444444-4444-4444-8444-444444444444",
                     ("sv", "en"), kolada_municipality="0480",
                     kolada_kpis=("U01405", "N66077", "N00712", "N07403", "U01420")),
    DemoOrganisation("Alingsås kommun", "alingsas", "55555555-5555-4555-8555-555555555555",
                     ("sv", "en"), kolada_municipality="1489"),
)


def load_demo(engine: Engine) -> list[tuple[str, ImportResult]]:
    """Creates every demo organisation and imports its files."""
    results: list[tuple[str, ImportResult]] = []
    for demo in DEMO_ORGANISATIONS:
        with session(engine) as s, s.begin():
            org = organisations.add(
                s, demo.name, [demo.tenant], list(demo.languages), demo.timezone,
                demo.currency, kolada_municipality=demo.kolada_municipality,
                kolada_kpis=list(demo.kolada_kpis))
        results.extend((demo.name, import_file(engine, org.id, path)) for path in demo.files)
    return results


def load_demo_if_empty(engine: Engine) -> list[tuple[str, ImportResult]]:
    """Only into a database without any organisation: never next to real data."""
    with session(engine) as s:
        if organisations.list_organisations(s):
            return []
    return load_demo(engine)


# The Microsoft 365 Agents Playground's default user (Alex Wilber), from its built-in
# configuration. Made admin of the demo organisations in local mode, so that updates work
# out of the box; the grant is removed when the bot starts authenticated.
PLAYGROUND_USER_ID = "00000000-0000-0000-0000-0000000000020"
PLAYGROUND_USER_NAME = "Alex Wilber"
DEMO_GRANTOR = "demo"


def _demo_org_ids(engine: Engine) -> list[int]:
    with session(engine) as s:
        names = {d.name for d in DEMO_ORGANISATIONS}
        return [o.id for o in organisations.list_organisations(s) if o.name in names]


def grant_playground_admin(engine: Engine) -> bool:
    granted = False
    for org_id in _demo_org_ids(engine):
        with session(engine, org_id) as s, s.begin():
            granted |= grant(s, org_id, PLAYGROUND_USER_ID, RoleName.ADMIN,
                             user_name=PLAYGROUND_USER_NAME, granted_by=DEMO_GRANTOR)
    return granted


def revoke_playground_admin(engine: Engine) -> int:
    """Local mode's demo admin must not outlive local mode."""
    removed = 0
    with session(engine) as s:
        org_ids = [o.id for o in organisations.list_organisations(s)]
    for org_id in org_ids:
        with session(engine, org_id) as s, s.begin():
            removed += revoke_granted_by(s, org_id, PLAYGROUND_USER_ID, DEMO_GRANTOR)
    return removed

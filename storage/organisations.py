"""Organisations and their Entra ID tenants: which organisation a tenant's activities and an
operator's commands belong to. Organisation rows are not themselves organisation-scoped."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Connection, bindparam, delete, select, text, update
from sqlmodel import Session

from storage.domain import Refused, normalize
from storage.models import ORGANISATION_SCOPED, Organisation, OrganisationTenant

LANGUAGES = ("sv", "en", "fi")
CURRENCIES = ("SEK", "EUR")
# Entra tenant ids are GUIDs; the Agents Playground's and tests' ids are looser.
_TENANT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@dataclass(frozen=True)
class OrganisationView:
    id: int
    name: str
    tenants: tuple[str, ...]
    languages: tuple[str, ...]
    timezone: str
    currency: str
    nudge_time: str
    kolada_municipality: str = ""
    kolada_kpis: tuple[str, ...] = ()

    @property
    def language(self) -> str:
        """The default language: replies when neither the locale nor the words tell."""
        return self.languages[0] if self.languages else "sv"


def _view(org: Organisation, tenants: list[str]) -> OrganisationView:
    return OrganisationView(
        id=org.id,  # type: ignore[arg-type]
        name=org.name,
        tenants=tuple(sorted(tenants)),
        languages=tuple(x for x in org.languages.split(",") if x),
        timezone=org.timezone,
        currency=org.currency,
        nudge_time=org.nudge_time,
        kolada_municipality=org.kolada_municipality,
        kolada_kpis=tuple(x for x in org.kolada_kpis.split(",") if x),
    )


def _tenants_of(s: Session) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for tenant, org_id in s.execute(select(OrganisationTenant.tenant_id,
                                           OrganisationTenant.organisation_id)):
        found.setdefault(org_id, []).append(tenant)
    return found


def list_organisations(s: Session) -> list[OrganisationView]:
    """Oldest first: the first is the default organisation (local mode, the CLI)."""
    tenants = _tenants_of(s)
    rows = s.execute(select(Organisation).order_by(Organisation.id)).scalars()
    return [_view(o, tenants.get(o.id, [])) for o in rows]  # type: ignore[arg-type]


def by_name(s: Session, name: str) -> OrganisationView | None:
    row = s.execute(select(Organisation).where(Organisation.key == normalize(name))).scalar()
    if row is None:
        return None
    return _view(row, _tenants_of(s).get(row.id, []))  # type: ignore[arg-type]


def by_tenant(s: Session, tenant_id: str) -> OrganisationView | None:
    row = s.execute(
        select(Organisation).join(OrganisationTenant,
                                  OrganisationTenant.organisation_id == Organisation.id)
        .where(OrganisationTenant.tenant_id == tenant_id.lower())
    ).scalar()
    if row is None:
        return None
    return _view(row, _tenants_of(s).get(row.id, []))  # type: ignore[arg-type]


def bump_data_version(s: Session, organisation_id: int) -> None:
    """What questions can name has changed: understanding rebuilds its index (and what
    answers show may have changed too)."""
    s.execute(update(Organisation).where(Organisation.id == organisation_id)
              .values(data_version=Organisation.data_version + 1,
                      answer_version=Organisation.answer_version + 1))


def bump_answer_version(s: Session, organisation_id: int) -> None:
    """What answers show has changed (an assignment's update): cached answers are stale."""
    s.execute(update(Organisation).where(Organisation.id == organisation_id)
              .values(answer_version=Organisation.answer_version + 1))


_VERSIONS = (select(Organisation.data_version, Organisation.answer_version)
             .where(Organisation.id == bindparam("id")))


def versions(s: Session | Connection, organisation_id: int) -> tuple[int, int]:
    """(data version, answer version), read on every question in one prebuilt statement."""
    connection = s.connection() if isinstance(s, Session) else s
    row = connection.execute(_VERSIONS, {"id": organisation_id}).first()
    return (int(row[0] or 0), int(row[1] or 0)) if row is not None else (0, 0)


def data_version(s: Session, organisation_id: int) -> int:
    return versions(s, organisation_id)[0]


def default(s: Session) -> OrganisationView | None:
    orgs = list_organisations(s)
    return orgs[0] if orgs else None


def fingerprint(s: Session) -> tuple[int, int, int]:
    """Changes whenever an organisation or tenant is added, changed or removed (in any
    process): the bot's tenant cache is rebuilt then, and only then. A digest of every
    organisation's settings and every tenant, not counts: a tenant moved from one
    organisation to another, or a changed language or time zone, keeps the counts."""
    orgs = [tuple(r) for r in s.execute(
        select(Organisation.id, Organisation.key, Organisation.name, Organisation.languages,
               Organisation.timezone, Organisation.currency, Organisation.nudge_time,
               Organisation.kolada_municipality, Organisation.kolada_kpis)
        .order_by(Organisation.id))]
    tenants = [tuple(r) for r in s.execute(
        select(OrganisationTenant.tenant_id, OrganisationTenant.organisation_id)
        .order_by(OrganisationTenant.tenant_id))]
    digest = hashlib.sha256(repr((orgs, tenants)).encode()).digest()
    return (len(orgs), len(tenants), int.from_bytes(digest[:8], "big"))


def resolve(s: Session, name: str | None) -> OrganisationView:
    """The organisation a command names; optional when there is exactly one."""
    orgs = list_organisations(s)
    names = [o.name for o in orgs]
    if not orgs:
        raise Refused("no_organisations")
    if not name:
        if len(orgs) == 1:
            return orgs[0]
        raise Refused("organisation_required", names=", ".join(names))
    found = by_name(s, name)
    if found is None:
        raise Refused("unknown_organisation", name=name, names=", ".join(names))
    return found


def _check(languages: list[str], timezone: str, currency: str, nudge_time: str,
           tenants: list[str]) -> None:
    for language in languages:
        if language not in LANGUAGES:
            raise Refused("unknown_language", value=language, allowed=", ".join(LANGUAGES))
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise Refused("unknown_timezone", value=timezone) from None
    if currency not in CURRENCIES:
        raise Refused("unknown_currency", value=currency, allowed=", ".join(CURRENCIES))
    if not _TIME.match(nudge_time):
        raise Refused("bad_time", value=nudge_time)
    for tenant in tenants:
        if not _TENANT.match(tenant):
            raise Refused("bad_tenant", value=tenant)


def _name(name: str) -> str:
    name = " ".join(name.split())
    if not name or len(name) > 200:
        raise Refused("bad_organisation_name", value=name[:60])
    return name


def add(s: Session, name: str, tenants: list[str], languages: list[str] | None = None,
        timezone: str = "Europe/Stockholm", currency: str = "SEK",
        nudge_time: str = "08:00", kolada_municipality: str = "",
        kolada_kpis: list[str] | None = None) -> OrganisationView:
    name = _name(name)
    languages = languages or ["sv", "en"]
    tenants = [t.lower() for t in tenants]
    _check(languages, timezone, currency.upper(), nudge_time, tenants)
    if by_name(s, name) is not None:
        raise Refused("organisation_exists", name=name)
    _free_tenants(s, tenants, None)
    org = Organisation(name=name, key=normalize(name), languages=",".join(languages),
                       timezone=timezone, currency=currency.upper(), nudge_time=nudge_time,
                       kolada_municipality=kolada_municipality,
                       kolada_kpis=",".join(kolada_kpis or []))
    s.add(org)
    s.flush()
    for tenant in dict.fromkeys(tenants):
        s.add(OrganisationTenant(tenant_id=tenant, organisation_id=org.id))  # type: ignore[arg-type]
    s.flush()
    return _view(org, tenants)


def _free_tenants(s: Session, tenants: list[str], own_id: int | None) -> None:
    for tenant in tenants:
        owner = by_tenant(s, tenant)
        if owner is not None and owner.id != own_id:
            raise Refused("tenant_taken", tenant=tenant, name=owner.name)


def edit(s: Session, name: str, *, new_name: str | None = None,
         add_tenants: list[str] | None = None, remove_tenants: list[str] | None = None,
         languages: list[str] | None = None, timezone: str | None = None,
         currency: str | None = None, nudge_time: str | None = None,
         kolada_municipality: str | None = None,
         kolada_kpis: list[str] | None = None) -> OrganisationView:
    found = resolve(s, name)
    org = s.get(Organisation, found.id)
    assert org is not None
    add_tenants = [t.lower() for t in add_tenants or []]
    _check(languages or list(found.languages), timezone or org.timezone,
           (currency or org.currency).upper(), nudge_time or org.nudge_time, add_tenants)
    if new_name is not None:
        new_name = _name(new_name)
        other = by_name(s, new_name)
        if other is not None and other.id != org.id:
            raise Refused("organisation_exists", name=new_name)
        org.name, org.key = new_name, normalize(new_name)
    if languages:
        org.languages = ",".join(languages)
    org.timezone = timezone or org.timezone
    org.currency = (currency or org.currency).upper()
    org.nudge_time = nudge_time or org.nudge_time
    if kolada_municipality is not None:
        org.kolada_municipality = kolada_municipality
    if kolada_kpis is not None:
        org.kolada_kpis = ",".join(kolada_kpis)
    _free_tenants(s, add_tenants, org.id)
    for tenant in dict.fromkeys(add_tenants):
        if tenant not in found.tenants:
            s.add(OrganisationTenant(tenant_id=tenant, organisation_id=org.id))  # type: ignore[arg-type]
    for tenant in remove_tenants or []:
        s.execute(delete(OrganisationTenant).where(
            OrganisationTenant.tenant_id == tenant.lower(),
            OrganisationTenant.organisation_id == org.id))
    s.add(org)
    s.flush()
    return by_name(s, org.name)  # type: ignore[return-value]


def remove(s: Session, name: str) -> OrganisationView:
    """Deletes the organisation and every row it owns. The session must be scoped to it
    (storage.db.session(engine, id)) so that row-level security lets the deletes through."""
    found = resolve(s, name)
    if s.info.get("organisation_id") != found.id:
        raise RuntimeError("remove() needs a session scoped to the organisation it removes")
    # Children first: not every foreign key cascades.
    for table in reversed(ORGANISATION_SCOPED):
        s.execute(text(f"DELETE FROM {table} WHERE organisation_id = :o"),  # noqa: S608
                  {"o": found.id})
    s.execute(delete(OrganisationTenant).where(OrganisationTenant.organisation_id == found.id))
    s.execute(delete(Organisation).where(Organisation.id == found.id))
    return found

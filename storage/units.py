"""Units and their other names, per organisation. Matching the words people type (inflections,
typos, "human resources") is understanding's job; here names match exactly (normalised)."""

from __future__ import annotations

import difflib

from sqlmodel import Session, select

from storage.domain import Refused, normalize
from storage.models import Unit, UnitAlias
from storage.organisations import bump_data_version

_FOLD = str.maketrans("åäöéüæø", "aaoeuao")


def fold(key: str) -> str:
    """Without diacritics: people often type "raddningstjanst"."""
    return key.translate(_FOLD)


def unit_index(s: Session, organisation_id: int) -> dict[str, Unit]:
    """Normalised name or alias → unit, in one organisation."""
    units = {u.id: u for u in s.exec(select(Unit).where(Unit.organisation_id == organisation_id))}
    index = {normalize(u.name): u for u in units.values()}
    for alias in s.exec(select(UnitAlias).where(UnitAlias.organisation_id == organisation_id)):
        index.setdefault(alias.key, units[alias.unit_id])
    return index


def find_unit(s: Session, organisation_id: int, name: str) -> Unit | None:
    """The unit with this name or alias (any case and spacing, with or without å/ä/ö)."""
    key = normalize(name)
    index = unit_index(s, organisation_id)
    if key in index:
        return index[key]
    folded = {fold(k): u for k, u in index.items()}
    return folded.get(fold(key))


def close_names(s: Session, organisation_id: int, name: str, limit: int = 3) -> list[str]:
    """Unit names close to a misspelt one, for "did you mean …?"."""
    index = unit_index(s, organisation_id)
    keys = {fold(k): u.name for k, u in index.items()}
    found = difflib.get_close_matches(fold(normalize(name)), list(keys), n=limit * 3,
                                      cutoff=0.6)
    return list(dict.fromkeys(keys[k] for k in found))[:limit]


def require_unit(s: Session, organisation_id: int, name: str) -> Unit:
    unit = find_unit(s, organisation_id, name)
    if unit is None:
        raise Refused("unknown_unit", name=name,
                      suggestions=", ".join(close_names(s, organisation_id, name)))
    return unit


def _fits(text: str, code: str) -> None:
    """Names and aliases share the column length; PostgreSQL refuses longer ones."""
    limit = Unit.__table__.c.name.type.length
    if max(len(" ".join(text.split())), len(normalize(text))) > limit:
        raise Refused(code, limit=limit)
    if not text.strip():
        raise Refused("empty_name")


def get_or_create_unit(s: Session, organisation_id: int, name: str,
                       index: dict[str, Unit]) -> Unit:
    key = normalize(name)
    unit = index.get(key)
    if unit is None:
        _fits(name, "unit_name_too_long")
        unit = Unit(organisation_id=organisation_id, name=" ".join(name.split()))
        s.add(unit)
        s.flush()
        index[key] = unit
    return unit


def add_alias(s: Session, organisation_id: int, unit_name: str, alias: str,
              create: bool = False) -> UnitAlias | None:
    """Add an alias. An unknown unit is refused (with the close names) unless `create`.
    Returns None if the alias already exists for this unit; refuses one naming another."""
    index = unit_index(s, organisation_id)
    unit = (get_or_create_unit(s, organisation_id, unit_name, index) if create
            else require_unit(s, organisation_id, unit_name))
    key = normalize(alias)
    _fits(alias, "alias_too_long")
    existing = index.get(key)
    if existing is not None:
        if existing.id == unit.id:
            return None
        raise Refused("alias_taken", alias=alias, unit=existing.name)
    row = UnitAlias(organisation_id=organisation_id, unit_id=unit.id,  # type: ignore[arg-type]
                    alias=" ".join(alias.split()), key=key)
    s.add(row)
    s.flush()
    bump_data_version(s, organisation_id)
    return row

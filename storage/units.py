"""Unit names and aliases: resolution by alias, prefix and fuzzy match."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from threading import Lock

from sqlalchemy import text
from sqlmodel import Session, select

from storage.domain import normalize
from storage.models import Unit, UnitAlias


@dataclass(frozen=True)
class UnitMatch:
    unit: Unit | None
    suggestions: list[Unit]


_CACHE: dict[str, tuple[tuple[int, ...], dict[str, Unit]]] = {}
# Plain SQL: this runs on every question, and needs no ORM compilation.
_FINGERPRINT = text(
    "SELECT (SELECT count(*) FROM unit), (SELECT coalesce(max(id), 0) FROM unit),"
    " (SELECT count(*) FROM unit_alias), (SELECT coalesce(max(id), 0) FROM unit_alias)"
)
_CACHE_LOCK = Lock()


def _lookup_index(session: Session) -> dict[str, Unit]:
    """unit_index for reading, rebuilt only when units or aliases were added (by any
    instance): a one-row fingerprint query instead of loading and normalising every name on
    every question. Units are never renamed or deleted, so counts and max ids suffice."""
    fingerprint = tuple(session.execute(_FINGERPRINT).one())
    key = str(session.get_bind().url)
    with _CACHE_LOCK:
        cached = _CACHE.get(key)
    if cached and cached[0] == fingerprint:
        return cached[1]
    index = unit_index(session)
    # Detached copies: shared read-only between threads and sessions.
    plain = {name: Unit(id=u.id, name=u.name, parent_id=u.parent_id) for name, u in index.items()}
    # Users often type without å/ä/ö; match folded forms too.
    plain.update({fold(k): u for k, u in list(plain.items()) if fold(k) not in plain})
    with _CACHE_LOCK:
        _CACHE[key] = (fingerprint, plain)
    return plain


def unit_index(session: Session) -> dict[str, Unit]:
    """Normalised name or alias → unit."""
    units = {u.id: u for u in session.exec(select(Unit))}
    index = {normalize(u.name): u for u in units.values()}
    for alias in session.exec(select(UnitAlias)):
        index.setdefault(alias.key, units[alias.unit_id])
    return index


def _fits(text: str, what: str) -> None:
    """Names and aliases share the column length; PostgreSQL refuses longer ones."""
    limit = Unit.__table__.c.name.type.length
    if max(len(" ".join(text.split())), len(normalize(text))) > limit:
        raise ValueError(f"{what} är längre än {limit} tecken")


def get_or_create_unit(session: Session, name: str, index: dict[str, Unit]) -> Unit:
    key = normalize(name)
    unit = index.get(key)
    if unit is None:
        _fits(name, "enhetsnamnet")
        unit = Unit(name=" ".join(name.split()))
        session.add(unit)
        session.flush()
        index[key] = unit
    return unit


def add_alias(session: Session, unit_name: str, alias: str) -> UnitAlias | None:
    """Add an alias; creates the unit if unknown. Returns None if the alias already exists
    for this unit; raises ValueError if it already names another unit."""
    index = unit_index(session)
    unit = get_or_create_unit(session, unit_name, index)
    key = normalize(alias)
    _fits(alias, "aliaset")
    existing = index.get(key)
    if existing is not None:
        if existing.id == unit.id:
            return None
        raise ValueError(f"aliaset {alias!r} används redan för {existing.name!r}")
    row = UnitAlias(unit_id=unit.id, alias=" ".join(alias.split()), key=key)
    session.add(row)
    session.flush()
    return row


_STRIP_SUFFIXES = ("en", "n", "s")


def _stems(key: str) -> set[str]:
    """'räddningstjänsten' also matches 'räddningstjänst'; 'stab' matches 'stab och planering'."""
    stems = {key}
    for suffix in _STRIP_SUFFIXES:
        if key.endswith(suffix) and len(key) - len(suffix) >= 3:
            stems.add(key[: -len(suffix)])
    return stems


_FOLD = str.maketrans("åäöéü", "aaoeu")


def fold(key: str) -> str:
    return key.translate(_FOLD)


def resolve_unit(session: Session, text: str, limit: int = 3) -> UnitMatch:
    """Exact name/alias, then a unique word-prefix match, then fuzzy suggestions."""
    index = _lookup_index(session)
    key = normalize(text).strip(" ?!.,:;'\"")
    if not key:
        return UnitMatch(None, [])
    for stem in _stems(key) | _stems(fold(key)):
        if stem in index:
            return UnitMatch(index[stem], [])
    # One or two letters are too little to guess from ("i" is not IT).
    prefixed = {} if len(key) < 3 else {
        u.id: u
        for name, u in index.items()
        if any(name.startswith(s) or name.split(" ")[0].rstrip("-") == s for s in _stems(key))
    }
    if len(prefixed) == 1:
        return UnitMatch(next(iter(prefixed.values())), [])
    # Only a typo-level difference resolves by itself; looser matches are suggestions.
    typo = {index[c].id: index[c] for c in
            difflib.get_close_matches(key, list(index), n=limit * 3, cutoff=0.88)}
    if len(typo) == 1 and not prefixed:
        return UnitMatch(next(iter(typo.values())), [])
    close = difflib.get_close_matches(key, list(index), n=limit * 3, cutoff=0.6)
    suggestions = list({**prefixed, **{index[c].id: index[c] for c in close}}.values())
    if not suggestions:
        loose = difflib.get_close_matches(key, list(index), n=limit * 3, cutoff=0.4)
        suggestions = list({index[c].id: index[c] for c in loose}.values())
    if not suggestions:
        suggestions = list(session.exec(select(Unit).order_by(Unit.name)))
    return UnitMatch(None, suggestions[:limit])
